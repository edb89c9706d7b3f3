/**
 * One bench workload in its own process (so RSS is this workload's alone): an app on the test
 * host with the seed's jobs resource and the plugin, a no-op handler, one job; prints one JSON line.
 *
 *   node --import tsx bench/workload.ts <sqlite|postgres|mysql> <tasks> [parallelLimit] [array|generator]
 *   node --import tsx bench/workload.ts ceiling <tasks> [parallelLimit]
 *   node --import tsx bench/workload.ts replica <dbUrl> <tasks> <parallelLimit> <create|join> [pid...]
 *     one of several replicas on an existing database: `create` starts the job and prints the
 *     result when it is DONE (CPU counted for itself and the other replicas' pids); `join` helps
 *     until every job there is DONE.
 *   node --import tsx bench/workload.ts store <tasks> <owners>
 *     no app: `owners` PostgreSQL stores (a pool each, as replicas have) flush one job straight
 *     through, each finishing what it claimed last time and claiming the next (the database's
 *     share of the work, without the processes around it).
 */
import AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { freshDatabase, type DbKind } from '../test/helpers/databases.js';
import { JOBS_TABLE_SQL, seedJobsResource } from '../test/helpers/jobs-resource.js';
import { flushOf, makeJob, openStore, tasksOf } from '../test/plugin/store-helpers.js';
import type { EngineEvent } from '../plugin/src/events.js';
import { CpuMeter, type CpuSeconds } from './cpu.js';

const MB = 1024 * 1024;
const [kind, tasksArg, parallelArg, sourceArg] = process.argv.slice(2);
const tasks = Number(tasksArg ?? 100_000);
const parallelLimit = Number(parallelArg ?? 10);

export interface WorkloadResult {
  kind: string;
  tasks: number;
  parallelLimit: number;
  tasksPerSec: number;
  enqueueSec: number;
  runSec: number;
  rssGrowthMb: number;
  /** CPU seconds over the run (the tasks/s window), see cpu.ts. */
  cpuSec?: CpuSeconds;
}

/**
 * The ceiling: the same no-op tasks through an in-memory promise pool (p-limit, as the issue's
 * reference figure), no persistence.
 */
async function ceiling(): Promise<WorkloadResult> {
  const { default: pLimit } = await import('p-limit');
  const limit = pLimit(parallelLimit);
  const handler = async (_i: number) => {};
  const start = performance.now();
  await Promise.all(Array.from({ length: tasks }, (_, i) => limit(() => handler(i))));
  const runSec = (performance.now() - start) / 1000;
  return { kind: 'ceiling', tasks, parallelLimit, tasksPerSec: Math.round(tasks / runSec), enqueueSec: 0, runSec, rssGrowthMb: 0 };
}

/** Resolves when the job is DONE (checked every 20 ms); throws if it ends otherwise. */
async function untilDone(plugin: BackgroundJobsPlugin, jobId: string): Promise<void> {
  for (;;) {
    const job = await plugin.getJob(jobId);
    if (job.status === 'DONE') return;
    if (job.status !== 'IN_PROGRESS') throw new Error(`bench job ended ${job.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function throughPlugin(dbKind: DbKind): Promise<WorkloadResult> {
  const db = await freshDatabase(dbKind);
  await db.exec(JOBS_TABLE_SQL[dbKind]);
  process.env.ADMINFORTH_SECRET ??= 'bench-secret';
  const admin = new AdminForth({
    baseUrl: '',
    dataSources: [{ id: 'maindb', url: db.url }],
    resources: [seedJobsResource()],
  });
  try {
    await admin.discoverDatabases();
    const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
    await plugin.whenReady();
    plugin.registerTaskHandler({ jobHandlerName: 'noop', parallelLimit, handler: async () => {} });
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 50);
    // An array, as most callers pass; a generator for jobs too big to hold in memory.
    const source = sourceArg === 'generator' || (sourceArg === undefined && tasks > 200_000)
      ? (function* () { for (let i = 0; i < tasks; i++) yield { state: { i } }; })()
      : Array.from({ length: tasks }, (_, i) => ({ state: { i } }));
    const cpu = new CpuMeter([process.pid], dbKind === 'postgres' ? db.url : null);
    await cpu.connect();
    const t0 = performance.now();
    const jobId = await plugin.startNewJob('bench', null, source, 'noop');
    const t1 = performance.now();
    await cpu.start();
    await untilDone(plugin, jobId);
    const t2 = performance.now();
    const cpuSec = await cpu.stop();
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    await plugin.stop({ graceMs: 0 });
    const runSec = (t2 - t1) / 1000;
    return {
      kind: dbKind, tasks, parallelLimit,
      tasksPerSec: Math.round(tasks / runSec), enqueueSec: Number(((t1 - t0) / 1000).toFixed(3)),
      runSec: Number(runSec.toFixed(3)), rssGrowthMb: Math.round((rssPeak - rss0) / MB), cpuSec,
    };
  } finally {
    await admin.shutdown();
    await db.drop();
  }
}

/** One replica of several on the database at `url` (its jobs table already exists). */
async function replica(url: string, count: number, limit: number, role: string, otherPids: number[]): Promise<WorkloadResult | null> {
  process.env.ADMINFORTH_SECRET ??= 'bench-secret';
  const admin = new AdminForth({ baseUrl: '', dataSources: [{ id: 'maindb', url }], resources: [seedJobsResource()] });
  try {
    const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
    plugin.registerTaskHandler({ jobHandlerName: 'noop', parallelLimit: limit, handler: async () => {} });
    await admin.discoverDatabases();
    await plugin.whenReady();
    process.stdout.write('ready\n');
    const jobs = admin.resource('jobs');
    if (role === 'join') {
      // Help until a job exists and every job is DONE. The job starts here when this replica's log
      // follower reads its job:created (PostgreSQL NOTIFY), not at a poll.
      for (;;) {
        const rows = await jobs.list([]);
        if (rows.length > 0 && rows.every((r) => r.status === 'DONE')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await plugin.stop({ graceMs: 0 });
      return null;
    }
    const source = Array.from({ length: count }, (_, i) => ({ state: { i } }));
    // This replica and the others (their pids from the harness), and the database's backends.
    const cpu = new CpuMeter([process.pid, ...otherPids], url);
    await cpu.connect();
    const t0 = performance.now();
    const jobId = await plugin.startNewJob('bench', null, source, 'noop');
    const t1 = performance.now();
    await cpu.start();
    await untilDone(plugin, jobId);
    const runSec = (performance.now() - t1) / 1000;
    const cpuSec = await cpu.stop();
    await plugin.stop({ graceMs: 0 });
    return {
      kind: 'replicas', tasks: count, parallelLimit: limit, tasksPerSec: Math.round(count / runSec),
      enqueueSec: Number(((t1 - t0) / 1000).toFixed(3)), runSec: Number(runSec.toFixed(3)), rssGrowthMb: 0, cpuSec,
    };
  } finally {
    await admin.shutdown();
  }
}

/**
 * Flushes as a runner of no-op tasks with claim-ahead does: finish every task claimed last time
 * (with its task:started and task:done events), claim 10 + 1,000 more (parallelLimit 10).
 */
async function storeLoop(count: number, owners: number): Promise<WorkloadResult> {
  const db = await freshDatabase('postgres');
  const handles = await Promise.all(Array.from({ length: owners }, () => openStore(db)));
  try {
    await handles[0].store.migrate();
    const jobKey = await makeJob(handles[0].store, tasksOf(count));
    const ahead = 1000;
    const limit = 10;
    const cpu = new CpuMeter([process.pid], db.url);
    await cpu.connect();
    await cpu.start();
    const t0 = performance.now();
    await Promise.all(handles.map(async (h, o) => {
      let held: { index: number; attempt: number }[] = [];
      for (;;) {
        const events: EngineEvent[] = held.flatMap(({ index, attempt }): EngineEvent[] => [
          { type: 'task:started', jobId: 'bench', handler: 'noop', startedBy: null, taskIndex: index, attempt },
          { type: 'task:done', jobId: 'bench', handler: 'noop', startedBy: null, taskIndex: index, attempt },
        ]);
        const r = await h.store.flush(flushOf(jobKey, `owner-${o}`, {
          now: Date.now(), claim: limit + ahead, ahead, executing: 0, parallelLimit: limit,
          finished: held.map(({ index }) => ({ index, status: 'DONE' as const })), events,
        }));
        held = r.claimed.map((c) => ({ index: c.index, attempt: c.attempt }));
        if (r.counters.status !== 'IN_PROGRESS') return;
        if (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }));
    const runSec = (performance.now() - t0) / 1000;
    const cpuSec = await cpu.stop();
    return { kind: `store×${owners}`, tasks: count, parallelLimit: limit, tasksPerSec: Math.round(count / runSec), enqueueSec: 0, runSec: Number(runSec.toFixed(3)), rssGrowthMb: 0, cpuSec };
  } finally {
    for (const h of handles) await h.close();
    await db.drop();
  }
}

const result = kind === 'ceiling' ? await ceiling()
  : kind === 'store' ? await storeLoop(tasks, Number(process.argv[4] ?? 1))
  : kind === 'replica' ? await replica(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), process.argv[6], process.argv.slice(7).map(Number))
    : await throughPlugin(kind as DbKind);
if (result) process.stdout.write(`${JSON.stringify(result)}\n`);
