/**
 * Retention on the engine over every database (issue 20): the pass deletes the task rows of jobs
 * finished longer ago than taskRetentionMs, and whole jobs (row first) older than jobRetentionMs,
 * in chunks, on one replica at a time — and nothing of a running or recent job.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { openStore, type StoreHandle } from './store-helpers.js';
import { engineOnStore, type StoreEngineFixture } from './engine-helpers.js';
import { PURGE_CHUNK } from '../../plugin/src/engine/retention.js';
import type { JobStore } from '../../plugin/src/store/job-store.js';

const kinds = await availableDbKinds();
const MINUTE = 60_000;

describe.each(kinds)('retention (%s)', (kind: DbKind) => {
  let db: FreshDatabase;
  let handles: StoreHandle[] = [];
  let fixtures: StoreEngineFixture[] = [];

  async function replica(options: Parameters<typeof engineOnStore>[2]): Promise<{ app: StoreEngineFixture; handle: StoreHandle; store: JobStore }> {
    const handle = await openStore(db);
    handles.push(handle);
    await handle.store.migrate();
    // Counts the store's purge transactions, to check the pass works in chunks.
    const store = new Proxy(handle.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'purgeTasks' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<JobStore['purgeTasks']>) => {
          const deleted = await value.apply(target, args);
          purges.push(deleted);
          return deleted;
        };
      },
    });
    const app = engineOnStore(store, [{ jobHandlerName: 'h', parallelLimit: 10, handler: async ({ getState }) => { if ((await getState()).hold) await new Promise(() => {}); } }], { retentionIntervalMs: 3_600_000, ...options });
    fixtures.push(app);
    await app.engine.start();
    return { app, handle, store: handle.store };
  }
  let purges: number[] = [];

  /** Moves the job's finish back in time (the clock of the test is the database's rows). */
  async function finishedAgo(handle: StoreHandle, app: StoreEngineFixture, jobId: string, ms: number) {
    const { jobKey } = await app.engine.getJob(jobId);
    await handle.rows(`UPDATE af_bj_jobs SET finished_at = ${Date.now() - ms} WHERE job_key = ${jobKey}`);
  }

  beforeEach(async () => {
    db = await freshDatabase(kind);
    purges = [];
  });

  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.engine.stop({ graceMs: 0 });
    for (const h of handles.splice(0)) await h.close();
    await db.drop();
  });

  it('deletes the task rows of old finished jobs in chunks; a recent or running job keeps everything', async () => {
    const { app, handle } = await replica({ taskRetentionMs: 10 * MINUTE });
    const big = PURGE_CHUNK * 2 + 5;
    const old = await app.start('h', Array.from({ length: big }, (_, i) => ({ state: { i } })));
    const recent = await app.start('h', [{ state: {} }, { state: {} }]);
    const running = await app.start('h', [{ state: { hold: true } }, { state: {} }]);
    await app.finished(old);
    await app.finished(recent);
    await finishedAgo(handle, app, old, 11 * MINUTE);
    await finishedAgo(handle, app, recent, 9 * MINUTE);

    const report = await app.engine.runRetention();
    expect(report).toEqual({ ran: true, tasks: big, purgedJobs: 1, deletedJobs: 0 });
    // Three transactions of at most PURGE_CHUNK rows, the last one marking the job purged.
    expect(purges).toEqual([PURGE_CHUNK, PURGE_CHUNK, 5]);
    expect(await app.engine.getTasks(old, { limit: 10, offset: 0 })).toEqual({ tasks: [], total: 0 });
    expect(await app.engine.getJob(old)).toMatchObject({ status: 'DONE', total: big, done: big });
    expect((await app.engine.getTasks(recent, { limit: 10, offset: 0 })).total).toBe(2);
    expect((await app.engine.getTasks(running, { limit: 10, offset: 0 })).total).toBe(2);
    expect(app.logs.some((line) => line.includes(`retention removed ${big} task row(s) of 1 finished job(s)`))).toBe(true);
    // A second pass finds nothing (the purged job is not looked at again).
    purges = [];
    expect(await app.engine.runRetention()).toEqual({ ran: true, tasks: 0, purgedJobs: 0, deletedJobs: 0 });
    expect(purges).toEqual([]);
  });

  it('jobRetentionMs deletes whole old jobs, their row first; taskRetentionMs false keeps tasks', async () => {
    const deletedRows: string[] = [];
    const { app, handle } = await replica({ taskRetentionMs: false, jobRetentionMs: 60 * MINUTE, deleteJobRow: async (jobId) => { deletedRows.push(jobId); } });
    const old = await app.start('h', [{ state: {} }, { state: {} }, { state: {} }]);
    const kept = await app.start('h', [{ state: {} }]);
    await app.finished(old);
    await app.finished(kept);
    await finishedAgo(handle, app, old, 61 * MINUTE);
    await finishedAgo(handle, app, kept, 59 * MINUTE);
    expect(await app.engine.runRetention()).toEqual({ ran: true, tasks: 3, purgedJobs: 0, deletedJobs: 1 });
    expect(deletedRows).toEqual([old]);
    await expect(app.engine.getJob(old)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await app.engine.getTasks(kept, { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('one replica at a time: while another holds the pass, this one does nothing', async () => {
    const { app, handle, store } = await replica({ taskRetentionMs: MINUTE });
    const job = await app.start('h', [{ state: {} }]);
    await app.finished(job);
    await finishedAgo(handle, app, job, 2 * MINUTE);
    expect(await store.acquireLock('retention', 'another-replica', Date.now(), 60_000)).toBe(true);
    expect(await app.engine.runRetention()).toEqual({ ran: false, tasks: 0, purgedJobs: 0, deletedJobs: 0 });
    expect((await app.engine.getTasks(job, { limit: 10, offset: 0 })).total).toBe(1);
    await store.releaseLock('retention', 'another-replica');
    expect(await app.engine.runRetention()).toMatchObject({ ran: true, tasks: 1 });
  });

  it('refuses a retention option that is not a positive number of ms or false', async () => {
    await expect(replica({ taskRetentionMs: 0 })).rejects.toThrow('taskRetentionMs must be a positive number of milliseconds, or false to keep everything, got 0');
  });
});
