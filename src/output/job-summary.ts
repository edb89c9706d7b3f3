/**
 * The one line that says how a job ended: what `tail` prints last, `tail --summary` prints alone,
 * and `wait` prints per job. A sentence for a person, or tab-separated full values when piped.
 */
import type { Job } from '../client/api-types.js';
import type { Colors } from './colors.js';
import { colorStatus, formatDuration, jobDuration, jobDurationMs } from './format.js';

/**
 * `Job 9b2d… finished DONE_WITH_ERRORS (4.1s): 39 done, 1 failed, 0 cancelled of 40.`
 * `followedMs` stands in for the duration when the job has no dates.
 */
export function summarySentence(job: Job, color: Colors, followedMs?: number): string {
  const { done, failed, cancelled, total } = job.tasks;
  const took = jobDuration(job) || (followedMs !== undefined ? formatDuration(followedMs) : '');
  return `Job ${job.id} finished ${colorStatus(job.status, color)}${took ? ` (${took})` : ''}: ${done} done, ${failed} failed, ${cancelled} cancelled of ${total}.`;
}

/** `<id>\t<status>\t<done>\t<failed>\t<cancelled>\t<total>\t<duration in ms>\t<finishedAt ISO>`, for `cut` and `awk`. */
export function summaryFields(job: Job): string {
  const { done, failed, cancelled, total } = job.tasks;
  return [job.id, job.status, done, failed, cancelled, total, jobDurationMs(job) ?? '', job.finishedAt ?? ''].join('\t');
}
