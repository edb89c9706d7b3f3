/**
 * `af-jobs schedules list`: the app's recurring schedules (`schedules/list`, admins only) with
 * their cron, next and last run: a table on a terminal, tab-separated when piped, `-o json|jsonl`.
 */
import type { Context } from '../context.js';
import { connect } from '../client/session.js';
import { withSchedules } from '../client/schedules.js';
import { formatDate, printJson, printJsonLine } from '../output/format.js';
import { printTable } from '../output/table.js';

export async function run(_opts: object, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const schedules = await withSchedules(session, () => session.jobs.listSchedules());
  if (ctx.output === 'json') return printJson(ctx, schedules);
  if (ctx.output === 'jsonl') {
    for (const schedule of schedules) printJsonLine(ctx, schedule);
    return;
  }
  if (schedules.length === 0) {
    ctx.info(`No schedules on ${session.target.url}: the app registers them with plugin.registerSchedule (docs/retention.md).`);
    return;
  }
  const tty = ctx.stdoutIsTTY;
  printTable(ctx, [
    { header: 'NAME', cell: (s) => s.name },
    { header: 'CRON', cell: (s) => `${s.cron} (${s.timezone})`, plain: (s) => s.cron },
    { header: 'HANDLER', cell: (s) => s.jobHandlerName },
    { header: 'STATE', cell: (s) => (s.paused ? ctx.color.yellow('paused') : 'active'), plain: (s) => (s.paused ? 'paused' : 'active') },
    { header: 'NEXT RUN', cell: (s) => (s.nextRunAt ? formatDate(s.nextRunAt, tty) : '—'), plain: (s) => s.nextRunAt ?? '' },
    { header: 'LAST RUN', cell: (s) => (s.lastRunAt ? formatDate(s.lastRunAt, tty) : 'never'), plain: (s) => s.lastRunAt ?? '' },
    { header: 'LAST JOB', cell: (s) => s.lastJobId ?? '—', plain: (s) => s.lastJobId ?? '' },
  ], schedules);
}
