/**
 * Several replicas (real child processes) sharing one database: every task runs exactly once,
 * the parallel limit holds across processes (counted in the database), progress and status are
 * right; a replica killed with SIGKILL loses nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableDbKinds, freshDatabase, openClient, type FreshDatabase, type DbKind } from '../helpers/databases.js';
import { JOBS_TABLE_SQL } from '../helpers/jobs-resource.js';
import { query } from '../helpers/sql.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';
import { until, untilValue } from '../helpers/wait.js';
import { af, configDir, jsonLines, removeConfigDirs, RunningCli } from '../cli/jobs-helpers.js';
import { EXIT } from '../../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children = new Set<ChildProcess>();
const databases: FreshDatabase[] = [];

afterEach(async () => {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); })));
  for (const db of databases.splice(0)) await db.drop();
});

interface Replica { child: ChildProcess; pid: number; jobId: () => Promise<string>; exited: Promise<number | string | null>; output: () => string }

async function startReplica(url: string, env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/replica.ts'], {
    cwd: ROOT, env: { ...process.env, REPLICA_DB_URL: url, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => { children.delete(child); resolve(code ?? signal); }));
  const line = (prefix: string) => new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = out.split('\n').find((l) => l.startsWith(prefix));
      if (match) { child.stdout!.off('data', check); resolve(match.slice(prefix.length)); }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`replica exited before printing "${prefix}":\n${out}`)));
    check();
  });
  const pid = Number(await line('ready '));
  return { child, pid, jobId: () => line('job '), exited, output: () => out };
}

/** SIGTERM → plugin.stop(): each replica exits 0. */
async function stopGracefully(...replicas: Replica[]): Promise<void> {
  for (const r of replicas) r.child.kill('SIGTERM');
  for (const r of replicas) expect(await r.exited).toBe(0);
}

async function prepare(kind: DbKind): Promise<FreshDatabase> {
  const db = await freshDatabase(kind);
  databases.push(db);
  const text = kind === 'mysql' ? 'VARCHAR(64)' : 'TEXT';
  await db.exec(JOBS_TABLE_SQL[kind]);
  await db.exec(`CREATE TABLE replica_runs (job_id ${text}, idx INTEGER, pid INTEGER, phase ${text}, at BIGINT)`);
  await db.exec('CREATE TABLE replica_gauge (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, max_n INTEGER NOT NULL)');
  await db.exec('INSERT INTO replica_gauge (id, n, max_n) VALUES (1, 0, 0)');
  return db;
}

/** The job's row once it is final at 100 %. */
async function untilRowFinal(kind: DbKind, client: any, jobId: string, timeoutMs = 90_000) {
  // The row is a mirror: a replica's late progress write may land after the final one, which the
  // finishing replica re-asserts a second later (plugin/src/index.ts reassertFinalRow).
  return untilValue(`the row of job ${jobId} to be final at 100 %`,
    async () => (await query(kind, client, 'SELECT status, progress FROM jobs WHERE id = ?', [jobId]))[0],
    (row) => row && row.status !== 'IN_PROGRESS' && String(row.progress) === '100',
    { timeoutMs, intervalMs: 100 });
}

// Every database the plugin supports and this machine runs.
const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

describe.each(kinds)('two replicas on one %s database', (kind) => {
  it('share a 2,000-task job: each task once, never more than parallelLimit at once, DONE with progress 100', async () => {
    const db = await prepare(kind);
    const a = await startReplica(db.url, { REPLICA_CREATE_TASKS: '2000', REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '3' });
    const b = await startReplica(db.url, { REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '3' });
    const jobId = await a.jobId();
    const { client, close } = await openClient(db);
    try {
      expect(await untilRowFinal(kind, client, jobId)).toMatchObject({ status: 'DONE', progress: '100' });
      const runs = await query(kind, client, 'SELECT idx, pid, phase FROM replica_runs WHERE job_id = ?', [jobId]);
      const starts = runs.filter((r) => r.phase === 'start');
      const ends = runs.filter((r) => r.phase === 'end');
      expect(starts).toHaveLength(2000);
      expect(new Set(starts.map((r) => Number(r.idx))).size).toBe(2000);
      expect(ends).toHaveLength(2000);
      const byPid = new Set(starts.map((r) => Number(r.pid)));
      expect(byPid).toEqual(new Set([a.pid, b.pid]));
      const [gauge] = await query(kind, client, 'SELECT n, max_n FROM replica_gauge WHERE id = 1');
      expect(Number(gauge.n)).toBe(0);
      expect(Number(gauge.max_n)).toBeGreaterThan(1);
      expect(Number(gauge.max_n)).toBeLessThanOrEqual(4);
    } finally {
      await close();
    }
    await stopGracefully(a, b);
  });

  it('a replica killed with SIGKILL mid-job loses nothing: the other finishes the job', async () => {
    const db = await prepare(kind);
    // Tasks from 100 on finish only once the gate file exists, which is after the kill: A cannot
    // finish the job first, however fast it runs (it once did, on a loaded machine).
    const gateDir = mkdtempSync(path.join(tmpdir(), 'af-jobs-gate-'));
    const gate = { REPLICA_GATE_FILE: path.join(gateDir, 'open'), REPLICA_GATE_FROM: '100' };
    const a = await startReplica(db.url, { REPLICA_CREATE_TASKS: '600', REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '10', REPLICA_LEASE_MS: '1500', ...gate });
    const jobId = await a.jobId();
    const { client, close } = await openClient(db);
    try {
      const b = await startReplica(db.url, { REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '10', REPLICA_LEASE_MS: '1500', ...gate });
      await until('replica A to finish 50 tasks', async () => {
        const [row] = await query(kind, client, `SELECT COUNT(*) AS n FROM replica_runs WHERE pid = ? AND phase = 'end'`, [a.pid]);
        return Number(row.n) >= 50;
      }, { timeoutMs: 60_000, intervalMs: 20 });
      a.child.kill('SIGKILL');
      expect(await a.exited).toBe('SIGKILL');
      writeFileSync(gate.REPLICA_GATE_FILE, '');
      expect(await untilRowFinal(kind, client, jobId)).toMatchObject({ status: 'DONE', progress: '100' });
      const runs = await query(kind, client, `SELECT idx, pid FROM replica_runs WHERE job_id = ? AND phase = 'end'`, [jobId]);
      expect(new Set(runs.map((r) => Number(r.idx))).size).toBe(600);
      expect(runs.some((r) => Number(r.pid) === b.pid)).toBe(true);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
    } finally {
      await close();
      rmSync(gateDir, { recursive: true, force: true });
    }
  });
});

/**
 * A replica's log follower reads the other replicas' events (woken by NOTIFY on PostgreSQL, every
 * eventPollMs elsewhere): a job another replica starts runs here and its cancel aborts the tasks
 * here at once. The polls and heartbeats (60 s here) that would otherwise carry both are far
 * longer than the test waits.
 */
describe.each(kinds)('two replicas on one %s database, polls and heartbeats a minute apart', (kind) => {
  it('a job the other replica starts runs here at once, and its cancel aborts the tasks running here at once', async () => {
    const db = await prepare(kind);
    const slow = { REPLICA_PARALLEL: '4', REPLICA_POLL_MS: '60000', REPLICA_HEARTBEAT_MS: '60000', REPLICA_LEASE_MS: '300000' };
    // A's tasks take 200 ms, so it soon gives B its fair share of the run slots; B's take 30 s.
    const b = await startReplica(db.url, { ...slow, REPLICA_TASK_MS: '30000' });
    const a = await startReplica(db.url, { ...slow, REPLICA_TASK_MS: '200', REPLICA_CREATE_TASKS: '400' });
    const jobId = await a.jobId();
    const { client, close } = await openClient(db);
    const count = async (sql: string, params: unknown[]) => Number((await query(kind, client, sql, params))[0].n);
    try {
      await until('replica B starts tasks of the job A created', async () =>
        (await count(`SELECT COUNT(*) AS n FROM replica_runs WHERE job_id = ? AND pid = ? AND phase = 'start'`, [jobId, b.pid])) > 0);
      a.child.kill('SIGUSR1');
      // Every handler, on both replicas, saw its signal abort: none is still in its 30 s sleep.
      await until('every running task aborted', async () => (await count('SELECT n FROM replica_gauge WHERE id = 1', [])) === 0);
      // B's tasks were cut short, not finished.
      expect(await count(`SELECT COUNT(*) AS n FROM replica_runs WHERE job_id = ? AND pid = ? AND phase = 'end'`, [jobId, b.pid])).toBe(0);
      await until('the job row says CANCELLED', async () =>
        (await query(kind, client, 'SELECT status FROM jobs WHERE id = ?', [jobId]))[0]?.status === 'CANCELLED');
    } finally {
      await close();
    }
    await stopGracefully(a, b);
  });
});

/**
 * Live events across replicas (issue 9): each replica serves HTTP and `/afws`; a websocket client
 * on each, subscribed to the job's topics, receives every event of the job in sequence order, none
 * twice; `jobs/events` on either replica answers exactly the events after a sequence number.
 */
interface Live { replica: Replica; port: number; cookie: string; socket: TestSocket; api: string }

async function liveReplica(url: string, env: Record<string, string>): Promise<Live> {
  const replica = await startReplica(url, { REPLICA_HTTP: '1', REPLICA_EVENT_POLL_MS: '100', ...env });
  const port = Number(/^http (\d+)$/m.exec(replica.output())![1]);
  const base = `http://127.0.0.1:${port}/adminapi/v1`;
  const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }) });
  expect(login.status).toBe(200);
  const cookie = login.headers.getSetCookie().find((c) => c.includes('_jwt='))!.split(';')[0];
  const discovery = await (await fetch(`${base}/plugin/background-jobs/instances`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })).json() as any;
  const socket = await TestSocket.open(`ws://127.0.0.1:${port}/afws`, cookie);
  socket.send({ type: 'subscribe', topic: '/background-jobs-job-update' });
  return { replica, port, cookie, socket, api: `http://127.0.0.1:${port}${discovery.instances[0].apiPath}` };
}

/** This job's messages on a client, as [seq, topic] in arrival order. */
function received(live: Live, jobId: string): { seq: number; topic: string; data: any }[] {
  return live.socket.frames.map((f) => JSON.parse(f))
    .filter((m) => m.type === 'message' && (m.topic === `/background-jobs-task-update/${jobId}` || (m.topic === '/background-jobs-job-update' && m.data.jobId === jobId)))
    .map((m) => ({ seq: m.data.seq, topic: m.topic, data: m.data }));
}

async function eventsAfter(live: Live, jobId: string, after: number): Promise<{ seq: number; type: string }[]> {
  const out: { seq: number; type: string }[] = [];
  for (;;) {
    const page = await (await fetch(`${live.api}/jobs/events`, { method: 'POST', headers: { cookie: live.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ jobId, after, timeoutMs: 0 }) })).json() as any;
    expect(page.durable).toBe(true);
    out.push(...page.events);
    if (page.events.length === 0) return out;
    after = page.lastSeq;
  }
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Subscribed to the task topic late (the job id comes with the job): from the first task message on, every seq, in order. */
function expectInOrderFromFirstTaskMessage(messages: { seq: number; topic: string }[], lastSeq: number): void {
  const seqs = messages.map((m) => m.seq);
  expect(seqs.every((s) => typeof s === 'number')).toBe(true);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  const firstTask = messages.findIndex((m) => m.topic.startsWith('/background-jobs-task-update/'));
  expect(firstTask).toBeGreaterThanOrEqual(0);
  expect(seqs.slice(firstTask)).toEqual(range(seqs[firstTask], lastSeq));
}

async function liveJob(kind: DbKind, tasks: number) {
  const db = await prepare(kind);
  const { ADMINUSER_TABLE_SQL } = await import('../helpers/adminuser.js');
  await db.exec(ADMINUSER_TABLE_SQL[kind]);
  const env = { REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '40', REPLICA_LEASE_MS: '3000' };
  const a = await liveReplica(db.url, env);
  const b = await liveReplica(db.url, { ...env, REPLICA_CREATE_TASKS: String(tasks), REPLICA_CREATE_ON_SIGNAL: '1' });
  b.replica.child.kill('SIGUSR2');
  const jobId = await b.replica.jobId();
  for (const live of [a, b]) live.socket.send({ type: 'subscribe', topic: `/background-jobs-task-update/${jobId}` });
  return { db, a, b, jobId };
}

async function finalSeq(live: Live, jobId: string, timeoutMs = 60_000): Promise<number> {
  const finished = await until(`the final event on port ${live.port}`,
    () => received(live, jobId).find((m) => m.topic === '/background-jobs-job-update' && ['DONE', 'DONE_WITH_ERRORS'].includes(m.data.status)),
    { timeoutMs, intervalMs: 100, explain: () => `last received: ${JSON.stringify(received(live, jobId).slice(-5))}` });
  return finished.seq;
}

/**
 * Once the job's final event is out: waits until the durable log ends with job:finished and every
 * client in `lives` has received a message numbered with the log's last event: the last messages
 * may still be on their way from the other replica (its log follower polls every 100 ms here).
 */
async function caughtUp(lives: Live[], jobId: string): Promise<void> {
  await until(`every client to receive job ${jobId}'s last logged event`, async () => {
    const last = (await eventsAfter(lives[0], jobId, 0)).at(-1);
    return last?.type === 'job:finished' && lives.every((live) => received(live, jobId).some((m) => m.seq === last.seq));
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

describe.each(kinds)('live events across two replicas on one %s database', (kind) => {
  afterEach(async () => { await closeTestSockets(); });

  it('every client gets every event in order, none twice; jobs/events on either replica fills a gap exactly', async () => {
    const { db, a, b, jobId } = await liveJob(kind, 60);
    // And an `af-jobs tail` on replica A.
    const config = configDir();
    const login = await af(['login', '--url', `http://127.0.0.1:${a.port}`, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
    expect(login.code, login.stderr).toBe(EXIT.OK);
    const tail = new RunningCli(['tail', jobId, '-o', 'jsonl'], { config });
    const last = Math.max(await finalSeq(a, jobId), await finalSeq(b, jobId));
    await caughtUp([a, b], jobId);
    const all = await eventsAfter(a, jobId, 0);
    expect(all.map((e) => e.seq)).toEqual(range(1, all.length));
    const lastSeq = all.length;
    expect(last).toBeLessThanOrEqual(lastSeq);
    // Both replicas ran tasks.
    const client = await openClient(db);
    try {
      expect(await query(kind, client.client, 'SELECT DISTINCT pid FROM replica_runs', [])).toHaveLength(2);
    } finally {
      await client.close();
    }
    for (const live of [a, b]) expectInOrderFromFirstTaskMessage(received(live, jobId), lastSeq);
    expect(all.filter((e) => e.type === 'task:done')).toHaveLength(60);
    expect(all.at(-1)!.type).toBe('job:finished');
    // A client that lost the socket after some event resumes through the other replica: exactly the rest.
    const mid = received(a, jobId)[Math.floor(received(a, jobId).length / 2)].seq;
    expect((await eventsAfter(b, jobId, mid)).map((e) => e.seq)).toEqual(range(mid + 1, lastSeq));
    // The tail printed every event once, in order, and ended with the job's status.
    const tailed = await tail.done;
    removeConfigDirs();
    expect(tailed.code, tailed.stderr).toBe(EXIT.OK);
    const printed = jsonLines<{ seq: number; type: string }>(tailed.stdout);
    expect(printed.map((e) => e.seq)).toEqual(range(1, lastSeq));
    expect(printed.at(-1)!.type).toBe('job:finished');
  });

  it("a replica killed mid-job: the survivor's client still receives the rest, in order", async () => {
    const { a, b, jobId } = await liveJob(kind, 120);
    // Wait until the job is well under way on both, then kill the creator.
    await until('the job to get going (20 tasks DONE)', () => received(a, jobId).filter((m) => m.data.status === 'DONE').length >= 20, { timeoutMs: 30_000 });
    b.replica.child.kill('SIGKILL');
    await b.replica.exited;
    await finalSeq(a, jobId, 90_000);
    await caughtUp([a], jobId);
    const all = await eventsAfter(a, jobId, 0);
    expect(all.map((e) => e.seq)).toEqual(range(1, all.length));
    expectInOrderFromFirstTaskMessage(received(a, jobId), all.length);
    const done = new Set(all.filter((e) => e.type === 'task:done').map((e: any) => e.taskIndex));
    expect(done.size).toBe(120);
  });
});
