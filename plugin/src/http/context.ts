/**
 * What every endpoint of the HTTP API works with: the plugin (as a narrow interface, so http/ does
 * not import index.ts), the policy, the events buffer, the token store, and the job reader that
 * joins a resource row with the engine's stored state.
 */
import type { AdminForthComponentDeclarationFull, AdminForthResource, IAdminForth } from 'adminforth';
import { Filters } from 'adminforth';
import type { Engine, RetryScope } from '../engine/engine.js';
import type { EngineEvents } from '../engine/engine-events.js';
import type { JobRow, TaskRow } from '../store/job-store.js';
import type { JobStatus, TaskStatus } from '../statuses.js';
import type { AdminUserLike, JobAccessInfo, PluginOptions } from '../types.js';
import type { TokenStore } from '../store/token-store.js';
import { accessInfoOf, type JobsPolicy } from './policy.js';
import type { EventLog } from './event-log.js';
import { ApiError } from './errors.js';
import { UserNames } from './user-names.js';
import { VerifiedCredentials } from './authenticate.js';

/** The members of BackgroundJobsPlugin the HTTP API uses. */
export interface JobsPluginFacade {
  options: PluginOptions;
  adminforth: IAdminForth;
  resourceConfig: AdminForthResource;
  pluginInstanceId: string;
  policy: JobsPolicy;
  engineReady(): Promise<Engine>;
  /** The instance's engine events (engine-events.ts), subscribable before the engine runs. */
  events: EngineEvents;
  /** The personal tokens' store, once the engine runs. */
  tokenStore(): Promise<TokenStore>;
  getTaskDetailsComponent(jobHandlerName: string): AdminForthComponentDeclarationFull | undefined;
  cancelJob(jobId: unknown): Promise<{ changed: boolean; status: JobStatus }>;
  retryJob(jobId: unknown, opts?: { scope?: RetryScope }): Promise<{ status: JobStatus; tasks: number }>;
  getJobTasks(jobId: unknown, opts?: { status?: TaskStatus[]; limit?: number; offset?: number }): Promise<{ tasks: TaskRow[]; total: number }>;
  isAdmin(adminUser: AdminUserLike): Promise<boolean>;
}

/** A job as the API reads it: its resource row, and the engine's state when it has one. */
export interface LoadedJob {
  id: string;
  row: Record<string, any>;
  /** Null for a row the engine does not know (e.g. left by the official plugin). */
  stored: JobRow | null;
  access: JobAccessInfo;
}

export interface ApiContext {
  plugin: JobsPluginFacade;
  policy: JobsPolicy;
  events: EventLog;
  /** The engine, once it runs; `NOT_READY` if it could not start. */
  engine(): Promise<Engine>;
  tokens(): Promise<TokenStore>;
  /** Name of the primary key column of the jobs resource. */
  primaryKey(): string;
  /** A job id from a request in the type of the primary key column; `INVALID_INPUT` naming `field` if it cannot be. */
  rowId(jobId: string | number, field?: string): string | number;
  /** The row and stored state of a job, or null when it does not exist. */
  loadJob(jobId: string | number, field?: string): Promise<LoadedJob | null>;
  accessInfo(row: Record<string, any>): JobAccessInfo;
  /** Names of users by id, for STARTED BY (user-names.ts). */
  userNames: UserNames;
  /** Cookies and tokens verified a moment ago (authenticate.ts). */
  verified: VerifiedCredentials;
}

const NUMERIC_TYPES = new Set(['integer', 'float', 'decimal']);

export function createContext(plugin: JobsPluginFacade, policy: JobsPolicy, events: EventLog, tokens: () => Promise<TokenStore>): ApiContext {
  const o = plugin.options;
  const resource = () => plugin.adminforth.resource(plugin.resourceConfig.resourceId);
  const pkColumn = () => {
    const column = plugin.resourceConfig.columns.find((c) => c.primaryKey);
    if (!column) throw new ApiError('INTERNAL', `The jobs resource '${plugin.resourceConfig.resourceId}' has no primary key column.`);
    return column;
  };
  const engine = async () => {
    try {
      return await plugin.engineReady();
    } catch (error) {
      throw new ApiError('NOT_READY', `The background-jobs engine is not running: ${(error as Error)?.message ?? error}`);
    }
  };
  const ctx: ApiContext = {
    plugin, policy, events, engine, tokens,
    userNames: new UserNames(plugin.adminforth),
    verified: new VerifiedCredentials(o.userRecheckMs ?? 2000),
    primaryKey: () => pkColumn().name,
    rowId(jobId, field = 'jobId') {
      const type = String(pkColumn().type ?? '').toLowerCase();
      if (!NUMERIC_TYPES.has(type)) return String(jobId);
      const text = String(jobId);
      if (!/^-?\d+(\.\d+)?$/.test(text)) throw new ApiError('INVALID_INPUT', `Field '${field}' must be a number for this jobs resource, got '${text}'.`, field);
      return Number(text);
    },
    accessInfo(row) {
      return accessInfoOf(row, o, pkColumn().name);
    },
    async loadJob(jobId, field = 'jobId') {
      const id = ctx.rowId(jobId, field);
      const running = await engine();
      const row = await resource().get(Filters.EQ(pkColumn().name, id));
      if (!row) return null;
      const stored = await running.findJob(String(row[pkColumn().name]));
      return { id: String(row[pkColumn().name]), row, stored, access: ctx.accessInfo(row) };
    },
  };
  return ctx;
}
