/**
 * Deleting or editing a job's row in the admin UI (through AdminForth's hook-running record
 * operations, contract §2), and cancel / retry through the plugin's API, mirrored to the row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';

let app: JobsApp;
let release: () => void = () => {};
beforeAll(async () => {
  app = await startJobsApp();
  app.plugin.registerTaskHandler({
    jobHandlerName: 'blocking', parallelLimit: 2,
    handler: ({ signal }) => new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      const previous = release;
      release = () => { previous(); resolve(); };
    }),
  });
  app.plugin.registerTaskHandler({
    jobHandlerName: 'fails-odd', parallelLimit: 4,
    handler: async ({ taskIndex, attempt }) => { if (taskIndex % 2 === 1 && attempt === 1) throw new Error(`odd ${taskIndex}`); },
  });
});
afterAll(async () => { release(); await app.close(); });

const row = (id: string) => app.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: id }]);
const resource = () => app.admin.config.resources.find((r) => r.resourceId === 'jobs')!;
const adminUser = async () => ({ pk: await app.userPk('adminforth'), username: 'adminforth', dbUser: { role: 'superadmin' } });
const tasksOf = async (id: string) => {
  const client = app.admin.resource('jobs').dataConnector.client;
  return client.prepare('SELECT COUNT(*) AS n FROM af_bj_tasks t JOIN af_bj_jobs j ON j.job_key = t.job_key WHERE j.job_id = ?').get(id).n;
};

describe('admin UI edits of a job row', () => {
  it('deleting the row of a running job is refused until it is cancelled; then its tasks go with it', async () => {
    const jobId = await app.plugin.startNewJob('del', null, Array.from({ length: 5 }, () => ({ state: {} })), 'blocking');
    await expect.poll(async () => (await app.plugin.getJobTasks(jobId, { status: ['IN_PROGRESS'] })).total).toBe(2);
    expect(await tasksOf(jobId)).toBe(5);
    const refused = await app.admin.deleteResourceRecord({ resource: resource(), recordId: jobId, record: (await row(jobId))!, adminUser: await adminUser() });
    expect(refused.error).toBe(`Job ${jobId} is IN_PROGRESS: cancel it first (its Cancel button, af-jobs cancel ${jobId}, or plugin.cancelJob), then delete it.`);
    expect(await row(jobId)).not.toBeNull();
    expect((await app.plugin.getJob(jobId)).status).toBe('IN_PROGRESS');
    expect(await tasksOf(jobId)).toBe(5);
    await app.plugin.cancelJob(jobId);
    const record = await row(jobId);
    expect(await app.admin.deleteResourceRecord({ resource: resource(), recordId: jobId, record: record!, adminUser: await adminUser() })).toEqual({ error: null });
    expect(await row(jobId)).toBeNull();
    expect(await tasksOf(jobId)).toBe(0);
    await expect(app.plugin.getJob(jobId)).rejects.toThrow(`Job ${jobId} not found.`);
  });

  it('setting the status to CANCELLED cancels the job; other status edits are refused', async () => {
    const jobId = await app.plugin.startNewJob('edit', null, Array.from({ length: 5 }, () => ({ state: {} })), 'blocking');
    await expect.poll(async () => (await app.plugin.getJobTasks(jobId, { status: ['IN_PROGRESS'] })).total).toBe(2);
    const oldRecord = (await row(jobId))!;
    const refused = await app.admin.updateResourceRecord({ resource: resource(), recordId: jobId, updates: { status: 'DONE' }, oldRecord, adminUser: await adminUser() });
    expect(refused.error).toMatch(/only change you can make is to CANCELLED/);
    const result = await app.admin.updateResourceRecord({ resource: resource(), recordId: jobId, updates: { status: 'CANCELLED' }, oldRecord, adminUser: await adminUser() });
    expect(result).toEqual({ error: null });
    await expect.poll(async () => (await app.plugin.getJob(jobId)).cancelled).toBe(5);
    expect((await app.plugin.getJob(jobId)).status).toBe('CANCELLED');
    expect((await row(jobId))!.status).toBe('CANCELLED');
  });
});

describe('cancel and retry through the plugin', () => {
  it('cancelJob is harmless to repeat; retryJob runs failed tasks again and mirrors the row', async () => {
    const jobId = await app.plugin.startNewJob('retry', null, Array.from({ length: 6 }, (_, i) => ({ state: { i } })), 'fails-odd');
    await expect.poll(async () => (await row(jobId))?.status).toBe('DONE_WITH_ERRORS');
    expect((await row(jobId))!.state).toEqual({ error: expect.stringMatching(/^odd [135]$/) });
    await expect(app.plugin.cancelJob(jobId)).resolves.toEqual({ changed: false, status: 'DONE_WITH_ERRORS' });

    await expect(app.plugin.retryJob(jobId)).resolves.toEqual({ status: 'IN_PROGRESS', tasks: 3 });
    await expect.poll(async () => (await row(jobId))?.status).toBe('DONE');
    expect((await row(jobId))!).toMatchObject({ progress: '100', finished_at: expect.any(String) });
    const { tasks } = await app.plugin.getJobTasks(jobId);
    expect(tasks.map((t) => [t.status, t.attempt])).toEqual([[ 'DONE', 1 ], ['DONE', 2], ['DONE', 1], ['DONE', 2], ['DONE', 1], ['DONE', 2]]);
    await expect(app.plugin.retryJob(jobId)).rejects.toThrow(/has no failed tasks to retry/);
    await expect(app.plugin.retryJob(jobId, { scope: [0] })).resolves.toEqual({ status: 'IN_PROGRESS', tasks: 1 });
    await expect.poll(async () => (await row(jobId))?.status).toBe('DONE');
  });
});
