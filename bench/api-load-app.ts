/**
 * The app of the `api-under-load` workload, in its own process so the load generator does not
 * share its event loop: the test host's app (`startJobsApp`, as the HTTP tests run it: a real
 * HTTP server, the `adminuser` resource with its seeded users, the seed's jobs resource with the
 * plugin's default options), a no-op handler with `parallelLimit` 10, as the throughput workloads.
 *
 *   node --import tsx bench/api-load-app.ts <sqlite|postgres>
 *
 * Prints `ready {"apiUrl","instanceId","cookie"}` (the cookie of `adminforth`, a superadmin), then
 * takes commands on stdin, one a line:
 *   `run <tasks> <windowMs>` starts a job of that many no-op tasks, prints `job <id>` once
 *     `startNewJob` resolved, then `result {...}` (a {@link JobRun}) when the job is DONE or
 *     `windowMs` passed since, whichever comes first; a job still running then is cancelled
 *     (and the cancel awaited) before the line is printed.
 *   `stop` closes the app (server, engine, database) and exits.
 */
import { createInterface } from 'node:readline';
import { startJobsApp } from '../test/plugin/fixtures.js';
import { seedJobsResource } from '../test/helpers/jobs-resource.js';
import type { DbKind } from '../test/helpers/databases.js';
import type { PluginOptions } from '@adminforth/background-jobs';
import { CpuMeter, type CpuSeconds } from './cpu.js';

/** One job's run, as the app saw it. */
export interface JobRun {
  jobId: string;
  tasks: number;
  /** Tasks DONE when the window closed (all of them when the job finished first). */
  done: number;
  /** From `startNewJob` resolving to DONE, or to the window's end. */
  sec: number;
  tasksPerSec: number;
  /** The job reached DONE within the window. */
  finished: boolean;
  /** `startNewJob` (writing the row and the tasks), seconds. */
  enqueueSec: number;
  /** CPU seconds over `sec`: this process, and PostgreSQL's backends of the app's database. */
  cpuSec: CpuSeconds;
}

const kind = (process.argv[2] ?? 'sqlite') as DbKind;
const parallelLimit = 10;
const out = (line: string) => process.stdout.write(`${line}\n`);

// The seed's resource with the plugin's defaults, as the other workloads (startJobsApp's own
// default shortens pollMs for tests), or the options of AF_JOBS_BENCH_PLUGIN_OPTIONS (JSON) to
// compare a setting.
const pluginOptions = JSON.parse(process.env.AF_JOBS_BENCH_PLUGIN_OPTIONS ?? '{}') as Partial<PluginOptions>;
const app = await startJobsApp({ kind, resource: seedJobsResource(pluginOptions) });
app.plugin.registerTaskHandler({ jobHandlerName: 'noop', parallelLimit, handler: async () => {} });
const cookie = await app.login('adminforth', 'adminforth');
out(`ready ${JSON.stringify({ apiUrl: app.apiUrl, instanceId: app.plugin.pluginInstanceId, cookie })}`);

async function run(tasks: number, windowMs: number): Promise<JobRun> {
  const source = Array.from({ length: tasks }, (_, i) => ({ state: { i } }));
  const cpu = new CpuMeter([process.pid], kind === 'postgres' ? app.db.url : null);
  await cpu.connect();
  const t0 = performance.now();
  const jobId = await app.plugin.startNewJob('bench', null, source, 'noop');
  const t1 = performance.now();
  await cpu.start();
  out(`job ${jobId}`);
  // The job's counters are kept on its store row: reading them is one small query every 20 ms,
  // as the throughput workloads do.
  let job = await app.plugin.getJob(jobId);
  while (job.status === 'IN_PROGRESS' && performance.now() - t1 < windowMs) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    job = await app.plugin.getJob(jobId);
  }
  const t2 = performance.now();
  const cpuSec = await cpu.stop();
  if (job.status !== 'IN_PROGRESS' && job.status !== 'DONE') throw new Error(`bench job ended ${job.status}`);
  const finished = job.status === 'DONE';
  // The next phase starts with no job of this one running.
  if (!finished) await app.plugin.cancelJob(jobId);
  const sec = (t2 - t1) / 1000;
  return {
    jobId, tasks, done: job.done, sec: Number(sec.toFixed(3)), tasksPerSec: Math.round(job.done / sec), finished,
    enqueueSec: Number(((t1 - t0) / 1000).toFixed(3)), cpuSec,
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'run') {
    out(`result ${JSON.stringify(await run(Number(args[0]), Number(args[1])))}`);
  } else if (command === 'stop') {
    break;
  }
}
await app.close();
process.exit(0);
