/**
 * `npm run bench` — see bench/README.md. Runs each workload in its own process and prints a
 * table, or with `-- --json` one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { availableDbKinds, freshDatabase, PG_URL } from '../test/helpers/databases.js';
import { JOBS_TABLE_SQL } from '../test/helpers/jobs-resource.js';
import type { WorkloadResult } from './workload.js';
import { measureCliStartup, type CliStartupResult } from './cli-startup.js';
import { API_LOAD_CLIENTS, formatApiUnderLoad, runApiUnderLoad, targetsOf, type ApiUnderLoadResult } from './api-under-load.js';
import { formatRetention, runRetentionBench, type RetentionResult } from './retention.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

function run(args: string[]): WorkloadResult {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/workload.ts', ...args], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, AF_JOBS_REQUIRE_SERVICES: '' },
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`bench workload ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
  }
  return JSON.parse(line) as WorkloadResult;
}

const log = (message: string) => { if (!json) process.stderr.write(`${message}\n`); };
const main = quick ? 20_000 : 100_000;
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const rounds = roundsArg ? Math.max(1, Number(roundsArg.slice('--rounds='.length)) || 1) : quick ? 1 : 3;
const big = quick ? 100_000 : 1_000_000;
/** `--only=<name>`: just that workload. */
const ONLY = ['cli-startup', 'api-under-load', 'retention'] as const;
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (onlyArg !== undefined && !(ONLY as readonly string[]).includes(onlyArg)) {
  process.stderr.write(`Unknown workload in --only=${onlyArg}: use ${ONLY.map((o) => `--only=${o}`).join(' or ')}, or no --only for all\n`);
  process.exit(2);
}
const only = onlyArg as (typeof ONLY)[number] | undefined;

/**
 * PostgreSQL starts every workload from a checkpoint, so no workload pays for the WAL of the one
 * before it (needs superuser or pg_checkpoint; without, the workloads just run).
 */
let checkpointWarned = false;
async function checkpoint(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch (error) {
    if (!checkpointWarned) log(`  (no CHECKPOINT before PostgreSQL workloads: ${(error as Error).message})`);
    checkpointWarned = true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Two replica processes on one fresh PostgreSQL database sharing one job. */
async function twoReplicas(tasks: number): Promise<WorkloadResult> {
  const db = await freshDatabase('postgres');
  try {
    await db.exec(JOBS_TABLE_SQL.postgres);
    const start = (role: string, others: number[] = []) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/workload.ts', 'replica', db.url, String(tasks), '10', role, ...others.map(String)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => { if (out.includes('ready')) resolve(); });
        child.once('exit', () => reject(new Error(`replica ${role} exited early:\n${err}`)));
      });
      const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`replica ${role} failed (${code}):\n${err}`)))));
      return { ready, done, pid: child.pid! };
    };
    const helper = start('join');
    await helper.ready;
    // The creator counts the CPU of both replicas over its run.
    const creator = start('create', [helper.pid]);
    const [out] = await Promise.all([creator.done, helper.done]);
    return JSON.parse(out.trim().split('\n').pop()!) as WorkloadResult;
  } finally {
    await db.drop();
  }
}

/**
 * `api-under-load` on SQLite and PostgreSQL (when it answers): one run each, its own three phases
 * (alone, (a), (b)) being the comparison. A 100,000-task job, each phase's throughput counted over
 * the job or its first 30 s (10 s with --quick).
 */
async function apiUnderLoad(): Promise<ApiUnderLoadResult[]> {
  const tasks = 100_000;
  const windowSec = quick ? 10 : 30;
  const results: ApiUnderLoadResult[] = [];
  for (const kind of (await availableDbKinds()).filter((k) => k === 'sqlite' || k === 'postgres')) {
    log(`api-under-load (${kind}): a ${tasks}-task job alone, then with ${API_LOAD_CLIENTS} clients polling jobs/list + jobs/get (100 ms pause, then none); at most ${windowSec} s a job`);
    try {
      if (kind === 'postgres') await checkpoint();
      results.push(runApiUnderLoad(ROOT, kind, tasks, windowSec));
    } catch (error) {
      if (kind === 'sqlite') throw error;
      log(`  skipped: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return results;
}

/** The JSON of `api-under-load`: per database, each phase with its targets. */
function apiUnderLoadJson(results: ApiUnderLoadResult[]): Record<string, unknown> {
  return Object.fromEntries(results.map((r) => [r.kind, {
    ...r,
    targets: { paused: targetsOf(r.paused, 'paused'), noPause: targetsOf(r.noPause, 'noPause') },
  }]));
}

/**
 * `retention` on every database that answers: one pass over 1,000,000 finished tasks (100,000 with
 * --quick) in chunks, with a writer on another connection; one run each (bench/retention.ts).
 */
async function retention(): Promise<RetentionResult[]> {
  const [jobs, perJob] = [10, quick ? 10_000 : 100_000];
  const results: RetentionResult[] = [];
  for (const kind of await availableDbKinds()) {
    log(`retention (${kind}): one pass over ${(jobs * perJob).toLocaleString('en-US')} finished tasks, a writer beside it`);
    try {
      if (kind === 'postgres') await checkpoint();
      results.push(runRetentionBench(ROOT, kind, jobs, perJob));
    } catch (error) {
      if (kind === 'sqlite') throw error;
      log(`  skipped: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return results;
}

if (only === 'retention') {
  const results = await retention();
  if (json) process.stdout.write(`${JSON.stringify({ retention: Object.fromEntries(results.map((r) => [r.kind, r])) })}\n`);
  else process.stdout.write(formatRetention(results));
  process.exit(0);
}

if (only === 'api-under-load') {
  const results = await apiUnderLoad();
  if (json) process.stdout.write(`${JSON.stringify({ apiUnderLoad: apiUnderLoadJson(results) })}\n`);
  else process.stdout.write(formatApiUnderLoad(results));
  process.exit(0);
}

/** `af-jobs --help` as installed, against `node -e 0`; first, on a machine not yet warm from the rest. */
log(`cli-startup: af-jobs --help (packed and unpacked) against node -e 0, ${quick ? 11 : 31} runs each`);
const cliStartup: CliStartupResult = measureCliStartup(ROOT, quick ? 11 : 31);
function printCliStartup(): void {
  const c = cliStartup;
  process.stdout.write(`\ncli-startup (medians of ${c.runs}): node -e 0 ${c.nodeMs} ms, af-jobs --help installed ${c.builtMs} ms (${c.ratio}× node), from the sources under tsx ${c.sourcesMs} ms\n`);
}
if (only === 'cli-startup') {
  if (json) process.stdout.write(`${JSON.stringify({ cliStartup })}\n`);
  else printCliStartup();
  process.exit(0);
}

/**
 * The main workloads run `rounds` times, interleaved (every workload once, then again), and each
 * reports its median round: on a shared machine one run can be 20% off the next, and interleaving
 * spreads a slow spell over all of them instead of one.
 */
interface Workload { name: string; label: string; postgres: boolean; once: () => Promise<WorkloadResult>; by?: 'rssGrowthMb'; required?: true }
const kinds = await availableDbKinds();
const workloads: Workload[] = [
  { name: 'ceiling', label: `ceiling: in-memory promise pool, ${main} no-op tasks, concurrency 10`, postgres: false, once: async () => run(['ceiling', String(main), '10']), required: true },
  ...kinds.map((kind) => ({ name: kind, label: `${kind}: ${main} no-op tasks, parallelLimit 10`, postgres: kind === 'postgres', once: async () => run([kind, String(main), '10']) })),
  ...(kinds.includes('postgres') ? [
    { name: 'postgresTwoReplicas', label: `postgres: two replicas sharing one ${main}-task job`, postgres: true, once: () => twoReplicas(main) },
    // The database's part alone: the same flushes straight through the store, no app processes.
    { name: 'postgresStore1', label: `postgres store, no app: one owner flushing a ${main}-task job`, postgres: true, once: async () => run(['store', String(main), '1']) },
    { name: 'postgresStore2', label: `postgres store, no app: two owners flushing one ${main}-task job`, postgres: true, once: async () => run(['store', String(main), '2']) },
  ] : []),
  // Its figure is memory: the round with the median RSS growth.
  { name: 'sqliteLarge', label: `sqlite: ${big} no-op tasks from a generator (memory)`, postgres: false, once: async () => run(['sqlite', String(big), '10', 'generator']), by: 'rssGrowthMb', required: true },
];
const runs = new Map<string, WorkloadResult[]>();
const failed = new Set<string>();
for (let round = 1; round <= rounds; round++) {
  for (const w of workloads) {
    if (failed.has(w.name)) continue;
    log(`${rounds > 1 ? `[round ${round}/${rounds}] ` : ''}${w.label}`);
    try {
      if (w.postgres) await checkpoint();
      const r = await w.once();
      runs.set(w.name, [...(runs.get(w.name) ?? []), r]);
    } catch (error) {
      if (w.required) throw error;
      log(`  skipped: ${(error as Error).message.split('\n')[0]}`);
      failed.add(w.name);
      runs.delete(w.name);
    }
  }
}
/** The round with the median tasks/s (or RSS growth; the lower middle one of an even count). */
function median(name: string): WorkloadResult | null {
  const by = workloads.find((w) => w.name === name)?.by ?? 'tasksPerSec';
  const all = [...(runs.get(name) ?? [])].sort((x, y) => x[by] - y[by]);
  return all.length > 0 ? all[Math.floor((all.length - 1) / 2)] : null;
}
const spread = (name: string, by: 'tasksPerSec' | 'rssGrowthMb' = 'tasksPerSec') => (runs.get(name) ?? []).map((r) => r[by]);
const ceiling = median('ceiling')!;
const results: Record<string, WorkloadResult> = {};
for (const kind of kinds) {
  const r = median(kind);
  if (r) results[kind] = r;
}
const replicas = results.postgres ? median('postgresTwoReplicas') : null;
const store1 = median('postgresStore1');
const store2 = store1 ? median('postgresStore2') : null;

const sqliteBig = median('sqliteLarge')!;
// Once, after the rounds (its own phases are its comparison), so the rounds stay close together.
const apiLoad = await apiUnderLoad();
const retentionResults = await retention();

/** CPU seconds per 100,000 tasks over the run: the app's processes, and PostgreSQL's backends when measured. */
function cpuPer100k(r: WorkloadResult): { app: number; database: number | null } | null {
  if (!r.cpuSec) return null;
  const per = (sec: number) => Number(((sec * 100_000) / r.tasks).toFixed(2));
  return { app: per(r.cpuSec.app), database: r.cpuSec.database === null ? null : per(r.cpuSec.database) };
}

if (json) {
  const out: Record<string, unknown> = {};
  for (const [kind, r] of Object.entries(results)) {
    out[kind] = { tasksPerSec: r.tasksPerSec, enqueueSec: r.enqueueSec, rssGrowthMb: r.rssGrowthMb, ratioOfCeiling: Number((r.tasksPerSec / ceiling.tasksPerSec).toFixed(3)), rounds: spread(kind), cpuSecPer100k: cpuPer100k(r) };
  }
  out.ceiling = { tasksPerSec: ceiling.tasksPerSec, rounds: spread('ceiling') };
  if (replicas) out.postgresTwoReplicas = { tasksPerSec: replicas.tasksPerSec, ratioToOneReplica: Number((replicas.tasksPerSec / results.postgres.tasksPerSec).toFixed(3)), rounds: spread('postgresTwoReplicas'), cpuSecPer100k: cpuPer100k(replicas) };
  if (store1 && store2) out.postgresStore = { oneOwner: store1.tasksPerSec, twoOwners: store2.tasksPerSec, ratio: Number((store2.tasksPerSec / store1.tasksPerSec).toFixed(3)), rounds: { oneOwner: spread('postgresStore1'), twoOwners: spread('postgresStore2') }, cpuSecPer100k: { oneOwner: cpuPer100k(store1), twoOwners: cpuPer100k(store2) } };
  out.cliStartup = cliStartup;
  out.apiUnderLoad = apiUnderLoadJson(apiLoad);
  out.retention = Object.fromEntries(retentionResults.map((r) => [r.kind, r]));
  out.sqliteLarge = { tasks: sqliteBig.tasks, tasksPerSec: sqliteBig.tasksPerSec, enqueueSec: sqliteBig.enqueueSec, rssGrowthMb: sqliteBig.rssGrowthMb, roundsRssGrowthMb: spread('sqliteLarge', 'rssGrowthMb') };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const rows: [WorkloadResult, string | null][] = [
    [ceiling, 'ceiling'], ...Object.entries(results).map(([kind, r]): [WorkloadResult, string] => [r, kind]),
    ...(replicas ? [[{ ...replicas, kind: 'postgres ×2 replicas' }, 'postgresTwoReplicas'] as [WorkloadResult, string]] : []),
    ...(store1 ? [[{ ...store1, kind: 'postgres store, 1 owner' }, 'postgresStore1'] as [WorkloadResult, string]] : []),
    ...(store2 ? [[{ ...store2, kind: 'postgres store, 2 owners' }, 'postgresStore2'] as [WorkloadResult, string]] : []),
    [sqliteBig, 'sqliteLarge'],
  ];
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  const header = ['workload', 'tasks', 'tasks/s', 'of ceiling', 'startNewJob s', 'run s', 'RSS growth MB', 'CPU s/100k app+db', ...(rounds > 1 ? [`the ${rounds} rounds`] : [])];
  const lines = rows.map(([r, name]) => [
    r.kind === 'ceiling' ? 'in-memory pool (ceiling)' : `${r.kind}${r === sqliteBig ? ' (generator)' : ''}`,
    r.tasks.toLocaleString('en-US'), r.tasksPerSec.toLocaleString('en-US'),
    r.kind === 'ceiling' ? '1' : (r.tasksPerSec / ceiling.tasksPerSec).toFixed(3),
    String(r.enqueueSec), r.runSec.toFixed(3), String(r.rssGrowthMb),
    // SQLite runs inside the app process; MariaDB's server is not measured.
    ((c) => (c ? `${c.app.toFixed(2)}${c.database !== null ? ` + ${c.database.toFixed(2)}` : r.kind.startsWith('sqlite') ? '' : ' + ?'}` : ''))(cpuPer100k(r)),
    ...(rounds > 1 ? [name === 'sqliteLarge' ? `${spread(name, 'rssGrowthMb').join(' ')} MB` : spread(name!).map(k).join(' ')] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(fmt).join('\n')}\n`);
  const of = rounds > 1 ? ` (medians of ${rounds} rounds)` : '';
  if (replicas) process.stdout.write(`\npostgres, two replicas / one replica: ${(replicas.tasksPerSec / results.postgres.tasksPerSec).toFixed(2)}${of}\n`);
  if (store1 && store2) process.stdout.write(`postgres store without the app, two owners / one: ${(store2.tasksPerSec / store1.tasksPerSec).toFixed(2)}${of}\n`);
  printCliStartup();
  process.stdout.write(`\napi-under-load (a 100,000-task job and ${API_LOAD_CLIENTS} clients on jobs/list + jobs/get):\n${formatApiUnderLoad(apiLoad)}`);
  process.stdout.write(`\nretention (one pass over ${retentionResults[0]?.deleted.toLocaleString('en-US') ?? '?'} finished tasks; transactions in ms, start to commit):\n${formatRetention(retentionResults)}`);
}
