/**
 * Retention on the engine over every database (issue 20): the pass deletes the task rows of jobs
 * finished longer ago than taskRetentionMs, and whole jobs (row first) older than jobRetentionMs,
 * in chunks, on one replica at a time — and nothing of a running or recent job.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { openStore, type StoreHandle } from './store-helpers.js';
import { engineOnStore, type StoreEngineFixture } from './engine-helpers.js';
import { untilStatus } from '../helpers/wait.js';
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
    const handler = async ({ getState }: { getState: () => Promise<Record<string, unknown>> }) => {
      const state = await getState();
      if (state.hold) await new Promise(() => {});
      if (state.fail) throw new Error('failing on purpose');
    };
    const app = engineOnStore(store, [
      { jobHandlerName: 'h', parallelLimit: 10, handler },
      // One job at a time: a second one waits QUEUED.
      { jobHandlerName: 'one-at-a-time', concurrencyLimit: 1, handler },
    ], { retentionIntervalMs: 3_600_000, ...options });
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

  /** Rows per job key in one of the plugin's tables, read from the table itself. */
  async function rowsByJob(handle: StoreHandle, table: 'af_bj_tasks' | 'af_bj_events' | 'af_bj_jobs'): Promise<Record<string, number>> {
    const rows = await handle.rows(`SELECT job_key, COUNT(*) AS n FROM ${table} GROUP BY job_key`);
    return Object.fromEntries(rows.map((r) => [String(r.job_key), Number(r.n)]));
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
    const chunk = PURGE_CHUNK[kind];
    const big = chunk * 2 + 5;
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
    expect(purges).toEqual([chunk, chunk, 5]);
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

  it('deletes exactly the task rows of jobs finished before the cut-off, whatever their end; nothing of a running, queued or recent job', async () => {
    const { app, handle, store } = await replica({ taskRetentionMs: 10 * MINUTE });
    const tasks = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ state: { i, ...extra } }));
    const done = await app.start('h', tasks(3));
    const withErrors = await app.start('h', [...tasks(2), { state: { fail: true } }]);
    const recent = await app.start('h', tasks(4));
    const running = await app.start('h', [...tasks(2), { state: { hold: true } }]);
    const holding = await app.start('one-at-a-time', tasks(1, { hold: true }));
    await untilStatus('the first job of one-at-a-time', () => app.engine.getJob(holding), 'IN_PROGRESS');
    const queued = await app.start('one-at-a-time', tasks(5));
    const cancelled = await app.start('one-at-a-time', tasks(6));
    await app.engine.cancelJob(cancelled);
    for (const jobId of [done, withErrors, recent]) await app.finished(jobId);
    const key = async (jobId: string) => String((await app.engine.getJob(jobId)).jobKey);
    expect(Object.fromEntries(await Promise.all([done, withErrors, recent, running, queued, cancelled].map(async (id) => [id, (await app.engine.getJob(id)).status])))).toEqual({
      [done]: 'DONE', [withErrors]: 'DONE_WITH_ERRORS', [recent]: 'DONE', [running]: 'IN_PROGRESS', [queued]: 'QUEUED', [cancelled]: 'CANCELLED',
    });
    for (const jobId of [done, withErrors, cancelled]) await finishedAgo(handle, app, jobId, 11 * MINUTE);
    await finishedAgo(handle, app, recent, 9 * MINUTE);
    // Only the status keeps a job out: a running or queued one is spared even with an old finished_at.
    for (const jobId of [running, queued]) await finishedAgo(handle, app, jobId, 60 * MINUTE);

    const tasksBefore = await rowsByJob(handle, 'af_bj_tasks');
    const eventsBefore = await rowsByJob(handle, 'af_bj_events');
    const jobsBefore = await rowsByJob(handle, 'af_bj_jobs');
    const old = await Promise.all([done, withErrors, cancelled].map(key));
    expect(old.map((k) => tasksBefore[k])).toEqual([3, 3, 6]);

    expect(await app.engine.runRetention()).toEqual({ ran: true, tasks: 12, purgedJobs: 3, deletedJobs: 0 });
    const expected = Object.fromEntries(Object.entries(tasksBefore).filter(([k]) => !old.includes(k)));
    expect(await rowsByJob(handle, 'af_bj_tasks')).toEqual(expected);
    expect(Object.keys(expected).sort()).toEqual((await Promise.all([recent, running, holding, queued].map(key))).sort());
    // Task rows only: every job row stays, and the finished jobs' events (their own retention) too;
    // the live jobs may have written events meanwhile.
    expect(await rowsByJob(handle, 'af_bj_jobs')).toEqual(jobsBefore);
    const finishedKeys = [...old, await key(recent)];
    const eventsAfter = await rowsByJob(handle, 'af_bj_events');
    expect(finishedKeys.map((k) => eventsAfter[k])).toEqual(finishedKeys.map((k) => eventsBefore[k]));
    const purged = await handle.rows('SELECT job_key FROM af_bj_jobs WHERE tasks_purged_at IS NOT NULL');
    expect(purged.map((r) => String(r.job_key)).sort()).toEqual([...old].sort());

    // A job retried after the pass listed it: its delete transaction finds it running and leaves it.
    expect(await store.purgeTasks(Number(await key(running)), PURGE_CHUNK[kind], Date.now())).toBe(0);
    expect(await rowsByJob(handle, 'af_bj_tasks')).toEqual(expected);
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

  it('one pass at a time in a process too: a pass started while one runs does nothing', async () => {
    const { app, handle } = await replica({ taskRetentionMs: MINUTE });
    const job = await app.start('h', [{ state: {} }, { state: {} }]);
    await app.finished(job);
    await finishedAgo(handle, app, job, 2 * MINUTE);
    // The named lock lets its holder in again: without the guard both passes would purge the job.
    const [first, second] = await Promise.all([app.engine.runRetention(), app.engine.runRetention()]);
    expect(first).toEqual({ ran: true, tasks: 2, purgedJobs: 1, deletedJobs: 0 });
    expect(second).toEqual({ ran: false, tasks: 0, purgedJobs: 0, deletedJobs: 0 });
    expect(await app.engine.runRetention()).toEqual({ ran: true, tasks: 0, purgedJobs: 0, deletedJobs: 0 });
  });

  it('refuses a retention option that is not a positive number of ms or false', async () => {
    await expect(replica({ taskRetentionMs: 0 })).rejects.toThrow('taskRetentionMs must be a positive number of milliseconds, or false to keep everything, got 0');
  });
});
