/**
 * `af-jobs login | logout | whoami` and the errors every job command shares (issue 8 §1, §6, §7),
 * through `bin/af-jobs.js` spawned against the demo app in its own process. Each error is one line
 * naming the fix, with its exit code from docs/exit-codes.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { startApp } from '../helpers/app.js';
import { createDemoJob, freePort, killDemoProcesses, loginTo, startDemo, type DemoProcess } from '../helpers/demo-process.js';
import { runInProcess } from './helpers.js';
import { af, configDir, removeConfigDirs } from './jobs-helpers.js';

const DEMO_SECRET = 'demo-process-secret';
let demo: DemoProcess;
let dbDir: string;

beforeAll(async () => {
  dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-login-'));
  demo = await startDemo({ DEMO_DB: path.join(dbDir, 'demo.sqlite') });
});

afterAll(async () => {
  await killDemoProcesses();
  removeConfigDirs();
  fs.rmSync(dbDir, { recursive: true, force: true });
});

const loginArgs = (username = 'adminforth') => ['login', '--url', demo.url, '--username', username, '--password-stdin'];
const oneLine = (stderr: string) => expect(stderr.trim().split('\n'), stderr).toHaveLength(1);

async function loggedIn(username = 'adminforth', profile?: string, config = configDir()): Promise<string> {
  const result = await af([...loginArgs(username), ...(profile ? ['--profile', profile] : [])], { config, input: `${username}\n` });
  expect(result.code, result.stderr).toBe(EXIT.OK);
  return config;
}

async function mintToken(name: string): Promise<string> {
  const cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
  const post = async (url: string, body: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json() as Promise<any>;
  };
  const discovery = await post(`${demo.url}/adminapi/v1/plugin/background-jobs/instances`, {});
  const created = await post(`${demo.url}${discovery.instances[0].apiPath}/tokens/create`, { name });
  return created.token as string;
}

describe('login', () => {
  it('reads the password from stdin, saves a private profile, and whoami says who', async () => {
    const config = configDir();
    const result = await af(loginArgs(), { config, input: 'adminforth\n' });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Logged in to ${demo.url} as adminforth (admin: sees and manages every job)`);

    const file = path.join(config, 'profiles.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(config).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')).profiles.default;
    expect(saved.url).toBe(demo.url);
    // The cookie name comes from the app: the demo's brand is "af-jobs demo".
    expect(saved.credentials).toMatchObject({ kind: 'session', cookieName: 'adminforth_af-jobs-demo_jwt' });
    expect(saved.instance.instanceId).toMatch(/^[0-9a-f]{32}$/);

    const who = await af(['whoami', '-o', 'json'], { config });
    expect(who.code, who.stderr).toBe(EXIT.OK);
    expect(JSON.parse(who.stdout)).toMatchObject({ url: demo.url, user: { username: 'adminforth', via: 'cookie' }, isAdmin: true, via: 'session', profile: 'default' });
    const piped = await af(['whoami'], { config });
    expect(piped.stdout).toContain(`url\t${demo.url}\n`);
    expect(piped.stdout).toMatch(/^auth\tsession until \S+ \(profile "default"\)$/m);
  });

  it('--remember asks the app for its long session', async () => {
    const config = configDir();
    const result = await af([...loginArgs(), '--remember'], { config, input: 'adminforth\n' });
    expect(result.code, result.stderr).toBe(EXIT.OK);
    const saved = JSON.parse(fs.readFileSync(path.join(config, 'profiles.json'), 'utf8')).profiles.default;
    // rememberMeDuration is 30d in the demo; a plain login lasts 1d.
    expect(Date.parse(saved.credentials.expiresAt) - Date.now()).toBeGreaterThan(20 * 24 * 3600_000);
  });

  it('refuses a wrong password (exit 4) and saves nothing', async () => {
    const config = configDir();
    const result = await af(loginArgs(), { config, input: 'not-the-password\n' });
    expect(result.code).toBe(EXIT.AUTH);
    expect(result.stderr.trim()).toBe(`Error: Wrong username or password for ${demo.url} (user "adminforth"): check them and run af-jobs login again.`);
    expect(fs.existsSync(path.join(config, 'profiles.json'))).toBe(false);
  });

  it('without a terminal, a missing password names --password-stdin (exit 2)', async () => {
    const result = await af(['login', '--url', demo.url, '--username', 'adminforth'], { config: configDir() });
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr).toContain('--password-stdin');
    oneLine(result.stderr);
  });

  it('takes a personal token from tokens/create (--token, or AF_JOBS_URL + AF_JOBS_TOKEN without a profile)', async () => {
    const token = await mintToken('cli test');
    const config = configDir();
    const login = await af(['login', '--url', demo.url, '--token', token, '--profile', 'ci'], { config });
    expect(login.code, login.stderr).toBe(EXIT.OK);
    const who = await af(['whoami', '--profile', 'ci', '-o', 'json'], { config });
    expect(JSON.parse(who.stdout)).toMatchObject({ via: 'token', user: { username: 'adminforth', via: 'token' }, profile: 'ci' });

    const env = { AF_JOBS_URL: demo.url, AF_JOBS_TOKEN: token };
    const list = await af(['list', '-o', 'json'], { config: configDir(), env });
    expect(list.code, list.stderr).toBe(EXIT.OK);
    expect(Array.isArray(JSON.parse(list.stdout))).toBe(true);

    const refused = await af(['list'], { config: configDir(), env: { ...env, AF_JOBS_TOKEN: 'afjobs_not-a-real-token' } });
    expect(refused.code).toBe(EXIT.AUTH);
    expect(refused.stderr.trim()).toBe(`Error: ${demo.url} refused the token from AF_JOBS_TOKEN (unknown, revoked or expired, or its user was removed): mint a new one with af-jobs token create (logged in with a password) and set AF_JOBS_TOKEN.`);
  });

  it('logout forgets the profile; then a command says how to log in (exit 4)', async () => {
    const config = await loggedIn();
    const logout = await af(['logout'], { config });
    expect(logout.code, logout.stderr).toBe(EXIT.OK);
    expect(logout.stderr).toContain(`Logged out of ${demo.url}: profile "default" removed`);
    const list = await af(['list'], { config });
    expect(list.code).toBe(EXIT.AUTH);
    expect(list.stderr.trim()).toBe('Error: Not logged in: run af-jobs login --url <app url> (or set AF_JOBS_URL and AF_JOBS_TOKEN).');
    const withUrl = await af(['list', '--url', demo.url], { config });
    expect(withUrl.code).toBe(EXIT.AUTH);
    expect(withUrl.stderr.trim()).toBe(`Error: Not logged in to ${demo.url}: run af-jobs login --url ${demo.url} (or set AF_JOBS_TOKEN to a personal token).`);
    const again = await af(['logout'], { config });
    expect(again.code).toBe(EXIT.OK);
  });

  it('an expired session says so and how to log in again (exit 4)', async () => {
    const config = await loggedIn('adminforth', 'stale');
    const file = path.join(config, 'profiles.json');
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    const profile = data.profiles.stale;
    // A JWT the app itself would have issued, one that expired a minute ago.
    const now = Math.floor(Date.now() / 1000);
    profile.credentials.jwt = jwt.sign({ username: 'adminforth', pk: profile.user.pk, t: 'auth', iat: now - 3600, exp: now - 60 }, DEMO_SECRET);
    profile.credentials.expiresAt = new Date((now - 60) * 1000).toISOString();
    fs.writeFileSync(file, JSON.stringify(data));
    const result = await af(['list', '--profile', 'stale'], { config });
    expect(result.code).toBe(EXIT.AUTH);
    expect(result.stderr.trim()).toBe(`Error: Your session for ${demo.url} (profile "stale") expired at ${profile.credentials.expiresAt}: log in again with af-jobs login --url ${demo.url} --profile stale.`);
  });
});

describe('errors that name the fix', () => {
  it('an unreachable app names the URL tried (exit 7); --verbose adds the cause', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const env = { AF_JOBS_TOKEN: 'afjobs_whatever' };
    const result = await af(['list', '--url', dead], { config: configDir(), env });
    expect(result.code).toBe(EXIT.CONNECTION);
    expect(result.stderr.trim()).toBe(
      `Error: Cannot reach ${dead} (connection refused; tried POST ${dead}/adminapi/v1/plugin/background-jobs/instances): check the URL (--url) and that the app is running.`,
    );
    const verbose = await af(['list', '--url', dead, '--verbose'], { config: configDir(), env });
    expect(verbose.stderr).toContain('Caused by: TypeError: fetch failed');
  });

  it('a mistyped --url, with no login for it, says nothing answers there rather than "Not logged in"', async () => {
    // No AdminForth at that path of a running app: exit 5, naming the URL and the baseUrl hint.
    const typo = `${demo.url}/admin-typo`;
    const wrongPath = await af(['list', '--url', typo], { config: configDir() });
    expect(wrongPath.code).toBe(EXIT.NOT_FOUND);
    expect(wrongPath.stderr.trim()).toMatch(new RegExp(`^Error: No AdminForth app answers at ${typo} \\(GET ${typo}/adminapi/v1/get_config answered HTTP 404.*\\): check the URL \\(--url\\)`));
    // Nothing listening: exit 7.
    const dead = `http://127.0.0.1:${await freePort()}`;
    expect((await af(['list', '--url', dead], { config: configDir() })).code).toBe(EXIT.CONNECTION);
    // The right URL without a login: exit 4, as before.
    const right = await af(['list', '--url', demo.url], { config: configDir() });
    expect(right.code).toBe(EXIT.AUTH);
    expect(right.stderr).toContain(`Not logged in to ${demo.url}`);
  });

  it('an app without the plugin says it is not installed there (exit 5)', async () => {
    const app = await startApp();
    try {
      const result = await af(['login', '--url', app.url, '--username', 'adminforth', '--password-stdin'], { config: configDir(), input: 'adminforth\n' });
      expect(result.code).toBe(EXIT.NOT_FOUND);
      expect(result.stderr.trim()).toBe(
        `Error: The background-jobs plugin is not installed on ${app.url} (POST /adminapi/v1/plugin/background-jobs/instances answered 404): add it to the app (af-jobs init), or check the URL (--url).`,
      );
    } finally {
      await app.close();
    }
  });

  it('a viewer is denied the admin\'s job exactly as a missing job (exit 5)', async () => {
    const config = await loggedIn('adminforth');
    await loggedIn('viewer', 'viewer', config);
    const cookie = await loginTo(demo.url, 'adminforth', 'adminforth');
    const jobId = await createDemoJob(demo.url, cookie, { handler: 'demo_job', tasks: 2, taskMs: 0 });

    const admin = await af(['show', jobId, '-o', 'json'], { config });
    expect(admin.code, admin.stderr).toBe(EXIT.OK);
    for (const command of ['show', 'cancel', 'tail']) {
      const denied = await af([command, jobId, '--profile', 'viewer'], { config });
      expect(denied.code, `${command}: ${denied.stderr}`).toBe(EXIT.NOT_FOUND);
      expect(denied.stderr.trim()).toBe(`Error: Job ${jobId} not found on ${demo.url} (or you may not see it): check the id with af-jobs list.`);
    }
    const missing = await af(['show', 'no-such-job'], { config });
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stderr.trim()).toBe(`Error: Job no-such-job not found on ${demo.url} (or you may not see it): check the id with af-jobs list.`);
    const list = await af(['list', '--profile', 'viewer', '-o', 'json'], { config });
    expect(JSON.parse(list.stdout).map((job: { id: string }) => job.id)).not.toContain(jobId);
  });

  it('bad flags are usage errors naming the flag (exit 2)', async () => {
    const config = configDir();
    const cases: [string[], string][] = [
      [['list', '--status', 'finished'], `Error: Invalid value 'finished' for --status <status> of af-jobs list: "finished" is not one of: queued, in_progress, done, done_with_errors, cancelled. Run af-jobs list --help`],
      [['list', '--limit', '0'], `Error: Invalid value '0' for --limit <n> of af-jobs list: expected a positive whole number, got "0". Run af-jobs list --help`],
      [['tail', 'x', '--timeout', 'soon'], `Error: Invalid value 'soon' for --timeout <duration> of af-jobs tail: expected a duration like 90s, 10m or 2h, got "soon". Run af-jobs tail --help`],
      [['list', '--url', 'localhost:3500'], `Error: --url "localhost:3500": only http:// and https:// URLs are supported.`],
      [['list', '--mine', '--all'], 'Error: --mine and --all contradict each other: pass one of them.'],
      [['retry', 'x', '--unfinished', '--task', '1'], 'Error: --unfinished and --task contradict each other: pass one of them.'],
      [['show'], 'Error: Missing <jobId> for af-jobs show. Run af-jobs show --help'],
      // A global flag: its help is af-jobs --help.
      [['list', '-o', 'yaml'], `Error: Invalid value 'yaml' for -o, --output <format> of af-jobs: Allowed choices are table, json, jsonl. Run af-jobs --help`],
    ];
    for (const [args, message] of cases) {
      const result = await runInProcess(args, { cwd: config });
      expect(result.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(result.stderr.trim(), args.join(' ')).toContain(message);
    }
  });

  it('--help of every command shows its examples', async () => {
    for (const command of ['init', 'add-handler', 'add-component', 'login', 'logout', 'whoami', 'list', 'show', 'cancel', 'retry', 'tail', 'token', 'token create', 'profiles', 'completion']) {
      const result = await runInProcess([...command.split(' '), '--help']);
      expect(result.code, command).toBe(EXIT.OK);
      expect(result.stdout, command).toContain('Examples:\n  $ af-jobs');
    }
    const top = await runInProcess(['--help']);
    for (const flag of ['--url <url>', '--profile <name>', '-o, --output <format>', '--json', '--no-color', '--quiet', '--verbose', '--version']) {
      expect(top.stdout).toContain(flag);
    }
  });
});
