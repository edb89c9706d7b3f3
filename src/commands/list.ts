/**
 * `af-jobs list`: the jobs the user may see, newest first (`jobs/list`), filtered by status,
 * handler, starter and age; a table on a terminal, tab-separated when piped, `-o json|jsonl`.
 *
 * `--watch`: the table, read again every 2 s and redrawn when it changed, until Ctrl-C (exit 130).
 * A poll rather than the websocket: the job topic carries only the jobs a socket subscribed to,
 * tokens cannot open the socket, and a list's filters (`--since`, `--limit`) are the server's to
 * apply — one `jobs/list` every 2 s is cheap and always the truth. Only on a terminal: redrawing
 * is for eyes; a script reads `list -o jsonl` once, or waits with `wait`.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { ConnectionError, InterruptedError, UsageError } from '../errors.js';
import type { Job } from '../client/api-types.js';
import { connect } from '../client/session.js';
import { colorStatus, formatDate, jobDuration, jobDurationMs, printJson, printJsonLine, progressCell, truncate } from '../output/format.js';
import { printTable, type Column } from '../output/table.js';

export interface ListOptions {
  status?: string[];
  handler?: string;
  mine?: boolean;
  all?: boolean;
  /** ISO 8601, already resolved from `--since`. */
  since?: string;
  limit?: number;
  /** Redraw the table every 2 s until Ctrl-C; only on a terminal. */
  watch?: boolean;
}

const DEFAULT_LIMIT = 20;
/** The API's largest page (docs/http-api.md). */
const PAGE = 500;
/** `--watch` reads the list again this often. */
const INTERVAL_MS = 2000;

export async function run(opts: ListOptions, ctx: Context): Promise<void> {
  if (opts.mine && opts.all) throw new UsageError('--mine and --all contradict each other: pass one of them.');
  if (opts.watch) {
    return watch((frame) => run({ ...opts, watch: false }, frame), ctx);
  }
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const { jobs: api, target } = await connect(ctx);
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

/** One drawing of the table: what `run` prints while `--watch` redraws. */
class Frame extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `draw` (the list, printing into the context it is given) every 2 s; redraws on change. */
async function watch(draw: (frame: Context) => Promise<void>, ctx: Context): Promise<void> {
  if (!ctx.stdoutIsTTY) {
    throw new UsageError('--watch redraws the table on a terminal, and stdout is not one (it is piped or redirected): drop --watch; a script can read af-jobs list -o jsonl, or wait for jobs with af-jobs wait <jobId…>.');
  }
  if (ctx.output !== 'table') {
    throw new UsageError(`--watch redraws a table and cannot be combined with -o ${ctx.output}: drop one of them.`);
  }
  const stop = new AbortController();
  const removeInterruptHandler = ctx.onInterrupt(() => stop.abort());
  // TERM=dumb cannot clear the screen: each table is printed under the last one.
  const clear = ctx.env.TERM === 'dumb' ? '' : '\u001b[H\u001b[2J';
  let last: string | undefined;
  try {
    while (!stop.signal.aborted) {
      const frame = new Frame();
      const frameCtx: Context = {
        ...ctx,
        stdout: frame,
        info: (line = '') => { frame.text += `${line}\n`; },
      };
      let note = '';
      try {
        await draw(frameCtx);
      } catch (error) {
        // The app restarting or the network dropping: keep the last table and try again.
        if (!(error instanceof ConnectionError)) throw error;
        note = `  ${ctx.color.yellow(`${error.message.split(':')[0]}; retrying`)}`;
      }
      const table = note ? (last ?? '') : frame.text;
      if (table !== last || note) {
        const now = formatDate(new Date().toISOString(), true);
        ctx.stdout.write(`${clear}${ctx.color.dim(`af-jobs list, every ${INTERVAL_MS / 1000}s; ${now}; Ctrl-C to stop`)}${note}\n\n${table}`);
        last = table;
      }
      await sleep(INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => {});
    }
  } finally {
    removeInterruptHandler();
  }
  throw new InterruptedError('Stopped watching.');
}
