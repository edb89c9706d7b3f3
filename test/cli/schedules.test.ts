/**
 * `af-jobs schedules list|pause|resume|run` against the demo in its own process (with its
 * every-minute schedule on), through the real binary: what a pipe and `-o json` get, a pause and
 * resume seen by the next list, a run now followed to its end, and the exit codes of a missing
 * schedule and of a user who is not an admin.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { killDemoProcesses } from '../helpers/demo-process.js';
import { af, configDir, removeConfigDirs, startLoggedInDemo, type LoggedInDemo } from './jobs-helpers.js';

const SCHEDULE = 'demo-every-minute';
let demo: LoggedInDemo;

beforeAll(async () => {
  demo = await startLoggedInDemo('af-jobs-schedules-', { DEMO_SCHEDULES: 'on' });
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  if (demo) fs.rmSync(demo.dbDir, { recursive: true, force: true });
});

describe('af-jobs schedules', () => {
  it('list: -o json has the demo schedule with its next run; a pipe gets one tab-separated line per schedule', async () => {
    const json = await af(['schedules', 'list', '-o', 'json'], { config: demo.config });
    expect(json.code, json.stderr).toBe(EXIT.OK);
    const [schedule, ...rest] = JSON.parse(json.stdout);
    expect(rest).toEqual([]);
    expect(schedule).toMatchObject({ name: SCHEDULE, cron: '* * * * *', timezone: 'UTC', jobHandlerName: 'quick_job', paused: false });
    // Every minute: the next tick is a whole minute, at most a minute away.
    const next = Date.parse(schedule.nextRunAt);
    expect(new Date(next).getUTCSeconds()).toBe(0);
    expect(next - Date.now()).toBeLessThanOrEqual(60_000);

    const piped = await af(['schedules', 'list'], { config: demo.config });
    expect(piped.code, piped.stderr).toBe(EXIT.OK);
    const lines = piped.stdout.trim().split('\n').map((line) => line.split('\t'));
    const row = lines.find((cells) => cells[0] === SCHEDULE);
    expect(row?.slice(0, 4)).toEqual([SCHEDULE, '* * * * *', 'quick_job', 'active']);
  });

  it('pause and resume: the next list says so; a paused schedule has no next run', async () => {
    const paused = await af(['schedules', 'pause', SCHEDULE], { config: demo.config });
    expect(paused.code, paused.stderr).toBe(EXIT.OK);
    expect(paused.stderr).toContain(`Schedule "${SCHEDULE}" is paused: it starts no job until af-jobs schedules resume "${SCHEDULE}".`);
    let [schedule] = JSON.parse((await af(['schedules', 'list', '-o', 'json'], { config: demo.config })).stdout);
    expect(schedule).toMatchObject({ paused: true, nextRunAt: null });

    const resumed = await af(['schedules', 'resume', SCHEDULE, '-o', 'json'], { config: demo.config });
    expect(resumed.code, resumed.stderr).toBe(EXIT.OK);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ name: SCHEDULE, paused: false });
    [schedule] = JSON.parse((await af(['schedules', 'list', '-o', 'json'], { config: demo.config })).stdout);
    expect(schedule.paused).toBe(false);
    expect(schedule.nextRunAt).not.toBeNull();
  });

  it('run --follow: prints the job id on stdout, follows it to DONE (exit 0); the job says which schedule started it', async () => {
    const run = await af(['schedules', 'run', SCHEDULE, '--follow', '--summary'], { config: demo.config });
    expect(run.code, run.stderr).toBe(EXIT.OK);
    const jobId = run.stdout.trim().split('\n')[0]!;
    expect(run.stderr).toContain(`Started job ${jobId} of schedule "${SCHEDULE}"`);
    const job = await demo.jobNow(jobId);
    expect(job).toMatchObject({ status: 'DONE', handler: 'quick_job', schedule: { name: SCHEDULE, tick: null } });
    const [schedule] = JSON.parse((await af(['schedules', 'list', '-o', 'json'], { config: demo.config })).stdout);
    expect(schedule.lastJobId).toBe(jobId);
  });

  it('a schedule that does not exist exits 5 naming it; a user who is not an admin exits 4', async () => {
    const missing = await af(['schedules', 'run', 'no-such-schedule'], { config: demo.config });
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stderr).toContain('no-such-schedule');

    const viewer = configDir();
    const login = await af(['login', '--url', demo.demo.url, '--username', 'viewer', '--password-stdin'], { config: viewer, input: 'viewer\n' });
    expect(login.code, login.stderr).toBe(EXIT.OK);
    const denied = await af(['schedules', 'list'], { config: viewer });
    expect(denied.code).toBe(EXIT.AUTH);
    expect(denied.stderr).toContain('Only admins may see and manage schedules');
  });
});
