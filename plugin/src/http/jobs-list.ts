/**
 * `jobs/list`: job rows read through AdminForth's resource API (filters, newest first), joined with
 * the engine's stored counters, filtered by the view policy.
 *
 * Pagination is by `offset` or by an opaque keyset `cursor` (created_at, id of the last job of a
 * page), which does not repeat or skip jobs when new ones arrive. With the default policy the
 * "own jobs only" rule is a database filter, so a page is one query; a custom `canView` is asked
 * row by row, scanning at most SCAN_LIMIT rows per request (the answer's `nextCursor` then resumes
 * where the scan stopped).
 */
import { z } from 'zod';
import { Filters, Sorts } from 'adminforth';
import { JOB_STATUSES } from '../statuses.js';
import type { AdminUserLike } from '../types.js';
import { ApiError } from './errors.js';
import type { ApiContext, LoadedJob } from './context.js';
import { toJobSummary, type JobSummary } from './job-view.js';
import { DEFAULT_LIMIT, limitSchema, offsetSchema } from './validation.js';

const SCAN_LIMIT = 5000;

const dateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' });

export const listJobsSchema = z.object({
  /** Only jobs in these statuses. */
  status: z.array(z.enum(JOB_STATUSES)).min(1).max(JOB_STATUSES.length).optional(),
  /** Only jobs of this handler. */
  handler: z.string().min(1).max(255).optional(),
  /** Only jobs started by this user (primary key). */
  startedBy: z.union([z.string().min(1).max(255), z.number().int()]).optional(),
  createdAfter: dateTime.optional(),
  createdBefore: dateTime.optional(),
  /** Only the caller's own jobs (also for admins). */
  mine: z.boolean().optional(),
  limit: limitSchema.optional(),
  offset: offsetSchema.optional(),
  cursor: z.string().min(1).max(1024).optional(),
}).strict();

export type ListJobsBody = z.infer<typeof listJobsSchema>;

interface Cursor {
  createdAt: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    // Only what this API gives out: an ISO date and a non-empty id (a forged date would reach the
    // database as a filter value).
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
      && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value[0]) && !Number.isNaN(Date.parse(value[0])) && value[1].length > 0 && value[1].length <= 255) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // answered below
  }
  throw new ApiError('INVALID_INPUT', "Field 'cursor' is not a cursor this API gave out: pass the 'nextCursor' of a previous answer unchanged.", 'cursor');
}

export async function listJobs(ctx: ApiContext, adminUser: AdminUserLike, body: ListJobsBody): Promise<{ jobs: JobSummary[]; nextCursor: string | null }> {
  if (body.cursor !== undefined && body.offset !== undefined) {
    throw new ApiError('INVALID_INPUT', "Field 'cursor' cannot be combined with 'offset': page by one or the other.", 'cursor');
  }
  const o = ctx.plugin.options;
  const pk = ctx.primaryKey();
  const column = (name: string) => ctx.plugin.resourceConfig.columns.find((c) => c.name === name);
  const valueFor = (columnName: string, value: string | number, field: string) => {
    const type = String(column(columnName)?.type ?? '').toLowerCase();
    if (type !== 'integer' && type !== 'float' && type !== 'decimal') return String(value);
    if (!/^-?\d+(\.\d+)?$/.test(String(value))) throw new ApiError('INVALID_INPUT', `Field '${field}' must be a number here, got '${value}'.`, field);
    return Number(value);
  };

  const filters: any[] = [];
  if (body.status) filters.push(Filters.IN(o.statusField, body.status));
  if (body.handler !== undefined) filters.push(Filters.EQ(o.jobHandlerField, body.handler));
  if (body.startedBy !== undefined) filters.push(Filters.EQ(o.startedByField, valueFor(o.startedByField, body.startedBy, 'startedBy')));
  if (body.createdAfter) filters.push(Filters.GTE(o.createdAtField, new Date(body.createdAfter).toISOString()));
  if (body.createdBefore) filters.push(Filters.LT(o.createdAtField, new Date(body.createdBefore).toISOString()));
  const ownOnly = body.mine || (ctx.policy.viewRuleIsDefault && !(await ctx.policy.isAdmin(adminUser)));
  if (ownOnly) filters.push(Filters.EQ(o.startedByField, valueFor(o.startedByField, String(adminUser.pk), 'mine')));
  if (body.cursor !== undefined) {
    const cursor = decodeCursor(body.cursor);
    const id = ctx.rowId(cursor.id, 'cursor');
    filters.push(Filters.OR(
      Filters.LT(o.createdAtField, cursor.createdAt),
      Filters.AND(Filters.EQ(o.createdAtField, cursor.createdAt), Filters.LT(pk, id)),
    ));
  }

  const limit = body.limit ?? DEFAULT_LIMIT;
  // With the default policy the database filter above is the whole rule: every row is visible and
  // `offset` can go to the database. A custom canView decides per row, so its offset counts visible jobs.
  const exact = ctx.policy.viewRuleIsDefault;
  const pageSize = exact ? limit + 1 : Math.min(500, Math.max(100, 2 * limit));
  let rawOffset = exact ? body.offset ?? 0 : 0;
  let toSkip = exact ? 0 : body.offset ?? 0;
  const engine = await ctx.engine();
  const resource = ctx.plugin.adminforth.resource(ctx.plugin.resourceConfig.resourceId);
  const sort = [Sorts.DESC(o.createdAtField), Sorts.DESC(pk)];

  const visible: Record<string, any>[] = [];
  let hasMore = false;
  let scanned = 0;
  let lastScanned: Record<string, any> | null = null;
  let exhausted = false;
  scan: while (!exhausted && scanned < SCAN_LIMIT) {
    const rows = await resource.list(filters, pageSize, rawOffset, sort);
    rawOffset += rows.length;
    exhausted = rows.length < pageSize;
    for (const row of rows) {
      scanned++;
      lastScanned = row;
      if (!exact && !(await ctx.policy.canView(adminUser, ctx.accessInfo(row)))) continue;
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      if (visible.length === limit) {
        hasMore = true;
        break scan;
      }
      visible.push(row);
    }
  }

  const cursorOf = (row: Record<string, any>) => {
    const createdAt = row[o.createdAtField];
    return createdAt ? encodeCursor({ createdAt: String(createdAt), id: String(row[pk]) }) : null;
  };
  let nextCursor: string | null = null;
  if (hasMore) nextCursor = cursorOf(visible[visible.length - 1]);
  else if (!exhausted && lastScanned) nextCursor = cursorOf(lastScanned); // the scan limit stopped us

  // The page's jobs in one query, not one each.
  const storedById = new Map((await engine.findJobs(visible.map((row) => String(row[pk])))).map((job) => [String(job.jobId), job]));
  const loaded: LoadedJob[] = visible.map((row) => ({ id: String(row[pk]), row, stored: storedById.get(String(row[pk])) ?? null, access: ctx.accessInfo(row) }));
  const names = await ctx.userNames.namesOf(loaded.map((job) => job.stored?.startedBy ?? job.access.startedBy));
  const jobs: JobSummary[] = loaded.map((job) => toJobSummary(job, o, names));
  return { jobs, nextCursor };
}
