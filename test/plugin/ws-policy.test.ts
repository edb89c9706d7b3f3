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
