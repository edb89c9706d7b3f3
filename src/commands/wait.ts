/**
 * `af-jobs wait <jobId…>`: waits until the jobs finish, for scripts: no bar, no events, one line
 * per job as it finishes, and tail's exit codes — the worst of the jobs' (0 DONE < 10
 * DONE_WITH_ERRORS < 11 CANCELLED < 12 timeout). `--for done` stops at the first job that
 * finishes other than DONE, since "all DONE" can no longer come true.
 *
 * Each job is followed by a JobFollower (websocket, long-poll fallback) started at the end of its
 * event log: wait needs only to learn that the job finished, not its history.
 */
import type { Context } from '../context.js';
import { InterruptedError, JobOutcomeError, TimeoutError, UsageError } from '../errors.js';
import { FINISHED_JOB_STATUSES, type JobDetails } from '../client/api-types.js';
import { JobFollower } from '../client/job-follower.js';
import type { JobsApi } from '../client/jobs-api.js';
import { connect } from '../client/session.js';
import { colors } from '../output/colors.js';
import { formatDuration, printJson, printJsonLine } from '../output/format.js';
import { summaryFields, summarySentence } from '../output/job-summary.js';

export interface WaitOptions {
  /** The ids (`<jobId...>`). */
  jobId: string[];
  /** `finished` (default): every job finished, whatever its status; `done`: every job DONE. */
  for?: 'done' | 'finished';
  /** Milliseconds (parsed from `--timeout 10m`). */
  timeout?: number;
  /** Long-poll `jobs/events` only, no websocket. */
  poll?: boolean;
}

/** The exit code tail gives a job that ended so. */
const OUTCOME_CODE: Record<string, number> = { DONE: 0, DONE_WITH_ERRORS: 10, CANCELLED: 11 };

const isFinished = (job: JobDetails) => FINISHED_JOB_STATUSES.includes(job.status);

export async function run(opts: WaitOptions, ctx: Context): Promise<void> {
  const ids = [...new Set(opts.jobId)];
  if (ids.length === 0) throw new UsageError('Give at least one job id: af-jobs wait <jobId…> (ids from af-jobs list).');
  const { jobs } = await connect(ctx);
  // Every id is checked before waiting: a typo fails now (exit 5), not after the others finish.
  const latest = new Map<string, JobDetails>();
  for (const job of await Promise.all(ids.map((id) => jobs.get(id)))) latest.set(job.id, job);
  const order = [...latest.keys()];

  const stop = new AbortController();
  const removeInterruptHandler = ctx.onInterrupt(() => stop.abort());
  const timeout = opts.timeout ? AbortSignal.timeout(opts.timeout) : undefined;
  const signal = timeout ? AbortSignal.any([timeout, stop.signal]) : stop.signal;
  // `--for done`: the first job that finishes otherwise ends the wait for the others.
  const failFast = new AbortController();
  const followSignal = AbortSignal.any([signal, failFast.signal]);
  const said = new Set<string>();
  const finishedOrder: JobDetails[] = [];

  const finished = (job: JobDetails) => {
    latest.set(job.id, job);
    finishedOrder.push(job);
    if (ctx.output === 'jsonl') printJsonLine(ctx, job);
    else if (ctx.output === 'table') ctx.stdout.write(`${ctx.stdoutIsTTY ? summarySentence(job, ctx.color) : summaryFields(job)}\n`);
    if (opts.for === 'done' && job.status !== 'DONE') failFast.abort();
  };

  try {
    await Promise.all(order.map(async (id) => {
      const job = latest.get(id)!;
      if (isFinished(job)) return finished(job);
      try {
        finished(await untilFinished(jobs, job, opts, ctx, followSignal, said));
      } catch (error) {
        // Only the first failure matters; a follow stopped by it (or by Ctrl-C, the timeout) is not one.
        if (!followSignal.aborted) throw error;
      }
    }));
  } finally {
    removeInterruptHandler();
  }
  if (ctx.output === 'json') printJson(ctx, order.map((id) => latest.get(id)));

  if (stop.signal.aborted) {
    const left = order.filter((id) => !isFinished(latest.get(id)!));
    throw new InterruptedError(`stopped waiting; ${left.length === 1 ? `job ${left[0]} keeps` : `jobs ${left.join(' ')} keep`} running; af-jobs wait ${left.join(' ')} to wait again`);
  }
  if (timeout?.aborted && !failFast.signal.aborted) {
    // Counts as they are now, not as they were when waiting began.
    const left = await Promise.all(order.map((id) => latest.get(id)!).filter((job) => !isFinished(job))
      .map((job) => jobs.get(job.id).catch(() => job)));
    const states = left.map((job) => `${job.id} ${job.status} (${job.tasks.done + job.tasks.failed + job.tasks.cancelled}/${job.tasks.total} tasks finished)`);
    throw new TimeoutError(`Still waiting after ${formatDuration(opts.timeout ?? 0)} for ${left.length} of ${order.length} job(s): ${states.join(', ')}; stopped waiting, the jobs keep running.`);
  }
  // The worst outcome: its status names the exit code (10 or 11).
  const failures = finishedOrder.filter((job) => job.status !== 'DONE');
  if (failures.length === 0) return;
  const worst = failures.reduce((a, b) => (OUTCOME_CODE[b.status]! > OUTCOME_CODE[a.status]! ? b : a));
  const plain = colors(false);
  const message = order.length === 1
    ? `${summarySentence(worst, plain)}${worst.lastError ? ` Last error: ${worst.lastError}` : ''}`
    : `${failures.length} of ${order.length} jobs did not finish DONE: ${failures.map((job) => `${job.id} ${job.status}`).join(', ')}` +
      `${opts.for === 'done' && finishedOrder.length < order.length ? ' (stopped waiting for the others: --for done; they keep running)' : ''}.`;
  throw new JobOutcomeError(worst.status as 'DONE_WITH_ERRORS' | 'CANCELLED', message);
}

/** Follows one job from the end of its log until it finishes; the job as it ended. */
async function untilFinished(jobs: JobsApi, job: JobDetails, opts: WaitOptions, ctx: Context, signal: AbortSignal, said: Set<string>): Promise<JobDetails> {
  // The end of the log, read after the job: nothing the job does after `get` is missed.
  const head = (await jobs.events(job.id, { after: 0, timeoutMs: 0, limit: 1 }, signal)).lastSeq;
  let position = { seq: head, event: null };
  for (;;) {
    const follower = new JobFollower({
      jobs,
      transport: ctx.transport,
      jobId: job.id,
      from: position,
      mode: opts.poll ? 'poll' : 'auto',
      signal,
      onEvent: (event) => { position = { seq: event.seq, event: null }; },
      // The same note for each job (e.g. "long-poll: tokens") is said once.
      onInfo: (message) => {
        const general = message.replace(job.id, '<id>');
        if (!said.has(general)) ctx.info(ctx.color.dim(message));
        said.add(general);
      },
      onGap: (message) => { if (ctx.verbose) ctx.stderr.write(`${ctx.color.dim(message)}\n`); },
      onDebug: (message) => { if (ctx.verbose) ctx.stderr.write(`${ctx.color.dim(`${job.id}: ${message}`)}\n`); },
    });
    await follower.run();
    const now = await jobs.get(job.id);
    // A retry right after the end reopens the job: keep waiting.
    if (isFinished(now)) return now;
  }
}
