/**
 * Which jobs `cancel` / `retry` act on: ids given on the command line, or every job matching the
 * selectors (`--status --handler --since --mine --started-by`), read from `jobs/list` page by page
 * with its cursor (docs/http-api.md `jobs/list`: cursor paging neither repeats nor skips a job when
 * new ones start meanwhile) until the last page.
 */
import type { Job } from './api-types.js';
import type { JobsApi, ListQuery } from './jobs-api.js';

export interface Selectors {
  /** Upper-case statuses (flags.ts `choiceList` already checked them). */
  status?: string[];
  handler?: string;
  /** ISO 8601, already resolved from `--since`. */
  since?: string;
  mine?: boolean;
  /** A user's primary key, as `jobs/list` answers it in `startedBy`. */
  startedBy?: string;
}

/** The API's largest page (docs/http-api.md). */
const PAGE = 500;

export function hasSelectors(selectors: Selectors): boolean {
  return Boolean(selectors.status?.length || selectors.handler !== undefined || selectors.since || selectors.mine || selectors.startedBy !== undefined);
}

/** The selectors as flags, for messages: `--handler import_users --status queued,in_progress`. */
export function describeSelectors(selectors: Selectors, statuses: readonly string[]): string {
  const parts: string[] = [];
  if (statuses.length) parts.push(`--status ${statuses.map((s) => s.toLowerCase()).join(',')}`);
  if (selectors.handler !== undefined) parts.push(`--handler ${selectors.handler}`);
  if (selectors.since) parts.push(`--since ${selectors.since}`);
  if (selectors.mine) parts.push('--mine');
  if (selectors.startedBy !== undefined) parts.push(`--started-by ${selectors.startedBy}`);
  return parts.join(' ');
}

/** Every job matching `selectors` with one of `statuses`, newest first, all pages. */
export async function selectJobs(api: JobsApi, selectors: Selectors, statuses: readonly string[]): Promise<Job[]> {
  const query: ListQuery = {
    ...(statuses.length ? { status: [...new Set(statuses)] } : {}),
    ...(selectors.handler !== undefined ? { handler: selectors.handler } : {}),
    ...(selectors.mine ? { mine: true } : {}),
    ...(selectors.since ? { createdAfter: selectors.since } : {}),
    ...(selectors.startedBy !== undefined ? { startedBy: selectors.startedBy } : {}),
    limit: PAGE,
  };
  const jobs: Job[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await api.list({ ...query, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) {
      if (seen.has(job.id)) continue;
      seen.add(job.id);
      jobs.push(job);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return jobs;
}
