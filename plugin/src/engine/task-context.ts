/**
 * The context object a handler gets for one task. The task's state lives in memory while the task
 * runs (this process holds its lease, nobody else writes it); writes are persisted by the runner's
 * next group commit, and the returned promise resolves once they are.
 */
import type { EngineEvent } from '../events.js';
import { JobsError } from '../errors.js';
import type { GetStateField, SetStateField, TaskContext } from '../types.js';
import type { JobStateAccess, RunnerJob } from './engine-types.js';

/** The runner's side of a task (objects, not per-task closures: tasks are the hot path). */
export interface TaskHost {
  /** Most bytes of JSON a task's state may hold (the plugin option `maxTaskStateBytes`). */
  readonly maxStateBytes: number;
  /**
   * Save the task's state (JSON text) and log its task:state event with the next group commit;
   * resolves once committed, rejects when it cannot be (the attempt `run` has ended, or the
   * database refused the write). `run` is the attempt's `TaskContextInput.run`.
   */
  saveState(run: object, taskIndex: number, json: string, event: EngineEvent): Promise<void>;
}

export interface TaskContextInput {
  job: RunnerJob;
  taskIndex: number;
  attempt: number;
  /** Holds the task's signal, made on first read. */
  run: { readonly signal: AbortSignal };
  state: Record<string, unknown>;
  host: TaskHost;
  jobState: JobStateAccess;
}

/** JSON text of a value, or a clear error naming what could not be serialised. */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new JobsError('INVALID_INPUT', `${what} must be JSON-serialisable: ${(error as Error).message}`, { cause: error });
  }
  if (json === undefined) throw new JobsError('INVALID_INPUT', `${what} must be JSON-serialisable, got ${typeof value}`);
  return json;
}

/**
 * Throws when `json` (a whole task or job state) is over `limit` bytes of UTF-8: a clear error
 * instead of a write the database may refuse on every flush (issue 17: a 20 MB state over MariaDB's
 * max_allowed_packet froze its job). `what`: "task 3 of job 12", "job 12".
 */
export function checkStateSize(json: string, limit: number, what: string): void {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most states need no counting.
  if (json.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= limit) return;
  const n = (v: number) => v.toLocaleString('en-US');
  throw new JobsError('INVALID_INPUT', `The state of ${what} would be ${n(bytes)} bytes of JSON, over the limit of ${n(limit)} bytes `
    + '(plugin option maxTaskStateBytes): keep large data elsewhere (a file, a table of your own) and store a reference to it, or raise maxTaskStateBytes.');
}

const clone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

/**
 * The context object. Its helpers are made when first read (handlers destructure the ones they
 * use), so a task whose handler uses none costs no closures.
 */
class HandlerContext implements TaskContext {
  readonly jobId: string;
  readonly taskIndex: number;
  readonly attempt: number;

  constructor(private readonly input: TaskContextInput) {
    this.jobId = input.job.jobId;
    this.taskIndex = input.taskIndex;
    this.attempt = input.attempt;
  }

  get signal(): AbortSignal { return this.input.run.signal; }

  get setTaskStateField(): SetStateField {
    const { job, taskIndex, state } = this.input;
    const input = this.input;
    return (async (fieldOrFields: string | Record<string, unknown>, value?: unknown) => {
      let fields: Record<string, unknown>;
      if (typeof fieldOrFields === 'string') fields = { [fieldOrFields]: value };
      else if (fieldOrFields !== null && typeof fieldOrFields === 'object' && !Array.isArray(fieldOrFields)) fields = fieldOrFields;
      else throw new JobsError('INVALID_INPUT', `setTaskStateField takes (field, value) or an object of fields, got ${Array.isArray(fieldOrFields) ? 'an array' : typeof fieldOrFields}`);
      // Check before touching the state so a bad value leaves it as it was.
      const fieldsJson = toJson(fields, `Task state of task ${taskIndex} of job ${job.jobId}`);
      const parsed = JSON.parse(fieldsJson) as Record<string, unknown>;
      const json = JSON.stringify(Object.assign({ ...state }, parsed));
      checkStateSize(json, input.host.maxStateBytes, `task ${taskIndex} of job ${job.jobId}`);
      Object.assign(state, parsed);
      await input.host.saveState(input.run, taskIndex, json, {
        type: 'task:state', jobId: job.jobId, handler: job.handler, startedBy: job.startedBy,
        taskIndex, state: JSON.parse(json), fields: JSON.parse(fieldsJson),
      });
    }) as SetStateField;
  }

  get getTaskStateField(): GetStateField {
    const state = this.input.state;
    return (async (field?: string) => (field === undefined ? clone(state) : clone(state[field]))) as GetStateField;
  }

  get getState(): () => Promise<Record<string, any>> {
    const state = this.input.state;
    return async () => clone(state) as Record<string, any>;
  }

  get setJobStateField(): TaskContext['setJobStateField'] {
    const { jobState, job } = this.input;
    return (field, value) => jobState.set(job, field, value);
  }

  get getJobStateField(): TaskContext['getJobStateField'] {
    const { jobState, job } = this.input;
    return async (field) => (await jobState.get(job))[field];
  }

  get getJobState(): TaskContext['getJobState'] {
    const { jobState, job } = this.input;
    return () => jobState.get(job);
  }
}

export function createTaskContext(input: TaskContextInput): TaskContext {
  return new HandlerContext(input);
}
