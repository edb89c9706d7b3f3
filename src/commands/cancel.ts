/**
 * `af-jobs cancel <jobId>`: cancels a job (`jobs/cancel`): running tasks' signals abort, scheduled
 * tasks become CANCELLED. Asks first on a terminal unless `--yes` (without a terminal it never
 * asks: cancelling is safe to repeat and only stops work). `--wait` returns once no task of the
 * job is running any more.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { TimeoutError } from '../errors.js';
import { connect, type TargetOptions } from '../client/session.js';
import { formatDuration, printJson, printJsonLine } from '../output/format.js';

export interface CancelOptions extends TargetOptions {
  jobId: string;
  yes?: boolean;
  wait?: boolean;
  /** Milliseconds, for `--wait`. */
  timeout?: number;
}

const POLL_MS = [100, 200, 400, 800, 1000];

export async function run(opts: CancelOptions, ctx: Context): Promise<void> {
  const { jobs } = await connect(opts, ctx);
  if (ctx.isTTY && !opts.yes) {
    const job = await jobs.get(opts.jobId);
    const finished = job.tasks.done + job.tasks.failed + job.tasks.cancelled;
    const ok = await ctx.prompts.confirm({
      message: `Cancel job ${job.id} "${job.name}" (${job.status}, ${finished}/${job.tasks.total} tasks finished)?`,
      default: false,
    });
    if (!ok) {
      ctx.info('Nothing was cancelled.');
      return;
    }
  }
  const result = await jobs.cancel(opts.jobId);
  if (!opts.wait) {
    if (ctx.output === 'json') printJson(ctx, result);
    else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
    ctx.info(result.changed ? ctx.color.yellow(result.message) : result.message);
    return;
  }
  ctx.info(result.changed ? ctx.color.yellow(result.message) : result.message);
  const deadline = opts.timeout ? Date.now() + opts.timeout : Infinity;
  for (let attempt = 0; ; attempt++) {
    const job = await jobs.get(opts.jobId);
    if (job.taskCounts.IN_PROGRESS === 0) {
      if (ctx.output === 'json') printJson(ctx, job);
      else if (ctx.output === 'jsonl') printJsonLine(ctx, job);
      ctx.info(`No task of job ${job.id} is running any more (${job.status}: ${job.tasks.done} done, ${job.tasks.failed} failed, ${job.tasks.cancelled} cancelled).`);
      return;
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError(`Job ${job.id} still has ${job.taskCounts.IN_PROGRESS} running task(s) after ${formatDuration(opts.timeout!)}: they stop when their handlers honour the abort signal.`);
    }
    await sleep(Math.min(POLL_MS[Math.min(attempt, POLL_MS.length - 1)]!, Math.max(0, deadline - Date.now())));
  }
}
