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
import { af, afInTerminal, configDir, jsonLines, removeConfigDirs, RunningCli, TestProxy } from './jobs-helpers.js';

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

describe('tail on a terminal', () => {
  it('draws a progress bar with counts and rate on stderr, and readable lines on stdout', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 100, failTasks: [7] });
    const result = await afInTerminal(['tail', jobId], { config });
    expect(result.code, result.stderr).toBe(EXIT.JOB_FAILED);
    expect(result.stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} {2}task 7 {5}failed: Task 7 failed on purpose/m);
    expect(result.stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} {2}task 0 {5}done$/m);
    expect(result.stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} {2}job {8}finished DONE_WITH_ERRORS: Task 7/m);
    expect(result.stderr).toMatch(/[█░]+ \d+\/30 +\d+% {2}✓ \d+ ✗ \d+ ⊘ 0 {2}\d+\.\d\/s/);
  });
});
