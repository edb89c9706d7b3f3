/**
 * Values a handler may throw (or reject with) that are not well-behaved Errors, each with the task
 * error message the engine records for it (`errorMessage`, plugin/src/errors.ts; docs/job-lifecycle.md
 * "What a handler may throw"). Shared by the in-process engine tests and the child process that
 * runs them under `--unhandled-rejections=strict` (thrown-values-child.ts).
 */

/** One nasty value: `make` builds a fresh one for each throw. */
export interface ThrownValue {
  name: string;
  make(): unknown;
  message: string;
}

/** Longest message kept (plugin/src/errors.ts MAX_ERROR_MESSAGE_LENGTH). */
const MAX = 10_000;

/** A Proxy whose every trap throws `thrown(trap)`: even its prototype cannot be read. */
function hostileProxy(thrown: (trap: string) => unknown): object {
  const handler = new Proxy({}, { get: (_target, trap) => () => { throw thrown(String(trap)); } });
  return new Proxy({}, handler);
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function cyclicWithoutPrototype(): object {
  const o = Object.create(null) as Record<string, unknown>;
  o.self = o;
  return o;
}

function cyclic(): object {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function unreadableMessage(): Error {
  const error = new Error('hidden');
  Object.defineProperty(error, 'message', { get() { throw new Error('no message for you'); } });
  return error;
}

function selfThrowingMessage(): Error {
  const error = new Error('hidden');
  Object.defineProperty(error, 'message', { get() { throw error; } });
  return error;
}

function selfThrowingProxy(): object {
  const proxy: object = hostileProxy(() => proxy);
  return proxy;
}

class UnnamedError extends Error {
  override get name(): string { throw new Error('no name for you'); }
}

function namedFunction() { return 1; }

export const THROWN_VALUES: ThrownValue[] = [
  { name: 'null', make: () => null, message: 'null' },
  { name: 'undefined', make: () => undefined, message: 'undefined' },
  { name: 'false', make: () => false, message: 'false' },
  { name: '0', make: () => 0, message: '0' },
  { name: 'NaN', make: () => NaN, message: 'NaN' },
  { name: 'empty string', make: () => '', message: '[empty string]' },
  { name: 'a string', make: () => 'plain words', message: 'plain words' },
  { name: 'a huge string', make: () => 'x'.repeat(50_000), message: `${'x'.repeat(MAX)}… [cut: 50000 characters in all]` },
  { name: 'a BigInt', make: () => 10n, message: '10n' },
  { name: 'a Symbol', make: () => Symbol('boom'), message: 'Symbol(boom)' },
  { name: 'a named function', make: () => namedFunction, message: '[function namedFunction]' },
  { name: 'an anonymous function', make: () => (() => () => 1)(), message: '[anonymous function]' },
  { name: 'a plain object', make: () => ({ code: 42 }), message: '{"code":42}' },
  { name: 'an array', make: () => [1, 'two'], message: '[1,"two"]' },
  { name: 'a cyclic object with no prototype (issue 17)', make: cyclicWithoutPrototype, message: '[object with no prototype, not serialisable: Converting circular structure to JSON]' },
  { name: 'a cyclic object', make: cyclic, message: '[object, not serialisable: Converting circular structure to JSON]' },
  { name: 'an object whose toJSON throws', make: () => ({ toJSON() { throw new Error('no JSON here'); } }), message: '[object, not serialisable: no JSON here]' },
  { name: 'an object whose toString throws', make: () => ({ a: 1, toString() { throw new Error('no text'); } }), message: '{"a":1}' },
  { name: 'a Proxy whose every trap throws', make: () => hostileProxy((trap) => new Error(`trap ${trap}`)), message: '[Proxy, not serialisable: trap get]' },
  { name: 'a Proxy whose traps throw Proxies', make: () => hostileProxy(() => hostileProxy(() => null)), message: '[Proxy, not serialisable: [Proxy, not serialisable: null]]' },
  { name: 'a Proxy whose traps throw the Proxy itself', make: selfThrowingProxy, message: '[Proxy, not serialisable: [Proxy, not serialisable: [Proxy]]]' },
  { name: 'a revoked Proxy', make: revokedProxy, message: "[Proxy, not serialisable: Cannot perform 'get' on a proxy that has been revoked]" },
  { name: 'an Error whose message getter throws', make: unreadableMessage, message: '[Error, message unreadable: no message for you]' },
  { name: 'an Error whose message getter throws the Error', make: selfThrowingMessage, message: '[Error, message unreadable: [Error, message unreadable: [Error]]]' },
  { name: 'an Error subclass whose name getter throws', make: () => new UnnamedError('named nothing'), message: 'named nothing' },
  { name: 'an Error subclass with no message whose name getter throws', make: () => new UnnamedError(), message: 'Error' },
  { name: 'an Error with no message', make: () => new TypeError(), message: 'TypeError' },
  { name: 'an Error with a huge message', make: () => new Error('y'.repeat(20_000)), message: `${'y'.repeat(MAX)}… [cut: 20000 characters in all]` },
  { name: 'an AggregateError', make: () => new AggregateError([new Error('first'), 'second', null], 'all failed'), message: 'all failed (3 errors: first; second; null)' },
];

/** How a handler hands the value back. */
export const THROW_MODES = {
  'throw in an async handler': (value: unknown) => async () => { throw value; },
  'Promise.reject from a plain handler': (value: unknown) => () => Promise.reject(value),
  'throw in a plain handler': (value: unknown) => () => { throw value; },
} as const;

export type ThrowMode = keyof typeof THROW_MODES;

/** One task per value and mode, in this order (`thrownValueCase` maps a task index back). */
export function thrownValueTasks(): { state: { value: string; mode: ThrowMode } }[] {
  return THROWN_VALUES.flatMap((v) => MODES.map((mode) => ({ state: { value: v.name, mode } })));
}

const MODES = Object.keys(THROW_MODES) as ThrowMode[];

/** The value and mode of task `taskIndex` of `thrownValueTasks()`. */
export function thrownValueCase(taskIndex: number): { value: ThrownValue; mode: ThrowMode } {
  return { value: THROWN_VALUES[Math.floor(taskIndex / MODES.length)], mode: MODES[taskIndex % MODES.length] };
}

/**
 * The handler for those tasks: throws (or rejects with) the task's value the task's way. It reads
 * only `taskIndex`, so the plain modes really throw or reject before any await.
 */
export function throwingHandler({ taskIndex }: { taskIndex: number }): Promise<void> | void {
  const { value, mode } = thrownValueCase(taskIndex);
  return THROW_MODES[mode](value.make())();
}
