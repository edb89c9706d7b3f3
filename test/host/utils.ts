/**
 * Small helpers AdminForth exposes or relies on (contract §1.1, §3.2), written from the contract's
 * description of their behaviour.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pbkdf2 = promisify(crypto.pbkdf2);

/** Hex md5 of a UTF-8 string; the plugin-instance id is one of these (contract §1.1). */
export function md5hex(input: string): string {
  return crypto.createHash('md5').update(input).digest('hex');
}

/**
 * Lowercases, turns whitespace into `-` and every character outside `[a-z0-9-_]` into `-`.
 * The auth cookie name is built from the slug of the brand name (contract §3.2).
 */
export function slugifyString(input: string): string {
  return input
    .toLowerCase()
    .replace(/\s/g, '-')
    .replace(/[^a-z0-9\-_]/g, '-');
}

/**
 * The directory of a module given its `import.meta.url`. Steps up one level only when that
 * directory ends in `/dist/modules` (contract §1.1), so a plugin built to `dist/index.js`
 * gets `.../dist`.
 */
export function currentFileDir(metaUrl: string): string {
  const dir = path.dirname(fileURLToPath(metaUrl));
  return dir.endsWith(`${path.sep}dist${path.sep}modules`) ? path.dirname(dir) : dir;
}

const HASH_ITERATIONS = 100_000;
const HASH_KEY_BYTES = 64;
const SALT_BYTES = 16;

/** `"<saltHex>:<hashHex>"`, PBKDF2-SHA512, 100 000 iterations, 64-byte key (contract §3.2). */
export async function generatePasswordHash(password: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES).toString('hex');
  const hash = await pbkdf2(password, salt, HASH_ITERATIONS, HASH_KEY_BYTES, 'sha512');
  return `${salt}:${hash.toString('hex')}`;
}

/** Checks a password against a hash made by {@link generatePasswordHash}; false for a malformed hash. */
export async function verifyPassword(password: string, storedHash: string): Promise<boolean> {
  if (typeof storedHash !== 'string') return false;
  const [salt, hashHex] = storedHash.split(':');
  if (!salt || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  if (expected.length !== HASH_KEY_BYTES) return false;
  const actual = await pbkdf2(password, salt, HASH_ITERATIONS, HASH_KEY_BYTES, 'sha512');
  return crypto.timingSafeEqual(actual, expected);
}

/** What `AdminForth.Utils` holds (the create-app seed calls `AdminForth.Utils.generatePasswordHash`). */
export const Utils = { generatePasswordHash, verifyPassword };

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `'<int>s|m|h|d'` → seconds (the format of `rememberMeDuration`, contract §3.2). */
export function parseDuration(duration: string): number {
  const match = /^(\d+)([smhd])$/.exec(String(duration).trim());
  if (!match) {
    throw new Error(`Invalid duration "${duration}": use an integer followed by s, m, h or d (e.g. "30d")`);
  }
  return Number(match[1]) * DURATION_UNITS[match[2]];
}

/** Levenshtein distance, for "Did you mean" hints. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidate closest to `name`, or undefined when there are none. */
export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(String(name).toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `' Did you mean "<x>"?'` (or with another quote) or `''`, appended to lookup errors. */
export function didYouMean(name: string, candidates: Iterable<string>, quote = '"'): string {
  const best = closestMatch(name, candidates);
  return best === undefined ? '' : ` Did you mean ${quote}${best}${quote}?`;
}

/**
 * How AdminForth reads a hook's answer (`modules/utils.ts` `hookResponseError`, used for the save
 * hooks and the data-source hooks alike): anything but an object with a boolean `ok` throws (the
 * request then fails with a 500); `ok: false` without an error refuses with
 * `'Operation aborted by hook'`; an `error` refuses with that error, even beside `ok: true`;
 * otherwise null (go on).
 */
export function hookResponseError(answer: unknown): { error: any } | null {
  const { ok, error } = (answer ?? {}) as { ok?: unknown; error?: unknown };
  if (answer === null || typeof answer !== 'object' || typeof ok !== 'boolean') {
    // AdminForth's message names beforeSave whichever hook it was.
    throw new Error('Hook beforeSave must return { ok: boolean, error?: string | null }');
  }
  // A falsy but non-null error ('' or 0) beside `ok: false` is returned as it is.
  if (ok === false && !error) return { error: error ?? 'Operation aborted by hook' };
  if (error) return { error };
  return null;
}
