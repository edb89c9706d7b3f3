/**
 * Helpers of the CLI tests of the job commands (issue 8): `bin/af-jobs.js` spawned with execa and
 * `AF_JOBS_CONFIG` in a temp folder, a long-running spawn (`tail`) whose output a test can wait
 * on, and a small HTTP + websocket proxy in front of the demo that can drop its websockets or
 * refuse upgrades (what a flaky network or a proxy without websocket support does).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { createContext, type Prompts } from '../../src/context.js';
import { runCli } from '../../src/main.js';
import { BIN, NO_PROMPTS, REPO, type CliResult } from './helpers.js';
import { until } from '../helpers/wait.js';
import { EXIT } from '../../src/errors.js';
import { loginTo, startDemo, type DemoProcess } from '../helpers/demo-process.js';

const tempDirs: string[] = [];

/** A fresh config folder (`AF_JOBS_CONFIG`); removed by `removeConfigDirs()`. */
export function configDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-config-'));
  tempDirs.push(dir);
  return path.join(dir, 'af-jobs');
}

export function removeConfigDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface AfOptions {
  config: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin (else stdin is closed: never a terminal). */
  input?: string;
}

/** The environment of a spawned CLI: no colors, this config folder, no AF_JOBS_* from outside. */
function cliEnv(options: AfOptions): Record<string, string | undefined> {
  return {
    NO_COLOR: '1',
    AF_JOBS_CONFIG: options.config,
    AF_JOBS_URL: undefined,
    AF_JOBS_TOKEN: undefined,
    AF_JOBS_PROFILE: undefined,
    ...options.env,
  };
}

/** Runs `af-jobs <args>` to its end. */
export async function af(args: string[], options: AfOptions): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    cwd: REPO,
    env: cliEnv(options),
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
    reject: false,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A running `af-jobs` (e.g. `tail`): its output so far, and a wait for a line of it. */
export class RunningCli {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliResult>;
  private readonly process: ResultPromise;

  constructor(args: string[], options: AfOptions) {
    this.process = execa('node', [BIN, ...args], { cwd: REPO, env: cliEnv(options), stdin: 'ignore', reject: false, buffer: false });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => { this.stdout += chunk; });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk; });
    this.done = this.process.then((result) => ({ code: result.exitCode ?? -1, stdout: this.stdout, stderr: this.stderr }));
  }

  /** Resolves once `match` holds for the output so far (fails after `timeoutMs`, or when the CLI ended). */
  async waitFor(match: (stdout: string, stderr: string) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    let ended = false;
    void this.done.then(() => { ended = true; });
    await until(what, () => match(this.stdout, this.stderr), {
      timeoutMs, intervalMs: 25,
      giveUpIf: () => ended && !match(this.stdout, this.stderr) && 'af-jobs ended',
      explain: () => `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
    });
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }
}

/** `-o jsonl` output as objects. */
export function jsonLines<T = Record<string, any>>(stdout: string): T[] {
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/**
 * Runs the CLI in this process with stdout and stderr claiming to be terminals: what a spawned
 * process with pipes cannot show (tables with borders, the progress bar).
 */
export async function afInTerminal(args: string[], options: { config: string; env?: Record<string, string>; prompts?: Prompts }): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.AF_JOBS_URL;
  delete env.AF_JOBS_TOKEN;
  delete env.AF_JOBS_PROFILE;
  Object.assign(env, { NO_COLOR: '1', AF_JOBS_CONFIG: options.config }, options.env);
  const ctx = createContext({
    cwd: REPO, env, stdout, stderr, stdoutIsTTY: true, stderrIsTTY: true, color: false,
    // A terminal on stdin too when the test scripts the answers.
    isTTY: options.prompts !== undefined,
    prompts: options.prompts ?? NO_PROMPTS,
  });
  const code = await runCli(args, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * An HTTP proxy in front of `target` that also tunnels websocket upgrades. `dropWebsockets()`
 * cuts every tunnelled socket (the CLI sees a network failure); with `refuseUpgrades` it answers
 * upgrades `502`, as a proxy without websocket support does.
 */
export class TestProxy {
  refuseUpgrades = false;
  /** Upgrades tunnelled so far. */
  upgrades = 0;
  private readonly tunnels = new Set<net.Socket>();

  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(target: string): Promise<TestProxy> {
    const { hostname, port } = new URL(target);
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TestProxy(server, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    server.on('request', (req, res) => {
      const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    server.on('upgrade', (req, socket, head) => {
      if (proxy.refuseUpgrades) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      proxy.upgrades += 1;
      const upstream = net.connect(Number(port), hostname, () => {
        let headLines = `${req.method} ${req.url} HTTP/1.1\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2) headLines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        upstream.write(`${headLines}\r\n`);
        if (head.length) upstream.write(head);
        socket.pipe(upstream).pipe(socket);
      });
      for (const end of [socket as net.Socket, upstream]) {
        proxy.tunnels.add(end);
        end.on('close', () => proxy.tunnels.delete(end));
        end.on('error', () => {
          socket.destroy();
          upstream.destroy();
        });
      }
    });
    return proxy;
  }

  dropWebsockets(): void {
    for (const socket of this.tunnels) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropWebsockets();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A demo app in its own process, the CLI logged in to it as `adminforth` (profile in `config`), and the plugin's API as that user. */
export interface LoggedInDemo {
  demo: DemoProcess;
  /** The demo's database folder (remove it after the tests). */
  dbDir: string;
  config: string;
  cookie: string;
  /** POST to the plugin's endpoint `action` (the instance the CLI's profile found) as adminforth. */
  api(action: string, body: unknown): Promise<any>;
  /** The job as the app answers jobs/get now. */
  jobNow(jobId: string): Promise<any>;
}

export async function startLoggedInDemo(tempPrefix: string, env: Record<string, string> = {}): Promise<LoggedInDemo> {
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix));
  const demo = await startDemo({ DEMO_DB: path.join(dbDir, 'demo.sqlite'), ...env });
  const config = configDir();
  const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
  if (login.code !== EXIT.OK) throw new Error(`af-jobs login failed (exit ${login.code}): ${login.stderr}`);
  const apiPath = JSON.parse(fs.readFileSync(path.join(config, 'profiles.json'), 'utf8')).profiles.default.instance.apiPath;
  const cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
  const api = async (action: string, body: unknown): Promise<any> => {
    const response = await fetch(`${demo.url}${apiPath}/${action}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  };
  return { demo, dbDir, config, cookie, api, jobNow: async (jobId) => (await api('jobs/get', { jobId })).job };
}
