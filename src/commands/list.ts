/**
 * `af-jobs list`: the jobs the user may see, newest first (`jobs/list`), filtered by status,
 * handler, starter and age; a table on a terminal, tab-separated when piped, `-o json|jsonl`.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Job } from '../client/api-types.js';
import { connect, type TargetOptions } from '../client/session.js';
import { colorStatus, formatDate, jobDuration, jobDurationMs, printJson, printJsonLine, truncate } from '../output/format.js';
import { printTable, type Column } from '../output/table.js';

export interface ListOptions extends TargetOptions {
  status?: string[];
  handler?: string;
  mine?: boolean;
  all?: boolean;
  /** ISO 8601, already resolved from `--since`. */
  since?: string;
  limit?: number;
  /** Redraw the table every 2 s until Ctrl-C (list-watch.ts); only on a terminal. */
  watch?: boolean;
}

const DEFAULT_LIMIT = 20;
/** The API's largest page (docs/http-api.md). */
const PAGE = 500;

/** `40% (40/100)`: the tasks that ran to an end (done or failed), as the progress counts them. */
export function progressCell(job: Job): string {
  return `${job.progress}% (${job.tasks.done + job.tasks.failed}/${job.tasks.total})`;
}

export async function run(opts: ListOptions, ctx: Context): Promise<void> {
  if (opts.mine && opts.all) throw new UsageError('--mine and --all contradict each other: pass one of them.');
  if (opts.watch) {
    const { watch } = await import('./list-watch.js');
    return watch((frame) => run({ ...opts, watch: false }, frame), ctx);
  }
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const { jobs: api, target } = await connect(opts, ctx);
  const jobs: Job[] = [];
  let cursor: string | undefined;
  let more = false;
  do {
    const page = await api.list({
      ...(opts.status?.length ? { status: [...new Set(opts.status)] } : {}),
      ...(opts.handler ? { handler: opts.handler } : {}),
      ...(opts.mine ? { mine: true } : {}),
      ...(opts.since ? { createdAfter: opts.since } : {}),
      limit: Math.min(PAGE, limit - jobs.length),
      ...(cursor ? { cursor } : {}),
    });
    jobs.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
    more = cursor !== undefined;
  } while (more && jobs.length < limit);

  if (ctx.output === 'json') return printJson(ctx, jobs);
  if (ctx.output === 'jsonl') {
    for (const job of jobs) printJsonLine(ctx, job);
    return;
  }
  if (jobs.length === 0) {
    ctx.info('No jobs found.');
    return;
  }
  const me = target.profile?.user.pk;
  const tty = ctx.stdoutIsTTY;
  const columns: Column<Job>[] = [
    { header: 'ID', cell: (j) => j.id },
    { header: 'NAME', cell: (j) => truncate(j.name, 32), plain: (j) => j.name },
    { header: 'HANDLER', cell: (j) => j.handler },
    { header: 'STATUS', cell: (j) => colorStatus(j.status, ctx.color), plain: (j) => j.status },
    { header: 'PROGRESS', cell: progressCell, plain: (j) => String(j.progress), align: 'right' },
    { header: 'STARTED BY', cell: (j) => (j.startedBy !== null && j.startedBy === me ? 'you' : truncate(j.startedByName ?? j.startedBy ?? '', 16)), plain: (j) => j.startedByName ?? j.startedBy ?? '' },
    { header: 'CREATED', cell: (j) => formatDate(j.createdAt, tty), plain: (j) => j.createdAt ?? '' },
    // Piped: milliseconds, a number scripts can compare (`622`, not `622ms`).
    { header: 'DURATION', cell: (j) => jobDuration(j), plain: (j) => String(jobDurationMs(j) ?? ''), align: 'right' },
  ];
  printTable(ctx, columns, jobs);
  if (more && tty) ctx.info(ctx.color.dim(`Showing the ${jobs.length} newest; more with --limit ${Math.max(limit * 2, 100)}.`));
}
