/**
 * The job and task state machines, written down once (docs/job-lifecycle.md mirrors this file).
 * Enforced: the store contract suites run every store call through `transitionChecked`
 * (test/plugin/store-helpers.ts), which fails any change of a job or task status not listed here.
 */

export const JOB_STATUSES = ['QUEUED', 'IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TASK_STATUSES = ['SCHEDULED', 'IN_PROGRESS', 'DONE', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Jobs that have ended: only `retryJob` moves them again. */
export const FINISHED_JOB_STATUSES: readonly JobStatus[] = ['DONE', 'DONE_WITH_ERRORS', 'CANCELLED'];
/** Jobs not ended: running or waiting for a slot. Tasks may be added or removed, and a cancel applies. */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['IN_PROGRESS', 'QUEUED'];
export const FINISHED_TASK_STATUSES: readonly TaskStatus[] = ['DONE', 'FAILED', 'CANCELLED'];
export const UNFINISHED_TASK_STATUSES: readonly TaskStatus[] = ['SCHEDULED', 'IN_PROGRESS'];

/**
 * The tasks `retryJob` puts back to SCHEDULED, by its scope: the failed ones (`failed`), the failed
 * and cancelled ones (`unfinished`), or the finished ones among those it names (`chosen`).
 */
export const RETRIED_TASK_STATUSES: Record<'failed' | 'unfinished' | 'chosen', readonly TaskStatus[]> = {
  failed: ['FAILED'],
  unfinished: ['FAILED', 'CANCELLED'],
  chosen: FINISHED_TASK_STATUSES,
};

/** Every job transition the engine makes, and why. */
export const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  // a concurrency slot of its handler frees up → IN_PROGRESS; cancel → CANCELLED
  QUEUED: ['IN_PROGRESS', 'CANCELLED'],
  // every task finished → DONE / DONE_WITH_ERRORS (any FAILED); cancel → CANCELLED
  IN_PROGRESS: ['DONE', 'DONE_WITH_ERRORS', 'CANCELLED'],
  // retry puts the chosen tasks back to SCHEDULED and the job back in line
  DONE: ['IN_PROGRESS', 'QUEUED'],
  DONE_WITH_ERRORS: ['IN_PROGRESS', 'QUEUED'],
  CANCELLED: ['IN_PROGRESS', 'QUEUED'],
};

/** Every task transition. IN_PROGRESS → SCHEDULED happens on a retry with backoff and when a lease is recovered. */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  SCHEDULED: ['IN_PROGRESS', 'CANCELLED'],
  IN_PROGRESS: ['DONE', 'FAILED', 'SCHEDULED', 'CANCELLED'],
  DONE: ['SCHEDULED'],
  FAILED: ['SCHEDULED'],
  CANCELLED: ['SCHEDULED'],
};

export function isFinishedJobStatus(status: string): boolean {
  return (FINISHED_JOB_STATUSES as readonly string[]).includes(status);
}

export function isActiveJobStatus(status: string): boolean {
  return (ACTIVE_JOB_STATUSES as readonly string[]).includes(status);
}

/**
 * Statuses as the inside of an SQL `IN (…)`: `'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'` (the stores'
 * queries; the statuses are plain words, nothing to escape).
 */
export function sqlInList(statuses: readonly (JobStatus | TaskStatus)[]): string {
  return statuses.map((status) => `'${status}'`).join(', ');
}
