/**
 * Who is calling: the AdminForth auth cookie, or `Authorization: Bearer <personal token>`.
 *
 * AdminForth authenticates only by cookie and answers 401 before the handler runs (contract §3.1,
 * §3.3), so endpoints that also take tokens are registered `noAuth` and call this first, as the
 * official MCP plugin does (§3.3). A cookie is verified with AdminForth's own `auth.verify`; a token
 * is looked up by its SHA-256, and its user is loaded from the users resource. Either way the
 * app's `adminUserAuthorize` hooks run, and a failure answers exactly like AdminForth:
 * 401 `text/html` `Unauthorized by AdminForth`.
 */
import { createHash } from 'node:crypto';
import type { IAdminForth } from 'adminforth';
import { Filters } from 'adminforth';
import type { AdminUserLike } from '../types.js';
import type { TokenStore } from '../store/token-store.js';

export const UNAUTHORIZED_TEXT = 'Unauthorized by AdminForth';
/** Every personal token starts with this, so secret scanners and people can recognise it. */
export const TOKEN_PREFIX = 'afjobs_';
/** `last_used_at` is written at most this often per token. */
const TOUCH_EVERY_MS = 60_000;

export interface Caller {
  adminUser: AdminUserLike;
  /** How the caller authenticated. */
  via: 'cookie' | 'token';
  /** The personal token's id, when `via` is `token`. */
  tokenId?: string;
}

export interface AuthInput {
  headers: Record<string, any>;
  cookies: { key: string; value: string }[];
  response: unknown;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The cookie name AdminForth uses: `adminforth_<brandNameSlug>_jwt` (contract §3.2). */
function cookieName(adminforth: IAdminForth): string {
  const auth: any = adminforth.auth;
  if (typeof auth?.getCookieName === 'function') return auth.getCookieName();
  return `adminforth_${adminforth.config.customization?.brandNameSlug ?? 'adminforth'}_jwt`;
}

function bearerToken(headers: Record<string, any>): string | null | undefined {
  const header = headers.authorization ?? headers.Authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(header));
  return match ? match[1] : null;
}

/** Loads a user by primary key through the users resource: `{ pk, username, dbUser }`. */
async function userByPk(adminforth: IAdminForth, pk: string): Promise<AdminUserLike | null> {
  const auth = adminforth.config.auth;
  if (!auth?.usersResourceId) return null;
  const usersResource = adminforth.config.resources.find((r) => r.resourceId === auth.usersResourceId);
  const pkColumn = usersResource?.columns.find((c) => c.primaryKey);
  if (!pkColumn) return null;
  const isNumber = ['integer', 'float', 'decimal'].includes(String(pkColumn.type ?? '').toLowerCase());
  if (isNumber && !/^-?\d+$/.test(pk)) return null;
  const dbUser = await adminforth.resource(auth.usersResourceId).get(Filters.EQ(pkColumn.name, isNumber ? Number(pk) : pk));
  if (!dbUser) return null;
  return { pk: String(dbUser[pkColumn.name]), username: String(dbUser[auth.usernameField] ?? ''), dbUser };
}

async function allowedByHooks(adminforth: IAdminForth, adminUser: AdminUserLike, input: AuthInput): Promise<boolean> {
  const run = (adminforth.auth as any)?.runAdminUserAuthorizeHooks;
  if (typeof run !== 'function') return true;
  const { allowed } = await run.call(adminforth.auth, adminUser, input.response, { headers: input.headers });
  return allowed !== false;
}

/**
 * Login cookies verified a moment ago, by their exact text: a client polling the API
 * would otherwise have its cookie's signature checked and its user read on every request (about a
 * millisecond of CPU each, issue 17's api-under-load bench). Kept `ttlMs` (the plugin's
 * `userRecheckMs`, as the websocket trusts a user) and never past the cookie's own expiry; a
 * demoted or deleted user is refused again within that time. Personal tokens are not kept: a
 * revoked one stops working at once. The app's
 * `adminUserAuthorize` hooks still run on every request (they may look at the request).
 */
export class VerifiedCredentials {
  private readonly entries = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, now: number): Caller | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.until <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry.caller;
  }

  set(key: string, caller: Caller, now: number, expiresAt: number | null): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(key, { caller, until: Math.min(now + this.ttlMs, expiresAt ?? Infinity) });
  }
}

/** The `exp` of a JWT that was just verified (its payload is then authentic), in ms; null when absent. */
function jwtExpiry(jwt: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload?.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * The caller, or null when the request carries no valid credentials. A present but malformed,
 * unknown, expired or revoked bearer token is a failure even if a cookie is also sent.
 */
export async function authenticate(
  adminforth: IAdminForth, tokens: () => Promise<TokenStore>, input: AuthInput, verified?: VerifiedCredentials,
): Promise<Caller | null> {
  const bearer = bearerToken(input.headers);
  const now = Date.now();
  if (bearer !== undefined) {
    if (bearer === null || !bearer.startsWith(TOKEN_PREFIX)) return null;
    // Not cached: a revoked token stops working at once (tokens/revoke promises it).
    const store = await tokens();
    const token = await store.findByHash(hashToken(bearer));
    if (!token || (token.expiresAt !== null && token.expiresAt <= now)) return null;
    const adminUser = await userByPk(adminforth, token.userPk);
    if (!adminUser || !(await allowedByHooks(adminforth, adminUser, input))) return null;
    if (token.lastUsedAt === null || now - token.lastUsedAt >= TOUCH_EVERY_MS) {
      await store.touch(token.id, now).catch(() => {});
    }
    return { adminUser, via: 'token', tokenId: token.id };
  }
  const jwt = input.cookies.find((c) => c.key === cookieName(adminforth))?.value;
  if (!jwt) return null;
  const known = verified?.get(`cookie:${jwt}`, now);
  if (known) return (await allowedByHooks(adminforth, known.adminUser, input)) ? known : null;
  const adminUser = (await adminforth.auth.verify(jwt, 'auth')) as AdminUserLike | null;
  if (!adminUser || !(await allowedByHooks(adminforth, adminUser, input))) return null;
  const caller: Caller = { adminUser, via: 'cookie' };
  verified?.set(`cookie:${jwt}`, caller, now, jwtExpiry(jwt));
  return caller;
}
