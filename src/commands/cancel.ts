/**
 * `af-jobs cancel <jobId...>`: cancels jobs (`jobs/cancel`): running tasks' signals abort,
 * scheduled tasks become CANCELLED. One id: asks first on a terminal unless `--yes` (without a
 * terminal it never asks: cancelling is safe to repeat and only stops work). Several ids, or the
 * selectors (`--status --handler --since --mine --started-by`): listed and confirmed on a
 * terminal, `--yes` required without one, `--dry-run` only lists them (bulk-action.ts). `--wait`
 * returns once no task of the job(s) is running any more.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { TimeoutError } from '../errors.js';
import type { JobsApi } from '../client/jobs-api.js';
import { hasSelectors, type Selectors } from '../client/job-selection.js';
import { connect } from '../client/session.js';
import { checkTargets, jobIds, runBulk } from '../bulk-action.js';
import { formatDuration, printJson, printJsonLine } from '../output/format.js';

export interface CancelOptions extends Selectors {
  /** One id, or several (`<jobId...>`). */
  jobId?: string | string[];
  yes?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  /** Milliseconds, for `--wait`. */
  timeout?: number;
}

/** Without `--status`, selectors pick the jobs that can be cancelled. */
const CANCELLABLE = ['QUEUED', 'IN_PROGRESS'] as const;

const POLL_MS = [100, 200, 400, 800, 1000];

export async function run(opts: CancelOptions, ctx: Context): Promise<void> {
  const ids = jobIds(opts.jobId);
  checkTargets('cancel', ids, opts);
  if (ids.length === 1 && !hasSelectors(opts) && !opts.dryRun) return cancelOne(ids[0]!, opts, ctx);
  const session = await connect(ctx);
  await runBulk(session, ids, opts, {
    command: 'cancel',
    done: 'cancelled',
    defaultStatuses: CANCELLABLE,
    act: (jobId) => session.jobs.cancel(jobId),
    after: opts.wait ? async (results) => {
      const deadline = opts.timeout ? Date.now() + opts.timeout : Infinity;
      for (const result of results) await waitUntilStopped(session.jobs, result.jobId, deadline, opts.timeout, ctx);
    } : undefined,
  }, ctx);
}

async function cancelOne(jobId: string, opts: CancelOptions, ctx: Context): Promise<void> {
  const { jobs } = await connect(ctx);
  if (ctx.isTTY && !opts.yes) {
    const job = await jobs.get(jobId);
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
  const result = await jobs.cancel(jobId);
  if (!opts.wait) {
    if (ctx.output === 'json') printJson(ctx, result);
    else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
    ctx.info(result.changed ? ctx.color.yellow(result.message) : result.message);
    return;
  }
  ctx.info(result.changed ? ctx.color.yellow(result.message) : result.message);
  const job = await waitUntilStopped(jobs, jobId, opts.timeout ? Date.now() + opts.timeout : Infinity, opts.timeout, ctx);
  if (ctx.output === 'json') printJson(ctx, job);
  else if (ctx.output === 'jsonl') printJsonLine(ctx, job);
}

/** Polls the job until no task of it runs (`--wait`); a TimeoutError at `deadline`. */
async function waitUntilStopped(jobs: JobsApi, jobId: string, deadline: number, timeout: number | undefined, ctx: Context) {
  for (let attempt = 0; ; attempt++) {
    const job = await jobs.get(jobId);
    if (job.taskCounts.IN_PROGRESS === 0) {
      ctx.info(`No task of job ${job.id} is running any more (${job.status}: ${job.tasks.done} done, ${job.tasks.failed} failed, ${job.tasks.cancelled} cancelled).`);
      return job;
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError(`Job ${job.id} still has ${job.taskCounts.IN_PROGRESS} running task(s) after ${formatDuration(timeout!)}: they stop when their handlers honour the abort signal.`);
    }
    await sleep(Math.min(POLL_MS[Math.min(attempt, POLL_MS.length - 1)]!, Math.max(0, deadline - Date.now())));
  }
}
