/**
 * Recurring schedules at run time (issue 20). Every replica runs the same timers; none is a
 * leader. At a tick each replica works out which ticks are due (cron.ts `dueTicks`, from the
 * durable cursor of the schedule) and, for each, tries to insert the tick's row keyed by
 * (schedule, tick time): the database lets exactly one insert win, and only that replica asks
 * `tasks()` and creates the job. The others find the row taken and move on.
 *
 * The job cannot be created in the claim's transaction (its row goes through AdminForth's resource
 * API), so a claim is a lease: the winner renews it while it makes the job, then records the job
 * in the tick's row. A replica that dies in between leaves a claim that expires after `leaseMs`;
 * another replica takes it over (`recoverClaims`) and finishes the tick: it links the job if the
 * dead one got that far (a job's schedule and tick are unique in af_bj_jobs, so there is never a
 * second one), discards a half-made draft, or makes the job itself. So no tick is lost and none
 * fires twice. docs/retention.md says what clock skew between replicas does.
 */
import { JobsError, errorMessage } from '../errors.js';
import type { ScheduleRow } from '../store/schedule-store.js';
import type { ScheduleInfo, TaskSource } from '../types.js';
import { dueTicks } from './cron.js';
import { definitionRow, nonEmptyTasks, type Schedule } from './schedule-definition.js';
import { fireClaimedTick, iso, type TickFiringDeps } from './tick-firing.js';

/** A tick's timer fires this long after the tick, so the clock reads at or past it. */
const TIMER_SLACK_MS = 5;
/** Longest single timer: a changed clock or a missed wake-up is noticed within this. */
const MAX_TIMER_MS = 60_000;
/** Settled tick rows are kept this long (what fired when, for people), then pruned. */
export const TICK_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
const PRUNE_LOCK = 'schedule-ticks-prune';

export type { ScheduledJobInput } from './tick-firing.js';

export interface SchedulesOptions extends Omit<TickFiringDeps, 'now'> {
  /** The clock (tests move it). */
  now?: () => number;
}

export class Schedules {
  private readonly registered = new Map<string, Schedule>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly passes = new Set<string>();
  /** Ticks this process is making the job of (`name@tick`): never taken over from itself. */
  private readonly active = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private maintenance: NodeJS.Timeout | null = null;
  private timersOn = false;
  private started = false;
  private stopped = false;
  private lastPrune = 0;
  private readonly now: () => number;

  constructor(private readonly o: SchedulesOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Adds a schedule; once started, its row is written and its timer runs at once. */
  add(schedule: Schedule): void {
    if (this.registered.has(schedule.name)) {
      throw new JobsError('INVALID_INPUT', `A schedule named '${schedule.name}' is registered already: give each schedule its own name.`);
    }
    this.registered.set(schedule.name, schedule);
    if (this.started && !this.stopped) {
      this.track(this.o.store.upsert(definitionRow(schedule), this.now()).then(() => this.arm(schedule.name), (error) => {
        this.o.log('error', `background-jobs: could not save schedule '${schedule.name}': ${errorMessage(error)}`);
      }));
    }
  }

  has(name: string): boolean {
    return this.registered.has(name);
  }

  /**
   * Writes every schedule's row (a new one starts its cursor now: no catch-up of ticks before it
   * existed; an existing one gets the definition of the code, keeping its pause and cursor), then
   * starts the timers — unless `timers: false` (tests drive `runDue` and `recoverClaims` themselves).
   */
  async start({ timers = true }: { timers?: boolean } = {}): Promise<void> {
    this.started = true;
    for (const schedule of this.registered.values()) await this.o.store.upsert(definitionRow(schedule), this.now());
    if (!timers || this.stopped) return;
    this.timersOn = true;
    for (const name of this.registered.keys()) this.arm(name);
    this.maintenance = setInterval(() => {
      if (!this.stopped) this.track(this.maintain().catch((error) => this.o.log('error', `background-jobs: schedule maintenance failed: ${errorMessage(error)}`)));
    }, Math.max(250, Math.floor(this.o.leaseMs / 2)));
    this.maintenance.unref();
  }

  /** Stops the timers and waits for the ticks being fired here (their jobs are made first). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.maintenance) clearInterval(this.maintenance);
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Every registered schedule with its state, by name. */
  async list(): Promise<ScheduleInfo[]> {
    const rows = new Map((await this.o.store.list()).map((row) => [row.name, row]));
    return [...this.registered.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => this.info(s, rows.get(s.name) ?? null));
  }

  async get(name: string): Promise<ScheduleInfo> {
    const schedule = this.must(name);
    return this.info(schedule, await this.o.store.get(name));
  }

  /** Pauses the schedule on every replica (the flag is in its row): its ticks fire no more. */
  async pause(name: string): Promise<ScheduleInfo> {
    return this.setPaused(name, true);
  }

  /** Resumes it; ticks of the paused time are not caught up, the next tick fires as usual. */
  async resume(name: string): Promise<ScheduleInfo> {
    return this.setPaused(name, false);
  }

  /**
   * Starts a job of the schedule now, outside its ticks (paused or not, whatever runs; with
   * `overlap: 'queue'` it is QUEUED like the ticks' jobs). Its schedule tick is null.
   */
  async runNow(name: string): Promise<{ schedule: ScheduleInfo; jobId: string }> {
    const schedule = this.must(name);
    if (this.stopped) throw new JobsError('INVALID_STATE', 'The background-jobs engine was stopped: no new work is accepted.');
    let tasks: TaskSource | null;
    try {
      tasks = await nonEmptyTasks(await schedule.tasks());
    } catch (error) {
      throw new JobsError('INVALID_STATE', `Schedule '${name}' started no job: its tasks() failed: ${errorMessage(error)}`, { cause: error });
    }
    if (!tasks) throw new JobsError('INVALID_STATE', `Schedule '${name}' started no job: its tasks() returned no tasks.`);
    const at = this.now();
    const jobId = await this.o.startJob({ name: schedule.jobName, handler: schedule.jobHandlerName, tasks, queued: schedule.overlap === 'queue', schedule: { name, tick: null } });
    await this.o.store.recordRun(name, null, jobId, at);
    return { schedule: await this.get(name), jobId };
  }

  /**
   * One pass over a schedule: fire the ticks due now (oldest first), then move its cursor to the
   * latest tick at or before now. Another replica doing the same at the same moment finds each
   * tick claimed and fires nothing twice.
   */
  async runDue(name: string): Promise<void> {
    const schedule = this.must(name);
    if (this.passes.has(name)) return;
    this.passes.add(name);
    try {
      const row = (await this.o.store.get(name)) ?? (await this.o.store.upsert(definitionRow(schedule), this.now()));
      if (row.paused) return;
      const now = this.now();
      const due = dueTicks(schedule.ticks, row.cursorTick, now, schedule.catchUp);
      if (due.through === null) return;
      if (due.missed) this.reportMissed(schedule, due.missed, due.fire);
      for (const tick of due.fire) {
        // Stopping: the cursor stays, so the next start or another replica handles the rest.
        if (this.stopped) return;
        await this.fireTick(schedule, tick);
      }
      await this.o.store.advanceCursor(name, due.through, now);
    } finally {
      this.passes.delete(name);
    }
  }

  /**
   * Takes over ticks whose claim expired (the replica making their job died) and finishes them.
   * Runs every `leaseMs / 2`; only schedules this replica knows (it needs their `tasks()`).
   */
  async recoverClaims(): Promise<number> {
    const now = this.now();
    let taken = 0;
    for (const claim of await this.o.store.expiredClaims(now, 100)) {
      const schedule = this.registered.get(claim.scheduleName);
      // A claim of this process expires only when its event loop stalled past leaseMs; its pass goes on.
      if (!schedule || this.stopped || this.active.has(`${claim.scheduleName}@${claim.tickAt}`)) continue;
      if (!(await this.o.store.takeOverClaim(claim.scheduleName, claim.tickAt, this.o.owner, now, now + this.o.leaseMs))) continue;
      taken++;
      this.o.log('info', `background-jobs: schedule '${schedule.name}': finishing tick ${iso(claim.tickAt)}, whose replica stopped while starting its job`);
      await this.runClaimed(schedule, claim.tickAt);
    }
    return taken;
  }

  private async setPaused(name: string, paused: boolean): Promise<ScheduleInfo> {
    const schedule = this.must(name);
    const now = this.now();
    let row = await this.o.store.setPaused(name, paused, now);
    if (!row) {
      await this.o.store.upsert(definitionRow(schedule), now);
      row = await this.o.store.setPaused(name, paused, now);
    }
    return this.info(schedule, row);
  }

  private async fireTick(schedule: Schedule, tick: number): Promise<void> {
    const now = this.now();
    if (!(await this.o.store.claimTick(schedule.name, tick, this.o.owner, now, now + this.o.leaseMs))) return;
    await this.runClaimed(schedule, tick);
  }

  /** Makes the job of a tick this replica claimed (or took over), and records what came of it (tick-firing.ts). */
  private async runClaimed(schedule: Schedule, tick: number): Promise<void> {
    const key = `${schedule.name}@${tick}`;
    this.active.add(key);
    try {
      await fireClaimedTick({ ...this.o, now: this.now }, schedule, tick);
    } finally {
      this.active.delete(key);
    }
  }

  private reportMissed(schedule: Schedule, missed: { from: number; to: number }, fire: number[]): void {
    const caught = fire.filter((t) => t <= missed.to);
    const what = schedule.catchUp === 'none' ? 'none of them fires'
      : caught.length === 0 ? 'a tick due now fires and stands for them'
        : schedule.catchUp === 'last' ? `the last one (${iso(caught[0])}) fires once` : `${caught.length} of them fire now`;
    this.o.log('warn', `background-jobs: schedule '${schedule.name}' missed its ticks from ${iso(missed.from)} to ${iso(missed.to)} (no replica ran then); catchUp '${schedule.catchUp}': ${what}.`);
  }

  private arm(name: string): void {
    if (!this.timersOn || this.stopped) return;
    const schedule = this.registered.get(name);
    if (!schedule) return;
    clearTimeout(this.timers.get(name));
    const now = this.now();
    const next = schedule.ticks.next(now);
    if (next === null) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.track(this.runDue(name)
        .catch((error) => this.o.log('error', `background-jobs: schedule '${name}' could not fire: ${errorMessage(error)}`))
        .finally(() => this.arm(name)));
    }, Math.min(Math.max(0, next - now) + TIMER_SLACK_MS, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(name, timer);
  }

  private async maintain(): Promise<void> {
    await this.recoverClaims();
    const now = this.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    if (!(await this.o.jobs.acquireLock(PRUNE_LOCK, this.o.owner, now, this.o.leaseMs))) return;
    try {
      for (const name of this.registered.keys()) await this.o.store.pruneTicks(name, now - TICK_RETENTION_MS);
    } finally {
      await this.o.jobs.releaseLock(PRUNE_LOCK, this.o.owner).catch(() => {});
    }
  }

  private info(schedule: Schedule, row: ScheduleRow | null): ScheduleInfo {
    const paused = row?.paused ?? false;
    return {
      name: schedule.name, cron: schedule.cron, timezone: schedule.timezone, jobHandlerName: schedule.jobHandlerName,
      jobName: schedule.jobName, overlap: schedule.overlap, catchUp: schedule.catchUp, paused,
      nextRunAt: paused ? null : iso(schedule.ticks.next(this.now())),
      lastRunAt: iso(row?.lastRunAt ?? null), lastTick: iso(row?.lastTick ?? null), lastJobId: row?.lastJobId ?? null,
    };
  }

  private must(name: string): Schedule {
    const schedule = this.registered.get(name);
    if (!schedule) {
      const known = [...this.registered.keys()];
      throw new JobsError('NOT_FOUND', `No schedule named '${name}'${known.length ? ` (registered: ${known.join(', ')})` : ' (none is registered)'}.`);
    }
    return schedule;
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    const forget = () => { this.inFlight.delete(work); };
    void work.then(forget, forget);
  }
}
