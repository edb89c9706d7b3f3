/**
 * The seed page's samples, run unchanged on the host: the resource, handler registration before
 * discovery, the create-job route (which looks the plugin up as 'default'), the custom renderer
 * registration, the state helpers, and the websocket topic the seed's component listens to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';
import { confirmSubscribed } from './http-helpers.js';

let app: JobsApp | null = null;
afterEach(async () => {
  await closeTestSockets();
  await app?.close();
  app = null;
});

const ADMIN_BASE_URL = '';

describe('seed samples on the host (SQLite)', () => {
  it('runs the documented handler, route and renderer registration unchanged', async () => {
    app = await startJobsApp({
      // Registered right after `new AdminForth(...)`, before discovery, as the seed's index.ts does.
      setupRoutes: (expressApp, admin) => {
        const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
        backgroundJobsPlugin.registerTaskHandler({
          // job handler name
          jobHandlerName: 'example_job_handler',
          //handler function
          handler: async ({ setTaskStateField, getTaskStateField }) => {
            const state = await getTaskStateField();
            console.log('State of the task at the beginning of the job handler:', state);
            await new Promise(resolve => setTimeout(resolve, 3000));
            await setTaskStateField({[state.step]: `Step ${state.step} completed`});
            const updatedState = await getTaskStateField();
            console.log('State of the task after setting the new state in the job handler:', updatedState);
          },
          //limit of tasks, that are running in parallel
          parallelLimit: 1
        });
        admin.getPluginByClassName<BackgroundJobsPlugin>('default').registerTaskDetailsComponent({
          jobHandlerName: 'example_job_handler', // Handler name
          component: {
            file: '@@/JobCustomComponent.vue'  //custom component for the job details
          },
        });
        expressApp.post(`${ADMIN_BASE_URL}/api/create-job/`,
          admin.express.authorize(
            async (req: any, res: any) => {
              const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('default');
              if (!backgroundJobsPlugin) {
                res.status(404).json({ error: 'BackgroundJobsPlugin not found' });
                return;
              }
              backgroundJobsPlugin.startNewJob(
                'Example Job', //job name
                req.adminUser, // adminuser
                [
                  { state: { step: 1 } },
                  { state: { step: 2 } },
                  { state: { step: 3 } },
                  { state: { step: 4 } },
                  { state: { step: 5 } },
                  { state: { step: 6 } },
                ], //initial tasks
                'example_job_handler', //job handler name
              )
              res.json({ok: true, message: 'Job started' });
            }
          ),
        );
      },
    });
    const a = app;
    const adminCookie = await a.login('adminforth', 'adminforth');
    const viewerCookie = await a.login('viewer', 'viewer');
    const wsUrl = `${a.url.replace('http', 'ws')}/afws`;
    const adminSocket = await TestSocket.open(wsUrl, adminCookie);
    const viewerSocket = await TestSocket.open(wsUrl, viewerCookie);
    for (const s of [adminSocket, viewerSocket]) s.send({ type: 'subscribe', topic: '/background-jobs-job-update' });
    for (const s of [adminSocket, viewerSocket]) await confirmSubscribed(a, s, '/background-jobs-job-update');

    const response = await fetch(`${a.url}/api/create-job/`, { method: 'POST', headers: { cookie: adminCookie, 'content-type': 'application/json' }, body: '{}' });
    expect(await response.json()).toEqual({ ok: true, message: 'Job started' });

    const created = JSON.parse(await adminSocket.next((f) => f.includes('"status":"IN_PROGRESS"'))).data;
    expect(created).toMatchObject({ status: 'IN_PROGRESS', name: 'Example Job', progress: 0, customComponent: { file: '@@/JobCustomComponent.vue' } });
    const jobId = created.jobId;
    // The seed's component subscribes to the job's task topic.
    for (const s of [adminSocket, viewerSocket]) s.send({ type: 'subscribe', topic: `/background-jobs-task-update/${jobId}` });

    const stateUpdate = JSON.parse(await adminSocket.next((f) => f.includes('"state":{'))).data;
    expect(stateUpdate).toEqual({ seq: expect.any(Number), taskIndex: stateUpdate.taskIndex, state: { step: stateUpdate.taskIndex + 1, [stateUpdate.taskIndex + 1]: `Step ${stateUpdate.taskIndex + 1} completed` } });
    const finished = JSON.parse(await adminSocket.next((f) => f.includes('"status":"DONE"') && f.includes('finishedAt'), 30_000)).data;
    expect(finished).toEqual({ jobId, status: 'DONE', finishedAt: expect.any(String), progress: 100, seq: expect.any(Number) });

    const { tasks } = await a.plugin.getJobTasks(jobId);
    expect(tasks.map((t) => [t.status, t.state])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ['DONE', { step: n, [n]: `Step ${n} completed` }]),
    );
    await expect.poll(() => a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: jobId }])).toMatchObject({
      status: 'DONE', progress: '100', name: 'Example Job', job_handler_name: 'example_job_handler',
      started_by: await a.userPk('adminforth'), finished_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The viewer did not start the job and is no admin: none of its events reach them.
    viewerSocket.send('ping');
    await viewerSocket.next((f) => f === 'pong');
    const leaked = viewerSocket.frames.filter((f) => f.includes('"type":"message"'));
    expect(leaked, `frames the viewer got: ${leaked.join(' | ')}`).toEqual([]);
  });
});

describe('start-up checks', () => {
  it('fails start-up naming the option and the column when the resource lacks a column', async () => {
    const { seedJobsResource } = await import('./fixtures.js');
    const resource = seedJobsResource({ progressField: 'percent_done' });
    await expect(startJobsApp({ resource })).rejects.toThrow(/option 'progressField' names column 'percent_done', which the resource does not have/);
  });
});

describe('rows without stored tasks at start-up', () => {
  it('marks an old orphan CANCELLED with the reason, and leaves a young one (maybe being created) alone', async () => {
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    const young = new Date().toISOString();
    app = await startJobsApp({
      tables: {
        sqlite: `INSERT INTO jobs (id, name, created_at, status, state, progress, job_handler_name) VALUES
          ('orphan-old', 'old', '${old}', 'IN_PROGRESS', '{"k":1}', '10', 'h'),
          ('orphan-young', 'young', '${young}', 'IN_PROGRESS', '{}', '0', 'h')`,
      },
    });
    const get = (id: string) => app!.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: id }]);
    expect(await get('orphan-old')).toMatchObject({
      status: 'CANCELLED', finished_at: expect.any(String),
      state: { k: 1, error: 'The job has no stored tasks: its creation was interrupted.' },
    });
    expect(await get('orphan-young')).toMatchObject({ status: 'IN_PROGRESS' });
  });
});

describe('a job created in the first instant after start-up', () => {
  it('runs each task exactly once', async () => {
    const runs = new Map<number, number>();
    let jobPromise: Promise<string> | null = null;
    app = await startJobsApp({
      setupRoutes: (_expressApp, admin) => {
        const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
        plugin.registerTaskHandler({
          jobHandlerName: 'count', parallelLimit: 5,
          handler: async ({ taskIndex }) => { runs.set(taskIndex, (runs.get(taskIndex) ?? 0) + 1); },
        });
        // Before discovery has even started: the call waits for the engine, then runs once.
        jobPromise = plugin.startNewJob('early', null, Array.from({ length: 300 }, (_, i) => ({ state: { i } })), 'count');
      },
    });
    const jobId = await jobPromise!;
    await expect.poll(async () => (await app!.plugin.getJob(jobId)).status).toBe('DONE');
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});
