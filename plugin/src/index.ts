/**
 * BackgroundJobsPlugin: the AdminForth adapter. It wires the engine (engine/), the store (store/)
 * and the websocket/resource mirror (adapter/) into AdminForth's plugin lifecycle (contract §1).
 */
import { AdminForthPlugin } from 'adminforth';
import type { AdminForthComponentDeclarationFull, AdminForthResource, AdminUser, IAdminForth, IHttpServer } from 'adminforth';
import { Engine, progressOf, validateHandlerDefinition } from './engine/engine.js';
import { EngineEvents } from './engine/engine-events.js';
import type { Logger } from './engine/engine-types.js';
import { openStores } from './store/open-stores.js';
import type { TokenStore } from './store/token-store.js';
import type { JobRow, TaskRow } from './store/job-store.js';
import { JobsError, errorMessage } from './errors.js';
import { ResourceMirror } from './adapter/mirror.js';
import { createPublisher } from './adapter/publisher.js';
import { checkColumnOptions, databaseOf, type SupportedDatabase } from './adapter/options.js';
import { createDefaultAlias, registerDefaultAlias } from './adapter/default-alias.js';
import { waitForResource, reconcileRows } from './adapter/startup.js';
import { injectAdminUi } from './adapter/admin-ui.js';
import { registerHttpApi } from './http/register.js';
import { JobsPolicy } from './http/policy.js';
import { JobRows } from './adapter/job-rows.js';
import { Viewers } from './adapter/viewers.js';
import { applyResourcePolicy, rowLoader } from './adapter/resource-policy.js';
import { Schedules, type ScheduledJobInput } from './engine/schedules.js';
import { normalizeSchedule, type Schedule } from './engine/schedule-definition.js';
import type { JobStatus, TaskStatus } from './statuses.js';
import type {
  AdminUserLike, PluginOptions, RetryScope, ScheduleDefinition, ScheduleInfo, StartJobOptions, TaskHandlerDefinition, TaskSource,
} from './types.js';

export type * from './types.js';
export type { JobStatus, TaskStatus } from './statuses.js';
export { JOB_STATUSES, TASK_STATUSES } from './statuses.js';
export { UnrecoverableError, JobsError } from './errors.js';
export type { EngineEvent, EngineEventMap } from './events.js';
export type { JobRow, JobSchedule, TaskRow } from './store/job-store.js';

const log: Logger = (level, message) => console[level](message);

/** Longest job name accepted: the jobs table's `name` column is VARCHAR(255) in the migrations `af-jobs init` writes. */
const MAX_JOB_NAME_LENGTH = 255;

/** Refuses a job name no database can store, before anything is written (the engine checks its type). */
function checkJobName(name: unknown): void {
  if (typeof name !== 'string') return;
  if (name.includes('\u0000')) {
    throw new JobsError('INVALID_INPUT', 'The job name contains a NUL character (\\u0000), which PostgreSQL cannot store: remove it.');
  }
  const length = [...name].length;
  if (length > MAX_JOB_NAME_LENGTH) {
    throw new JobsError('INVALID_INPUT', `The job name is ${length} characters long; at most ${MAX_JOB_NAME_LENGTH} are accepted: shorten it.`);
  }
}

export default class BackgroundJobsPlugin extends AdminForthPlugin {
  options: PluginOptions;
  private engine: Engine | null = null;
  private tokens: TokenStore | null = null;
  private readonly definitions = new Map<string, TaskHandlerDefinition>();
  private readonly customComponents = new Map<string, AdminForthComponentDeclarationFull>();
  /** Recurring schedules as registered (`registerSchedule`), before and after the engine starts. */
  private readonly scheduleDefinitions = new Map<string, Schedule>();
  /** Their timers and durable state (engine/schedules.ts), once the engine runs. */
  private schedules: Schedules | null = null;
  private readonly mirror: ResourceMirror;
  /**
   * The engine's events (engine-events.ts), made before the engine so the HTTP API, registered
   * first, can subscribe; the engine emits into it once it runs.
   * @internal
   */
  readonly events = new EngineEvents((error, event) => log('error', `background-jobs: a listener of ${event.type} failed: ${errorMessage(error)}`));
  private readonly readyPromise: Promise<Engine>;
  private resolveReady!: (engine: Engine) => void;
  private rejectReady!: (error: unknown) => void;
  private stopped = false;
  private starting: Promise<Engine> | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private readonly finalRowTimers = new Set<NodeJS.Timeout>();
  /** Store and row work of the timers above in flight: `stop()` waits for it. */
  private readonly inFlight = new Set<Promise<void>>();
  /** The jobs resource's rows (adapter/job-rows.ts), once AdminForth hands the resource over. */
  private jobRows: JobRows | null = null;
  private readonly viewers: Viewers;
  /**
   * Who may see and manage which job (design D7), for the HTTP API and the resource's own pages.
   * @internal
   */
  readonly policy: JobsPolicy;

  constructor(options: PluginOptions) {
    super(options, import.meta.url);
    this.options = options;
    this.shouldHaveSingleInstancePerWholeApp = () => true;
    this.readyPromise = new Promise<Engine>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A start-up failure is reported where it happens (log) and to every later caller; it must not
    // also crash the app as an unhandled rejection.
    this.readyPromise.catch(() => {});
    this.mirror = new ResourceMirror((jobId, patch) => this.rows().write(jobId, patch), log);
    this.policy = new JobsPolicy({ isAdmin: (adminUser) => this.isAdmin(adminUser), canView: options.canView, canManage: options.canManage });
    this.viewers = new Viewers(() => this.adminforth, () => this.rows(), this.policy, options.userRecheckMs ?? 2000);
  }

  /** The same id as the official plugin on the same resource (contract §1.1). */
  override instanceUniqueRepresentation(): string {
    return 'BackgroundJobsPlugin';
  }

  override modifyResourceConfig(
    adminforth: IAdminForth,
    resourceConfig: AdminForthResource,
    allPluginInstances?: { pi: AdminForthPlugin; resource: AdminForthResource }[],
  ): void {
    super.modifyResourceConfig(adminforth, resourceConfig, allPluginInstances);
    this.jobRows = new JobRows(() => this.adminforth, resourceConfig, this.options);
    // The admin UI (plugin/custom): navbar indicator, job details, window.OpenJobInfoPopup.
    injectAdminUi(this, adminforth);
    // The plugin's rules on AdminForth's own list, show, edit and delete of the jobs resource,
    // and what an allowed edit or delete of a job's row does.
    applyResourcePolicy(resourceConfig, {
      policy: this.policy,
      options: this.options,
      loadRow: rowLoader(() => this.adminforth, resourceConfig),
      accessInfo: (row) => this.rows().accessInfo(row),
      // Deleting a finished job's row removes its tasks and events; a job still running or
      // queued must be cancelled first (issue 20), so no delete stops work by surprise.
      onDelete: async (recordId) => {
        if (!this.engine) return { ok: true };
        const job = await this.engine.findJob(String(recordId));
        if (job && (job.status === 'IN_PROGRESS' || job.status === 'QUEUED')) {
          return { ok: false, error: `Job ${String(recordId)} is ${job.status}: cancel it first (its Cancel button, af-jobs cancel ${String(recordId)}, or plugin.cancelJob), then delete it.` };
        }
        await this.engine.deleteJob(String(recordId));
        return { ok: true };
      },
      // Setting the status to CANCELLED cancels the job; other status edits would contradict the
      // engine's truth, so they are refused.
      onEdit: async ({ recordId, updates, oldRecord }) => {
        const status = updates[this.options.statusField];
        const oldStatus = oldRecord?.[this.options.statusField];
        if (status === undefined || status === oldStatus) return { ok: true };
        if (status !== 'CANCELLED') {
          return { ok: false, error: `The status of a job is set by its tasks; the only change you can make is to CANCELLED.` };
        }
        if (this.engine) await this.engine.cancelJob(String(recordId)).catch(() => {});
        return { ok: true };
      },
    });
    if (this.options.registerDefaultAlias !== false) registerDefaultAlias(adminforth, createDefaultAlias(this), allPluginInstances);
  }

  /**
   * Checks the options (a missing column fails start-up, naming option and column), then starts
   * the engine in the background once the resource API answers (contract §1.3: this hook is not
   * awaited and runs before `resource()` works).
   */
  validateConfigAfterDiscover(adminforth: IAdminForth, resourceConfig: AdminForthResource): void {
    checkColumnOptions(this.options, resourceConfig);
    const database = databaseOf(adminforth.config.dataSources, resourceConfig);
    this.starting = this.startEngine(database);
    this.starting.then(this.resolveReady, (error) => {
      log('error', `background-jobs: could not start: ${errorMessage(error)}`);
      this.rejectReady(error);
    });
  }

  private async startEngine(database: SupportedDatabase): Promise<Engine> {
    const resource = await waitForResource(this.adminforth, this.resourceConfig.resourceId);
    const { jobs: store, tokens, schedules: scheduleStore } = openStores(database, resource.dataConnector.client, { sqliteTuning: this.options.sqliteTuning });
    await store.migrate();
    this.tokens = tokens;
    // The resource row and the websocket follow the events; a finished job's row is written once more.
    this.events.onAny(createPublisher({
      websocket: () => this.adminforth.websocket,
      mirror: this.mirror,
      columns: {
        status: this.options.statusField, progress: this.options.progressField,
        finishedAt: this.options.finishedAtField, state: this.options.stateField,
      },
      mayView: (adminUser, startedBy, jobId) => this.viewers.mayView(adminUser, startedBy, jobId),
      customComponent: (handler) => this.customComponents.get(handler),
    }));
    this.events.on('job:finished', (event) => this.reassertFinalRow(event.jobId));
    const engine = new Engine({
      events: this.events,
      store,
      log,
      leaseMs: this.options.leaseMs,
      heartbeatMs: this.options.heartbeatMs,
      pollMs: this.options.pollMs,
      progressIntervalMs: this.options.progressIntervalMs,
      eventPollMs: this.options.eventPollMs,
      eventRetentionMs: this.options.eventRetentionMs,
      maxEventsPerJob: this.options.maxEventsPerJob,
      maxClaimAhead: this.options.maxClaimAhead,
      maxTaskStateBytes: this.options.maxTaskStateBytes,
      taskRetentionMs: this.options.taskRetentionMs,
      jobRetentionMs: this.options.jobRetentionMs,
      retentionIntervalMs: this.options.retentionIntervalMs,
      deleteJobRow: (jobId) => this.rows().delete(jobId),
    });
    for (const definition of this.definitions.values()) engine.register(definition);
    const reconcile = () => reconcileRows({ resource, store, options: this.options, primaryKey: this.rows().primaryKey, log, olderThanMs: 60_000 });
    await reconcile();
    // Again every minute: a row orphaned by a crash a moment before this start is old enough then.
    this.reconcileTimer = setInterval(() => {
      if (this.stopped) return;
      this.track(reconcile().catch((error) => log('error', `background-jobs: could not reconcile job rows: ${errorMessage(error)}`)));
    }, 60_000);
    this.reconcileTimer.unref();
    if (this.stopped) throw new JobsError('INVALID_STATE', 'The plugin was stopped before it started.');
    await engine.start();
    this.engine = engine;
    // Recurring schedules (issue 20): every replica runs the timers; a tick's row decides which fires it.
    const schedules = new Schedules({
      store: scheduleStore, jobs: store, owner: engine.owner, leaseMs: engine.leaseMs, log,
      startJob: (input) => this.startScheduledJob(engine, input),
    });
    this.schedules = schedules;
    for (const schedule of this.scheduleDefinitions.values()) schedules.add(schedule);
    await schedules.start();
    return engine;
  }

  /** A schedule's job: a system job (no starter), its resource row first, as `startNewJob` makes it. */
  private async startScheduledJob(engine: Engine, input: ScheduledJobInput): Promise<string> {
    const jobId = await engine.createJob({
      name: input.name, startedBy: null, tasks: input.tasks, handler: input.handler, initialState: {}, queued: input.queued, schedule: input.schedule,
      createRow: (status) => this.rows().create({ name: input.name, startedBy: null, status, handler: input.handler, initialState: {} }),
      deleteRow: (id) => this.rows().delete(id),
    });
    return String(jobId);
  }

  /**
   * Registers the plugin's HTTP API (docs/http-api.md): the official plugin's four endpoints, the
   * `jobs/*` API the CLI uses, personal tokens and instance discovery. AdminForth calls this once,
   * before discovery (contract §1.3).
   */
  override setupEndpoints(server: IHttpServer): void {
    registerHttpApi(server, this);
  }

  /**
   * Another replica's progress write, started just before this one finished the job, can land
   * after the final write (the resource API has no conditional update, contract §2). So the
   * process that finished the job writes the final status and progress once more a second later:
   * the row ends right whatever the order of the writes.
   */
  private reassertFinalRow(jobId: string): void {
    const timer = setTimeout(() => {
      this.finalRowTimers.delete(timer);
      const engine = this.engine;
      if (engine) this.track(engine.getJob(jobId).then((job) => {
        this.mirror.update(jobId, {
          [this.options.statusField]: job.status,
          [this.options.progressField]: progressOf(job),
          [this.options.finishedAtField]: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
        });
      }, () => { /* deleted meanwhile */ }));
    }, 1000);
    timer.unref();
    this.finalRowTimers.add(timer);
  }

  /** Resolves when the engine runs (after discovery and the store's migrations); rejects if it could not start. */
  async whenReady(): Promise<void> {
    await this.readyPromise;
  }

  /**
   * The engine once it runs, for the plugin's HTTP API.
   * @internal
   */
  engineReady(): Promise<Engine> {
    return this.readyPromise;
  }

  /**
   * The personal tokens' store once the engine runs (its table is made by the migrations), for the HTTP API.
   * @internal
   */
  async tokenStore(): Promise<TokenStore> {
    await this.readyPromise;
    return this.tokens!;
  }

  /** Registers the function that runs each task of jobs with this handler name. */
  registerTaskHandler(definition: TaskHandlerDefinition): void {
    validateHandlerDefinition(definition);
    this.definitions.set(definition.jobHandlerName, definition);
    this.engine?.register(definition);
  }

  /**
   * Registers a recurring schedule: at every tick of `cron` (read in `timezone`, default UTC) a job
   * of `tasks()` starts with handler `jobHandlerName` — on exactly one replica, however many run.
   * Register the handler first; the cron pattern and options are checked here. The schedule's
   * durable state (paused, last run, catch-up cursor) is in the database, written when the engine
   * starts (a changed cron or option in the code updates it; a pause is kept).
   * See docs/retention.md.
   */
  registerSchedule(definition: ScheduleDefinition): void {
    const schedule = normalizeSchedule(definition);
    const where = `registerSchedule({ name: '${schedule.name}' })`;
    const handler = this.definitions.get(schedule.jobHandlerName);
    if (!handler) {
      const known = [...this.definitions.keys()];
      throw new JobsError('NO_HANDLER', `${where}: no handler '${schedule.jobHandlerName}' is registered: call registerTaskHandler({ jobHandlerName: '${schedule.jobHandlerName}', handler }) before registerSchedule${known.length ? ` (registered: ${known.join(', ')})` : ''}.`);
    }
    if (schedule.overlap === 'queue' && !Number.isFinite(handler.concurrencyLimit ?? Infinity)) {
      throw new JobsError('INVALID_INPUT', `${where}: overlap 'queue' makes a tick's job wait QUEUED for a free concurrency slot of handler '${schedule.jobHandlerName}', which has no concurrencyLimit, so nothing would wait. Give the handler concurrencyLimit: 1 (its jobs then run one after another), or use overlap 'allow'.`);
    }
    if (this.scheduleDefinitions.has(schedule.name)) {
      throw new JobsError('INVALID_INPUT', `${where}: a schedule of that name is registered already; give each schedule its own name.`);
    }
    this.scheduleDefinitions.set(schedule.name, schedule);
    this.schedules?.add(schedule);
  }

  /** Every registered schedule with its next and last run and whether it is paused. */
  async listSchedules(): Promise<ScheduleInfo[]> {
    return (await this.runningSchedules()).list();
  }

  /** Pauses a schedule on every replica (durable): its ticks start no job until it is resumed. */
  async pauseSchedule(name: string): Promise<ScheduleInfo> {
    return (await this.runningSchedules()).pause(name);
  }

  /** Resumes a paused schedule; ticks of the paused time are not caught up. */
  async resumeSchedule(name: string): Promise<ScheduleInfo> {
    return (await this.runningSchedules()).resume(name);
  }

  /** Starts a job of the schedule now, outside its ticks (also while paused); resolves to the schedule and the job's id. */
  async runScheduleNow(name: string): Promise<{ schedule: ScheduleInfo; jobId: string }> {
    return (await this.runningSchedules()).runNow(name);
  }

  private async runningSchedules(): Promise<Schedules> {
    await this.readyPromise;
    return this.schedules!;
  }

  /** The component the job details mount for jobs of this handler (the seed's custom renderer). */
  registerTaskDetailsComponent({ jobHandlerName, component }: { jobHandlerName: string; component: AdminForthComponentDeclarationFull }): void {
    if (!component || typeof component.file !== 'string') {
      throw new JobsError('INVALID_INPUT', `registerTaskDetailsComponent({ jobHandlerName: '${jobHandlerName}' }) needs component: { file: '@@/YourComponent.vue' }`);
    }
    this.customComponents.set(jobHandlerName, component);
  }

  /** The component registered for a handler, if any. */
  getTaskDetailsComponent(jobHandlerName: string): AdminForthComponentDeclarationFull | undefined {
    return this.customComponents.get(jobHandlerName);
  }

  /**
   * Creates a job of `tasks` (an array or an async iterable of `{ state }`) run by `jobHandlerName`,
   * started by `adminUser` (or `null` for system jobs). Resolves to the job's id once every task is
   * stored; the tasks then run in the background.
   */
  async startNewJob(
    jobName: string,
    adminUser: AdminUserLike | AdminUser | null,
    tasks: TaskSource,
    jobHandlerName: string,
    initialState: Record<string, unknown> = {},
    options: StartJobOptions = {},
  ): Promise<any> {
    checkJobName(jobName);
    const engine = await this.readyPromise;
    const startedBy = adminUser?.pk !== undefined && adminUser?.pk !== null ? String(adminUser.pk) : null;
    const jobId = await engine.createJob({
      name: jobName, startedBy, tasks, handler: jobHandlerName, initialState, queued: options.queued, autoStart: options.autoStart,
      createRow: (status) => this.rows().create({ name: jobName, startedBy, status, handler: jobHandlerName, initialState }),
      deleteRow: (id) => this.rows().delete(id),
    });
    return this.rows().rowId(jobId);
  }

  /** `startNewJob` with `{ queued: true }`: waits for a free concurrency slot of its handler. */
  queueNewJob(
    jobName: string, adminUser: AdminUserLike | AdminUser | null, tasks: TaskSource, jobHandlerName: string,
    initialState: Record<string, unknown> = {}, options: Omit<StartJobOptions, 'queued'> = {},
  ): Promise<any> {
    return this.startNewJob(jobName, adminUser, tasks, jobHandlerName, initialState, { ...options, queued: true });
  }

  /**
   * Starts the oldest QUEUED job of the handler if its concurrencyLimit allows; resolves to its id,
   * or null when no job waits or no slot is free. (Queues also drain by themselves.)
   */
  async startNextQueuedJob(jobHandlerName: string): Promise<any> {
    const [id] = await (await this.readyPromise).startQueued(jobHandlerName, 1);
    return id === undefined ? null : this.rows().rowId(id);
  }

  /** Starts QUEUED jobs of the handler, oldest first, while its concurrencyLimit allows; resolves to their ids. */
  async startQueuedJobs(jobHandlerName: string): Promise<any[]> {
    const ids = await (await this.readyPromise).startQueued(jobHandlerName, Number.MAX_SAFE_INTEGER);
    return ids.map((id) => this.rows().rowId(id));
  }

  /**
   * Adds tasks to an IN_PROGRESS or QUEUED job (rejects for a finished one); they get the indexes
   * after its last task and run like the others — also from a `beforeJobFinish` hook.
   */
  async addNewTasksToExistingJob(jobId: unknown, tasks: TaskSource): Promise<{ firstIndex: number; count: number; total: number }> {
    return (await this.readyPromise).addTasks(String(jobId), tasks);
  }

  /**
   * Removes one task of an IN_PROGRESS or QUEUED job: a scheduled one never runs, a running one is
   * aborted (its `signal`), a finished one leaves the counts. Other tasks keep their indexes.
   */
  async deleteTasksFromExistingJob(jobId: unknown, taskIndex: number): Promise<void> {
    await (await this.readyPromise).deleteTask(String(jobId), taskIndex);
  }

  /**
   * Runs `updateFunction` while no other `updateJobFieldsAtomically` of the same job runs — in
   * this process or any other replica on the database — so a read-modify-write of the job's state
   * (`getJobStateField` then `setJobStateField`) loses no update. Resolves to what it returns.
   */
  async updateJobFieldsAtomically<T>(jobId: unknown, updateFunction: () => T | Promise<T>): Promise<T> {
    if (jobId === undefined || jobId === null || jobId === '') throw new JobsError('INVALID_INPUT', 'updateJobFieldsAtomically: jobId is required');
    if (typeof updateFunction !== 'function') throw new JobsError('INVALID_INPUT', 'updateJobFieldsAtomically: updateFunction must be a function');
    return (await this.readyPromise).withJobLock(String(jobId), updateFunction);
  }

  /** Cancels a job: running tasks' signals abort, scheduled tasks are cancelled. */
  async cancelJob(jobId: unknown): Promise<{ changed: boolean; status: JobStatus }> {
    return (await this.readyPromise).cancelJob(String(jobId));
  }

  /** Runs a finished job's failed tasks (or all unfinished ones, or the given indexes) again. */
  async retryJob(jobId: unknown, { scope = 'failed' }: { scope?: RetryScope } = {}): Promise<{ status: JobStatus; tasks: number }> {
    return (await this.readyPromise).retryJob(String(jobId), scope);
  }

  async setJobStateField(jobId: unknown, field: string, value: unknown): Promise<void> {
    const engine = await this.readyPromise;
    const job = await engine.getJob(String(jobId));
    await engine.setJobStateField({ jobKey: job.jobKey, jobId: String(jobId), handler: job.handler, name: job.name, startedBy: job.startedBy }, field, value);
  }

  async getJobStateField(jobId: unknown, field: string): Promise<any> {
    return (await this.getJobState(jobId))[field];
  }

  async getJobState(jobId: unknown): Promise<Record<string, any>> {
    return (await (await this.readyPromise).getJob(String(jobId))).state;
  }

  /** The engine's view of a job: status, counters, state. */
  async getJob(jobId: unknown): Promise<JobRow> {
    return (await this.readyPromise).getJob(String(jobId));
  }

  async getJobTasks(jobId: unknown, opts: { status?: TaskStatus[]; limit?: number; offset?: number } = {}): Promise<{ tasks: TaskRow[]; total: number }> {
    return (await this.readyPromise).getTasks(String(jobId), { status: opts.status, limit: opts.limit ?? 100, offset: opts.offset ?? 0 });
  }

  /**
   * Graceful shutdown: stop claiming, let running tasks finish within `graceMs`, abort the rest and
   * release their leases so another replica (or the next start) takes them at once. Call it on
   * SIGTERM: `process.on('SIGTERM', () => plugin.stop({ graceMs: 10_000 }).then(() => process.exit(0)))`.
   */
  async stop({ graceMs = 10_000 }: { graceMs?: number } = {}): Promise<void> {
    this.stopped = true;
    // A start in progress runs to its `stopped` check (or has started the engine, stopped below):
    // otherwise it would go on using the database after this resolved.
    await this.starting?.catch(() => {});
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    // Before the engine: a tick being fired makes its job first.
    await this.schedules?.stop();
    await this.engine?.stop({ graceMs });
    // After the engine: its last job:finished events schedule these. Pending ones are dropped.
    for (const timer of this.finalRowTimers) clearTimeout(timer);
    this.finalRowTimers.clear();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.mirror.idle();
  }

  /** Keeps `work` in `inFlight` until it settles (its caller handles its errors). */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    const forget = () => { this.inFlight.delete(work); };
    void work.then(forget, forget);
  }

  async isAdmin(adminUser: AdminUserLike): Promise<boolean> {
    if (this.options.isAdmin) return Boolean(await this.options.isAdmin(adminUser));
    return adminUser.dbUser?.role === 'superadmin';
  }

  /**
   * The jobs resource's rows (adapter/job-rows.ts), for the HTTP API.
   * @internal
   */
  get jobRowsApi(): JobRows {
    return this.rows();
  }

  /** The jobs resource's rows; AdminForth hands the resource over before anything here runs. */
  private rows(): JobRows {
    if (!this.jobRows) throw new JobsError('INVALID_STATE', 'BackgroundJobsPlugin is not attached to its jobs resource yet: add it to the resource\'s plugins and let AdminForth start.');
    return this.jobRows;
  }
}
