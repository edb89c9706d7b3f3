import { afterEach, describe, expect, it } from 'vitest';
import { sqliteEngine, finished, type EngineFixture } from './engine-helpers.js';
import { UnrecoverableError } from '../../plugin/src/errors.js';
import { quietFor, until } from '../helpers/wait.js';

let fx: EngineFixture | null = null;
afterEach(async () => { await fx?.close(); fx = null; });

describe('engine on SQLite: execution', () => {
  it('runs every task once, respects parallelLimit, and finishes DONE with progress 100', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    let running = 0;
    let maxRunning = 0;
    const seen: number[] = [];
    fx.engine.register({
      jobHandlerName: 'h', parallelLimit: 4,
      handler: async ({ taskIndex }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        seen.push(taskIndex);
        await new Promise((r) => setTimeout(r, 1));
        running--;
      },
    });
    const jobId = await fx.start('j', 'h', Array.from({ length: 200 }, (_, i) => ({ state: { i } })));
    const end = await fx.waitFor(finished(jobId));
    expect(end).toMatchObject({ status: 'DONE', progress: 100 });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(maxRunning).toBe(4);
    const counts = await fx.engine.store.getTaskCounts((await fx.engine.getJob(jobId)).jobKey);
    expect(counts).toMatchObject({ DONE: 200, SCHEDULED: 0, IN_PROGRESS: 0, FAILED: 0 });
  });

  it('publishes progress at most every progressIntervalMs, never per task, and ends with job:finished at 100', async () => {
    fx = await sqliteEngine({ progressIntervalMs: 250 });
    await fx.engine.start();
    fx.engine.register({ jobHandlerName: 'p', parallelLimit: 10, handler: async () => {} });
    const started = Date.now();
    const jobId = await fx.start('p', 'p', Array.from({ length: 20_000 }, () => ({ state: {} })));
    await fx.waitFor(finished(jobId));
    const elapsed = Date.now() - started;
    const progress = fx.events.filter((e) => e.type === 'job:progress');
    // The end is job:finished, logged with the flush that finished the job: it carries 100.
    expect(fx.events.filter((e) => e.jobId === jobId).at(-1)).toMatchObject({ type: 'job:finished', progress: 100, status: 'DONE' });
    // One per interval at most, plus the final one.
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    const values = progress.map((e) => (e as { progress: number }).progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('keeps state writes: set(field, value) sets one key, set({...}) merges, get() returns all', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    fx.engine.register({
      jobHandlerName: 'seed',
      handler: async ({ setTaskStateField, getTaskStateField }) => {
        const state = await getTaskStateField();
        await setTaskStateField({ [state.step]: `Step ${state.step} completed` });
        await setTaskStateField('extra', await getTaskStateField('step'));
      },
    });
    const jobId = await fx.start('seed', 'seed', [1, 2, 3].map((step) => ({ state: { step } })));
    await fx.waitFor(finished(jobId));
    const { tasks } = await fx.engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks.map((t) => t.state)).toEqual([1, 2, 3].map((n) => ({ step: n, [n]: `Step ${n} completed`, extra: n })));
  });

  it('records failures: DONE_WITH_ERRORS, the error in the task state and in the job state', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    fx.engine.register({
      jobHandlerName: 'f', handler: async ({ taskIndex }) => {
        if (taskIndex === 1) throw new Error('boom');
        if (taskIndex === 2) throw 'not an error';
      },
    });
    const jobId = await fx.start('f', 'f', [0, 1, 2, 3].map(() => ({ state: {} })));
    const end = await fx.waitFor(finished(jobId));
    expect(end).toMatchObject({ status: 'DONE_WITH_ERRORS' });
    const { tasks } = await fx.engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks.map((t) => t.status)).toEqual(['DONE', 'FAILED', 'FAILED', 'DONE']);
    expect(tasks[1].state).toEqual({ error: 'boom' });
    expect(tasks[2].state).toEqual({ error: 'not an error' });
    await expect.poll(async () => (await fx!.engine.getJob(jobId)).state.error).toMatch(/boom|not an error/);
  });

  it('retries with maxAttempts, stops at UnrecoverableError, and passes attempt', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    const attempts: Record<number, number[]> = {};
    fx.engine.register({
      jobHandlerName: 'r', maxAttempts: 3, backoff: { baseMs: 5, jitter: 0 },
      handler: async ({ taskIndex, attempt }) => {
        (attempts[taskIndex] ??= []).push(attempt);
        if (taskIndex === 0 && attempt < 3) throw new Error('flaky');
        if (taskIndex === 1) throw new UnrecoverableError('fatal');
      },
    });
    const jobId = await fx.start('r', 'r', [{ state: {} }, { state: {} }]);
    const end = await fx.waitFor(finished(jobId));
    expect(end).toMatchObject({ status: 'DONE_WITH_ERRORS' });
    expect(attempts).toEqual({ 0: [1, 2, 3], 1: [1] });
  });

  it('cancels: aborts running signals, cancels scheduled tasks, a late handler cannot flip the job back', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    const aborted: number[] = [];
    let started = 0;
    fx.engine.register({
      jobHandlerName: 'c', parallelLimit: 2,
      handler: async ({ taskIndex, signal }) => {
        started++;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => { aborted.push(taskIndex); resolve(); }));
        // ignores the signal: resolves as if it succeeded
      },
    });
    const jobId = await fx.start('c', 'c', Array.from({ length: 10 }, () => ({ state: {} })));
    await expect.poll(() => started).toBe(2);
    const result = await fx.engine.cancelJob(jobId);
    expect(result).toEqual({ changed: true, status: 'CANCELLED' });
    expect(aborted.sort()).toEqual([0, 1]);
    await expect.poll(async () => (await fx!.engine.getJob(jobId)).cancelled + (await fx!.engine.getJob(jobId)).done).toBe(10);
    expect((await fx.engine.getJob(jobId)).status).toBe('CANCELLED');
    expect(await fx.engine.cancelJob(jobId)).toEqual({ changed: false, status: 'CANCELLED' });
  });

  it('leases ahead of fast tasks yet runs at most parallelLimit; a cancel ends the leased-ahead tasks CANCELLED', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    const flush = fx.engine.store.flush.bind(fx.engine.store);
    let maxClaimed = 0;
    fx.engine.store.flush = async (input) => {
      const result = await flush(input);
      maxClaimed = Math.max(maxClaimed, result.claimed.length);
      return result;
    };
    const total = 30_000;
    let running = 0;
    let maxRunning = 0;
    let executed = 0;
    let started = 0;
    let jobId = '';
    fx.engine.register({
      jobHandlerName: 'fast', parallelLimit: 4,
      handler: async () => {
        running++;
        started++;
        maxRunning = Math.max(maxRunning, running);
        await Promise.resolve();
        running--;
        if (++executed === total / 2) void fx!.engine.cancelJob(jobId);
      },
    });
    jobId = await fx.start('fast', 'fast', Array.from({ length: total }, () => ({ state: {} })));
    const end = await fx.waitFor(finished(jobId));
    expect(end).toMatchObject({ status: 'CANCELLED' });
    // Claim-ahead was used (a flush leased more than the limit), the limit held while running.
    expect(maxClaimed).toBeGreaterThan(4);
    expect(maxRunning).toBe(4);
    const job = await fx.engine.getJob(jobId);
    await expect.poll(async () => fx!.engine.store.getTaskCounts(job.jobKey)).toMatchObject({ IN_PROGRESS: 0, SCHEDULED: 0 });
    const counts = await fx.engine.store.getTaskCounts(job.jobKey);
    // Only tasks that ran are DONE: those whose outcome was committed before the cancel. The cancel
    // ends every other one CANCELLED — running, or ran but not yet flushed (their handlers returned),
    // leased ahead or scheduled.
    expect(counts.DONE).toBeGreaterThan(0);
    expect(counts.DONE).toBeLessThanOrEqual(executed);
    expect(counts.CANCELLED).toBeGreaterThanOrEqual(total - started);
    expect(counts.DONE + counts.CANCELLED).toBe(total);
    expect(started).toBeLessThan(total);
  });

  it('rejects bad input without leaving anything behind', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    fx.engine.register({ jobHandlerName: 'ok', handler: async () => {} });
    await expect(fx.start('x', 'missing', [{ state: {} }])).rejects.toThrow(/No handler registered for 'missing'.*registerTaskHandler/);
    await expect(fx.start('x', 'ok', [])).rejects.toThrow(/has no tasks/);
    const circular: any = {};
    circular.self = circular;
    await expect(fx.start('x', 'ok', [{ state: {} }, { state: circular }])).rejects.toThrow(/state of task 1 must be JSON-serialisable/);
    await expect(fx.start('x', 'ok', [{ state: { n: 1n } as any }])).rejects.toThrow(/JSON-serialisable/);
    expect(fx.rows.size).toBe(0);
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM af_bj_tasks').get()).toEqual({ n: 0 });
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM af_bj_jobs').get()).toEqual({ n: 0 });
  });

  it('accepts an async iterable of tasks', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    let runs = 0;
    fx.engine.register({ jobHandlerName: 'a', parallelLimit: 10, handler: async () => { runs++; } });
    async function* gen() { for (let i = 0; i < 12_345; i++) yield { state: { i } }; }
    const jobId = await fx.start('a', 'a', gen());
    await fx.waitFor(finished(jobId));
    expect(runs).toBe(12_345);
  });

  it('queues jobs beyond concurrencyLimit and starts them oldest first', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    const order: string[] = [];
    fx.engine.register({
      jobHandlerName: 'q', concurrencyLimit: 1, parallelLimit: 1,
      handler: async ({ jobId }) => { order.push(jobId); await new Promise((r) => setTimeout(r, 5)); },
    });
    const a = await fx.start('a', 'q', [{ state: {} }, { state: {} }]);
    const b = await fx.start('b', 'q', [{ state: {} }]);
    const c = await fx.start('c', 'q', [{ state: {} }]);
    expect((await fx.engine.getJob(b)).status).toBe('QUEUED');
    await fx.waitFor(finished(c));
    expect(order).toEqual([a, a, b, c]);
  });
});

describe('engine on SQLite: restart and leases', () => {
  const fixtures: EngineFixture[] = [];
  afterEach(async () => { for (const f of fixtures.splice(0)) await f.close(); });

  it('a job whose handler is not registered waits, logs once, and starts when it is registered', async () => {
    const first = await sqliteEngine();
    fixtures.push(first);
    await first.engine.start();
    first.engine.register({ jobHandlerName: 'late', handler: () => new Promise(() => {}) });
    const jobId = await first.start('late', 'late', [{ state: {} }, { state: {} }]);
    await first.engine.stop({ graceMs: 0 });

    const logs: string[] = [];
    const second = await sqliteEngine({ log: (_level, message) => logs.push(message), pollMs: 20 }, first.file);
    fixtures.push(second);
    await second.engine.start();
    await until('the log that the job waits for its handler', () => logs.some((m) => m.includes(`waits for its handler 'late'`)));
    await quietFor(100, 'no second log line about it over five polls, and no task run');
    expect(logs.filter((m) => m.includes(`waits for its handler 'late'`))).toHaveLength(1);
    expect((await second.engine.getJob(jobId)).done).toBe(0);
    let runs = 0;
    second.engine.register({ jobHandlerName: 'late', handler: async () => { runs++; } });
    await second.waitFor(finished(jobId));
    expect(runs).toBe(2);
  });

  it("respects a live process's lease and takes over a dead one's at once", async () => {
    const a = await sqliteEngine({ leaseMs: 60_000 });
    fixtures.push(a);
    await a.engine.start();
    let release!: () => void;
    const blocked = new Promise<void>((r) => { release = r; });
    let aStarted = 0;
    a.engine.register({ jobHandlerName: 'h', parallelLimit: 2, handler: async () => { aStarted++; await blocked; } });
    const jobId = await a.start('j', 'h', [{ state: {} }, { state: {} }]);
    await expect.poll(() => aStarted).toBe(2);

    // A second engine in this process, on the same file: a is alive, so its leases stand.
    const b = await sqliteEngine({ leaseMs: 60_000, pollMs: 20 }, a.file);
    fixtures.push(b);
    let bRuns = 0;
    b.engine.register({ jobHandlerName: 'h', parallelLimit: 2, handler: async () => { bRuns++; } });
    await b.engine.start();
    expect(await b.engine.recoverExpiredLeases()).toBe(0);
    await quietFor(100, "b runs none of the tasks under a's live leases over five polls");
    expect(bRuns).toBe(0);

    // a's process is "gone": its owner is no longer live here; b recovers its leases at once.
    (globalThis as any).__afJobsLiveOwners.delete(a.engine.owner);
    expect(await b.engine.recoverExpiredLeases()).toBe(2);
    await b.waitFor(finished(jobId));
    expect(bRuns).toBe(2);
    release();
  });
});

describe('engine on SQLite: two owners on one database', () => {
  const fixtures: EngineFixture[] = [];
  afterEach(async () => { for (const f of fixtures.splice(0)) await f.close(); });

  async function pair(options: Parameters<typeof sqliteEngine>[0]) {
    const a = await sqliteEngine(options);
    fixtures.push(a);
    const b = await sqliteEngine(options, a.file);
    fixtures.push(b);
    return [a, b] as const;
  }

  it('a cancel reaches the other owner within a heartbeat: its running handlers see signal.aborted', async () => {
    const [a, b] = await pair({ leaseMs: 60_000, heartbeatMs: 100, pollMs: 20 });
    const aborted: string[] = [];
    const started: string[] = [];
    // The first four tasks end after a moment, by when b has asked for a share of the job; the
    // next four block until aborted, two on each owner.
    const handler = (who: string) => ({ signal, taskIndex }: { signal: AbortSignal; taskIndex: number }) => new Promise<void>((resolve, reject) => {
      if (taskIndex < 4) return void setTimeout(resolve, 300);
      started.push(who);
      signal.addEventListener('abort', () => { aborted.push(who); reject(signal.reason); });
    });
    a.engine.register({ jobHandlerName: 'h', parallelLimit: 4, handler: handler('a') });
    b.engine.register({ jobHandlerName: 'h', parallelLimit: 4, handler: handler('b') });
    await a.engine.start();
    await b.engine.start();
    const jobId = await a.start('j', 'h', Array.from({ length: 8 }, () => ({ state: {} })));
    await expect.poll(() => started.filter((w) => w === 'b').length, { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => started.length, { timeout: 5000 }).toBe(4);
    expect(await a.engine.cancelJob(jobId)).toEqual({ changed: true, status: 'CANCELLED' });
    await expect.poll(() => aborted.length, { timeout: 5000 }).toBe(4);
    expect(aborted.filter((w) => w === 'b').length).toBe(started.filter((w) => w === 'b').length);
    await expect.poll(async () => (await a.engine.getJob(jobId)).cancelled).toBe(4);
    expect((await a.engine.getJob(jobId)).done).toBe(4);
    expect((await b.engine.getJob(jobId)).status).toBe('CANCELLED');
  });

  it('stop({ graceMs }) aborts what outlives the grace time and hands it to the other owner at once', async () => {
    const [a, b] = await pair({ leaseMs: 60_000, heartbeatMs: 20_000, pollMs: 20 });
    const ranOn: Record<number, string[]> = {};
    const slow = (who: string) => async ({ taskIndex, signal }: { taskIndex: number; signal: AbortSignal }) => {
      (ranOn[taskIndex] ??= []).push(who);
      if (who === 'a') await new Promise<void>((resolve, reject) => { signal.addEventListener('abort', () => reject(signal.reason)); setTimeout(resolve, 10_000); });
    };
    a.engine.register({ jobHandlerName: 'h', parallelLimit: 2, handler: slow('a') });
    await a.engine.start();
    const jobId = await a.start('j', 'h', [{ state: {} }, { state: {} }]);
    await expect.poll(() => Object.keys(ranOn).length).toBe(2);
    b.engine.register({ jobHandlerName: 'h', parallelLimit: 2, handler: slow('b') });
    await b.engine.start();
    await a.engine.stop({ graceMs: 50 });
    // Released, not left to expire: b runs both long before the 60 s lease would run out.
    await b.waitFor(finished(jobId));
    expect(ranOn).toEqual({ 0: ['a', 'b'], 1: ['a', 'b'] });
    expect((await b.engine.getJob(jobId)).status).toBe('DONE');
  });
});

describe('engine on SQLite: shutdown', () => {
  it('stop() waits for the closing of a job that just finished: no store call or error after it resolves', async () => {
    const errors: string[] = [];
    fx = await sqliteEngine({ log: (level, message) => { if (level === 'error') errors.push(message); } });
    const store = fx.engine.store as unknown as Record<string, unknown>;
    // Every store call after stop() resolved is recorded (a closed connection would throw there).
    let closed = false;
    const lateCalls: string[] = [];
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
      const method = store[name];
      if (name === 'constructor' || typeof method !== 'function') continue;
      store[name] = (...args: unknown[]) => {
        if (closed) lateCalls.push(name);
        return (method as (...a: unknown[]) => unknown).apply(store, args);
      };
    }
    // Queue promotion, which the runner's `onJobFinished` starts without awaiting, is held here.
    let holdPromotion = false;
    let promotionHeld!: () => void;
    const held = new Promise<void>((resolve) => { promotionHeld = resolve; });
    let releasePromotion!: () => void;
    const released = new Promise<void>((resolve) => { releasePromotion = resolve; });
    const promoteQueued = store.promoteQueued as (...a: unknown[]) => Promise<unknown>;
    store.promoteQueued = async (...args: unknown[]) => {
      if (holdPromotion) {
        promotionHeld();
        await released;
      }
      return promoteQueued(...args);
    };

    await fx.engine.start();
    let finishTask!: () => void;
    const taskDone = new Promise<void>((resolve) => { finishTask = resolve; });
    fx.engine.register({ jobHandlerName: 'q', concurrencyLimit: 1, parallelLimit: 1, handler: () => taskDone });
    const first = await fx.start('first', 'q', [{ state: {} }]);
    const second = await fx.start('second', 'q', [{ state: {} }]);
    expect((await fx.engine.getJob(second)).status).toBe('QUEUED');

    holdPromotion = true;
    finishTask();
    await fx.waitFor(finished(first));
    await held;
    // The job is DONE in the store, its promotion in flight: the bench stops here, then closes the database.
    let stopped = false;
    const stopping = fx.engine.stop({ graceMs: 0 }).then(() => { stopped = true; });
    await quietFor(50, 'stop does not return while the promotion is in flight');
    expect(stopped).toBe(false);
    releasePromotion();
    await stopping;
    closed = true;
    const eventsAtStop = fx.events.length;
    await quietFor(50, 'no store call, error or event after stop');

    expect(lateCalls).toEqual([]);
    expect(errors).toEqual([]);
    expect(fx.events.length).toBe(eventsAtStop);
    // Promoted in the store but started by no runner after stop: the next start resumes it.
    expect(fx.events.some((e) => e.type === 'job:started' && e.jobId === second)).toBe(true);
    expect(fx.events.some((e) => e.type === 'task:started' && e.jobId === second)).toBe(false);
    expect((await fx.engine.getJob(second)).status).toBe('IN_PROGRESS');
  });
});
