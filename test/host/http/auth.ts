/**
 * JWTs and the auth cookie (contract §3.2–§3.3). The JWT is HS256 with `ADMINFORTH_SECRET`,
 * payload `{ username, pk, t }` plus `iat`/`exp`; the cookie `adminforth_<brandNameSlug>_jwt` is the
 * only way a request authenticates (no bearer tokens in core).
 */
import jwt from 'jsonwebtoken';
import type { AdminUser, IAdminForth, IAdminForthAuth } from '../types.js';
import { findCookie, parseCookies } from './cookies.js';
import { parseDuration } from '../utils.js';

/** Anything with `setHeader`: a handler's `response` or a raw Express/Node response. */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/** Result of checking a request's cookie, named like AdminForth's `authorizeByCookies` outcomes. */
export type CookieAuthResult =
  | { status: 'ok'; adminUser: AdminUser }
  | { status: 'noToken' | 'invalidToken' };

export class AdminForthAuth implements IAdminForthAuth {
  constructor(private readonly adminforth: IAdminForth) {}

  /** `adminforth_<brandNameSlug>_jwt` (contract §3.2). */
  getCookieName(): string {
    return `adminforth_${this.adminforth.config.customization.brandNameSlug}_jwt`;
  }

  /**
   * Signs `{ ...payload, t: type }` with `ADMINFORTH_SECRET` (HS256).
   * @param expiresIn seconds, or a duration `<int>s|m|h|d`; AdminForth passes seconds to jsonwebtoken.
   */
  issueJWT(payload: Record<string, any>, type: string, expiresIn: string | number = '24h'): string {
    const secret = requireSecret();
    const seconds = typeof expiresIn === 'number' ? expiresIn : parseDuration(expiresIn);
    return jwt.sign({ ...payload, t: type }, secret, { expiresIn: seconds, algorithm: 'HS256' });
  }

  /**
   * Checks signature, expiry and `t === mustHaveType`; with `decodeUser` also loads the user row by
   * `pk` and returns `{ username, pk, t, iat, exp, dbUser }`. A bad or expired token, a wrong type or a
   * deleted user gives null. A failing database read throws (AdminForth then answers 500).
   */
  async verify(token: string, mustHaveType: string, decodeUser = true): Promise<AdminUser | null> {
    let decoded: any;
    try {
      decoded = jwt.verify(token, requireSecret(), { algorithms: ['HS256'] });
    } catch (err) {
      if (err instanceof jwt.JsonWebTokenError) return null; // also TokenExpiredError, NotBeforeError
      throw err;
    }
    if (!decoded || typeof decoded !== 'object' || decoded.t !== mustHaveType) return null;
    if (!decodeUser) return decoded as AdminUser;
    const dbUser = await this.getUserByPk(decoded.pk);
    if (!dbUser) return null;
    return { ...decoded, dbUser } as AdminUser;
  }

  /** The users-resource row whose primary key is `pk`, or null. */
  async getUserByPk(pk: unknown): Promise<Record<string, any> | null> {
    const usersResourceId = this.adminforth.config.auth?.usersResourceId;
    if (!usersResourceId) return null;
    const resourceConfig = this.adminforth.config.resources.find((r) => r.resourceId === usersResourceId);
    const pkColumn = resourceConfig?.columns.find((c) => c.primaryKey)?.name ?? 'id';
    return this.adminforth.resource(usersResourceId).get([{ field: pkColumn, operator: 'eq', value: pk }]);
  }

  /**
   * Issues an auth JWT and sets `adminforth_<slug>_jwt=<jwt>; Path=<baseUrl||/>; HttpOnly;
   * SameSite=Strict; Expires=<date>` (no Secure, no Max-Age, contract §3.2).
   * @param expireInDuration defaults to `ADMINFORTH_AUTH_EXPIRESIN` or `'24h'`.
   */
  setAuthCookie({ response, username, pk, expireInDuration }: { response: HeaderSink; username: string; pk: string; expireInDuration?: string }): void {
    const duration = expireInDuration ?? process.env.ADMINFORTH_AUTH_EXPIRESIN ?? '24h';
    const seconds = parseDuration(duration);
    const token = this.issueJWT({ username, pk }, 'auth', seconds);
    const expires = new Date(Date.now() + seconds * 1000).toUTCString();
    response.setHeader('Set-Cookie', `${this.getCookieName()}=${token}; ${this.cookieAttributes()}; Expires=${expires}`);
  }

  /** Clears the auth cookie (logout). The JWT itself stays valid until it expires (contract §10). */
  removeAuthCookie(response: HeaderSink): void {
    response.setHeader('Set-Cookie', `${this.getCookieName()}=; ${this.cookieAttributes()}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`);
  }

  /**
   * Reads and verifies the auth cookie of a request's `Cookie` header. Errors from `verify` (e.g.
   * the database) propagate so the caller can answer 500 as AdminForth does.
   */
  async authorizeByCookieHeader(cookieHeader: string | string[] | undefined): Promise<CookieAuthResult> {
    const token = findCookie(parseCookies(cookieHeader), this.getCookieName());
    if (!token) return { status: 'noToken' };
    const adminUser = await this.verify(token, 'auth');
    return adminUser ? { status: 'ok', adminUser } : { status: 'invalidToken' };
  }

  /**
   * Runs `config.auth.adminUserAuthorize` (one function or an array) in order; the first answer
   * `{ allowed: false }` vetoes (contract §3.3). Hooks get `{ adminUser, response, adminforth, extra }`.
   */
  async runAdminUserAuthorizeHooks(adminUser: AdminUser, response: unknown, extra: Record<string, any> = {}): Promise<{ allowed: boolean; error?: string }> {
    const configured = this.adminforth.config.auth?.adminUserAuthorize;
    const hooks: any[] = configured ? (Array.isArray(configured) ? configured : [configured]) : [];
    for (const hook of hooks) {
      const result = await hook({ adminUser, response, adminforth: this.adminforth, extra });
      if (result && result.allowed === false) return { allowed: false, error: result.error };
    }
    return { allowed: true };
  }

  private cookieAttributes(): string {
    return `Path=${this.adminforth.config.baseUrl || '/'}; HttpOnly; SameSite=Strict`;
  }
}

function requireSecret(): string {
  const secret = process.env.ADMINFORTH_SECRET;
  if (!secret) throw new Error('ADMINFORTH_SECRET is not set: set it in the environment before issuing or verifying auth tokens');
  return secret;
}
