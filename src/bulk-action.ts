/**
 * `cancel` and `retry` of several jobs at once (issue 19 §6): the jobs come from ids or from
 * selectors (client/job-selection.ts); they are listed and confirmed on a terminal (`--yes` skips
 * that; without a terminal `--yes` is required), or only listed with `--dry-run`. Each job is then
 * acted on in turn: a job that fails (already finished, not found, forbidden) is reported on its
 * own line and the others go on. The exit code is the largest of the failed jobs' codes
 * (docs/exit-codes.md "Several jobs at once").
 */
import type { Context } from './context.js';
import { CliError, ConnectionError, EXIT, SomeJobsFailedError, UsageError } from './errors.js';
import type { Job } from './client/api-types.js';
import { describeSelectors, hasSelectors, selectJobs, type Selectors } from './client/job-selection.js';
import type { Session } from './client/session.js';
import { colorStatus, formatDate, printJson, printJsonLine, truncate } from './output/format.js';
import { printTable } from './output/table.js';

/** What one job's action answered (`jobs/cancel`, `jobs/retry`). */
export interface ActionResult {
  jobId: string;
  changed: boolean;
  message: string;
}

/** One job that could not be looked up or acted on: the error as `-o json` prints errors. */
export interface JobFailure {
  jobId: string;
  error: { code: string; exit: number; message: string };
}

export interface BulkOptions extends Selectors {
  yes?: boolean;
  dryRun?: boolean;
}

export interface BulkAction<R extends ActionResult> {
  /** `cancel`, `retry`: the command, and the verb of messages. */
  command: string;
  /** `cancelled`, `retried`. */
  done: string;
  /** Statuses selected when `--status` is not given (the ones the action applies to). */
  defaultStatuses: readonly string[];
  act(jobId: string): Promise<R>;
  /** Runs once every job was acted on, before failures are reported (`cancel --wait`). */
  after?(results: R[]): Promise<void>;
}

const SHOWN_IN_PROMPT = 20;
const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([name, code]) => [code, name]));

/** The ids of `<jobId...>` as commander passes them (one, several, or none). */
export function jobIds(value: string | string[] | undefined): string[] {
  return [...new Set(value === undefined ? [] : Array.isArray(value) ? value : [value])];
}

/** Refuses ids with selectors, and neither of them. */
export function checkTargets(command: string, ids: string[], selectors: Selectors): void {
  const flags = '--status, --handler, --since, --mine, --started-by';
  if (ids.length > 0 && hasSelectors(selectors)) {
    throw new UsageError(`Job ids and selectors together: af-jobs ${command} takes ids, or selectors (${flags}) to ${command} every matching job, not both.`);
  }
  if (ids.length === 0 && !hasSelectors(selectors)) {
    throw new UsageError(`No jobs given: pass af-jobs ${command} the ids of the jobs (see af-jobs list), or selectors (${flags}). Run af-jobs ${command} --help`);
  }
}

function failure(jobId: string, error: CliError): JobFailure {
  return { jobId, error: { code: EXIT_NAMES.get(error.exitCode) ?? 'INTERNAL', exit: error.exitCode, message: error.message } };
}

/** A connection error stops the run (the app is gone); any other CliError is the job's own. */
function perJob(jobId: string, error: unknown): JobFailure {
  if (error instanceof CliError && !(error instanceof ConnectionError)) return failure(jobId, error);
  throw error;
}

const capitalize = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

function plural(n: number): string {
  return `${n} job${n === 1 ? '' : 's'}`;
}

function describeJob(job: Job, ctx: Context): string {
  const finished = job.tasks.done + job.tasks.failed + job.tasks.cancelled;
  return `${job.id}  ${truncate(job.name, 32)}  ${colorStatus(job.status, ctx.color)}  ${finished}/${job.tasks.total} tasks finished`;
}

/** The jobs a dry run would act on: a table (tab-separated when piped), or the job objects. */
function printJobs(jobs: Job[], ctx: Context): void {
  if (ctx.output === 'json') return printJson(ctx, jobs);
  if (ctx.output === 'jsonl') {
    for (const job of jobs) printJsonLine(ctx, job);
    return;
  }
  printTable(ctx, [
    { header: 'ID', cell: (j) => j.id },
    { header: 'NAME', cell: (j) => truncate(j.name, 32), plain: (j) => j.name },
    { header: 'HANDLER', cell: (j) => j.handler },
    { header: 'STATUS', cell: (j) => colorStatus(j.status, ctx.color), plain: (j) => j.status },
    { header: 'CREATED', cell: (j) => formatDate(j.createdAt, ctx.stdoutIsTTY), plain: (j) => j.createdAt ?? '' },
  ], jobs);
}

/** A job's failure on stderr: a line of text, or with `-o json|jsonl` one JSON object (as errors are). */
function reportFailure(item: JobFailure, ctx: Context): void {
  ctx.warn(ctx.output === 'table' ? `${ctx.color.red('✗')} ${item.error.message}` : JSON.stringify(item));
}

/** Fails with the largest exit code of `failures`, or returns when there are none. */
function finish(failures: JobFailure[], total: number, what: string): void {
  if (failures.length === 0) return;
  const worst = Math.max(...failures.map((f) => f.error.exit));
  throw new SomeJobsFailedError(worst, `${failures.length} of ${plural(total)} could not be ${what} (each is listed above; the exit code is the largest of theirs, ${worst}).`);
}

/** Resolves the jobs, confirms, acts on each; throws SomeJobsFailedError when some failed. */
export async function runBulk<R extends ActionResult>(session: Session, ids: string[], opts: BulkOptions, action: BulkAction<R>, ctx: Context): Promise<void> {
  const { command, done } = action;
  const fromSelectors = ids.length === 0;
  const confirmOnTerminal = !opts.yes && !opts.dryRun;
  // Ids without a terminal to confirm on: refuse before any request.
  if (!fromSelectors && confirmOnTerminal && !ctx.isTTY) {
    throw new UsageError(`${capitalize(command)} ${plural(ids.length)}? There is no terminal to ask on (stdin is not a TTY): pass --yes to ${command} them (or --dry-run to list them).`);
  }

  const failures: JobFailure[] = [];
  let jobs: Job[];
  let targets: string[];
  if (fromSelectors) {
    const statuses = opts.status?.length ? opts.status : action.defaultStatuses;
    jobs = await selectJobs(session.jobs, opts, statuses);
    targets = jobs.map((job) => job.id);
    if (jobs.length === 0) {
      if (ctx.output === 'json') printJson(ctx, []);
      ctx.info(`No jobs match ${describeSelectors(opts, statuses)}: nothing to ${command}.`);
      return;
    }
    if (confirmOnTerminal && !ctx.isTTY) {
      throw new UsageError(`${capitalize(command)} ${plural(jobs.length)} (${describeSelectors(opts, statuses)})? There is no terminal to ask on (stdin is not a TTY): pass --yes to ${command} them (or --dry-run to list them).`);
    }
  } else if (opts.dryRun || confirmOnTerminal) {
    // Ids, listed before anything changes: look each one up (a missing one is reported, the rest go on).
    jobs = [];
    for (const id of ids) {
      try {
        jobs.push(await session.jobs.get(id));
      } catch (error) {
        const item = perJob(id, error);
        failures.push(item);
        reportFailure(item, ctx);
      }
    }
    targets = jobs.map((job) => job.id);
  } else {
    jobs = [];
    targets = ids;
  }

  if (opts.dryRun) {
    printJobs(jobs, ctx);
    ctx.info(`Dry run: would ${command} ${plural(jobs.length)}; nothing was changed.`);
    finish(failures, ids.length || jobs.length, 'found');
    return;
  }

  if (confirmOnTerminal && targets.length > 0) {
    ctx.info(`${plural(jobs.length)} to ${command}:`);
    for (const job of jobs.slice(0, SHOWN_IN_PROMPT)) ctx.info(`  ${describeJob(job, ctx)}`);
    if (jobs.length > SHOWN_IN_PROMPT) ctx.info(`  … and ${jobs.length - SHOWN_IN_PROMPT} more (--dry-run lists them all)`);
    const ok = await ctx.prompts.confirm({ message: `${capitalize(command)} ${plural(jobs.length)}?`, default: false });
    if (!ok) {
      ctx.info(`Nothing was ${done}.`);
      return;
    }
  }

  const results: R[] = [];
  const output: (R | JobFailure)[] = [...failures];
  for (const id of targets) {
    try {
      const result = await action.act(id);
      results.push(result);
      output.push(result);
      ctx.info(result.changed ? `${ctx.color.green('✓')} ${result.message}` : `${ctx.color.dim('·')} ${result.message}`);
    } catch (error) {
      const item = perJob(id, error);
      failures.push(item);
      output.push(item);
      reportFailure(item, ctx);
    }
  }
  if (ctx.output === 'json') printJson(ctx, output);
  else if (ctx.output === 'jsonl') for (const item of output) printJsonLine(ctx, item);

  const total = targets.length + (fromSelectors ? 0 : ids.length - targets.length);
  const changed = results.filter((r) => r.changed).length;
  const unchanged = results.length - changed;
  ctx.info(`${capitalize(done)} ${changed} of ${plural(total)}${unchanged ? `; ${unchanged} unchanged` : ''}${failures.length ? `; ${failures.length} failed` : ''}.`);
  if (action.after && results.length > 0) await action.after(results);
  finish(failures, total, done);
}
