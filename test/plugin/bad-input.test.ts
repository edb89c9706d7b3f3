/**
 * Bad input to the plugin's API: each gives an error that names the fix, and nothing is
 * half-written (no job row without its tasks, no tasks without a job row).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';

let app: JobsApp;
beforeAll(async () => {
  app = await startJobsApp();
  app.plugin.registerTaskHandler({
    jobHandlerName: 'throws-non-error',
    handler: async ({ taskIndex }) => {
      if (taskIndex === 0) throw { code: 42 };
      if (taskIndex === 1) throw undefined;
    },
  });
  app.plugin.registerTaskHandler({ jobHandlerName: 'noop', handler: async () => {} });
});
afterAll(async () => { await app.close(); });

async function nothingWritten() {
  expect(await app.admin.resource('jobs').count()).toBe(0);
  const db = app.admin.resource('jobs').dataConnector.client;
  expect(db.prepare('SELECT COUNT(*) AS n FROM af_bj_jobs').get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT COUNT(*) AS n FROM af_bj_tasks').get()).toEqual({ n: 0 });
}

describe('startNewJob with bad input', () => {
  it('an unknown handler name', async () => {
    await expect(app.plugin.startNewJob('x', null, [{ state: {} }], 'nope'))
      .rejects.toThrow("No handler registered for 'nope': call registerTaskHandler({ jobHandlerName: 'nope', handler }) before starting a job with it (registered: throws-non-error, noop).");
    await nothingWritten();
  });

  it('an empty task list', async () => {
    await expect(app.plugin.startNewJob('x', null, [], 'noop')).rejects.toThrow(/has no tasks: pass at least one task/);
    await nothingWritten();
  });

  it('a task state that is not JSON-serialisable, after good tasks', async () => {
    const tasks = Array.from({ length: 12_000 }, (_, i) => ({ state: { i } as Record<string, unknown> }));
    tasks[11_000].state.bad = () => 1;
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    tasks[11_500].state = cyclic;
    await expect(app.plugin.startNewJob('x', null, tasks, 'noop')).rejects.toThrow(/The state of task 11500 must be JSON-serialisable/);
    await nothingWritten();
  });

  it('an initial job state that is not JSON-serialisable', async () => {
    await expect(app.plugin.startNewJob('x', null, [{ state: {} }], 'noop', { n: 10n } as any)).rejects.toThrow(/initial job state must be JSON-serialisable/);
    await nothingWritten();
  });

  it('tasks that are not an iterable of objects', async () => {
    await expect(app.plugin.startNewJob('x', null, 5 as any, 'noop')).rejects.toThrow(/Tasks must be an array or an \(async\) iterable/);
    await expect(app.plugin.startNewJob('x', null, [null] as any, 'noop')).rejects.toThrow(/Task 0 must be an object like \{ state: \{...\} \}, got null/);
    await nothingWritten();
  });

  it('an async iterable that throws midway', async () => {
    async function* tasks() {
      for (let i = 0; i < 7000; i++) yield { state: { i } };
      throw new Error('source failed');
    }
    await expect(app.plugin.startNewJob('x', null, tasks(), 'noop')).rejects.toThrow('source failed');
    await nothingWritten();
  });

  it('a handler definition that is wrong', () => {
    expect(() => app.plugin.registerTaskHandler({ jobHandlerName: 'h', handler: 'no' as any })).toThrow(/needs a handler function/);
    expect(() => app.plugin.registerTaskHandler({ jobHandlerName: 'h', handler: async () => {}, parallelLimit: 0 })).toThrow(/parallelLimit of handler 'h' must be an integer of at least 1, got 0/);
  });
});

describe('a handler that throws something that is not an Error', () => {
  it('fails the task with a readable message', async () => {
    const jobId = await app.plugin.startNewJob('x', null, [{ state: {} }, { state: {} }, { state: {} }], 'throws-non-error');
    await expect.poll(async () => (await app.plugin.getJob(jobId)).status).toBe('DONE_WITH_ERRORS');
    const { tasks } = await app.plugin.getJobTasks(jobId);
    expect(tasks.map((t) => [t.status, t.state.error])).toEqual([['FAILED', '{"code":42}'], ['FAILED', 'undefined'], ['DONE', undefined]]);
    await expect.poll(async () => (await app.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: jobId }]))?.status).toBe('DONE_WITH_ERRORS');
  });
});
