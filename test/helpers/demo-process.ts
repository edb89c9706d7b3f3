/**
 * Runs the demo app (examples/demo) as a real child process: for crash tests (SIGKILL and
 * restart on the same SQLite file) and CLI tests. Every process started is killed by
 * `killDemoProcesses()` (call it in afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const running = new Set<ChildProcess>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DemoProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/**
 * Starts the demo and resolves once it listens. Without the admin UI (`DEMO_UI=off`) unless `env`
 * asks for it: many tests start demos at once, and each would build it on a fresh clone.
 */
export async function startDemo(env: Record<string, string>, port?: number): Promise<DemoProcess> {
  const p = port ?? await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/index.ts'], {
    cwd: ROOT,
    // DEMO_SCHEDULES off: the demo's every-minute schedule would add jobs to what tests count.
    env: { ...process.env, PORT: String(p), HOST: '127.0.0.1', ADMINFORTH_SECRET: 'demo-process-secret', DEMO_UI: 'off', DEMO_SCHEDULES: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve(code ?? signal ?? 'unknown');
  }));
  await new Promise<void>((resolve, reject) => {
    const check = () => { if (out.includes('is running at')) { cleanup(); resolve(); } };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`demo did not start within 30 s:\n${out}`)); }, 30_000);
    const onExit = () => { cleanup(); reject(new Error(`demo exited before it listened:\n${out}`)); };
    const cleanup = () => { clearTimeout(timer); child.stdout!.off('data', check); child.off('exit', onExit); };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });
  return { child, pid: child.pid!, url: `http://127.0.0.1:${p}`, output: () => out, exited };
}

export async function killDemoProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
}

/** Logs in through AdminForth's login endpoint; returns the Cookie header value. */
export async function loginTo(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/adminapi/v1/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().find((c) => c.includes('_jwt='));
  return cookie!.split(';')[0];
}

/** The demo's `POST /api/create-job/`. */
export async function createDemoJob(url: string, cookie: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/api/create-job/`, {
    method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await response.json() as { ok: boolean; jobId: string; error?: string };
  if (!json.ok) throw new Error(`create-job failed: ${JSON.stringify(json)}`);
  return json.jobId;
}
