/**
 * `af-jobs tail` against the demo app in its own process (issue 8 §5): exit codes by the job's
 * final status, a websocket cut in the middle, websocket messages lost, the app killed and
 * restarted on the same port and SQLite file, the long-poll fallback behind a proxy that refuses
 * upgrades, `--timeout`, and the progress bar on a terminal.
 *
 * "No event lost or repeated" is checked on the sequence numbers `-o jsonl --states` prints: every
 * event the app records is printed, and the durable event log numbers them 1, 2, 3, … across
 * restarts, so they must run without a gap or a repeat.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { defaultTransport, type Transport } from '../../src/client/transport.js';
import { EXIT } from '../../src/errors.js';
import { runCli } from '../../src/main.js';
import { NO_PROMPTS, REPO } from './helpers.js';
import { createDemoJob, killDemoProcesses, loginTo, startDemo, type DemoProcess } from '../helpers/demo-process.js';
import { af, configDir, jsonLines, removeConfigDirs, RunningCli, TestProxy } from './jobs-helpers.js';
import { afInPty, barFrames, PtyCli } from './pty.js';
import { untilValue } from '../helpers/wait.js';

let demo: DemoProcess;
let dbDir: string;
let config: string;
let cookie: string;
const proxies: TestProxy[] = [];

beforeAll(async () => {
  dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-tail-'));
  demo = await startDemo({ DEMO_DB: path.join(dbDir, 'demo.sqlite') });
  config = configDir();
  const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
  expect(login.code, login.stderr).toBe(EXIT.OK);
  cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
});

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

interface Event {
  seq: number;
  type: string;
  taskIndex?: number;
  status?: string;
}

/** Splits events where the numbering starts again (an app restart) and checks each run is 1, 2, 3, … */
function expectConsecutive(events: Event[]): Event[][] {
  const runs: Event[][] = [];
  for (const event of events) {
    if (runs.length === 0 || event.seq <= runs.at(-1)!.at(-1)!.seq) runs.push([]);
    runs.at(-1)!.push(event);
  }
  for (const run of runs) expect(run.map((e) => e.seq)).toEqual(run.map((_, i) => i + 1));
  return runs;
}

/** A stream for an in-process CLI's stdout or stderr, and what was written to it. */
function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  return { stream, text: () => text };
}

/** Task indexes with a `task:done` event, sorted. */
const doneTasks = (events: Event[]) => events.filter((e) => e.type === 'task:done').map((e) => e.taskIndex).sort((a, b) => a! - b!);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function proxied(): Promise<TestProxy> {
  const proxy = await TestProxy.start(demo.url);
  proxies.push(proxy);
  const login = await af(['login', '--url', proxy.url, '--profile', `proxy${proxies.length}`, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
  expect(login.code, login.stderr).toBe(EXIT.OK);
  return proxy;
}

describe('tail exits by the final status', () => {
  it('DONE: one line per task event, then exit 0', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 12, taskMs: 150 });
    const result = await af(['tail', jobId], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    const lines = result.stdout.trim().split('\n').map((line) => line.split('\t'));
    for (const index of range(12)) {
      expect(lines.filter(([, type, task]) => type === 'task:started' && task === String(index)), `task ${index}`).toHaveLength(1);
      expect(lines.filter(([, type, task]) => type === 'task:done' && task === String(index)), `task ${index}`).toHaveLength(1);
    }
    expect(lines.at(-1)!.slice(1)).toEqual(['job:finished', '', 'finished DONE']);
    expect(result.stderr).toMatch(new RegExp(`Job ${jobId} finished DONE \\([^)]+\\): 12 done, 0 failed, 0 cancelled of 12\\.`));

    // A finished job: --new prints nothing more; -o json prints the job at the end.
    const again = await af(['tail', jobId, '--new', '-o', 'json'], { config });
    expect(again.code, again.stderr).toBe(EXIT.OK);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: jobId, status: 'DONE', tasks: { total: 12, done: 12 } });
  });

  it('DONE_WITH_ERRORS: failed tasks with their errors, exit 10 (also with --poll)', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 6, taskMs: 100, failTasks: [2, 4] });
    const result = await af(['tail', jobId, '--poll', '--verbose'], { config });
    expect(result.code, result.stderr).toBe(EXIT.JOB_FAILED);
    expect(result.stdout).toMatch(/\ttask:failed\t2\tfailed: Task 2 failed on purpose \(listed in failTasks\)\n/);
    expect(result.stdout).toMatch(/\ttask:failed\t4\tfailed: Task 4 failed on purpose/);
    expect(result.stderr).not.toContain('websocket');
    expect(result.stderr).toContain(`Error: Job ${jobId} finished DONE_WITH_ERRORS`);
    expect(result.stderr).toContain(': 4 done, 2 failed, 0 cancelled of 6. Last error: Task');
  });

  it('CANCELLED while followed: exit 11', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 10_000 });
    const tail = new RunningCli(['tail', jobId, '-o', 'jsonl'], { config });
    await tail.waitFor((out) => out.includes('"task:started"'), 'a task started');
    const cancel = await af(['cancel', jobId, '--yes'], { config });
    expect(cancel.code, cancel.stderr).toBe(EXIT.OK);
    const result = await tail.done;
    expect(result.code, result.stderr).toBe(EXIT.JOB_CANCELLED);
    const events = jsonLines<Event>(result.stdout);
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', status: 'CANCELLED' });
    // With -o jsonl the outcome is reported as one JSON object on stderr, like any error.
    const reported = JSON.parse(result.stderr.trim().split('\n').at(-1)!);
    expect(reported).toEqual({ error: { code: 'JOB_CANCELLED', exit: EXIT.JOB_CANCELLED, message: expect.stringContaining(`Job ${jobId} finished CANCELLED`) } });
  });

  it('--timeout stops following with exit 12; the job keeps running', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 10_000 });
    const result = await af(['tail', jobId, '--timeout', '1s'], { config });
    expect(result.code, result.stderr).toBe(EXIT.TIMEOUT);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^Error: Job ${jobId} is still IN_PROGRESS after 1\\.0s \\(0/2 tasks finished\\): stopped following; the job keeps running\\.$`));
    await af(['cancel', jobId, '--yes'], { config });
  });
});

describe('tail loses and repeats no event', () => {
  it('when the websocket is cut in the middle (it reconnects and catches up from jobs/events)', async () => {
    const proxy = await proxied();
    // Four rounds of 1 s tasks (parallelLimit 10): after the cut, the job runs long enough for the
    // reconnect (250 ms later) also on a loaded machine (at 300 ms the job once ended first).
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 40, taskMs: 1000 });
    const tail = new RunningCli(['tail', jobId, '--url', proxy.url, '-o', 'jsonl', '--states', '--verbose'], { config });
    await tail.waitFor((out, err) => out.includes('"task:done"') && err.includes('websocket: subscribed'), 'a task was done, with the socket subscribed');
    proxy.dropWebsockets();
    const result = await tail.done;
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toContain('websocket: closed');
    expect(proxy.upgrades).toBeGreaterThanOrEqual(2);
    const events = jsonLines<Event>(result.stdout);
    expect(expectConsecutive(events)).toHaveLength(1);
    expect(doneTasks(events)).toEqual(range(40));
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', status: 'DONE' });
  });

  it('when websocket messages are lost (every third numbered one is dropped: the log fills the gaps)', async () => {
    // Three rounds of 1 s tasks (parallelLimit 10): the socket must be subscribed while most of
    // them run, also on a loaded CI machine (at 200 ms the job once ended before it was).
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 1000 });
    const seen: number[] = [];
    let dropped = 0;
    let eventReads = 0;
    // In process, with the network seam wrapped: the real socket, minus some of its messages.
    const transport: Transport = {
      fetch: (url, init) => {
        if (url.endsWith('/jobs/events')) eventReads++;
        return defaultTransport.fetch(url, init);
      },
      openSocket: (url, headers, handlers) => defaultTransport.openSocket(url, headers, {
        ...handlers,
        message: (text) => {
          const frame = text === 'pong' ? null : JSON.parse(text);
          const seq = frame?.type === 'message' ? frame.data?.seq : undefined;
          if (typeof seq === 'number' && (frame.topic.endsWith(jobId) || String(frame.data.jobId) === jobId)) {
            seen.push(seq);
            if (seen.length % 3 === 0) {
              dropped++;
              return;
            }
          }
          handlers.message?.(text);
        },
      }),
    };
    const stdout = collect();
    const stderr = collect();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AF_JOBS_CONFIG: config };
    for (const name of ['AF_JOBS_URL', 'AF_JOBS_TOKEN', 'AF_JOBS_PROFILE']) delete env[name];
    const ctx = createContext({ cwd: REPO, env, stdout: stdout.stream, stderr: stderr.stream, isTTY: false, color: false, prompts: NO_PROMPTS, transport });
    const code = await runCli(['tail', jobId, '-o', 'jsonl', '--states', '--verbose'], ctx);
    expect(code, stderr.text()).toBe(EXIT.OK);
    expect(stderr.text()).toContain('websocket: subscribed');
    // The demo's payloads carry the events' numbers (the same as jobs/events), and some were lost.
    expect(seen.length).toBeGreaterThan(30);
    expect(dropped).toBeGreaterThan(0);
    const events = jsonLines<Event>(stdout.text());
    expect(expectConsecutive(events)).toHaveLength(1);
    expect(events.at(-1)!.seq).toBeGreaterThanOrEqual(Math.max(...seen));
    expect(doneTasks(events)).toEqual(range(30));
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', status: 'DONE' });
    // Messages are gathered into reads (a burst is one read), not one read each.
    expect(eventReads).toBeLessThan(seen.length);
  });

  it('when a proxy refuses websocket upgrades (falls back to long-polling jobs/events)', async () => {
    const proxy = await proxied();
    proxy.refuseUpgrades = true;
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 20, taskMs: 1000 });
    const result = await af(['tail', jobId, '--url', proxy.url, '-o', 'jsonl', '--states'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toContain('Following through jobs/events (long-poll): the app answered the websocket upgrade with HTTP 502.');
    const events = jsonLines<Event>(result.stdout);
    expect(expectConsecutive(events)).toHaveLength(1);
    expect(doneTasks(events)).toEqual(range(20));
  });

  it('with a personal token (no websocket for tokens: long-poll)', async () => {
    const discovery = await (await fetch(`${demo.url}/adminapi/v1/plugin/background-jobs/instances`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })).json() as any;
    const minted = await (await fetch(`${demo.url}${discovery.instances[0].apiPath}/tokens/create`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"name":"tail"}' })).json() as any;
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 5, taskMs: 50 });
    const result = await af(['tail', jobId, '-o', 'jsonl', '--states'], { config: configDir(), env: { AF_JOBS_URL: demo.url, AF_JOBS_TOKEN: minted.token } });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toContain("AdminForth's websocket takes only the login cookie");
    expect(doneTasks(jsonLines<Event>(result.stdout))).toEqual(range(5));
  });

  it('when the app is killed and restarted on the same port and database', async () => {
    const restartDb = path.join(dbDir, 'restart.sqlite');
    let app = await startDemo({ DEMO_DB: restartDb });
    const port = new URL(app.url).port;
    const restartConfig = configDir();
    const login = await af(['login', '--url', app.url, '--username', 'adminforth', '--password-stdin'], { config: restartConfig, input: 'adminforth\n' });
    expect(login.code, login.stderr).toBe(EXIT.OK);
    // Ten tasks start at once and take 2 s: the app is killed in that quiet stretch.
    const jobId = await createDemoJob(app.url, await loginTo(app.url, 'adminforth', 'adminforth'), { handler: 'demo_job', tasks: 20, taskMs: 2000 });
    const tail = new RunningCli(['tail', jobId, '-o', 'jsonl', '--states', '--verbose'], { config: restartConfig });
    await tail.waitFor((out) => (out.match(/"task:started"/g) ?? []).length >= 10, 'ten tasks started');
    app.child.kill('SIGKILL');
    await app.exited;
    app = await startDemo({ DEMO_DB: restartDb }, Number(port));

    const result = await tail.done;
    expect(result.code, result.stderr).toBe(EXIT.OK);
    // The event log is durable (issue 9): the numbers go on after the restart, without a gap.
    expect(result.stderr).not.toContain('started again');
    const events = jsonLines<Event>(result.stdout);
    const runs = expectConsecutive(events);
    expect(runs).toHaveLength(1);
    expect(doneTasks(events)).toEqual(range(20));
    // The ten tasks that were running when the app died ran again in the new process.
    expect(events.filter((e) => e.type === 'task:started').length).toBeGreaterThanOrEqual(30);
    expect(new Set(result.stdout.trim().split('\n')).size).toBe(events.length);
  });
});

/** The job as the app reads it now (jobs/get). */
async function jobNow(jobId: string): Promise<{ status: string; tasks: { total: number; done: number; failed: number; cancelled: number } }> {
  const discovery = await (await fetch(`${demo.url}/adminapi/v1/plugin/background-jobs/instances`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })).json() as any;
  const answer = await (await fetch(`${demo.url}${discovery.instances[0].apiPath}/jobs/get`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ jobId }) })).json() as any;
  return answer.job;
}

/** Resolves once the job has at least `count` finished tasks (read from the app, not guessed from time). */
async function untilFinishedTasks(jobId: string, count: number): Promise<void> {
  await untilValue(`job ${jobId} to reach ${count} finished tasks`, async () => (await jobNow(jobId)).tasks,
    (tasks) => tasks.done + tasks.failed + tasks.cancelled >= count, { timeoutMs: 30_000 });
}

describe('tail on a terminal (a real pseudo-terminal)', () => {
  it('the bar ends on the counts the summary gives; task lines with --events', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 100, failTasks: [7] });
    const { code, output } = await afInPty(['tail', jobId, '--events'], { config });
    expect(code, output).toBe(EXIT.JOB_FAILED);
    expect(output).toMatch(/\d{2}:\d{2}:\d{2}\.\d{3} {2}task 7 {5}failed: Task 7 failed on purpose/);
    expect(output).toMatch(/\d{2}:\d{2}:\d{2}\.\d{3} {2}task 0 {5}done\r\n/);
    expect(output).toMatch(/\d{2}:\d{2}:\d{2}\.\d{3} {2}job {8}finished DONE_WITH_ERRORS: Task 7/);
    const frames = barFrames(output);
    // Never backwards, and the last frame is the job's end: done + failed + cancelled = total.
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.finished, JSON.stringify(frames)).toBeGreaterThanOrEqual(frames[i - 1]!.finished);
    expect(frames.at(-1)).toMatchObject({ finished: 30, total: 30, percent: 100, done: 29, failed: 1, cancelled: 0, rest: '' });
    expect(output).toContain(': 29 done, 1 failed, 0 cancelled of 30.');
    // The final frame stays above the summary line.
    expect(output).toMatch(/30\/30 100% {2}✓ 29 ✗ 1 ⊘ 0\r?\n.*Error: Job \S+ finished DONE_WITH_ERRORS/);
  });

  it('a job half done: the bar starts at its counts and never rewinds; rate and ETA from live progress; Ctrl-C says the job keeps running (exit 130)', async () => {
    // 100 tasks of 1 s, ten at a time: about ten seconds of live progress after the first round.
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 100, taskMs: 1000 });
    await untilFinishedTasks(jobId, 10);
    const tail = new PtyCli(['tail', jobId], { config });
    try {
      await tail.waitFor((out) => /\d+\.\d\/s ETA \d/.test(out), 'a rate and an ETA');
      tail.press('\x03');
      const { code, output } = await tail.done;
      expect(code, output).toBe(EXIT.INTERRUPTED);
      const frames = barFrames(output);
      // Seeded from the job (at least the ten tasks finished before tail started), then only forwards,
      // although tail printed the history of progress events from 0 first.
      expect(frames[0]!.finished, JSON.stringify(frames)).toBeGreaterThanOrEqual(10);
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.finished, JSON.stringify(frames)).toBeGreaterThanOrEqual(frames[i - 1]!.finished);
      // No rate before tail saw live progress.
      expect(frames[0]!.rest).toBe('');
      // 100 tasks: no task lines without --events.
      expect(output).not.toMatch(/task \d+ +(started|done)/);
      // The bar is cleared, then the note.
      expect(output).toMatch(new RegExp(`\\r\\u001b\\[2K\\r?\\n?\\r?\\njob ${jobId} keeps running; af-jobs tail ${jobId} to follow again\\r\\n$`));
      expect((await jobNow(jobId)).status).toBe('IN_PROGRESS');
    } finally {
      tail.kill();
      await af(['cancel', jobId, '--yes'], { config });
    }
  });

  it('a job that finished before tail looked: its final counts, no rate, and its task lines (at most 20 tasks)', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 12, taskMs: 0 });
    await untilFinishedTasks(jobId, 12);
    const { code, output } = await afInPty(['tail', jobId], { config });
    expect(code, output).toBe(EXIT.OK);
    const frames = barFrames(output);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatchObject({ finished: 12, total: 12, done: 12, rest: '' });
    expect(output).not.toContain('/s');
    expect(output.match(/task \d+ +done/g)).toHaveLength(12);
  });
});

describe('tail, quiet by default on big jobs', () => {
  it('piped: no task lines without --events on a job of more than 20 tasks; --events prints them', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 0 });
    const quiet = await af(['tail', jobId], { config });
    expect(quiet.code, quiet.stderr).toBe(EXIT.OK);
    const types = quiet.stdout.trim().split('\n').map((line) => line.split('\t')[1]);
    expect(types).not.toContain('task:done');
    expect(types.at(-1)).toBe('job:finished');
    const all = await af(['tail', jobId, '--events'], { config });
    expect(all.stdout.split('\n').filter((line) => line.split('\t')[1] === 'task:done')).toHaveLength(30);
    // --no-events on a small job.
    const small = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 3, taskMs: 0 });
    const none = await af(['tail', small, '--no-events'], { config });
    expect(none.stdout).not.toContain('task:');
  });

  it('-q: only the final result line (stderr); --summary: only the summary on stdout, tab-separated', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 6, taskMs: 0, failTasks: [4] });
    const quiet = await af(['tail', jobId, '-q'], { config });
    expect(quiet.code, quiet.stderr).toBe(EXIT.JOB_FAILED);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Error: Job ${jobId} finished DONE_WITH_ERRORS \\([^)]+\\): 5 done, 1 failed, 0 cancelled of 6\\. Last error: Task 4`))]);

    const done = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 4, taskMs: 0 });
    const ok = await af(['tail', done, '-q'], { config });
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
    expect(ok.stdout).toBe('');
    expect(ok.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Job ${done} finished DONE \\([^)]+\\): 4 done, 0 failed, 0 cancelled of 4\\.$`))]);

    const summary = await af(['tail', done, '--summary'], { config });
    expect(summary.code, summary.stderr).toBe(EXIT.OK);
    expect(summary.stderr).toBe('');
    expect(summary.stdout.split('\n')).toEqual([expect.stringMatching(new RegExp(`^${done}\\tDONE\\t4\\t0\\t0\\t4\\t\\d+\\t\\d{4}-\\d{2}-\\d{2}T`))]);
    const failedSummary = await af(['tail', jobId, '--summary'], { config });
    expect(failedSummary.code).toBe(EXIT.JOB_FAILED);
    expect(failedSummary.stdout).toMatch(new RegExp(`^${jobId}\\tDONE_WITH_ERRORS\\t5\\t1\\t0\\t6\\t`));
  });
});
