/**
 * The Jobs page's filters as the form holds them, as `jobs/list` and the bulk actions take them,
 * and as the page's address keeps them (so a filtered view can be bookmarked and shared).
 */
import type { JobFilter, JobSort, SortField } from './utils';

export type TimeRange = 'any' | '1h' | '24h' | '7d' | 'custom';

export interface FilterState {
  search: string;
  /** '' any, 'active' queued or in progress, or one job status. */
  status: string;
  handler: string;
  /** A user's primary key, '' anyone. */
  startedBy: string;
  range: TimeRange;
  /** `datetime-local` values (the browser's time zone), for `range: 'custom'`. */
  from: string;
  to: string;
}

export function emptyFilters(): FilterState {
  return { search: '', status: '', handler: '', startedBy: '', range: 'any', from: '', to: '' };
}

export function isEmptyFilters(f: FilterState): boolean {
  return !f.search && !f.status && !f.handler && !f.startedBy && f.range === 'any';
}

const RANGE_MS: Record<string, number> = { '1h': 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const STATUSES = ['QUEUED', 'IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'];

function isoOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The filters of the API (docs/http-api.md `jobs/list`) for the form's state, relative times taken at `now`. */
export function toApiFilter(f: FilterState, now = Date.now()): JobFilter {
  const filter: JobFilter = {};
  const search = f.search.trim();
  if (search) filter.search = search.slice(0, 255);
  if (f.status === 'active') filter.status = ['QUEUED', 'IN_PROGRESS'];
  else if (STATUSES.includes(f.status)) filter.status = [f.status];
  if (f.handler) filter.handler = f.handler;
  if (f.startedBy) filter.startedBy = f.startedBy;
  if (f.range in RANGE_MS) filter.createdAfter = new Date(now - RANGE_MS[f.range]).toISOString();
  if (f.range === 'custom') {
    const after = isoOfLocal(f.from);
    const before = isoOfLocal(f.to);
    if (after) filter.createdAfter = after;
    if (before) filter.createdBefore = before;
  }
  return filter;
}

export const DEFAULT_SORT: JobSort = { field: 'createdAt', direction: 'desc' };
const SORT_FIELDS: SortField[] = ['createdAt', 'name', 'status', 'handler'];

/** The query string of the page's address for these filters and this order (defaults left out). */
export function toQuery(f: FilterState, sort: JobSort): string {
  const params = new URLSearchParams();
  if (f.search) params.set('q', f.search);
  if (f.status) params.set('status', f.status);
  if (f.handler) params.set('handler', f.handler);
  if (f.startedBy) params.set('startedBy', f.startedBy);
  if (f.range !== 'any') params.set('range', f.range);
  if (f.range === 'custom' && f.from) params.set('from', f.from);
  if (f.range === 'custom' && f.to) params.set('to', f.to);
  if (sort.field !== DEFAULT_SORT.field || sort.direction !== DEFAULT_SORT.direction) params.set('sort', `${sort.field}:${sort.direction}`);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The filters and order a query string holds; anything unknown is left at its default. */
export function fromQuery(search: string): { filters: FilterState; sort: JobSort } {
  const params = new URLSearchParams(search);
  const filters = emptyFilters();
  filters.search = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  filters.status = status === 'active' || STATUSES.includes(status) ? status : '';
  filters.handler = params.get('handler') ?? '';
  filters.startedBy = params.get('startedBy') ?? '';
  const range = params.get('range') ?? 'any';
  filters.range = (['any', '1h', '24h', '7d', 'custom'] as const).find((r) => r === range) ?? 'any';
  if (filters.range === 'custom') {
    filters.from = params.get('from') ?? '';
    filters.to = params.get('to') ?? '';
  }
  const [field, direction] = (params.get('sort') ?? '').split(':');
  const sort = SORT_FIELDS.includes(field as SortField) && (direction === 'asc' || direction === 'desc')
    ? { field: field as SortField, direction: direction as 'asc' | 'desc' } : { ...DEFAULT_SORT };
  return { filters, sort };
}
