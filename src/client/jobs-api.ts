/**
 * The plugin's endpoints (docs/http-api.md), typed: discovery, the jobs API and the token endpoints.
 * A stored instance whose routes have gone (the app was reconfigured) is looked up again once.
 */
import { NotFoundError, UsageError } from '../errors.js';
import type { CancelResult, CreatedToken, Discovery, EventPage, JobDetails, JobList, RetryResult, Schedule, TaskPage, TokenInfo } from './api-types.js';
import { HttpClient, MissingRouteError, type RequestOptions } from './http-client.js';
import type { InstanceRef } from './profiles.js';

export const DISCOVERY_PATH = '/plugin/background-jobs/instances';

export interface ListQuery {
  status?: string[];
  handler?: string;
  mine?: boolean;
  /** A user's primary key (`--started-by`). */
  startedBy?: string;
  createdAfter?: string;
  limit?: number;
  cursor?: string;
}

export interface EventsQuery {
  after: number;
  timeoutMs: number;
  limit?: number;
}

/** Asks the app where the plugin is; a 404 means it is not installed there. */
export async function discover(http: HttpClient): Promise<Discovery> {
  try {
    return await http.postAdminApi<Discovery>(DISCOVERY_PATH, {});
  } catch (error) {
    if (error instanceof MissingRouteError) {
      throw new NotFoundError(
        `The background-jobs plugin is not installed on ${http.url} (POST ${new URL(error.url).pathname} answered 404): add it to the app (af-jobs init), or check the URL (${http.urlSource}).`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The instance to use: the only one, or the one on `resourceId`. */
export function pickInstance(discovery: Discovery, resourceId?: string): InstanceRef {
  const { instances } = discovery;
  const chosen = resourceId
    ? instances.find((i) => i.resourceId === resourceId || i.instanceId === resourceId)
    : instances.length === 1 ? instances[0] : undefined;
  if (!chosen) {
    const names = instances.map((i) => i.resourceId).join(', ');
    throw new UsageError(resourceId
      ? `--resource "${resourceId}": the app has background-jobs on these resources: ${names}.`
      : `The app has background-jobs on ${instances.length} resources (${names}): pick one with af-jobs login --resource <id>.`);
  }
  return { instanceId: chosen.instanceId, resourceId: chosen.resourceId, apiPath: chosen.apiPath, websocketPath: discovery.websocket.path };
}

export class JobsApi {
  constructor(
    readonly http: HttpClient,
    public instance: InstanceRef,
    /** Called when the stored instance's routes are gone; returns a fresh one (from discovery). */
    private readonly rediscover?: () => Promise<InstanceRef>,
  ) {}

  private async call<T>(action: string, body: unknown, options?: RequestOptions): Promise<T> {
    try {
      return await this.http.postPath<T>(`${this.instance.apiPath}/${action}`, body, options);
    } catch (error) {
      if (!(error instanceof MissingRouteError) || !this.rediscover) throw error;
      this.instance = await this.rediscover();
      return this.http.postPath<T>(`${this.instance.apiPath}/${action}`, body, options);
    }
  }

  list(query: ListQuery): Promise<JobList> {
    return this.call('jobs/list', query);
  }

  async get(jobId: string): Promise<JobDetails> {
    return (await this.call<{ job: JobDetails }>('jobs/get', { jobId })).job;
  }

  tasks(query: { jobId: string; status?: string[]; limit?: number; offset?: number }): Promise<TaskPage> {
    return this.call('jobs/tasks', query);
  }

  cancel(jobId: string): Promise<CancelResult> {
    return this.call('jobs/cancel', { jobId });
  }

  retry(jobId: string, scope: 'failed' | 'unfinished' | number[]): Promise<RetryResult> {
    return this.call('jobs/retry', { jobId, scope });
  }

  /** A long-poll: answers when there are events after `after`, or after `timeoutMs`. */
  events(jobId: string, query: EventsQuery, signal?: AbortSignal): Promise<EventPage> {
    return this.call('jobs/events', { jobId, ...query }, { signal, timeoutMs: query.timeoutMs + 15_000 });
  }

  createToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
    return this.call('tokens/create', expiresInDays === undefined ? { name } : { name, expiresInDays });
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call<{ tokens: TokenInfo[] }>('tokens/list', {})).tokens;
  }

  revokeToken(id: string): Promise<{ id: string; revoked: boolean }> {
    return this.call('tokens/revoke', { id });
  }

  async listSchedules(): Promise<Schedule[]> {
    return (await this.call<{ schedules: Schedule[] }>('schedules/list', {})).schedules;
  }

  /** `pause` or `resume` one schedule by name; answers it as it is now. */
  async setSchedulePaused(name: string, paused: boolean): Promise<Schedule> {
    return (await this.call<{ schedule: Schedule }>(paused ? 'schedules/pause' : 'schedules/resume', { name })).schedule;
  }

  /** Starts the schedule's job now, outside its cron; answers the job's id. */
  runSchedule(name: string): Promise<{ schedule: Schedule; jobId: string }> {
    return this.call('schedules/run', { name });
  }
}
