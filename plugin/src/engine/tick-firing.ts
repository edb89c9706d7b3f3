/**
 * What a replica does with a tick it claimed, or took over from a replica that died (schedules.ts):
 * link the job a dead replica made, or discard its half-made draft; skip the tick when an earlier
 * job of the schedule still runs (`overlap: 'skip'`); ask `tasks()`; make the job; record the
 * outcome in the tick's row. The claim is renewed meanwhile, and the outcome is recorded only while
 * this replica still holds it, so a replica that lost its claim changes nothing (and the unique
 * (schedule, tick) key of af_bj_jobs refuses a second job of the tick).
 */
import { errorMessage } from '../errors.js';
import type { JobStore } from '../store/job-store.js';
import type { ScheduleStore, TickOutcome } from '../store/schedule-store.js';
import type { TaskSource } from '../types.js';
import type { Logger } from './engine-types.js';
import { nonEmptyTasks, type Schedule } from './schedule-definition.js';

/** What the adapter needs to start a schedule's job (its resource row, then the engine's job). */
export interface ScheduledJobInput {
  name: string;
  handler: string;
  tasks: TaskSource;
  /** `overlap: 'queue'`: the job waits QUEUED for a concurrency slot of its handler. */
  queued: boolean;
  schedule: { name: string; tick: number | null };
}

export interface TickFiringDeps {
  store: ScheduleStore;
  /** For a draft left by a dead replica, and the prune lock. */
  jobs: Pick<JobStore, 'discardDraft' | 'acquireLock' | 'releaseLock'>;
  /** This process's engine owner id: claims carry it. */
  owner: string;
  /** How long a claim lives without renewal (the engine's leaseMs). */
  leaseMs: number;
  log: Logger;
  /** Creates the job; resolves to its id (the resource row's primary key, as a string). */
  startJob(input: ScheduledJobInput): Promise<string>;
  now: () => number;
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function fireClaimedTick(d: TickFiringDeps, schedule: Schedule, tick: number): Promise<void> {
  const { name } = schedule;
  const renew = setInterval(() => {
    d.store.renewClaim(name, tick, d.owner, d.now() + d.leaseMs).then((held) => {
      if (!held) d.log('warn', `background-jobs: schedule '${name}': the claim of tick ${iso(tick)} was lost (not renewed within ${d.leaseMs} ms); the replica that took it over finishes the tick`);
    }, (error) => d.log('error', `background-jobs: schedule '${name}': could not renew the claim of tick ${iso(tick)}: ${errorMessage(error)}`));
  }, Math.max(50, Math.floor(d.leaseMs / 3)));
  renew.unref();
  const settle = async (outcome: Omit<TickOutcome, 'now'>) => {
    const now = d.now();
    if (!(await d.store.settleTick(name, tick, d.owner, { ...outcome, now }))) return;
    if (outcome.status === 'FIRED' && outcome.jobId !== null) await d.store.recordRun(name, tick, outcome.jobId, now);
  };
  try {
    // A job of this tick exists when a replica died after making it: link it, never make another.
    const existing = await d.store.jobForTick(name, tick);
    if (existing && existing.status !== 'DRAFT' && existing.jobId !== null) return await settle({ status: 'FIRED', jobId: existing.jobId, error: null });
    if (existing) await d.jobs.discardDraft(existing.jobKey);
    if (schedule.overlap === 'skip' && (await d.store.isBusy(name, schedule.jobHandlerName, tick))) {
      return await settle({ status: 'SKIPPED', jobId: null, error: 'an earlier job of the schedule was still running (overlap: skip)' });
    }
    let tasks: TaskSource | null;
    try {
      tasks = await nonEmptyTasks(await schedule.tasks());
    } catch (error) {
      d.log('error', `background-jobs: schedule '${name}': tasks() failed at tick ${iso(tick)}, so the tick started no job: ${errorMessage(error)}`);
      return await settle({ status: 'FAILED', jobId: null, error: `tasks() failed: ${errorMessage(error)}` });
    }
    if (!tasks) return await settle({ status: 'SKIPPED', jobId: null, error: 'tasks() returned no tasks' });
    let jobId: string;
    try {
      jobId = await d.startJob({ name: schedule.jobName, handler: schedule.jobHandlerName, tasks, queued: schedule.overlap === 'queue', schedule: { name, tick } });
    } catch (error) {
      // Another replica that took this claim over may have made the job meanwhile (the unique
      // key refused this one's draft): the tick fired, with its job.
      const made = await d.store.jobForTick(name, tick).catch(() => null);
      if (made && made.status !== 'DRAFT' && made.jobId !== null) return await settle({ status: 'FIRED', jobId: made.jobId, error: null });
      d.log('error', `background-jobs: schedule '${name}': could not start the job of tick ${iso(tick)}: ${errorMessage(error)}`);
      return await settle({ status: 'FAILED', jobId: null, error: errorMessage(error) });
    }
    await settle({ status: 'FIRED', jobId, error: null });
  } finally {
    clearInterval(renew);
  }
}
