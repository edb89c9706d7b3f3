/**
 * Recurring schedules over HTTP (docs/http-api.md "Schedules"): `schedules/list|pause|resume|run`
 * for admins only, in the API's one error shape; and the job object's `schedule` (jobs/get,
 * jobs/list) for a job a tick started and one a run now started. The `af-jobs schedules`
 * commands are written against exactly these answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsApp } from './fixtures.js';
import { pluginCall, post, startAppWithUsers, type Credentials } from './http-helpers.js';
import { untilValue } from '../helpers/wait.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(kinds)('schedules over HTTP (%s)', (kind) => {
  let app: JobsApp;
  let admin: Credentials;
  let viewer: Credentials;

  beforeAll(async () => {
    ({ app, admin, viewer } = await startAppWithUsers(kind));
    app.plugin.registerTaskHandler({ jobHandlerName: 'report', handler: async () => {} });
    // Once a year: it does not tick while the test runs; `run` starts its jobs.
    app.plugin.registerSchedule({ name: 'yearly-report', cron: '0 0 1 1 *', timezone: 'Europe/Berlin', jobHandlerName: 'report', jobName: 'Yearly report', tasks: () => [{ state: { n: 1 } }] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const asAdmin = () => pluginCall(app, admin);
  const asViewer = () => pluginCall(app, viewer);

  it('schedules/list: every schedule with its next and last run', async () => {
    const { status, json } = await asAdmin()('schedules/list', {});
    expect(status).toBe(200);
    expect(json.schedules).toContainEqual({
      name: 'yearly-report', cron: '0 0 1 1 *', timezone: 'Europe/Berlin', jobHandlerName: 'report', jobName: 'Yearly report',
      overlap: 'skip', catchUp: 'last', paused: false, nextRunAt: expect.stringMatching(ISO), lastRunAt: null, lastTick: null, lastJobId: null,
    });
    const next = json.schedules.find((s: any) => s.name === 'yearly-report').nextRunAt;
    // Midnight of January 1st in Berlin (CET, UTC+1) is 23:00 UTC the day before.
    expect(next).toMatch(/^\d{4}-12-31T23:00:00.000Z$/);
  });

  it('schedules/pause and schedules/resume answer the schedule; the pause is in the database', async () => {
    const paused = await asAdmin()('schedules/pause', { name: 'yearly-report' });
    expect(paused.status).toBe(200);
    expect(paused.json.schedule).toMatchObject({ name: 'yearly-report', paused: true, nextRunAt: null });
    expect((await asAdmin()('schedules/list')).json.schedules.find((s: any) => s.name === 'yearly-report').paused).toBe(true);
    const resumed = await asAdmin()('schedules/resume', { name: 'yearly-report' });
    expect(resumed.status).toBe(200);
    expect(resumed.json.schedule).toMatchObject({ name: 'yearly-report', paused: false, nextRunAt: expect.stringMatching(ISO) });
  });

  it('schedules/run starts a job now; the job object says which schedule started it (tick null)', async () => {
    const { status, json } = await asAdmin()('schedules/run', { name: 'yearly-report' });
    expect(status).toBe(200);
    expect(json).toEqual({ schedule: expect.objectContaining({ name: 'yearly-report', lastJobId: json.jobId, lastRunAt: expect.stringMatching(ISO), lastTick: null }), jobId: expect.any(String) });
    const job = (await asAdmin()('jobs/get', { jobId: json.jobId })).json.job;
    expect(job).toMatchObject({ id: json.jobId, name: 'Yearly report', handler: 'report', startedBy: null, schedule: { name: 'yearly-report', tick: null } });
    const listed = (await asAdmin()('jobs/list', { handler: 'report' })).json.jobs.find((j: any) => j.id === json.jobId);
    expect(listed.schedule).toEqual({ name: 'yearly-report', tick: null });
  });

  it('a job started by a tick shows the schedule and the tick; other jobs show null', async () => {
    app.plugin.registerSchedule({ name: 'every-second', cron: '* * * * * *', overlap: 'allow', jobHandlerName: 'report', tasks: () => [{ state: {} }] });
    const fired = await untilValue('the every-second schedule to start a job',
      async () => (await asAdmin()('schedules/list')).json.schedules.find((s: any) => s.name === 'every-second'),
      (s) => s?.lastJobId !== null && s?.lastTick !== null);
    await asAdmin()('schedules/pause', { name: 'every-second' });
    const job = (await asAdmin()('jobs/get', { jobId: fired.lastJobId })).json.job;
    expect(job.schedule).toEqual({ name: 'every-second', tick: fired.lastTick });
    expect(Date.parse(fired.lastTick) % 1000).toBe(0);
    const other = String(await app.plugin.startNewJob('by hand', null, [{ state: {} }], 'report'));
    expect((await asAdmin()('jobs/get', { jobId: other })).json.job.schedule).toBeNull();
  });

  it('non-admins get 403 FORBIDDEN on every schedules endpoint, whatever the name', async () => {
    for (const [action, body] of [['list', {}], ['pause', { name: 'yearly-report' }], ['resume', { name: 'nope' }], ['run', { name: 'yearly-report' }]] as const) {
      const answer = await asViewer()(`schedules/${action}`, body);
      expect({ action, status: answer.status, code: answer.json?.error?.code }).toEqual({ action, status: 403, code: 'FORBIDDEN' });
    }
    expect((await asAdmin()('schedules/list')).json.schedules.find((s: any) => s.name === 'yearly-report').paused).toBe(false);
  });

  it('an unknown schedule is 404 NOT_FOUND naming the field; a malformed body is 400 INVALID_INPUT', async () => {
    for (const action of ['pause', 'resume', 'run']) {
      const answer = await asAdmin()(`schedules/${action}`, { name: 'no-such-schedule' });
      expect(answer.status).toBe(404);
      expect(answer.json.error).toEqual({ code: 'NOT_FOUND', message: expect.stringMatching(/No schedule named 'no-such-schedule' \(registered: .*yearly-report/), field: 'name' });
    }
    expect((await asAdmin()('schedules/pause', {})).json.error).toEqual({ code: 'INVALID_INPUT', message: "Field 'name' is required.", field: 'name' });
    expect((await asAdmin()('schedules/pause', { name: 'a b' })).json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
    const extra = await asAdmin()('schedules/list', { all: true });
    expect(extra.status).toBe(400);
    expect(extra.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'all' });
  });

  it("answers AdminForth's 401 text without credentials", async () => {
    const answer = await post(app, `/plugin/${app.plugin.pluginInstanceId}/schedules/list`, {}, null);
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 401, text: 'Unauthorized by AdminForth' });
  });
});
