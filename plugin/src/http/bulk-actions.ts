/**
 * `jobs/cancel-matching` and `jobs/retry-matching` (docs/http-api.md, docs/jobs-page.md): cancel or
 * retry the jobs of a list of ids (the rows a person selected) or every job matching the filters
 * of `jobs/list`, in one request.
 *
 * A person confirms a count, so the set acted on must be the set counted. A dry run answers the
 * jobs the action applies to (the caller may manage them and they are in a state the action
 * changes: running or queued for cancel, finished with failed — or cancelled, `scope: unfinished` —
 * tasks for retry), their number and `selection`, a SHA-256 of their ids. The action sent with
 * `expect: <selection>` works out the set again and refuses (409 INVALID_STATE, nothing changed) if
 * it is not exactly the one confirmed. Without `expect` it acts on the set as it is then.
 *
 * Cost: one `list` query per 500 matching rows and one engine read per 500 jobs, then one engine
 * call per job acted on (a transaction each, as `jobs/cancel` / `jobs/retry`), four at a time. At
 * most MAX_MATCHING jobs per request; a filter matching more is refused (narrow it, or use
 * `af-jobs cancel|retry` with selectors, which go through every page).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Filters } from 'adminforth';
import type { IHttpServer } from 'adminforth';
import { isFinishedJobStatus, type JobStatus } from '../statuses.js';
import type { AdminUserLike } from '../types.js';
import type { JobRow } from '../store/job-store.js';
import { ApiError, toApiError } from './errors.js';
import type { ApiContext } from './context.js';
import { registerApiEndpoint } from './endpoint.js';
import { jobFilterShape, matchingRows, type JobFilter } from './jobs-list.js';
import { jobIdSchema } from './validation.js';
import type { BulkAnswer } from '../../custom/api-answers.js';

/** Most jobs one request acts on. */
export const MAX_MATCHING = 5000;
/** Most ids one request names. */
export const MAX_JOB_IDS = 500;
/** Jobs acted on at once. */
const CONCURRENCY = 4;
/** Failures listed in an answer (all are counted). */
const MAX_FAILURES_LISTED = 100;

const commonShape = {
  ...jobFilterShape,
  /** These jobs (instead of filters). */
  jobIds: z.array(jobIdSchema).min(1).max(MAX_JOB_IDS).optional(),
  /** Only count: nothing changes. */
  dryRun: z.boolean().optional(),
  /** The `selection` of a dry run: act only if the jobs are still exactly those. */
  expect: z.string().regex(/^[0-9a-f]{64}$/, 'must be the selection a dry run answered').optional(),
};

export const cancelMatchingSchema = z.object(commonShape).strict();
export const retryMatchingSchema = z.object({
  ...commonShape,
  /** `failed` (default): failed tasks; `unfinished`: failed and cancelled tasks. */
  scope: z.enum(['failed', 'unfinished']).optional(),
}).strict();

type Action = 'cancel' | 'retry';
type Body = z.infer<typeof retryMatchingSchema>;

/** The job statuses an action applies to (the resource row's mirror narrows the scan; the engine's status decides). */
const STATUSES: Record<Action, JobStatus[]> = {
  cancel: ['QUEUED', 'IN_PROGRESS'],
  retry: ['DONE_WITH_ERRORS', 'CANCELLED', 'DONE'],
};

function selectionOf(action: Action, scope: string, ids: string[]): string {
  return createHash('sha256').update(`${action}\n${scope}\n${[...ids].sort().join('\n')}`).digest('hex');
}

function hasFilters(body: Body): boolean {
  return Object.keys(jobFilterShape).some((key) => body[key as keyof JobFilter] !== undefined);
}

/** The rows named by `jobIds` that exist and the caller may see (one query), in the order given. */
async function rowsOfIds(ctx: ApiContext, adminUser: AdminUserLike, ids: (string | number)[]): Promise<Record<string, any>[]> {
  const pk = ctx.primaryKey();
  const keys = ids.map((id, i) => ctx.rowId(id, `jobIds[${i}]`));
  const resource = ctx.plugin.adminforth.resource(ctx.plugin.resourceConfig.resourceId);
  const found = await resource.list(Filters.IN(pk, keys), keys.length, 0);
  const byId = new Map(found.map((row) => [String(row[pk]), row]));
  const rows: Record<string, any>[] = [];
  for (const id of new Set(ids.map(String))) {
    const row = byId.get(id);
    if (row && await ctx.policy.canView(adminUser, ctx.accessInfo(row))) rows.push(row);
  }
  return rows;
}

async function runBulk(ctx: ApiContext, adminUser: AdminUserLike, action: Action, body: Body): Promise<BulkAnswer> {
  const scope = action === 'retry' ? body.scope ?? 'failed' : '';
  const pk = ctx.primaryKey();
  let rows: Record<string, any>[];
  let notFound = 0;
  if (body.jobIds) {
    if (hasFilters(body)) {
      throw new ApiError('INVALID_INPUT', "Field 'jobIds' cannot be combined with filters: name the jobs, or filter them.", 'jobIds');
    }
    rows = await rowsOfIds(ctx, adminUser, body.jobIds);
    notFound = new Set(body.jobIds.map(String)).size - rows.length;
  } else {
    // Only rows whose (mirrored) status the action may apply to: a retry of "everything" does not
    // scan every DONE job.
    const wanted = STATUSES[action].filter((s) => !body.status || body.status.includes(s));
    if (wanted.length === 0) {
      rows = [];
    } else {
      const { jobIds: _ids, dryRun: _dry, expect: _expect, scope: _scope, ...filter } = body;
      const found = await matchingRows(ctx, adminUser, { ...filter, status: wanted }, MAX_MATCHING);
      if (found.more) {
        throw new ApiError('INVALID_INPUT', `The filters match more than ${MAX_MATCHING} jobs to ${action}: narrow them (status, handler, time range), or use af-jobs ${action} with selectors, which goes through them all.`);
      }
      rows = found.rows;
    }
  }

  const engine = await ctx.engine();
  const ids = rows.map((row) => String(row[pk]));
  const stored = new Map<string, JobRow>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const job of await engine.findJobs(ids.slice(i, i + 500))) stored.set(String(job.jobId), job);
  }
  const applies = (job: JobRow | undefined): boolean => {
    if (!job) return false;
    if (action === 'cancel') return job.status === 'QUEUED' || job.status === 'IN_PROGRESS';
    return isFinishedJobStatus(job.status) && (scope === 'failed' ? job.failed > 0 : job.failed + job.cancelled > 0);
  };
  const targets: string[] = [];
  let notApplicable = 0;
  let forbidden = 0;
  for (const row of rows) {
    const id = String(row[pk]);
    if (!applies(stored.get(id))) notApplicable++;
    else if (!(await ctx.policy.canManage(adminUser, ctx.accessInfo(row)))) forbidden++;
    else targets.push(id);
  }
  const selection = selectionOf(action, scope, targets);
  const answer: BulkAnswer = {
    action, dryRun: Boolean(body.dryRun), matched: rows.length, count: targets.length,
    skipped: { notApplicable, forbidden, notFound }, selection, jobIds: targets,
    changed: 0, unchanged: 0, tasks: 0, failed: [], failedCount: 0,
  };
  if (body.dryRun) return answer;
  if (body.expect !== undefined && body.expect !== selection) {
    throw new ApiError('INVALID_STATE', `The jobs to ${action} are not the ones counted any more (now ${targets.length}): some started, finished or were changed meanwhile. Count them again and confirm; nothing was changed.`, 'expect');
  }

  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const jobId = targets[next++];
      try {
        if (action === 'cancel') {
          const result = await ctx.plugin.cancelJob(jobId);
          if (result.changed) answer.changed++;
          else answer.unchanged++;
        } else {
          const result = await ctx.plugin.retryJob(jobId, { scope: scope as 'failed' | 'unfinished' });
          answer.changed++;
          answer.tasks += result.tasks;
        }
      } catch (error) {
        const failure = toApiError(error);
        answer.failedCount++;
        if (answer.failed.length < MAX_FAILURES_LISTED) {
          answer.failed.push({ jobId, code: failure.code, message: failure.code === 'INTERNAL' ? 'Internal error; the server log has the details.' : failure.message });
        }
        if (failure.code === 'INTERNAL') console.error(`background-jobs: ${action} of job ${jobId} failed: ${(error as Error)?.message ?? error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  return answer;
}

export function registerBulkActions(server: IHttpServer, ctx: ApiContext, base: string): void {
  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/cancel-matching`,
    schema: cancelMatchingSchema,
    description: 'Cancel the given jobs, or every job matching the filters of jobs/list (dryRun: count them)',
    handler: ({ body, caller }) => runBulk(ctx, caller.adminUser, 'cancel', body),
  });
  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/retry-matching`,
    schema: retryMatchingSchema,
    description: 'Retry the failed tasks of the given jobs, or of every job matching the filters of jobs/list (dryRun: count them)',
    handler: ({ body, caller }) => runBulk(ctx, caller.adminUser, 'retry', body),
  });
}
