/**
 * Authorization beyond the endpoints: websocket topics publish only to users who may see the job,
 * and the `canView` / `canManage` options replace the default policy on every endpoint.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { APP_WAIT, Gate, confirmSubscribed, pluginCall, realMessages, settle, type Credentials } from './http-helpers.js';
import { until } from '../helpers/wait.js';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

let app: JobsApp | null = null;
afterEach(async () => {
  await closeTestSockets();
  await app?.close();
  app = null;
});

describe.each(kinds)('authorization (%s)', (kind) => {
  it("publishes none of the admin's job topics to the viewer", async () => {
    const a = (app = await startJobsApp({ kind }));
    const gate = new Gate();
    a.plugin.registerTaskHandler({
      jobHandlerName: 'stateful',
      parallelLimit: 2,
      handler: async ({ setTaskStateField, setJobStateField, signal }) => {
        await gate.wait(signal);
        await setTaskStateField('x', 1);
        await setJobStateField('x', 2);
      },
    });
    const wsUrl = `${a.url.replace('http', 'ws')}/afws`;
    const adminSocket = await TestSocket.open(wsUrl, await a.login('adminforth', 'adminforth'));
    const viewerSocket = await TestSocket.open(wsUrl, await a.login('viewer', 'viewer'));
    const subscribeBoth = async (topic: string) => {
      for (const socket of [adminSocket, viewerSocket]) {
        socket.send({ type: 'subscribe', topic });
        await confirmSubscribed(a, socket, topic);
      }
    };
    await subscribeBoth('/background-jobs-job-update');
    const jobId = String(await a.plugin.startNewJob('secret', { pk: await a.userPk('adminforth') }, [{ state: {} }, { state: {} }], 'stateful'));
    const jobTopics = [
      `/background-jobs-task-update/${jobId}`,
      `/background-jobs-state-update/${jobId}/x`,
      `/background-jobs-task-state-update/${jobId}/x`,
    ];
    for (const topic of jobTopics) await subscribeBoth(topic);
    gate.open();
    await adminSocket.next((f) => f.includes(jobId) && f.includes('"status":"DONE"'), 20_000);
    for (const topic of jobTopics) await until(`admin message on ${topic}`, () => realMessages(adminSocket).some((m) => m.topic === topic), APP_WAIT);

    // The viewer's own job comes through the same socket after the admin's job finished.
    const viewerJob = String(await a.plugin.startNewJob('mine', { pk: await a.userPk('viewer') }, [{ state: {} }], 'stateful'));
    await viewerSocket.next((f) => f.includes(viewerJob), 20_000);
    const seen = realMessages(viewerSocket);
    expect(seen.filter((m) => JSON.stringify(m).includes(jobId))).toEqual([]);
    expect(seen.filter((m) => jobTopics.includes(m.topic))).toEqual([]);
    await settle(a, [gate]);
  });

  it('lets canView and canManage replace the default policy', async () => {
    const a = (app = await startJobsApp({
      kind,
      pluginOptions: {
        // Everyone sees "shared:" jobs and their own; only superadmins cancel or retry.
        canView: (adminUser, job) => job.name.startsWith('shared:') || job.startedBy === String(adminUser.pk) || adminUser.dbUser?.role === 'superadmin',
        canManage: (adminUser) => adminUser.dbUser?.role === 'superadmin',
      },
    }));
    const gate = new Gate();
    a.plugin.registerTaskHandler({ jobHandlerName: 'gated', handler: ({ signal }) => gate.wait(signal) });
    const adminPk = await a.userPk('adminforth');
    const start = async (name: string, pk: string) => String(await a.plugin.startNewJob(name, { pk }, [{ state: {} }], 'gated'));
    const shared = [await start('shared: one', adminPk), await start('private', adminPk), await start('shared: two', adminPk)];
    const privateJob = shared.splice(1, 1)[0];
    const own = await start('own', await a.userPk('viewer'));
    const viewer: Credentials = { cookie: await a.login('viewer', 'viewer') };
    const v = pluginCall(a, viewer);

    expect((await v('jobs/get', { jobId: shared[0] })).json.job).toMatchObject({ id: shared[0], name: 'shared: one', canManage: false });
    const missing = randomUUID();
    const hidden = await v('jobs/get', { jobId: privateJob });
    expect({ status: hidden.status, text: hidden.text.replace(privateJob, '<id>') })
      .toEqual({ status: 404, text: (await v('jobs/get', { jobId: missing })).text.replace(missing, '<id>') });

    // The list asks canView row by row; every page size walks the same visible jobs.
    const visible = (await v('jobs/list', {})).json.jobs.map((j: any) => j.id);
    expect([...visible].sort()).toEqual([...shared, own].sort());
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await v('jobs/list', { limit: 1, ...(cursor ? { cursor } : {}) })).json;
      walked.push(...page.jobs.map((j: any) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(visible);
    expect((await v('jobs/list', { limit: 1, offset: 2 })).json.jobs.map((j: any) => j.id)).toEqual([visible[2]]);

    for (const action of ['jobs/cancel', 'jobs/retry']) {
      expect(await v(action, { jobId: shared[0] })).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN', field: 'jobId' } } });
      expect(await v(action, { jobId: own })).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
    }
    expect((await v('cancel-job', { jobId: shared[0] })).json).toEqual({ ok: false, message: `You may not cancel the job with id ${shared[0]}.` });
    expect((await a.plugin.getJob(shared[0])).status).toBe('IN_PROGRESS');

    const admin = pluginCall(a, { cookie: await a.login('adminforth', 'adminforth') });
    expect((await admin('jobs/cancel', { jobId: own })).json).toMatchObject({ changed: true });
    await settle(a, [gate]);
  });
});
