/**
 * Shared by the plugin's admin components: the HTTP API calls (docs/http-api.md, through
 * AdminForth's `callAdminForthApi`), the websocket topics the plugin publishes, who may manage a
 * job, and formatting.
 */
import { callAdminForthApi } from '@/utils';
import type { BulkAnswer, TaskAttempt } from './api-answers';

export type { BulkAnswer, TaskAttempt } from './api-answers';

export type JobStatus = 'QUEUED' | 'IN_PROGRESS' | 'DONE' | 'DONE_WITH_ERRORS' | 'CANCELLED';
export type TaskStatus = 'SCHEDULED' | 'IN_PROGRESS' | 'DONE' | 'FAILED' | 'CANCELLED';

export const JOB_STATUSES: JobStatus[] = ['QUEUED', 'IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'];
export const TASK_STATUSES: TaskStatus[] = ['SCHEDULED', 'IN_PROGRESS', 'DONE', 'FAILED', 'CANCELLED'];
export const ACTIVE_JOB_STATUSES: string[] = ['QUEUED', 'IN_PROGRESS'];
export const FINISHED_JOB_STATUSES: string[] = ['DONE', 'DONE_WITH_ERRORS', 'CANCELLED'];

export { JOB_TOPIC, taskTopic } from './payloads';

/** A job as `jobs/list` answers it. */
export interface JobSummary {
  id: string;
  name: string;
  handler: string;
  status: string;
  progress: number;
  startedBy: string | null;
  /** The starter's name (absent from plugins older than the Jobs page). */
  startedByName?: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  tasks: { total: number; done: number; failed: number; cancelled: number };
  lastError: string | null;
  /** The recurring schedule and tick (ISO; null for a run now) that started the job; null or absent otherwise. */
  schedule?: { name: string; tick: string | null } | null;
}

/** A recurring schedule as `schedules/list` answers it (docs/http-api.md "Schedules"). */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string;
  jobHandlerName: string;
  jobName: string;
  overlap: string;
  catchUp: string;
  paused: boolean;
  /** ISO 8601, or null (null while paused). */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastTick: string | null;
  lastJobId: string | null;
}

/** A row of the navbar's list. */
export interface JobListItem {
  id: string;
  name: string;
  status: string;
  progress: number;
  createdAt: string | null;
  finishedAt: string | null;
  tasks?: { total: number };
}

/** A job as `jobs/get` answers it. */
export interface JobDetails extends JobSummary {
  state: Record<string, unknown>;
  taskCounts: Record<string, number>;
  /** Present when the API says whether the caller may cancel/retry the job. */
  canManage?: boolean;
}

/** A payload of the job topic. */
export interface JobUpdate {
  jobId: string | number;
  /** The event's number in the job's durable log (shared with the task topic); absent from older plugins. */
  seq?: number;
  status?: string;
  name?: string;
  progress?: number;
  createdAt?: string;
  finishedAt?: string;
  error?: string;
  customComponent?: ComponentDeclaration;
}

/** A payload of the task topic. */
export interface TaskUpdate {
  taskIndex: number;
  /** The event's number in the job's durable log (shared with the job topic); absent from older plugins. */
  seq?: number;
  status?: string;
  error?: string;
  state?: Record<string, unknown>;
}

export interface TaskRow {
  index: number;
  status: string;
  attempt: number;
  error: string | null;
  state: Record<string, unknown>;
}

/** One engine event as `jobs/events` answers it (plugin/src/events.ts plus `seq` and `at`). */
export interface LoggedEvent {
  seq: number;
  at: string;
  type: string;
  jobId: string;
  [field: string]: any;
}

/** A page of `jobs/events` (docs/http-api.md). */
export interface EventPage {
  events: LoggedEvent[];
  lastSeq: number;
  finished: boolean;
  /** Events after `after` were dropped from the log: the page starts later. */
  truncated: boolean;
  /** `after` was beyond the job's last number: the page starts at the oldest event kept. */
  reset: boolean;
}

/** The filters of `jobs/list` and of the bulk actions (docs/http-api.md). */
export interface JobFilter {
  status?: string[];
  handler?: string;
  startedBy?: string;
  createdAfter?: string;
  createdBefore?: string;
  search?: string;
  mine?: boolean;
}

export type SortField = 'createdAt' | 'name' | 'status' | 'handler';
export interface JobSort {
  field: SortField;
  direction: 'asc' | 'desc';
}

/** One handler of `metrics/handlers`. */
export interface HandlerMetricsRow {
  handler: string;
  registered: boolean;
  now: { queued: number; running: number };
  perMinute: { jobs: number; tasks: number };
  failureRate: number | null;
  durationMs: { p50: number | null; p95: number | null; count: number };
  lastHour: Record<'jobsCreated' | 'jobsFinished' | 'jobsWithErrors' | 'jobsCancelled' | 'tasksDone' | 'tasksFailed' | 'attemptsRetried', number>;
  sparkline: { tasks: number[]; failed: number[] };
}

export interface HandlerMetricsAnswer {
  generatedAt: string;
  window: { minutes: number; rateMinutes: number; since: string; countingSince: string };
  handlers: HandlerMetricsRow[];
}

export interface Facets {
  handlers: string[];
  users: { id: string; name: string | null }[];
  usersComplete: boolean;
  isAdmin: boolean;
}

export interface ComponentDeclaration {
  file: string;
  meta?: Record<string, any>;
}

/** What the official `get-background-job-info` answers (the registered renderer lives only there). */
export interface JobInfo {
  id: string | number;
  name: string;
  createdAt: string;
  finishedAt: string | null;
  status: string;
  state: Record<string, unknown> | null;
  progress: number | string;
  customComponent?: ComponentDeclaration;
}

export class JobsApiError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'JobsApiError';
  }
}

export const sameId = (a: unknown, b: unknown) => a !== undefined && a !== null && String(a) === String(b);

/** `{ error: { code, message } }` (the plugin's API) or `{ ok: false, message }` (the official endpoints). */
function failureOf(answer: any): JobsApiError | null {
  if (answer === null || answer === undefined) return new JobsApiError('You are not logged in, or the server could not be reached.', 'UNAUTHORIZED');
  if (answer.error) {
    if (typeof answer.error === 'string') return new JobsApiError(answer.error);
    return new JobsApiError(String(answer.error.message ?? 'Request failed'), answer.error.code);
  }
  if (answer.ok === false) return new JobsApiError(String(answer.message ?? 'Request failed'));
  return null;
}

async function post<T = any>(path: string, body?: unknown, options: { silentError?: boolean } = {}): Promise<T> {
  const answer = await callAdminForthApi({ path, method: 'POST', body: body ?? {}, ...options });
  const failure = failureOf(answer);
  if (failure) throw failure;
  return answer as T;
}

/** Who the caller is for one plugin instance (from the discovery endpoint), cached per page. */
export interface Caller {
  pk: string | null;
  isAdmin: boolean;
  /** The instance's jobs resource (its list page is `/resource/<resourceId>`); null when not reported. */
  resourceId: string | null;
  /** The plugin's Jobs page in the admin; null when the app turned it off (or the plugin is older). */
  pageUrl: string | null;
}

const callers = new Map<string, Promise<Caller>>();

export function forgetCaller(): void {
  callers.clear();
}

export function jobsApi(pluginInstanceId: string) {
  const base = `/plugin/${pluginInstanceId}`;
  return {
    list: (body: Record<string, unknown>) => post<{ jobs: JobSummary[]; nextCursor: string | null }>(`${base}/jobs/list`, body),
    get: async (jobId: string | number) => (await post<{ job: JobDetails }>(`${base}/jobs/get`, { jobId })).job,
    /** The official endpoint: the only one that names the job's registered task-details component. */
    info: async (jobId: string | number) => (await post<{ ok: true; job: JobInfo }>('/plugin/get-background-job-info', { jobId })).job,
    tasks: (jobId: string | number, query: { status?: string[]; limit: number; offset: number }) =>
      post<{ tasks: TaskRow[]; total: number }>(`${base}/jobs/tasks`, { jobId, ...query }),
    /** The official `get-tasks`, answering `{ state, status }` per task: what custom renderers get. */
    compatTasks: async (jobId: string | number, limit: number, offset: number) =>
      (await post<{ ok: true; data: { tasks: { state: Record<string, any>; status: string }[]; total: number } }>(`${base}/get-tasks`, { jobId, limit, offset })).data,
    /** The job's events after `after`, answered at once (`timeoutMs: 0`): what fills a gap in the websocket's numbers. */
    events: (jobId: string | number, after: number) => post<EventPage>(`${base}/jobs/events`, { jobId, after, timeoutMs: 0 }),
    cancel: (jobId: string | number) => post<{ status: string; changed: boolean; message: string }>(`${base}/jobs/cancel`, { jobId }),
    retry: (jobId: string | number) => post<{ status: string; tasks: number; changed: boolean; message: string }>(`${base}/jobs/retry`, { jobId, scope: 'failed' }),
    /** Runs these tasks of a finished job again (`jobs/retry` with task indexes). */
    retryTasks: (jobId: string | number, indexes: number[]) =>
      post<{ status: string; tasks: number; changed: boolean; message: string }>(`${base}/jobs/retry`, { jobId, scope: indexes }),
    /** A page of jobs with filters, search, sort and a cursor (the Jobs page). */
    page: (body: JobFilter & { sort?: JobSort; limit: number; cursor?: string }) =>
      post<{ jobs: JobSummary[]; nextCursor: string | null }>(`${base}/jobs/list`, body),
    facets: () => post<Facets>(`${base}/jobs/facets`, {}),
    metrics: () => post<HandlerMetricsAnswer>(`${base}/metrics/handlers`, {}),
    taskAttempts: (jobId: string | number, taskIndex: number) =>
      post<{ taskIndex: number; attempts: TaskAttempt[]; complete: boolean }>(`${base}/jobs/task-attempts`, { jobId, taskIndex }),
    /** `jobs/cancel-matching` / `jobs/retry-matching`: by ids or by filters; `dryRun` counts, `expect` acts only on the set counted. */
    bulk: (action: 'cancel' | 'retry', body: JobFilter & { jobIds?: string[]; dryRun?: boolean; expect?: string }) =>
      post<BulkAnswer>(`${base}/jobs/${action}-matching`, body),
    /**
     * `schedules/list` (admins only). Without an alert when it fails: a plugin older than schedules
     * has no such route, and the page then just leaves its schedules out.
     */
    schedules: async () => (await post<{ schedules: ScheduleInfo[] }>(`${base}/schedules/list`, {}, { silentError: true })).schedules ?? [],
    pauseSchedule: async (name: string) => (await post<{ schedule: ScheduleInfo }>(`${base}/schedules/pause`, { name })).schedule,
    resumeSchedule: async (name: string) => (await post<{ schedule: ScheduleInfo }>(`${base}/schedules/resume`, { name })).schedule,
    /** Starts a job of the schedule now, outside its ticks (also while paused). */
    runSchedule: (name: string) => post<{ schedule: ScheduleInfo; jobId: string }>(`${base}/schedules/run`, { name }),
    caller(): Promise<Caller> {
      let caller = callers.get(pluginInstanceId);
      if (!caller) {
        caller = post<DiscoveryAnswer>('/plugin/background-jobs/instances')
          .then((answer) => {
            const instance = answer.instances?.find((i) => i.instanceId === pluginInstanceId);
            return {
              pk: answer.user?.pk !== undefined ? String(answer.user.pk) : null,
              isAdmin: Boolean(instance?.isAdmin),
              resourceId: instance?.resourceId ?? null,
              pageUrl: instance?.pageUrl ?? null,
            };
          });
        caller.catch(() => callers.delete(pluginInstanceId));
        callers.set(pluginInstanceId, caller);
      }
      return caller;
    },
  };
}

export type JobsApi = ReturnType<typeof jobsApi>;

interface DiscoveryAnswer {
  instances: { instanceId: string; isAdmin: boolean; resourceId?: string; pageUrl?: string | null }[];
  user: { pk: string };
}

/**
 * The plugin instance a page belongs to, when no `meta` names it (a page AdminForth routes to
 * gets no props): the one whose Jobs page is at `pathname`, else the first.
 */
export async function instanceForPage(pathname: string): Promise<string | null> {
  const answer = await post<DiscoveryAnswer>('/plugin/background-jobs/instances');
  const instances = answer.instances ?? [];
  const path = pathname.replace(/\/+$/, '');
  return (instances.find((i) => i.pageUrl && i.pageUrl.replace(/\/+$/, '') === path) ?? instances[0])?.instanceId ?? null;
}

/**
 * Whether the caller may cancel or retry the job: the API's own answer when it gives one, else
 * the plugin's default rule (the job's starter and admins).
 */
export function mayManage(job: Pick<JobDetails, 'startedBy' | 'canManage'>, caller: Caller | null): boolean {
  if (typeof job.canManage === 'boolean') return job.canManage;
  if (!caller) return false;
  return caller.isAdmin || (job.startedBy !== null && caller.pk !== null && String(job.startedBy) === caller.pk);
}

export const isActive = (status: string) => ACTIVE_JOB_STATUSES.includes(status);
export const isFinished = (status: string) => FINISHED_JOB_STATUSES.includes(status);

export function clampProgress(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  return Math.min(100, Math.max(0, Math.round(n)));
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value as string);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "3 minutes ago" in the UI's language. */
export function timeAgo(value: unknown, locale: string, now = Date.now()): string {
  const date = toDate(value);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale || 'en', { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return rtf.format(seconds, 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

export function formatDateTime(value: unknown, locale: string): string {
  const date = toDate(value);
  return date ? date.toLocaleString(locale || 'en') : '';
}

/** "1 h 2 min", "3 min 20 s", "20 s", "4.2 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Calls `fn` at most once per `ms`, at the end of the window (the last call wins). */
export function throttle(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
  run.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return run;
}

/** A task's run time: "40 ms", "1.2 s", "3 min 20 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return formatDuration(ms);
}

/** The number as the UI's language writes it, with at most `digits` decimals. */
export function formatNumber(value: number, locale: string, digits = 1): string {
  return new Intl.NumberFormat(locale || 'en', { maximumFractionDigits: digits }).format(value);
}

/** Copies text to the clipboard; false when the browser refused (no permission, no secure context). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator !== 'undefined' && navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // the fallback below
  }
  if (typeof document === 'undefined') return false;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/**
 * Keeps Tab and Shift+Tab inside `container` (a modal dialog): from the last focusable element
 * to the first and back. Returns true when it moved the focus.
 */
export function trapTab(event: KeyboardEvent, container: HTMLElement | null): boolean {
  if (event.key !== 'Tab' || !container) return false;
  const items = [...container.querySelectorAll<HTMLElement>(
    'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])',
  )];
  if (items.length === 0) return false;
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement as HTMLElement | null;
  const inside = active !== null && container.contains(active);
  if (event.shiftKey && (active === first || !inside)) {
    event.preventDefault();
    last.focus();
    return true;
  }
  if (!event.shiftKey && (active === last || !inside)) {
    event.preventDefault();
    first.focus();
    return true;
  }
  return false;
}
