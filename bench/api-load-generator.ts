/**
 * The load generator of the `api-under-load` workload (bench/README.md), a process of its own:
 * starts the app (bench/api-load-app.ts) in another process, then runs four jobs of `tasks`
 * no-op tasks there, one after the other, and prints one JSON line (an {@link ApiUnderLoadResult}):
 *
 * - `alone`: the job with no HTTP clients;
 * - `paused` (a): `clients` clients, each looping `jobs/list` then `jobs/get` of the running job,
 *   with a 100 ms pause after each answer;
 * - `noPause` (b): the same clients without the pause;
 * - `aloneAfter`: the job alone again, to show whether the machine's speed drifted meanwhile.
 *
 * Before them an unmeasured warm-up (a tenth of the tasks, 5 clients) compiles the hot paths.
 *
 *   node --import tsx bench/api-load-generator.ts <sqlite|postgres> <tasks> <windowSec> [clients]
 *
 * `AF_JOBS_BENCH_APP_ARGS` adds node flags to the app's process only (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`, which node refuses in NODE_OPTIONS); `AF_JOBS_BENCH_PLUGIN_OPTIONS`
 * is JSON of plugin options for the app (e.g. `{"maxClaimAhead":5000}`), default: the plugin's.
 *
 * A job's throughput is counted from `startNewJob` resolving until it is DONE or `windowSec` has
 * passed (then it is cancelled): a starved job does not hold the bench for an hour. The clients
 * start when the job has started and stop when its window closes; requests still open then are
 * awaited and counted. Requests go through Node's `fetch` (undici's global agent: keep-alive, one
 * connection per concurrent client); one that is not a 200 with the expected JSON, or gets no
 * answer within 30 s, is a failure.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PG_URL } from '../test/helpers/databases.js';
import type { JobRun } from './api-load-app.js';
import { machineBusySeconds } from './cpu.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUEST_TIMEOUT_MS = 30_000;
const PAUSE_MS = 100;

/** Latencies of one endpoint over a phase, ms. */
export interface EndpointStats {
  requests: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Answers per second over the phase (failures included). */
  perSec: number;
  /** Up to 3 distinct failure descriptions. */
  failureSamples: string[];
}

export interface PhaseResult {
  job: JobRun;
  /** job.tasksPerSec / alone's. */
  ofAlone: number | null;
  clients: number;
  pauseMs: number | null;
  list: EndpointStats | null;
  get: EndpointStats | null;
  /** CPU of this process over the phase, in cores (CPU seconds / wall seconds): the generator's load. */
  generatorCores: number;
  /** The app's process and PostgreSQL's backends, in cores, over the job's window. */
  appCores: number;
  dbCores: number | null;
  /** The whole machine's busy cores over the phase (all processes; null off Linux): less the three above, what else ran. */
  machineCores: number | null;
}

export interface ApiUnderLoadResult {
  kind: string;
  tasks: number;
  windowSec: number;
  alone: PhaseResult;
  paused: PhaseResult;
  noPause: PhaseResult;
  /** The job alone again after (b), to see whether the machine's speed drifted meanwhile. */
  aloneAfter: PhaseResult;
  /** The machine's 1-minute load average when the workload started and ended. */
  loadAverage: [number, number];
}

const [kind, tasksArg, windowArg, clientsArg] = process.argv.slice(2);
const tasks = Number(tasksArg ?? 100_000);
const windowSec = Number(windowArg ?? 30);
const clients = Number(clientsArg ?? 50);

/** The app process, driven by lines on its stdin; its stdout read line by line. */
function startApp() {
  const extra = (process.env.AF_JOBS_BENCH_APP_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', 'bench/api-load-app.ts', kind], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  // Lines not yet asked for wait in `lines`: readline may hand over `job` and `result` at once.
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (rest: string) => void }[] = [];
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`the app process exited (code ${code}):\n${stderr.slice(-4000)}`)));
  });
  exited.catch(() => {});
  const rest = (line: string) => line.slice(line.indexOf(' ') + 1);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const i = waiting.findIndex((w) => line.startsWith(`${w.prefix} `));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(rest(line));
    else lines.push(line);
  });
  const next = (prefix: string) => {
    const i = lines.findIndex((line) => line.startsWith(`${prefix} `));
    if (i >= 0) return Promise.resolve(rest(lines.splice(i, 1)[0]));
    return Promise.race([new Promise<string>((resolve) => waiting.push({ prefix, resolve })), exited]);
  };
  return {
    next,
    send: (line: string) => child.stdin.write(`${line}\n`),
    async stop() {
      child.stdin.end('stop\n');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    },
  };
}

/** CHECKPOINT before each PostgreSQL phase, so none pays for the WAL the one before wrote. */
async function checkpoint(): Promise<void> {
  if (kind !== 'postgres') return;
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch {
    // Without the right to: the phases just run (run.ts says so once).
  } finally {
    await client.end().catch(() => {});
  }
}

interface Sample { ms: number; failure: string | null }

/** One POST; its latency to the whole body read, or the reason it failed. */
async function timedPost(url: string, cookie: string, body: unknown, expectKey: string): Promise<Sample> {
  const t0 = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const ms = performance.now() - t0;
    if (response.status !== 200) return { ms, failure: `HTTP ${response.status} ${text.slice(0, 120)}` };
    const json = JSON.parse(text) as Record<string, unknown>;
    return { ms, failure: expectKey in json ? null : `200 without "${expectKey}": ${text.slice(0, 120)}` };
  } catch (error) {
    return { ms: performance.now() - t0, failure: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
const round1 = (n: number) => Number(n.toFixed(1));

function stats(samples: Sample[], sec: number): EndpointStats {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const failures = samples.filter((s) => s.failure !== null);
  return {
    requests: samples.length, failures: failures.length,
    p50: round1(percentile(sorted, 0.5)), p95: round1(percentile(sorted, 0.95)), p99: round1(percentile(sorted, 0.99)), max: round1(sorted.at(-1) ?? 0),
    perSec: round1(samples.length / sec),
    failureSamples: [...new Set(failures.map((f) => f.failure!))].slice(0, 3),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function phase(app: ReturnType<typeof startApp>, ready: { apiUrl: string; instanceId: string; cookie: string }, n: number, pauseMs: number | null, alone: number | null, size = tasks): Promise<PhaseResult> {
  await checkpoint();
  const base = `${ready.apiUrl}/plugin/${ready.instanceId}/jobs`;
  const list: Sample[] = [];
  const get: Sample[] = [];
  app.send(`run ${size} ${windowSec * 1000}`);
  const jobId = await app.next('job');
  const result = app.next('result');
  const cpu0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  let stopped = false;
  void result.then(() => { stopped = true; }, () => { stopped = true; });
  const client = async () => {
    // Spread the paused clients over one pause, so they do not call in step.
    if (pauseMs !== null) await sleep(Math.random() * pauseMs * 2);
    while (!stopped) {
      list.push(await timedPost(`${base}/list`, ready.cookie, {}, 'jobs'));
      if (pauseMs !== null) await sleep(pauseMs);
      if (stopped) break;
      get.push(await timedPost(`${base}/get`, ready.cookie, { jobId }, 'job'));
      if (pauseMs !== null) await sleep(pauseMs);
    }
  };
  const running = Array.from({ length: n }, client);
  const job = JSON.parse(await result) as JobRun;
  await Promise.all(running);
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const busy1 = machineBusySeconds();
  return {
    job, ofAlone: alone ? Number((job.tasksPerSec / alone).toFixed(3)) : null, clients: n, pauseMs,
    list: n > 0 ? stats(list, sec) : null, get: n > 0 ? stats(get, sec) : null,
    generatorCores: Number(((cpu.user + cpu.system) / 1e6 / sec).toFixed(2)),
    appCores: Number((job.cpuSec.app / job.sec).toFixed(2)),
    dbCores: job.cpuSec.database === null ? null : Number((job.cpuSec.database / job.sec).toFixed(2)),
    machineCores: busy0 === null || busy1 === null ? null : Number(((busy1 - busy0) / sec).toFixed(2)),
  };
}

const load0 = loadavg()[0];
const app = startApp();
try {
  const ready = JSON.parse(await app.next('ready')) as { apiUrl: string; instanceId: string; cookie: string };
  // Unmeasured: the first job and the first requests pay for JIT compilation and cold caches.
  await phase(app, ready, 5, null, null, Math.ceil(tasks / 10));
  const alone = await phase(app, ready, 0, null, null);
  const paused = await phase(app, ready, clients, PAUSE_MS, alone.job.tasksPerSec);
  const noPause = await phase(app, ready, clients, null, alone.job.tasksPerSec);
  // Alone once more: a check that the machine did not change speed meanwhile (not the baseline).
  const aloneAfter = await phase(app, ready, 0, null, null);
  const loadAverage: [number, number] = [Number(load0.toFixed(2)), Number(loadavg()[0].toFixed(2))];
  const result: ApiUnderLoadResult = { kind, tasks, windowSec, alone, paused, noPause, aloneAfter, loadAverage };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await app.stop();
}
