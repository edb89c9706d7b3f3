/**
 * `af-jobs tail <jobId>`: follows a job until it finishes (client/job-follower.ts), printing one
 * line per task event (stdout), a progress bar with counts and rate (stderr, on a terminal), and
 * exits by the job's final status so CI can gate on it: 0 for DONE, JOB_FAILED (10) for
 * DONE_WITH_ERRORS, JOB_CANCELLED (11) for CANCELLED, TIMEOUT (12) after `--timeout`.
 */
import type { Context } from '../context.js';
import { JobOutcomeError, TimeoutError } from '../errors.js';
import { FINISHED_JOB_STATUSES, type JobDetails, type JobEvent } from '../client/api-types.js';
import { currentPosition, JobFollower, type LogPosition } from '../client/job-follower.js';
import { connect, type Session, type TargetOptions } from '../client/session.js';
import { colors } from '../output/colors.js';
import { humanLine, isPrinted, plainLine } from '../output/event-lines.js';
import { formatDuration, jobDuration, printJson, printJsonLine } from '../output/format.js';
import { ProgressBar } from '../output/progress-bar.js';

export interface FollowFlags {
  /** Also print task and job state changes. */
  states?: boolean;
  /** Milliseconds (parsed from `--timeout 10m`). */
  timeout?: number;
  /** Long-poll `jobs/events` only, no websocket. */
  poll?: boolean;
}

export interface TailOptions extends TargetOptions, FollowFlags {
  jobId: string;
  /** Only events from now on (default: replay what the app still holds, then follow). */
  new?: boolean;
}

export async function run(opts: TailOptions, ctx: Context): Promise<void> {
  const session = await connect(opts, ctx);
  const job = await session.jobs.get(opts.jobId);
  const from = opts.new ? await currentPosition(session.jobs, job.id) : { seq: 0, event: null };
  await followJob(session, job, from, opts, ctx);
}

/** Follows `job` from `from` until it finishes; resolves for DONE, throws the outcome otherwise. */
export async function followJob(session: Session, job: JobDetails, from: LogPosition, flags: FollowFlags, ctx: Context): Promise<void> {
  const { jobs } = session;
  const jsonl = ctx.output === 'jsonl';
  const plain = colors(false);
  const bar = new ProgressBar(ctx);
  const started = Date.now();
  bar.update(job.tasks);
  ctx.info(`Following job ${job.id} "${job.name}" (${job.handler}): ${job.status}, ${job.tasks.total} task(s).`);

  const resync = () => {
    void jobs.get(job.id).then((fresh) => bar.update(fresh.tasks), () => {});
  };
  const onEvent = (event: JobEvent) => {
    if (event.type === 'job:progress') {
      bar.update({ total: event.total ?? 0, done: event.done ?? 0, failed: event.failed ?? 0, cancelled: event.cancelled ?? 0 });
    }
    if (!isPrinted(event, { states: Boolean(flags.states), jsonl })) return;
    if (ctx.output === 'json') return;
    bar.print(() => {
      if (jsonl) printJsonLine(ctx, event);
      else ctx.stdout.write(`${ctx.stdoutIsTTY ? humanLine(event, ctx.color) : plainLine(event, plain)}\n`);
    });
  };

  const signal = flags.timeout ? AbortSignal.timeout(flags.timeout) : new AbortController().signal;
  let final: JobDetails;
  let position = from;
  for (;;) {
    const follower = new JobFollower({
      jobs,
      transport: ctx.transport,
      jobId: job.id,
      from: position,
      mode: flags.poll ? 'poll' : 'auto',
      signal,
      onEvent: (event) => {
        position = { seq: event.seq, event };
        onEvent(event);
      },
      onInfo: (message) => bar.print(() => ctx.info(ctx.color.dim(message))),
      onDebug: (message) => {
        if (ctx.verbose) bar.print(() => ctx.stderr.write(`${ctx.color.dim(message)}\n`));
      },
      onGap: (message) => {
        bar.print(() => ctx.warn(ctx.color.yellow(`Warning: ${message}`)));
        resync();
      },
    });
    try {
      await follower.run();
    } catch (error) {
      bar.clear();
      if (signal.aborted) {
        const now = await jobs.get(job.id).catch(() => job);
        const finished = now.tasks.done + now.tasks.failed + now.tasks.cancelled;
        throw new TimeoutError(`Job ${job.id} is still ${now.status} after ${formatDuration(flags.timeout ?? 0)} (${finished}/${now.tasks.total} tasks finished): stopped following; the job keeps running.`);
      }
      throw error;
    }
    final = await jobs.get(job.id);
    // A retry right after the end reopens the job: keep following.
    if (FINISHED_JOB_STATUSES.includes(final.status)) break;
  }
  bar.update(final.tasks);
  bar.clear();
  if (ctx.output === 'json') printJson(ctx, final);

  const { done, failed, cancelled, total } = final.tasks;
  const summary = `Job ${final.id} finished ${final.status} (${jobDuration(final) || formatDuration(Date.now() - started)}): ${done} done, ${failed} failed, ${cancelled} cancelled of ${total}.`;
  if (final.status === 'DONE') {
    ctx.info(ctx.color.green(summary));
    return;
  }
  const lastError = final.lastError ? ` Last error: ${final.lastError}` : '';
  throw new JobOutcomeError(final.status as 'DONE_WITH_ERRORS' | 'CANCELLED', `${summary}${final.status === 'DONE_WITH_ERRORS' ? lastError : ''}`);
}
