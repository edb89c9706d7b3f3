/**
 * The Jobs page's handler metrics count every replica's work (docs/jobs-page.md): two replicas
 * (real child processes, test/helpers/replica.ts) share one database and both run the tasks of one
 * job; `metrics/handlers` on either replica reports all of its tasks, with a duration for each —
 * the other replica's reach it through the durable event log, `durationMs` included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableDbKinds, freshDatabase, openClient, type FreshDatabase } from '../helpers/databases.js';
import { JOBS_TABLE_SQL } from '../helpers/jobs-resource.js';
import { ADMINUSER_TABLE_SQL } from '../helpers/adminuser.js';
import { query } from '../helpers/sql.js';
import { until, untilValue } from '../helpers/wait.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));
const children = new Set<ChildProcess>();
const databases: FreshDatabase[] = [];

afterEach(async () => {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); })));
  for (const db of databases.splice(0)) await db.drop();
});

interface Replica { child: ChildProcess; output: () => string; line: (prefix: string) => Promise<string>; api: string; cookie: string }

async function startReplica(url: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/replica.ts'], {
    cwd: ROOT, env: { ...process.env, REPLICA_DB_URL: url, REPLICA_HTTP: '1', REPLICA_EVENT_POLL_MS: '100', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  child.once('exit', () => children.delete(child));
  const line = (prefix: string) => until(`replica to print "${prefix}"`, () => out.split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length),
    { timeoutMs: 60_000, intervalMs: 50, explain: () => out });
  await line('ready ');
  const port = Number(await line('http '));
  const base = `http://127.0.0.1:${port}/adminapi/v1`;
  const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }) });
  expect(login.status).toBe(200);
  const cookie = login.headers.getSetCookie().find((c) => c.includes('_jwt='))!.split(';')[0];
  const discovery = await (await fetch(`${base}/plugin/background-jobs/instances`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })).json() as any;
  return { child, output: () => out, line, api: `http://127.0.0.1:${port}${discovery.instances[0].apiPath}`, cookie };
}

async function metricsOf(replica: Replica): Promise<any> {
  const response = await fetch(`${replica.api}/metrics/handlers`, { method: 'POST', headers: { cookie: replica.cookie, 'content-type': 'application/json' }, body: '{}' });
  expect(response.status).toBe(200);
  return ((await response.json()) as any).handlers.find((h: any) => h.handler === 'replica_work');
}

describe.each(kinds)('handler metrics across two replicas on one %s database', (kind) => {
  it("each replica counts every task of the job, the other replica's with their durations", async () => {
    const db = await freshDatabase(kind);
    databases.push(db);
    const text = kind === 'mysql' ? 'VARCHAR(64)' : 'TEXT';
    await db.exec(JOBS_TABLE_SQL[kind]);
    await db.exec(ADMINUSER_TABLE_SQL[kind]);
    await db.exec(`CREATE TABLE replica_runs (job_id ${text}, idx INTEGER, pid INTEGER, phase ${text}, at BIGINT)`);
    await db.exec('CREATE TABLE replica_gauge (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, max_n INTEGER NOT NULL)');
    await db.exec('INSERT INTO replica_gauge (id, n, max_n) VALUES (1, 0, 0)');
    const tasks = 40;
    const env = { REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '30', REPLICA_LEASE_MS: '3000' };
    const a = await startReplica(db.url, env);
    const b = await startReplica(db.url, { ...env, REPLICA_CREATE_TASKS: String(tasks), REPLICA_CREATE_ON_SIGNAL: '1' });
    b.child.kill('SIGUSR2');
    const jobId = await b.line('job ');

    const { client: pool, close } = await openClient(db);
    try {
      await untilValue(`job ${jobId} to finish`, async () => (await query(kind, pool, 'SELECT status FROM af_bj_jobs WHERE job_id = ?', [jobId]))[0]?.status,
        (status) => status === 'DONE', { timeoutMs: 90_000, intervalMs: 100 });
      const pids = await query(kind, pool, "SELECT pid, COUNT(*) AS n FROM replica_runs WHERE phase = 'end' GROUP BY pid", []);
      // Both replicas ran tasks: each one's counters must have the other's.
      expect(pids).toHaveLength(2);
      const [job] = await query(kind, pool, 'SELECT done, failed FROM af_bj_jobs WHERE job_id = ?', [jobId]);
      expect(Number(job.done)).toBe(tasks);
      for (const replica of [a, b]) {
        const h = await untilValue('the replica to have read every event of the job', () => metricsOf(replica),
          (m) => m?.lastHour.tasksDone === tasks, { timeoutMs: 30_000, intervalMs: 100 });
        expect(h.lastHour).toMatchObject({ jobsCreated: 1, jobsFinished: 1, tasksDone: tasks, tasksFailed: 0 });
        expect(h.durationMs.count).toBe(tasks);
        expect(h.durationMs.p50).toBeGreaterThanOrEqual(25);
        expect(h.failureRate).toBe(0);
        expect(h.sparkline.tasks.reduce((x: number, y: number) => x + y, 0)).toBe(tasks);
        expect(h.now).toEqual({ queued: 0, running: 0 });
      }
    } finally {
      await close();
    }
  });
});

