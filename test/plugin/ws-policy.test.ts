/**
 * Websocket events follow the `canView` option when an app sets it (design D7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startJobsApp, seedJobsResource, type JobsApp } from './fixtures.js';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';

let app: JobsApp | null = null;
afterEach(async () => {
  await closeTestSockets();
  await app?.close();
  app = null;
});

describe('websocket events with a custom canView', () => {
  it('reach the users canView allows, not the default ones', async () => {
    // Everyone may see jobs named "public"; nobody else sees anything, admins included.
    const resource = seedJobsResource({ pollMs: 100, canView: (_user, job) => job.name === 'public' });
    app = await startJobsApp({ resource });
    const a = app;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    a.plugin.registerTaskHandler({ jobHandlerName: 'gated', handler: () => gate });
    const wsUrl = `${a.url.replace('http', 'ws')}/afws`;
    const viewer = await TestSocket.open(wsUrl, await a.login('viewer', 'viewer'));
    const admin = await TestSocket.open(wsUrl, await a.login('adminforth', 'adminforth'));
    for (const s of [viewer, admin]) s.send({ type: 'subscribe', topic: '/background-jobs-job-update' });
    for (const s of [viewer, admin]) { s.send('ping'); await s.next((f) => f === 'pong'); }

    const adminPk = await a.userPk('adminforth');
    const privateJob = await a.plugin.startNewJob('private', { pk: adminPk }, [{ state: {} }], 'gated');
    const publicJob = await a.plugin.startNewJob('public', { pk: adminPk }, [{ state: {} }], 'gated');
    release();
    await viewer.next((f) => f.includes(publicJob) && f.includes('"status":"DONE"'));
    await admin.next((f) => f.includes(publicJob) && f.includes('"status":"DONE"'));
    await expect.poll(async () => (await a.plugin.getJob(privateJob)).status).toBe('DONE');
    for (const s of [viewer, admin]) { s.send('ping'); await s.next((f) => f === 'pong'); }
    expect([...viewer.frames, ...admin.frames].filter((f) => f.includes(privateJob))).toEqual([]);
  });
});

describe('websocket events follow the user as they are now', () => {
  it('a demoted superadmin stops receiving other users\' job events, and a deleted one all of them', async () => {
    // userRecheckMs 0: every delivery reads the user again, so the test needs no wait for a cache.
    app = await startJobsApp({ pluginOptions: { userRecheckMs: 0 } });
    const a = app;
    a.plugin.registerTaskHandler({ jobHandlerName: 'quick', handler: async () => {} });
    const wsUrl = `${a.url.replace('http', 'ws')}/afws`;
    const admin = await TestSocket.open(wsUrl, await a.login('adminforth', 'adminforth'));
    admin.send({ type: 'subscribe', topic: '/background-jobs-job-update' });
    admin.send('ping');
    await admin.next((f) => f === 'pong');
    const viewerPk = await a.userPk('viewer');
    const adminPk = await a.userPk('adminforth');
    const users = a.admin.resource('adminuser');
    const finished = (jobId: string) => (f: string) => f.includes(jobId) && f.includes('"status":"DONE"');

    // A superadmin sees the viewer's job.
    const before = String(await a.plugin.startNewJob('before', { pk: viewerPk }, [{ state: {} }], 'quick'));
    await admin.next(finished(before));

    // Demoted: the viewer's next job is not theirs to see; their own still is.
    await users.update(adminPk, { role: 'user' });
    const hidden = String(await a.plugin.startNewJob('hidden', { pk: viewerPk }, [{ state: {} }], 'quick'));
    const own = String(await a.plugin.startNewJob('own', { pk: adminPk }, [{ state: {} }], 'quick'));
    await admin.next(finished(own));
    await expect.poll(async () => (await a.plugin.getJob(hidden)).status).toBe('DONE');

    // Deleted: not even their own job.
    await users.delete(adminPk);
    const gone = String(await a.plugin.startNewJob('gone', { pk: adminPk }, [{ state: {} }], 'quick'));
    await expect.poll(async () => (await a.plugin.getJob(gone)).status).toBe('DONE');
    // A round trip on the socket after both finished: anything sent for them has arrived by now.
    admin.send('ping');
    await admin.next((f) => f === 'pong');
    expect(admin.frames.filter((f) => f.includes(hidden) || f.includes(gone))).toEqual([]);
  });
});
