/**
 * Conformance suite against REAL AdminForth (issue 16): the packed plugin, installed with an
 * already built AdminForth package and the real `@adminforth/connector-mysql`, in a
 * create-app-shaped app (`app/index.mjs`, the seed's jobs resource and routes) run with plain
 * `node` on a throwaway MariaDB/MySQL database; checked over real HTTP and a real websocket.
 *
 * Needs `AF_JOBS_REAL_ADMINFORTH` (path to a built adminforth .tgz or package folder). Without it
 * the suite is skipped, loudly. Building AdminForth is outside this repository: README.md here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/demo-process.js';
import { eventually } from '../helpers/example-job.js';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';
import { installScratchApp, startScratchApp, type RunningApp, type ScratchApp } from './scratch-app.js';

const REAL_ADMINFORTH = process.env.AF_JOBS_REAL_ADMINFORTH;
if (!REAL_ADMINFORTH) {
  console.warn([
    '',
    '*** test/real-adminforth: SKIPPED — AF_JOBS_REAL_ADMINFORTH is not set. ***',
    'This suite runs the packed plugin on REAL AdminForth, which is not in the npm registry and is not built by this repository.',
    'To run it, point the variable at an already built adminforth package (.tgz or folder) and have MariaDB/MySQL at AF_JOBS_MYSQL_URL:',
    '  AF_JOBS_REAL_ADMINFORTH=/path/to/adminforth-3.16.4.tgz npx vitest run test/real-adminforth',
    'See test/real-adminforth/README.md.',
    '',
  ].join('\n'));
}

const SCHEMA = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'app/schema.sql'), 'utf8');
/** md5(`af_pl_BackgroundJobsPlugin_jobs_BackgroundJobsPlugin`), contract §1.1. */
const INSTANCE_ID = '0074ddcdd9e9f208d9af952ef7c971c0';
const COOKIE_NAME = 'adminforth_adminforth_jwt';
const JOB_TOPIC = '/background-jobs-job-update';
/** The seed's handler sleeps 3 s a task, one at a time: its 6-task job takes 18 s. */
const JOB_MS = 90_000;

describe.skipIf(!REAL_ADMINFORTH)(`the packed plugin on real AdminForth (${REAL_ADMINFORTH ?? 'unset'}), MySQL connector`, () => {
  let scratch: ScratchApp | undefined;
  let db: FreshDatabase | undefined;
  let sql: mysql.Connection | undefined;
  let app: RunningApp | undefined;
  let startError: Error | undefined;
  let base = '';
  const cookies: Record<'admin' | 'viewer', string> = { admin: '', viewer: '' };
  const pks: Record<'admin' | 'viewer', string> = { admin: '', viewer: '' };

  beforeAll(async () => {
    // MariaDB first: a missing server fails in seconds, before the install.
    db = await freshDatabase('mysql').catch((error: Error) => {
      throw new Error(`MariaDB/MySQL at ${MYSQL_URL} (AF_JOBS_MYSQL_URL) is unreachable: ${error.message}. Start it or point AF_JOBS_MYSQL_URL at a server.`, { cause: error });
    });
    await db.exec(SCHEMA);
    sql = await mysql.createConnection({ uri: db.url });
    scratch = await installScratchApp(REAL_ADMINFORTH!);
    console.info(`real-adminforth: installed ${scratch.adminforth} in ${scratch.appDir}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = startScratchApp(scratch.appDir, { DATABASE_URL: db.url, PORT: String(port), ADMINFORTH_SECRET: 'real-adminforth-conformance' });
    try {
      // Users are seeded after discovery, one after the other: wait for the app to say both are.
      const running = app;
      await eventually('the app to seed its users', async () => (running.output().includes('[conformance] users seeded') ? true : undefined), app.process, 120_000);
      cookies.admin = await login('adminforth', 'adminforth');
      cookies.viewer = await login('viewer', 'viewer');
      pks.admin = await userPk('adminforth');
      pks.viewer = await userPk('viewer');
    } catch (error) {
      startError = new Error(`${(error as Error).message}\n--- app output ---\n${app.output()}`, { cause: error });
    }
  }, 600_000);

  afterAll(async () => {
    await closeTestSockets();
    await app?.stop();
    await sql?.end().catch(() => sql?.destroy());
    await db?.drop();
    scratch?.remove();
  }, 60_000);

  /** Every check but the first needs the app; a start-up failure is reported once, by the first. */
  function requireApp(): void {
    if (startError) throw new Error(`the app did not start on real AdminForth (see the first check): ${startError.message.split('\n')[0]}`);
  }

  async function login(username: string, password: string): Promise<string> {
    const response = await fetch(`${base}/adminapi/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
    const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${COOKIE_NAME}=`));
    if (!cookie) throw new Error(`login ${username}: no ${COOKIE_NAME} cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
    return cookie;
  }

  async function userPk(email: string): Promise<string> {
    const [rows] = await sql!.query('SELECT id FROM adminuser WHERE email = ?', [email]);
    return String((rows as { id: string }[])[0]!.id);
  }

  async function jobRow(id: string): Promise<Record<string, unknown> | undefined> {
    const [rows] = await sql!.query('SELECT * FROM jobs WHERE id = ?', [id]);
    return (rows as Record<string, unknown>[])[0];
  }

  /** POST to `/adminapi/v1<path>` with JSON; `cookie` undefined = anonymous. */
  async function api(pathname: string, body: unknown, cookie?: string): Promise<{ status: number; type: string; text: string; json: any }> {
    const response = await fetch(`${base}/adminapi/v1${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
  }

  /**
   * Starts the seed's example job through its route as `who` and resolves to the job's id, found
   * in the jobs table (the route answers no id), once its row says DONE.
   */
  async function runSeedJob(who: 'admin' | 'viewer'): Promise<string> {
    const [before] = await sql!.query('SELECT id FROM jobs');
    const known = new Set((before as { id: string }[]).map((r) => r.id));
    const response = await fetch(`${base}/api/create-job/`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookies[who] } });
    const text = await response.text();
    expect({ status: response.status, text }, `POST /api/create-job/ as ${who}`).toEqual({ status: 200, text: JSON.stringify({ ok: true, message: 'Job started' }) });
    const id = await eventually(`the ${who}'s new job row`, async () => {
      const [rows] = await sql!.query('SELECT id FROM jobs WHERE started_by = ?', [pks[who]]);
      return (rows as { id: string }[]).map((r) => r.id).find((jobId) => !known.has(jobId));
    }, app!.process, JOB_MS);
    await eventually(`job ${id} DONE`, async () => ((await jobRow(id))?.status === 'DONE' ? true : undefined), app!.process, JOB_MS);
    return id;
  }

  // Jobs shared by the checks: one started by the admin, one by the viewer (memoised).
  let adminJob: Promise<string> | undefined;
  let viewerJob: Promise<string> | undefined;
  const theAdminJob = () => (adminJob ??= runSeedJob('admin'));
  const theViewerJob = () => (viewerJob ??= runSeedJob('viewer'));

  it('starts: the seed app runs under plain node on the installed adminforth, users seeded', () => {
    if (startError) throw startError;
    expect(scratch!.adminforth).toMatch(/^adminforth@3\./);
    // The real package, not this repository's test host: it ships AdminForth's own CLI.
    expect(fs.existsSync(path.join(scratch!.appDir, 'node_modules/adminforth/commands/cli.js'))).toBe(true);
    expect(app!.output()).toContain('[conformance] users seeded');
  });

  it('login: admin and viewer get the adminforth_adminforth_jwt cookie; a wrong password is 401', async () => {
    requireApp();
    expect(cookies.admin).toMatch(new RegExp(`^${COOKIE_NAME}=.+`));
    expect(cookies.viewer).toMatch(new RegExp(`^${COOKIE_NAME}=.+`));
    const wrong = await api('/login', { username: 'viewer', password: 'nope' });
    expect([wrong.status, wrong.json]).toEqual([401, { error: 'Invalid username or password' }]);
  });

  it('anonymous: the plugin endpoints and the seed route answer 401 "Unauthorized by AdminForth" as text', async () => {
    requireApp();
    const paths = [`/plugin/${INSTANCE_ID}/jobs/list`, `/plugin/${INSTANCE_ID}/jobs/get`, `/plugin/${INSTANCE_ID}/get-list-of-jobs`, '/plugin/background-jobs/instances'];
    for (const pathname of paths) {
      const response = await api(pathname, pathname.endsWith('jobs/get') ? { jobId: 'x' } : {});
      expect({ pathname, status: response.status, type: response.type, text: response.text })
        .toEqual({ pathname, status: 401, type: expect.stringMatching(/^text\/html/), text: 'Unauthorized by AdminForth' });
    }
    const route = await fetch(`${base}/api/create-job/`, { method: 'POST' });
    expect([route.status, await route.text()]).toEqual([401, 'Unauthorized by AdminForth']);
  });

  it("the seed's create-job route (getPluginByClassName('default')) answers 200 and the job reaches DONE", async () => {
    requireApp();
    const id = await theAdminJob();
    const row = await jobRow(id);
    expect(row).toMatchObject({ name: 'Example Job', job_handler_name: 'example_job_handler', status: 'DONE', progress: '100', started_by: pks.admin });
  });

  it("getPluginByClassName('default') at start-up finds the plugin: what the seed registers through it takes effect", async () => {
    requireApp();
    expect(app!.output()).not.toContain("getPluginByClassName('default') failed");
    expect(app!.output()).toContain('[conformance] registered through the default lookup');
    const jobId = await theAdminJob();
    const tasks = await api(`/plugin/${INSTANCE_ID}/jobs/tasks`, { jobId }, cookies.admin);
    expect(tasks.status, tasks.text).toBe(200);
    expect(tasks.json.tasks.map((task: { status: string; state: Record<string, unknown> }) => [task.status, task.state]))
      .toEqual([1, 2, 3, 4, 5, 6].map((step) => ['DONE', { step, [step]: `Step ${step} completed` }]));
    // The seed's component, registered only through 'default', is the job's renderer.
    const list = await api(`/plugin/${INSTANCE_ID}/get-list-of-jobs`, {}, cookies.admin);
    expect(list.status, list.text).toBe(200);
    expect(list.json.jobs.find((job: { id: unknown }) => String(job.id) === jobId)?.customComponent).toMatchObject({ file: '@@/JobCustomComponent.vue' });
  });

  it('discovery: /plugin/background-jobs/instances names the instance for admin and viewer', async () => {
    requireApp();
    const admin = await api('/plugin/background-jobs/instances', {}, cookies.admin);
    expect(admin.status, admin.text).toBe(200);
    expect(admin.json.instances).toEqual([expect.objectContaining({ instanceId: INSTANCE_ID, resourceId: 'jobs', apiPath: `/adminapi/v1/plugin/${INSTANCE_ID}`, isAdmin: true })]);
    expect(admin.json.user).toMatchObject({ pk: pks.admin, username: 'adminforth', via: 'cookie' });
    expect(admin.json.websocket).toMatchObject({ path: '/afws', jobTopic: JOB_TOPIC });
    const viewer = await api('/plugin/background-jobs/instances', {}, cookies.viewer);
    expect(viewer.status, viewer.text).toBe(200);
    expect(viewer.json.instances).toEqual([expect.objectContaining({ instanceId: INSTANCE_ID, isAdmin: false })]);
  });

  it('schedules/*: the admin lists, pauses, resumes and runs the app\'s schedule (its job says so); the viewer gets 403', async () => {
    requireApp();
    const schedules = (action: string, body: unknown, cookie?: string) => api(`/plugin/${INSTANCE_ID}/schedules/${action}`, body, cookie);
    const list = await schedules('list', {}, cookies.admin);
    expect(list.status, list.text).toBe(200);
    expect(list.json.schedules).toEqual([expect.objectContaining({
      name: 'conformance-yearly', cron: '0 12 1 1 *', timezone: 'UTC', jobHandlerName: 'slow_job_handler', paused: false,
      nextRunAt: expect.stringMatching(/-01-01T12:00:00\.000Z$/),
    })]);
    const paused = await schedules('pause', { name: 'conformance-yearly' }, cookies.admin);
    expect([paused.status, paused.json?.schedule?.paused, paused.json?.schedule?.nextRunAt]).toEqual([200, true, null]);
    const resumed = await schedules('resume', { name: 'conformance-yearly' }, cookies.admin);
    expect([resumed.status, resumed.json?.schedule?.paused]).toEqual([200, false]);
    const run = await schedules('run', { name: 'conformance-yearly' }, cookies.admin);
    expect(run.status, run.text).toBe(200);
    const job = await api(`/plugin/${INSTANCE_ID}/jobs/get`, { jobId: run.json.jobId }, cookies.admin);
    expect(job.json.job).toMatchObject({ name: 'Scheduled conformance job', handler: 'slow_job_handler', startedBy: null, schedule: { name: 'conformance-yearly', tick: null } });
    const unknown = await schedules('run', { name: 'no-such-schedule' }, cookies.admin);
    expect([unknown.status, unknown.json?.error?.code, unknown.json?.error?.field]).toEqual([404, 'NOT_FOUND', 'name']);
    const viewer = await schedules('list', {}, cookies.viewer);
    expect([viewer.status, viewer.json?.error?.code]).toEqual([403, 'FORBIDDEN']);
  });

  it("jobs/list and jobs/get: the admin sees its job; the viewer gets 404 NOT_FOUND and an empty list of it", async () => {
    requireApp();
    const id = await theAdminJob();
    const got = await api(`/plugin/${INSTANCE_ID}/jobs/get`, { jobId: id }, cookies.admin);
    expect(got.status, got.text).toBe(200);
    expect(got.json.job).toMatchObject({ id, name: 'Example Job', handler: 'example_job_handler', status: 'DONE', progress: 100, startedBy: pks.admin });
    const list = await api(`/plugin/${INSTANCE_ID}/jobs/list`, {}, cookies.admin);
    expect(list.status, list.text).toBe(200);
    expect(list.json.jobs.map((j: { id: string }) => j.id)).toContain(id);

    const hidden = await api(`/plugin/${INSTANCE_ID}/jobs/get`, { jobId: id }, cookies.viewer);
    expect([hidden.status, hidden.json?.error?.code, hidden.json?.error?.field]).toEqual([404, 'NOT_FOUND', 'jobId']);
    const viewerList = await api(`/plugin/${INSTANCE_ID}/jobs/list`, {}, cookies.viewer);
    expect(viewerList.status, viewerList.text).toBe(200);
    expect(viewerList.json.jobs.map((j: { id: string }) => j.id)).not.toContain(id);
  });

  it("the official get-list-of-jobs and get-background-job-info: the viewer never sees the admin's job", async () => {
    requireApp();
    const id = await theAdminJob();
    const admin = await api(`/plugin/${INSTANCE_ID}/get-list-of-jobs`, {}, cookies.admin);
    expect(admin.status, admin.text).toBe(200);
    expect(admin.json.jobs.find((j: { id: string }) => j.id === id)).toMatchObject({ id, name: 'Example Job', status: 'DONE' });
    const viewer = await api(`/plugin/${INSTANCE_ID}/get-list-of-jobs`, {}, cookies.viewer);
    expect(viewer.status, viewer.text).toBe(200);
    expect(viewer.json.jobs.map((j: { id: string }) => j.id)).not.toContain(id);
    const info = await api('/plugin/get-background-job-info', { jobId: id }, cookies.viewer);
    expect([info.status, info.json]).toEqual([200, { ok: false, message: `Job with id ${id} not found.` }]);
  });

  it('websocket /afws: the admin gets its job\'s events on /background-jobs-job-update, the viewer none of them', async () => {
    requireApp();
    const wsUrl = `${base.replace(/^http/, 'ws')}/afws`;
    const [adminSocket, viewerSocket] = [await TestSocket.open(wsUrl, cookies.admin), await TestSocket.open(wsUrl, cookies.viewer)];
    for (const socket of [adminSocket, viewerSocket]) socket.send({ type: 'subscribe', topic: JOB_TOPIC });
    // No acknowledgement (contract §4): the viewer's own job proves its subscription is live.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const isDone = (jobId: () => string | undefined) => (frame: string) => {
      const message = JSON.parse(frame);
      return message.type === 'message' && message.topic === JOB_TOPIC && message.data?.status === 'DONE' && (jobId() === undefined || message.data.jobId === jobId());
    };
    viewerJob = runSeedJob('viewer');
    const [ownDone, viewerJobId] = await Promise.all([viewerSocket.next(isDone(() => undefined), JOB_MS), viewerJob]);
    expect(JSON.parse(ownDone).data.jobId).toBe(viewerJobId);

    const adminJobId = await runSeedJob('admin'); // started while both sockets listen
    await adminSocket.next(isDone(() => adminJobId), JOB_MS);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // room for a stray delivery
    const leaked = viewerSocket.messagesFor(JOB_TOPIC).filter((m) => (m as { data?: { jobId?: string } }).data?.jobId === adminJobId);
    expect(leaked).toEqual([]);
    expect(viewerSocket.frames.filter((f) => f.includes(adminJobId))).toEqual([]);
  });

  const listAs = (cookie: string) => api('/get_resource_data', { resourceId: 'jobs', source: 'list', filters: [], sort: [], limit: 100, offset: 0 }, cookie);
  const showAs = (cookie: string, id: string) => api('/get_resource_data', { resourceId: 'jobs', source: 'show', filters: [{ field: 'id', operator: 'eq', value: id }], sort: [], limit: 1, offset: 0 }, cookie);
  /** `started_by` as the list answers it: a foreign-resource column comes as `{ label, pk }`. */
  const starter = (row: Record<string, any>) => (row.started_by && typeof row.started_by === 'object' ? String(row.started_by.pk) : String(row.started_by));

  it("the jobs resource's list (get_resource_data) as the viewer shows only the viewer's own jobs", async () => {
    requireApp();
    const [adminJobId, viewerJobId] = [await theAdminJob(), await theViewerJob()];
    const list = await listAs(cookies.viewer);
    expect(list.status, list.text).toBe(200);
    expect(list.json.error, list.text).toBeUndefined();
    const ids = list.json.data.map((row: { id: string }) => row.id);
    expect(ids).toContain(viewerJobId);
    expect(ids).not.toContain(adminJobId);
    expect(list.json.data.map(starter)).toEqual(list.json.data.map(() => pks.viewer));
  });

  it("the jobs resource's show (get_resource_data source 'show') of the admin's job as the viewer returns no row", async () => {
    requireApp();
    const id = await theAdminJob();
    const show = await showAs(cookies.viewer, id);
    expect(show.status, show.text).toBe(200);
    expect(show.json.data ?? [], show.text).toEqual([]);
  });

  it("delete_record of the admin's job as the viewer is refused and the row stays", async () => {
    requireApp();
    const id = await theAdminJob();
    const response = await api('/delete_record', { resourceId: 'jobs', primaryKey: id }, cookies.viewer);
    expect(response.status >= 400 || typeof response.json?.error === 'string', `delete_record answered ${response.status} ${response.text}`).toBe(true);
    expect(await jobRow(id)).toMatchObject({ id, status: 'DONE' });
  });

  it('MySQL DATETIME: finished_at comes back in whole seconds (get_resource_data as admin)', async () => {
    requireApp();
    const id = await theAdminJob();
    const show = await showAs(cookies.admin, id);
    expect(show.status, show.text).toBe(200);
    expect(show.json.data, show.text).toHaveLength(1);
    const finishedAt = show.json.data[0].finished_at as string;
    expect(finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000)?Z$/);
    expect(new Date(finishedAt).getUTCMilliseconds()).toBe(0);
  });
});
