/**
 * `af-jobs retry <jobId>`: schedules a finished job's failed tasks again (`jobs/retry`), or its
 * unfinished ones (`--unfinished`: failed and cancelled), or chosen ones (`--task <n>`).
 * `--follow` then follows it as `tail` does, from the retry on, with tail's exit codes.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { currentPosition } from '../client/job-follower.js';
import { connect, type TargetOptions } from '../client/session.js';
import { printJson, printJsonLine } from '../output/format.js';
import { followJob, type FollowFlags } from './tail.js';

export interface RetryOptions extends TargetOptions, FollowFlags {
  jobId: string;
  unfinished?: boolean;
  task?: number[];
  follow?: boolean;
}

export async function run(opts: RetryOptions, ctx: Context): Promise<void> {
  if (opts.unfinished && opts.task?.length) throw new UsageError('--unfinished and --task contradict each other: pass one of them.');
  const scope = opts.task?.length ? [...new Set(opts.task)] : opts.unfinished ? 'unfinished' : 'failed';
  const session = await connect(opts, ctx);
  // Where the log ends before the retry: --follow prints from the retry on.
  const from = opts.follow ? await currentPosition(session.jobs, opts.jobId) : undefined;
  const result = await session.jobs.retry(opts.jobId, scope);
  if (!opts.follow) {
    if (ctx.output === 'json') printJson(ctx, result);
    else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
  }
  if (result.changed) ctx.info(ctx.color.green(result.message));
  else ctx.warn(ctx.color.yellow(result.message));
  if (!opts.follow) return;
  const job = await session.jobs.get(opts.jobId);
  await followJob(session, job, from!, opts, ctx);
}
