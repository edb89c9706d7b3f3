/**
 * What the job commands print on a terminal and through a pipe (issue 19, points 2 and 8), with
 * the real binary against the demo app: `list --watch` in a real pseudo-terminal (and refused
 * through a pipe), dates with their time zone on a terminal, full values when piped, no colors for
 * `TERM=dumb`, `AF_JOBS_CONFIG` naming a file, and `--profile` naming a profile that is not there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createDemoJob, killDemoProcesses, loginTo, startDemo, type DemoProcess } from '../helpers/demo-process.js';
import { af, configDir, removeConfigDirs } from './jobs-helpers.js';
import { afInPty, PtyCli } from './pty.js';

let demo: DemoProcess;
let dbDir: string;
let config: string;
let cookie: string;
let doneJob: string;

beforeAll(async () => {
  dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-terminal-'));
  demo = await startDemo({ DEMO_DB: path.join(dbDir, 'demo.sqlite') });
  config = configDir();
  const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin'], { config, input: 'adminforth\n' });
  expect(login.code, login.stderr).toBe(EXIT.OK);
  cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
  doneJob = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 3, taskMs: 200 });
  const wait = await af(['wait', doneJob], { config });
  expect(wait.code, wait.stderr).toBe(EXIT.OK);
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b\[/;

describe('list --watch', () => {
  it('redraws the table when a job changes, until Ctrl-C (exit 130)', async () => {
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 600_000 });
    const watch = new PtyCli(['list', '--watch', '--limit', '3'], { config, columns: 200 });
    const lastFrame = (out: string) => out.split('\u001b[2J').at(-1)!;
    try {
      await watch.waitFor((out) => new RegExp(`${jobId} .* IN_PROGRESS `).test(lastFrame(out)), 'the running job in the table');
      expect(lastFrame(watch.output)).toMatch(/af-jobs list, every 2s; \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (UTC|[+-]\d{2}:\d{2}); Ctrl-C to stop/);
      const cancel = await af(['cancel', jobId, '--yes'], { config });
      expect(cancel.code, cancel.stderr).toBe(EXIT.OK);
      await watch.waitFor((out) => new RegExp(`${jobId} .* CANCELLED `).test(lastFrame(out)), 'the table redrawn with the job cancelled');
      watch.press('\x03');
      const { code, output } = await watch.done;
      expect(code, output).toBe(EXIT.INTERRUPTED);
      expect(output).toMatch(/Stopped watching\.\r\n$/);
    } finally {
      watch.kill();
      await af(['cancel', jobId, '--yes'], { config });
    }
  });

  it('through a pipe: refused with a usage error that says why (exit 2)', async () => {
    const result = await af(['list', '--watch'], { config });
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--watch redraws the table on a terminal, and stdout is not one (it is piped or redirected)');
  });
});

describe('dates, durations and colors', () => {
  it('a terminal shows dates with their time zone; piped output has ISO dates and durations in milliseconds', async () => {
    const utc = await afInPty(['show', doneJob], { config, env: { TZ: 'UTC' } });
    expect(utc.code, utc.output).toBe(EXIT.OK);
    expect(utc.output).toMatch(/created +\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\r\n/);
    const india = await afInPty(['list', '--status', 'done'], { config, env: { TZ: 'Asia/Kolkata' } });
    expect(india.output).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+05:30/);

    const show = await af(['show', doneJob], { config });
    expect(show.stdout).toMatch(/^created\t\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/m);
    expect(show.stdout).toMatch(/^duration\t\d+$/m);
    const list = await af(['list', '--status', 'done'], { config });
    const row = list.stdout.split('\t');
    expect(row[0]).toBe(doneJob);
    expect(row.at(-1)).toMatch(/^\d+$/);
  });

  it('TERM=dumb gets no colors (another terminal does)', async () => {
    const colored = await afInPty(['list', '--status', 'done'], { config, env: { NO_COLOR: undefined, TERM: 'xterm' } });
    expect(colored.output).toMatch(ESCAPE);
    const dumb = await afInPty(['list', '--status', 'done'], { config, env: { NO_COLOR: undefined, TERM: 'dumb' } });
    expect(dumb.code, dumb.output).toBe(EXIT.OK);
    expect(dumb.output).toContain(doneJob);
    expect(dumb.output).not.toMatch(ESCAPE);
  });
});

describe('config and profiles', () => {
  it('AF_JOBS_CONFIG naming a .json file is that file, never a folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-config-file-'));
    try {
      const file = path.join(dir, 'cli.json');
      const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin'], { config: file, input: 'adminforth\n' });
      expect(login.code, login.stderr).toBe(EXIT.OK);
      expect(fs.statSync(file).isFile()).toBe(true);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).profiles.default.url).toBe(demo.url);
      const whoami = await af(['whoami', '-o', 'json'], { config: file });
      expect(whoami.code, whoami.stderr).toBe(EXIT.OK);
      expect(JSON.parse(whoami.stdout)).toMatchObject({ url: demo.url, profile: 'default' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--profile naming a profile that does not exist says so, and how to list them', async () => {
    const result = await af(['whoami', '--profile', 'nosuch'], { config });
    expect(result.code).toBe(EXIT.AUTH);
    expect(result.stderr.trim()).toBe(
      `Error: No profile "nosuch" (--profile) in ${path.join(config, 'profiles.json')}: saved profiles are "default" (af-jobs profiles list shows them); log in with af-jobs login --url <app url> --profile nosuch.`,
    );
  });
});
