/**
 * The one home of the jobs resource's rows (issue 21): which column holds what (the plugin's 8
 * `*Field` options), the primary key and its type, and every read and write of a row the plugin
 * makes through AdminForth's resource API — creating a job's row, mirroring status and progress
 * into it, deleting it, reading what the access rules see of it.
 */
import { Filters } from 'adminforth';
import type { AdminForthResource, IAdminForth } from 'adminforth';
import { JobsError, errorMessage } from '../errors.js';
import { accessInfoOf } from '../http/policy.js';
import type { JobAccessInfo, PluginOptions } from '../types.js';

const NUMERIC_TYPES = new Set(['integer', 'float', 'decimal']);

/** Longest job name accepted: the jobs table's `name` column is VARCHAR(255) in the migrations `af-jobs init` writes. */
const MAX_JOB_NAME_LENGTH = 255;

/** Refuses a job name no database can store, before anything is written (the engine checks its type). */
export function checkJobName(name: unknown): void {
  if (typeof name !== 'string') return;
  if (name.includes('\u0000')) {
    throw new JobsError('INVALID_INPUT', 'The job name contains a NUL character (\\u0000), which PostgreSQL cannot store: remove it.');
  }
  const length = [...name].length;
  if (length > MAX_JOB_NAME_LENGTH) {
    throw new JobsError('INVALID_INPUT', `The job name is ${length} characters long; at most ${MAX_JOB_NAME_LENGTH} are accepted: shorten it.`);
  }
}

export interface NewJobRow {
  name: string;
  startedBy: string | null;
  status: 'IN_PROGRESS' | 'QUEUED';
  handler: string;
  initialState: Record<string, unknown>;
}

export class JobRows {
  constructor(
    private readonly adminforth: () => IAdminForth,
    readonly resource: AdminForthResource,
    private readonly options: PluginOptions,
  ) {}

  private api() {
    return this.adminforth().resource(this.resource.resourceId);
  }

  private column(name: string) {
    return this.resource.columns.find((c) => c.name === name);
  }

  /** The seed declares progress as a STRING column: it then gets "42", not the float 42.0 SQLite would keep. */
  private get progressIsText(): boolean {
    const type = this.column(this.options.progressField)?.type;
    return type === 'string' || type === 'text';
  }

  get primaryKey(): string {
    const pk = this.resource.columns.find((c) => c.primaryKey)?.name;
    if (!pk) throw new Error(`BackgroundJobsPlugin: resource '${this.resource.resourceId}' has no primary key column.`);
    return pk;
  }

  /** The primary key column holds numbers (ids from requests must then be numeric). */
  get numericKey(): boolean {
    const pk = this.resource.columns.find((c) => c.primaryKey);
    return pk !== undefined && NUMERIC_TYPES.has(String(pk.type ?? '').toLowerCase());
  }

  /** A job id in the type of the resource's primary key column. */
  rowId(jobId: string): string | number {
    return this.numericKey ? Number(jobId) : jobId;
  }

  /** What the access rules (`canView`, `canManage`) see of a row. */
  accessInfo(row: Record<string, any>): JobAccessInfo {
    return accessInfoOf(row, this.options, this.primaryKey);
  }

  async load(jobId: string): Promise<Record<string, any> | null> {
    return this.api().get(Filters.EQ(this.primaryKey, this.rowId(jobId)));
  }

  /** Writes a new job's row; its primary key and creation time. */
  async create(job: NewJobRow): Promise<{ jobId: string; createdAt: string }> {
    const o = this.options;
    const record: Record<string, unknown> = {
      [o.nameField]: job.name, [o.startedByField]: job.startedBy, [o.progressField]: this.progressIsText ? '0' : 0,
      [o.statusField]: job.status, [o.jobHandlerField]: job.handler, [o.stateField]: job.initialState,
    };
    if (!this.column(o.createdAtField)?.fillOnCreate) record[o.createdAtField] = new Date().toISOString();
    let result: Awaited<ReturnType<ReturnType<JobRows['api']>['create']>>;
    try {
      result = await this.api().create(record);
    } catch (error) {
      // The connector throws what the database said (a value too long for its column, a type it
      // refuses): say which job and resource, keep the database's words.
      throw new JobsError('INVALID_INPUT', `Could not create the row of job '${job.name}' in resource '${this.resource.resourceId}': ${errorMessage(error)}`, { cause: error });
    }
    if (!result.ok) throw new Error(`Could not create the row of job '${job.name}' in resource '${this.resource.resourceId}': ${result.error}`);
    const created = result.createdRecord;
    return { jobId: String(created[this.primaryKey]), createdAt: String(created[o.createdAtField] ?? new Date().toISOString()) };
  }

  /** Writes columns of a job's row (the mirror of its events). */
  async write(jobId: string, patch: Record<string, unknown>): Promise<void> {
    const progress = patch[this.options.progressField];
    if (typeof progress === 'number' && this.progressIsText) patch = { ...patch, [this.options.progressField]: String(progress) };
    await this.api().update(this.rowId(jobId), patch);
  }

  async delete(jobId: string): Promise<void> {
    await this.api().delete(this.rowId(jobId));
  }
}
