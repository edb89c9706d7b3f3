/**
 * Issue 17, point 4: after a cancel, the tasks that were running end CANCELLED in the store at
 * once, not when their leases run out. Their outcome used to be dropped when the flush that saw
 * the job CANCELLED ended the runner while the aborted tasks' writes were still queued.
 * Tasks block on a gate; the test waits for the situation (every slot's task started), cancels,
 * and reads the store right after — no sleeps. On every store that answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { openStore, type StoreHandle } from './store-helpers.js';
import { Engine } from '../../plugin/src/engine/engine.js';
import type { EngineEvent } from '../../plugin/src/events.js';
import type { TaskHandler } from '../../plugin/src/types.js';

const kinds = await availableDbKinds();

const TASKS = 7;
const PARALLEL = 3;

describe.each(kinds)('engine on %s: cancelling a job whose tasks are running', (kind: DbKind) => {
  let db: FreshDatabase;
  let handle: StoreHandle;
  let engines: Engine[] = [];
  let openGate: () => void = () => {};

  beforeEach(async () => {
    db = await freshDatabase(kind);
    handle = await openStore(db);
    await handle.store.migrate();
  });
  afterEach(async () => {
    openGate();
    for (const engine of engines) await engine.stop({ graceMs: 0 });
    engines = [];
    await handle.close();
    await db.drop();
  });

  /**
   * An engine running a job of TASKS tasks whose handler `blocked` waits on a gate; resolves once
   * PARALLEL of them have started (every run slot taken, the rest SCHEDULED).
   */
  async function blockedJob(blocked: (gate: Promise<void>) => TaskHandler) {
    const events: EngineEvent[] = [];
    const listeners = new Set<() => void>();
    // Long leases: a task left IN_PROGRESS would stay so for the whole test.
    const engine = new Engine({
      store: handle.store, leaseMs: 60_000, pollMs: 50, progressIntervalMs: 0,
      log: () => {},
    });
    engine.events.onAny((event) => { events.push(event); for (const l of listeners) l(); });
    engines.push(engine);
    const gate = new Promise<void>((resolve) => { openGate = resolve; });
    let started = 0;
    let allStarted!: () => void;
    const situation = new Promise<void>((resolve) => { allStarted = resolve; });
    const handler = blocked(gate);
    engine.register({
      jobHandlerName: 'gated', parallelLimit: PARALLEL,
      handler: (context) => {
        if (++started === PARALLEL) allStarted();
        return handler(context);
      },
    });
    await engine.start();
    const jobId = await engine.createJob({
      name: 'gated', handler: 'gated', startedBy: null, tasks: Array.from({ length: TASKS }, (_, i) => ({ state: { i } })),
      createRow: async () => ({ jobId: 'job-1', createdAt: new Date().toISOString() }), deleteRow: async () => {},
    });
    await situation;
    /** Resolves when `count` events match; fails (with what the store says) if they do not come within 10 s. */
    const eventsSeen = (predicate: (e: EngineEvent) => boolean, count: number) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (events.filter(predicate).length < count) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        void statuses().then((s) => reject(new Error(`expected ${count} events, got ${events.filter(predicate).length}; tasks: ${s.join(',')}`)), reject);
      }, 10_000);
      listeners.add(check);
      check();
    });
    const statuses = async () => (await engine.getTasks(jobId, { limit: 100, offset: 0 })).tasks.map((t) => t.status);
    return { engine, jobId, events, statuses, eventsSeen, started: () => started };
  }

  /** The store's view right after the job became CANCELLED: every task CANCELLED, counted as such. */
  async function expectAllCancelled(engine: Engine, jobId: string, statuses: () => Promise<string[]>) {
    const job = await engine.getJob(jobId);
    expect(job.status).toBe('CANCELLED');
    expect(await statuses()).toEqual(Array(TASKS).fill('CANCELLED'));
    expect({ cancelled: job.cancelled, done: job.done, failed: job.failed }).toEqual({ cancelled: TASKS, done: 0, failed: 0 });
    expect(await handle.store.getTaskCounts(job.jobKey)).toMatchObject({ IN_PROGRESS: 0, SCHEDULED: 0, CANCELLED: TASKS });
  }

  /**
   * The job's durable log once every runner has written what it had to (the engine is stopped):
   * one task:cancelled per task that was running, written with the cancel, and job:finished last.
   */
  async function expectLogEndsWithFinished(engine: Engine, jobId: string) {
    const { jobKey } = await engine.getJob(jobId);
    await engine.stop({ graceMs: 0 });
    const log = (await handle.store.readEvents(jobKey, 0, 1000)).batches.flatMap((b) => b.events);
    // No task ran to an end: progress 0 (a cancelled job is not "100% done", issue 18).
    expect(log.at(-1)).toMatchObject({ type: 'job:finished', status: 'CANCELLED', progress: 0 });
    const cancelled = log.filter((e) => e.type === 'task:cancelled').map((e) => (e as { taskIndex: number }).taskIndex);
    expect(cancelled.sort()).toEqual([0, 1, 2]);
    // In the cancel's own batch, right before job:finished.
    expect(log.slice(-1 - PARALLEL, -1).map((e) => e.type)).toEqual(Array(PARALLEL).fill('task:cancelled'));
  }

  it('the running tasks end CANCELLED when cancelJob resolves (handlers stop on their signal)', async () => {
    const { engine, jobId, statuses, started } = await blockedJob((gate) => ({ signal }) => new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      void gate.then(resolve);
    }));
    expect(await engine.cancelJob(jobId)).toEqual({ changed: true, status: 'CANCELLED' });
    await expectAllCancelled(engine, jobId, statuses);
    expect(started()).toBe(PARALLEL);
    await expectLogEndsWithFinished(engine, jobId);
  });

  it('the running tasks end CANCELLED when cancelJob resolves, even when their handlers ignore the signal', async () => {
    const { engine, jobId, statuses, events } = await blockedJob((gate) => () => gate);
    expect(await engine.cancelJob(jobId)).toEqual({ changed: true, status: 'CANCELLED' });
    await expectAllCancelled(engine, jobId, statuses);
    // The handlers return later, as if they succeeded: their task stays CANCELLED.
    openGate();
    expect(events.filter((e) => e.type === 'task:cancelled').map((e) => (e as { taskIndex: number }).taskIndex).sort()).toEqual([0, 1, 2]);
    expect(events.some((e) => e.type === 'task:done')).toBe(false);
    expect(await statuses()).toEqual(Array(TASKS).fill('CANCELLED'));
    await expectLogEndsWithFinished(engine, jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', status: 'CANCELLED' });
  });

  it('cancelled by another replica: the runner records its running tasks CANCELLED before it ends', async () => {
    const { engine, jobId, statuses, eventsSeen } = await blockedJob((gate) => () => gate);
    // Another process cancels (its job:finished reaches this one through the event log).
    const other = new Engine({ store: handle.store, log: () => {} });
    expect(await other.cancelJob(jobId)).toEqual({ changed: true, status: 'CANCELLED' });
    // The running tasks' task:cancelled events are published once their outcome is committed.
    await eventsSeen((e) => e.type === 'task:cancelled', PARALLEL);
    await expectAllCancelled(engine, jobId, statuses);
    await expectLogEndsWithFinished(engine, jobId);
  });
});
