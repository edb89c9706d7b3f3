/**
 * A job that ends DONE_WITH_ERRORS is never read without its error in its state (issue 17 §10:
 * jobs/get on PostgreSQL once answered `state: {}` for a DONE_WITH_ERRORS job). The job-state
 * write of a failed task's error went apart from the flush that recorded the failure, and the
 * flush could finish the job first. Here the state write is made slow on purpose, so the old
 * order shows every time: the status is polled, and the state must hold the error as soon as the
 * status is final.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../plugin/src/engine/engine.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import { until } from '../helpers/wait.js';

/** A SQLite store whose job-state writes take 200 ms longer. */
class SlowJobStateStore extends SqliteJobStore {
  override async updateJobState(...args: Parameters<SqliteJobStore['updateJobState']>): ReturnType<SqliteJobStore['updateJobState']> {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return super.updateJobState(...args);
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('the final status and the error in the job state are read together', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'af-jobs-error-state-'));
  const db = new Database(path.join(dir, 'jobs.sqlite'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => { db.close(); });
  const store = new SlowJobStateStore(db);
  await store.migrate();
  const engine = new Engine({ store, log: () => {}, progressIntervalMs: 0 });
  cleanup.push(() => engine.stop({ graceMs: 0 }));
  engine.register({ jobHandlerName: 'fails', handler: async ({ taskIndex }) => { if (taskIndex === 1) throw new Error('task 1 failed on purpose'); } });
  await engine.start();
  const jobId = await engine.createJob({
    name: 'x', handler: 'fails', startedBy: null, tasks: [{ state: {} }, { state: {} }],
    createRow: async () => ({ jobId: 'job-1', createdAt: new Date().toISOString() }), deleteRow: async () => {},
  });
  // Every read before the final one must say IN_PROGRESS; the final read holds the error too.
  const before: string[] = [];
  const final = await until('the job to end DONE_WITH_ERRORS', async () => {
    const job = await engine.getJob(jobId);
    if (job.status === 'DONE_WITH_ERRORS') return job;
    before.push(job.status);
    return undefined;
  }, { intervalMs: 5 });
  expect(before.filter((status) => status !== 'IN_PROGRESS')).toEqual([]);
  expect(final.state).toEqual({ error: 'task 1 failed on purpose' });
});
