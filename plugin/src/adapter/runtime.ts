/**
 * What runs once AdminForth has discovered the jobs resource, and its orderly stop: the stores
 * and their migrations, the engine, the recurring schedules, the subscribers of the engine's
 * events that keep the resource row and the websocket in step, and the row reconciler.
 * index.ts only wires the plugin's public methods to this.
 */
import type { AdminForthComponentDeclarationFull, IAdminForth } from 'adminforth';
import { Engine, progressOf, type CreateJobInput } from '../engine/engine.js';
import type { EngineEvents } from '../engine/engine-events.js';
import type { Logger } from '../engine/engine-types.js';
import { Schedules } from '../engine/schedules.js';
import type { Schedule } from '../engine/schedule-definition.js';
import { openStores } from '../store/open-stores.js';
import type { TokenStore } from '../store/token-store.js';
import { JobsError, errorMessage } from '../errors.js';
import type { PluginOptions, TaskHandlerDefinition } from '../types.js';
import type { JobRows } from './job-rows.js';
import { ResourceMirror } from './mirror.js';
import type { SupportedDatabase } from './options.js';
import { createPublisher } from './publisher.js';
import { reconcileRows, waitForResource } from './startup.js';
import type { Viewers } from './viewers.js';

export interface RuntimeWiring {
  adminforth(): IAdminForth;
  resourceId(): string;
  options: PluginOptions;
  events: EngineEvents;
  rows(): JobRows;
  viewers: Viewers;
  log: Logger;
  /** Handlers and schedules as registered so far (later ones are added by the plugin). */
  handlers: ReadonlyMap<string, TaskHandlerDefinition>;
  schedules: ReadonlyMap<string, Schedule>;
  customComponent(handler: string): AdminForthComponentDeclarationFull | undefined;
}

/** A job to create with its resource row (written first, removed again if the job cannot be made). */
export type NewJob = Omit<CreateJobInput, 'createRow' | 'deleteRow'> & { initialState: Record<string, unknown> };

/** How long after a job finished its row's final status is written once more (see `reassertFinalRow`). */
const FINAL_ROW_RECHECK_MS = 1000;
/** How often rows orphaned by a crash are reconciled (and how old a row must be to be judged). */
const RECONCILE_EVERY_MS = 60_000;

export class PluginRuntime {
  engine: Engine | null = null;
  tokens: TokenStore | null = null;
  schedules: Schedules | null = null;
  /** Resolves when the engine runs; rejects if it could not start (reported once, in the log). */
  readonly ready: Promise<Engine>;
  private resolveReady!: (engine: Engine) => void;
  private rejectReady!: (error: unknown) => void;
  private readonly mirror: ResourceMirror;
  private stopped = false;
  private starting: Promise<Engine> | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private readonly finalRowTimers = new Set<NodeJS.Timeout>();
  /** Store and row work of the timers above in flight: `stop()` waits for it. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly wiring: RuntimeWiring) {
    this.ready = new Promise<Engine>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A start-up failure is reported where it happens (log) and to every later caller; it must not
    // also crash the app as an unhandled rejection.
    this.ready.catch(() => {});
    this.mirror = new ResourceMirror((jobId, patch) => wiring.rows().write(jobId, patch), wiring.log);
  }

  /** Starts everything in the background (contract §1.3: the resource API answers only later). */
  start(database: SupportedDatabase): void {
    this.starting = this.run(database);
    this.starting.then(this.resolveReady, (error) => {
      this.wiring.log('error', `background-jobs: could not start: ${errorMessage(error)}`);
      this.rejectReady(error);
    });
  }

  private async run(database: SupportedDatabase): Promise<Engine> {
    const { adminforth, options, events, log } = this.wiring;
    const resource = await waitForResource(adminforth(), this.wiring.resourceId());
    const { jobs: store, tokens, schedules: scheduleStore } = openStores(database, resource.dataConnector.client, { sqliteTuning: options.sqliteTuning });
    await store.migrate();
    this.tokens = tokens;
    // The resource row and the websocket follow the events; a finished job's row is written once more.
    events.onAny(createPublisher({
      websocket: () => adminforth().websocket,
      mirror: this.mirror,
      columns: { status: options.statusField, progress: options.progressField, finishedAt: options.finishedAtField, state: options.stateField },
      mayView: (adminUser, startedBy, jobId) => this.wiring.viewers.mayView(adminUser, startedBy, jobId),
      customComponent: (handler) => this.wiring.customComponent(handler),
    }));
    events.on('job:finished', (event) => this.reassertFinalRow(event.jobId));
    const engine = new Engine({
      events, store, log,
      leaseMs: options.leaseMs, heartbeatMs: options.heartbeatMs, pollMs: options.pollMs,
      progressIntervalMs: options.progressIntervalMs, eventPollMs: options.eventPollMs,
      eventRetentionMs: options.eventRetentionMs, maxEventsPerJob: options.maxEventsPerJob,
      maxClaimAhead: options.maxClaimAhead, maxTaskStateBytes: options.maxTaskStateBytes,
      taskRetentionMs: options.taskRetentionMs, jobRetentionMs: options.jobRetentionMs, retentionIntervalMs: options.retentionIntervalMs,
      deleteJobRow: (jobId) => this.wiring.rows().delete(jobId),
    });
    for (const definition of this.wiring.handlers.values()) engine.register(definition);
    const reconcile = () => reconcileRows({ resource, store, options, primaryKey: this.wiring.rows().primaryKey, log, olderThanMs: RECONCILE_EVERY_MS });
    await reconcile();
    // Again every minute: a row orphaned by a crash a moment before this start is old enough then.
    this.reconcileTimer = setInterval(() => {
      if (this.stopped) return;
      this.track(reconcile().catch((error) => log('error', `background-jobs: could not reconcile job rows: ${errorMessage(error)}`)));
    }, RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
    if (this.stopped) throw new JobsError('INVALID_STATE', 'The plugin was stopped before it started.');
    await engine.start();
    this.engine = engine;
    // Recurring schedules (issue 20): every replica runs the timers; a tick's row decides which fires it.
    const schedules = new Schedules({
      store: scheduleStore, jobs: store, owner: engine.owner, leaseMs: engine.leaseMs, log,
      // A system job (no starter), its resource row first, as `startNewJob` makes it.
      startJob: (input) => this.createJob(engine, { ...input, startedBy: null, initialState: {} }),
    });
    this.schedules = schedules;
    for (const schedule of this.wiring.schedules.values()) schedules.add(schedule);
    await schedules.start();
    return engine;
  }

  /** Creates a job through the engine with its resource row; resolves to its id. */
  async createJob(engine: Engine, job: NewJob): Promise<string> {
    const rows = this.wiring.rows();
    const row = { name: job.name, startedBy: job.startedBy, handler: job.handler, initialState: job.initialState };
    return String(await engine.createJob({
      ...job,
      createRow: (status) => rows.create({ ...row, status }),
      deleteRow: (id) => rows.delete(id),
    }));
  }

  /**
   * Another replica's progress write, started just before this one finished the job, can land
   * after the final write (the resource API has no conditional update, contract §2). So the
   * process that finished the job writes the final status and progress once more a second later:
   * the row ends right whatever the order of the writes.
   */
  private reassertFinalRow(jobId: string): void {
    const { options: o } = this.wiring;
    const timer = setTimeout(() => {
      this.finalRowTimers.delete(timer);
      if (this.engine) this.track(this.engine.getJob(jobId).then((job) => {
        this.mirror.update(jobId, {
          [o.statusField]: job.status, [o.progressField]: progressOf(job),
          [o.finishedAtField]: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
        });
      }, () => { /* deleted meanwhile */ }));
    }, FINAL_ROW_RECHECK_MS);
    timer.unref();
    this.finalRowTimers.add(timer);
  }

  /** See `BackgroundJobsPlugin.stop`. */
  async stop(graceMs: number): Promise<void> {
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
}
