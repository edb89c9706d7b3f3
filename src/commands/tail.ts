/**
 * `af-jobs tail <jobId>`: follows a job until it finishes (follow-job.ts), with a progress bar
 * (stderr, on a terminal), the job's own events and — with `--events`, or on a job of at most
 * 20 tasks — one line per task event (stdout), and exits by the job's final status so CI can gate
 * on it: 0 for DONE, JOB_FAILED (10) for DONE_WITH_ERRORS, JOB_CANCELLED (11) for CANCELLED,
 * TIMEOUT (12) after `--timeout`, INTERRUPTED (130) on Ctrl-C (the job keeps running).
 */
import type { Context } from '../context.js';
import { currentPosition } from '../client/job-follower.js';
import { connect } from '../client/session.js';
import { followJob, type FollowFlags } from '../follow-job.js';

export interface TailOptions extends FollowFlags {
  jobId: string;
  /** Only events from now on (default: replay what the app still holds, then follow). */
  new?: boolean;
}

export async function run(opts: TailOptions, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const job = await session.jobs.get(opts.jobId);
  const from = opts.new ? await currentPosition(session.jobs, job.id) : { seq: 0, event: null };
  await followJob(session, job, from, opts, ctx);
}
