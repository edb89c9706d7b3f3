/**
 * Who receives a job's websocket events (design D7): the same rule as the HTTP API and the
 * resource's pages (`JobsPolicy.canView`), decided on the user as the database has them now, not
 * as they were when their socket connected (issue 17: a demoted admin kept every job's events).
 * Events are filtered per subscriber and per event, so users and rows are read at most once per
 * `userRecheckMs` (users) or 5 s (rows, only for a custom `canView`).
 */
import { Filters } from 'adminforth';
import type { IAdminForth } from 'adminforth';
import type { JobsPolicy } from '../http/policy.js';
import type { AdminUserLike, JobAccessInfo } from '../types.js';
import type { JobRows } from './job-rows.js';

const ROW_TTL_MS = 5000;
const MAX_CACHED = 1000;

export class Viewers {
  private readonly users = new Map<string, { at: number; user: Promise<AdminUserLike | null> }>();
  private readonly rows = new Map<string, { at: number; info: Promise<JobAccessInfo | null> }>();

  constructor(
    private readonly adminforth: () => IAdminForth,
    private readonly jobRows: () => JobRows,
    private readonly policy: JobsPolicy,
    private readonly userRecheckMs: number,
  ) {}

  async mayView(socketUser: AdminUserLike | null | undefined, startedBy: string | null, jobId: string): Promise<boolean> {
    const adminUser = socketUser ? await this.currentUser(socketUser) : null;
    if (!adminUser) return false;
    // The default rule needs only the starter, which the event carries; a custom one the row.
    const info = this.policy.viewRuleIsDefault
      ? { id: jobId, name: '', handler: '', status: '', startedBy, row: {} }
      : await this.accessInfo(jobId);
    return info !== null && this.policy.canView(adminUser, info);
  }

  /**
   * `adminUser` with its row of the users resource as it is now (`dbUser`), or null when the row
   * is gone. Without a users resource (or its primary key) the socket's user is kept.
   */
  private currentUser(adminUser: AdminUserLike): Promise<AdminUserLike | null> {
    const adminforth = this.adminforth();
    const usersResourceId = adminforth.config.auth?.usersResourceId;
    const pk = adminforth.config.resources.find((r) => r.resourceId === usersResourceId)?.columns.find((c) => c.primaryKey)?.name;
    if (!usersResourceId || !pk || adminUser.pk === null || adminUser.pk === undefined) return Promise.resolve(adminUser);
    const key = String(adminUser.pk);
    const now = Date.now();
    const cached = this.users.get(key);
    if (cached && now - cached.at < this.userRecheckMs) return cached.user;
    const user = adminforth.resource(usersResourceId).get(Filters.EQ(pk, adminUser.pk))
      .then((row: Record<string, any> | null) => (row ? { ...adminUser, dbUser: row } : null))
      // An unreadable users table denies: better a missed event than one sent to a deleted user.
      .catch(() => null);
    if (this.users.size >= MAX_CACHED) this.users.delete(this.users.keys().next().value!);
    this.users.set(key, { at: now, user });
    return user;
  }

  private accessInfo(jobId: string): Promise<JobAccessInfo | null> {
    const now = Date.now();
    const cached = this.rows.get(jobId);
    if (cached && now - cached.at < ROW_TTL_MS) return cached.info;
    const rows = this.jobRows();
    const info = rows.load(jobId).then((row) => (row ? rows.accessInfo(row) : null)).catch(() => null);
    if (this.rows.size >= MAX_CACHED) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(jobId, { at: now, info });
    return info;
  }
}
