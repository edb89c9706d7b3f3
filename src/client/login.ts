/**
 * AdminForth's own login (contract §3.2): `POST <url>/adminapi/v1/login` with
 * `{ username, password, rememberMe }`; success is `{ allowedLogin: true }` plus a `Set-Cookie`
 * named `adminforth_<brandSlug>_jwt`. The cookie's name is taken from that answer (falling back to
 * `get_config`'s `brandNameSlug` when several cookies come back), so apps with any brand work.
 */
import { ApiError, AuthError, UsageError } from '../errors.js';
import { HttpClient, jwtExpiry } from './http-client.js';
import type { SessionCredentials } from './profiles.js';

interface Cookie {
  name: string;
  value: string;
}

function parseSetCookie(header: string): Cookie | null {
  const pair = header.split(';')[0] ?? '';
  const equals = pair.indexOf('=');
  if (equals <= 0) return null;
  return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim() };
}

/** `GET <url>/adminapi/v1/get_config` → the brand slug of the auth cookie's name, if the app says. */
async function brandSlug(http: HttpClient): Promise<string | null> {
  try {
    const response = await http.send(`${http.url}/adminapi/v1/get_config`, { method: 'GET', headers: { accept: 'application/json' } });
    const json = (await response.json()) as { config?: { brandNameSlug?: string } };
    return json.config?.brandNameSlug ?? null;
  } catch {
    return null;
  }
}

/** Logs in and returns the session; throws AuthError for a wrong password or a second login step. */
export async function loginWithPassword(http: HttpClient, username: string, password: string, rememberMe: boolean): Promise<SessionCredentials> {
  const url = `${http.url}/adminapi/v1/login`;
  const response = await http.send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password, rememberMe }),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.status === 401) {
    throw new AuthError(`Wrong username or password for ${http.url} (user "${username}"): check them and run af-jobs login again.`);
  }
  if (response.status === 404) {
    throw new UsageError(`${http.url} has no AdminForth login (POST ${url} answered 404): check --url; it must include the app's baseUrl, e.g. https://example.com/admin.`);
  }
  if (!response.ok || json === undefined) {
    const detail = typeof json?.error === 'string' ? json.error : text.replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new ApiError(`Login at ${url} failed with HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  if (json.allowedLogin !== true) {
    // A beforeLoginConfirmation hook (e.g. two-factor) took over: the CLI cannot finish that step.
    const why = json.error ? ` (${json.error})` : json.redirectTo ? ` (it redirects to ${json.redirectTo})` : '';
    throw new AuthError(`${http.url} needs another login step${why} that af-jobs cannot do: mint a personal token (tokens/create in docs/http-api.md) and run af-jobs login --url ${http.url} --token <token>.`);
  }
  const cookies = response.headers.getSetCookie().map(parseSetCookie).filter((c): c is Cookie => c !== null && c.value !== '');
  let cookie = cookies.length === 1 ? cookies[0] : undefined;
  if (!cookie) {
    const slug = await brandSlug(http);
    const expected = slug ? `adminforth_${slug}_jwt` : null;
    cookie = cookies.find((c) => c.name === expected) ?? cookies.find((c) => /^adminforth_.+_jwt$/.test(c.name));
  }
  if (!cookie) {
    throw new ApiError(`${http.url} accepted the login but sent no adminforth_<brand>_jwt cookie (a proxy may strip Set-Cookie): log in with a personal token instead (--token).`);
  }
  return { kind: 'session', cookieName: cookie.name, jwt: cookie.value, expiresAt: jwtExpiry(cookie.value)?.toISOString() ?? null };
}
