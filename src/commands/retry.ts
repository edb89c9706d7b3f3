/**
 * `af-jobs retry <jobId...>`: schedules finished jobs' failed tasks again (`jobs/retry`), or their
 * unfinished ones (`--unfinished`: failed and cancelled), or chosen ones of one job
 * (`--task <n>`). Several ids, or the selectors (`--status --handler --since --mine
 * --started-by`): listed and confirmed on a terminal, `--yes` required without one, `--dry-run`
 * only lists them (bulk-action.ts). `--follow` (one job) then follows it as `tail` does, from the
 * retry on, with tail's exit codes.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { currentPosition } from '../client/job-follower.js';
import { hasSelectors, type Selectors } from '../client/job-selection.js';
import { connect } from '../client/session.js';
import { checkTargets, jobIds, runBulk } from '../bulk-action.js';
import { printJson, printJsonLine } from '../output/format.js';
import { followJob, type FollowFlags } from '../follow-job.js';

export interface RetryOptions extends FollowFlags, Selectors {
  /** One id, or several (`<jobId...>`). */
  jobId?: string | string[];
  unfinished?: boolean;
  task?: number[];
  follow?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export async function run(opts: RetryOptions, ctx: Context): Promise<void> {
  if (opts.unfinished && opts.task?.length) throw new UsageError('--unfinished and --task contradict each other: pass one of them.');
  const scope = opts.task?.length ? [...new Set(opts.task)] : opts.unfinished ? 'unfinished' : 'failed';
  const ids = jobIds(opts.jobId);
  checkTargets('retry', ids, opts);
  if (ids.length !== 1 || hasSelectors(opts) || opts.dryRun) {
    if (opts.task?.length) throw new UsageError('--task picks tasks of one job: pass one job id with it (and no selectors or --dry-run).');
    if (opts.follow) throw new UsageError('--follow follows one job: pass one job id, or drop --follow and use af-jobs tail <jobId> on each.');
    const session = await connect(ctx);
    // Without --status: the jobs that have something to retry in this scope.
    const defaultStatuses = opts.unfinished ? ['DONE_WITH_ERRORS', 'CANCELLED'] : ['DONE_WITH_ERRORS'];
    return runBulk(session, ids, opts, { command: 'retry', done: 'retried', defaultStatuses, act: (jobId) => session.jobs.retry(jobId, scope) }, ctx);
  }
  const jobId = ids[0]!;
  const session = await connect(ctx);
  // Where the log ends before the retry: --follow prints from the retry on.
  const from = opts.follow ? await currentPosition(session.jobs, jobId) : undefined;
  const result = await session.jobs.retry(jobId, scope);
  if (!opts.follow) {
    if (ctx.output === 'json') printJson(ctx, result);
    else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
  }
  if (result.changed) ctx.info(ctx.color.green(result.message));
  else ctx.warn(ctx.color.yellow(result.message));
  if (!opts.follow) return;
  const job = await session.jobs.get(jobId);
  await followJob(session, job, from!, opts, ctx);
}
