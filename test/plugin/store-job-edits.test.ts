/**
 * The JobStore contract for changing a running job (issue 16, the official plugin's API):
 * `addTasks`, `deleteTask`, the finish claim of `beforeJobFinish` (`holdFinish`, `claimFinish`,
 * `renewFinish`, `finishJob`), named locks (`updateJobFieldsAtomically`) and `promoteQueued`'s
 * `max`. Run on SQLite always, on PostgreSQL and MySQL/MariaDB when they answer, and on the memory
 * store. Times are passed in, nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddedTasks, ChangeEvents, DeletedTask, JobRow, JobStore } from '../../plugin/src/store/job-store.js';
import type { EngineEvent } from '../../plugin/src/events.js';
import {
  T0, flushOf, freshStoreDatabase, makeJob, openStore, storeKinds, tasksOf, transitionChecked, type StoreDatabase, type StoreHandle, type StoreKind,
} from './store-helpers.js';

const kinds = await storeKinds();

/** A ChangeEvents that records what its builder saw and what the store said it wrote. */
function recorder<T>(build: (info: T) => EngineEvent[]) {
  const seen: T[] = [];
  const written: { jobKey: number; lastSeq: number; events: EngineEvent[] }[] = [];
  const events: ChangeEvents<T> = {
    owner: 'me', now: T0,
    build: (info) => {
      seen.push(structuredClone(info));
      return build(info);
    },
    written: (jobKey, lastSeq, list) => { written.push({ jobKey, lastSeq, events: list }); },
  };
  return { events, seen, written };
}

const base = (jobKey: number) => ({ jobId: `job-${jobKey}`, handler: 'h', startedBy: '7' });

describe.each(kinds)('JobStore contract (%s): changing a running job', (kind: StoreKind) => {
  let db: StoreDatabase | null = null;
  let handles: StoreHandle[] = [];
  let store: JobStore;
  /** A second handle on the same data (another replica); on the memory store, the same store. */
  let other: JobStore;

  beforeEach(async () => {
    db = await freshStoreDatabase(kind);
    handles = [await openStore(db), await openStore(db)];
    store = transitionChecked(handles[0]);
    other = handles[1].store;
    await store.migrate();
  });

  afterEach(async () => {
    for (const handle of handles) await handle.close();
    handles = [];
    await db?.drop();
    db = null;
  });

  describe('addTasks', () => {
    it('appends after the highest index, grows total, and the new tasks are claimed in order', async () => {
      const jobKey = await makeJob(store, tasksOf(2));
      const rec = recorder<AddedTasks>((info) => [{ type: 'job:tasks-added', ...base(jobKey), firstIndex: info.firstIndex, count: info.count, total: info.job.total }]);
      const added = await store.addTasks(jobKey, ['{"i":2}', '{"i":3}'], rec.events);
      expect(added).toMatchObject({ firstIndex: 2, count: 2, job: { jobKey, total: 4, status: 'IN_PROGRESS' } });
      expect(rec.seen).toHaveLength(1);
      expect(rec.written).toEqual([{ jobKey, lastSeq: 1, events: [expect.objectContaining({ type: 'job:tasks-added', firstIndex: 2, count: 2, total: 4 })] }]);
      const flush = await store.flush(flushOf(jobKey, 'me', { claim: 10 }));
      expect(flush.claimed.map((c) => [c.index, JSON.parse(c.state)])).toEqual([[0, { i: 0 }], [1, { i: 1 }], [2, { i: 2 }], [3, { i: 3 }]]);
      expect(flush.counters.total).toBe(4);
    });

    it('never gives an added task the index of a deleted one (its owner may still report on it)', async () => {
      const jobKey = await makeJob(store, tasksOf(3));
      expect(await store.deleteTask(jobKey, 1)).toMatchObject({ index: 1, status: 'SCHEDULED' });
      expect(await store.addTasks(jobKey, ['{"i":"new"}'])).toMatchObject({ firstIndex: 3, count: 1, job: { total: 3 } });
      // The highest task, leased, is deleted: the next task added comes after it, not in its place.
      await store.flush(flushOf(jobKey, 'A', { claim: 10 }));
      expect(await store.deleteTask(jobKey, 3)).toMatchObject({ index: 3, status: 'IN_PROGRESS', leaseOwner: 'A' });
      expect(await store.addTasks(jobKey, ['{"i":"newer"}'])).toMatchObject({ firstIndex: 4, count: 1, job: { total: 3 } });
      const late = await store.flush(flushOf(jobKey, 'A', { finished: [{ index: 3, status: 'DONE' }] }));
      expect(late.counters).toMatchObject({ done: 0, total: 3 });
      const { tasks } = await store.getTasks(jobKey, { limit: 10, offset: 0 });
      expect(tasks.map((t) => [t.index, t.status])).toEqual([[0, 'IN_PROGRESS'], [2, 'IN_PROGRESS'], [4, 'SCHEDULED']]);
    });

    it('adds to a QUEUED job; refuses a finished job (nothing written, no event) and reports a missing one as null', async () => {
      const queued = await makeJob(store, tasksOf(1), { status: 'QUEUED' });
      expect(await store.addTasks(queued, ['{}'])).toMatchObject({ firstIndex: 1, job: { status: 'QUEUED', total: 2 } });

      const jobKey = await makeJob(store, tasksOf(1));
      await store.flush(flushOf(jobKey, 'me', { claim: 1 }));
      await store.flush(flushOf(jobKey, 'me', { finished: [{ index: 0, status: 'DONE' }] }));
      const rec = recorder<AddedTasks>(() => [{ type: 'job:tasks-added', ...base(jobKey), firstIndex: 0, count: 1, total: 1 }]);
      expect(await store.addTasks(jobKey, ['{}'], rec.events)).toEqual({ status: 'DONE' });
      expect(rec.written).toEqual([]);
      expect(await store.getJobByKey(jobKey)).toMatchObject({ status: 'DONE', total: 1, done: 1 });
      expect((await store.getTasks(jobKey, { limit: 10, offset: 0 })).total).toBe(1);
      expect(await store.addTasks(987654, ['{}'])).toBeNull();
    });

    it('a task added before the last one ends keeps the job open; the job then finishes when the added one ends', async () => {
      const jobKey = await makeJob(store, tasksOf(1));
      await store.flush(flushOf(jobKey, 'me', { claim: 1 }));
      await other.addTasks(jobKey, ['{"late":true}']);
      const ended = await store.flush(flushOf(jobKey, 'me', { finished: [{ index: 0, status: 'DONE' }], claim: 1 }));
      expect(ended.finishedJob).toBe(false);
      expect(ended.counters).toMatchObject({ status: 'IN_PROGRESS', total: 2, done: 1 });
      expect(ended.claimed.map((c) => c.index)).toEqual([1]);
      const last = await store.flush(flushOf(jobKey, 'me', { finished: [{ index: 1, status: 'DONE' }] }));
      expect(last.finishedJob).toBe(true);
      expect(last.counters).toMatchObject({ status: 'DONE', total: 2, done: 2 });
    });
  });

  describe('deleteTask', () => {
    it('a SCHEDULED task is removed and never claimed; total shrinks; other indexes stay', async () => {
      const jobKey = await makeJob(store, tasksOf(3));
      const rec = recorder<DeletedTask>((info) => [{ type: 'task:deleted', ...base(jobKey), taskIndex: info.index }]);
      const deleted = await store.deleteTask(jobKey, 1, rec.events);
      expect(deleted).toMatchObject({ index: 1, status: 'SCHEDULED', leaseOwner: null, job: { total: 2, done: 0 } });
      expect(rec.written.map((w) => w.events.map((e) => e.type))).toEqual([['task:deleted']]);
      const flush = await store.flush(flushOf(jobKey, 'me', { claim: 10 }));
      expect(flush.claimed.map((c) => c.index)).toEqual([0, 2]);
      expect(await store.getTaskCounts(jobKey)).toMatchObject({ SCHEDULED: 0, IN_PROGRESS: 2 });
    });

    it('a leased task is removed with its lease: its owner\'s outcome changes nothing, and its run slot is free for the next task', async () => {
      const jobKey = await makeJob(store, tasksOf(3));
      const first = await store.flush(flushOf(jobKey, 'A', { claim: 1, parallelLimit: 1 }));
      expect(first.claimed.map((c) => c.index)).toEqual([0]);
      expect(await other.deleteTask(jobKey, 0)).toMatchObject({ index: 0, status: 'IN_PROGRESS', leaseOwner: 'A', job: { total: 2 } });
      const late = await store.flush(flushOf(jobKey, 'A', { finished: [{ index: 0, status: 'DONE' }], states: new Map([[0, '{"x":1}']]), claim: 1, parallelLimit: 1 }));
      expect(late.counters).toMatchObject({ status: 'IN_PROGRESS', total: 2, done: 0 });
      // The slot the deleted task held is free: the next task is claimed (by A here, or B below).
      expect(late.claimed.map((c) => c.index)).toEqual([1]);
      expect(late.running).toBe(1);
      const b = await other.flush(flushOf(jobKey, 'B', { claim: 1, parallelLimit: 2 }));
      expect(b.claimed.map((c) => c.index)).toEqual([2]);
      expect(b.running).toBe(2);
    });

    it('a finished task leaves its counter; a missing index is no-task; a finished job or a missing one is refused', async () => {
      const jobKey = await makeJob(store, tasksOf(3));
      await store.flush(flushOf(jobKey, 'me', { claim: 2 }));
      await store.flush(flushOf(jobKey, 'me', { finished: [{ index: 0, status: 'DONE' }, { index: 1, status: 'FAILED', error: 'x' }] }));
      expect(await store.deleteTask(jobKey, 0)).toMatchObject({ status: 'DONE', job: { total: 2, done: 0, failed: 1 } });
      expect(await store.deleteTask(jobKey, 1)).toMatchObject({ status: 'FAILED', job: { total: 1, done: 0, failed: 0 } });
      expect(await store.deleteTask(jobKey, 1)).toBe('no-task');
      expect(await store.deleteTask(jobKey, 99)).toBe('no-task');
      expect(await store.deleteTask(987654, 0)).toBeNull();
      await store.cancelJob(jobKey, T0);
      expect(await store.deleteTask(jobKey, 2)).toEqual({ status: 'CANCELLED' });
    });

    it('deleting the last unfinished task leaves the job open; finishJob then finishes it with its event', async () => {
      const jobKey = await makeJob(store, tasksOf(2));
      await store.flush(flushOf(jobKey, 'me', { claim: 1, parallelLimit: 1 }));
      await store.flush(flushOf(jobKey, 'me', { finished: [{ index: 0, status: 'DONE' }] }));
      await store.deleteTask(jobKey, 1);
      expect(await store.getJobByKey(jobKey)).toMatchObject({ status: 'IN_PROGRESS', total: 1, done: 1 });
      const rec = recorder<JobRow>((job) => [{ type: 'job:finished', ...base(jobKey), status: job.status as 'DONE', finishedAt: new Date(job.finishedAt!).toISOString(), progress: 100 }]);
      const result = await store.finishJob(jobKey, 'me', T0 + 5, null, rec.events);
      expect(result).toMatchObject({ finished: true, job: { status: 'DONE', finishedAt: T0 + 5 } });
      expect(rec.written[0].events).toEqual([expect.objectContaining({ type: 'job:finished', status: 'DONE' })]);
      expect(await store.finishJob(jobKey, 'me', T0 + 6, null)).toMatchObject({ finished: false, job: { status: 'DONE', finishedAt: T0 + 5 } });
    });
  });

  describe('finish claims (beforeJobFinish)', () => {
    /** A job whose only task this owner finished with holdFinish: every task done, still IN_PROGRESS. */
    async function heldJob(status: 'DONE' | 'FAILED' = 'DONE'): Promise<number> {
      const jobKey = await makeJob(store, tasksOf(1));
      await store.flush(flushOf(jobKey, 'A', { claim: 1, holdFinish: true }));
      const last = await store.flush(flushOf(jobKey, 'A', { finished: [{ index: 0, status, error: status === 'FAILED' ? 'boom' : null }], lastError: status === 'FAILED' ? 'boom' : null, holdFinish: true }));
      expect(last.finishedJob).toBe(false);
      expect(last.counters).toMatchObject({ status: 'IN_PROGRESS', total: 1, done: status === 'DONE' ? 1 : 0, failed: status === 'FAILED' ? 1 : 0 });
      return jobKey;
    }

    it('holdFinish keeps the job open; one owner claims the finish at a time; an expired claim is taken over with the same attempt', async () => {
      const jobKey = await heldJob();
      expect(await store.claimFinish(jobKey, 'A', T0, 1000)).toEqual({ attempt: 1, counters: { status: 'IN_PROGRESS', total: 1, done: 1, failed: 0, cancelled: 0 } });
      expect(await other.claimFinish(jobKey, 'B', T0 + 500, 1000)).toBeNull();
      expect(await store.claimFinish(jobKey, 'A', T0 + 500, 1000)).toBeNull();
      expect(await store.renewFinish(jobKey, 'A', T0 + 2000)).toBe(true);
      expect(await other.claimFinish(jobKey, 'B', T0 + 1500, 1000)).toBeNull();
      // A stalled past its claim: B runs the hook again, as attempt 1 (A's never completed).
      expect(await other.claimFinish(jobKey, 'B', T0 + 2001, 1000)).toMatchObject({ attempt: 1 });
      expect(await store.renewFinish(jobKey, 'A', T0 + 5000)).toBe(false);
      expect(await store.finishJob(jobKey, 'A', T0 + 2100, 1)).toMatchObject({ finished: false, job: { status: 'IN_PROGRESS' } });
      const done = await other.finishJob(jobKey, 'B', T0 + 2200, 1);
      expect(done).toMatchObject({ finished: true, job: { status: 'DONE', finishedAt: T0 + 2200 } });
      expect(await store.claimFinish(jobKey, 'A', T0 + 9999, 1000)).toBeNull();
    });

    it('a hook that added tasks: finishJob releases the claim and keeps the job open; the next claim is attempt 2', async () => {
      const jobKey = await heldJob('FAILED');
      expect(await store.claimFinish(jobKey, 'A', T0, 1000)).toMatchObject({ attempt: 1 });
      await store.addTasks(jobKey, ['{"more":1}']);
      expect(await store.finishJob(jobKey, 'A', T0 + 10, 1)).toMatchObject({ finished: false, job: { status: 'IN_PROGRESS', total: 2 } });
      // Not all finished: nobody can claim.
      expect(await other.claimFinish(jobKey, 'B', T0 + 20, 1000)).toBeNull();
      const claim = await other.flush(flushOf(jobKey, 'B', { claim: 1, holdFinish: true, now: T0 + 20 }));
      expect(claim.claimed.map((c) => c.index)).toEqual([1]);
      const last = await other.flush(flushOf(jobKey, 'B', { finished: [{ index: 1, status: 'DONE' }], holdFinish: true, now: T0 + 30 }));
      expect(last).toMatchObject({ finishedJob: false, counters: { status: 'IN_PROGRESS', total: 2, done: 1, failed: 1 } });
      expect(await other.claimFinish(jobKey, 'B', T0 + 40, 1000)).toMatchObject({ attempt: 2, counters: { done: 1, failed: 1 } });
      expect(await other.finishJob(jobKey, 'B', T0 + 50, 2)).toMatchObject({ finished: true, job: { status: 'DONE_WITH_ERRORS' } });
    });

    it('without attempt, finishJob waits while another owner holds a live claim', async () => {
      const jobKey = await heldJob();
      await store.claimFinish(jobKey, 'A', T0, 1000);
      expect(await other.finishJob(jobKey, 'B', T0 + 10, null)).toMatchObject({ finished: false, job: { status: 'IN_PROGRESS' } });
      expect(await other.finishJob(jobKey, 'B', T0 + 1001, null)).toMatchObject({ finished: true, job: { status: 'DONE' } });
    });

    it('a dead owner\'s claim ends in the recovery pass; a cancel during the hook stays a cancel', async () => {
      const jobKey = await heldJob();
      await store.claimFinish(jobKey, 'A', T0, 60_000);
      expect(await other.claimFinish(jobKey, 'B', T0 + 10, 1000)).toBeNull();
      await other.recoverExpiredLeases(T0 + 20, ['A']);
      expect(await other.claimFinish(jobKey, 'B', T0 + 30, 1000)).toMatchObject({ attempt: 1 });
      await store.cancelJob(jobKey, T0 + 40);
      expect(await other.finishJob(jobKey, 'B', T0 + 50, 1)).toMatchObject({ finished: false, job: { status: 'CANCELLED' } });
    });
  });

  describe('named locks', () => {
    it('one owner at a time; its own again; taken over once expired; renew and release only by the holder', async () => {
      expect(await store.acquireLock('job:1', 'A', T0, 1000)).toBe(true);
      expect(await other.acquireLock('job:1', 'B', T0 + 10, 1000)).toBe(false);
      expect(await other.acquireLock('job:2', 'B', T0 + 10, 1000)).toBe(true);
      expect(await store.acquireLock('job:1', 'A', T0 + 20, 1000)).toBe(true);
      expect(await store.renewLock('job:1', 'A', T0 + 3000)).toBe(true);
      expect(await other.acquireLock('job:1', 'B', T0 + 2000, 1000)).toBe(false);
      await other.releaseLock('job:1', 'B');
      expect(await other.acquireLock('job:1', 'B', T0 + 2500, 1000)).toBe(false);
      expect(await other.acquireLock('job:1', 'B', T0 + 3001, 1000)).toBe(true);
      expect(await store.renewLock('job:1', 'A', T0 + 9000)).toBe(false);
      await store.releaseLock('job:1', 'A');
      expect(await store.acquireLock('job:1', 'A', T0 + 3002, 1000)).toBe(false);
      await other.releaseLock('job:1', 'B');
      expect(await store.acquireLock('job:1', 'A', T0 + 3003, 1000)).toBe(true);
    });

    it('owners racing for a free lock: exactly one gets it', async () => {
      const extra = await Promise.all([openStore(db!), openStore(db!), openStore(db!)]);
      handles.push(...extra);
      const contenders = [store, other, ...extra.map((h) => h.store)];
      for (let round = 0; round < 5; round++) {
        const got = await Promise.all(contenders.map((s, i) => s.acquireLock(`race:${round}`, `owner-${i}`, T0, 1000)));
        expect(got.filter(Boolean)).toHaveLength(1);
      }
    });
  });

  it('task counts kept on the job agree with its tasks after every kind of change', async () => {
    const jobKey = await makeJob(store, tasksOf(12));
    const check = async (when: string) => {
      const { tasks } = await store.getTasks(jobKey, { limit: 1000, offset: 0 });
      const byRows: Record<string, number> = { SCHEDULED: 0, IN_PROGRESS: 0, DONE: 0, FAILED: 0, CANCELLED: 0 };
      for (const task of tasks) byRows[task.status]++;
      expect(await store.getTaskCounts(jobKey), when).toEqual(byRows);
      for (const status of ['SCHEDULED', 'IN_PROGRESS', 'DONE', 'FAILED', 'CANCELLED'] as const) {
        expect((await store.getTasks(jobKey, { status: [status], limit: 1, offset: 0 })).total, `${when}: ${status}`).toBe(byRows[status]);
      }
    };
    await check('created');
    await store.flush(flushOf(jobKey, 'A', { claim: 6 }));
    await other.flush(flushOf(jobKey, 'B', { claim: 3, parallelLimit: 20 }));
    await check('claimed by two owners');
    await store.flush(flushOf(jobKey, 'A', {
      finished: [{ index: 0, status: 'DONE' }, { index: 1, status: 'FAILED', error: 'x' }],
      rescheduled: [{ index: 2, error: 'again', runAfter: T0 + 1000 }],
    }));
    await check('finished, failed, rescheduled');
    await store.deleteTask(jobKey, 3);
    await store.deleteTask(jobKey, 0);
    await store.addTasks(jobKey, ['{}', '{}']);
    await check('deleted and added');
    await store.recoverExpiredLeases(T0 + 10, ['B']);
    await check('recovered');
    await store.cancelJob(jobKey, T0 + 20);
    await check('cancelled');
    await store.retryJob(jobKey, 'unfinished', 'IN_PROGRESS');
    await check('retried');
  });

  describe('retention', () => {
    /** A job of `n` tasks, every one DONE, finished at `at`. */
    async function finishedJob(n: number, at: number): Promise<number> {
      const jobKey = await makeJob(store, tasksOf(n));
      const claimed = await store.flush(flushOf(jobKey, 'A', { claim: n, parallelLimit: n, now: at }));
      await store.flush(flushOf(jobKey, 'A', { finished: claimed.claimed.map((c) => ({ index: c.index, status: 'DONE' as const })), now: at }));
      expect(await store.getJobByKey(jobKey)).toMatchObject({ status: 'DONE', finishedAt: at });
      return jobKey;
    }

    it('jobsToPurge lists finished jobs finished before the time, oldest first, until their tasks are purged', async () => {
      const old = await finishedJob(3, T0 - 5000);
      const older = await finishedJob(2, T0 - 9000);
      const recent = await finishedJob(2, T0 - 10);
      const running = await makeJob(store, tasksOf(2));
      expect(await store.jobsToPurge(T0 - 1000, 10)).toEqual([older, old]);
      expect(await store.jobsToPurge(T0 - 1000, 1)).toEqual([older]);
      expect(await store.jobsToPurge(T0, 10)).toEqual([older, old, recent]);
      expect(await store.jobsToDelete(T0 - 1000, 10)).toEqual([{ jobKey: older, jobId: `job-${older}` }, { jobKey: old, jobId: `job-${old}` }]);
      expect(await store.purgeTasks(running, 10, T0)).toBe(0);
      expect((await store.getTasks(running, { limit: 10, offset: 0 })).total).toBe(2);
      expect(await store.purgeTasks(older, 10, T0)).toBe(2);
      expect(await store.jobsToPurge(T0 - 1000, 10)).toEqual([old]);
    });

    it('purgeTasks deletes at most the chunk, lowest first, marks the job purged with the last one, and keeps its counts', async () => {
      const jobKey = await finishedJob(5, T0 - 5000);
      expect(await store.purgeTasks(jobKey, 2, T0)).toBe(2);
      expect((await store.getTasks(jobKey, { limit: 10, offset: 0 })).tasks.map((t) => t.index)).toEqual([2, 3, 4]);
      expect(await store.jobsToPurge(T0, 10)).toEqual([jobKey]);
      expect(await store.purgeTasks(jobKey, 2, T0)).toBe(2);
      expect(await store.purgeTasks(jobKey, 2, T0)).toBe(1);
      expect(await store.jobsToPurge(T0, 10)).toEqual([]);
      expect(await store.getTasks(jobKey, { limit: 10, offset: 0 })).toEqual({ tasks: [], total: 0 });
      expect(await store.getJobByKey(jobKey)).toMatchObject({ status: 'DONE', total: 5, done: 5 });
      expect(await store.getTaskCounts(jobKey)).toMatchObject({ DONE: 5 });
      expect(await store.purgeTasks(jobKey, 2, T0)).toBe(0);
    });
  });

  it('getJobs reads the jobs of several ids at once, skipping unknown ones', async () => {
    const a = await makeJob(store, tasksOf(1), { jobId: 'a-1' });
    const b = await makeJob(store, tasksOf(2), { jobId: 'b-2' });
    const found = await store.getJobs(['b-2', 'nope', 'a-1']);
    expect(found.map((j) => [j.jobKey, j.jobId, j.total]).sort()).toEqual([[a, 'a-1', 1], [b, 'b-2', 2]].sort());
    expect(await store.getJobs([])).toEqual([]);
  });

  it('promoteQueued promotes at most `max` jobs', async () => {
    const keys = [await makeJob(store, tasksOf(1), { status: 'QUEUED' }), await makeJob(store, tasksOf(1), { status: 'QUEUED' }), await makeJob(store, tasksOf(1), { status: 'QUEUED' })];
    expect((await store.promoteQueued('h', Infinity, undefined, 1)).map((j) => j.jobKey)).toEqual([keys[0]]);
    expect((await store.promoteQueued('h', Infinity, undefined, 5)).map((j) => j.jobKey)).toEqual([keys[1], keys[2]]);
  });
});
