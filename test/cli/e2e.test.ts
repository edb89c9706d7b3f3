/**
 * End to end (issue 7): a create-app-shaped SQLite app gets `init --yes` + `add-handler` (through
 * the real binary) + `add-component`; its tables come from the generated SQL migration; the
 * generated handler test passes; the app starts on the test host in its own process
 * (`node --import tsx index.ts`, as `npm run dev` runs it), and a job started through the example
 * route reaches DONE — and so does one of the new handler started through the start route
 * add-handler generated (issue 19 §9), with the body its next steps print, after the route
 * refused bad bodies with 400 and what is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { ADMINUSER_TABLE_SQL } from '../helpers/app.js';
import { copyFixture, removeCopies, runBin, runInProcess } from './helpers.js';
import { freePort } from '../helpers/demo-process.js';
import { appWait, runExampleJob } from '../helpers/example-job.js';
import { until } from '../helpers/wait.js';

let app: ResultPromise | undefined;
afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill('SIGKILL');
    await app.catch(() => {});
  }
  removeCopies();
});

it('init + add-handler + add-component, then jobs started through the generated routes reach DONE', async () => {
  const dir = copyFixture('sqlite-prisma', { linkModules: true });
  const init = await runInProcess(['init', '--yes', '--migration', 'sql', '--dir', dir]);
  expect(init.code, init.stderr).toBe(0);
  const addHandler = await runBin(['add-handler', 'send-emails', '--max-attempts', '2', '--dir', dir]);
  expect(addHandler.code, addHandler.stderr).toBe(0);
  const component = await runInProcess(['add-component', 'send-emails', '--dir', dir]);
  expect(component.code, component.stderr).toBe(0);
  // The start request its next steps print: `curl -b cookies.txt ... -d '<body>' http://localhost:3500<path>`.
  const printed = /curl -b cookies\.txt .* -d '([^']+)' http:\/\/localhost:3500(\S+)$/m.exec(addHandler.stderr);
  expect(printed, addHandler.stderr).not.toBeNull();
  const [, printedBody, startPath] = printed!;
  expect(startPath).toBe('/api/jobs/send-emails/start');

  // The generated handler test passes, with the plugin's testing entry.
  const handlerTest = await execa(process.execPath, ['--import', 'tsx', '--test', 'jobs/send-emails.test.ts'], { cwd: dir, reject: false });
  expect(handlerTest.exitCode, handlerTest.stdout + handlerTest.stderr).toBe(0);

  // The tables: adminuser as create-app's migration makes it, jobs from the generated migration.
  const dbFile = path.join(dir, 'app.sqlite');
  const db = new Database(dbFile);
  db.exec(ADMINUSER_TABLE_SQL.sqlite);
  db.exec(fs.readFileSync(path.join(dir, 'migrations/create_jobs.sql'), 'utf8'));
  db.close();

  const port = await freePort();
  const output: string[] = [];
  app = execa(process.execPath, ['--import', 'tsx', 'index.ts'], {
    cwd: dir,
    env: { DATABASE_URL: 'sqlite://app.sqlite', PORT: String(port), ADMINFORTH_SECRET: 'e2e-secret', NODE_ENV: 'production' },
    reject: false,
    all: true,
  });
  app.all?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const base = `http://127.0.0.1:${port}`;

  try {
    const row = await runExampleJob(base, dbFile, app);
    expect(row).toMatchObject({ name: 'Example Job', job_handler_name: 'example_job_handler', progress: '100' });
    expect(row.finished_at).toBeTruthy();

    // The generated start route of send_emails.
    const login = await fetch(`${base}/adminapi/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }),
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const start = async (body: string, headers: Record<string, string> = { cookie }) => {
      const response = await fetch(`${base}${startPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await response.text();
      return { status: response.status, text, json: text.startsWith('{') ? JSON.parse(text) : null };
    };
    expect((await start(printedBody, {})).status).toBe(401);
    for (const [body, error] of [
      ['[]', 'the body must be a JSON object'],
      ['{}', '"tasks" must be a non-empty array'],
      ['{"tasks":[]}', '"tasks" must be a non-empty array'],
      ['{"tasks":[{"state":{}},{"state":[1]}]}', 'tasks[1].state must be an object'],
      ['{"tasks":[{"state":{}},"x"]}', 'tasks[1] must be an object'],
      ['{"name":"","tasks":[{"state":{}}]}', '"name" must be a non-empty string'],
      // Refused by the plugin itself (INVALID_INPUT), answered 400 by the route.
      [`{"name":"${'x'.repeat(300)}","tasks":[{"state":{}}]}`, 'job name'],
    ] as const) {
      const refused = await start(body);
      expect([refused.status, refused.json?.ok], `${body} → ${refused.text}`).toEqual([400, false]);
      expect(refused.json.error).toContain(error);
    }
    const started = await start(printedBody);
    expect(started.status, `${started.text}\n${output.join('')}`).toBe(200);
    expect(started.json).toMatchObject({ ok: true, jobId: expect.anything() });
    const reader = new Database(dbFile, { readonly: true });
    try {
      const job = await until('send_emails job DONE', async () => {
        const found = reader.prepare('SELECT * FROM jobs WHERE id = ?').get(started.json.jobId) as Record<string, unknown> | undefined;
        return found?.status === 'DONE' ? found : undefined;
      }, appWait(app));
      expect(job).toMatchObject({ name: 'Send emails', job_handler_name: 'send_emails', progress: '100' });
    } finally {
      reader.close();
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- app output ---\n${output.join('')}`, { cause: error });
  } finally {
    app.kill('SIGTERM');
    await app;
  }
}, 90_000);
