import { types } from 'node:util';

const { isNativeError, isProxy } = types;

/** Thrown by a handler to fail its task at once, without the retries `maxAttempts` would allow. */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/** Stable codes for business errors; the HTTP layer maps them to statuses and the CLI to exit codes. */
export type JobsErrorCode = 'NOT_FOUND' | 'INVALID_STATE' | 'INVALID_INPUT' | 'NO_HANDLER' | 'UNSUPPORTED' | 'FORBIDDEN';

/** A business error of the plugin: what failed, with which value, and what to do. */
export class JobsError extends Error {
  readonly code: JobsErrorCode;
  constructor(code: JobsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobsError';
    this.code = code;
  }
}

/** Longest error message kept; a longer one is cut and says so (a task's error is stored and shown as is). */
export const MAX_ERROR_MESSAGE_LENGTH = 10_000;

/** How deep the description of a value follows what reading it threw (a Proxy may throw itself). */
const MAX_DEPTH = 2;
/** Errors of an AggregateError listed in its message. */
const MAX_LISTED_ERRORS = 10;
/** Longest description of what made a value unreadable, within a message. */
const MAX_REASON_LENGTH = 200;

/**
 * The message of anything a handler may throw or reject with — a readable string of at most
 * MAX_ERROR_MESSAGE_LENGTH characters (plus the note saying it was cut), and it never throws (issue
 * 17: a value whose conversion threw crashed the process that settled its task). The choices,
 * mirrored in docs/job-lifecycle.md:
 * - an Error: its `message`, else its `name`, else `Error`; an AggregateError adds its errors
 *   (`all failed (2 errors: a; b)`); a `message` getter that throws gives `[Error, message unreadable: why]`;
 * - a string: itself, `[empty string]` when empty;
 * - null, undefined, a boolean, a number: as `String` gives them; a BigInt with its `n` (`10n`);
 *   a Symbol as `Symbol(description)`; a function as `[function name]` or `[anonymous function]`;
 * - any other object: its JSON (`{"code":42}`), or when that fails (a cycle, a throwing `toJSON`,
 *   a Proxy whose traps throw) what it is and why: `[object with no prototype, not serialisable:
 *   Converting circular structure to JSON]`, `[Proxy, not serialisable: <what the trap threw>]`.
 */
export function errorMessage(error: unknown): string {
  try {
    return cut(describe(error, 0), MAX_ERROR_MESSAGE_LENGTH);
  } catch {
    // describe() guards every read of the value; this is only the last resort (e.g. out of stack).
    return '[a value that could not be described]';
  }
}

/** `text` cut to `max` characters (never inside a surrogate pair), saying how long it was. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… [cut: ${text.length} characters in all]`;
}

/** `read()`, or `fallback` when reading throws (a getter, a Proxy trap). */
function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** `read()`, or what it threw, so the caller can describe why a value could not be read. */
function attemptOr<T>(read: () => T): { ok: true; value: T } | { ok: false; thrown: unknown } {
  try {
    return { ok: true, value: read() };
  } catch (thrown) {
    return { ok: false, thrown };
  }
}

function describe(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string': return value === '' ? '[empty string]' : value;
    case 'bigint': return `${value}n`;
    case 'symbol': return attempt(() => value.toString(), 'Symbol()');
    case 'function': {
      const name = attempt(() => (value as { name?: unknown }).name, undefined);
      return typeof name === 'string' && name !== '' ? `[function ${name}]` : '[anonymous function]';
    }
    case 'object': return value === null ? 'null' : describeObject(value, depth);
    default: return String(value); // undefined, boolean, number
  }
}

function describeObject(value: object, depth: number): string {
  const proxy = isProxy(value);
  // instanceof asks a Proxy's getPrototypeOf trap, which may throw: then it is not an Error here.
  if (isNativeError(value) || attempt(() => value instanceof Error, false)) return describeError(value as Error, depth);
  if (depth >= MAX_DEPTH) return `[${kindOf(value, proxy)}]`;
  const json = attemptOr(() => JSON.stringify(value) as string | undefined);
  if (json.ok && typeof json.value === 'string') return json.value;
  const why = json.ok ? '' : `: ${reason(json.thrown, depth)}`;
  return `[${kindOf(value, proxy)}, not serialisable${why}]`;
}

function describeError(error: Error, depth: number): string {
  const name = attempt(() => error.name, 'Error');
  const label = typeof name === 'string' && name !== '' ? name : 'Error';
  const message = attemptOr(() => error.message as unknown);
  if (depth >= MAX_DEPTH) return message.ok && typeof message.value === 'string' ? message.value || label : `[${label}]`;
  if (!message.ok) return `[${label}, message unreadable: ${reason(message.thrown, depth)}]`;
  const text = typeof message.value === 'string' ? message.value : describe(message.value, depth + 1);
  const head = text !== '' ? text : label;
  // An AggregateError's `errors` may be anything, even an array Proxy: read it all in the guard.
  const inner = attempt(() => {
    if (!(error instanceof AggregateError) || !Array.isArray(error.errors)) return null;
    const all = error.errors as unknown[];
    const listed = all.slice(0, MAX_LISTED_ERRORS).map((e) => describe(e, depth + 1));
    if (all.length > MAX_LISTED_ERRORS) listed.push('…');
    return `${all.length} error${all.length === 1 ? '' : 's'}: ${listed.join('; ')}`;
  }, null);
  return inner === null ? head : `${head} (${inner})`;
}

/** What reading a value threw, as a short line. */
function reason(thrown: unknown, depth: number): string {
  const text = describe(thrown, depth + 1);
  const firstLine = text.split('\n', 1)[0];
  return cut(firstLine, MAX_REASON_LENGTH);
}

/** `Proxy`, `object with no prototype`, `array`, `object`, or `Foo object` for an instance of class Foo. */
function kindOf(value: object, proxy: boolean): string {
  if (proxy) return 'Proxy';
  const proto = attempt(() => Object.getPrototypeOf(value) as object | null, undefined);
  if (proto === null) return 'object with no prototype';
  if (Array.isArray(value)) return 'array';
  const ctor = attempt(() => (proto as { constructor?: { name?: unknown } } | undefined)?.constructor?.name, undefined);
  return typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? `${ctor} object` : 'object';
}
