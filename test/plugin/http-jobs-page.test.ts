/**
 * The endpoints the Jobs page reads (docs/jobs-page.md, docs/http-api.md) over real HTTP on the
 * host, on every database that answers: `jobs/list` search and sort with cursors, the bulk
 * `jobs/cancel-matching` / `jobs/retry-matching` (a dry run's count and selection, exactly that set
 * acted on, a changed set refused), `metrics/handlers` (admins only; numbers that match the
 * database), `jobs/facets` and `jobs/task-attempts`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler } from '@adminforth/background-jobs';
import type { JobsApp } from './fixtures.js';
import { APP_WAIT, Gate, pluginCall, startAppWithUsers, settle, type Credentials } from './http-helpers.js';
import { untilStatus } from '../helpers/wait.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

describe.each(kinds)('Jobs page API (%s)', (kind) => {
  let app: JobsApp;
  let admin: Credentials;
  let viewer: Credentials;
  let adminPk: string;
  let viewerPk: string;
  const gates = new Map<string, Gate>();
  const failOnce = new Set<string>();

  beforeAll(async () => {
    ({ app, admin, viewer, adminPk, viewerPk } = await startAppWithUsers(kind));
    const work: TaskHandler = async ({ getTaskStateField, signal }) => {
      const state = await getTaskStateField();
      if (state.gate) await gates.get(state.gate)?.wait(signal);
      if (state.ms) await new Promise((resolve) => setTimeout(resolve, state.ms));
      if (state.fail) throw new Error(`task ${state.n} failed on purpose`);
      if (state.failOnce && !failOnce.has(state.failOnce)) {
        failOnce.add(state.failOnce);
        throw new Error('first attempt fails');
      }
    };
    app.plugin.registerTaskHandler({ jobHandlerName: 'page_sort', parallelLimit: 5, handler: work });
    app.plugin.registerTaskHandler({ jobHandlerName: 'page_bulk', parallelLimit: 5, handler: work });
    app.plugin.registerTaskHandler({ jobHandlerName: 'page_metrics', parallelLimit: 5, handler: work });
    app.plugin.registerTaskHandler({ jobHandlerName: 'page_retrying', parallelLimit: 2, maxAttempts: 2, backoff: { baseMs: 1, maxMs: 1 }, handler: work });
  });
  afterAll(async () => {
    if (app) await settle(app, gates.values());
    await app?.close();
  });

  const tasks = (n: number, state: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: n }, (_, i) => ({ state: { n: i, ...state(i) } }));
  const finishedJob = async (pk: string, name: string, handler: string, n = 2, state?: (i: number) => Record<string, unknown>) => {
    const jobId = String(await app.plugin.startNewJob(name, { pk }, tasks(n, state), handler));
    await untilStatus(`job ${jobId}`, () => app.plugin.getJob(jobId), ['DONE', 'DONE_WITH_ERRORS'], APP_WAIT);
    return jobId;
  };
  const gatedJob = async (pk: string, name: string, handler = 'page_bulk') => {
    const gateId = randomUUID();
    gates.set(gateId, new Gate());
    return String(await app.plugin.startNewJob(name, { pk }, tasks(2, () => ({ gate: gateId })), handler));
  };
  const asAdmin = () => pluginCall(app, admin);
  const asViewer = () => pluginCall(app, viewer);

  describe('jobs/list: search and sort', () => {
    const names = ['delta import', 'Alpha export', 'charlie import', 'bravo export', 'echo import'];
    let ids: Record<string, string>;

    beforeAll(async () => {
      ids = {};
      for (const name of names) ids[name] = await finishedJob(adminPk, name, 'page_sort', 1);
    });

    it('finds jobs by a part of their name', async () => {
      const { status, json } = await asAdmin()('jobs/list', { handler: 'page_sort', search: 'import' });
      expect(status).toBe(200);
      expect(json.jobs.map((j: any) => j.name).sort()).toEqual(['charlie import', 'delta import', 'echo import']);
      // Case does not matter (ILIKE).
      expect((await asAdmin()('jobs/list', { handler: 'page_sort', search: 'ALPHA' })).json.jobs.map((j: any) => j.name)).toEqual(['Alpha export']);
    });

    it('sorts by name both ways and pages through the order with cursors', async () => {
      for (const direction of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const { status, json } = await asAdmin()('jobs/list', { handler: 'page_sort', sort: { field: 'name', direction }, limit: 2, ...(cursor ? { cursor } : {}) });
          expect(status).toBe(200);
          seen.push(...json.jobs.map((j: any) => j.name));
          cursor = json.nextCursor ?? undefined;
        } while (cursor);
        const expected = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
        // SQLite compares bytes (upper case first); PostgreSQL and MySQL by their collations.
        const sorted = kind === 'sqlite' ? [...names].sort() : expected;
        expect(seen).toEqual(direction === 'asc' ? sorted : [...sorted].reverse());
      }
    });

    it('refuses a cursor made for another order', async () => {
      const { json } = await asAdmin()('jobs/list', { handler: 'page_sort', sort: { field: 'name', direction: 'asc' }, limit: 1 });
      const other = await asAdmin()('jobs/list', { handler: 'page_sort', limit: 1, cursor: json.nextCursor });
      expect(other).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT', field: 'cursor' } } });
      const unknownSort = await asAdmin()('jobs/list', { sort: { field: 'progress', direction: 'asc' } });
      expect(unknownSort).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT' } } });
    });
  });

  describe('bulk actions', () => {
    it('retries exactly the jobs a dry run counted, and refuses when that set changed', async () => {
      const tag = randomUUID().slice(0, 8);
      const failing = [];
      for (let i = 0; i < 3; i++) failing.push(await finishedJob(adminPk, `bulk ${tag} failing ${i}`, 'page_bulk', 2, (n) => ({ fail: n === 1 })));
      await finishedJob(adminPk, `bulk ${tag} fine`, 'page_bulk', 2);
      const filter = { handler: 'page_bulk', search: tag };

      const dry = await asAdmin()('jobs/retry-matching', { ...filter, dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.json).toMatchObject({ action: 'retry', dryRun: true, matched: 4, count: 3, skipped: { notApplicable: 1, forbidden: 0, notFound: 0 }, changed: 0 });
      expect([...dry.json.jobIds].sort()).toEqual([...failing].sort());

      // Another failing job appears: the confirmed set is not the set any more.
      const late = await finishedJob(adminPk, `bulk ${tag} failing late`, 'page_bulk', 2, (n) => ({ fail: n === 0 }));
      const refused = await asAdmin()('jobs/retry-matching', { ...filter, expect: dry.json.selection });
      expect(refused).toMatchObject({ status: 409, json: { error: { code: 'INVALID_STATE', field: 'expect' } } });
      for (const id of [...failing, late]) expect((await app.plugin.getJob(id)).status).toBe('DONE_WITH_ERRORS');

      const again = await asAdmin()('jobs/retry-matching', { ...filter, dryRun: true });
      expect(again.json.count).toBe(4);
      const acted = await asAdmin()('jobs/retry-matching', { ...filter, expect: again.json.selection });
      expect(acted).toMatchObject({ status: 200, json: { dryRun: false, count: 4, changed: 4, tasks: 4, failedCount: 0 } });
      expect([...acted.json.jobIds].sort()).toEqual([...failing, late].sort());
      // Each of them (and nothing else) ran its failed task again.
      for (const id of [...failing, late]) {
        await untilStatus(`job ${id}`, () => app.plugin.getJob(id), ['DONE_WITH_ERRORS'], APP_WAIT);
        const failedTasks = (await app.plugin.getJobTasks(id, { status: ['FAILED'] })).tasks;
        expect(failedTasks.map((t) => t.attempt)).toEqual([2]);
      }
    });

    it('cancels the selected running jobs; finished ones and jobs the caller may not see are left alone', async () => {
      const running = [await gatedJob(adminPk, 'bulk cancel a'), await gatedJob(viewerPk, 'bulk cancel b')];
      const done = await finishedJob(adminPk, 'bulk cancel done', 'page_bulk', 1);
      const jobIds = [...running, done];

      const asViewerDry = await asViewer()('jobs/cancel-matching', { jobIds, dryRun: true });
      expect(asViewerDry.json).toMatchObject({ matched: 1, count: 1, skipped: { notApplicable: 0, forbidden: 0, notFound: 2 }, jobIds: [running[1]] });

      const dry = await asAdmin()('jobs/cancel-matching', { jobIds, dryRun: true });
      expect(dry.json).toMatchObject({ matched: 3, count: 2, skipped: { notApplicable: 1, notFound: 0 } });
      const acted = await asAdmin()('jobs/cancel-matching', { jobIds, expect: dry.json.selection });
      expect(acted).toMatchObject({ status: 200, json: { count: 2, changed: 2, unchanged: 0, failedCount: 0 } });
      for (const id of running) expect((await app.plugin.getJob(id)).status).toBe('CANCELLED');
      expect((await app.plugin.getJob(done)).status).toBe('DONE');
    });

    it('refuses ids together with filters', async () => {
      const answer = await asAdmin()('jobs/cancel-matching', { jobIds: ['1'], handler: 'x' });
      expect(answer).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT', field: 'jobIds' } } });
    });
  });

  describe('metrics/handlers', () => {
    it('counts what the database holds, per handler, for admins only', async () => {
      const before = (await asAdmin()('metrics/handlers', {})).json.handlers.find((h: any) => h.handler === 'page_metrics');
      const jobA = await finishedJob(adminPk, 'metrics a', 'page_metrics', 10, (i) => ({ ms: 20, fail: i === 3 }));
      const jobB = await finishedJob(viewerPk, 'metrics b', 'page_metrics', 5, () => ({ ms: 20 }));
      const running = await gatedJob(adminPk, 'metrics running', 'page_metrics');

      const { status, json } = await asAdmin()('metrics/handlers', {});
      expect(status).toBe(200);
      expect(json.window).toMatchObject({ minutes: 60, rateMinutes: 5 });
      const h = json.handlers.find((x: any) => x.handler === 'page_metrics');
      const a = await app.plugin.getJob(jobA);
      const b = await app.plugin.getJob(jobB);
      expect(h.lastHour.tasksDone - before.lastHour.tasksDone).toBe(a.done + b.done);
      expect(h.lastHour.tasksFailed - before.lastHour.tasksFailed).toBe(a.failed + b.failed);
      expect(h.lastHour.jobsCreated - before.lastHour.jobsCreated).toBe(3);
      expect(h.lastHour.jobsWithErrors - before.lastHour.jobsWithErrors).toBe(1);
      expect(h.failureRate).toBeCloseTo(1 / 15);
      expect(h.sparkline.tasks).toHaveLength(60);
      expect(h.sparkline.tasks.reduce((x: number, y: number) => x + y, 0)).toBe(15);
      expect(h.durationMs.count).toBe(15);
      expect(h.durationMs.p50).toBeGreaterThanOrEqual(15);
      expect(h.durationMs.p95).toBeGreaterThanOrEqual(h.durationMs.p50);
      expect(h.perMinute.tasks).toBeGreaterThan(0);
      // Queued and running now: as the engine's own table says.
      expect(h.now).toEqual({ queued: 0, running: 1 });
      expect(h.registered).toBe(true);

      expect(await asViewer()('metrics/handlers', {})).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
      await asAdmin()('jobs/cancel', { jobId: running });
    });
  });

  describe('jobs/facets and jobs/task-attempts', () => {
    it('offers the registered handlers, and every user to admins but only oneself to others', async () => {
      const asAdminFacets = (await asAdmin()('jobs/facets', {})).json;
      expect(asAdminFacets.handlers).toEqual(expect.arrayContaining(['page_bulk', 'page_metrics', 'page_retrying', 'page_sort']));
      expect(asAdminFacets.users).toEqual(expect.arrayContaining([{ id: adminPk, name: 'adminforth' }, { id: viewerPk, name: 'viewer' }]));
      expect(asAdminFacets).toMatchObject({ usersComplete: true, isAdmin: true });
      const asViewerFacets = (await asViewer()('jobs/facets', {})).json;
      expect(asViewerFacets.users).toEqual([{ id: viewerPk, name: 'viewer' }]);
    });

    it("lists a task's attempts with their errors and durations from the event log", async () => {
      const key = randomUUID();
      const jobId = await finishedJob(adminPk, 'attempts', 'page_retrying', 2, (i) => ({ failOnce: i === 1 ? key : undefined, ms: 10 }));
      const { status, json } = await asAdmin()('jobs/task-attempts', { jobId, taskIndex: 1 });
      expect(status).toBe(200);
      expect(json.complete).toBe(true);
      expect(json.attempts).toEqual([
        { attempt: 1, status: 'RETRIED', error: 'first attempt fails', startedAt: expect.any(String), endedAt: expect.any(String), durationMs: expect.any(Number) },
        { attempt: 2, status: 'DONE', error: null, startedAt: expect.any(String), endedAt: expect.any(String), durationMs: expect.any(Number) },
      ]);
      expect(json.attempts[1].durationMs).toBeGreaterThanOrEqual(5);
      expect((await asAdmin()('jobs/task-attempts', { jobId, taskIndex: 0 })).json.attempts).toHaveLength(1);
      // A job the viewer may not see answers as a missing one.
      expect(await asViewer()('jobs/task-attempts', { jobId, taskIndex: 0 })).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND' } } });
    });
  });
});
