/**
 * End to end (issue 7): a create-app-shaped SQLite app gets `init --yes` + `add-handler` +
 * `add-component`; its tables come from the generated SQL migration; the generated handler test
 * passes; the app starts on the test host in its own process (`node --import tsx index.ts`, as
 * `npm run dev` runs it), and a job started through the generated route reaches DONE.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { ADMINUSER_TABLE_SQL } from '../helpers/app.js';
import { copyFixture, removeCopies, runInProcess } from './helpers.js';
import { freePort } from '../helpers/demo-process.js';
import { runExampleJob } from '../helpers/example-job.js';

let app: ResultPromise | undefined;
afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill('SIGKILL');
    await app.catch(() => {});
  }
  removeCopies();
});

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
    const row = await runExampleJob(base, dbFile, app);
    expect(row).toMatchObject({ name: 'Example Job', job_handler_name: 'example_job_handler', progress: '100' });
    expect(row.finished_at).toBeTruthy();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- app output ---\n${output.join('')}`, { cause: error });
  } finally {
    app.kill('SIGTERM');
    await app;
  }
}, 90_000);
