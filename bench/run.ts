/**
 * `npm run bench` — see bench/README.md. Runs each workload in its own process and prints a
 * table, or with `-- --json` one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableDbKinds, freshDatabase } from '../test/helpers/databases.js';
import { JOBS_TABLE_SQL } from '../test/helpers/jobs-resource.js';
import type { WorkloadResult } from './workload.js';

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
const big = quick ? 100_000 : 1_000_000;

log(`ceiling: in-memory promise pool, ${main} no-op tasks, concurrency 10`);
const ceiling = run(['ceiling', String(main), '10']);
const results: Record<string, WorkloadResult> = {};
const kinds = await availableDbKinds();
for (const kind of kinds) {
  log(`${kind}: ${main} no-op tasks, parallelLimit 10`);
  try {
    results[kind] = run([kind, String(main), '10']);
  } catch (error) {
    log(`  skipped: ${(error as Error).message.split('\n')[0]}`);
  }
}
/** Two replica processes on one fresh PostgreSQL database sharing one job. */
async function twoReplicas(tasks: number): Promise<WorkloadResult> {
  const db = await freshDatabase('postgres');
  try {
    await db.exec(JOBS_TABLE_SQL.postgres);
    const start = (role: string) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/workload.ts', 'replica', db.url, String(tasks), '10', role], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => { if (out.includes('ready')) resolve(); });
        child.once('exit', () => reject(new Error(`replica ${role} exited early:\n${err}`)));
      });
      const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`replica ${role} failed (${code}):\n${err}`)))));
      return { ready, done };
    };
    const helper = start('join');
    await helper.ready;
    const creator = start('create');
    const [out] = await Promise.all([creator.done, helper.done]);
    return JSON.parse(out.trim().split('\n').pop()!) as WorkloadResult;
  } finally {
    await db.drop();
  }
}

let replicas: WorkloadResult | null = null;
if (kinds.includes('postgres') && results.postgres) {
  log(`postgres: two replicas sharing one ${main}-task job`);
  try {
    replicas = await twoReplicas(main);
  } catch (error) {
    log(`  failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

log(`sqlite: ${big} no-op tasks from a generator (memory)`);
const sqliteBig = run(['sqlite', String(big), '10', 'generator']);

if (json) {
  const out: Record<string, unknown> = {};
  for (const [kind, r] of Object.entries(results)) {
    out[kind] = { tasksPerSec: r.tasksPerSec, enqueueSec: r.enqueueSec, rssGrowthMb: r.rssGrowthMb, ratioOfCeiling: Number((r.tasksPerSec / ceiling.tasksPerSec).toFixed(3)) };
  }
  out.ceiling = { tasksPerSec: ceiling.tasksPerSec };
  if (replicas) out.postgresTwoReplicas = { tasksPerSec: replicas.tasksPerSec, ratioToOneReplica: Number((replicas.tasksPerSec / results.postgres.tasksPerSec).toFixed(3)) };
  out.sqliteLarge = { tasks: sqliteBig.tasks, tasksPerSec: sqliteBig.tasksPerSec, enqueueSec: sqliteBig.enqueueSec, rssGrowthMb: sqliteBig.rssGrowthMb };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const rows = [ceiling, ...Object.values(results), ...(replicas ? [{ ...replicas, kind: 'postgres ×2 replicas' }] : []), sqliteBig];
  const header = ['workload', 'tasks', 'tasks/s', 'of ceiling', 'startNewJob s', 'run s', 'RSS growth MB'];
  const lines = rows.map((r) => [
    r.kind === 'ceiling' ? 'in-memory pool (ceiling)' : `${r.kind}${r === sqliteBig ? ' (generator)' : ''}`,
    r.tasks.toLocaleString('en-US'), r.tasksPerSec.toLocaleString('en-US'),
    r.kind === 'ceiling' ? '1' : (r.tasksPerSec / ceiling.tasksPerSec).toFixed(3),
    String(r.enqueueSec), r.runSec.toFixed(3), String(r.rssGrowthMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(fmt).join('\n')}\n`);
}
