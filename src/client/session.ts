/**
 * Which app, as whom, through which plugin instance: settings resolve flag → `AF_JOBS_URL` /
 * `AF_JOBS_TOKEN` / `AF_JOBS_PROFILE` → profile → default (style.md "Scriptable by default").
 *
 * A profile's credentials are only ever sent to that profile's URL: `--url` naming another app
 * picks the profile saved for that URL, or none.
 */
import type { Context } from '../context.js';
import { AuthError, NotFoundError, UsageError } from '../errors.js';
import { HttpClient } from './http-client.js';
import { discover, JobsApi, pickInstance } from './jobs-api.js';
import { checkProfileName, DEFAULT_PROFILE, ProfileStore, type Credentials, type Profile } from './profiles.js';

export interface Target {
  url: string | undefined;
  urlSource: string;
  profileName: string;
  /** The saved profile for this URL, if any. */
  profile: Profile | undefined;
  credentials: Credentials | null;
  credentialSource: string;
  store: ProfileStore;
}

export interface Session {
  target: Target & { url: string };
  http: HttpClient;
  jobs: JobsApi;
}

/** `http://host:3500/admin/` → `http://host:3500/admin`; a URL without a scheme is refused. */
export function normalizeUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} "${value}" is not a URL: give the app's address with its scheme, e.g. http://localhost:3500.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} "${value}": only http:// and https:// URLs are supported.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Resolves the URL, profile and credentials (from `--url`, `--profile`: `ctx.url`, `ctx.profile`), without any request. */
export function resolveTarget(ctx: Context): Target {
  const store = ProfileStore.forEnv(ctx.env);
  const explicitProfile = ctx.profile ?? (ctx.env.AF_JOBS_PROFILE || undefined);
  if (explicitProfile !== undefined) checkProfileName(explicitProfile);

  let url: string | undefined;
  let urlSource = '';
  if (ctx.url !== undefined) {
    url = normalizeUrl(ctx.url, '--url');
    urlSource = '--url';
  } else if (ctx.env.AF_JOBS_URL) {
    url = normalizeUrl(ctx.env.AF_JOBS_URL, 'AF_JOBS_URL');
    urlSource = 'AF_JOBS_URL';
  }

  let profileName = explicitProfile ?? store.defaultName();
  let profile = store.get(profileName);
  if (url !== undefined && profile?.url !== url) {
    profile = undefined;
    if (explicitProfile === undefined) {
      const match = store.findByUrl(url);
      if (match) [profileName, profile] = match;
    }
  }
  if (url === undefined && profile) {
    url = profile.url;
    urlSource = `profile "${profileName}"`;
  }

  let credentials: Credentials | null = null;
  let credentialSource = '';
  if (ctx.env.AF_JOBS_TOKEN) {
    credentials = { kind: 'token', token: ctx.env.AF_JOBS_TOKEN.trim() };
    credentialSource = 'AF_JOBS_TOKEN';
  } else if (profile) {
    credentials = profile.credentials;
    credentialSource = `profile "${profileName}"`;
  }
  return { url, urlSource, profileName, profile, credentials, credentialSource, store };
}

/** `af-jobs login --url <url> [--profile <name>]`, as a hint in messages. */
export function loginCommand(target: Pick<Target, 'url' | 'profileName'>): string {
  const profile = target.profileName === DEFAULT_PROFILE ? '' : ` --profile ${target.profileName}`;
  return `af-jobs login --url ${target.url ?? '<app url>'}${profile}`;
}

/** A client for `target` (login needs one before there are credentials). */
export function httpClient(target: Target & { url: string }, ctx: Context): HttpClient {
  return new HttpClient(ctx, target.url, {
    credentials: target.credentials,
    source: target.credentialSource,
    loginCommand: loginCommand(target),
  }, target.urlSource);
}

/**
 * Throws unless an AdminForth app answers at the client's URL: a ConnectionError when nothing
 * does, a NotFoundError when something else does. `GET /adminapi/v1/get_config` needs no login
 * and answers `{ loggedIn: false, ... }` (contract §3.2).
 */
async function expectAdminForth(http: HttpClient): Promise<void> {
  const url = `${http.url}/adminapi/v1/get_config`;
  const response = await http.send(url, { method: 'GET', headers: { accept: 'application/json' } }, { timeoutMs: 10_000 });
  const body = await response.json().catch(() => null) as { loggedIn?: unknown } | null;
  if (response.ok && body && typeof body.loggedIn === 'boolean') return;
  throw new NotFoundError(
    `No AdminForth app answers at ${http.url} (GET ${url} answered HTTP ${response.status}${body ? '' : ', not JSON'}): check the URL (${http.urlSource}); it includes the app's baseUrl, if it has one.`,
  );
}

/** Resolves the settings and returns a client of the plugin's API; fails early when not logged in. */
export async function connect(ctx: Context): Promise<Session> {
  const target = resolveTarget(ctx);
  if (target.url === undefined) {
    const named = ctx.profile ?? (ctx.env.AF_JOBS_PROFILE || undefined);
    if (named !== undefined && !target.profile) {
      const from = ctx.profile !== undefined ? '--profile' : 'AF_JOBS_PROFILE';
      const saved = Object.keys(target.store.all());
      throw new AuthError(
        `No profile "${named}" (${from}) in ${target.store.file}: ` +
        `${saved.length ? `saved profiles are ${saved.map((name) => `"${name}"`).join(', ')} (af-jobs profiles list shows them)` : 'no profile is saved yet'}; ` +
        `log in with af-jobs login --url <app url> --profile ${named}.`,
      );
    }
    throw new AuthError('Not logged in: run af-jobs login --url <app url> (or set AF_JOBS_URL and AF_JOBS_TOKEN).');
  }
  const resolved = target as Target & { url: string };
  const http = httpClient(resolved, ctx);
  if (!resolved.credentials) {
    // A mistyped --url has no saved login either: first make sure an AdminForth app answers
    // there, so the message points at the URL rather than at logging in.
    await expectAdminForth(http);
    const missing = ctx.profile ?? ctx.env.AF_JOBS_PROFILE;
    const where = missing && !target.store.get(missing) ? ` (no profile "${missing}" in ${target.store.file})` : '';
    throw new AuthError(`Not logged in to ${resolved.url}${where}: run ${loginCommand(resolved)} (or set AF_JOBS_TOKEN to a personal token).`);
  }
  const fresh = async () => pickInstance(await discover(http));
  const instance = target.profile?.instance ?? await fresh();
  return { target: resolved, http, jobs: new JobsApi(http, instance, target.profile ? fresh : undefined) };
}
