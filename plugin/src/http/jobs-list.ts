/**
 * `jobs/list`: job rows read through AdminForth's resource API (filters, newest first), joined with
 * the engine's stored counters, filtered by the view policy.
 *
 * Pagination is by `offset` or by an opaque keyset `cursor` (created_at, id of the last job of a
 * page), which does not repeat or skip jobs when new ones arrive. With the default policy the
 * "own jobs only" rule is a database filter, so a page is one query; a custom `canView` is asked
 * row by row, scanning at most SCAN_LIMIT rows per request (the answer's `nextCursor` then resumes
 * where the scan stopped).
 *
 * `search` matches the name (substring, the database's case rules for LIKE/ILIKE); `sort` orders by
 * created time, name, status or handler, each way, with the primary key breaking ties, and the
 * cursor carries the sort it was made for (Jobs page, docs/jobs-page.md).
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

/** The filters of `jobs/list`, shared by the bulk actions (bulk-actions.ts). */
export const jobFilterShape = {
  /** Only jobs in these statuses. */
  status: z.array(z.enum(JOB_STATUSES)).min(1).max(JOB_STATUSES.length).optional(),
  /** Only jobs of this handler. */
  handler: z.string().min(1).max(255).optional(),
  /** Only jobs started by this user (primary key). */
  startedBy: z.union([z.string().min(1).max(255), z.number().int()]).optional(),
  createdAfter: dateTime.optional(),
  createdBefore: dateTime.optional(),
  /** Only jobs whose name contains this text. */
  search: z.string().min(1).max(255).optional(),
  /** Only the caller's own jobs (also for admins). */
  mine: z.boolean().optional(),
};

export type JobFilter = z.infer<z.ZodObject<typeof jobFilterShape>>;

/** What `sort.field` names, and the option naming each column. */
export const SORT_FIELDS = ['createdAt', 'name', 'status', 'handler'] as const;
type SortField = (typeof SORT_FIELDS)[number];
const SORT_COLUMN = { createdAt: 'createdAtField', name: 'nameField', status: 'statusField', handler: 'jobHandlerField' } as const;

export const listJobsSchema = z.object({
  ...jobFilterShape,
  /** Order of the list (default: newest first), the primary key breaking ties the same way. */
  sort: z.object({ field: z.enum(SORT_FIELDS), direction: z.enum(['asc', 'desc']) }).strict().optional(),
  limit: limitSchema.optional(),
  offset: offsetSchema.optional(),
  cursor: z.string().min(1).max(4096).optional(),
}).strict();

export type ListJobsBody = z.infer<typeof listJobsSchema>;

interface Sort {
  field: SortField;
  direction: 'asc' | 'desc';
}

const NEWEST_FIRST: Sort = { field: 'createdAt', direction: 'desc' };

interface Cursor {
  sort: Sort;
  value: string;
  id: string;
}

/** `[field, direction, value, id]`; the first version, `[createdAt, id]`, is newest first. */
function encodeCursor(cursor: Cursor): string {
  const { sort, value, id } = cursor;
  const parts = sort.field === 'createdAt' && sort.direction === 'desc' ? [value, id] : [sort.field, sort.direction, value, id];
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    const parts: unknown[] | null = Array.isArray(value) && value.length === 2 ? ['createdAt', 'desc', ...value]
      : Array.isArray(value) && value.length === 4 ? value : null;
    // Only what this API gives out: a known sort, a value of that column (an ISO date for
    // createdAt: a forged one would reach the database as a filter value) and a non-empty id.
    if (parts && (SORT_FIELDS as readonly unknown[]).includes(parts[0]) && (parts[1] === 'asc' || parts[1] === 'desc')
      && typeof parts[2] === 'string' && parts[2].length <= 1024 && typeof parts[3] === 'string' && parts[3].length > 0 && parts[3].length <= 255
      && (parts[0] !== 'createdAt' || (ISO_UTC.test(parts[2]) && !Number.isNaN(Date.parse(parts[2]))))) {
      return { sort: { field: parts[0] as SortField, direction: parts[1] }, value: parts[2], id: parts[3] };
    }
  } catch {
    // answered below
  }
  throw new ApiError('INVALID_INPUT', "Field 'cursor' is not a cursor this API gave out: pass the 'nextCursor' of a previous answer unchanged.", 'cursor');
}

/** The resource filters of a job filter, with the policy's "own jobs only" rule when it is a database filter. */
export async function jobFilters(ctx: ApiContext, adminUser: AdminUserLike, body: JobFilter): Promise<any[]> {
  const o = ctx.plugin.options;
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
  // AdminForth's LIKE/ILIKE match a substring (contract §2.1).
  if (body.search !== undefined) filters.push(Filters.ILIKE(o.nameField, body.search));
  const ownOnly = body.mine || (ctx.policy.viewRuleIsDefault && !(await ctx.policy.isAdmin(adminUser)));
  if (ownOnly) filters.push(Filters.EQ(o.startedByField, valueFor(o.startedByField, String(adminUser.pk), 'mine')));
  return filters;
}

export async function listJobs(ctx: ApiContext, adminUser: AdminUserLike, body: ListJobsBody): Promise<{ jobs: JobSummary[]; nextCursor: string | null }> {
  if (body.cursor !== undefined && body.offset !== undefined) {
    throw new ApiError('INVALID_INPUT', "Field 'cursor' cannot be combined with 'offset': page by one or the other.", 'cursor');
  }
  const o = ctx.plugin.options;
  const pk = ctx.primaryKey();
  const order: Sort = body.sort ?? NEWEST_FIRST;
  const sortColumn = o[SORT_COLUMN[order.field]];
  const filters = await jobFilters(ctx, adminUser, body);
  if (body.cursor !== undefined) {
    const cursor = decodeCursor(body.cursor);
    if (cursor.sort.field !== order.field || cursor.sort.direction !== order.direction) {
      throw new ApiError('INVALID_INPUT', `Field 'cursor' was made for the order ${cursor.sort.field} ${cursor.sort.direction}, not ${order.field} ${order.direction}: start again without a cursor.`, 'cursor');
    }
    const id = ctx.rowId(cursor.id, 'cursor');
    const beyond = order.direction === 'desc' ? Filters.LT : Filters.GT;
    filters.push(Filters.OR(
      beyond(sortColumn, cursor.value),
      Filters.AND(Filters.EQ(sortColumn, cursor.value), beyond(pk, id)),
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
  const by = order.direction === 'desc' ? Sorts.DESC : Sorts.ASC;
  const sort = [by(sortColumn), by(pk)];

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
    const value = row[sortColumn];
    return value === null || value === undefined || (order.field === 'createdAt' && !value)
      ? null : encodeCursor({ sort: order, value: String(value), id: String(row[pk]) });
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

/**
 * Every job matching `filter` that the caller may see, newest first, at most `max` of them (`more`:
 * there were more). Pages by keyset, so jobs starting meanwhile neither repeat nor shift the scan;
 * with a custom `canView` at most `SCAN_LIMIT` × 10 rows are looked at.
 */
export async function matchingRows(
  ctx: ApiContext, adminUser: AdminUserLike, filter: JobFilter, max: number,
): Promise<{ rows: Record<string, any>[]; more: boolean }> {
  const o = ctx.plugin.options;
  const pk = ctx.primaryKey();
  const base = await jobFilters(ctx, adminUser, filter);
  const resource = ctx.plugin.adminforth.resource(ctx.plugin.resourceConfig.resourceId);
  const sort = [Sorts.DESC(o.createdAtField), Sorts.DESC(pk)];
  const exact = ctx.policy.viewRuleIsDefault;
  const rows: Record<string, any>[] = [];
  let last: Record<string, any> | null = null;
  let scanned = 0;
  const PAGE = 500;
  for (;;) {
    const filters = last === null ? base : [...base, Filters.OR(
      Filters.LT(o.createdAtField, last[o.createdAtField]),
      Filters.AND(Filters.EQ(o.createdAtField, last[o.createdAtField]), Filters.LT(pk, last[pk])),
    )];
    const page = await resource.list(filters, PAGE, 0, sort);
    for (const row of page) {
      scanned++;
      last = row;
      if (!exact && !(await ctx.policy.canView(adminUser, ctx.accessInfo(row)))) continue;
      if (rows.length === max) return { rows, more: true };
      rows.push(row);
    }
    if (page.length < PAGE) return { rows, more: false };
    if (scanned >= SCAN_LIMIT * 10 || !last?.[o.createdAtField]) return { rows, more: true };
  }
}
