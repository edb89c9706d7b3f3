/**
 * BackgroundJobsPlugin: the AdminForth adapter, as wiring. AdminForth's lifecycle (contract §1)
 * hands over the resource (modifyResourceConfig), the endpoints (setupEndpoints) and the start
 * (validateConfigAfterDiscover); adapter/runtime.ts then runs the stores, engine and schedules;
 * every public method below is one call into the engine (engine/) or the jobs' rows (adapter/).
 */
import { AdminForthPlugin } from 'adminforth';
import type { AdminForthComponentDeclarationFull, AdminForthResource, IAdminForth, IHttpServer } from 'adminforth';
import { validateHandlerDefinition, type Engine } from './engine/engine.js';
import { EngineEvents } from './engine/engine-events.js';
import type { Logger } from './engine/engine-types.js';
import type { TokenStore } from './store/token-store.js';
import { JobsError, errorMessage } from './errors.js';
import { checkColumnOptions, databaseOf } from './adapter/options.js';
import { createDefaultAlias, registerDefaultAlias } from './adapter/default-alias.js';
import { injectAdminUi } from './adapter/admin-ui.js';
import { JobRows } from './adapter/job-rows.js';
import { JobOperations } from './job-operations.js';
import { Viewers } from './adapter/viewers.js';
import { applyResourcePolicy, rowLoader } from './adapter/resource-policy.js';
import { PluginRuntime } from './adapter/runtime.js';
import { registerHttpApi } from './http/register.js';
import { JobsPolicy } from './http/policy.js';
import type { Schedules } from './engine/schedules.js';
import { checkRegistration, normalizeSchedule, type Schedule } from './engine/schedule-definition.js';
import type { AdminUserLike, PluginOptions, ScheduleDefinition, ScheduleInfo, TaskHandlerDefinition } from './types.js';

export type * from './types.js';
export type { JobStatus, TaskStatus } from './statuses.js';
export { JOB_STATUSES, TASK_STATUSES } from './statuses.js';
export { UnrecoverableError, JobsError } from './errors.js';
export type { EngineEvent, EngineEventMap } from './events.js';
export type { JobRow, JobSchedule, TaskRow } from './store/job-store.js';

const log: Logger = (level, message) => console[level](message);

export default class BackgroundJobsPlugin extends JobOperations {
  options: PluginOptions;
  private readonly definitions = new Map<string, TaskHandlerDefinition>();
  private readonly customComponents = new Map<string, AdminForthComponentDeclarationFull>();
  /** Recurring schedules as registered (`registerSchedule`), before and after the engine starts. */
  private readonly scheduleDefinitions = new Map<string, Schedule>();
  /** The engine's events (engine-events.ts): made before the engine, so the HTTP API, registered first, can subscribe. @internal */
  readonly events = new EngineEvents((error, event) => log('error', `background-jobs: a listener of ${event.type} failed: ${errorMessage(error)}`));
  /** The jobs resource's rows (adapter/job-rows.ts), once AdminForth hands the resource over. */
  private jobRows: JobRows | null = null;
  /** @internal */
  protected readonly runtime: PluginRuntime;
  /** Who may see and manage which job (design D7), for the HTTP API and the resource's own pages. @internal */
  readonly policy: JobsPolicy;

  constructor(options: PluginOptions) {
    super(options, import.meta.url);
    this.options = options;
    this.shouldHaveSingleInstancePerWholeApp = () => true;
    this.policy = new JobsPolicy({ isAdmin: (adminUser) => this.isAdmin(adminUser), canView: options.canView, canManage: options.canManage });
    this.runtime = new PluginRuntime({
      adminforth: () => this.adminforth, resourceId: () => this.resourceConfig.resourceId, options, events: this.events, log,
      rows: () => this.rows(), viewers: new Viewers(() => this.adminforth, () => this.rows(), this.policy, options.userRecheckMs ?? 2000),
      handlers: this.definitions, schedules: this.scheduleDefinitions, customComponent: (handler) => this.customComponents.get(handler),
    });
  }

  /** The same id as the official plugin on the same resource (contract §1.1). */
  override instanceUniqueRepresentation(): string {
    return 'BackgroundJobsPlugin';
  }

  override modifyResourceConfig(adminforth: IAdminForth, resourceConfig: AdminForthResource, allPluginInstances?: { pi: AdminForthPlugin; resource: AdminForthResource }[]): void {
    super.modifyResourceConfig(adminforth, resourceConfig, allPluginInstances);
    this.jobRows = new JobRows(() => this.adminforth, resourceConfig, this.options);
    // The admin UI (plugin/custom): navbar indicator, job details, the Jobs page, window.OpenJobInfoPopup.
    injectAdminUi(this, adminforth);
    // The plugin's rules on AdminForth's own pages of the jobs resource, and what an edit or delete of a row does.
    applyResourcePolicy(resourceConfig, {
      policy: this.policy, options: this.options, loadRow: rowLoader(() => this.adminforth, resourceConfig),
      accessInfo: (row) => this.rows().accessInfo(row), engine: () => this.runtime.engine,
    });
    if (this.options.registerDefaultAlias !== false) registerDefaultAlias(adminforth, createDefaultAlias(this), allPluginInstances);
  }

  /** Checks the options (a missing column fails start-up, naming it), then starts in the background (contract §1.3). */
  validateConfigAfterDiscover(adminforth: IAdminForth, resourceConfig: AdminForthResource): void {
    checkColumnOptions(this.options, resourceConfig);
    this.runtime.start(databaseOf(adminforth.config.dataSources, resourceConfig));
  }

  /** The plugin's HTTP API (docs/http-api.md); AdminForth calls this once, before discovery (contract §1.3). */
  override setupEndpoints(server: IHttpServer): void {
    registerHttpApi(server, this);
  }

  /** Resolves when the engine runs (after discovery and the store's migrations); rejects if it could not start. */
  async whenReady(): Promise<void> {
    await this.runtime.ready;
  }

  /** The engine once it runs, for the plugin's HTTP API. @internal */
  engineReady(): Promise<Engine> {
    return this.runtime.ready;
  }

  /** The personal tokens' store once the engine runs (its table is made by the migrations), for the HTTP API. @internal */
  async tokenStore(): Promise<TokenStore> {
    await this.runtime.ready;
    return this.runtime.tokens!;
  }

  /** Registers the function that runs each task of jobs with this handler name. */
  registerTaskHandler(definition: TaskHandlerDefinition): void {
    validateHandlerDefinition(definition);
    this.definitions.set(definition.jobHandlerName, definition);
    this.runtime.engine?.register(definition);
  }

  /**
   * Registers a recurring schedule: at every tick of `cron` (in `timezone`, default UTC) a job of
   * `tasks()` starts with handler `jobHandlerName`, on exactly one replica however many run.
   * Register the handler first. Its durable state (paused, last run) is in the database. See docs/retention.md.
   */
  registerSchedule(definition: ScheduleDefinition): void {
    const schedule = normalizeSchedule(definition);
    checkRegistration(schedule, this.definitions, this.scheduleDefinitions);
    this.scheduleDefinitions.set(schedule.name, schedule);
    this.runtime.schedules?.add(schedule);
  }

  /** Every registered schedule with its next and last run and whether it is paused. */
  async listSchedules(): Promise<ScheduleInfo[]> { return (await this.runningSchedules()).list(); }
  /** Pauses a schedule on every replica (durable): its ticks start no job until it is resumed. */
  async pauseSchedule(name: string): Promise<ScheduleInfo> { return (await this.runningSchedules()).pause(name); }
  /** Resumes a paused schedule; ticks of the paused time are not caught up. */
  async resumeSchedule(name: string): Promise<ScheduleInfo> { return (await this.runningSchedules()).resume(name); }
  /** Starts a job of the schedule now, outside its ticks (also while paused). */
  async runScheduleNow(name: string): Promise<{ schedule: ScheduleInfo; jobId: string }> { return (await this.runningSchedules()).runNow(name); }

  private async runningSchedules(): Promise<Schedules> {
    await this.runtime.ready;
    return this.runtime.schedules!;
  }

  /** The component the job details mount for jobs of this handler (the seed's custom renderer). */
  registerTaskDetailsComponent({ jobHandlerName, component }: { jobHandlerName: string; component: AdminForthComponentDeclarationFull }): void {
    if (!component || typeof component.file !== 'string') {
      throw new JobsError('INVALID_INPUT', `registerTaskDetailsComponent({ jobHandlerName: '${jobHandlerName}' }) needs component: { file: '@@/YourComponent.vue' }`);
    }
    this.customComponents.set(jobHandlerName, component);
  }

  getTaskDetailsComponent(jobHandlerName: string): AdminForthComponentDeclarationFull | undefined {
    return this.customComponents.get(jobHandlerName);
  }

  /**
   * Graceful shutdown: stop claiming, let running tasks finish within `graceMs`, abort the rest and
   * release their leases so another replica (or the next start) takes them at once. Call it on
   * SIGTERM: `process.on('SIGTERM', () => plugin.stop({ graceMs: 10_000 }).then(() => process.exit(0)))`.
   */
  async stop({ graceMs = 10_000 }: { graceMs?: number } = {}): Promise<void> {
    await this.runtime.stop(graceMs);
  }

  async isAdmin(adminUser: AdminUserLike): Promise<boolean> {
    if (this.options.isAdmin) return Boolean(await this.options.isAdmin(adminUser));
    return adminUser.dbUser?.role === 'superadmin';
  }

  /** The jobs resource's rows (adapter/job-rows.ts), for the HTTP API. @internal */
  get jobRowsApi(): JobRows {
    return this.rows();
  }

  /** AdminForth hands the resource over before anything here runs. @internal */
  protected rows(): JobRows {
    if (!this.jobRows) throw new JobsError('INVALID_STATE', 'BackgroundJobsPlugin is not attached to its jobs resource yet: add it to the resource\'s plugins and let AdminForth start.');
    return this.jobRows;
  }
}
