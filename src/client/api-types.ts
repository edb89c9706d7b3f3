/**
 * The shapes of the plugin's HTTP API as the CLI reads them (docs/http-api.md). Written out here
 * rather than imported from the plugin: the CLI talks to whatever version an app runs, over HTTP.
 */

export const JOB_STATUSES = ['QUEUED', 'IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_JOB_STATUSES: readonly string[] = ['DONE', 'DONE_WITH_ERRORS', 'CANCELLED'];

export const TASK_STATUSES = ['SCHEDULED', 'IN_PROGRESS', 'DONE', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskTotals {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface Job {
  id: string;
  name: string;
  handler: string;
  status: JobStatus;
  /** 0–100. */
  progress: number;
  startedBy: string | null;
  /** The starter's name (the users resource's username); null when unknown or from an older plugin. */
  startedByName?: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  tasks: TaskTotals;
  lastError: string | null;
}

export interface JobDetails extends Job {
  state: Record<string, unknown>;
  taskCounts: Record<TaskStatus, number>;
  canManage: boolean;
}

export interface Task {
  index: number;
  status: TaskStatus;
  attempt: number;
  error: string | null;
  state: Record<string, unknown>;
}

export interface TaskPage {
  tasks: Task[];
  total: number;
  limit: number;
  offset: number;
}

export interface JobList {
  jobs: Job[];
  nextCursor: string | null;
}

/** One engine event as `jobs/events` answers it (plugin/src/events.ts plus `seq` and `at`). */
export interface JobEvent {
  seq: number;
  at: string;
  type: string;
  jobId: string;
  handler: string;
  taskIndex?: number;
  attempt?: number;
  error?: string;
  willRetry?: boolean;
  status?: string;
  progress?: number;
  total?: number;
  done?: number;
  failed?: number;
  cancelled?: number;
  tasks?: number;
  field?: string;
  value?: unknown;
  fields?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface EventPage {
  events: JobEvent[];
  lastSeq: number;
  finished: boolean;
  truncated: boolean;
  reset: boolean;
}

export interface CancelResult {
  jobId: string;
  status: string;
  changed: boolean;
  message: string;
}

export interface RetryResult {
  jobId: string;
  status: string;
  tasks: number;
  changed: boolean;
  message: string;
}

export interface Instance {
  instanceId: string;
  resourceId: string;
  resourceLabel: string;
  pluginVersion: string;
  apiVersion: number;
  apiPath: string;
  isAdmin: boolean;
}

export interface Discovery {
  instances: Instance[];
  user: { pk: string; username: string | null; via: 'cookie' | 'token' };
  limits: { defaultLimit: number; maxLimit: number; maxLongPollMs: number; defaultLongPollMs: number; maxBodyBytes: number };
  websocket: { path: string; jobTopic: string; taskTopic: string };
}

/** A personal token as `tokens/list` describes it (no secret). */
export interface TokenInfo {
  id: string;
  name: string;
  /** The first characters of the token, to tell tokens apart. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** `tokens/create`'s answer: the token itself, shown this once. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

/** A recurring schedule (`schedules/list`, docs/http-api.md). */
export interface Schedule {
  name: string;
  cron: string;
  /** IANA time zone the cron is read in (UTC unless the schedule names one). */
  timezone: string;
  jobHandlerName: string;
  jobName: string;
  overlap: 'skip' | 'allow' | 'queue';
  catchUp: 'none' | 'last' | 'all';
  paused: boolean;
  /** ISO date-times; null when there is none (paused, or never ran). */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastTick: string | null;
  lastJobId: string | null;
}
