/**
 * `af-jobs schedules run <name>` (`schedules/run`, admins only): starts the schedule's job now,
 * outside its cron (also when it is paused); prints the job's id on stdout. `--follow` then
 * follows the job as `tail` does, and exits as `tail` does.
 */
import type { Context } from '../context.js';
import { connect } from '../client/session.js';
import { withSchedules } from '../client/schedules.js';
import { followJob, type FollowFlags } from '../follow-job.js';
import { printJson, printJsonLine } from '../output/format.js';

export interface SchedulesRunOptions extends FollowFlags {
  name: string;
  follow?: boolean;
}

export async function run(opts: SchedulesRunOptions, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const result = await withSchedules(session, () => session.jobs.runSchedule(opts.name));
  const jobId = String(result.jobId);
  if (ctx.output === 'json') printJson(ctx, result);
  else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
  else ctx.stdout.write(`${jobId}\n`);
  ctx.info(`Started job ${jobId} of schedule "${result.schedule.name}"${opts.follow ? '' : `: follow it with af-jobs tail ${jobId}`}.`);
  if (!opts.follow) return;
  // A new job: its whole log is news.
  await followJob(session, await session.jobs.get(jobId), { seq: 0, event: null }, opts, ctx);
}
