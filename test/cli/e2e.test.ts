/**
 * End to end (issue 7): a create-app-shaped SQLite app gets `init --yes` + `add-handler` +
 * `add-component`; its tables come from the generated SQL migration; the generated handler test
 * passes; the app starts on the test host in its own process (`node --import tsx index.ts`, as
 * `npm run dev` runs it), and a job started through the generated route reaches DONE.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { ADMINUSER_TABLE_SQL } from '../helpers/app.js';
import { copyFixture, removeCopies, runInProcess } from './helpers.js';

let app: ResultPromise | undefined;
afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill('SIGKILL');
    await app.catch(() => {});
  }
  removeCopies();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Retries `attempt` until it returns a value, or fails with what it last saw (at once if the app died). */
async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (app && app.exitCode !== null) throw new Error(`${what}: the app exited with code ${app.exitCode}`);
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: gave up after ${timeoutMs} ms (last error: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('init + add-handler + add-component, then a job started through the generated route reaches DONE', async () => {
  const dir = copyFixture('sqlite-prisma', { linkModules: true });
  for (const argv of [
    ['init', '--yes', '--migration', 'sql'],
    ['add-handler', 'send-emails', '--max-attempts', '2'],
    ['add-component', 'send-emails'],
  ]) {
    const result = await runInProcess([...argv, '--dir', dir]);
    expect(result.code, `${argv.join(' ')}\n${result.stderr}`).toBe(0);
  }

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
    // The app seeds adminforth/adminforth after discovery; log in once it has.
    const cookie = await eventually('login', async () => {
      const response = await fetch(`${base}/adminapi/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }),
      });
      if (response.status !== 200) return undefined;
      return response.headers.getSetCookie()[0]!.split(';')[0]!;
    });

    const response = await fetch(`${base}/api/create-job/`, { method: 'POST', headers: { 'content-type': 'application/json', cookie } });
    const body = (await response.json()) as { ok: boolean; jobId: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.ok).toBe(true);

    const reader = new Database(dbFile, { readonly: true });
    try {
      const row = await eventually('job DONE', async () => {
        const job = reader.prepare('SELECT * FROM jobs WHERE id = ?').get(body.jobId) as Record<string, unknown> | undefined;
        return job?.status === 'DONE' ? job : undefined;
      });
      expect(row).toMatchObject({ name: 'Example Job', job_handler_name: 'example_job_handler', progress: '100' });
      expect(row.finished_at).toBeTruthy();
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
