/**
 * Crash and restart with real processes (the demo app on one SQLite file): a process running a
 * 2,000-task job is killed with SIGKILL midway and started again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDemoJob, killDemoProcesses, loginTo, startDemo, freePort } from '../helpers/demo-process.js';
import { until } from '../helpers/wait.js';

const dirs: string[] = [];
afterEach(async () => {
  await killDemoProcesses();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface AuditLine { pid: number; jobId: string; index: number; what: 'start' | 'end'; at: number }

function readAudit(file: string): AuditLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [pid, jobId, index, what, at] = line.split(' ');
    return { pid: Number(pid), jobId, index: Number(index), what: what as 'start' | 'end', at: Number(at) };
  });
}

/** The demo runs in its own processes, 2,000 tasks of 20 ms: generous waits. */
const WAIT = { timeoutMs: 60_000 };

describe('SIGKILL mid-job and restart (SQLite, real processes)', () => {
  it('loses no task, runs none in two places at once, and resumes before the old lease expires', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'af-jobs-crash-'));
    dirs.push(dir);
    const env = { DEMO_DB: path.join(dir, 'demo.sqlite'), DEMO_AUDIT_FILE: path.join(dir, 'audit.log') };
    const port = await freePort();

    const first = await startDemo(env, port);
    const jobId = await createDemoJob(first.url, await loginTo(first.url, 'adminforth', 'adminforth'), { handler: 'demo_job', tasks: 2000, taskMs: 20 });
    await until('400 finished tasks', () => readAudit(env.DEMO_AUDIT_FILE).filter((l) => l.what === 'end').length >= 400, WAIT);

    const db = new Database(env.DEMO_DB, { readonly: true, fileMustExist: true });
    const leaseAtKill = (db.prepare(`SELECT MAX(lease_expires) AS t FROM af_bj_tasks WHERE status = 'IN_PROGRESS'`).get() as { t: number }).t;
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    const doneAtKill = readAudit(env.DEMO_AUDIT_FILE).filter((l) => l.what === 'end').length;
    expect(doneAtKill).toBeLessThan(2000);

    const second = await startDemo(env, port);
    // A job created while the restarted process resumes the old one: each of its tasks runs once.
    const during = await createDemoJob(second.url, await loginTo(second.url, 'adminforth', 'adminforth'), { handler: 'demo_job', tasks: 200, taskMs: 1 });

    const status = (id: string) => (db.prepare('SELECT status, progress FROM jobs WHERE id = ?').get(id) as { status: string; progress: string });
    await until('both jobs DONE', () => status(jobId).status === 'DONE' && status(during).status === 'DONE', WAIT);
    expect(status(jobId)).toEqual({ status: 'DONE', progress: '100' });
    const key = (db.prepare('SELECT job_key FROM af_bj_jobs WHERE job_id = ?').get(jobId) as { job_key: number }).job_key;
    expect(db.prepare('SELECT status, COUNT(*) AS n FROM af_bj_tasks WHERE job_key = ? GROUP BY status').all(key)).toEqual([{ status: 'DONE', n: 2000 }]);
    db.close();

    const audit = readAudit(env.DEMO_AUDIT_FILE);
    const runs = new Map<number, AuditLine[]>();
    for (const line of audit.filter((l) => l.jobId === jobId)) runs.set(line.index, [...(runs.get(line.index) ?? []), line]);
    expect(runs.size).toBe(2000);
    for (const [index, lines] of runs) {
      expect(lines.some((l) => l.what === 'end'), `task ${index} finished`).toBe(true);
      // Runs of one task never overlap: a run of the second process starts after the first
      // process's run ended or the process died.
      const firstRun = lines.filter((l) => l.pid === first.pid);
      const secondStarts = lines.filter((l) => l.pid === second.pid && l.what === 'start');
      if (firstRun.length && secondStarts.length) {
        const firstEnd = firstRun.find((l) => l.what === 'end')?.at ?? killedAt;
        for (const s of secondStarts) expect(s.at).toBeGreaterThanOrEqual(firstEnd);
      }
      expect(secondStarts.length).toBeLessThanOrEqual(1);
    }
    // Resumed without waiting for the dead process's leases to expire.
    const firstResumed = Math.min(...audit.filter((l) => l.pid === second.pid && l.jobId === jobId).map((l) => l.at));
    expect(firstResumed).toBeLessThan(leaseAtKill);

    const duringStarts = audit.filter((l) => l.jobId === during && l.what === 'start');
    expect(duringStarts.length).toBe(200);
    expect(new Set(duringStarts.map((l) => l.index)).size).toBe(200);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
