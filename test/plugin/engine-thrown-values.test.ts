/**
 * Issue 17 (points 1 and 2): whatever a handler throws or rejects with — null, a Symbol, a cyclic
 * object with no prototype, a Proxy whose every trap throws, an Error whose `message` getter
 * throws... — its task ends FAILED (or is retried per maxAttempts) with a readable message. No
 * value counts as success, no task is left IN_PROGRESS, nothing rejects unhandled. Run through the
 * engine on every store that answers (SQLite file always, PostgreSQL and MySQL/MariaDB when up)
 * and through `runHandler` (in-memory store).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHandler } from '@adminforth/background-jobs/testing';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { openStore, type StoreHandle } from './store-helpers.js';
import { Engine } from '../../plugin/src/engine/engine.js';
import type { TaskHandlerDefinition } from '../../plugin/src/types.js';
import { engineOnStore, type StoreEngineFixture } from './engine-helpers.js';
import { THROWN_VALUES, thrownValueCase, thrownValueTasks, throwingHandler } from './thrown-values.js';

const kinds = await availableDbKinds();

/** Every unhandled rejection while a test runs (there must be none). */
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** The message of each task of `thrownValueTasks()`, by index. */
function expectedResults(attempt = 1) {
  return thrownValueTasks().map((_, index) => {
    const { value, mode } = thrownValueCase(index);
    return { index, value: value.name, mode, status: 'FAILED', attempt, error: value.message };
  });
}

type Fixture = StoreEngineFixture;
const engineOn = engineOnStore;

describe.each(kinds)('engine on %s: a handler that throws anything', (kind: DbKind) => {
  let db: FreshDatabase;
  let handle: StoreHandle;
  let fx: Fixture | null = null;

  beforeEach(async () => {
    db = await freshDatabase(kind);
    handle = await openStore(db);
    await handle.store.migrate();
  });
  afterEach(async () => {
    await fx?.engine.stop({ graceMs: 0 });
    fx = null;
    await handle.close();
    await db.drop();
  });

  async function run(definitions: TaskHandlerDefinition[]): Promise<Fixture> {
    fx = engineOn(handle.store, definitions);
    await fx.engine.start();
    return fx;
  }

  async function results(jobId: string) {
    const { tasks } = await fx!.engine.getTasks(jobId, { limit: 1000, offset: 0 });
    return tasks.map((t) => {
      const { value, mode } = thrownValueCase(t.index);
      expect(t.state.error, `state.error of task ${t.index}`).toBe(t.error);
      return { index: t.index, value: value.name, mode, status: t.status, attempt: t.attempt, error: t.error };
    });
  }

  it(`fails the task with a readable message for each of ${THROWN_VALUES.length} values, thrown, rejected, or thrown synchronously`, async () => {
    const { engine, events, start, finished } = await run([{ jobHandlerName: 'nasty', parallelLimit: 8, handler: throwingHandler }]);
    const jobId = await start('nasty', thrownValueTasks());
    expect(await finished(jobId)).toMatchObject({ status: 'DONE_WITH_ERRORS', progress: 100 });
    expect(await results(jobId)).toEqual(expectedResults());
    const job = await engine.getJob(jobId);
    expect(await handle.store.getTaskCounts(job.jobKey)).toMatchObject({ FAILED: thrownValueTasks().length, DONE: 0, IN_PROGRESS: 0, SCHEDULED: 0 });
    const failed = events.flatMap((e) => (e.type === 'task:failed' && e.jobId === jobId ? [[e.taskIndex, e.error, e.willRetry] as const] : []));
    expect(failed.sort((a, b) => a[0] - b[0])).toEqual(expectedResults().map((r) => [r.index, r.error, false]));
    expect(events.some((e) => e.type === 'task:done' && e.jobId === jobId)).toBe(false);
    // The job keeps the last error in its state (written after the flush that failed the task).
    const messages = new Set<unknown>(THROWN_VALUES.map((v) => v.message));
    await expect.poll(async () => messages.has((await engine.getJob(jobId)).state.error)).toBe(true);
  });

  it('retries a task that throws null per maxAttempts, and a retry that succeeds ends DONE', async () => {
    const { events, start, finished } = await run([{
      jobHandlerName: 'null', maxAttempts: 3, backoff: { baseMs: 1, jitter: 0 },
      handler: ({ taskIndex, attempt }) => {
        if (taskIndex === 0 || attempt < 2) return Promise.reject(null);
      },
    }]);
    const jobId = await start('null', [{ state: {} }, { state: {} }]);
    expect(await finished(jobId)).toMatchObject({ status: 'DONE_WITH_ERRORS' });
    const { tasks } = await fx!.engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks.map((t) => [t.status, t.attempt, t.error])).toEqual([['FAILED', 3, 'null'], ['DONE', 2, null]]);
    const failed = events.flatMap((e) => (e.type === 'task:failed' ? [[e.taskIndex, e.attempt, e.error, e.willRetry]] : []));
    expect(failed.sort()).toEqual([[0, 1, 'null', true], [0, 2, 'null', true], [0, 3, 'null', false], [1, 1, 'null', true]]);
  });

  it('a failure the runner cannot even record (a backoff option that throws when read) still fails the task, logged', async () => {
    const backoff = { get baseMs(): number { throw hostile(); } };
    const { start, finished, logs } = await run([{ jobHandlerName: 'bad-backoff', maxAttempts: 2, backoff, handler: () => { throw new Error('first try'); } }]);
    const jobId = await start('bad-backoff', [{ state: {} }]);
    expect(await finished(jobId)).toMatchObject({ status: 'DONE_WITH_ERRORS' });
    const { tasks } = await fx!.engine.getTasks(jobId, { limit: 10, offset: 0 });
    const message = 'first try (and the engine could not record the failure: [Proxy, not serialisable: hostile])';
    expect(tasks.map((t) => [t.status, t.attempt, t.error])).toEqual([['FAILED', 1, message]]);
    expect(logs.filter((l) => l.includes('could not record'))).toEqual([`error: background-jobs: task 0 of job ${jobId}: ${message}`]);
  });

  it('onAllTasksDone throwing odd values is logged with their message, and stop() resolves', async () => {
    const names = ['null', 'a cyclic object with no prototype (issue 17)', 'a Proxy whose traps throw the Proxy itself', 'an Error whose message getter throws the Error'];
    const thrown = names.map((name) => THROWN_VALUES.find((v) => v.name === name)!);
    const { start, finished, logs, engine } = await run(thrown.map((value, i) => ({
      jobHandlerName: `done-${i}`, handler: async () => {}, onAllTasksDone: async () => { throw value.make(); },
    })));
    const jobs = await Promise.all(thrown.map((_, i) => start(`done-${i}`, [{ state: {} }])));
    for (const jobId of jobs) expect(await finished(jobId)).toMatchObject({ status: 'DONE' });
    await engine.stop({ graceMs: 0 });
    expect(logs.filter((l) => l.includes('onAllTasksDone')).sort()).toEqual(
      thrown.map((value, i) => `error: background-jobs: onAllTasksDone of 'done-${i}' failed for job ${jobs[i]}: ${value.message}`).sort(),
    );
  });

  it('a logger and an event sink that throw cannot break the engine: the task still fails, the job closes', async () => {
    const engine = new Engine({ store: handle.store, pollMs: 50, progressIntervalMs: 0, log: () => { throw hostile(); } });
    // A listener that throws: the event bus reports it and goes on (engine-events.ts).
    engine.events.onAny(() => { throw hostile(); });
    fx = { engine } as Fixture;
    engine.register({ jobHandlerName: 'h', onAllTasksDone: () => { throw hostile(); }, handler: () => { throw hostile(); } });
    await engine.start();
    const jobId = await engine.createJob({
      name: 'h', handler: 'h', tasks: [{ state: {} }], startedBy: null,
      createRow: async () => ({ jobId: 'job-1', createdAt: new Date().toISOString() }), deleteRow: async () => {},
    });
    // The event sink throws, so no job:finished reaches the test: the store says when the job is done.
    await expect.poll(async () => (await engine.getJob(jobId)).status, { timeout: 20_000 }).toBe('DONE_WITH_ERRORS');
    const { tasks } = await engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks.map((t) => [t.status, t.error])).toEqual([['FAILED', '[Proxy, not serialisable: hostile]']]);
    await engine.stop({ graceMs: 0 });
  });
});

/** A Proxy whose every trap throws an Error 'hostile'. */
function hostile(): object {
  return new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('hostile'); } }));
}

describe('runHandler (in-memory store): a handler that throws anything', () => {
  it(`fails the task with the same message for each of ${THROWN_VALUES.length} values`, async () => {
    const results = await runHandler({ parallelLimit: 8, handler: throwingHandler }, thrownValueTasks());
    expect(results.map((r) => {
      const { value, mode } = thrownValueCase(r.index);
      return { index: r.index, value: value.name, mode, status: r.status, attempt: r.attempt, error: r.error };
    })).toEqual(expectedResults());
    expect(results.every((r) => r.state.error === r.error)).toBe(true);
  });

  it('throw null with maxAttempts 2: two attempts, then FAILED with "null"', async () => {
    let runs = 0;
    const results = await runHandler({ maxAttempts: 2, backoff: { baseMs: 1, jitter: 0 }, handler: () => { runs++; throw null; } }, [{ state: {} }]);
    expect(results).toEqual([{ index: 0, status: 'FAILED', state: { error: 'null' }, attempt: 2, error: 'null' }]);
    expect(runs).toBe(2);
  });
});
