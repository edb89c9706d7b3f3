/**
 * `af-jobs show <jobId>`: one job (`jobs/get`): status, progress, task counts, state; with
 * `--tasks` a page of its tasks (`jobs/tasks`), filtered by `--task-status`.
 */
import type { Context } from '../context.js';
import type { Job, JobDetails, Task, TaskPage } from '../client/api-types.js';
import { connect } from '../client/session.js';
import { colorStatus, formatDate, jobDuration, jobDurationMs, printJson, printJsonLine, progressCell, truncate } from '../output/format.js';
import { printFields, printTable, type Column } from '../output/table.js';

export interface ShowOptions {
  jobId: string;
  tasks?: boolean;
  taskStatus?: string[];
  limit?: number;
  offset?: number;
}

const DEFAULT_TASK_LIMIT = 50;

function jobFields(job: JobDetails, ctx: Context, me: string | undefined): [string, string][] {
  const tty = ctx.stdoutIsTTY;
  const counts = Object.entries(job.taskCounts).map(([status, count]) => `${status.toLowerCase()} ${count}`).join(tty ? ' · ' : ', ');
  return [
    ['id', job.id],
    ['name', job.name],
    ['handler', job.handler],
    ['status', tty ? colorStatus(job.status, ctx.color) : job.status],
    ['progress', tty ? progressCell(job) : String(job.progress)],
    ['tasks', `${job.tasks.total} (${counts})`],
    ['started by', startedByText(job, me, tty)],
    ['created', formatDate(job.createdAt, tty)],
    ['finished', formatDate(job.finishedAt, tty)],
    ['duration', tty ? jobDuration(job) : String(jobDurationMs(job) ?? '')],
    ['last error', job.lastError ?? ''],
    ['state', JSON.stringify(job.state)],
    ['can manage', job.canManage ? 'yes' : 'no'],
  ];
}

function taskColumns(ctx: Context): Column<Task>[] {
  return [
    { header: 'TASK', cell: (t) => String(t.index), align: 'right' },
    { header: 'STATUS', cell: (t) => colorStatus(t.status, ctx.color), plain: (t) => t.status },
    { header: 'ATTEMPT', cell: (t) => String(t.attempt), align: 'right' },
    { header: 'ERROR', cell: (t) => truncate(t.error ?? '', 48), plain: (t) => t.error ?? '' },
    { header: 'STATE', cell: (t) => truncate(JSON.stringify(t.state), 60), plain: (t) => JSON.stringify(t.state) },
  ];
}

export async function run(opts: ShowOptions, ctx: Context): Promise<void> {
  const { jobs, target } = await connect(ctx);
  const job = await jobs.get(opts.jobId);
  const wantTasks = Boolean(opts.tasks || opts.taskStatus?.length || opts.offset !== undefined);
  let page: TaskPage | undefined;
  if (wantTasks) {
    page = await jobs.tasks({
      jobId: opts.jobId,
      ...(opts.taskStatus?.length ? { status: [...new Set(opts.taskStatus)] } : {}),
      limit: opts.limit ?? DEFAULT_TASK_LIMIT,
      offset: opts.offset ?? 0,
    });
  }

  if (ctx.output === 'json') return printJson(ctx, page ? { job, tasks: page } : { job });
  if (ctx.output === 'jsonl') {
    if (page) for (const task of page.tasks) printJsonLine(ctx, task);
    else printJsonLine(ctx, job);
    return;
  }
  // Piped with --tasks: only the task rows, so `cut`/`awk` see one kind of line.
  if (!page || ctx.stdoutIsTTY) printFields(ctx, jobFields(job, ctx, target.profile?.user.pk));
  if (!page) return;
  if (ctx.stdoutIsTTY) ctx.stdout.write('\n');
  printTable(ctx, taskColumns(ctx), page.tasks);
  const filter = opts.taskStatus?.length ? ` ${opts.taskStatus.join(', ')}` : '';
  if (page.tasks.length === 0) {
    ctx.info(`No${filter} tasks${page.offset > 0 ? ` from offset ${page.offset}` : ''} (${page.total} in all).`);
  } else {
    const last = page.offset + page.tasks.length;
    const next = last < page.total ? `; next page: --offset ${last}` : '';
    ctx.info(ctx.color.dim(`Tasks ${page.offset + 1}–${last} of ${page.total}${filter}${next}.`));
  }
}

/** `alice (42)` — the name and the id; `you (alice, 42)` on a terminal for the caller's own jobs. */
function startedByText(job: Job, me: string | null | undefined, tty: boolean): string {
  if (job.startedBy === null) return '';
  const who = job.startedByName ? `${job.startedByName} (${job.startedBy})` : job.startedBy;
  return tty && job.startedBy === me ? `you (${job.startedByName ? `${job.startedByName}, ` : ''}${job.startedBy})` : who;
}
