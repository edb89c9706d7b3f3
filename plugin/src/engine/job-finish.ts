/**
 * Closing a job whose every task has finished. Without a `beforeJobFinish` hook the flush that
 * ends the last task does it in its own transaction (job-runner.ts); this covers the rest:
 *
 * - **With the hook** (the official plugin's `beforeJobFinish`): the runner's flushes hold the
 *   finish (`FlushInput.holdFinish`). One owner claims it (`claimFinish`, across replicas), runs
 *   the hook with `finishAttemptNumber` — 1, then one more after each call whose tasks it added
 *   ran — renewing its claim while the hook runs, and `finishJob`s: the job ends DONE or
 *   DONE_WITH_ERRORS, or, when the hook added tasks, stays IN_PROGRESS and they run; the hook is
 *   called again after them. A process that dies during the hook loses its claim (lease expiry, or
 *   at once in the recovery pass), and another runs the hook again with the same attempt number:
 *   at least once per attempt, never two at a time.
 * - **A job left with nothing to run** (`deleteTasksFromExistingJob` removed its last unfinished
 *   task): `finishJob` without a claim.
 */
import type { ChangeEvents, JobCounters, JobRow, JobStore } from '../store/job-store.js';
import type { EngineEvent } from '../events.js';
import { finishedEventOf } from '../store/event-batches.js';
import { errorMessage } from '../errors.js';
import type { TaskHandlerDefinition } from '../types.js';
import type { Logger, RunnerJob } from './engine-types.js';

export interface FinishDeps {
  store: JobStore;
  owner: string;
  leaseMs: number;
  log: Logger;
  changeEvents<T>(build: (info: T) => EngineEvent[]): ChangeEvents<T>;
  /** The job finished: queue promotion, onAllTasksDone. */
  finished(job: RunnerJob, counters: JobCounters): Promise<void>;
  /** The hook added tasks: run them here. */
  reopened(job: RunnerJob): void;
}

/** job:finished of a job `finishJob` closed, from its row after the change. */
function finishedEvent(job: RunnerJob, row: JobRow): EngineEvent[] {
  return [finishedEventOf(job, row.status, row.finishedAt ?? Date.now(), row.failed, row.lastError)];
}

export async function closeFinishedJob(deps: FinishDeps, job: RunnerJob, definition: TaskHandlerDefinition | undefined): Promise<void> {
  const { store, owner, leaseMs } = deps;
  const hook = definition?.beforeJobFinish;
  if (!hook) {
    const result = await store.finishJob(job.jobKey, owner, Date.now(), null, deps.changeEvents((row: JobRow) => finishedEvent(job, row)));
    if (result.finished && result.job) await deps.finished(job, result.job);
    return;
  }
  const claim = await store.claimFinish(job.jobKey, owner, Date.now(), leaseMs);
  // Another process runs the hook, or the job is no longer complete (tasks were added, a cancel).
  if (!claim) return;
  const renew = setInterval(() => {
    store.renewFinish(job.jobKey, owner, Date.now() + leaseMs).then((still) => {
      if (!still) deps.log('warn', `background-jobs: beforeJobFinish of job ${job.jobId} ran longer than its claim (${leaseMs} ms, leaseMs): another replica may run it again`);
    }, (error) => deps.log('error', `background-jobs: could not renew the finish claim of job ${job.jobId}: ${errorMessage(error)}`));
  }, Math.max(50, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    await hook({ jobId: job.jobId, failedTasks: claim.counters.failed, succeededTasks: claim.counters.done, finishAttemptNumber: claim.attempt });
  } catch (error) {
    // As the official plugin: the job finishes anyway.
    deps.log('error', `background-jobs: beforeJobFinish of '${job.handler}' failed for job ${job.jobId} (attempt ${claim.attempt}): ${errorMessage(error)}`);
  } finally {
    clearInterval(renew);
  }
  const result = await store.finishJob(job.jobKey, owner, Date.now(), claim.attempt, deps.changeEvents((row: JobRow) => finishedEvent(job, row)));
  if (result.finished && result.job) await deps.finished(job, result.job);
  else if (result.job?.status === 'IN_PROGRESS') deps.reopened(job);
}
