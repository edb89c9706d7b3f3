/**
 * `@adminforth/background-jobs/testing`: run a handler over tasks in a unit test, with the same
 * engine and handler context as production, without AdminForth or a database (an in-memory
 * store). Retries, backoff, timeouts, `UnrecoverableError` and the state helpers behave as in
 * production.
 *
 * ```ts
 * import { runHandler } from '@adminforth/background-jobs/testing';
 * const results = await runHandler({ handler: myHandler }, [{ state: { userId: 1 } }]);
 * expect(results[0]).toMatchObject({ status: 'DONE', state: { userId: 1, sent: true } });
 * ```
 */
import { Engine } from './engine/engine.js';
import { MemoryJobStore } from './store/memory-store.js';
import type { EngineEvent } from './events.js';
import type { NewTask, TaskHandlerDefinition } from './types.js';

export interface RunHandlerOptions {
  /** The job's initial state (what `getJobState()` sees). */
  jobState?: Record<string, unknown>;
  /** Called with every engine event (`task:started`, `task:state`, `job:finished`, ...). */
  onEvent?: (event: EngineEvent) => void;
  /** The plugin option of the same name: largest task state, in bytes of JSON (default 1 MiB). */
  maxTaskStateBytes?: number;
}

export interface TaskResult {
  index: number;
  status: 'DONE' | 'FAILED' | 'CANCELLED';
  state: Record<string, any>;
  /** How many times the task ran. */
  attempt: number;
  error?: string;
}

/**
 * Runs `definition.handler` over `tasks` (parallelism, retries and timeouts from the definition)
 * and resolves, once every task has finished, to each task's final status and state.
 */
export async function runHandler(
  definition: Omit<TaskHandlerDefinition, 'jobHandlerName'> & { jobHandlerName?: string },
  tasks: NewTask[] | Iterable<NewTask> | AsyncIterable<NewTask>,
  options: RunHandlerOptions = {},
): Promise<TaskResult[]> {
  const store = new MemoryJobStore();
  const name = definition.jobHandlerName ?? 'test-handler';
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => { resolveFinished = resolve; });
  const engine = new Engine({
    store,
    pollMs: 20,
    progressIntervalMs: 0,
    maxTaskStateBytes: options.maxTaskStateBytes,
    log: () => {},
  });
  if (options.onEvent) engine.events.onAny(options.onEvent);
  engine.events.on('job:finished', () => resolveFinished());
  engine.register({ ...definition, jobHandlerName: name });
  await engine.start();
  try {
    const jobId = await engine.createJob({
      name: 'test', startedBy: null, tasks, handler: name, initialState: options.jobState,
      createRow: async () => ({ jobId: 'test-job', createdAt: new Date().toISOString() }),
      deleteRow: async () => {},
    });
    await finished;
    const job = await engine.getJob(jobId);
    const { tasks: rows } = await store.getTasks(job.jobKey, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    return rows.map((t) => ({
      index: t.index,
      status: t.status as TaskResult['status'],
      state: t.state,
      attempt: t.attempt,
      ...(t.error ? { error: t.error } : {}),
    }));
  } finally {
    await engine.stop({ graceMs: 0 });
  }
}
