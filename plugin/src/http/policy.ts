/**
 * Who may see and manage which job (design D7, issue 5 §3). Default: a user sees and manages the
 * jobs they started; admins (`isAdmin`, default `dbUser.role === 'superadmin'`) see and manage all.
 * The options `canView` / `canManage` replace those rules; managing always requires seeing.
 */
import type { AdminUserLike, JobAccessInfo, PluginOptions } from '../types.js';

/**
 * What the rules see of a job: its row of the jobs resource, with the columns the options name.
 * In rows of AdminForth's own pages a foreign key (the seed's `started_by`) is `{ label, pk }`.
 */
export function accessInfoOf(row: Record<string, any>, options: PluginOptions, primaryKey: string): JobAccessInfo {
  const column = row[options.startedByField];
  const startedBy = column !== null && typeof column === 'object' && 'pk' in column ? column.pk : column;
  return {
    id: String(row[primaryKey]),
    name: row[options.nameField] ?? '',
    handler: row[options.jobHandlerField] ?? '',
    status: row[options.statusField] ?? '',
    startedBy: startedBy === null || startedBy === undefined ? null : String(startedBy),
    row,
  };
}

export interface PolicyOptions {
  isAdmin: (adminUser: AdminUserLike) => Promise<boolean>;
  canView?: PluginOptions['canView'];
  canManage?: PluginOptions['canManage'];
}

export class JobsPolicy {
  constructor(private readonly options: PolicyOptions) {}

  isAdmin(adminUser: AdminUserLike): Promise<boolean> {
    return this.options.isAdmin(adminUser);
  }

  /**
   * True when the default rule is in force, so a list query may filter by `startedBy` in the
   * database instead of asking `canView` row by row.
   */
  get viewRuleIsDefault(): boolean {
    return this.options.canView === undefined;
  }

  async canView(adminUser: AdminUserLike, job: JobAccessInfo): Promise<boolean> {
    if (this.options.canView) return Boolean(await this.options.canView(adminUser, job));
    return this.startedOrAdmin(adminUser, job);
  }

  async canManage(adminUser: AdminUserLike, job: JobAccessInfo): Promise<boolean> {
    if (!(await this.canView(adminUser, job))) return false;
    if (this.options.canManage) return Boolean(await this.options.canManage(adminUser, job));
    return this.startedOrAdmin(adminUser, job);
  }

  private async startedOrAdmin(adminUser: AdminUserLike, job: JobAccessInfo): Promise<boolean> {
    if (job.startedBy !== null && String(adminUser.pk) === job.startedBy) return true;
    return this.options.isAdmin(adminUser);
  }
}
