/**
 * The flush plan (plugin/src/store/flush-plan.ts): the decision of a flush, written once, that the
 * SQLite, MySQL and memory stores follow and PostgreSQL's flush function makes in SQL. First the
 * pure functions; then the store contract's check that the four stores agree: the same seeded runs
 * of several owners (claims, finishes, failures, reschedules, lost leases, recovery, added and
 * deleted tasks, retries, held finishes, cancels) give the same results, call by call, on each.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  afterClaim, allTasksFinished, finishedJobStatus, leasedWrites, planFlush, taskWrites, type FlushRead,
} from '../../plugin/src/store/flush-plan.js';
import type { FlushInput, JobStore } from '../../plugin/src/store/job-store.js';
import type { EngineEvent } from '../../plugin/src/events.js';
import {
  T0, flushOf, freshStoreDatabase, makeJob, openStore, storeKinds, tasksOf, transitionChecked, type StoreDatabase, type StoreHandle, type StoreKind,
} from './store-helpers.js';

const names = { jobId: 'job', handler: 'h', startedBy: '7' };

function readOf(over: Partial<Omit<FlushRead, 'job'>> & { job?: Partial<FlushRead['job']> } = {}): FlushRead {
  return {
    finished: { done: 0, failed: 0, cancelled: 0 }, running: 0, held: 0, slotRows: [],
    ...over,
    job: { status: 'IN_PROGRESS', total: 3, done: 0, failed: 0, cancelled: 0, lastError: null, ...over.job },
  };
}

describe('flush plan', () => {
  it('taskWrites: one write per task in index order; a finish wins over a reschedule', () => {
    const writes = taskWrites({
      states: new Map([[5, '{"s":5}'], [1, '{"s":1}']]),
      finished: [{ index: 5, status: 'FAILED', error: 'e' }, { index: 3, status: 'DONE' }],
      rescheduled: [{ index: 5, error: 'again', runAfter: T0 + 9 }, { index: 2, error: 'later', runAfter: T0 + 5 }],
    });
    expect(writes).toEqual([
      { index: 1, state: '{"s":1}', status: null, error: null, runAfter: null },
      { index: 2, state: null, status: 'SCHEDULED', error: 'later', runAfter: T0 + 5 },
      { index: 3, state: null, status: 'DONE', error: null, runAfter: null },
      { index: 5, state: '{"s":5}', status: 'FAILED', error: 'e', runAfter: null },
    ]);
  });

  it('leasedWrites: only the tasks still leased, their finishes counted by status', () => {
    const writes = taskWrites({
      states: new Map([[0, '{}']]),
      finished: [{ index: 1, status: 'DONE' }, { index: 2, status: 'FAILED', error: 'e' }, { index: 3, status: 'CANCELLED' }, { index: 4, status: 'DONE' }],
      rescheduled: [{ index: 5, error: 'x', runAfter: T0 }],
    });
    const held = leasedWrites(writes, (index) => index !== 4);
    expect(held.writes.map((w) => w.index)).toEqual([0, 1, 2, 3, 5]);
    expect(held.finished).toEqual({ done: 1, failed: 1, cancelled: 1 });
    expect(held.released).toBe(4);
  });

  it('the finishing rule: every task finished; DONE_WITH_ERRORS when one failed', () => {
    expect(allTasksFinished({ total: 3, done: 1, failed: 1, cancelled: 1 })).toBe(true);
    expect(allTasksFinished({ total: 3, done: 2, failed: 0, cancelled: 0 })).toBe(false);
    expect(allTasksFinished({ total: 0, done: 0, failed: 0, cancelled: 0 })).toBe(true);
    expect(finishedJobStatus({ failed: 0 })).toBe('DONE');
    expect(finishedJobStatus({ failed: 2 })).toBe('DONE_WITH_ERRORS');
  });

  it('finishes the job in the flush that finishes its last task, with job:finished after the flush\'s events', () => {
    const event = { type: 'task:done', ...names, taskIndex: 2, attempt: 1 } as EngineEvent;
    const input = flushOf(1, 'A', { finished: [{ index: 2, status: 'DONE' }], events: [event], job: names, now: T0 + 5, lastError: '' });
    const plan = planFlush(input, readOf({ job: { done: 1, failed: 1, lastError: 'boom' }, finished: { done: 1, failed: 0, cancelled: 0 } }));
    expect(plan).toMatchObject({ finishedJob: true, writeJob: true, lastError: null, claiming: false, claim: 0 });
    expect(plan.counters).toEqual({ status: 'DONE_WITH_ERRORS', total: 3, done: 2, failed: 1, cancelled: 0 });
    // The error the job keeps goes with its job:finished ('' is no error).
    expect(plan.events).toEqual([event, { type: 'job:finished', ...names, status: 'DONE_WITH_ERRORS', finishedAt: new Date(T0 + 5).toISOString(), progress: 100, error: 'boom' }]);
  });

  it('does not finish the job: held for beforeJobFinish, finishing nothing itself, or not IN_PROGRESS', () => {
    const finishedOne = { finished: { done: 1, failed: 0, cancelled: 0 } };
    const held = planFlush(flushOf(1, 'A', { holdFinish: true, job: names }), readOf({ job: { done: 2 }, ...finishedOne }));
    expect(held).toMatchObject({ finishedJob: false, writeJob: true, counters: { status: 'IN_PROGRESS', done: 3 } });
    expect(held.finishedEvent).toBeUndefined();
    // Every task finished already (a task was deleted): the engine's finishJob finishes it.
    expect(planFlush(flushOf(1, 'A'), readOf({ job: { done: 3 } }))).toMatchObject({ finishedJob: false, writeJob: false, counters: { status: 'IN_PROGRESS' } });
    // Cancelled before this flush: its writes changed nothing, so no events either.
    const late = planFlush(flushOf(1, 'A', { events: [{ type: 'task:done', ...names, taskIndex: 0, attempt: 1 } as EngineEvent], claim: 3 }),
      readOf({ job: { status: 'CANCELLED', cancelled: 3 } }));
    expect(late).toMatchObject({ finishedJob: false, events: [], claiming: false, claim: 0, counters: { status: 'CANCELLED' } });
  });

  it('claims up to the run slots plus claim-ahead, less what the owner holds; records interest only when claiming', () => {
    const input = flushOf(1, 'A', { claim: 50, parallelLimit: 4, ahead: 3 });
    const read = readOf({ job: { total: 100 }, held: 2, running: 2 });
    const plan = planFlush(input, read);
    expect(plan).toMatchObject({ claiming: true, claim: 5, grant: { stored: 4, limit: 4 } });
    expect(afterClaim(input, read, plan, 5)).toEqual({
      running: 7, slots: 4, needsNextRunAt: false, interest: { at: T0, slots: 4, slotsExpire: T0 + input.leaseMs },
    });
    expect(afterClaim(input, read, plan, 1)).toMatchObject({ needsNextRunAt: true, running: 3, slots: 3 });
    // Not claiming: the owner keeps the slots of its running tasks; its row changes only if they do.
    const stop: FlushInput = flushOf(1, 'A', { claim: 0, executing: 1 });
    const mine = { owner: 'A', at: T0 - 10, slots: 4, slotsExpire: T0 + 1000 };
    const stopRead = readOf({ held: 2, running: 2, slotRows: [mine] });
    const stopPlan = planFlush(stop, stopRead);
    expect(afterClaim(stop, stopRead, stopPlan, 0)).toEqual({ running: 2, slots: 0, needsNextRunAt: false, interest: { at: null, slots: 1, slotsExpire: T0 + stop.leaseMs } });
    const same = readOf({ held: 1, running: 1, slotRows: [{ ...mine, slots: 1 }] });
    expect(afterClaim(stop, same, planFlush(stop, same), 0).interest).toBeNull();
  });
});

/** A small deterministic random source (mulberry32), so every store sees the same run. */
function randomOf(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** JSON with keys sorted and undefined left out: two results equal as `toEqual` sees them give the same text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([x], [y]) => (x < y ? -1 : 1)))
    : v));
}

interface Scenario {
  seed: number;
  /** Every flush holds the finish (a handler with beforeJobFinish): the runs claim and finish the job themselves. */
  holdFinish?: boolean;
  steps: number;
}

/**
 * One seeded run on `store`: owners flushing one job (leases of 1 s, interest of 1.5 s, 4 run
 * slots) as the engine's runners do — each live owner heartbeats at least every 550 ms; one that
 * dies stops flushing and heartbeating (a new owner takes its place), and the recovery pass takes
 * its tasks once its leases ran out, or at once when it names it dead — with added and deleted
 * tasks, retries and, rarely, a cancel. What each call returns goes into the trace, and the job,
 * its tasks and its event log at the end. An owner believes it holds what it claimed until it
 * reports it, so it also reports tasks it lost (a store must ignore those).
 *
 * Live owners heartbeat because the contract counts on it: an owner that goes on flushing without
 * heartbeats is where PostgreSQL parts from the others by design — its recovery pass finds lost
 * leases through the owner's `af_bj_interest` row (postgres-store.ts `recoverExpiredLeases`), and
 * a flush there that only finishes tasks also renews the owner's slot reservation.
 */
async function runScenario(store: JobStore, scenario: Scenario): Promise<unknown[]> {
  const random = randomOf(scenario.seed);
  const below = (n: number) => Math.floor(random() * n);
  const trace: unknown[] = [];
  const jobKey = await makeJob(store, tasksOf(10), { jobId: names.jobId });
  let now = T0;
  let born = 0;
  const live: string[] = [];
  const dead: string[] = [];
  const held = new Map<string, number[]>();
  const beat = new Map<string, number>();
  const heartbeat = async (owner: string) => {
    await store.heartbeat({ owner, host: 'h', pid: 1, heartbeatAt: now }, 1000);
    beat.set(owner, now);
  };
  const spawn = async () => {
    const owner = `owner-${born++}`;
    live.push(owner);
    held.set(owner, []);
    await heartbeat(owner);
  };
  for (let i = 0; i < 3; i++) await spawn();
  let highest = 9;
  let status = 'IN_PROGRESS';
  for (let step = 0; step < scenario.steps; step++) {
    now += 1 + below(300);
    for (const owner of live) if (now - beat.get(owner)! >= 250) await heartbeat(owner);
    const owner = live[below(live.length)];
    const roll = random();
    if (roll < 0.72) {
      const mine = held.get(owner)!;
      const finished: FlushInput['finished'] = [];
      const rescheduled: FlushInput['rescheduled'] = [];
      const states = new Map<number, string>();
      const events: EngineEvent[] = [];
      const keep: number[] = [];
      for (const index of mine) {
        if (random() < 0.3) states.set(index, JSON.stringify({ step, owner }));
        const fate = random();
        if (fate < 0.35) {
          finished.push({ index, status: 'DONE' });
          events.push({ type: 'task:done', ...names, taskIndex: index, attempt: 1 } as EngineEvent);
        } else if (fate < 0.45) {
          finished.push({ index, status: 'FAILED', error: `failed at ${step}` });
          events.push({ type: 'task:failed', ...names, taskIndex: index, attempt: 1, error: `failed at ${step}`, willRetry: false } as EngineEvent);
        } else if (fate < 0.5) {
          finished.push({ index, status: 'CANCELLED' });
        } else if (fate < 0.6) {
          rescheduled.push({ index, error: `again at ${step}`, runAfter: now + below(1500) });
        } else {
          keep.push(index);
        }
      }
      // A report on a task this owner never held (or lost) changes nothing.
      if (random() < 0.1) finished.push({ index: below(highest + 1), status: 'DONE' });
      const executing = random() < 0.5 ? undefined : below(keep.length + 1);
      const result = await store.flush(flushOf(jobKey, owner, {
        now, states, finished, rescheduled, events, job: names, claim: below(5), parallelLimit: 4, ahead: below(3),
        leaseMs: 1000, interestTtlMs: 1500, lastError: finished.some((f) => f.status === 'FAILED') ? `failed at ${step}` : null,
        holdFinish: scenario.holdFinish, ...(executing === undefined ? {} : { executing }),
      }));
      held.set(owner, [...keep, ...result.claimed.map((c) => c.index)]);
      status = result.counters.status;
      trace.push({ step, call: 'flush', owner, result });
      if (scenario.holdFinish && status === 'IN_PROGRESS' && result.counters.done + result.counters.failed + result.counters.cancelled >= result.counters.total) {
        const claim = await store.claimFinish(jobKey, owner, now, 1000);
        const finish = claim ? await store.finishJob(jobKey, owner, now, claim.attempt) : null;
        if (finish?.job) status = finish.job.status;
        trace.push({ step, call: 'finish', owner, claim, finished: finish?.finished, status: finish?.job?.status });
      }
    } else if (roll < 0.75) {
      // The owner's process dies: it neither flushes nor heartbeats again.
      live.splice(live.indexOf(owner), 1);
      dead.push(owner);
      await spawn();
      trace.push({ step, call: 'dies', owner });
    } else if (roll < 0.84) {
      const gone = dead.length > 0 && random() < 0.4 ? [dead[below(dead.length)]] : [];
      trace.push({ step, call: 'recover', gone, n: await store.recoverExpiredLeases(now, gone) });
    } else if (roll < 0.88) {
      const added = await store.addTasks(jobKey, Array.from({ length: 1 + below(3) }, () => JSON.stringify({ added: step })));
      if (added && 'firstIndex' in added) highest = added.firstIndex + added.count - 1;
      trace.push({ step, call: 'addTasks', added });
    } else if (roll < 0.91) {
      trace.push({ step, call: 'deleteTask', deleted: await store.deleteTask(jobKey, below(highest + 1)) });
    } else if (roll < 0.99) {
      if (status === 'DONE' || status === 'DONE_WITH_ERRORS' || status === 'CANCELLED') {
        const scope = random() < 0.4 ? 'failed' : random() < 0.5 ? 'unfinished' : [below(highest + 1), below(highest + 1)];
        const n = await store.retryJob(jobKey, scope, 'IN_PROGRESS');
        if (n > 0) status = 'IN_PROGRESS';
        trace.push({ step, call: 'retry', scope, n });
      }
    } else {
      const cancel = await store.cancelJob(jobKey, now);
      status = cancel.status;
      trace.push({ step, call: 'cancel', cancel });
    }
  }
  const job = await store.getJobByKey(jobKey);
  const { tasks } = await store.getTasks(jobKey, { limit: 1000, offset: 0 });
  const log = await store.readEvents(jobKey, 0, 100_000);
  trace.push({
    call: 'end',
    job: job && { status: job.status, total: job.total, done: job.done, failed: job.failed, cancelled: job.cancelled, lastError: job.lastError, finishedAt: job.finishedAt },
    tasks,
    counts: await store.getTaskCounts(jobKey),
    events: log.batches.flatMap((b) => b.events.map((event, i) => [b.firstSeq + i, event])),
  });
  return trace;
}

describe('the four stores agree (store contract)', async () => {
  const kinds = await storeKinds();
  let dbs: StoreDatabase[] = [];
  let handles: StoreHandle[] = [];

  afterEach(async () => {
    for (const handle of handles) await handle.close();
    for (const db of dbs) await db.drop();
    handles = [];
    dbs = [];
  });

  async function traceOn(kind: StoreKind, scenario: Scenario): Promise<unknown[]> {
    const db = await freshStoreDatabase(kind);
    dbs.push(db);
    const handle = await openStore(db);
    handles.push(handle);
    const store = transitionChecked(handle);
    await store.migrate();
    return runScenario(store, scenario);
  }

  const scenarios: Scenario[] = [
    { seed: 1, steps: 150 },
    { seed: 2, steps: 150 },
    { seed: 3, steps: 150 },
    { seed: 6, steps: 150 },
    { seed: 4, steps: 150, holdFinish: true },
    { seed: 5, steps: 150, holdFinish: true },
  ];
  it.each(scenarios)('seeded run %o: the same results, call by call, on every store', async (scenario) => {
    const traces = new Map<StoreKind, unknown[]>();
    for (const kind of kinds) traces.set(kind, await traceOn(kind, scenario));
    const reference = traces.get('memory')!;
    // The run did something worth comparing.
    expect(reference.filter((t) => (t as { call: string }).call === 'flush').length).toBeGreaterThan(50);
    for (const [kind, trace] of traces) {
      // The first call where they part, with its neighbours, reads better than the whole trace.
      const first = trace.findIndex((entry, i) => canonical(entry) !== canonical(reference[i]));
      const at = first === -1 ? Math.min(trace.length, reference.length) : first;
      expect({ kind, calls: trace.slice(Math.max(0, at - 2), at + 1) }).toEqual({ kind, calls: reference.slice(Math.max(0, at - 2), at + 1) });
      expect(trace.length, kind).toBe(reference.length);
    }
  });
});
