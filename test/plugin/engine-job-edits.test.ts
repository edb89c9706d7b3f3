/**
 * The official plugin's API for changing a running job, on the engine over every database
 * (issue 16): beforeJobFinish (with tasks added by it, across replicas, and after its process is
 * killed), addNewTasksToExistingJob, deleteTasksFromExistingJob, updateJobFieldsAtomically across
 * replicas, startNextQueuedJob / startQueuedJobs and `autoStart: false`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { SOURCE_CONDITION } from '../helpers/source-condition.js';
import { until } from '../helpers/wait.js';
import { openStore, type StoreHandle } from './store-helpers.js';
import { engineOnStore, type StoreEngineFixture } from './engine-helpers.js';
import { Engine } from '../../plugin/src/engine/engine.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import type { BeforeJobFinishInfo, TaskContext, TaskHandlerDefinition } from '../../plugin/src/types.js';
import type { EngineEvent } from '../../plugin/src/events.js';

const kinds = await availableDbKinds();

/** A promise with its resolve, to hold handlers until the test has seen what it needs. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

/** How the waits of this file poll: the engines run on real databases, some in child processes. */
const WAIT = { timeoutMs: 30_000, intervalMs: 10 };

describe.each(kinds)('changing a running job (%s)', (kind: DbKind) => {
  let db: FreshDatabase;
  let handles: StoreHandle[] = [];
  let fixtures: StoreEngineFixture[] = [];
  /** Store calls per method name and answer, of the replicas made with `counted` (method:answer → n). */
  let calls: Map<string, number>;

  async function replica(definitions: TaskHandlerDefinition[], options: Parameters<typeof engineOnStore>[2] = {}, counted = false): Promise<StoreEngineFixture> {
    const handle = await openStore(db);
    handles.push(handle);
    await handle.store.migrate();
    const store = counted ? new Proxy(handle.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const answer = await value.apply(target, args);
          const name = `${String(key)}:${answer === null ? 'null' : typeof answer}`;
          calls.set(name, (calls.get(name) ?? 0) + 1);
          return answer;
        };
      },
    }) : handle.store;
    const fixture = engineOnStore(store, definitions, options);
    fixtures.push(fixture);
    await fixture.engine.start();
    return fixture;
  }

  beforeEach(async () => {
    db = await freshDatabase(kind);
    calls = new Map();
  });

  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.engine.stop({ graceMs: 0 });
    for (const h of handles.splice(0)) await h.close();
    await db.drop();
  });

  it('beforeJobFinish runs before the job finishes; tasks it adds run, then it is called again with the next attempt', async () => {
    const calls: (BeforeJobFinishInfo & { statusDuring: string })[] = [];
    const ran: unknown[] = [];
    let app!: StoreEngineFixture;
    const done: unknown[] = [];
    app = await replica([{
      jobHandlerName: 'grow', parallelLimit: 2,
      handler: async ({ getState }) => { ran.push((await getState()).n); },
      beforeJobFinish: async (info) => {
        calls.push({ ...info, statusDuring: (await app.engine.getJob(info.jobId)).status });
        if (info.finishAttemptNumber === 1) await app.engine.addTasks(info.jobId, [{ state: { n: 'extra-1' } }, { state: { n: 'extra-2' } }]);
      },
      onAllTasksDone: (info) => { done.push(info); },
    }]);
    const jobId = await app.start('grow', [{ state: { n: 0 } }, { state: { n: 1 } }, { state: { n: 2 } }]);
    const end = await app.finished(jobId);
    expect(end).toMatchObject({ status: 'DONE', progress: 100 });
    expect(calls).toEqual([
      { jobId, failedTasks: 0, succeededTasks: 3, finishAttemptNumber: 1, statusDuring: 'IN_PROGRESS' },
      { jobId, failedTasks: 0, succeededTasks: 5, finishAttemptNumber: 2, statusDuring: 'IN_PROGRESS' },
    ]);
    expect([...ran].sort()).toEqual([0, 1, 2, 'extra-1', 'extra-2'].sort());
    expect(await app.engine.getJob(jobId)).toMatchObject({ status: 'DONE', total: 5, done: 5 });
    await until('onAllTasksDone', () => done.length > 0, WAIT);
    expect(done).toEqual([{ jobId, failedTasks: 0, succeededTasks: 5 }]);
    const added = app.events.find((e) => e.type === 'job:tasks-added');
    expect(added).toMatchObject({ jobId, firstIndex: 3, count: 2, total: 5 });
    // The job:finished comes after the hook's last call, once.
    expect(app.events.filter((e) => e.type === 'job:finished' && e.jobId === jobId)).toHaveLength(1);
  });

  it('a beforeJobFinish that throws is logged and the job still finishes (DONE_WITH_ERRORS keeps its error)', async () => {
    const app = await replica([{
      jobHandlerName: 'bad-hook',
      handler: async ({ taskIndex }) => { if (taskIndex === 1) throw new Error('task 1 broke'); },
      beforeJobFinish: () => { throw new Error('hook broke'); },
    }]);
    const jobId = await app.start('bad-hook', [{ state: {} }, { state: {} }]);
    expect(await app.finished(jobId)).toMatchObject({ status: 'DONE_WITH_ERRORS', error: 'task 1 broke' });
    expect(app.logs.some((line) => line.includes('beforeJobFinish') && line.includes('hook broke'))).toBe(true);
  });

  it('two replicas: the hook runs on one of them at a time, once per attempt', async () => {
    const hookCalls: string[] = [];
    const release = gate();
    const definition = (who: string): TaskHandlerDefinition => ({
      jobHandlerName: 'shared', parallelLimit: 4,
      handler: async () => {},
      beforeJobFinish: async ({ finishAttemptNumber }) => {
        hookCalls.push(`${who}:${finishAttemptNumber}`);
        await release.opened;
      },
    });
    const a = await replica([definition('a')]);
    const b = await replica([definition('b')], {}, true);
    const jobId = await a.start('shared', Array.from({ length: 40 }, (_, i) => ({ state: { i } })));
    await until('the hook to be called', () => hookCalls.length > 0, WAIT);
    // Both replicas poll the job every 50 ms; while the hook runs, neither calls it again.
    const job = await a.engine.getJob(jobId);
    expect(job).toMatchObject({ status: 'IN_PROGRESS', done: 40 });
    // b's runner sees every task finished and asks for the finish, again at each poll: refused
    // while a holds it.
    await until('b to be refused the finish three times', () => (calls.get('claimFinish:null') ?? 0) >= 3, WAIT);
    expect(hookCalls).toHaveLength(1);
    release.open();
    expect(await a.finished(jobId)).toMatchObject({ status: 'DONE' });
    expect(hookCalls).toHaveLength(1);
  });

  it('addNewTasksToExistingJob while the job runs: the new tasks run too; a finished or missing job is refused', async () => {
    const hold = gate();
    const ran: unknown[] = [];
    const app = await replica([{
      jobHandlerName: 'more', parallelLimit: 1,
      handler: async ({ getState }) => { await hold.opened; ran.push((await getState()).n); },
    }]);
    const jobId = await app.start('more', [{ state: { n: 0 } }]);
    await until('task 0 to start', () => app.events.some((e) => e.type === 'task:started'), WAIT);
    expect(await app.engine.addTasks(jobId, [{ state: { n: 1 } }, { state: { n: 2 } }])).toEqual({ firstIndex: 1, count: 2, total: 3 });
    hold.open();
    expect(await app.finished(jobId)).toMatchObject({ status: 'DONE', progress: 100 });
    expect(ran).toEqual([0, 1, 2]);
    await expect(app.engine.addTasks(jobId, [{ state: {} }])).rejects.toThrow(`Cannot add tasks to job ${jobId}: it is DONE`);
    await expect(app.engine.addTasks('nope', [{ state: {} }])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.engine.addTasks(jobId, [{ state: 5 } as never])).rejects.toThrow('The state of task 0 must be an object');
  });

  it('deleteTasksFromExistingJob: a waiting task never runs, a running one is aborted, and the job finishes when nothing is left', async () => {
    const aborted: number[] = [];
    const ran: number[] = [];
    const app = await replica([{
      jobHandlerName: 'del', parallelLimit: 1,
      handler: ({ taskIndex, signal }: TaskContext) => new Promise<void>((resolve) => {
        ran.push(taskIndex);
        signal.addEventListener('abort', () => { aborted.push(taskIndex); resolve(); });
      }),
    }]);
    const jobId = await app.start('del', [{ state: {} }, { state: {} }, { state: {} }]);
    await until('task 0 to start', () => ran.includes(0), WAIT);
    await app.engine.deleteTask(jobId, 2);
    await app.engine.deleteTask(jobId, 0);
    expect(aborted).toEqual([0]);
    await until('task 1 to start', () => ran.includes(1), WAIT);
    expect(await app.engine.getJob(jobId)).toMatchObject({ status: 'IN_PROGRESS', total: 1 });
    await expect(app.engine.deleteTask(jobId, 2)).rejects.toThrow(`Job ${jobId} has no task 2`);
    await expect(app.engine.deleteTask(jobId, -1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await app.engine.deleteTask(jobId, 1);
    expect(await app.finished(jobId)).toMatchObject({ status: 'DONE', progress: 100 });
    expect(ran).toEqual([0, 1]);
    expect(await app.engine.getJob(jobId)).toMatchObject({ status: 'DONE', total: 0 });
    await expect(app.engine.deleteTask(jobId, 0)).rejects.toThrow(`Cannot delete a task of job ${jobId}: it is DONE`);
  });

  it('updateJobFieldsAtomically: read-modify-writes from two replicas lose nothing; a nested call for the same job is refused', async () => {
    const a = await replica([{ jobHandlerName: 'count', handler: async () => {} }]);
    const b = await replica([{ jobHandlerName: 'count', handler: async () => {} }]);
    const jobId = await a.start('count', [{ state: {} }]);
    const runner = (await a.engine.getJob(jobId));
    const job = { jobKey: runner.jobKey, jobId, handler: 'count', name: 'count', startedBy: null };
    const increment = (engine: Engine) => engine.withJobLock(jobId, async () => {
      const n = Number((await engine.getJob(jobId)).state.n ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await engine.setJobStateField(job, 'n', n + 1);
    });
    await Promise.all(Array.from({ length: 15 }, () => [increment(a.engine), increment(b.engine)]).flat());
    expect((await a.engine.getJob(jobId)).state.n).toBe(30);
    await expect(a.engine.withJobLock(jobId, () => a.engine.withJobLock(jobId, () => 1))).rejects.toThrow('inside its own update function');
    expect(await a.engine.withJobLock(jobId, () => 'result')).toBe('result');
    await expect(a.engine.withJobLock('nope', () => 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('progress is honest where a job stopped: cancelled after 4 of 10 tasks it stays at 40, not 100', async () => {
    const hold = gate();
    let ended = 0;
    const app = await replica([{
      jobHandlerName: 'stop-early', parallelLimit: 1,
      handler: async ({ taskIndex }) => {
        if (taskIndex >= 4) await hold.opened;
        ended++;
      },
    }]);
    const jobId = await app.start('stop-early', Array.from({ length: 10 }, () => ({ state: {} })));
    await until('four tasks done and the fifth running', async () => ended === 4 && (await app.engine.getJob(jobId)).done === 4
      && app.events.some((e) => e.type === 'task:started' && e.taskIndex === 4), WAIT);
    await app.engine.cancelJob(jobId);
    hold.open();
    expect(await app.finished(jobId)).toMatchObject({ status: 'CANCELLED', progress: 40 });
    expect(await app.engine.getJob(jobId)).toMatchObject({ status: 'CANCELLED', done: 4, cancelled: 6 });
  });

  it('startNextQueuedJob / startQueuedJobs start the oldest queued jobs while the concurrencyLimit allows; autoStart: false waits for them', async () => {
    const hold = gate();
    // A poll far away: only the calls under test start queued jobs.
    const app = await replica([{ jobHandlerName: 'q', concurrencyLimit: 2, handler: async () => { await hold.opened; } }], { pollMs: 600_000 });
    let next = 1;
    const create = () => app.engine.createJob({
      name: 'q', handler: 'q', tasks: [{ state: {} }], startedBy: null, queued: true, autoStart: false,
      createRow: async () => ({ jobId: `q-${next++}`, createdAt: new Date().toISOString() }), deleteRow: async () => {},
    });
    const ids = [await create(), await create(), await create()];
    for (const id of ids) expect((await app.engine.getJob(id)).status).toBe('QUEUED');
    expect(await app.engine.startQueued('q', 1)).toEqual([ids[0]]);
    expect(await app.engine.startQueued('q', 10)).toEqual([ids[1]]);
    expect(await app.engine.startQueued('q', 10)).toEqual([]);
    expect((await app.engine.getJob(ids[2])).status).toBe('QUEUED');
    expect(await app.engine.startQueued('unknown', 1)).toEqual([]);
    expect(app.logs.some((line) => line.includes("no handler registered for 'unknown'"))).toBe(true);
    hold.open();
    // A job of the handler ending drains the queue.
    await app.finished(ids[2]);
  });
});

describe('beforeJobFinish after its process is killed (SQLite, real processes)', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

  it('another process calls it again with the same attempt, and the job finishes once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'af-jobs-hook-crash-'));
    dirs.push(dir);
    const file = path.join(dir, 'jobs.sqlite');
    const calls = path.join(dir, 'calls.log');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/plugin/finish-hook-child.ts', file, calls], {
      env: { ...process.env, NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)));
    await until("the child's hook to run", () => existsSync(calls) && readFileSync(calls, 'utf8').includes('child 1'), { ...WAIT, timeoutMs: 60_000, explain: () => `stderr: ${stderr}` });
    child.kill('SIGKILL');
    expect(await exited, `stderr: ${stderr}`).toBe('SIGKILL');

    const store = new SqliteJobStore(new Database(file));
    const seen: string[] = [];
    const events: EngineEvent[] = [];
    const engine = new Engine({ store, pollMs: 50, leaseMs: 60_000, log: () => {} });
    engine.events.onAny((event) => { events.push(event); });
    engine.register({
      jobHandlerName: 'hooked', handler: async () => {},
      beforeJobFinish: ({ finishAttemptNumber, succeededTasks }) => { seen.push(`parent ${finishAttemptNumber} ${succeededTasks}`); },
    });
    try {
      await engine.start();
      // The dead child's claim ends in the recovery pass (its pid is gone), not after the 60 s lease.
      await until('the job to finish', () => events.some((e) => e.type === 'job:finished'), { ...WAIT, timeoutMs: 20_000 });
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['child 1 3']);
      expect(seen).toEqual(['parent 1 3']);
      expect(await engine.getJob('crash-job')).toMatchObject({ status: 'DONE', done: 3 });
      const log = await store.readEvents((await engine.getJob('crash-job')).jobKey, 0, 100);
      expect(log.batches.flatMap((b) => b.events).filter((e) => e.type === 'job:finished')).toHaveLength(1);
    } finally {
      await engine.stop({ graceMs: 0 });
    }
  });
});
