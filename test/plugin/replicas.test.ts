/**
 * Several replicas (real child processes) sharing one database: every task runs exactly once,
 * the parallel limit holds across processes (counted in the database), progress and status are
 * right; a replica killed with SIGKILL loses nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableDbKinds, freshDatabase, type FreshDatabase, type DbKind } from '../helpers/databases.js';
import { JOBS_TABLE_SQL } from '../helpers/jobs-resource.js';
import { query } from '../helpers/sql.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

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

async function waitForJob(kind: DbKind, client: any, jobId: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query(kind, client, 'SELECT status, progress FROM jobs WHERE id = ?', [jobId]);
    // The row is a mirror: a replica's late progress write may land after the final one, which the
    // finishing replica re-asserts a second later (plugin/src/index.ts reassertFinalRow).
    if (row && row.status !== 'IN_PROGRESS' && String(row.progress) === '100') return row;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${row?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openClient(db: FreshDatabase): Promise<{ client: any; close(): Promise<void> }> {
  if (db.kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const client = new Database(db.url.slice('sqlite://'.length), { readonly: true });
    return { client, close: async () => { client.close(); } };
  }
  if (db.kind === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Pool({ connectionString: db.url, max: 2 });
    return { client, close: () => client.end() };
  }
  const { default: mysql } = await import('mysql2/promise');
  const client = mysql.createPool({ uri: db.url, connectionLimit: 2 });
  return { client, close: () => client.end() };
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
      expect(await waitForJob(kind, client, jobId)).toMatchObject({ status: 'DONE', progress: '100' });
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
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });

  it('a replica killed with SIGKILL mid-job loses nothing: the other finishes the job', async () => {
    const db = await prepare(kind);
    const a = await startReplica(db.url, { REPLICA_CREATE_TASKS: '600', REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '10', REPLICA_LEASE_MS: '1500' });
    const jobId = await a.jobId();
    const { client, close } = await openClient(db);
    try {
      const b = await startReplica(db.url, { REPLICA_PARALLEL: '4', REPLICA_TASK_MS: '10', REPLICA_LEASE_MS: '1500' });
      for (;;) {
        const [row] = await query(kind, client, `SELECT COUNT(*) AS n FROM replica_runs WHERE pid = ? AND phase = 'end'`, [a.pid]);
        if (Number(row.n) >= 50) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      a.child.kill('SIGKILL');
      expect(await a.exited).toBe('SIGKILL');
      expect(await waitForJob(kind, client, jobId)).toMatchObject({ status: 'DONE', progress: '100' });
      const runs = await query(kind, client, `SELECT idx, pid FROM replica_runs WHERE job_id = ? AND phase = 'end'`, [jobId]);
      expect(new Set(runs.map((r) => Number(r.idx))).size).toBe(600);
      expect(runs.some((r) => Number(r.pid) === b.pid)).toBe(true);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
    } finally {
      await close();
    }
  });
});
