/**
 * Issue 17: the whole engine under `node --unhandled-rejections=strict` (where any unhandled
 * rejection kills the process, as in the replicas that crashed one after another). A child process
 * runs a job whose handlers throw every nasty value of thrown-values.ts on a real SQLite file
 * (thrown-values-child.ts); it must exit 0 with every task FAILED and the expected message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { thrownValueCase, thrownValueTasks } from './thrown-values.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); })));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the child to its end (killed after `ms`); resolves with its exit code and output. */
function runChild(file: string, ms = 50_000): Promise<{ code: number | string | null; out: string }> {
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--import', 'tsx', 'test/plugin/thrown-values-child.ts', file], {
    cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const timer = setTimeout(() => { out += `\n[killed by the test after ${ms} ms]`; child.kill('SIGKILL'); }, ms);
  return new Promise((resolve) => child.once('exit', (code, signal) => {
    clearTimeout(timer);
    children.delete(child);
    resolve({ code: code ?? signal, out });
  }));
}

describe('the engine under --unhandled-rejections=strict (child process, SQLite file)', () => {
  it('a job whose handlers throw every nasty value ends with every task FAILED, and the process exits 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'af-jobs-strict-'));
    dirs.push(dir);
    const file = path.join(dir, 'jobs.sqlite');
    const { code, out } = await runChild(file);
    expect(code, out).toBe(0);

    const expected = thrownValueTasks().map((_, index) => ['FAILED', 2, thrownValueCase(index).value.message]);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const job = db.prepare("SELECT job_key, status, total, failed FROM af_bj_jobs WHERE job_id = 'strict-job'").get() as { job_key: number; status: string; total: number; failed: number };
      expect(job).toMatchObject({ status: 'DONE_WITH_ERRORS', total: expected.length, failed: expected.length });
      const tasks = db.prepare('SELECT status, attempt, error, state FROM af_bj_tasks WHERE job_key = ? ORDER BY idx').all(job.job_key) as { status: string; attempt: number; error: string; state: string }[];
      expect(tasks.map((t) => [t.status, t.attempt, t.error])).toEqual(expected);
      expect(tasks.every((t) => JSON.parse(t.state).error === t.error)).toBe(true);
    } finally {
      db.close();
    }
    expect(out).toContain('engine strict-job');
    expect(out).toContain("error: background-jobs: onAllTasksDone of 'nasty' failed for job strict-job: [object with no prototype, not serialisable: Converting circular structure to JSON]");
    const line = out.split('\n').find((l) => l.startsWith('runHandler '));
    expect(JSON.parse(line!.slice('runHandler '.length))).toEqual(expected.map(([status, , message]) => [status, 1, message]));
  });
});
