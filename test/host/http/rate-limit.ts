/**
 * The login rate limiter (contract §3.2): rules like `'500/5m'` (at most 500 attempts per 5
 * minutes), all of which must pass, keyed by the client IP taken from proxy headers. Every
 * attempt counts, successful or not, because AdminForth checks the limit before the password.
 */
import { isIP } from 'node:net';
import { parseDuration } from '../utils.js';

/** AdminForth's defaults when `auth.loginRateLimits` is not set (contract §3.2). */
export const DEFAULT_LOGIN_RATE_LIMITS = ['500/5m', '5000/1h', '10000/1d'];

interface Rule {
  max: number;
  windowMs: number;
  windows: Map<string, { startedAt: number; count: number }>;
}

/** Fixed-window counters, one per rule and key, kept in memory for the life of the app. */
export class LoginRateLimiter {
  private readonly rules: Rule[];

  /** @param limits rules `<count>/<duration>`, e.g. `['3/1m']`; throws on a malformed rule. */
  constructor(limits: string[], private readonly now: () => number = Date.now) {
    this.rules = limits.map((limit) => {
      const [count, duration] = limit.split('/');
      const max = Number(count);
      if (!Number.isInteger(max) || max < 0 || !duration) {
        throw new Error(`Invalid login rate limit "${limit}": expected "<count>/<duration>", e.g. "500/5m"`);
      }
      return { max, windowMs: parseDuration(duration) * 1000, windows: new Map() };
    });
  }

  /** Records one attempt for `key`; false when any rule is now exceeded. */
  consume(key: string): boolean {
    const now = this.now();
    let allowed = true;
    for (const rule of this.rules) {
      let window = rule.windows.get(key);
      if (!window || now - window.startedAt >= rule.windowMs) {
        window = { startedAt: now, count: 0 };
        rule.windows.set(key, window);
      }
      window.count += 1;
      if (window.count > rule.max) allowed = false;
    }
    return allowed;
  }
}

const IP_HEADERS = ['x-forwarded-for', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip', 'x-client-ip', 'x-cluster-client-ip'];

/**
 * The client's public IP from proxy headers, or null. Like AdminForth, a private, loopback or
 * link-local address counts as "no IP", so every direct local client shares the key `'unknown'`.
 */
export function clientIpFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  for (const name of IP_HEADERS) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value) continue;
    const ip = value.split(',')[0].trim().replace(/^::ffff:/, '');
    if (isIP(ip) && !isPrivateIp(ip)) return ip;
  }
  return null;
}

function isPrivateIp(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}
