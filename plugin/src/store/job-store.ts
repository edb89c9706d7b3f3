/**
 * The storage contract of the engine. Every store (SQLite, PostgreSQL, MySQL) implements it over
 * plugin-owned tables and passes the same contract suite (test/plugin/store-contract.test.ts).
 *
 * Two keys name a job: `jobKey`, the store's own integer key, which exists from the first task
 * written, and `jobId`, the primary key of the row in the app's jobs resource, linked when the job
 * is activated. Tasks reference `jobKey`, so linking a 100,000-task job is one row update.
 */
import type { JobStatus, TaskStatus } from '../statuses.js';
import type { EngineEvent } from '../events.js';

export type StoreKind = 'sqlite' | 'postgres' | 'mysql' | 'memory';

export interface JobRow {
  jobKey: number;
  jobId: string | null;
  handler: string;
  name: string;
  status: JobStatus | 'DRAFT';
  startedBy: string | null;
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  /** JSON object: the job's state (`setJobStateField`). */
  state: Record<string, unknown>;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
  /**
   * The recurring schedule that started the job (schedule-store.ts): its name and tick (epoch
   * ms; null for a run now). Absent on a job started otherwise.
   */
  schedule?: JobSchedule | null;
}

/** Which schedule, and which of its ticks, started a job. */
export interface JobSchedule {
  name: string;
  /** The tick's time (epoch ms); null for a job started by "run now". */
  tick: number | null;
}

export interface TaskRow {
  index: number;
  status: TaskStatus;
  state: Record<string, unknown>;
  attempt: number;
  error: string | null;
}

export interface ClaimedTask {
  index: number;
  /** JSON text of the task state as stored. */
  state: string;
  /** 1 for the first run. */
  attempt: number;
}

export interface FinishedTask {
  index: number;
  status: 'DONE' | 'FAILED' | 'CANCELLED';
  error?: string | null;
}

export interface RescheduledTask {
  index: number;
  error: string;
  /** Epoch ms before which the task is not claimed again. */
  runAfter: number;
}

/** One group commit of a job runner: everything since the last one, in one transaction. */
export interface FlushInput {
  jobKey: number;
  owner: string;
  now: number;
  /** Latest state per task (JSON text), for tasks this owner holds. */
  states: Map<number, string>;
  finished: FinishedTask[];
  rescheduled: RescheduledTask[];
  /**
   * The most tasks to claim now; 0: claim none, and keep only the slots of running tasks (the
   * runner stops, or the job was cancelled). The store also caps the claim by the owner's slots
   * plus `ahead`, minus the tasks it holds.
   */
  claim: number;
  /** Tasks of this job that may run at once, across every process (the job's run slots). */
  parallelLimit: number;
  /**
   * Claim-ahead (default 0): the owner may lease up to its run slots plus `ahead` tasks; it runs
   * at most `FlushResult.slots` of them at once and starts the rest as slots free up (slots.ts).
   */
  ahead?: number;
  /** Tasks this owner is running right now (default: every task it holds); slots above it can be given back. */
  executing?: number;
  leaseMs: number;
  /**
   * Fair share across processes: a flush that wants tasks (`claim` > 0) records this owner's
   * interest in the job; interests younger than this count, and each owner's share of the run
   * slots is ceil(parallelLimit / interested owners) — so a second replica gets slots instead of
   * watching the first keep them all (slots.ts).
   */
  interestTtlMs: number;
  /** Last error to keep in the job (its state `error` and `lastError`). */
  lastError?: string | null;
  /**
   * Engine events describing this flush's writes (task:*), appended to the job's durable event
   * log in the same transaction as one batch row, with consecutive per-job sequence numbers (MySQL:
   * several consecutive rows when one would exceed the server's max_allowed_packet). Not written
   * when the job had already finished (DONE, DONE_WITH_ERRORS, CANCELLED) before this flush: no
   * task of a finished job is leased, so its writes change nothing, and its log ends with job:finished.
   */
  events?: EngineEvent[];
  /**
   * The job as events name it. With it, the flush that finishes the job (DONE or DONE_WITH_ERRORS)
   * also appends its `job:finished` event in the same transaction, after `events`.
   */
  job?: { jobId: string; handler: string; startedBy: string | null };
  /**
   * The handler has a `beforeJobFinish` hook: this flush does not finish the job even when its
   * last task ends (the counters then show every task finished while the status stays
   * IN_PROGRESS). The engine claims the finish (`claimFinish`), runs the hook, and `finishJob`s.
   */
  holdFinish?: boolean;
}

export interface JobCounters {
  status: JobStatus | 'DRAFT';
  total: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface FlushResult {
  claimed: ClaimedTask[];
  counters: JobCounters;
  /** True when this flush moved the job to DONE/DONE_WITH_ERRORS (exactly one flush does). */
  finishedJob: boolean;
  /** Earliest `runAfter` of a SCHEDULED task not yet due, when none was claimable. */
  nextRunAt: number | null;
  /** Tasks of the job IN_PROGRESS (leased) anywhere after this flush. */
  running: number;
  /** How many of its tasks this owner may run at once from now on (its run slots, slots.ts). */
  slots: number;
  /**
   * Sequence number of the last event written (`FlushInput.events`, then `finishedEvent`; they
   * got consecutive numbers ending here); null when none were written.
   */
  lastSeq?: number | null;
  /** The `job:finished` event this flush appended (it finished the job and `FlushInput.job` was given). */
  finishedEvent?: EngineEvent;
}

/** One row of `af_bj_events`: the events of one store write, numbered firstSeq … lastSeq. */
export interface EventBatch {
  jobKey: number;
  firstSeq: number;
  lastSeq: number;
  owner: string;
  at: number;
  events: EngineEvent[];
}

export interface EventRead {
  /** Batches holding events above `after`, oldest first. */
  batches: EventBatch[];
  /** The job's last sequence number (0: no event yet). */
  lastSeq: number;
  /** The oldest sequence number still kept (null: none kept). */
  oldestSeq: number | null;
}

/**
 * Job events a store method writes in the same transaction as the change they describe (issue 9:
 * no change without its event, no event for a change that was rolled back). They get the job's next
 * sequence numbers, as one row of its log; on PostgreSQL with the same NOTIFY as `appendEvents`.
 */
export interface ChangeEvents<T> {
  /** The writing engine's owner id, kept with the row (a process skips its own rows when following the log). */
  owner: string;
  /** Time kept with the row (epoch ms). */
  now: number;
  /**
   * The events, from what the transaction saw (`info`: the change's result). Called inside the
   * transaction, only when the change happens, and again if the store runs the transaction again
   * (deadlock): it must only compute. Throwing rolls the change back. No events: no row.
   */
  build(info: T): EngineEvent[];
  /**
   * Told after the commit what was written: `events` numbered lastSeq - events.length + 1 … lastSeq
   * (the signature of `EventStream.written`, which publishes them). Must not throw.
   */
  written(jobKey: number, lastSeq: number, events: EngineEvent[]): void;
}

/**
 * What `cancelJob` tells `ChangeEvents.build`: the cancelled job (its counters after the cancel)
 * and the indexes of the IN_PROGRESS tasks the cancel ended CANCELLED (ascending), whoever leased them.
 */
export type CancelInfo = JobRow & { cancelledRunning: number[] };

/** What `retryJob` tells `ChangeEvents.build`: the job after the retry and the number of tasks put back. */
export interface RetryInfo {
  job: JobRow;
  tasks: number;
}

/** What `addTasks` tells `ChangeEvents.build`, and returns: the job after the change and the tasks' indexes. */
export interface AddedTasks {
  job: JobRow;
  /** Index of the first added task (one more than the highest index the job had). */
  firstIndex: number;
  count: number;
}

/** What `deleteTask` tells `ChangeEvents.build`: the job after the change and the task removed. */
export interface DeletedTask {
  job: JobRow;
  index: number;
  /** The task's status when it was removed. */
  status: TaskStatus;
  /** Who leased it (IN_PROGRESS), else null. */
  leaseOwner: string | null;
}

/** The finish of a job claimed by one owner to run its `beforeJobFinish` (`claimFinish`). */
export interface FinishClaim {
  /** 1 for the first call of the hook on this job, one more for each call that completed. */
  attempt: number;
  counters: JobCounters;
}

export interface NewJob {
  handler: string;
  name: string;
  startedBy: string | null;
  state: Record<string, unknown>;
  owner: string;
  now: number;
  /**
   * The schedule and tick starting the job. Unique per (name, tick) among all jobs: a second
   * draft for the same tick is refused by the database (the draft insert throws).
   */
  schedule?: JobSchedule | null;
}

export interface WorkerInfo {
  owner: string;
  host: string;
  pid: number;
  heartbeatAt: number;
}

export interface JobStore {
  readonly kind: StoreKind;
  /** Create or upgrade the plugin-owned tables (numbered, idempotent, safe with two replicas). */
  migrate(): Promise<void>;

  /** A job in `DRAFT`: invisible to runners until activated. */
  createDraft(job: NewJob): Promise<number>;
  /** Append tasks (JSON states) to a draft, starting at `firstIndex`. */
  appendTasks(jobKey: number, firstIndex: number, states: string[]): Promise<void>;
  /**
   * Link the draft to its resource row and make it runnable; `events` (job:created) are built from
   * the activated row and written with it. A job no longer in DRAFT is left alone, without events.
   */
  activateDraft(jobKey: number, jobId: string, status: 'IN_PROGRESS' | 'QUEUED', total: number, events?: ChangeEvents<JobRow>): Promise<void>;
  /** Remove a draft and its tasks (creation failed). */
  discardDraft(jobKey: number): Promise<void>;

  getJob(jobId: string): Promise<JobRow | null>;
  /** The jobs of these ids that exist, in one query (a page of jobs/list). */
  getJobs(jobIds: string[]): Promise<JobRow[]>;
  getJobByKey(jobKey: number): Promise<JobRow | null>;
  /** Jobs this process may run: IN_PROGRESS ones. */
  listRunnableJobs(): Promise<JobRow[]>;
  countJobs(handler: string, status: JobStatus): Promise<number>;
  /**
   * Move the oldest QUEUED jobs of a handler to IN_PROGRESS while fewer than `limit` run; `events`
   * (job:started) are built from each promoted row and written, one row per job, in the same
   * transaction. `max`: promote at most that many (default: as many as the limit allows).
   */
  promoteQueued(handler: string, limit: number, events?: ChangeEvents<JobRow>, max?: number): Promise<JobRow[]>;

  flush(input: FlushInput): Promise<FlushResult>;
  getTasks(jobKey: number, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }>;
  getTaskCounts(jobKey: number): Promise<Record<TaskStatus, number>>;

  /**
   * Read-modify-write of the job's state, atomic against every other writer. Returns the new state;
   * `events` (job:state) are built from it and written with it.
   */
  updateJobState(
    jobKey: number, mutate: (state: Record<string, unknown>) => Record<string, unknown>, events?: ChangeEvents<Record<string, unknown>>,
  ): Promise<Record<string, unknown>>;

  /**
   * Cancel: job → CANCELLED, SCHEDULED and IN_PROGRESS tasks → CANCELLED (leases dropped, whoever
   * held them; all counted in `cancelled`). False when the job had already finished. The owners'
   * later outcomes for those tasks change nothing: a flush writes only tasks it still leases.
   * `events` (the running tasks' task:cancelled, then job:finished) are built from the cancelled row
   * (its counters after the cancel) and the running tasks it cancelled, and written with it, only
   * when this call cancelled the job.
   */
  cancelJob(jobKey: number, now: number, events?: ChangeEvents<CancelInfo>): Promise<{ changed: boolean; status: JobStatus | 'DRAFT' }>;
  /**
   * Retry: chosen finished tasks → SCHEDULED, job → `status` (when some task is SCHEDULED then).
   * Returns the number of tasks rescheduled. `events` (job:retried) are built from the job after the
   * retry and written with it, only when the job was moved.
   */
  retryJob(
    jobKey: number, scope: 'failed' | 'unfinished' | number[], status: 'IN_PROGRESS' | 'QUEUED', events?: ChangeEvents<RetryInfo>,
  ): Promise<number>;
  /** Remove a job, its tasks, events and interest (tasks in one statement: purge big jobs first, `purgeTasks`). */
  deleteJob(jobKey: number): Promise<void>;

  /**
   * Retention: keys of finished jobs (DONE, DONE_WITH_ERRORS, CANCELLED) finished before
   * `finishedBefore` whose tasks are not purged yet, oldest first, at most `limit` (an index on
   * (tasks_purged_at, finished_at): no scan of jobs purged before).
   */
  jobsToPurge(finishedBefore: number, limit: number): Promise<number[]>;
  /**
   * Delete at most `limit` task rows of a finished job, lowest indexes first, in one short
   * transaction; when none is left, mark the job's tasks purged (`now`). Returns the rows deleted;
   * 0 for a job that is not finished (retried meanwhile) or gone. The job keeps its counters; its
   * task list (getTasks) is then empty with total 0.
   */
  purgeTasks(jobKey: number, limit: number, now: number): Promise<number>;
  /** Retention: finished jobs finished before `finishedBefore`, oldest first, at most `limit`. */
  jobsToDelete(finishedBefore: number, limit: number): Promise<{ jobKey: number; jobId: string | null }[]>;

  /**
   * Append tasks (JSON states) to an IN_PROGRESS or QUEUED job, after its highest index, in one
   * transaction that reads the job's status under its lock: a job that finishes at the same time
   * either gets them before its last flush (and does not finish) or refuses them. `total` grows by
   * their number. `{ status }` when the job is in another status (nothing written), null when it
   * does not exist. `events` are built from the job after the change.
   */
  addTasks(jobKey: number, states: string[], events?: ChangeEvents<AddedTasks>): Promise<AddedTasks | { status: JobStatus | 'DRAFT' } | null>;
  /**
   * Remove one task of an IN_PROGRESS or QUEUED job, whatever its status: a SCHEDULED one never
   * runs, an IN_PROGRESS one's lease goes with it (its owner's outcome then changes nothing), a
   * finished one leaves its counter. `total` shrinks by one; other tasks keep their indexes. The
   * job is not finished here even if no task is left to run (the engine's `finishJob` does it).
   * `{ status }` when the job is in another status, `'no-task'` when it has no such task, null
   * when it does not exist.
   */
  deleteTask(jobKey: number, index: number, events?: ChangeEvents<DeletedTask>): Promise<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null>;
  /**
   * Claim the finish of an IN_PROGRESS job whose every task has finished, to run its
   * `beforeJobFinish`: taken when nobody holds it or the holder's claim expired (`until`), so one
   * owner runs the hook at a time, across replicas; null otherwise.
   */
  claimFinish(jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null>;
  /** Extend this owner's finish claim (a long hook); false when it does not hold it any more. */
  renewFinish(jobKey: number, owner: string, until: number): Promise<boolean>;
  /**
   * Finish an IN_PROGRESS job whose every task has finished: DONE, or DONE_WITH_ERRORS when one
   * failed, `finishedAt` = now; `events` (job:finished) built from the finished row. With
   * `attempt`, only by the owner holding the finish claim: the claim is released and the attempt
   * recorded whether or not the job finishes (the hook added tasks: it stays IN_PROGRESS). Without
   * it, only when no live claim is held. `finished` says whether this call finished the job.
   */
  finishJob(
    jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>,
  ): Promise<{ finished: boolean; job: JobRow | null }>;

  /**
   * A named lock across processes (`updateJobFieldsAtomically`), held until `expiresAt` unless
   * renewed or released: taken when free, expired, or already this owner's. True when taken.
   */
  acquireLock(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Extend a lock this owner holds; false when it does not hold it any more. */
  renewLock(name: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Give up a lock this owner holds (nothing when it does not). */
  releaseLock(name: string, owner: string): Promise<void>;

  heartbeat(worker: WorkerInfo, leaseMs: number): Promise<void>;
  listWorkers(): Promise<WorkerInfo[]>;
  /**
   * Put back to SCHEDULED every IN_PROGRESS task whose lease expired or whose owner is in
   * `deadOwners`; finish claims (`claimFinish`) of dead owners end too, so another owner runs the hook again.
   */
  recoverExpiredLeases(now: number, deadOwners: string[]): Promise<number>;
  /** Give up this owner's leases at once (graceful stop), and forget the worker. */
  releaseOwner(owner: string): Promise<void>;
  /** Drafts left by dead owners (creation interrupted by a crash). */
  discardStaleDrafts(deadOwners: string[], olderThan: number): Promise<number>;

  /**
   * The durable event log (issue 9). Appends one batch of events to the job's log in its own
   * transaction and returns the batch's last sequence number (null: the job is gone). For reports
   * that change nothing (job:progress); events of a change go with it (`ChangeEvents`, the flush).
   */
  appendEvents(jobKey: number, owner: string, now: number, events: EngineEvent[]): Promise<number | null>;
  /** Batches of the job with events above `after`, at most `limit` rows. */
  readEvents(jobKey: number, after: number, limit: number): Promise<EventRead>;
  /** Last sequence numbers of the jobs that have events and are unfinished or finished at/after `finishedSince`. */
  eventCursors(finishedSince: number): Promise<{ jobKey: number; lastSeq: number }[]>;
  /** Retention: drop events of jobs finished before `finishedBefore`, and events more than `maxPerJob` behind a job's last. */
  pruneEvents(finishedBefore: number, maxPerJob: number): Promise<number>;
  /**
   * Optional push of new events (PostgreSQL: LISTEN af_bj_events): `onEvents(jobKey, lastSeq, owner)`
   * for every batch any process commits. Returns the function that stops listening.
   */
  listenEvents?(onEvents: (jobKey: number, lastSeq: number, owner: string) => void): Promise<() => Promise<void>>;
}
