/**
 * Public types of @adminforth/background-jobs.
 */

/** Plugin options: the 8 column names of the seed's jobs resource, plus the engine's settings. */
export interface PluginOptions {
  /** Column holding when the job was created (DATETIME). */
  createdAtField: string;
  /** Column holding when the job finished (DATETIME, null until then). */
  finishedAtField: string;
  /** Column holding the primary key of the admin user who started the job. */
  startedByField: string;
  /** Column holding the job's state (JSON): `setJobStateField` values and the last `error`. */
  stateField: string;
  /** Column holding the progress, 0–100 (finished tasks / all tasks). */
  progressField: string;
  /** Column holding the job status (`QUEUED`, `IN_PROGRESS`, `DONE`, `DONE_WITH_ERRORS`, `CANCELLED`). */
  statusField: string;
  /** Column holding the job's name. */
  nameField: string;
  /** Column holding the name of the handler that runs the job's tasks. */
  jobHandlerField: string;
  /** Registers the instance for `admin.getPluginById(id)`. */
  id?: string;
  /** Accepted for compatibility with the official plugin, which kept tasks in LevelDB there; unused. */
  levelDbPath?: string;
  /**
   * Who counts as an admin: admins see and manage every job, other users only the jobs they
   * started. Default: `adminUser.dbUser.role === 'superadmin'`.
   */
  isAdmin?: (adminUser: AdminUserLike) => boolean | Promise<boolean>;
  /**
   * Replaces the default view rule of the HTTP API (the user started the job, or is an admin).
   * A job this answers `false` for is reported as missing, exactly like a job that does not exist.
   */
  canView?: (adminUser: AdminUserLike, job: JobAccessInfo) => boolean | Promise<boolean>;
  /**
   * Replaces the default manage rule (cancel, retry) of the HTTP API: by default the user started
   * the job, or is an admin. Only asked for jobs `canView` allows.
   */
  canManage?: (adminUser: AdminUserLike, job: JobAccessInfo) => boolean | Promise<boolean>;
  /**
   * Websocket events are sent to a user as the database has them now (demoted or deleted users
   * stop receiving them); what was read of a user is trusted this long. Default 2 000 ms.
   */
  userRecheckMs?: number;
  /** How long a claimed task stays leased without a heartbeat before another process may take it. Default 30 000 ms. */
  leaseMs?: number;
  /** How often leases are renewed and cancellations from other processes are noticed. Default leaseMs / 3. */
  heartbeatMs?: number;
  /** How often this process looks for work started elsewhere (other replicas, retries due). Default 1 000 ms. */
  pollMs?: number;
  /** Progress is written to the resource and published at most this often (and once at the end). Default 250 ms. */
  progressIntervalMs?: number;
  /** How often other replicas' events are read from the durable event log (ms, default 250; PostgreSQL is also woken by NOTIFY). */
  eventPollMs?: number;
  /** How long a finished job's events stay in the durable event log (ms, default 3,600,000). */
  eventRetentionMs?: number;
  /**
   * Task rows of a finished job are deleted this long after it finished (ms). Default 30 days;
   * `false` keeps them. The job keeps its row and counts; its task list is then empty.
   */
  taskRetentionMs?: number | false;
  /** Finished jobs — row, tasks and events — are deleted this long after they finished (ms). Default `false`: kept. */
  jobRetentionMs?: number | false;
  /** How often the retention pass runs, on one replica at a time (ms, default 600,000). */
  retentionIntervalMs?: number;
  /** Events kept per job in the durable event log; older ones are dropped (default 10,000). */
  maxEventsPerJob?: number;
  /**
   * Most tasks a job's runner leases beyond what it may run at once, when its tasks finish faster
   * than a database round trip (claim-ahead: completions and claims then travel in batches of
   * hundreds). Adapts to the measured task time; slow tasks get none. Default 1,000; 0 turns it off.
   */
  maxClaimAhead?: number;
  /**
   * Most bytes of JSON (UTF-8) a task's state may hold — and the job's state too (one limit for
   * both). A `setTaskStateField` or `setJobStateField` that would make the state bigger rejects with
   * a `JobsError` naming the limit, the size and this option, and writes nothing; the handler may
   * catch it and go on. Keeps every write well under what the database accepts in one statement
   * (MySQL/MariaDB `max_allowed_packet`). Default 1,048,576 (1 MiB).
   */
  maxTaskStateBytes?: number;
  /** SQLite only: switch the database to WAL with synchronous=NORMAL at start-up (default true). */
  sqliteTuning?: boolean;
  /**
   * Also answer `admin.getPluginByClassName('default')`, the lookup some samples of the official
   * docs use (an anonymous class is named `default`). Default true; turn off if another anonymous
   * plugin of your app needs that name.
   */
  registerDefaultAlias?: boolean;
  /**
   * The Jobs page (docs/jobs-page.md): every job the user may see, with filters, bulk cancel and
   * retry, job details and — for admins — per-handler metrics, as a page of the admin added to the
   * menu after the jobs resource. `false` leaves it out (the navbar's "All jobs" then opens the
   * jobs resource's list). Default `{ path: '/background-jobs', label: 'Background jobs', icon: 'flowbite:chart-pie-solid' }`.
   */
  jobsPage?: false | JobsPageOptions;
}

/** Where the Jobs page lives and how its menu item reads. */
export interface JobsPageOptions {
  /** The page's path in the admin (letters, digits, `-`, `_` and `/`, starting with `/`). Default `/background-jobs`. */
  path?: string;
  /** The menu item's label (AdminForth translates menu labels). Default `Background jobs`. */
  label?: string;
  /** The menu item's icon (an Iconify name, as AdminForth's menu takes). Default `flowbite:chart-pie-solid`. */
  icon?: string;
}

/** A job as the authorization options (`canView`, `canManage`) see it. */
export interface JobAccessInfo {
  /** Primary key of the job's row, as a string. */
  id: string;
  name: string;
  handler: string;
  status: string;
  /** Primary key of the user who started the job, as a string; null for system jobs. */
  startedBy: string | null;
  /** The whole row of the jobs resource, for rules on columns of your own (tenant, team, ...). */
  row: Record<string, any>;
}

/** AdminForth's `AdminUser` (`pk` is `string | null` in its types), or a user of your own. */
export interface AdminUserLike {
  pk: string | number | null;
  username?: string;
  dbUser?: Record<string, any>;
  [key: string]: any;
}

/** `setTaskStateField(field, value)` sets one key; `setTaskStateField({...})` merges keys into the state. */
export interface SetStateField {
  (field: string, value: unknown): Promise<void>;
  (fields: Record<string, unknown>): Promise<void>;
}

/** `getTaskStateField(field)` returns one key; `getTaskStateField()` the whole state. */
export interface GetStateField {
  (field: string): Promise<any>;
  (): Promise<Record<string, any>>;
}

/** What a handler receives for each task it runs. */
export interface TaskContext {
  /** Primary key of the job's resource row. */
  jobId: string;
  /** 0-based position of the task in the job. */
  taskIndex: number;
  /** 1 on the first run; higher after a retry or after a crashed process's lease was recovered. */
  attempt: number;
  /** Aborted when the job is cancelled, the task times out, or the process shuts down. */
  signal: AbortSignal;
  setTaskStateField: SetStateField;
  getTaskStateField: GetStateField;
  /** The whole task state. */
  getState: () => Promise<Record<string, any>>;
  /** Set one key of the job's state (shared by all tasks; also written to the resource's state column). */
  setJobStateField: (field: string, value: unknown) => Promise<void>;
  getJobStateField: (field: string) => Promise<any>;
  getJobState: () => Promise<Record<string, any>>;
}

export type TaskHandler = (context: TaskContext) => Promise<void> | void;

export interface AllTasksDoneInfo {
  jobId: string;
  failedTasks: number;
  succeededTasks: number;
}

/** What `beforeJobFinish` receives. */
export interface BeforeJobFinishInfo extends AllTasksDoneInfo {
  /** 1 on the first call; one more on each call after tasks the previous call added have run. */
  finishAttemptNumber: number;
}

export interface BackoffOptions {
  /** Delay before the second attempt. Default 1 000 ms; each further attempt doubles it. */
  baseMs?: number;
  /** Longest delay. Default 60 000 ms. */
  maxMs?: number;
  /** Random spread, 0–1, so failing tasks do not retry in lockstep. Default 0.2. */
  jitter?: number;
}

export interface TaskHandlerDefinition {
  /** Name stored in the job's `jobHandlerField`. */
  jobHandlerName: string;
  handler: TaskHandler;
  /** Tasks of one job running at once, across all processes. Default 3 (as the official plugin). */
  parallelLimit?: number;
  /** Jobs of this handler running at once; more wait as `QUEUED`, started oldest first. Default: no limit. */
  concurrencyLimit?: number;
  /** Runs per task before it counts as failed. Default 1 (no retry). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Abort the signal and fail the attempt after this long. Default: no timeout. */
  timeoutMs?: number;
  /** Called once when every task of a job has finished (not when it is cancelled). */
  onAllTasksDone?: (info: AllTasksDoneInfo) => Promise<void> | void;
  /**
   * Called when every task of a job has finished, before the job is marked DONE or
   * DONE_WITH_ERRORS. Tasks it adds (`addNewTasksToExistingJob`) run, and then it is called again
   * with the next `finishAttemptNumber`; once a call adds none, the job finishes. One replica runs
   * it at a time; if that process dies during the call, another calls it again with the same
   * number (so make it safe to repeat). An error it throws is logged and the job finishes.
   */
  beforeJobFinish?: (info: BeforeJobFinishInfo) => Promise<void> | void;
}

/** One task as given to `startNewJob`. */
export interface NewTask {
  state: Record<string, any>;
}

export type TaskSource = Iterable<NewTask> | AsyncIterable<NewTask>;

export interface StartJobOptions {
  /** Create the job as `QUEUED` even when its handler has a free concurrency slot. */
  queued?: boolean;
  /**
   * false: a job created QUEUED is not started now; it starts at the next drain of its handler's
   * queue (`startNextQueuedJob` / `startQueuedJobs`, a job of the handler ending, or the periodic
   * check every `pollMs`). Default true.
   */
  autoStart?: boolean;
}

/** What `retryJob` runs again: the failed tasks (default), every unfinished one, or these task indexes. */
export type RetryScope = 'failed' | 'unfinished' | number[];

/** What a tick does while an earlier job of its schedule is still QUEUED or IN_PROGRESS. */
export type ScheduleOverlap = 'skip' | 'allow' | 'queue';
/** Which ticks missed during a downtime fire when a replica is back. */
export type ScheduleCatchUp = 'none' | 'last' | 'all';

/** A recurring schedule (`registerSchedule`): a job of `tasks()` started at every tick of `cron`. */
export interface ScheduleDefinition {
  /** Unique name: 1–100 letters, digits, `_`, `-`, `.` or `:`. The key of its durable state (pause, last run). */
  name: string;
  /**
   * Cron pattern: 5 fields (minute hour day-of-month month day-of-week, e.g. `'0 3 * * *'`),
   * 6 with seconds first (`'*\/10 * * * * *'`), or a nickname (`'@daily'`). Parsed by croner.
   */
  cron: string;
  /** IANA time zone the pattern is read in, DST included (e.g. `'Europe/Berlin'`). Default `'UTC'`. */
  timezone?: string;
  /** Handler that runs the job's tasks; register it with `registerTaskHandler` first. */
  jobHandlerName: string;
  /** Name of the jobs it starts. Default: the schedule's name. */
  jobName?: string;
  /**
   * The tasks of the tick's job, asked at each tick (an array or an async iterable of `{ state }`).
   * None: the tick is recorded as skipped and no job starts. If it throws, the tick is recorded as
   * failed (logged) and not tried again.
   */
  tasks: () => TaskSource | Promise<TaskSource>;
  /**
   * A tick while an earlier job of this schedule is still QUEUED or IN_PROGRESS: `'skip'` (default)
   * records the tick as skipped; `'allow'` starts the job anyway; `'queue'` starts it QUEUED, to run
   * when a concurrency slot of its handler frees up (the handler needs a `concurrencyLimit`; with 1,
   * the schedule's jobs run one after another).
   */
  overlap?: ScheduleOverlap;
  /**
   * Ticks missed while no replica ran (more than 10 s late): `'last'` (default) fires the most
   * recent one once, `'none'` fires none, `'all'` fires each (at most the 1,000 most recent).
   */
  catchUp?: ScheduleCatchUp;
}

/** A schedule as `listSchedules()` and the HTTP API show it; times are ISO 8601 strings. */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string;
  jobHandlerName: string;
  jobName: string;
  overlap: ScheduleOverlap;
  catchUp: ScheduleCatchUp;
  /** Paused on every replica (the flag is in the database); a paused schedule's ticks do not fire. */
  paused: boolean;
  /** The next tick; null while paused. */
  nextRunAt: string | null;
  /** When the schedule last started a job (a tick's or a run now's). */
  lastRunAt: string | null;
  /** The latest tick that started a job. */
  lastTick: string | null;
  /** The job the schedule started last. */
  lastJobId: string | null;
}
