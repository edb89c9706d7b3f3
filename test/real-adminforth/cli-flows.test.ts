/**
 * The CLI's flows against real AdminForth (issue 16): `bin/af-jobs.js`, run with plain node,
 * logs in to the scratch app (app/index.mjs on the installed adminforth, MySQL) with the password
 * on stdin, then `list`, `show`, `tail` to DONE, `cancel` of a running job, `retry`, each with the
 * exit code docs/exit-codes.md gives it.
 *
 * Needs `AF_JOBS_REAL_ADMINFORTH` (README.md here); skipped, loudly, without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_ADMINFORTH, afJobs, cliConfigDir, warnIfSkipped, type MysqlScratchApp, startMysqlScratchApp } from './real-app.js';

warnIfSkipped('the CLI\'s flows');

/** docs/exit-codes.md */
const EXIT = { OK: 0, AUTH: 4, NOT_FOUND: 5, API: 6, JOB_FAILED: 10, JOB_CANCELLED: 11 } as const;
const EXAMPLE_TASKS = [1, 2, 3, 4, 5, 6].map((step) => ({ state: { step } }));

describe.skipIf(!REAL_ADMINFORTH)('af-jobs against real AdminForth (MySQL connector)', () => {
  let real: MysqlScratchApp;
  let configRoot: string;
  let config: string;
  const af = (args: string[], input?: string) => afJobs(args, { config, input });

  beforeAll(async () => {
    configRoot = cliConfigDir();
    config = path.join(configRoot, 'af-jobs');
    real = await startMysqlScratchApp();
  }, 600_000);

  afterAll(async () => {
    await real?.close();
    fs.rmSync(configRoot, { recursive: true, force: true });
  }, 60_000);

  it('login: a wrong password exits 4; the right one (on stdin) saves a profile', async () => {
    const wrong = await af(['login', '--url', real.base, '--username', 'adminforth', '--password-stdin'], 'nope\n');
    expect(wrong.code, wrong.stderr).toBe(EXIT.AUTH);
    const notLoggedIn = await af(['list', '--url', real.base]);
    expect(notLoggedIn.code, notLoggedIn.stderr).toBe(EXIT.AUTH);

    const result = await af(['login', '--url', real.base, '--username', 'adminforth', '--password-stdin'], 'adminforth\n');
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toContain(`Logged in to ${real.base} as adminforth`);
    const whoami = await af(['whoami', '-o', 'json']);
    expect(whoami.code, whoami.stderr).toBe(EXIT.OK);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ url: real.base });
  });

  it('tail follows a running job to DONE (exit 0); list and show find it', async () => {
    const jobId = await real.startJob('slow_job_handler', [{ state: { ms: 1_500 } }, { state: { ms: 1_500 } }], 'CLI tail job');
    const tail = await af(['tail', jobId, '--timeout', '2m']);
    expect(tail.code, tail.stderr).toBe(EXIT.OK);
    expect(tail.stderr).toContain(`Job ${jobId} finished DONE`);
    expect((await real.waitForStatus(jobId, 'DONE')).progress).toBe(100);

    const list = await af(['list', '-o', 'json']);
    expect(list.code, list.stderr).toBe(EXIT.OK);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id: jobId, name: 'CLI tail job', status: 'DONE' })]));
    const piped = await af(['list', '--status', 'done', '--handler', 'slow_job_handler']);
    expect(piped.code, piped.stderr).toBe(EXIT.OK);
    expect(piped.stdout.split('\n').map((line) => line.split('\t')[0])).toContain(jobId);

    const show = await af(['show', jobId, '--tasks', '-o', 'json']);
    expect(show.code, show.stderr).toBe(EXIT.OK);
    const shown = JSON.parse(show.stdout);
    expect(shown.job).toMatchObject({ id: jobId, status: 'DONE', handler: 'slow_job_handler' });
    expect(shown.tasks.tasks).toHaveLength(2);

    const missing = await af(['show', 'no-such-job']);
    expect(missing.code, missing.stderr).toBe(EXIT.NOT_FOUND);
  });

  it('cancel of a running job exits 0 and the job ends CANCELLED; tail of it exits 11; a DONE job cannot be cancelled (6)', async () => {
    const jobId = await real.startJob('slow_job_handler', [{ state: {} }, { state: {} }, { state: {} }], 'CLI cancel job');
    await real.waitForStatus(jobId, 'IN_PROGRESS');
    const cancel = await af(['cancel', jobId, '--wait', '--timeout', '1m']);
    expect(cancel.code, cancel.stderr).toBe(EXIT.OK);
    await real.waitForStatus(jobId, 'CANCELLED');
    const again = await af(['cancel', jobId]);
    expect(again.code, again.stderr).toBe(EXIT.OK);
    const tail = await af(['tail', jobId, '--timeout', '1m']);
    expect(tail.code, tail.stderr).toBe(EXIT.JOB_CANCELLED);

    const done = await real.startJob('example_job_handler', EXAMPLE_TASKS, 'CLI done job');
    await real.waitForStatus(done, 'DONE');
    const refused = await af(['cancel', done]);
    expect(refused.code, refused.stderr).toBe(EXIT.API);
  });

  it('retry: a job DONE_WITH_ERRORS (tail exits 10) is retried (0) and ends DONE; nothing left to retry exits 6', async () => {
    const jobId = await real.startJob('flaky_job_handler', [{ state: { failFirst: true } }, { state: {} }], 'CLI retry job');
    const tail = await af(['tail', jobId, '--timeout', '1m']);
    expect(tail.code, tail.stderr).toBe(EXIT.JOB_FAILED);
    expect((await real.waitForStatus(jobId, 'DONE_WITH_ERRORS')).status).toBe('DONE_WITH_ERRORS');

    const retry = await af(['retry', jobId, '--follow', '--timeout', '1m']);
    expect(retry.code, retry.stderr).toBe(EXIT.OK);
    await real.waitForStatus(jobId, 'DONE');
    const show = await af(['show', jobId, '--tasks', '-o', 'json']);
    expect(JSON.parse(show.stdout).tasks.tasks.map((task: { state: Record<string, unknown> }) => task.state.ranOnAttempt).sort()).toEqual([1, 2]);

    const nothing = await af(['retry', jobId]);
    expect(nothing.code, nothing.stderr).toBe(EXIT.API);
  });

  it("the viewer's login: the admin's job is not found (5) for show and cancel", async () => {
    const jobId = await real.startJob('example_job_handler', EXAMPLE_TASKS, 'CLI admin-only job');
    await real.waitForStatus(jobId, 'DONE');
    const viewer = await af(['login', '--url', real.base, '--username', 'viewer', '--password-stdin', '--profile', 'viewer'], 'viewer\n');
    expect(viewer.code, viewer.stderr).toBe(EXIT.OK);
    const show = await af(['show', jobId, '--profile', 'viewer']);
    expect(show.code, show.stderr).toBe(EXIT.NOT_FOUND);
    const cancel = await af(['cancel', jobId, '--profile', 'viewer']);
    expect(cancel.code, cancel.stderr).toBe(EXIT.NOT_FOUND);
  });
});
