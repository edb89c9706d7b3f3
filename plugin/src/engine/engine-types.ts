import type { JobCounters } from '../store/job-store.js';
import type { EventStream } from './event-stream.js';

/** What a runner knows of its job. */
export interface RunnerJob {
  jobKey: number;
  jobId: string;
  handler: string;
  name: string;
  startedBy: string | null;
}

/** Job-state access shared by every task of a job (atomic in the store). */
export interface JobStateAccess {
  set(job: RunnerJob, field: string, value: unknown): Promise<void>;
  get(job: RunnerJob): Promise<Record<string, any>>;
}

import type { Logger } from './logger.js';

export type { LogLevel, Logger } from './logger.js';

/** What the engine gives each of its runners. */
export interface JobEngineHooks {
  owner: string;
  leaseMs: number;
  pollMs: number;
  progressIntervalMs: number;
  /** Most tasks a runner leases beyond `parallelLimit` (claim-ahead, job-runner.ts); 0 turns it off. */
  maxClaimAhead: number;
  /** Most bytes of JSON a task's state may hold (`maxTaskStateBytes`). */
  maxStateBytes: number;
  jobState: JobStateAccess;
  log: Logger;
  onJobFinished(job: RunnerJob, counters: JobCounters): Promise<void>;
  /**
   * Every task of the job has finished but the job is still IN_PROGRESS (its handler's
   * beforeJobFinish holds the finish, or a task was deleted): close it (job-finish.ts). The runner ends.
   */
  onAllTasksFinished(job: RunnerJob): void;
  /** Records a task's final error in the job's state; resolves when written (never rejects). */
  onTaskFailed(job: RunnerJob, error: string): Promise<void>;
  /** The durable event log of this process (event-stream.ts). */
  events: EventStream;
}
