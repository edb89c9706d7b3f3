/**
 * `af-jobs list | show | cancel | retry` against the demo app in its own process (issue 8 §2–4):
 * every output mode (JSON, JSON lines, tab-separated when piped, a table on a terminal), paging,
 * cancelling with and without `--wait`, retrying failed, chosen and unfinished tasks.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createDemoJob, killDemoProcesses, type DemoProcess } from '../helpers/demo-process.js';
import { NO_PROMPTS } from './helpers.js';
import { af, afInTerminal, jsonLines, removeConfigDirs, startLoggedInDemo, type LoggedInDemo } from './jobs-helpers.js';
import { untilStatus } from '../helpers/wait.js';

let demo: DemoProcess;
let dbDir: string;
let config: string;
let cookie: string;
let api: LoggedInDemo['api'];
let jobNow: LoggedInDemo['jobNow'];
/** A job that ended DONE (3 tasks) and one that ended DONE_WITH_ERRORS (tasks 1 and 2 of 4 failed). */
let doneJob: string;
let failedJob: string;


/** The demo's jobs finish within seconds; 20 s before giving up. */
const WAIT = { timeoutMs: 20_000 };

beforeAll(async () => {
  ({ demo, dbDir, config, cookie, api, jobNow } = await startLoggedInDemo('af-jobs-jobs-'));
  doneJob = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 3, taskMs: 0 });
  failedJob = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 4, taskMs: 0, failTasks: [1, 2] });
  await untilStatus(`job ${doneJob}`, () => jobNow(doneJob), 'DONE', WAIT);
  await untilStatus(`job ${failedJob}`, () => jobNow(failedJob), 'DONE_WITH_ERRORS', WAIT);
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

describe('list', () => {
  it('-o json, --json and -o jsonl print the API\'s job objects', async () => {
    const json = await af(['list', '-o', 'json'], { config });
    expect(json.code, json.stderr).toBe(EXIT.OK);
    const jobs = JSON.parse(json.stdout);
    expect(jobs.map((j: { id: string }) => j.id)).toEqual([failedJob, doneJob]);
    expect(jobs[0]).toMatchObject({ id: failedJob, handler: 'demo_job', status: 'DONE_WITH_ERRORS', progress: 100, tasks: { total: 4, done: 2, failed: 2, cancelled: 0 } });
    expect((await af(['list', '--json'], { config })).stdout).toBe(json.stdout);

    const jsonl = await af(['list', '-o', 'jsonl'], { config });
    expect(jsonLines(jsonl.stdout)).toEqual(jobs);
  });

  it('piped: tab-separated rows without a header; filters and --limit', async () => {
    const piped = await af(['list'], { config });
    expect(piped.code, piped.stderr).toBe(EXIT.OK);
    const rows = piped.stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(rows).toHaveLength(2);
    const [id, name, handler, status, progress, startedBy, createdAt] = rows[1]!;
    expect({ id, name, handler, status, progress }).toEqual({ id: doneJob, name: 'demo_job × 3', handler: 'demo_job', status: 'DONE', progress: '100' });
    // The starter's name, not their id (issue 19); -o json has both.
    expect(startedBy).toBe('adminforth');
    expect(createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(rows[0]).toHaveLength(8);

    const failed = await af(['list', '--status', 'done_with_errors,cancelled', '--handler', 'demo_job', '--mine', '--since', '1h'], { config });
    expect(failed.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual([failedJob]);
    const none = await af(['list', '--handler', 'no_such_handler'], { config });
    expect(none.stdout).toBe('');
    expect(none.stderr.trim()).toBe('No jobs found.');
    const one = await af(['list', '--limit', '1', '-o', 'jsonl'], { config });
    expect(jsonLines(one.stdout).map((j) => j.id)).toEqual([failedJob]);
  });

  it('on a terminal: a table with headers, progress, "you" for your own jobs', async () => {
    const result = await afInTerminal(['list'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    for (const column of ['ID', 'NAME', 'HANDLER', 'STATUS', 'PROGRESS', 'STARTED BY', 'CREATED', 'DURATION']) expect(header).toContain(column);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(failedJob);
    expect(rows[0]).toMatch(/DONE_WITH_ERRORS\s+100% \(4\/4\)\s+you\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  });
});

describe('show', () => {
  it('-o json: the job with its task counts; with --tasks a page of tasks', async () => {
    const result = await af(['show', failedJob, '-o', 'json'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    const { job } = JSON.parse(result.stdout);
    expect(job).toMatchObject({ id: failedJob, status: 'DONE_WITH_ERRORS', canManage: true, taskCounts: { DONE: 2, FAILED: 2, SCHEDULED: 0, IN_PROGRESS: 0, CANCELLED: 0 } });
    expect(job.lastError).toMatch(/failed on purpose/);

    const paged = await af(['show', failedJob, '--tasks', '--limit', '2', '--offset', '1', '-o', 'json'], { config });
    const { tasks } = JSON.parse(paged.stdout);
    expect(tasks).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(tasks.tasks.map((t: { index: number; status: string }) => [t.index, t.status])).toEqual([[1, 'FAILED'], [2, 'FAILED']]);
  });

  it('-o jsonl: the job, or one task a line; --task-status filters', async () => {
    const job = await af(['show', doneJob, '-o', 'jsonl'], { config });
    expect(jsonLines(job.stdout)).toHaveLength(1);
    expect(jsonLines(job.stdout)[0]).toMatchObject({ id: doneJob, status: 'DONE' });
    const failed = await af(['show', failedJob, '--task-status', 'failed', '-o', 'jsonl'], { config });
    const tasks = jsonLines(failed.stdout);
    expect(tasks.map((t) => [t.index, t.status, t.attempt])).toEqual([[1, 'FAILED', 1], [2, 'FAILED', 1]]);
    expect(tasks[0]!.error).toBe('Task 1 failed on purpose (listed in failTasks)');
  });

  it('piped: key<TAB>value lines; with --tasks only the task rows', async () => {
    const fields = await af(['show', failedJob], { config });
    expect(fields.stdout).toContain(`id\t${failedJob}\n`);
    expect(fields.stdout).toContain('status\tDONE_WITH_ERRORS\n');
    expect(fields.stdout).toContain('tasks\t4 (scheduled 0, in_progress 0, done 2, failed 2, cancelled 0)\n');
    const rows = await af(['show', failedJob, '--tasks'], { config });
    expect(rows.stdout.trim().split('\n').map((line) => line.split('\t').slice(0, 3))).toEqual([['0', 'DONE', '1'], ['1', 'FAILED', '1'], ['2', 'FAILED', '1'], ['3', 'DONE', '1']]);
    expect(rows.stderr).toContain('Tasks 1–4 of 4.');
  });

  it('on a terminal: the job\'s fields, then a table of its tasks and where the next page starts', async () => {
    const result = await afInTerminal(['show', failedJob, '--tasks', '--limit', '2'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stdout).toMatch(/^status\s+DONE_WITH_ERRORS$/m);
    expect(result.stdout).toMatch(/^progress\s+100% \(4\/4\)$/m);
    expect(result.stdout).toMatch(/TASK\s+STATUS\s+ATTEMPT\s+ERROR\s+STATE/);
    expect(result.stderr).toContain('Tasks 1–2 of 4; next page: --offset 2.');
  });
});

describe('cancel and retry', () => {
  it('cancel --yes --wait returns once no task runs; again says it already is; a DONE job cannot be (exit 6)', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 30, taskMs: 10_000 });
    const result = await af(['cancel', jobId, '--yes', '--wait', '-o', 'json'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toContain(`Job ${jobId} was cancelled.`);
    const job = JSON.parse(result.stdout);
    expect(job).toMatchObject({ status: 'CANCELLED', taskCounts: { IN_PROGRESS: 0, SCHEDULED: 0 } });
    expect(job.tasks.cancelled).toBe(30);

    const again = await af(['cancel', jobId], { config });
    expect(again.code).toBe(EXIT.OK);
    expect(again.stderr.trim()).toBe(`Job ${jobId} is already cancelled.`);
    const done = await af(['cancel', doneJob, '--yes'], { config });
    expect(done.code).toBe(EXIT.API);
    expect(done.stderr.trim()).toBe(`Error: Job ${doneJob} already finished as DONE: there is nothing to cancel. (INVALID_STATE, HTTP 409)`);

    // --unfinished schedules the cancelled tasks again.
    const retry = await af(['retry', jobId, '--unfinished', '-o', 'json'], { config });
    expect(retry.code, retry.stderr).toBe(EXIT.OK);
    expect(JSON.parse(retry.stdout)).toMatchObject({ jobId, tasks: 30, changed: true });
    const running = await af(['retry', jobId], { config });
    expect(running.code).toBe(EXIT.OK);
    expect(running.stderr).toContain('it is running already; retry it once it has finished');
    await af(['cancel', jobId, '--yes'], { config });
  });

  it('on a terminal, cancel asks first; "no" cancels nothing', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 10_000 });
    const asked: string[] = [];
    const prompts = { ...NO_PROMPTS, confirm: async (q: { message: string }) => { asked.push(q.message); return false; } };
    const result = await afInTerminal(['cancel', jobId], { config, prompts });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(asked).toEqual([expect.stringMatching(new RegExp(`^Cancel job ${jobId} "demo_job × 2" \\((IN_PROGRESS|QUEUED), 0/2 tasks finished\\)\\?$`))]);
    expect(result.stderr.trim()).toBe('Nothing was cancelled.');
    expect((await api('jobs/get', { jobId })).job.status).not.toBe('CANCELLED');
    await api('jobs/cancel', { jobId });
  });

  it('retry --follow prints from the retry on and exits by the new outcome; --task retries chosen tasks', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 4, taskMs: 0, failTasks: [1, 2] });
    await untilStatus(`job ${jobId}`, () => jobNow(jobId), 'DONE_WITH_ERRORS', WAIT);
    const result = await af(['retry', jobId, '--follow', '-o', 'jsonl'], { config });
    // Tasks 1 and 2 fail on every attempt: the job ends DONE_WITH_ERRORS again.
    expect(result.code, result.stderr).toBe(EXIT.JOB_FAILED);
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ type: 'job:retried', tasks: 2 });
    const taskEvents = events.filter((e) => e.type.startsWith('task:')).map((e) => `${e.type} ${e.taskIndex}`);
    expect(taskEvents.sort()).toEqual(['task:failed 1', 'task:failed 2', 'task:started 1', 'task:started 2']);
    expect(events.at(-1)).toMatchObject({ type: 'job:finished', status: 'DONE_WITH_ERRORS' });
    expect(result.stderr).toContain(`Job ${jobId}: 2 task(s) scheduled again.`);

    const chosen = await af(['retry', jobId, '--task', '0', '--task', '3', '-o', 'json'], { config });
    expect(chosen.code, chosen.stderr).toBe(EXIT.OK);
    expect(JSON.parse(chosen.stdout)).toMatchObject({ tasks: 2, changed: true });
    await untilStatus(`job ${jobId}`, () => jobNow(jobId), 'DONE_WITH_ERRORS', WAIT);
    const outOfRange = await af(['retry', jobId, '--task', '9'], { config });
    expect(outOfRange.code).toBe(EXIT.USAGE);
    expect(outOfRange.stderr.trim()).toBe(`Error: Field 'scope[0]': job ${jobId} has 4 tasks (indexes 0–3), got 9.`);
    const nothing = await af(['retry', doneJob], { config });
    expect(nothing.code).toBe(EXIT.API);
    expect(nothing.stderr).toContain('INVALID_STATE');
  });
});
