/**
 * `af-jobs wait <jobId…>` against the demo app in its own process (issue 19): one line per job as
 * it finishes, tail's exit codes (the worst of the jobs'), `--for done`, `--timeout`, Ctrl-C in a
 * real terminal, and that it follows through the websocket (the follower), not a poll loop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createDemoJob, killDemoProcesses, loginTo, startDemo, type DemoProcess } from '../helpers/demo-process.js';
import { af, configDir, jsonLines, removeConfigDirs, RunningCli } from './jobs-helpers.js';
import { PtyCli } from './pty.js';

let demo: DemoProcess;
let dbDir: string;
let config: string;
let cookie: string;

beforeAll(async () => {
  dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-wait-'));
  demo = await startDemo({ DEMO_DB: path.join(dbDir, 'demo.sqlite') });
  config = configDir();
  const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
  expect(login.code, login.stderr).toBe(EXIT.OK);
  cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

/** A job that runs until the test cancels it (tasks of 10 minutes). */
const longJob = () => createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 600_000 });

describe('wait', () => {
  it('several jobs: one line each as it finishes (tab-separated when piped), exit by the worst (10)', async () => {
    const done = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 10, taskMs: 200 });
    const failed = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 10, taskMs: 300, failTasks: [3] });
    const result = await af(['wait', done, failed], { config });
    expect(result.code, result.stderr).toBe(EXIT.JOB_FAILED);
    const rows = result.stdout.split('\n').map((line) => line.split('\t'));
    expect(rows.map((row) => row.slice(0, 6)).sort()).toEqual([
      [done, 'DONE', '10', '0', '0', '10'],
      [failed, 'DONE_WITH_ERRORS', '9', '1', '0', '10'],
    ].sort());
    for (const row of rows) {
      expect(row[6]).toMatch(/^\d+$/);
      expect(row[7]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
    expect(result.stderr.trim()).toBe(`Error: 1 of 2 jobs did not finish DONE: ${failed} DONE_WITH_ERRORS.`);

    // Finished already: answers at once; -o json is every job, in the order given.
    const json = await af(['wait', failed, done, '-o', 'json'], { config });
    expect(json.code).toBe(EXIT.JOB_FAILED);
    expect(JSON.parse(json.stdout).map((job: { id: string; status: string }) => [job.id, job.status])).toEqual([[failed, 'DONE_WITH_ERRORS'], [done, 'DONE']]);
    expect(JSON.parse(json.stderr.trim())).toMatchObject({ error: { code: 'JOB_FAILED', exit: EXIT.JOB_FAILED } });
    const ok = await af(['wait', done, '-o', 'jsonl'], { config });
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
    expect(jsonLines(ok.stdout)).toEqual([expect.objectContaining({ id: done, status: 'DONE' })]);
  });

  it('follows a running job through the websocket, and exits 11 when it is cancelled', async () => {
    const jobId = await longJob();
    const wait = new RunningCli(['wait', jobId, '--verbose'], { config });
    await wait.waitFor((_out, err) => err.includes(`${jobId}: websocket: subscribed`), 'the socket subscribed to the job');
    expect(wait.stdout).toBe('');
    const cancel = await af(['cancel', jobId, '--yes'], { config });
    expect(cancel.code, cancel.stderr).toBe(EXIT.OK);
    const result = await wait.done;
    expect(result.code, result.stderr).toBe(EXIT.JOB_CANCELLED);
    expect(result.stdout.split('\t').slice(0, 2)).toEqual([jobId, 'CANCELLED']);
  });

  it('--for done stops at the first job that finishes otherwise; --for finished (default) waits for all, and --timeout gives 12', async () => {
    const running = await longJob();
    const failed = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 0, failTasks: [0] });
    try {
      const done = await af(['wait', running, failed, '--for', 'done'], { config });
      expect(done.code, done.stderr).toBe(EXIT.JOB_FAILED);
      expect(done.stdout.split('\n').map((line) => line.split('\t').slice(0, 2))).toEqual([[failed, 'DONE_WITH_ERRORS']]);
      expect(done.stderr).toContain('stopped waiting for the others: --for done; they keep running');

      // The running job's tasks take 10 minutes: the time runs out first, whatever the machine's speed.
      const finished = await af(['wait', running, failed, '--timeout', '1s'], { config });
      expect(finished.code, finished.stderr).toBe(EXIT.TIMEOUT);
      expect(finished.stdout.split('\n').map((line) => line.split('\t').slice(0, 2))).toEqual([[failed, 'DONE_WITH_ERRORS']]);
      expect(finished.stderr.trim()).toBe(`Error: Still waiting after 1.0s for 1 of 2 job(s): ${running} IN_PROGRESS (0/2 tasks finished); stopped waiting, the jobs keep running.`);
    } finally {
      await af(['cancel', running, '--yes'], { config });
    }
  });

  it('an unknown job fails before waiting (exit 5); no job id is a usage error (exit 2)', async () => {
    const done = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 1, taskMs: 0 });
    const missing = await af(['wait', done, 'no-such-job'], { config });
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('Job no-such-job not found');
    const none = await af(['wait'], { config });
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr).toMatch(/jobId/);
  });

  it('Ctrl-C in a terminal: says the job keeps running, exit 130', async () => {
    const jobId = await longJob();
    const wait = new PtyCli(['wait', jobId, '--verbose'], { config });
    try {
      await wait.waitFor((out) => out.includes(`${jobId}: websocket: subscribed`), 'the socket subscribed to the job');
      wait.press('\x03');
      const { code, output } = await wait.done;
      expect(code, output).toBe(EXIT.INTERRUPTED);
      expect(output).toMatch(new RegExp(`stopped waiting; job ${jobId} keeps running; af-jobs wait ${jobId} to wait again\\r\\n$`));
    } finally {
      wait.kill();
      await af(['cancel', jobId, '--yes'], { config });
    }
  });
});
