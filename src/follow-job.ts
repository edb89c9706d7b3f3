/**
 * Following one job until it finishes, as `tail <jobId>` and `retry <jobId> --follow` do: the
 * progress bar (stderr, on a terminal), the job's own events and — with `--events`, or on a job of
 * at most 20 tasks — one line per task event (stdout), Ctrl-C and `--timeout`, and the outcome as
 * CI gates on it: resolves for DONE, throws JobOutcomeError for DONE_WITH_ERRORS (exit 10) and
 * CANCELLED (exit 11), TimeoutError (12), InterruptedError (130; the job keeps running).
 * The events come from client/job-follower.ts; this module decides what to print of them.
 */
import type { Context } from './context.js';
import { InterruptedError, JobOutcomeError, TimeoutError } from './errors.js';
import { FINISHED_JOB_STATUSES, type JobDetails, type JobEvent } from './client/api-types.js';
import { JobFollower, type LogPosition } from './client/job-follower.js';
import type { JobsApi } from './client/jobs-api.js';
import type { Session } from './client/session.js';
import { colors } from './output/colors.js';
import { humanLine, isPrinted, plainLine } from './output/event-lines.js';
import { formatDuration, printJson, printJsonLine } from './output/format.js';
import { summaryFields, summarySentence } from './output/job-summary.js';
import { ProgressBar } from './output/progress-bar.js';

/** Jobs of at most this many tasks print their task events without `--events`. */
const SMALL_JOB_TASKS = 20;

export interface FollowFlags {
  /** Also print task and job state changes. */
  states?: boolean;
  /** Milliseconds (parsed from `--timeout 10m`). */
  timeout?: number;
  /** Long-poll `jobs/events` only, no websocket. */
  poll?: boolean;
  /** One line per task event (`--events`); `false` with `--no-events`; unset: only on small jobs. */
  events?: boolean;
  /** Print nothing while following, then only the final summary on stdout (for scripts). */
  summary?: boolean;
}

/**
 * The newest event number in the job's log: events up to it are history (tail prints them, but
 * the bar starts from the job's counts read after it), later ones are live.
 */
async function logHead(jobs: JobsApi, jobId: string): Promise<number> {
  const page = await jobs.events(jobId, { after: 0, timeoutMs: 0, limit: 1 });
  return page.lastSeq;
}

/** Follows `job` from `from` until it finishes; resolves for DONE, throws the outcome otherwise. */
export async function followJob(session: Session, job: JobDetails, from: LogPosition, flags: FollowFlags, ctx: Context): Promise<void> {
  const { jobs } = session;
  const jsonl = ctx.output === 'jsonl';
  const text = ctx.output === 'table';
  // -q and --summary: nothing while following, only the result (docs/cli.md "tail").
  const silent = Boolean(flags.summary) || (text && ctx.quiet);
  const plain = colors(false);
  const bar = new ProgressBar(ctx, { enabled: !silent && ctx.output !== 'json' });
  const started = Date.now();

  const stop = new AbortController();
  const removeInterruptHandler = ctx.onInterrupt(() => stop.abort());
  try {
    const head = Math.max(from.seq, await logHead(jobs, job.id));
    const seed = await jobs.get(job.id);
    const tasks = flags.events ?? seed.tasks.total <= SMALL_JOB_TASKS;
    if (!silent) ctx.info(`Following job ${job.id} "${job.name}" (${job.handler}): ${seed.status}, ${seed.tasks.total} task(s).`);
    bar.reset(seed.tasks);

    const resync = () => {
      void jobs.get(job.id).then((fresh) => bar.reset(fresh.tasks), () => {});
    };
    const onEvent = (event: JobEvent) => {
      if (event.seq > head) {
        if (event.type === 'job:progress') {
          bar.advance({ total: event.total ?? 0, done: event.done ?? 0, failed: event.failed ?? 0, cancelled: event.cancelled ?? 0 });
        } else if (event.type === 'job:retried' || event.type === 'job:tasks-added') {
          bar.expectRebase();
        }
      }
      if (silent || ctx.output === 'json') return;
      if (!isPrinted(event, { states: Boolean(flags.states), jsonl, tasks })) return;
      bar.print(() => {
        if (jsonl) printJsonLine(ctx, event);
        else ctx.stdout.write(`${ctx.stdoutIsTTY ? humanLine(event, ctx.color) : plainLine(event, plain)}\n`);
      });
    };

    const timeout = flags.timeout ? AbortSignal.timeout(flags.timeout) : undefined;
    const signal = timeout ? AbortSignal.any([timeout, stop.signal]) : stop.signal;
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
        onInfo: (message) => {
          if (!silent) bar.print(() => ctx.info(ctx.color.dim(message)));
        },
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
        if (stop.signal.aborted) {
          throw new InterruptedError(`job ${job.id} keeps running; af-jobs tail ${job.id} to follow again`, { cause: error });
        }
        if (timeout?.aborted) {
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
    // The last frame shows the counts the summary below gives.
    bar.finish(final.tasks);
    report(final, flags, ctx, Date.now() - started);
  } finally {
    removeInterruptHandler();
    bar.clear();
  }
}

/** Prints how the job ended (by the output mode) and throws its outcome unless it is DONE. */
function report(final: JobDetails, flags: FollowFlags, ctx: Context, followedMs: number): void {
  if (ctx.output === 'json') printJson(ctx, final);
  else if (ctx.output === 'jsonl' && flags.summary) printJsonLine(ctx, final);
  else if (flags.summary) ctx.stdout.write(`${ctx.stdoutIsTTY ? summarySentence(final, ctx.color, followedMs) : summaryFields(final)}\n`);

  if (final.status === 'DONE') {
    // The result line, also with -q (it is all -q leaves); with --summary it went to stdout.
    if (!flags.summary) ctx.warn(ctx.color.green(summarySentence(final, colors(false), followedMs)));
    return;
  }
  const sentence = summarySentence(final, colors(false), followedMs);
  const more = final.status === 'DONE_WITH_ERRORS'
    ? `${final.lastError ? ` Last error: ${final.lastError.replace(/\.$/, '')}.` : ''} The failed tasks: af-jobs show ${final.id} --task-status failed`
    : '';
  throw new JobOutcomeError(final.status as 'DONE_WITH_ERRORS' | 'CANCELLED', `${sentence}${more}`);
}
