/**
 * Issue 17, point 3 (first half): task and job state are capped by `maxTaskStateBytes` (bytes of
 * JSON, default 1 MiB). A write over it rejects with a JobsError naming the limit, the size and the
 * option, and writes nothing: the handler can catch it and go on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteEngine, finished, type EngineFixture } from './engine-helpers.js';
import { JobsError } from '../../plugin/src/errors.js';
import { Engine } from '../../plugin/src/engine/engine.js';
import { MemoryJobStore } from '../../plugin/src/store/memory-store.js';

let fx: EngineFixture | null = null;
afterEach(async () => { await fx?.close(); fx = null; });

const MiB = 1_048_576;

describe('engine: the state size limit (maxTaskStateBytes)', () => {
  it('setTaskStateField over the limit rejects with a clear JobsError, writes nothing, and the task goes on', async () => {
    fx = await sqliteEngine({ maxTaskStateBytes: 1000 });
    await fx.engine.start();
    let caught: unknown = null;
    fx.engine.register({
      jobHandlerName: 'big',
      handler: async ({ setTaskStateField, getTaskStateField }) => {
        await setTaskStateField('a', 1);
        try {
          await setTaskStateField({ big: 'x'.repeat(1000), other: 2 });
        } catch (error) {
          caught = error;
        }
        // The refused write left the state as it was.
        expect(await getTaskStateField()).toEqual({ i: 0, a: 1 });
        await setTaskStateField('after', 3);
      },
    });
    const jobId = await fx.start('big', 'big', [{ state: { i: 0 } }]);
    expect(await fx.waitFor(finished(jobId))).toMatchObject({ status: 'DONE' });
    expect(caught).toBeInstanceOf(JobsError);
    expect((caught as JobsError).code).toBe('INVALID_INPUT');
    // {"i":0,"a":1,"big":"xxx…","other":2} is 1,032 bytes.
    expect((caught as Error).message).toBe(
      `The state of task 0 of job ${jobId} would be 1,032 bytes of JSON, over the limit of 1,000 bytes (plugin option maxTaskStateBytes): ` +
      'keep large data elsewhere (a file, a table of your own) and store a reference to it, or raise maxTaskStateBytes.');
    const { tasks } = await fx.engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks.map((t) => [t.status, t.state])).toEqual([['DONE', { i: 0, a: 1, after: 3 }]]);
    // No task:state event for the refused write either.
    const written = fx.events.flatMap((e) => (e.type === 'task:state' ? [e.fields] : []));
    expect(written).toEqual([{ a: 1 }, { after: 3 }]);
  });

  it('counts UTF-8 bytes, and defaults to 1 MiB (1,048,576 bytes)', async () => {
    fx = await sqliteEngine();
    await fx.engine.start();
    const messages: string[] = [];
    fx.engine.register({
      jobHandlerName: 'default',
      handler: async ({ setTaskStateField }) => {
        // {"s":"…"} is 8 bytes plus the string: this one is exactly 1 MiB.
        await setTaskStateField('s', 'x'.repeat(MiB - 8));
        // 'é' is 2 bytes in UTF-8, one UTF-16 unit: 2 × (MiB / 2 - 4) + 8 = MiB bytes: still fits.
        await setTaskStateField('s', 'é'.repeat(MiB / 2 - 4));
        await setTaskStateField('s', 'é'.repeat(MiB / 2 - 3)).catch((e: Error) => { messages.push(e.message); });
      },
    });
    const jobId = await fx.start('default', 'default', [{ state: {} }]);
    expect(await fx.waitFor(finished(jobId))).toMatchObject({ status: 'DONE' });
    expect(messages).toEqual([expect.stringContaining('would be 1,048,578 bytes of JSON, over the limit of 1,048,576 bytes (plugin option maxTaskStateBytes)')]);
    const { tasks } = await fx.engine.getTasks(jobId, { limit: 10, offset: 0 });
    expect(tasks[0].state.s).toBe('é'.repeat(MiB / 2 - 4));
  });

  it('setJobStateField is held to the same limit, over the whole job state, and writes nothing over it', async () => {
    fx = await sqliteEngine({ maxTaskStateBytes: 200 });
    await fx.engine.start();
    let caught: unknown = null;
    fx.engine.register({
      jobHandlerName: 'job-state',
      handler: async ({ setJobStateField }) => {
        await setJobStateField('a', 'y'.repeat(100));
        await setJobStateField('b', 'z'.repeat(100)).catch((e: unknown) => { caught = e; });
      },
    });
    const jobId = await fx.start('job-state', 'job-state', [{ state: {} }], { initialState: { n: 1 } });
    expect(await fx.waitFor(finished(jobId))).toMatchObject({ status: 'DONE' });
    expect(caught).toBeInstanceOf(JobsError);
    expect((caught as Error).message).toBe(
      `The state of job ${jobId} would be 221 bytes of JSON, over the limit of 200 bytes (plugin option maxTaskStateBytes): ` +
      'keep large data elsewhere (a file, a table of your own) and store a reference to it, or raise maxTaskStateBytes.');
    expect((await fx.engine.getJob(jobId)).state).toEqual({ n: 1, a: 'y'.repeat(100) });
    expect(fx.events.filter((e) => e.type === 'job:state').map((e) => (e as { field: string }).field)).toEqual(['a']);
  });

  it('rejects a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new Engine({ store: new MemoryJobStore(), maxTaskStateBytes: bad }))
        .toThrow(`maxTaskStateBytes must be a positive integer (bytes of JSON), got ${bad}`);
    }
  });
});

describe('the maxTaskStateBytes option reaches the engine', () => {
  it('from the plugin and from runHandler', async () => {
    const { startJobsApp } = await import('./fixtures.js');
    const { runHandler } = await import('@adminforth/background-jobs/testing');
    const handler = async ({ setTaskStateField }: { setTaskStateField: (field: string, value: unknown) => Promise<void> }) => {
      await setTaskStateField('blob', 'x'.repeat(200));
    };
    const [result] = await runHandler({ handler, maxAttempts: 1 }, [{ state: {} }], { maxTaskStateBytes: 100 });
    expect(result).toMatchObject({ status: 'FAILED', error: expect.stringContaining('maxTaskStateBytes') });

    const app = await startJobsApp({ pluginOptions: { maxTaskStateBytes: 100 } });
    try {
      app.plugin.registerTaskHandler({ jobHandlerName: 'big', handler });
      const jobId = String(await app.plugin.startNewJob('big', null, [{ state: {} }], 'big'));
      await expect.poll(async () => (await app.plugin.getJob(jobId)).status).toBe('DONE_WITH_ERRORS');
      const { tasks } = await app.plugin.getJobTasks(jobId);
      expect(tasks[0]!.error).toContain('maxTaskStateBytes');
    } finally {
      await app.close();
    }
  });
});
