/**
 * `af-jobs schedules pause <name>` and `resume <name>` (`schedules/pause|resume`, admins only):
 * a paused schedule starts no job at its ticks, on any replica, until resumed.
 */
import type { Context } from '../context.js';
import { connect } from '../client/session.js';
import { withSchedules } from '../client/schedules.js';
import { formatDate, printJson, printJsonLine } from '../output/format.js';

export interface SchedulesPauseOptions {
  name: string;
  /** Set by the command's declaration: `resume` runs this with `false`. */
  paused: boolean;
}

export async function run(opts: SchedulesPauseOptions, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const schedule = await withSchedules(session, () => session.jobs.setSchedulePaused(opts.name, opts.paused));
  if (ctx.output === 'json') printJson(ctx, schedule);
  else if (ctx.output === 'jsonl') printJsonLine(ctx, schedule);
  if (schedule.paused) {
    ctx.info(`Schedule "${schedule.name}" is paused: it starts no job until af-jobs schedules resume ${JSON.stringify(schedule.name)}.`);
  } else {
    const next = schedule.nextRunAt ? `; next run ${formatDate(schedule.nextRunAt, ctx.stderrIsTTY)}` : '';
    ctx.info(`Schedule "${schedule.name}" is active${next}.`);
  }
}
