/** A job's progress, as every view of it (resource row, events, HTTP API, admin UI, CLI) shows it. */
import type { JobRow } from '../store/job-store.js';

/**
 * 0–100: the tasks that ran to an end (done or failed) over all tasks — so a job cancelled after
 * 40 of 100 stays at 40 (issue 18: it said 100), as the official plugin leaves it. A job that
 * finished (DONE, DONE_WITH_ERRORS) is 100; one that is not never is.
 */
export function progressOf(job: Pick<JobRow, 'total' | 'done' | 'failed' | 'cancelled'> & { status?: JobRow['status'] }): number {
  if (job.status === 'DONE' || job.status === 'DONE_WITH_ERRORS') return 100;
  if (job.total === 0) return job.status === 'CANCELLED' ? 0 : 100;
  const ran = job.done + job.failed;
  return Math.min(99, Math.floor((ran / job.total) * 100));
}
