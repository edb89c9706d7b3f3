/**
 * The plugin's HTTP API over real HTTP on the host (docs/http-api.md), with the demo's two users:
 * `adminforth` (superadmin) and `viewer` (role user). Every endpoint's happy path; the viewer can
 * neither act on nor detect the admin's jobs; unauthenticated calls get AdminForth's 401; the
 * compatible endpoints answer like the official plugin's.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler } from '@adminforth/background-jobs';
import type { JobsApp } from './fixtures.js';
import { APP_WAIT, Gate, pluginCall, startAppWithUsers, post, settle, type Credentials } from './http-helpers.js';
import { until, untilStatus } from '../helpers/wait.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

describe.each(kinds)('HTTP API (%s)', (kind) => {
  let app: JobsApp;
  let admin: Credentials;
  let viewer: Credentials;
  let adminPk: string;
  let viewerPk: string;
  const gates = new Map<string, Gate>();
  const failOnce = new Set<string>();

  beforeAll(async () => {
    ({ app, admin, viewer, adminPk, viewerPk } = await startAppWithUsers(kind));
    const quick: TaskHandler = async ({ getTaskStateField }) => {
      const state = await getTaskStateField();
      if (state.fail) throw new Error(`task ${state.n} failed on purpose`);
      if (state.failOnce && !failOnce.has(state.failOnce)) {
        failOnce.add(state.failOnce);
        throw new Error('first attempt fails');
      }
    };
    app.plugin.registerTaskHandler({ jobHandlerName: 'quick', parallelLimit: 5, handler: quick });
    app.plugin.registerTaskHandler({ jobHandlerName: 'listing', handler: quick });
    app.plugin.registerTaskHandler({
      jobHandlerName: 'gated',
      parallelLimit: 2,
      handler: async ({ getTaskStateField, signal }) => {
        const gate = gates.get(await getTaskStateField('gate'));
        await gate?.wait(signal);
      },
    });
  });
  afterAll(async () => {
    if (app) await settle(app, gates.values());
    await app?.close();
  });

  const tasks = (n: number, state: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: n }, (_, i) => ({ state: { n: i, ...state(i) } }));
  const status = async (jobId: string) => (await app.plugin.getJob(jobId)).status;
  const finished = (jobId: string, expected: string) => expect.poll(() => status(jobId), { timeout: 20_000 }).toBe(expected);
  /** A job whose tasks wait until the returned gate opens. */
  const gatedJob = async (pk: string, name = 'gated job', n = 3) => {
    const gateId = randomUUID();
    const gate = new Gate();
    gates.set(gateId, gate);
    const jobId = String(await app.plugin.startNewJob(name, { pk }, tasks(n, () => ({ gate: gateId })), 'gated'));
    return { jobId, gate };
  };
  const doneJob = async (pk: string, name = 'quick job', n = 3, state?: (i: number) => Record<string, unknown>, handler = 'quick') => {
    const jobId = String(await app.plugin.startNewJob(name, { pk }, tasks(n, state), handler));
    await untilStatus(`job ${jobId}`, () => app.plugin.getJob(jobId), ['DONE', 'DONE_WITH_ERRORS'], APP_WAIT);
    return jobId;
  };
  /** Newest first; jobs created in the same instant (MySQL: second) by descending id. */
  const expectNewestFirst = (jobs: { id: string; createdAt: string }[]) => {
    const sorted = [...jobs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    expect(jobs.map((j) => j.id)).toEqual(sorted.map((j) => j.id));
  };
  const asAdmin = () => pluginCall(app, admin);
  const asViewer = () => pluginCall(app, viewer);

  describe('discovery', () => {
    it('answers the instance id, resource, version and the caller without an instance id', async () => {
      const answer = await post(app, '/plugin/background-jobs/instances', {}, admin);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        instances: [{
          instanceId: app.plugin.pluginInstanceId, resourceId: 'jobs', resourceLabel: 'Jobs', pluginVersion: '2.0.0', apiVersion: 1,
          apiPath: `/adminapi/v1/plugin/${app.plugin.pluginInstanceId}`, pageUrl: '/background-jobs', isAdmin: true,
        }],
        user: { pk: adminPk, username: 'adminforth', via: 'cookie' },
        limits: { defaultLimit: 50, maxLimit: 500, maxLongPollMs: 30_000, defaultLongPollMs: 25_000, maxBodyBytes: 65_536 },
        websocket: { path: '/afws', jobTopic: '/background-jobs-job-update', taskTopic: '/background-jobs-task-update/<jobId>' },
      });
      // The official plugin's id on a resource named `jobs` (contract §1.1).
      expect(app.plugin.pluginInstanceId).toBe('0074ddcdd9e9f208d9af952ef7c971c0');
      const asViewerAnswer = await post(app, '/plugin/background-jobs/instances', {}, viewer);
      expect(asViewerAnswer.json.user).toEqual({ pk: viewerPk, username: 'viewer', via: 'cookie' });
      expect(asViewerAnswer.json.instances[0].isAdmin).toBe(false);
    });
  });

  describe('unauthenticated calls', () => {
    it("get AdminForth's 401 text on every endpoint, before any body check", async () => {
      const id = app.plugin.pluginInstanceId;
      const paths = [
        '/plugin/background-jobs/instances', '/plugin/get-background-job-info',
        ...['get-list-of-jobs', 'cancel-job', 'get-tasks', 'jobs/list', 'jobs/get', 'jobs/tasks', 'jobs/cancel', 'jobs/retry', 'jobs/events',
          'tokens/create', 'tokens/list', 'tokens/revoke'].map((a) => `/plugin/${id}/${a}`),
      ];
      const bad: Record<string, string>[] = [
        {}, { cookie: 'adminforth_adminforth_jwt=not-a-jwt' }, { authorization: 'Bearer afjobs_unknown' }, { authorization: 'Bearer' }, { authorization: 'Basic YTpi' },
      ];
      for (const path of paths) {
        for (const headers of bad) {
          const response = await fetch(`${app.apiUrl}${path}`, {
            method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ nonsense: true }),
          });
          expect({ path, headers, status: response.status, type: response.headers.get('content-type'), text: await response.text() }).toEqual({
            path, headers, status: 401, type: 'text/html; charset=utf-8', text: 'Unauthorized by AdminForth',
          });
        }
      }
    });
  });

  describe('jobs/list', () => {
    let adminJobs: string[];
    let viewerJob: string;
    let failedJob: string;
    // Jobs of this block have their own handler, so earlier jobs do not show up in its lists.
    const mine = { handler: 'listing' };

    beforeAll(async () => {
      adminJobs = [];
      for (let i = 0; i < 3; i++) adminJobs.push(await doneJob(adminPk, `list ${i}`, 2, undefined, 'listing'));
      failedJob = await doneJob(adminPk, 'list failing', 3, (i) => ({ fail: i === 1 }), 'listing');
      viewerJob = await doneJob(viewerPk, 'list viewer', 1, undefined, 'listing');
    });

    it('answers jobs newest first with counts and last error', async () => {
      const { status: code, json } = await asAdmin()('jobs/list', mine);
      expect(code).toBe(200);
      expectNewestFirst(json.jobs);
      expect(json.jobs.map((j: any) => j.id).sort()).toEqual([viewerJob, failedJob, ...adminJobs].sort());
      expect(json.nextCursor).toBeNull();
      expect(json.jobs.find((j: any) => j.id === failedJob)).toEqual({
        id: failedJob, name: 'list failing', handler: 'listing', status: 'DONE_WITH_ERRORS', progress: 100, startedBy: adminPk, startedByName: 'adminforth',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        tasks: { total: 3, done: 2, failed: 1, cancelled: 0 }, lastError: 'task 1 failed on purpose', schedule: null,
      });
    });

    it('filters by status, handler, startedBy, mine and creation time', async () => {
      // Sorted ids: MySQL keeps created_at to the second, so jobs of one second come in id order.
      const list = async (body: object) => (await asAdmin()('jobs/list', { ...mine, ...body })).json.jobs.map((j: any) => j.id).sort();
      expect(await list({ status: ['DONE_WITH_ERRORS'] })).toEqual([failedJob]);
      expect(await list({ status: ['DONE', 'DONE_WITH_ERRORS'] })).toHaveLength(5);
      expect(await list({ handler: 'nobody' })).toEqual([]);
      expect(await list({ startedBy: viewerPk })).toEqual([viewerJob]);
      expect(await list({ mine: true })).toEqual([failedJob, ...adminJobs].sort());
      const created = (await asAdmin()('jobs/list', mine)).json.jobs.map((j: any) => j.createdAt).sort();
      expect(await list({ createdAfter: created[0] })).toHaveLength(5);
      expect(await list({ createdBefore: created[0] })).toEqual([]);
      expect(await list({ createdAfter: created[0], createdBefore: new Date(Date.parse(created.at(-1)) + 1000).toISOString() })).toHaveLength(5);
      expect(await list({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    });

    it('pages by cursor and by offset', async () => {
      const all = (await asAdmin()('jobs/list', mine)).json.jobs.map((j: any) => j.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const { json } = await asAdmin()('jobs/list', { ...mine, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(json.jobs.length).toBeLessThanOrEqual(2);
        seen.push(...json.jobs.map((j: any) => j.id));
        cursor = json.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all);
      const page = (await asAdmin()('jobs/list', { ...mine, limit: 2, offset: 2 })).json;
      expect(page.jobs.map((j: any) => j.id)).toEqual(all.slice(2, 4));
    });

    it("shows the viewer only the viewer's jobs", async () => {
      const { json } = await asViewer()('jobs/list', mine);
      expect(json.jobs.map((j: any) => j.id)).toEqual([viewerJob]);
      expect((await asViewer()('jobs/list', { ...mine, startedBy: adminPk })).json.jobs).toEqual([]);
    });
  });

  describe('jobs/get and jobs/tasks', () => {
    it('answers one job with its state and task counts', async () => {
      const jobId = await doneJob(adminPk, 'get me', 4, (i) => ({ fail: i === 3 }));
      const { status: code, json } = await asAdmin()('jobs/get', { jobId });
      expect(code).toBe(200);
      expect(json.job).toMatchObject({
        id: jobId, name: 'get me', handler: 'quick', status: 'DONE_WITH_ERRORS', progress: 100, startedBy: adminPk, startedByName: 'adminforth',
        tasks: { total: 4, done: 3, failed: 1, cancelled: 0 }, lastError: 'task 3 failed on purpose',
        state: { error: 'task 3 failed on purpose' },
        taskCounts: { SCHEDULED: 0, IN_PROGRESS: 0, DONE: 3, FAILED: 1, CANCELLED: 0 },
        canManage: true,
      });
    });

    it('pages tasks with a status filter and a state projection', async () => {
      const jobId = await doneJob(adminPk, 'tasks', 5, (i) => ({ fail: i % 2 === 1, extra: `x${i}` }));
      const all = (await asAdmin()('jobs/tasks', { jobId })).json;
      expect(all).toMatchObject({ total: 5, limit: 50, offset: 0 });
      expect(all.tasks[0]).toEqual({ index: 0, status: 'DONE', attempt: 1, error: null, state: { n: 0, fail: false, extra: 'x0' } });
      const failed = (await asAdmin()('jobs/tasks', { jobId, status: ['FAILED'], fields: ['extra', 'missing'] })).json;
      expect(failed).toEqual({
        total: 2, limit: 50, offset: 0,
        tasks: [1, 3].map((index) => ({ index, status: 'FAILED', attempt: 1, error: `task ${index} failed on purpose`, state: { extra: `x${index}` } })),
      });
      const page = (await asAdmin()('jobs/tasks', { jobId, limit: 2, offset: 2 })).json;
      expect(page.tasks.map((t: any) => t.index)).toEqual([2, 3]);
    });
  });

  describe('jobs/cancel and jobs/retry', () => {
    it('cancels a running job once, then answers that it already is', async () => {
      const { jobId } = await gatedJob(adminPk);
      const first = await asAdmin()('jobs/cancel', { jobId });
      expect(first).toMatchObject({ status: 200, json: { jobId, status: 'CANCELLED', changed: true } });
      const again = await asAdmin()('jobs/cancel', { jobId });
      expect(again).toMatchObject({ status: 200, json: { jobId, status: 'CANCELLED', changed: false, message: `Job ${jobId} is already cancelled.` } });
      const doneId = await doneJob(adminPk);
      expect(await asAdmin()('jobs/cancel', { jobId: doneId })).toMatchObject({ status: 409, json: { error: { code: 'INVALID_STATE', field: 'jobId' } } });
    });

    it('lets an admin cancel a job the viewer started', async () => {
      const { jobId } = await gatedJob(viewerPk);
      expect(await asAdmin()('jobs/cancel', { jobId })).toMatchObject({ status: 200, json: { changed: true } });
      const { jobId: own } = await gatedJob(viewerPk);
      expect(await asViewer()('jobs/cancel', { jobId: own })).toMatchObject({ status: 200, json: { changed: true } });
    });

    it('retries failed tasks; a running job answers that it is running', async () => {
      const key = randomUUID();
      const jobId = await doneJob(adminPk, 'retry me', 3, (i) => ({ failOnce: i === 2 ? key : undefined }));
      expect(await status(jobId)).toBe('DONE_WITH_ERRORS');
      expect(await asAdmin()('jobs/retry', { jobId, scope: [3] })).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT', field: 'scope[0]' } } });
      const retried = await asAdmin()('jobs/retry', { jobId });
      expect(retried).toMatchObject({ status: 200, json: { jobId, tasks: 1, changed: true } });
      await finished(jobId, 'DONE');
      expect(await asAdmin()('jobs/retry', { jobId })).toMatchObject({ status: 409, json: { error: { code: 'INVALID_STATE' } } });
      const again = await asAdmin()('jobs/retry', { jobId, scope: [0, 1] });
      expect(again).toMatchObject({ status: 200, json: { tasks: 2, changed: true } });
      await finished(jobId, 'DONE');

      const { jobId: running, gate } = await gatedJob(adminPk);
      expect(await asAdmin()('jobs/retry', { jobId: running })).toMatchObject({ status: 200, json: { jobId: running, status: 'IN_PROGRESS', tasks: 0, changed: false } });
      gate.open();
      await finished(running, 'DONE');
    });
  });

  describe('jobs/events', () => {
    it('answers events after a sequence number and long-polls for the next ones', async () => {
      const { jobId, gate } = await gatedJob(adminPk, 'events', 2);
      const first = (await asAdmin()('jobs/events', { jobId, timeoutMs: 0 })).json;
      expect(first.events[0]).toMatchObject({ seq: 1, type: 'job:created', jobId, name: 'events', total: 2, at: expect.any(String) });
      expect(first.finished).toBe(false);
      // Wait until every task has started, then long-poll: the answer comes when the gate opens.
      let lastSeq = first.lastSeq;
      const types: string[] = first.events.map((e: any) => e.type);
      while (types.filter((t) => t === 'task:started').length < 2) {
        const page = (await asAdmin()('jobs/events', { jobId, after: lastSeq, timeoutMs: 5_000 })).json;
        types.push(...page.events.map((e: any) => e.type));
        lastSeq = page.lastSeq;
      }
      const waiting = asAdmin()('jobs/events', { jobId, after: lastSeq, timeoutMs: 30_000 });
      gate.open();
      let page = (await waiting).json;
      expect(page.events.length).toBeGreaterThan(0);
      expect(page.events[0].seq).toBe(lastSeq + 1);
      for (;;) {
        types.push(...page.events.map((e: any) => e.type));
        if (page.finished) break;
        page = (await asAdmin()('jobs/events', { jobId, after: page.lastSeq, timeoutMs: 5_000 })).json;
      }
      expect(types.filter((t) => t === 'task:done')).toHaveLength(2);
      expect(types.at(-1)).toBe('job:finished');
      // Nothing after the end: a finished job answers at once.
      expect((await asAdmin()('jobs/events', { jobId, after: page.lastSeq })).json).toEqual({ events: [], lastSeq: page.lastSeq, finished: true, truncated: false, reset: false, durable: true });
      // A sequence number beyond the last (the process restarted) starts again from the first event.
      const reset = (await asAdmin()('jobs/events', { jobId, after: page.lastSeq + 100, limit: 1 })).json;
      expect(reset).toMatchObject({ reset: true, events: [{ seq: 1, type: 'job:created' }] });
    });
  });

  describe("the viewer and the admin's jobs", () => {
    it('cannot list, read, read tasks of, cancel, retry or follow them, nor tell that they exist', async () => {
      const { jobId, gate } = await gatedJob(adminPk, 'secret');
      const doneId = await doneJob(adminPk, 'secret done', 2, (i) => ({ fail: i === 0 }));
      const missing = randomUUID();
      const v = asViewer();
      const same = (answer: { status: number; text: string }, id: string) => ({ status: answer.status, text: answer.text.split(id).join('<id>') });
      const probes: [string, (id: string) => object][] = [
        ['jobs/get', (id) => ({ jobId: id })],
        ['jobs/tasks', (id) => ({ jobId: id, limit: 5 })],
        ['jobs/cancel', (id) => ({ jobId: id })],
        ['jobs/retry', (id) => ({ jobId: id, scope: 'unfinished' })],
        ['jobs/events', (id) => ({ jobId: id, timeoutMs: 0 })],
      ];
      for (const [action, body] of probes) {
        for (const id of [jobId, doneId]) {
          const forbidden = await v(action, body(id));
          const absent = await v(action, body(missing));
          expect(forbidden.status, action).toBe(404);
          expect(same(forbidden, id), action).toEqual(same(absent, missing));
          expect(forbidden.json).toEqual({ error: { code: 'NOT_FOUND', message: `Job ${id} not found.`, field: 'jobId' } });
        }
      }
      const listed = (await v('jobs/list', { limit: 500 })).json.jobs.map((j: any) => j.id);
      expect(listed).not.toContain(jobId);
      expect(listed).not.toContain(doneId);

      // The official plugin's endpoints: the same answers as for a job that does not exist.
      for (const [action, body] of [
        ['cancel-job', (id: string) => ({ jobId: id })],
        ['get-tasks', (id: string) => ({ jobId: id, limit: 10, offset: 0 })],
      ] as const) {
        expect(same(await v(action, body(jobId)), jobId), action).toEqual(same(await v(action, body(missing)), missing));
      }
      const info = (id: string) => post(app, '/plugin/get-background-job-info', { jobId: id }, viewer);
      expect((await info(jobId)).json).toEqual({ ok: false, message: `Job with id ${jobId} not found.` });
      expect(same(await info(jobId), jobId)).toEqual(same(await info(missing), missing));
      expect((await v('get-list-of-jobs')).json.jobs.map((j: any) => j.id)).not.toContain(jobId);

      // Nothing the viewer sent reached the engine.
      expect(await status(jobId)).toBe('IN_PROGRESS');
      expect(await status(doneId)).toBe('DONE_WITH_ERRORS');
      gate.open();
      await finished(jobId, 'DONE');
    });
  });

  describe('the official endpoints', () => {
    it('answer with the official bodies', async () => {
      app.plugin.registerTaskDetailsComponent({ jobHandlerName: 'quick', component: { file: '@@/Details.vue' } });
      const jobId = await doneJob(adminPk, 'compat', 3, (i) => ({ fail: i === 2, extra: i }));
      // The row is the resource's mirror, written when job:finished is published (a moment after
      // the store says DONE_WITH_ERRORS: the event is written to the durable log first).
      await until(`the row of job ${jobId} to be final`, async () => (await asAdmin()('get-list-of-jobs')).json.jobs.find((j: any) => j.id === jobId)?.status === 'DONE_WITH_ERRORS', APP_WAIT);
      const list = (await asAdmin()('get-list-of-jobs')).json;
      expectNewestFirst(list.jobs);
      expect(list.jobs.find((j: any) => j.id === jobId)).toEqual({
        id: jobId, name: 'compat', createdAt: expect.any(String), finishedAt: expect.any(String),
        status: 'DONE_WITH_ERRORS', progress: '100', customComponent: { file: '@@/Details.vue' },
      });
      expect(list.jobs.length).toBeLessThanOrEqual(100);
      // Only the caller's own jobs, as the official plugin listed them.
      expect((await asViewer()('get-list-of-jobs')).json.jobs.every((j: any) => j.id !== jobId)).toBe(true);

      await expect.poll(async () => (await post(app, '/plugin/get-background-job-info', { jobId }, admin)).json.job?.state).toMatchObject({ error: 'task 2 failed on purpose' });
      const info = (await post(app, '/plugin/get-background-job-info', { jobId }, admin)).json;
      expect(info).toEqual({
        ok: true,
        job: {
          id: jobId, name: 'compat', createdAt: expect.any(String), finishedAt: expect.any(String), status: 'DONE_WITH_ERRORS',
          state: { error: 'task 2 failed on purpose' }, progress: '100', customComponent: { file: '@@/Details.vue' },
        },
      });
      const missing = randomUUID();
      expect((await post(app, '/plugin/get-background-job-info', { jobId: missing }, admin)).json).toEqual({ ok: false, message: `Job with id ${missing} not found.` });

      const tasksPage = (await asAdmin()('get-tasks', { jobId, limit: 2, offset: 1, fieldsToReturn: ['extra'] })).json;
      expect(tasksPage).toEqual({ ok: true, data: { tasks: [{ state: { extra: 1 }, status: 'DONE' }, { state: { extra: 2 }, status: 'FAILED' }], total: 3 } });
      expect((await asAdmin()('get-tasks', { jobId: missing, limit: 10, offset: 0 })).json).toEqual({ ok: true, data: { tasks: [], total: 0 } });

      expect((await asAdmin()('cancel-job', { jobId })).json).toEqual({ ok: false, message: 'Cannot cancel a job with status DONE_WITH_ERRORS.' });
      expect((await asAdmin()('cancel-job', { jobId: missing })).json).toEqual({ ok: false, message: `Job with id ${missing} not found.` });
      const { jobId: running } = await gatedJob(adminPk);
      expect((await asAdmin()('cancel-job', { jobId: running })).json).toEqual({ ok: true });
      expect(await status(running)).toBe('CANCELLED');
      expect((await asAdmin()('cancel-job', { jobId: running })).json).toEqual({ ok: false, message: 'Cannot cancel a job with status CANCELLED.' });
    });

    it("keep AdminForth's own body checks", async () => {
      const answer = await asAdmin()('get-tasks', { jobId: 'x', limit: 'ten', offset: 0 });
      expect(answer).toMatchObject({ status: 400, json: { error: 'Request body validation failed', details: [expect.objectContaining({ instancePath: '/limit' })] } });
      const extra = await post(app, '/plugin/get-background-job-info', { jobId: 'x', more: 1 }, admin);
      expect(extra).toMatchObject({ status: 400, json: { error: 'Request body validation failed' } });
    });
  });
});
