/**
 * A schedule every second on two replicas (real child processes) sharing one database, one of
 * them killed with SIGKILL half-way and started again (issue 20): every tick of the window fired
 * exactly once — one tick row each, no gap from the first to the last, one job per tick, none
 * without its tick. overlap 'allow' and a no-op handler, so no tick is legitimately skipped.
 * About 30 seconds per database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableDbKinds, freshDatabase, openClient, type FreshDatabase } from '../helpers/databases.js';
import { JOBS_TABLE_SQL } from '../helpers/jobs-resource.js';
import { query } from '../helpers/sql.js';
import { until } from '../helpers/wait.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children = new Set<ChildProcess>();
const databases: FreshDatabase[] = [];
const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));
const SCHEDULE = 'every-second';

afterEach(async () => {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); })));
  for (const db of databases.splice(0)) await db.drop();
});

interface Replica { child: ChildProcess; pid: number; owner: string; exited: Promise<number | string | null>; output: () => string }

async function startReplica(url: string): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/plugin/schedule-replica-child.ts'], {
    cwd: ROOT, env: { ...process.env, SCHEDULE_DB_URL: url, SCHEDULE_LEASE_MS: '2000' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => { children.delete(child); resolve(code ?? signal); }));
  let gone: string | false = false;
  void exited.then((how) => { gone = `the replica exited (${how}):\n${out}`; });
  const ready = await until('the replica to be ready', () => /^ready (\d+) (\S+)$/m.exec(out), { timeoutMs: 60_000, giveUpIf: () => gone });
  return { child, pid: Number(ready[1]), owner: ready[2], exited, output: () => out };
}

describe.each(kinds)('a schedule every second on two replicas of one %s database', (kind) => {
  it('fires every tick exactly once while a replica is killed with SIGKILL and started again', async () => {
    const db = await freshDatabase(kind);
    databases.push(db);
    await db.exec(JOBS_TABLE_SQL[kind]);
    const a = await startReplica(db.url);
    const b = await startReplica(db.url);
    const { client, close } = await openClient(db);
    const count = async (sql: string, params: unknown[] = []) => Number((await query(kind, client, sql, params))[0].n);
    const fired = () => count(`SELECT COUNT(*) AS n FROM af_bj_schedule_ticks WHERE schedule_name = ? AND status = 'FIRED'`, [SCHEDULE]);
    const explain = async () => `A:\n${a.output()}\nB:\n${b.output()}`;
    try {
      const wait = { timeoutMs: 60_000, intervalMs: 200, explain };
      await until('10 ticks fired by the two replicas', async () => (await fired()) >= 10, wait);
      a.child.kill('SIGKILL');
      expect(await a.exited).toBe('SIGKILL');
      const afterKill = await fired();
      await until('5 more ticks fired by the replica left', async () => (await fired()) >= afterKill + 5, wait);
      const a2 = await startReplica(db.url);
      await until('30 ticks fired in all', async () => (await fired()) >= 30, wait);
      // A tick the killed replica had claimed is finished by another one once the claim expires.
      await until('no claim of the killed replica left', async () =>
        (await count(`SELECT COUNT(*) AS n FROM af_bj_schedule_ticks WHERE status = 'CLAIMED' AND owner LIKE ?`, [`${a.owner}%`])) === 0, wait);
      for (const r of [a2, b]) r.child.kill('SIGTERM');
      for (const r of [a2, b]) expect(await r.exited, r.output()).toBe(0);

      const ticks = await query(kind, client, `SELECT tick_at, status, job_id FROM af_bj_schedule_ticks WHERE schedule_name = ? ORDER BY tick_at`, [SCHEDULE]);
      const times = ticks.map((t) => Number(t.tick_at));
      expect(times.length).toBeGreaterThanOrEqual(30);
      // Every second from the first tick to the last, each once (the primary key), each FIRED with its own job.
      expect(times).toEqual(times.map((_, i) => times[0] + i * 1000));
      expect(ticks.filter((t) => t.status !== 'FIRED')).toEqual([]);
      expect(new Set(ticks.map((t) => String(t.job_id))).size).toBe(ticks.length);
      // One job per tick in the engine, and no job beyond the ticks (none made twice by a takeover).
      const jobs = await query(kind, client, `SELECT job_id, schedule_tick FROM af_bj_jobs WHERE schedule_name = ? AND status <> 'DRAFT' ORDER BY schedule_tick`, [SCHEDULE]);
      expect(jobs.map((j) => [Number(j.schedule_tick), String(j.job_id)])).toEqual(ticks.map((t) => [Number(t.tick_at), String(t.job_id)]));
      // Each job has its row in the jobs resource.
      const rows = await query(kind, client, `SELECT id FROM jobs WHERE name = ?`, [SCHEDULE]);
      const rowIds = new Set(rows.map((r) => String(r.id)));
      expect(jobs.filter((j) => !rowIds.has(String(j.job_id)))).toEqual([]);
    } finally {
      await close();
    }
  }, 180_000);
});
