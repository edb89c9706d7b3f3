/**
 * Issue 19 against the demo app in its own process, through the real binary and real pipes:
 * `cancel` / `retry` of several jobs (ids or selectors; confirmation on a pseudo-terminal, refusal
 * in a pipe, `--dry-run`, per-job failures and the worst exit code), `token create|list|revoke`,
 * `profiles list|use|remove`, `completion bash`, and commander's errors in af-jobs' words.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createDemoJob, killDemoProcesses, type DemoProcess } from '../helpers/demo-process.js';
import { af, configDir, jsonLines, removeConfigDirs, startLoggedInDemo, type LoggedInDemo } from './jobs-helpers.js';
import { PtyCli } from './pty.js';
import { untilStatus } from '../helpers/wait.js';

let demo: DemoProcess;
let dbDir: string;
let config: string;
let cookie: string;
let api: LoggedInDemo['api'];
let jobNow: LoggedInDemo['jobNow'];


async function status(jobId: string): Promise<string> {
  return (await jobNow(jobId)).status;
}

/** The demo's jobs finish within seconds; 20 s before giving up. */
const WAIT = { timeoutMs: 20_000 };

/** Jobs whose tasks run for minutes (each test cancels its own: selectors then pick exactly a test's jobs). */
async function longJobs(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 600_000 }));
  return ids;
}

afterEach(async () => {
  if (!api) return;
  const { jobs } = await api('jobs/list', { status: ['QUEUED', 'IN_PROGRESS'], limit: 500 });
  for (const job of jobs) await api('jobs/cancel', { jobId: job.id });
});

beforeAll(async () => {
  ({ demo, dbDir, config, cookie, api, jobNow } = await startLoggedInDemo('af-jobs-bulk-'));
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

describe('cancel and retry of several jobs', () => {
  it('in a pipe: refuses without --yes (exit 2, naming --yes) and changes nothing; --dry-run lists and changes nothing', async () => {
    const [a, b] = await longJobs(2);
    const refused = await af(['cancel', a!, b!], { config });
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.stderr.trim()).toBe('Error: Cancel 2 jobs? There is no terminal to ask on (stdin is not a TTY): pass --yes to cancel them (or --dry-run to list them).');

    const dryRun = await af(['cancel', a!, b!, '--dry-run'], { config });
    expect(dryRun.code, dryRun.stderr).toBe(EXIT.OK);
    expect(dryRun.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual([a, b]);
    expect(dryRun.stderr).toContain('Dry run: would cancel 2 jobs; nothing was changed.');
    expect(await status(a!)).not.toBe('CANCELLED');
    expect(await status(b!)).not.toBe('CANCELLED');
  });

  it('selectors: every page of jobs/list; without a terminal --yes is needed; nothing selected is exit 0', async () => {
    const ids = await longJobs(3);
    const selectors = ['--handler', 'demo_job', '--mine', '--since', '1h'];
    const refused = await af(['cancel', ...selectors], { config });
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.stderr.trim()).toMatch(/^Error: Cancel 3 jobs \(--status queued,in_progress --handler demo_job --since \S+Z --mine\)\? There is no terminal to ask on \(stdin is not a TTY\): pass --yes to cancel them \(or --dry-run to list them\)\.$/);

    const listed = await af(['cancel', ...selectors, '--dry-run', '-o', 'json'], { config });
    expect(listed.code, listed.stderr).toBe(EXIT.OK);
    expect(JSON.parse(listed.stdout).map((job: { id: string }) => job.id).sort()).toEqual([...ids].sort());

    const cancelled = await af(['cancel', ...selectors, '--yes', '-o', 'jsonl'], { config });
    expect(cancelled.code, cancelled.stderr).toBe(EXIT.OK);
    expect(jsonLines(cancelled.stdout).map((r) => [r.jobId, r.changed]).sort()).toEqual(ids.map((id) => [id, true]).sort());
    expect(cancelled.stderr).toContain('Cancelled 3 of 3 jobs.');
    for (const id of ids) expect(await status(id)).toBe('CANCELLED');

    // The same selectors now match nothing that can be cancelled.
    const none = await af(['cancel', ...selectors], { config });
    expect(none.code).toBe(EXIT.OK);
    expect(none.stderr.trim()).toMatch(/^No jobs match --status queued,in_progress --handler demo_job --since \S+Z --mine: nothing to cancel\.$/);
  });

  it('per-job failures are reported per job and the rest goes on; the exit code is the largest', async () => {
    const [running] = await longJobs(1);
    const done = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 1, taskMs: 0 });
    await untilStatus(`job ${done}`, () => jobNow(done), 'DONE', WAIT);
    const result = await af(['cancel', 'no-such-job', done, running!, '--yes', '-o', 'jsonl'], { config });
    // Not found is 5, already DONE is 6: the largest wins.
    expect(result.code).toBe(EXIT.API);
    const results = jsonLines(result.stdout);
    expect(results.map((r) => [r.jobId, r.changed ?? r.error.code])).toEqual([['no-such-job', 'NOT_FOUND'], [done, 'API'], [running, true]]);
    // stderr: the progress lines, and each failure (then the final error) as one JSON object a line.
    const errors = jsonLines(result.stderr.split('\n').filter((line) => line.startsWith('{')).join('\n'));
    expect(errors.slice(0, 2).map((e) => e.error.exit)).toEqual([5, 6]);
    expect(errors.at(-1)).toEqual({ error: { code: 'API', exit: 6, message: '2 of 3 jobs could not be cancelled (each is listed above; the exit code is the largest of theirs, 6).' } });
    expect(await status(running!)).toBe('CANCELLED');

    // Text: one line per job, then the error.
    const text = await af(['retry', done, 'no-such-job', '--yes'], { config });
    expect(text.code).toBe(EXIT.API);
    expect(text.stderr).toContain(`✗ Job no-such-job not found on ${demo.url} (or you may not see it): check the id with af-jobs list.`);
    expect(text.stderr).toMatch(/^Error: 2 of 2 jobs could not be retried/m);
  });

  it('retry by selectors retries the jobs that failed', async () => {
    const start = new Date().toISOString();
    const failed = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 0, failTasks: [1] });
    await untilStatus(`job ${failed}`, () => jobNow(failed), 'DONE_WITH_ERRORS', WAIT);
    const result = await af(['retry', '--handler', 'demo_job', '--since', start, '--yes', '-o', 'json'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ jobId: failed, tasks: 1, changed: true })]);
  });

  it('ids with selectors, or neither, are usage errors; --follow and --task take one job', async () => {
    expect((await af(['cancel', 'a', '--handler', 'x'], { config })).stderr.trim()).toMatch(/^Error: Job ids and selectors together: af-jobs cancel takes ids, or selectors/);
    const neither = await af(['retry'], { config });
    expect(neither.code).toBe(EXIT.USAGE);
    expect(neither.stderr.trim()).toBe('Error: No jobs given: pass af-jobs retry the ids of the jobs (see af-jobs list), or selectors (--status, --handler, --since, --mine, --started-by). Run af-jobs retry --help');
    expect((await af(['retry', 'a', 'b', '--follow'], { config })).stderr).toContain('--follow follows one job');
    expect((await af(['retry', 'a', 'b', '--task', '1'], { config })).code).toBe(EXIT.USAGE);
  });

  it('on a terminal: lists the jobs and asks "Cancel 2 jobs?"; yes cancels them', async () => {
    const ids = await longJobs(2);
    const cli = new PtyCli(['cancel', '--handler', 'demo_job'], { config });
    await cli.waitFor((output) => /Cancel 2 jobs\?/.test(output), 'the question');
    expect(cli.output).toContain('2 jobs to cancel:');
    for (const id of ids) expect(cli.output).toContain(id);
    for (const id of ids) expect(await status(id)).not.toBe('CANCELLED');
    cli.press('y\r');
    const { code, output } = await cli.done;
    expect(code, output).toBe(EXIT.OK);
    expect(output).toContain('Cancelled 2 of 2 jobs.');
    for (const id of ids) expect(await status(id)).toBe('CANCELLED');
  });
});

describe('token create | list | revoke', () => {
  it('create -q prints only the token; it works as AF_JOBS_TOKEN; list shows it; revoke by name ends it', async () => {
    const created = await af(['token', 'create', '--name', 'ci bulk', '--expires', '30d', '-q'], { config });
    expect(created.code, created.stderr).toBe(EXIT.OK);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^afjobs_[A-Za-z0-9_-]{43}$/);
    const env = { AF_JOBS_URL: demo.url, AF_JOBS_TOKEN: created.stdout, AF_JOBS_CONFIG: configDir() };
    const asToken = await af(['list', '-o', 'json'], { config: env.AF_JOBS_CONFIG, env });
    expect(asToken.code, asToken.stderr).toBe(EXIT.OK);

    const listed = await af(['token', 'list', '-o', 'json'], { config });
    const token = JSON.parse(listed.stdout).find((t: { name: string }) => t.name === 'ci bulk');
    expect(token).toMatchObject({ id: expect.stringMatching(/^tok_[0-9a-f]{16}$/), prefix: created.stdout.slice(0, 13), lastUsedAt: expect.any(String) });
    expect(Date.parse(token.expiresAt) - Date.parse(token.createdAt)).toBe(30 * 86_400_000);
    const piped = await af(['token', 'list'], { config });
    expect(piped.stdout).toContain(`${token.id}\tci bulk\t${token.prefix}\t`);

    const mintWithToken = await af(['token', 'create'], { config: env.AF_JOBS_CONFIG, env });
    expect(mintWithToken.code).toBe(EXIT.USAGE);
    expect(mintWithToken.stderr).toContain('needs a password login');

    const revoked = await af(['token', 'revoke', 'ci bulk'], { config });
    expect(revoked.code, revoked.stderr).toBe(EXIT.OK);
    expect(revoked.stderr.trim()).toBe(`Token ${token.id} ("ci bulk") is revoked: it stops working at once.`);
    const refused = await af(['list'], { config: env.AF_JOBS_CONFIG, env });
    expect(refused.code).toBe(EXIT.AUTH);
    expect(refused.stderr).toContain('mint a new one with af-jobs token create');
    const again = await af(['token', 'revoke', 'ci bulk'], { config });
    expect(again.code).toBe(EXIT.NOT_FOUND);
  });

  it('checks --name and --expires itself, naming the flag', async () => {
    const empty = await af(['token', 'create', '--name', ' '], { config });
    expect(empty.code).toBe(EXIT.USAGE);
    expect(empty.stderr.trim()).toBe("Error: Invalid value ' ' for --name <name> of af-jobs token create: a token name has 1 to 100 characters, got 0. Run af-jobs token create --help");
    const expires = await af(['token', 'create', '--expires', '2h'], { config });
    expect(expires.stderr.trim()).toMatch(/^Error: Invalid value '2h' for --expires <duration> of af-jobs token create: expected a time in days/);
  });
});

describe('profiles list | use | remove', () => {
  it('use makes a profile the default of every command; remove forgets it', async () => {
    const own = configDir();
    for (const profile of ['default', 'second']) {
      const login = await af(['login', '--url', demo.url, '--username', 'adminforth', '--password-stdin', '--profile', profile], { config: own, input: 'adminforth\n' });
      expect(login.code, login.stderr).toBe(EXIT.OK);
    }
    const before = JSON.parse((await af(['profiles', 'list', '-o', 'json'], { config: own })).stdout);
    expect(before.map((p: any) => [p.name, p.url, p.user, p.login, p.default, p.current])).toEqual([
      ['default', demo.url, 'adminforth', 'session', true, true],
      ['second', demo.url, 'adminforth', 'session', false, false],
    ]);
    const use = await af(['profiles', 'use', 'second'], { config: own });
    expect(use.code, use.stderr).toBe(EXIT.OK);
    const after = JSON.parse((await af(['profiles', 'list', '-o', 'json'], { config: own })).stdout);
    expect(after.filter((p: any) => p.default).map((p: any) => p.name)).toEqual(['second']);
    const whoami = JSON.parse((await af(['whoami', '-o', 'json'], { config: own })).stdout);
    expect(whoami.profile).toBe('second');
    const piped = await af(['profiles', 'list'], { config: own });
    expect(piped.stdout.split('\n')[1]).toBe(`current\tsecond\t${demo.url}\tadminforth\t${after[1].expiresAt ? `session until ${after[1].expiresAt}` : 'session'}\tdefault`);

    const removed = await af(['profiles', 'remove', 'second'], { config: own });
    expect(removed.code, removed.stderr).toBe(EXIT.OK);
    expect(removed.stderr).toContain('the default is "default" again');
    expect(JSON.parse((await af(['profiles', 'list', '-o', 'json'], { config: own })).stdout).map((p: any) => [p.name, p.default])).toEqual([['default', true]]);
    const missing = await af(['profiles', 'use', 'nosuch'], { config: own });
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stderr).toContain('No profile "nosuch" in');
  });
});

describe('completion', () => {
  /** What bash completes for `words` (the last one being typed), with the script loaded. */
  async function complete(script: string, words: string[]): Promise<string[]> {
    const file = path.join(config, '..', 'completion.bash');
    fs.writeFileSync(file, script);
    const line = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _af_jobs; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await execa('bash', ['--norc', '-c', line]);
    return stdout.split('\n').filter(Boolean);
  }

  it('bash: commands, subcommands, flags of the command, values of --status', async () => {
    const result = await af(['completion', 'bash'], { config });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(await complete(result.stdout, ['af-jobs', 'can'])).toEqual(['cancel']);
    expect(await complete(result.stdout, ['af-jobs', 'token', ''])).toEqual(['create', 'list', 'revoke']);
    expect(await complete(result.stdout, ['af-jobs', '--url', 'http://x', 'cancel', '--st'])).toEqual(['--status', '--started-by']);
    expect(await complete(result.stdout, ['af-jobs', 'list', '--status', ''])).toEqual(['queued', 'in_progress', 'done', 'done_with_errors', 'cancelled']);
    expect(await complete(result.stdout, ['af-jobs', 'list', '-o', 'j'])).toEqual(['json', 'jsonl']);
    // A flag's value is not taken for a command: `--profile list` does not make `list` the command.
    expect(await complete(result.stdout, ['af-jobs', '--profile', 'list', 'token', 'cr'])).toEqual(['create']);
  });

  it('zsh and fish scripts name the commands and the status values; an unknown shell is exit 2', async () => {
    const zsh = await af(['completion', 'zsh'], { config });
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef af-jobs');
    expect(zsh.stdout).toContain("'cancel:cancel jobs");
    const fish = await af(['completion', 'fish'], { config });
    expect(fish.stdout).toContain("complete -c af-jobs -n 'not __fish_seen_subcommand_from");
    expect(fish.stdout).toMatch(/-l status -x -a 'queued in_progress done done_with_errors cancelled'/);
    const unknown = await af(['completion', 'tcsh'], { config });
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr.trim()).toBe("Error: Invalid <shell> 'tcsh' for af-jobs completion: Allowed choices are bash, zsh, fish. Run af-jobs completion --help");
  });
});

describe("commander's errors and --help", () => {
  it('start with a capital letter, name the command and end with its --help', async () => {
    const cases: [string[], string][] = [
      [['list', '--bogus'], "Error: Unknown option '--bogus' for af-jobs list. Run af-jobs list --help"],
      [['list', '--stat', 'x'], "Error: Unknown option '--stat' for af-jobs list (did you mean --status?). Run af-jobs list --help"],
      [['show'], 'Error: Missing <jobId> for af-jobs show. Run af-jobs show --help'],
      [['show', 'a', 'b'], 'Error: Too many arguments for af-jobs show: it takes 1, got 2. Run af-jobs show --help'],
      [['show', ''], "Error: Invalid <jobId> '' for af-jobs show: a job id cannot be empty: copy one from af-jobs list. Run af-jobs show --help"],
      [['cancel', 'a b'], `Error: Invalid <jobId> 'a b' for af-jobs cancel: "a b" is not a job id (ids are printable characters without spaces): copy one from af-jobs list. Run af-jobs cancel --help`],
      [['token', 'crate'], "Error: Unknown command 'crate' for af-jobs token (did you mean create?). Run af-jobs token --help"],
    ];
    for (const [args, message] of cases) {
      const result = await af(args, { config });
      expect(result.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(result.stderr.trim(), args.join(' ')).toBe(message);
    }
  });

  it('--help prints the exit codes, not a path into the repository', async () => {
    const help = await af(['--help'], { config });
    expect(help.stdout).not.toContain('docs/exit-codes.md');
    expect(help.stdout).toMatch(/^Exit codes/m);
    for (const code of ['0', '2', '4', '5', '6', '7', '10', '11', '12', '130']) expect(help.stdout).toMatch(new RegExp(`^ +${code}  \\S`, 'm'));
  });
});
