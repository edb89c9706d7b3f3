/**
 * The job engine: handler registry, job creation, one runner per job this process works on,
 * heartbeats, the lease recovery pass, queue promotion, cancellation, retries and shutdown.
 * It knows only the JobStore interface, the clock and an event sink: no AdminForth here.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { EngineEvent } from '../events.js';
import { EngineEvents } from './engine-events.js';
import type { ChangeEvents, JobCounters, JobRow, JobSchedule, JobStore, TaskRow, WorkerInfo } from '../store/job-store.js';
import type { JobStatus, TaskStatus } from '../statuses.js';
import { isFinishedJobStatus } from '../statuses.js';
import { JobsError, errorMessage } from '../errors.js';
import type { RetryScope, TaskHandlerDefinition, TaskSource } from '../types.js';

export type { RetryScope } from '../types.js';
import { JobRunner } from './job-runner.js';
import type { JobEngineHooks, JobStateAccess, Logger, RunnerJob } from './engine-types.js';
import { checkStateSize, toJson } from './task-context.js';
import { collectTaskStates, forEachTaskBatch } from './task-source.js';
import { JobLocks } from './job-locks.js';
import { closeFinishedJob, type FinishDeps } from './job-finish.js';
import { progressOf } from './progress.js';
import { purgeAllTasks, retentionPass, type RetentionReport } from './retention.js';

export { progressOf } from './progress.js';
import { EventStream, type SequencedEvent } from './event-stream.js';
import type { EventRead } from '../store/job-store.js';

export interface EngineOptions {
  store: JobStore;
  /** Where the engine's events go (engine-events.ts); a new one when not given (`engine.events`). */
  events?: EngineEvents;
  log?: Logger;
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  progressIntervalMs?: number;
  /** How often other replicas' events are read from the log (ms, default 250). */
  eventPollMs?: number;
  /** How long a finished job's events are kept (ms, default 1 h). */
  eventRetentionMs?: number;
  /** Events kept per job; older ones are dropped (readers get `truncated`). Default 10,000. */
  maxEventsPerJob?: number;
  /**
   * Most tasks a job runner leases beyond its `parallelLimit` when tasks finish faster than a
   * flush commits (claim-ahead, see job-runner.ts). Default 1,000; 0 turns it off.
   */
  maxClaimAhead?: number;
  /**
   * Most bytes of JSON (UTF-8) a task's state may hold, and the job's state too: a
   * `setTaskStateField` or `setJobStateField` that would make it bigger rejects with a JobsError
   * and writes nothing. Default 1,048,576 (1 MiB).
   */
  maxTaskStateBytes?: number;
  /** Task rows of finished jobs are deleted this long after the job finished (ms; default 30 days; false: kept). */
  taskRetentionMs?: number | false;
  /** Finished jobs (row, tasks, events) are deleted this long after they finished (ms; default false: kept). */
  jobRetentionMs?: number | false;
  /** How often the retention pass runs (ms, default 10 minutes). */
  retentionIntervalMs?: number;
  /** Deletes a job's row where users see it (the resource), before the retention pass deletes its data. */
  deleteJobRow?: (jobId: string) => Promise<void>;
}

/** Default of `taskRetentionMs`: 30 days. */
export const DEFAULT_TASK_RETENTION_MS = 30 * 24 * 3600_000;

/** Default of `maxTaskStateBytes`: 1 MiB of JSON. */
export const DEFAULT_MAX_TASK_STATE_BYTES = 1_048_576;

export interface CreateJobInput {
  name: string;
  startedBy: string | null;
  tasks: TaskSource;
  handler: string;
  initialState?: Record<string, unknown>;
  queued?: boolean;
  /** false: a QUEUED job is not started now, only by the next drain of its queue (default true). */
  autoStart?: boolean;
  /** Writes the job's row where users see it (the resource) and returns its primary key. */
  createRow(status: 'IN_PROGRESS' | 'QUEUED'): Promise<{ jobId: string; createdAt: string }>;
  /** Removes that row again when the job could not be completed. */
  deleteRow(jobId: string): Promise<void>;
  /** The recurring schedule and tick starting the job (schedules.ts); unique per tick among all jobs. */
  schedule?: JobSchedule;
}

/** Owners of engines alive in this process: a same-pid owner not listed here is a previous incarnation. */
const liveOwners: Set<string> = ((globalThis as any).__afJobsLiveOwners ??= new Set<string>());

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Engine {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly store: JobStore;
  /** Every event of the engine, for whoever subscribes (engine-events.ts). */
  readonly events: EngineEvents;
  private readonly handlers = new Map<string, TaskHandlerDefinition>();
  private readonly runners = new Map<number, JobRunner>();
  private readonly waitingHandlersLogged = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly hooks: JobEngineHooks;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  private started = false;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  /**
   * Store work nobody awaits: a runner's `onJobFinished` (job:finished, queue promotion,
   * onAllTasksDone), timer passes, `register`'s resume. `stop()` waits for it, so none of it is
   * still talking to the database when the caller closes the connection after `stop()`.
   */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  /** The durable event log of this process: writes, numbering, following other replicas. */
  readonly eventLog: EventStream;
  readonly eventRetentionMs: number;
  readonly maxEventsPerJob: number;
  readonly maxTaskStateBytes: number;
  private readonly locks: JobLocks;
  private readonly retention: { taskRetentionMs: number | false; jobRetentionMs: number | false; intervalMs: number; deleteJobRow?: (jobId: string) => Promise<void> };
  private readonly finishDeps: FinishDeps;

  constructor(options: EngineOptions) {
    const maxStateBytes = options.maxTaskStateBytes ?? DEFAULT_MAX_TASK_STATE_BYTES;
    if (!Number.isInteger(maxStateBytes) || maxStateBytes <= 0) {
      throw new JobsError('INVALID_INPUT', `maxTaskStateBytes must be a positive integer (bytes of JSON), got ${maxStateBytes}`);
    }
    this.maxTaskStateBytes = maxStateBytes;
    this.retention = {
      taskRetentionMs: retentionOption(options.taskRetentionMs, DEFAULT_TASK_RETENTION_MS, 'taskRetentionMs'),
      jobRetentionMs: retentionOption(options.jobRetentionMs, false, 'jobRetentionMs'),
      intervalMs: options.retentionIntervalMs ?? 600_000,
      deleteJobRow: options.deleteJobRow,
    };
    this.store = options.store;
    this.events = options.events ?? new EngineEvents();
    this.log = neverThrows(options.log ?? ((level, message) => console[level](message)));
    this.eventRetentionMs = options.eventRetentionMs ?? 3600_000;
    this.maxEventsPerJob = Math.max(1, options.maxEventsPerJob ?? 10_000);
    this.eventLog = new EventStream({
      store: this.store, owner: this.owner, log: this.log, pollMs: options.eventPollMs ?? 250,
      publish: (event: SequencedEvent) => this.events.emit(event),
      fromOthers: (jobKey, event) => this.onOtherProcessEvent(jobKey, event),
    });
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(this.leaseMs / 3));
    this.pollMs = options.pollMs ?? 1000;
    const jobState: JobStateAccess = {
      set: (job, field, value) => this.setJobStateField(job, field, value),
      get: async (job) => (await this.store.getJobByKey(job.jobKey))?.state ?? {},
    };
    this.hooks = {
      owner: this.owner,
      leaseMs: this.leaseMs,
      pollMs: this.pollMs,
      progressIntervalMs: options.progressIntervalMs ?? 250,
      maxClaimAhead: Math.max(0, Math.floor(options.maxClaimAhead ?? 1000)),
      maxStateBytes,
      jobState,
      log: this.log,
      events: this.eventLog,
      // The runner does not await these (job-runner.ts): tracked, and errors logged, here.
      onJobFinished: (job, counters) => this.track(this.onJobFinished(job, counters)
        .catch((e) => this.log('error', `background-jobs: could not close job ${job.jobId}: ${errorMessage(e)}`))),
      onAllTasksFinished: (job) => { void this.closeJob(job); },
      // Never rejects: the runner awaits it before flushing the failure (job-runner.ts).
      onTaskFailed: (job, error) => this.track(this.setJobStateField(job, 'error', error)
        .catch((e) => this.log('error', `background-jobs: could not record the error of job ${job.jobId}: ${errorMessage(e)}`))),
    };
    this.locks = new JobLocks(this.store, this.owner, this.leaseMs, this.log);
    this.finishDeps = {
      store: this.store, owner: this.owner, leaseMs: this.leaseMs, log: this.log,
      changeEvents: (build) => this.changeEvents(build),
      finished: (job, counters) => this.onJobFinished(job, counters),
      reopened: (job) => this.startRunner(job),
    };
  }

  /** Recover what dead processes left, resume unfinished jobs, and start the background timers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    liveOwners.add(this.owner);
    await this.eventLog.start();
    await this.heartbeat();
    await this.recoverExpiredLeases();
    await this.resumeJobs();
    // Stopped while starting: no timers that nothing would clear.
    if (this.stopped) return;
    const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => {
        if (this.stopped) return;
        void this.track(fn().then(() => {}, (error) => this.log('error', `background-jobs: ${what} failed: ${errorMessage(error)}`)));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.heartbeatMs, () => this.heartbeat(), 'heartbeat');
    every(Math.max(500, Math.floor(this.leaseMs / 2)), () => this.recoverExpiredLeases(), 'lease recovery');
    every(this.pollMs, () => this.resumeJobs(), 'poll');
    every(this.retention.intervalMs, () => this.runRetention(), 'retention');
  }

  get isStarted(): boolean {
    return this.started && !this.stopped;
  }

  register(definition: TaskHandlerDefinition): void {
    validateHandlerDefinition(definition);
    const name = definition.jobHandlerName;
    this.handlers.set(name, definition);
    this.waitingHandlersLogged.delete(name);
    if (this.isStarted) {
      void this.track(this.resumeJobs().catch((error) => this.log('error', `background-jobs: could not resume jobs of '${name}': ${errorMessage(error)}`)));
    }
  }

  handler(name: string): TaskHandlerDefinition | undefined {
    return this.handlers.get(name);
  }

  /** Names of the handlers registered in this process. */
  handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  /** Jobs of a handler in a status, across every replica (one indexed count: af_bj_jobs (status, handler, …)). */
  countJobs(handler: string, status: JobStatus): Promise<number> {
    return this.store.countJobs(handler, status);
  }

  async createJob(input: CreateJobInput): Promise<string> {
    this.assertRunning();
    const definition = this.handlers.get(input.handler);
    if (!definition) {
      const known = [...this.handlers.keys()];
      throw new JobsError('NO_HANDLER', `No handler registered for '${input.handler}': call registerTaskHandler({ jobHandlerName: '${input.handler}', handler }) before starting a job with it${known.length ? ` (registered: ${known.join(', ')})` : ''}.`);
    }
    if (typeof input.name !== 'string') throw new JobsError('INVALID_INPUT', `The job name must be a string, got ${typeof input.name}`);
    const initialState = input.initialState ?? {};
    toJson(initialState, 'The initial job state');
    const jobKey = await this.store.createDraft({
      handler: input.handler, name: input.name, startedBy: input.startedBy, state: initialState, owner: this.owner, now: Date.now(),
      ...(input.schedule ? { schedule: input.schedule } : {}),
    });
    let jobId: string | null = null;
    let status: 'IN_PROGRESS' | 'QUEUED';
    let total = 0;
    let createdAt: string;
    try {
      total = await forEachTaskBatch(input.tasks, (first, states) => this.store.appendTasks(jobKey, first, states));
      if (total === 0) throw new JobsError('INVALID_INPUT', `Job '${input.name}' has no tasks: pass at least one task ({ state: {...} }) to startNewJob.`);
      status = input.queued || Number.isFinite(definition.concurrencyLimit ?? Infinity) ? 'QUEUED' : 'IN_PROGRESS';
      ({ jobId, createdAt } = await input.createRow(status));
      await this.store.activateDraft(jobKey, jobId, status, total, this.changeEvents((row) => [{
        type: 'job:created', jobId: String(row.jobId), handler: row.handler, startedBy: row.startedBy, name: row.name, status, createdAt, total: row.total,
      }]));
    } catch (error) {
      // Nothing half-written: no tasks without a job row, no job row without its tasks.
      await this.store.discardDraft(jobKey).catch((e) => this.log('error', `background-jobs: could not discard the draft of job '${input.name}': ${errorMessage(e)}`));
      if (jobId !== null) await input.deleteRow(jobId).catch((e) => this.log('error', `background-jobs: could not remove the row of job ${jobId}: ${errorMessage(e)}`));
      throw error;
    }
    const job: RunnerJob = { jobKey, jobId, handler: input.handler, name: input.name, startedBy: input.startedBy };
    if (status === 'IN_PROGRESS') this.startRunner(job);
    else if (input.autoStart !== false) await this.promote(input.handler);
    return jobId;
  }

  async getJob(jobId: string): Promise<JobRow> {
    const job = await this.store.getJob(String(jobId));
    if (!job || job.status === 'DRAFT') throw new JobsError('NOT_FOUND', `Job ${jobId} not found.`);
    return job;
  }

  /** The job of this id as the engine stores it; null when there is none (or only a draft). */
  async findJob(jobId: string): Promise<JobRow | null> {
    const job = await this.store.getJob(String(jobId));
    return job && job.status !== 'DRAFT' ? job : null;
  }

  /** The jobs of these ids the engine stores (drafts left out), in one query. */
  async findJobs(jobIds: string[]): Promise<JobRow[]> {
    return (await this.store.getJobs(jobIds)).filter((job) => job.status !== 'DRAFT');
  }

  /** Tasks per status of a job read with findJob (kept on the job: O(1) in its size). */
  taskCounts(job: JobRow): Promise<Record<TaskStatus, number>> {
    return this.store.getTaskCounts(job.jobKey);
  }

  /** A page of the tasks of a job read with findJob. */
  tasksOf(job: JobRow, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    return this.store.getTasks(job.jobKey, opts);
  }

  async getTasks(jobId: string, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    const job = await this.getJob(jobId);
    return this.store.getTasks(job.jobKey, opts);
  }

  async cancelJob(jobId: string): Promise<{ changed: boolean; status: JobStatus }> {
    const job = await this.getJob(jobId);
    const now = Date.now();
    const { handler, startedBy } = job;
    const id = String(job.jobId);
    // One batch: the running tasks the cancel ended (whoever ran them; their runners record
    // nothing more), then job:finished, last in the log. Its progress is the cancelled job's:
    // its counters as the cancel left them, those tasks included.
    const result = await this.store.cancelJob(job.jobKey, now, this.changeEvents((row): EngineEvent[] => [
      ...row.cancelledRunning.map((taskIndex): EngineEvent => ({ type: 'task:cancelled', jobId: id, handler, startedBy, taskIndex })),
      { type: 'job:finished', jobId: id, handler, startedBy, status: 'CANCELLED', finishedAt: new Date(row.finishedAt ?? now).toISOString(), progress: progressOf(row) },
    ]));
    const status = result.status as JobStatus;
    if (result.changed) {
      // The store ended the running tasks; this aborts their handlers here and settles the runner.
      await this.runners.get(job.jobKey)?.cancel();
      await this.promote(job.handler);
    }
    return { changed: result.changed, status };
  }

  async retryJob(jobId: string, scope: RetryScope = 'failed'): Promise<{ status: JobStatus; tasks: number }> {
    this.assertRunning();
    const job = await this.getJob(jobId);
    if (!isFinishedJobStatus(job.status)) {
      throw new JobsError('INVALID_STATE', `Job ${jobId} is ${job.status}: only a finished job (DONE, DONE_WITH_ERRORS, CANCELLED) can be retried.`);
    }
    const definition = this.handlers.get(job.handler);
    const status = Number.isFinite(definition?.concurrencyLimit ?? Infinity) ? 'QUEUED' : 'IN_PROGRESS';
    const runnerJob = toRunnerJob(job);
    const tasks = await this.store.retryJob(job.jobKey, scope, status, this.changeEvents((retried) => [
      { type: 'job:retried', jobId: runnerJob.jobId, handler: job.handler, startedBy: job.startedBy, status, tasks: retried.tasks },
    ]));
    if (tasks === 0) {
      throw new JobsError('INVALID_STATE', `Job ${jobId} has no ${Array.isArray(scope) ? 'such finished' : scope === 'failed' ? 'failed' : 'failed or cancelled'} tasks to retry.`);
    }
    if (status === 'IN_PROGRESS') this.startRunner(runnerJob);
    else await this.promote(job.handler);
    return { status, tasks };
  }

  /**
   * Remove a job, its tasks and events (its row was deleted). A job still running is cancelled
   * first (its tasks aborted); the tasks go in short transactions of a few thousand rows.
   */
  async deleteJob(jobId: string): Promise<void> {
    const job = await this.store.getJob(String(jobId));
    if (!job) return;
    // No job:finished: the job's event log is deleted with it, a moment later.
    await this.store.cancelJob(job.jobKey, Date.now());
    await this.runners.get(job.jobKey)?.cancel();
    await purgeAllTasks(this.store, job.jobKey);
    await this.store.deleteJob(job.jobKey);
  }

  /**
   * One retention pass (retention.ts): task rows of jobs finished more than `taskRetentionMs`
   * ago, and jobs finished more than `jobRetentionMs` ago, on one replica at a time. Runs every
   * `retentionIntervalMs`; exposed for tests and for apps that want to run it at a time of their own.
   */
  runRetention(): Promise<RetentionReport> {
    return retentionPass({
      store: this.store, owner: this.owner, leaseMs: this.leaseMs, log: this.log,
      taskRetentionMs: this.retention.taskRetentionMs, jobRetentionMs: this.retention.jobRetentionMs,
      running: () => !this.stopped,
      deleteJob: async (jobKey, jobId) => {
        // The row first: a crash in between leaves the engine's data, which the next pass finds.
        if (jobId !== null && this.retention.deleteJobRow) await this.retention.deleteJobRow(jobId);
        await purgeAllTasks(this.store, jobKey);
        await this.store.deleteJob(jobKey);
      },
    });
  }

  /**
   * `addNewTasksToExistingJob`: append tasks to an IN_PROGRESS or QUEUED job (all checked before
   * any is written, then one transaction); they get the indexes after the job's last task and run
   * like the others. Returns the first new index and the job's total.
   */
  async addTasks(jobId: string, tasks: TaskSource): Promise<{ firstIndex: number; count: number; total: number }> {
    this.assertRunning();
    const job = await this.getJob(jobId);
    const states = await collectTaskStates(tasks);
    if (states.length === 0) return { firstIndex: job.total, count: 0, total: job.total };
    const runnerJob = toRunnerJob(job);
    const { handler, startedBy } = job;
    const id = runnerJob.jobId;
    const result = await this.store.addTasks(job.jobKey, states, this.changeEvents((added): EngineEvent[] => [
      { type: 'job:tasks-added', jobId: id, handler, startedBy, firstIndex: added.firstIndex, count: added.count, total: added.job.total },
      { type: 'job:progress', jobId: id, handler, startedBy, progress: progressOf(added.job), ...countersOf(added.job) },
    ]));
    if (result === null) throw new JobsError('NOT_FOUND', `Job ${jobId} not found.`);
    if (!('firstIndex' in result)) {
      throw new JobsError('INVALID_STATE', `Cannot add tasks to job ${jobId}: it is ${result.status}. Only an IN_PROGRESS or QUEUED job takes new tasks (retryJob runs a finished job's tasks again).`);
    }
    if (result.job.status === 'IN_PROGRESS') this.startRunner(runnerJob);
    return { firstIndex: result.firstIndex, count: result.count, total: result.job.total };
  }

  /**
   * `deleteTasksFromExistingJob`: remove one task of an IN_PROGRESS or QUEUED job. A scheduled
   * task never runs; a running one is aborted here (its signal fires; on another replica when that
   * one reads the event); a finished one leaves the counts. Other tasks keep their indexes. When
   * nothing is left to run, the job finishes (after its beforeJobFinish).
   */
  async deleteTask(jobId: string, taskIndex: number): Promise<void> {
    this.assertRunning();
    if (!Number.isInteger(taskIndex) || taskIndex < 0) {
      throw new JobsError('INVALID_INPUT', `The task index must be an integer of at least 0, got ${String(taskIndex)}.`);
    }
    const job = await this.getJob(jobId);
    const runnerJob = toRunnerJob(job);
    const { handler, startedBy } = job;
    const id = runnerJob.jobId;
    const result = await this.store.deleteTask(job.jobKey, taskIndex, this.changeEvents((deleted): EngineEvent[] => [
      { type: 'task:deleted', jobId: id, handler, startedBy, taskIndex: deleted.index },
      { type: 'job:progress', jobId: id, handler, startedBy, progress: progressOf(deleted.job), ...countersOf(deleted.job) },
    ]));
    if (result === null) throw new JobsError('NOT_FOUND', `Job ${jobId} not found.`);
    if (result === 'no-task') throw new JobsError('NOT_FOUND', `Job ${jobId} has no task ${taskIndex} (getJobTasks lists its tasks).`);
    if (!('index' in result)) {
      throw new JobsError('INVALID_STATE', `Cannot delete a task of job ${jobId}: it is ${result.status}. Only an IN_PROGRESS or QUEUED job's tasks can be deleted.`);
    }
    this.runners.get(job.jobKey)?.dropTask(taskIndex);
    const after = result.job;
    if (after.status === 'IN_PROGRESS' && after.done + after.failed + after.cancelled >= after.total) await this.closeJob(runnerJob);
  }

  /** `updateJobFieldsAtomically`: runs `fn` while no other caller of it for this job runs, on any replica (job-locks.ts). */
  async withJobLock<T>(jobId: string, fn: () => T | Promise<T>): Promise<T> {
    const job = await this.getJob(jobId);
    return this.locks.run(job.jobKey, String(job.jobId), fn);
  }

  /**
   * `startNextQueuedJob` / `startQueuedJobs`: start the oldest QUEUED jobs of a handler while its
   * concurrencyLimit allows, at most `max`. The ids of the jobs started (none: no free slot or no
   * job waiting). Queues also drain by themselves: when a job of the handler ends and at every poll.
   */
  async startQueued(handler: string, max: number): Promise<string[]> {
    this.assertRunning();
    if (!this.handlers.has(handler)) {
      this.log('warn', `background-jobs: no handler registered for '${handler}', so its queued jobs cannot start: call registerTaskHandler({ jobHandlerName: '${handler}', handler }) first.`);
      return [];
    }
    return (await this.promote(handler, max)).map((job) => String(job.jobId));
  }

  /** Close a job whose every task finished (job-finish.ts); tracked, errors logged. */
  private closeJob(job: RunnerJob): Promise<void> {
    return this.track(closeFinishedJob(this.finishDeps, job, this.handlers.get(job.handler))
      .catch((error) => this.log('error', `background-jobs: could not finish job ${job.jobId}: ${errorMessage(error)}`)));
  }

  /** The job's durable events after `after` (jobs/events). */
  async readEvents(jobId: string, after: number, limit: number): Promise<EventRead & { jobKey: number }> {
    const job = await this.getJob(jobId);
    return { ...(await this.store.readEvents(job.jobKey, after, limit)), jobKey: job.jobKey };
  }

  async setJobStateField(job: RunnerJob, field: string, value: unknown): Promise<void> {
    toJson({ [field]: value }, `Job state field '${field}'`);
    // The whole state is known only inside the store's transaction: over the limit, the mutation
    // throws there and nothing is written.
    const mutate = (s: Record<string, unknown>) => {
      const next = { ...s, [field]: value };
      checkStateSize(JSON.stringify(next), this.maxTaskStateBytes, `job ${job.jobId}`);
      return next;
    };
    await this.store.updateJobState(job.jobKey, mutate, this.changeEvents((state) => [
      { type: 'job:state', jobId: job.jobId, handler: job.handler, startedBy: job.startedBy, field, value, state },
    ]));
  }

  /**
   * Job events the store writes in the transaction of the change they describe, built there from
   * what it saw, and then publishes here (issue 9: no change without its event, no event for a change
   * rolled back). Only job:progress is appended on its own: it reports counters already committed.
   */
  private changeEvents<T>(build: (info: T) => EngineEvent[]): ChangeEvents<T> {
    return { owner: this.owner, now: Date.now(), build, written: (jobKey, lastSeq, events) => this.eventLog.written(jobKey, lastSeq, events) };
  }

  /**
   * Stop claiming, let running tasks finish within `graceMs`, abort the rest and release their
   * leases. Resolves once the engine makes no more store calls (work in flight, such as closing a
   * job that just finished and its `onAllTasksDone`, is waited for), so the caller may then close
   * the database. A second call returns the same promise.
   */
  stop({ graceMs = 10_000 }: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= this.stopNow(graceMs);
    return this.stopping;
  }

  private async stopNow(graceMs: number): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(graceMs)));
    this.runners.clear();
    // A runner's last flush may finish its job, which adds work here: wait until none is left.
    // Queue promotion in flight still promotes in the store, but starts no runner now (`isStarted`);
    // the next start, or another replica, runs those jobs.
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.eventLog.stop();
    try {
      if (this.started) await this.store.releaseOwner(this.owner);
    } finally {
      liveOwners.delete(this.owner);
    }
  }

  /** Keeps `work` in `inFlight` until it settles (its caller handles its errors). */
  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    const forget = () => { this.inFlight.delete(work); };
    void work.then(forget, forget);
    return work;
  }

  private assertRunning(): void {
    if (this.stopped) throw new JobsError('INVALID_STATE', 'The background-jobs engine was stopped: no new work is accepted.');
  }

  private async heartbeat(): Promise<void> {
    const worker: WorkerInfo = { owner: this.owner, host: hostname(), pid: process.pid, heartbeatAt: Date.now() };
    await this.store.heartbeat(worker, this.leaseMs);
    // A cancel made by another process reaches this one here, within one heartbeat.
    for (const [jobKey, runner] of this.runners) {
      const job = await this.store.getJobByKey(jobKey);
      if (!job || job.status === 'CANCELLED') void runner.cancel();
    }
  }

  /**
   * The recovery pass: tasks leased by a process that is gone go back to SCHEDULED. A process is
   * gone when its lease expired, or at once when it ran on this host and its pid is dead (or is
   * ours but not one of this process's engines: a restarted container) — so the usual single-process
   * restart resumes within a few seconds while another live process's lease is respected.
   */
  async recoverExpiredLeases(): Promise<number> {
    const now = Date.now();
    const host = hostname();
    const workers = await this.store.listWorkers();
    const dead = workers
      .filter((w) => w.owner !== this.owner)
      .filter((w) => (w.host === host && (w.pid === process.pid ? !liveOwners.has(w.owner) : !pidAlive(w.pid)))
        || w.heartbeatAt < now - 2 * this.leaseMs)
      .map((w) => w.owner);
    const recovered = await this.store.recoverExpiredLeases(now, dead);
    await this.store.discardStaleDrafts(dead, now - 24 * 3600_000);
    await this.store.pruneEvents(now - this.eventRetentionMs, this.maxEventsPerJob);
    if (recovered > 0) {
      this.log('info', `background-jobs: recovered ${recovered} task(s) from stopped process(es)`);
      if (this.isStarted) await this.resumeJobs();
    }
    return recovered;
  }

  /** Start a runner for every IN_PROGRESS job this process can run, and fill free queue slots. */
  private async resumeJobs(): Promise<void> {
    if (!this.isStarted) return;
    for (const name of this.handlers.keys()) await this.promote(name);
    const jobs = await this.store.listRunnableJobs();
    for (const job of jobs) {
      if (job.jobId === null) continue;
      if (!this.handlers.has(job.handler)) {
        if (!this.waitingHandlersLogged.has(job.handler)) {
          this.waitingHandlersLogged.add(job.handler);
          this.log('warn', `background-jobs: job ${job.jobId} waits for its handler '${job.handler}': register it with registerTaskHandler({ jobHandlerName: '${job.handler}', ... }) and it starts.`);
        }
        continue;
      }
      this.startRunner(toRunnerJob(job));
    }
  }

  private async promote(handler: string, max?: number): Promise<JobRow[]> {
    const definition = this.handlers.get(handler);
    if (!definition || !this.isStarted) return [];
    // Every poll of every replica comes here: the locked count-then-promote only when a job waits.
    if (await this.store.countJobs(handler, 'QUEUED') === 0) return [];
    const promoted = await this.store.promoteQueued(handler, definition.concurrencyLimit ?? Infinity, this.changeEvents((job) => [{
      type: 'job:started', jobId: String(job.jobId), handler, startedBy: job.startedBy, name: job.name, createdAt: new Date(job.createdAt).toISOString(), progress: progressOf(job),
    }]), max);
    for (const job of promoted) this.startRunner(toRunnerJob(job));
    return promoted;
  }

  /**
   * Another replica's change, as the log follower reads it (on PostgreSQL woken by NOTIFY): a job
   * it started or retried starts here too, and one it cancelled stops here, at once rather than at
   * the next poll or heartbeat (which remain the safety net).
   */
  private onOtherProcessEvent(jobKey: number, event: EngineEvent): void {
    // Called for every event another replica writes, task events included: job events only.
    if (event.type === 'job:finished') {
      if (event.status === 'CANCELLED') void this.runners.get(jobKey)?.cancel();
      return;
    }
    if (event.type === 'task:deleted') {
      this.runners.get(jobKey)?.dropTask(event.taskIndex);
      return;
    }
    const runnable = event.type === 'job:started' || event.type === 'job:retried' || event.type === 'job:tasks-added'
      || (event.type === 'job:created' && event.status === 'IN_PROGRESS');
    if (!runnable || !this.isStarted || this.runners.has(jobKey) || !this.handlers.has(event.handler)) return;
    void this.track(this.store.getJobByKey(jobKey).then((job) => {
      if (job?.status === 'IN_PROGRESS' && job.jobId !== null) this.startRunner(toRunnerJob(job));
    }).catch((error) => this.log('error', `background-jobs: could not start job ${event.jobId} here: ${errorMessage(error)}`)));
  }

  private startRunner(job: RunnerJob): void {
    if (!this.isStarted) return;
    const existing = this.runners.get(job.jobKey);
    if (existing && !existing.isEnded) {
      existing.wake();
      return;
    }
    const definition = this.handlers.get(job.handler);
    if (!definition) return;
    const runner = new JobRunner(job, definition, this.store, this.hooks);
    this.runners.set(job.jobKey, runner);
    void runner.whenEnded.then(() => {
      if (this.runners.get(job.jobKey) === runner) this.runners.delete(job.jobKey);
    });
    runner.start();
  }

  private async onJobFinished(job: RunnerJob, counters: JobCounters): Promise<void> {
    // Its job:finished was logged (and published) with the flush that finished it.
    await this.promote(job.handler).catch((error) => this.log('error', `background-jobs: could not start queued jobs of '${job.handler}': ${errorMessage(error)}`));
    const onAllTasksDone = this.handlers.get(job.handler)?.onAllTasksDone;
    if (onAllTasksDone) {
      try {
        await onAllTasksDone({ jobId: job.jobId, failedTasks: counters.failed, succeededTasks: counters.done });
      } catch (error) {
        this.log('error', `background-jobs: onAllTasksDone of '${job.handler}' failed for job ${job.jobId}: ${errorMessage(error)}`);
      }
    }
  }
}

/**
 * The logger, made safe to call from a `.catch` handler: much of the engine's work is not awaited
 * by anyone (timers, a runner's flush, a job's closing), so a logger that threw there would end in
 * an unhandled rejection, which crashes the process (issue 17).
 */
function neverThrows(log: Logger): Logger {
  return (level, message) => {
    try {
      log(level, message);
    } catch {
      // nowhere left to report it
    }
  };
}

/** A retention option: a positive number of ms, or false (kept); names the option when it is neither. */
function retentionOption(value: number | false | undefined, fallback: number | false, name: string): number | false {
  if (value === undefined) return fallback;
  if (value === false) return false;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new JobsError('INVALID_INPUT', `${name} must be a positive number of milliseconds, or false to keep everything, got ${String(value)}`);
  }
  return value;
}

/** Checks a handler definition; throws an error that names the fix. */
export function validateHandlerDefinition(definition: TaskHandlerDefinition): void {
  const name = definition?.jobHandlerName;
  if (typeof name !== 'string' || name.length === 0) {
    throw new JobsError('INVALID_INPUT', 'registerTaskHandler needs a jobHandlerName (a non-empty string)');
  }
  if (typeof definition.handler !== 'function') {
    throw new JobsError('INVALID_INPUT', `registerTaskHandler({ jobHandlerName: '${name}' }) needs a handler function`);
  }
  for (const key of ['parallelLimit', 'concurrencyLimit', 'maxAttempts'] as const) {
    const value = definition[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1) && value !== Infinity) {
      throw new JobsError('INVALID_INPUT', `${key} of handler '${name}' must be an integer of at least 1, got ${value}`);
    }
  }
  if (definition.timeoutMs !== undefined && !(typeof definition.timeoutMs === 'number' && definition.timeoutMs > 0)) {
    throw new JobsError('INVALID_INPUT', `timeoutMs of handler '${name}' must be a positive number of milliseconds, got ${definition.timeoutMs}`);
  }
}

function toRunnerJob(job: JobRow): RunnerJob {
  return { jobKey: job.jobKey, jobId: String(job.jobId), handler: job.handler, name: job.name, startedBy: job.startedBy };
}

function countersOf(job: JobRow): { total: number; done: number; failed: number; cancelled: number } {
  return { total: job.total, done: job.done, failed: job.failed, cancelled: job.cancelled };
}
