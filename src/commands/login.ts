/**
 * `af-jobs login`: logs in through AdminForth's own login (contract §3.2) — or takes a personal
 * token (`--token`) — finds the plugin instance (discovery), and saves a profile (url, cookie name
 * and JWT or token, user, instance) in the config folder, mode 0600 (design D8).
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { HttpClient } from '../client/http-client.js';
import { discover, pickInstance } from '../client/jobs-api.js';
import { loginWithPassword } from '../client/login.js';
import { checkProfileName, DEFAULT_PROFILE, ProfileStore, type Credentials, type Profile } from '../client/profiles.js';
import { normalizeUrl } from '../client/session.js';
import { printJson } from '../output/format.js';

export interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  /** A personal token, or `-` to read it from stdin. */
  token?: string;
  remember?: boolean;
  resource?: string;
}

const DEFAULT_URL = 'http://localhost:3500';

async function appUrl(ctx: Context, store: ProfileStore, profileName: string): Promise<{ url: string; source: string }> {
  if (ctx.url !== undefined) return { url: normalizeUrl(ctx.url, '--url'), source: '--url' };
  if (ctx.env.AF_JOBS_URL) return { url: normalizeUrl(ctx.env.AF_JOBS_URL, 'AF_JOBS_URL'), source: 'AF_JOBS_URL' };
  const saved = store.get(profileName);
  if (saved) return { url: saved.url, source: `profile "${profileName}"` };
  if (!ctx.isTTY) throw new UsageError('Missing the app URL: pass --url <url> (e.g. --url http://localhost:3500) or set AF_JOBS_URL.');
  const answer = await ctx.prompts.input({
    message: 'URL of the AdminForth app (with its baseUrl)?',
    default: DEFAULT_URL,
    validate: (value) => {
      try {
        normalizeUrl(value, 'URL');
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  return { url: normalizeUrl(answer, 'URL'), source: 'the URL you entered' };
}

async function firstLineOfStdin(ctx: Context, flag: string): Promise<string> {
  const line = (await ctx.readStdin()).split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError(`${flag}: stdin was empty; pipe the secret in, e.g. printf '%s' "$SECRET" | af-jobs login ${flag} ...`);
  return line;
}

async function credentialsFor(opts: LoginOptions, ctx: Context, http: HttpClient): Promise<Credentials> {
  if (opts.token !== undefined) {
    if (opts.username !== undefined || opts.passwordStdin) throw new UsageError('--token logs in with a personal token: leave out --username and --password-stdin.');
    const token = (opts.token === '-' ? await firstLineOfStdin(ctx, '--token -') : opts.token).trim();
    if (!token.startsWith('afjobs_')) throw new UsageError('--token: a personal token starts with "afjobs_" (mint one with af-jobs token create).');
    return { kind: 'token', token };
  }
  let username = opts.username;
  if (username === undefined) {
    if (!ctx.isTTY) throw new UsageError('Missing the username: pass --username <name> and the password on stdin with --password-stdin (or --token).');
    username = await ctx.prompts.input({ message: 'Username?', validate: (value) => (value.trim() ? true : 'Enter a username.') });
  }
  let password: string;
  if (opts.passwordStdin) password = await firstLineOfStdin(ctx, '--password-stdin');
  else if (ctx.isTTY) password = await ctx.prompts.password({ message: `Password of ${username}?` });
  else throw new UsageError('Missing the password: pass it on stdin with --password-stdin (never as a flag).');
  return loginWithPassword(http, username, password, Boolean(opts.remember));
}

export async function run(opts: LoginOptions, ctx: Context): Promise<void> {
  const store = ProfileStore.forEnv(ctx.env);
  const profileName = checkProfileName(ctx.profile ?? (ctx.env.AF_JOBS_PROFILE || DEFAULT_PROFILE));
  const { url, source } = await appUrl(ctx, store, profileName);
  const loginCommand = `af-jobs login --url ${url}${profileName === DEFAULT_PROFILE ? '' : ` --profile ${profileName}`}`;
  const anonymous = new HttpClient(ctx, url, { credentials: null, source: 'nothing', loginCommand }, source);
  const credentials = await credentialsFor(opts, ctx, anonymous);
  const http = new HttpClient(ctx, url, { credentials, source: opts.token !== undefined ? '--token' : 'the new session', loginCommand }, source);
  const discovery = await discover(http);
  const instance = pickInstance(discovery, opts.resource);
  const profile: Profile = {
    url,
    credentials,
    user: { pk: discovery.user.pk, username: discovery.user.username },
    instance,
    loggedInAt: new Date().toISOString(),
  };
  store.save(profileName, profile);

  const admin = discovery.instances.find((i) => i.instanceId === instance.instanceId)?.isAdmin;
  const expires = credentials.kind === 'session' && credentials.expiresAt ? credentials.expiresAt : null;
  if (ctx.output !== 'table') {
    printJson(ctx, { profile: profileName, url, user: discovery.user, isAdmin: admin ?? false, instance, expiresAt: expires, file: store.file });
  }
  ctx.info(
    `${ctx.color.green('Logged in')} to ${url} as ${discovery.user.username ?? discovery.user.pk}` +
    ` (${admin ? 'admin: sees and manages every job' : 'sees and manages the jobs they started'}), ` +
    `jobs of resource "${instance.resourceId}".`,
  );
  ctx.info(`Profile "${profileName}" saved in ${store.file}${expires ? `; the session lasts until ${expires}` : ''}.`);
}
