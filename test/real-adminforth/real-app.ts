/**
 * What the checks against real AdminForth share: the loud skip when `AF_JOBS_REAL_ADMINFORTH` is
 * unset, logging in and calling the API over HTTP, the scratch app on a throwaway MySQL database
 * (scratch-app.ts installs it), and `bin/af-jobs.js` run with plain node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { MYSQL_URL, freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/demo-process.js';
import { eventually } from '../helpers/example-job.js';
import { plainEnv } from '../helpers/scratch-install.js';
import { installScratchApp, startScratchApp, type RunningApp, type ScratchApp } from './scratch-app.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../..');
export const BIN = path.join(REPO, 'bin/af-jobs.js');

/** The built AdminForth package the suite runs on; unset = every check is skipped. */
export const REAL_ADMINFORTH = process.env.AF_JOBS_REAL_ADMINFORTH;
/** md5(`af_pl_BackgroundJobsPlugin_jobs_BackgroundJobsPlugin`), contract §1.1. */
export const INSTANCE_ID = '0074ddcdd9e9f208d9af952ef7c971c0';
/** The auth cookie of an app whose brand slug is `adminforth` (the scratch app's). */
export const COOKIE_NAME = 'adminforth_adminforth_jwt';

/** Says plainly, once per file, that `what` did not run and how to run it. */
export function warnIfSkipped(what: string): void {
  if (REAL_ADMINFORTH) return;
  console.warn([
    '',
    `*** test/real-adminforth (${what}): SKIPPED — AF_JOBS_REAL_ADMINFORTH is not set. ***`,
    'This suite runs the packed plugin on REAL AdminForth, which is not in the npm registry and is not built by this repository.',
    'To run it, point the variable at an already built adminforth package (.tgz or folder) and have MariaDB/MySQL at AF_JOBS_MYSQL_URL:',
    '  AF_JOBS_REAL_ADMINFORTH=/path/to/adminforth-3.16.4.tgz npx vitest run test/real-adminforth',
    'See test/real-adminforth/README.md.',
    '',
  ].join('\n'));
}

/** Logs in through AdminForth's own `/adminapi/v1/login`; resolves to `name=value` of the auth cookie. */
export async function login(base: string, username: string, password: string, cookieName = COOKIE_NAME): Promise<string> {
  const response = await fetch(`${base}/adminapi/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${cookieName}=`));
  if (!cookie) throw new Error(`login ${username}: no ${cookieName} cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return cookie;
}

export interface ApiAnswer { status: number; type: string; text: string; json: any }

/** POST `base + pathname` with a JSON body; `cookie` undefined = anonymous. */
export async function post(base: string, pathname: string, body: unknown, cookie?: string): Promise<ApiAnswer> {
  const response = await fetch(`${base}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
}

/** A job's view from the plugin's `jobs/get` (as the cookie's user). */
export async function getJob(base: string, cookie: string, jobId: string): Promise<Record<string, any>> {
  const answer = await post(base, `/adminapi/v1/plugin/${INSTANCE_ID}/jobs/get`, { jobId }, cookie);
  if (answer.status !== 200) throw new Error(`jobs/get ${jobId}: ${answer.status} ${answer.text}`);
  return answer.json.job;
}

/** The scratch app on a throwaway MySQL database, logged in as its admin and its viewer. */
export interface MysqlScratchApp {
  base: string;
  scratch: ScratchApp;
  app: RunningApp;
  db: FreshDatabase;
  sql: mysql.Connection;
  cookies: { admin: string; viewer: string };
  /** Starts a job of `handler` through the app's `/api/conformance/start-job/` route; its id. */
  startJob(handler: string, tasks: { state: Record<string, unknown> }[], name?: string, who?: 'admin' | 'viewer'): Promise<string>;
  /** Waits until `jobs/get` says the job's status is `status`; the job. */
  waitForStatus(jobId: string, status: string, timeoutMs?: number): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export interface MysqlScratchAppOptions {
  /** More environment for the app (e.g. `AF_CONFORMANCE_BUNDLE=1`). */
  env?: Record<string, string>;
  /** Runs in the installed app's folder before it starts (e.g. to put a component in `custom/`). */
  prepare?: (appDir: string) => void | Promise<void>;
}

/**
 * Creates a database, installs and starts the scratch app (app/index.mjs) and logs in as both
 * users once the app has seeded them. Its temp folder is also the app's TMPDIR, so that the SPA
 * AdminForth builds (`$TMPDIR/adminforth/<brand>/spa_tmp`) goes away with it.
 */
export async function startMysqlScratchApp(options: MysqlScratchAppOptions = {}): Promise<MysqlScratchApp> {
  const db = await freshDatabase('mysql').catch((error: Error) => {
    throw new Error(`MariaDB/MySQL at ${MYSQL_URL} (AF_JOBS_MYSQL_URL) is unreachable: ${error.message}. Start it or point AF_JOBS_MYSQL_URL at a server.`, { cause: error });
  });
  let scratch: ScratchApp | undefined;
  let app: RunningApp | undefined;
  let sql: mysql.Connection | undefined;
  const close = async () => {
    await app?.stop();
    await sql?.end().catch(() => sql?.destroy());
    await db.drop();
    scratch?.remove();
  };
  try {
    await db.exec(fs.readFileSync(path.join(HERE, 'app/schema.sql'), 'utf8'));
    sql = await mysql.createConnection({ uri: db.url });
    scratch = await installScratchApp(REAL_ADMINFORTH!);
    await options.prepare?.(scratch.appDir);
    const tmpDir = path.join(scratch.scratch, 'tmp');
    fs.mkdirSync(tmpDir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    app = startScratchApp(scratch.appDir, { DATABASE_URL: db.url, PORT: String(port), ADMINFORTH_SECRET: 'real-adminforth-conformance', TMPDIR: tmpDir, ...options.env });
    const running = app;
    await running.waitForOutput('[conformance] users seeded', 120_000);
    const cookies = { admin: await login(base, 'adminforth', 'adminforth'), viewer: await login(base, 'viewer', 'viewer') };
    return {
      base, scratch, app, db, sql, cookies, close,
      async startJob(handler, tasks, name = `${handler} job`, who = 'admin') {
        const answer = await post(base, '/api/conformance/start-job/', { name, handler, tasks }, cookies[who]);
        if (answer.status !== 200 || !answer.json?.jobId) throw new Error(`start-job ${handler}: ${answer.status} ${answer.text}`);
        return String(answer.json.jobId);
      },
      // The seed's handler takes 3 s a task, one at a time.
      waitForStatus(jobId, status, timeoutMs = 120_000) {
        return eventually(`job ${jobId} ${status}`, async () => {
          const job = await getJob(base, cookies.admin, jobId);
          return job.status === status ? job : undefined;
        }, running.process, timeoutMs);
      },
    };
  } catch (error) {
    const output = app?.output();
    await close();
    if (output !== undefined) throw new Error(`${(error as Error).message}\n--- app output ---\n${output}`, { cause: error });
    throw error;
  }
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** A fresh `AF_JOBS_CONFIG` folder for the CLI's profiles; the caller removes it. */
export function cliConfigDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-real-cli-'));
}

/**
 * `node bin/af-jobs.js <args>` in `cwd`: plain node (the launcher loads the sources itself), no
 * colors, the profiles in `config`, no AF_JOBS_* from outside; `input` is written to stdin, else
 * stdin is closed (never a terminal).
 */
export async function afJobs(args: string[], options: { config: string; cwd?: string; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const env = plainEnv({ NO_COLOR: '1', AF_JOBS_CONFIG: options.config });
  for (const key of ['AF_JOBS_URL', 'AF_JOBS_TOKEN', 'AF_JOBS_PROFILE']) delete env[key];
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env,
    extendEnv: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
