/**
 * What every endpoint of the HTTP API works with: the plugin (as a narrow interface, so http/ does
 * not import index.ts), the policy, the events buffer, the token store, and the job reader that
 * joins a resource row with the engine's stored state.
 */
import type { AdminForthComponentDeclarationFull, AdminForthResource, IAdminForth } from 'adminforth';
import type { Engine, RetryScope } from '../engine/engine.js';
import type { EngineEvents } from '../engine/engine-events.js';
import type { JobRow, TaskRow } from '../store/job-store.js';
import type { JobStatus, TaskStatus } from '../statuses.js';
import type { AdminUserLike, JobAccessInfo, PluginOptions, ScheduleInfo } from '../types.js';
import type { TokenStore } from '../store/token-store.js';
import type { JobRows } from '../adapter/job-rows.js';
import type { JobsPolicy } from './policy.js';
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
  /** The jobs resource's rows: keys, reads, what the rules see (adapter/job-rows.ts). */
  readonly jobRowsApi: JobRows;
  getTaskDetailsComponent(jobHandlerName: string): AdminForthComponentDeclarationFull | undefined;
  cancelJob(jobId: unknown): Promise<{ changed: boolean; status: JobStatus }>;
  retryJob(jobId: unknown, opts?: { scope?: RetryScope }): Promise<{ status: JobStatus; tasks: number }>;
  getJobTasks(jobId: unknown, opts?: { status?: TaskStatus[]; limit?: number; offset?: number }): Promise<{ tasks: TaskRow[]; total: number }>;
  isAdmin(adminUser: AdminUserLike): Promise<boolean>;
  /** Recurring schedules (engine/schedules.ts), for `schedules/*`. */
  listSchedules(): Promise<ScheduleInfo[]>;
  pauseSchedule(name: string): Promise<ScheduleInfo>;
  resumeSchedule(name: string): Promise<ScheduleInfo>;
  runScheduleNow(name: string): Promise<{ schedule: ScheduleInfo; jobId: string }>;
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

export function createContext(plugin: JobsPluginFacade, policy: JobsPolicy, events: EventLog, tokens: () => Promise<TokenStore>): ApiContext {
  const o = plugin.options;
  const rows = () => plugin.jobRowsApi;
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
    primaryKey: () => rows().primaryKey,
    rowId(jobId, field = 'jobId') {
      const text = String(jobId);
      if (rows().numericKey && !/^-?\d+(\.\d+)?$/.test(text)) {
        throw new ApiError('INVALID_INPUT', `Field '${field}' must be a number for this jobs resource, got '${text}'.`, field);
      }
      return rows().rowId(text);
    },
    accessInfo(row) {
      return rows().accessInfo(row);
    },
    async loadJob(jobId, field = 'jobId') {
      ctx.rowId(jobId, field);
      const running = await engine();
      const row = await rows().load(String(jobId));
      if (!row) return null;
      const id = String(row[rows().primaryKey]);
      return { id, row, stored: await running.findJob(id), access: ctx.accessInfo(row) };
    },
  };
  return ctx;
}
