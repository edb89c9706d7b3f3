/**
 * Who started a job, by name (issue 19: STARTED BY showed `d5102bf2-683…`): the users resource's
 * `auth.usernameField` for the job's `startedBy`. One query per page of jobs (`IN` over the page's
 * distinct users), names kept a minute. A user that is gone, or a users resource that cannot be
 * read, leaves the name null: the id is still there.
 */
import { Filters, Sorts } from 'adminforth';
import type { IAdminForth } from 'adminforth';

const TTL_MS = 60_000;
const MAX_CACHED = 5000;
const NUMERIC_TYPES = new Set(['integer', 'float', 'decimal']);

export class UserNames {
  private readonly cache = new Map<string, { at: number; name: string | null }>();

  constructor(private readonly adminforth: IAdminForth) {}

  /**
   * Users of the users resource by name, at most `limit` (the Jobs page's "started by" filter);
   * null when the users resource cannot be read.
   */
  async list(limit: number): Promise<{ id: string; name: string | null }[] | null> {
    const auth = this.adminforth.config.auth;
    const users = this.adminforth.config.resources.find((r) => r.resourceId === auth?.usersResourceId);
    const pk = users?.columns.find((c) => c.primaryKey);
    if (!auth?.usernameField || !users || !pk) return null;
    try {
      const rows = await this.adminforth.resource(users.resourceId).list([], limit, 0, Sorts.ASC(auth.usernameField));
      return rows.map((row) => {
        const value = row[auth.usernameField];
        return { id: String(row[pk.name]), name: value === undefined || value === null || value === '' ? null : String(value) };
      });
    } catch {
      return null;
    }
  }

  /** Names of these user ids (the ones known; absent: unknown or unreadable). */
  async namesOf(ids: Iterable<string | null>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const now = Date.now();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      if (id === null) continue;
      const cached = this.cache.get(id);
      if (cached && now - cached.at < TTL_MS) {
        if (cached.name !== null) names.set(id, cached.name);
      } else {
        missing.push(id);
      }
    }
    if (missing.length === 0) return names;
    const auth = this.adminforth.config.auth;
    const users = this.adminforth.config.resources.find((r) => r.resourceId === auth?.usersResourceId);
    const pk = users?.columns.find((c) => c.primaryKey);
    if (!auth?.usernameField || !users || !pk) return names;
    const numeric = NUMERIC_TYPES.has(String(pk.type ?? '').toLowerCase());
    const keys = numeric ? missing.filter((id) => /^-?\d+$/.test(id)).map(Number) : missing;
    let rows: Record<string, any>[] = [];
    try {
      if (keys.length > 0) rows = await this.adminforth.resource(users.resourceId).list(Filters.IN(pk.name, keys));
    } catch {
      return names;
    }
    const found = new Map(rows.map((row) => [String(row[pk.name]), row[auth.usernameField]]));
    if (this.cache.size + missing.length > MAX_CACHED) this.cache.clear();
    for (const id of missing) {
      const value = found.get(id);
      const name = value === undefined || value === null || value === '' ? null : String(value);
      this.cache.set(id, { at: now, name });
      if (name !== null) names.set(id, name);
    }
    return names;
  }
}
