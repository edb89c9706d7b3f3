/**
 * The one way tests wait. A test waits for a situation it can observe, never for a time:
 *
 * - `until(what, check)`: polls `check` until it gives a truthy value, and resolves with it.
 * - `untilValue(what, read, accept)`: polls `read` until `accept(value)` holds; resolves with the value
 *   (the timeout message shows the last value read, e.g. a status).
 * - `untilStatus(what, read, statuses)`: a job's status, read from wherever the test reads it
 *   (an engine, the HTTP API, a row), until it is one of `statuses`.
 * - `quietFor(ms, what)`: the only fixed wait. For a test that checks that *nothing* happens during
 *   a time (no second call, no read, no message): `what` says what must not happen.
 *
 * In a test body, a value that must come to match an expectation is `expect.poll(read).toBe(...)`
 * (vitest's own, whose failure shows the matcher's diff); this module is for everything else:
 * hooks and helpers (where `expect.poll` does not belong), and waits whose value the test uses.
 *
 * Waits that are pushed rather than polled (a websocket frame: `TestSocket.next`; an engine event:
 * the fixtures' `waitFor`/`finished`) stay where they are: they resolve on the event itself.
 */

// Captured at load, before a test can install fake timers: a wait must not stall under them.
const realSetTimeout = globalThis.setTimeout;
const realNow = Date.now;

/** How long and how often to check. */
export interface WaitOptions {
  /** Gives up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 50 ms): never a busy loop. */
  intervalMs?: number;
  /**
   * Checked before each try: a reason (a string) ends the wait at once, e.g. the process whose
   * answer is awaited has exited. `false`/`undefined` keeps waiting.
   */
  giveUpIf?: () => string | false | null | undefined;
  /** More to say when the wait fails (the output so far, the task counts); appended to the error. */
  explain?: () => string | Promise<string>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_INTERVAL_MS = 50;

/** Resolves after `ms` of real time (fake timers do not delay it). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

function show(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    return String(value);
  }
}

/**
 * Polls `read` until `accept(value)` holds, and resolves with that value. A `read` that throws
 * counts as "not yet" (a server still starting, an assertion not yet true); the timeout error
 * names `what` and the last value or error seen (the error is also its `cause`).
 */
export async function untilValue<T>(
  what: string,
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = DEFAULT_INTERVAL_MS, giveUpIf, explain } = options;
  const deadline = realNow() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    const reason = giveUpIf?.();
    if (reason) throw await failure(`gave up waiting for ${what}: ${reason}`, last, explain);
    try {
      const value = await read();
      last = { value };
      if (accept(value)) return value;
    } catch (error) {
      last = { error };
    }
    if (realNow() > deadline) throw await failure(`timed out after ${timeoutMs} ms waiting for ${what}`, last, explain);
    await pause(intervalMs);
  }
}

async function failure(message: string, last: { value: unknown } | { error: unknown } | undefined, explain?: WaitOptions['explain']): Promise<Error> {
  const seen = last === undefined ? 'nothing yet'
    : 'error' in last ? `error: ${show(last.error)}`
      : show(last.value);
  let text = `${message} (last seen: ${seen})`;
  if (explain) text += `\n${await explain()}`;
  return new Error(text, last && 'error' in last ? { cause: last.error } : undefined);
}

/** Polls `check` until it returns a truthy value, and resolves with it (see `untilValue`). */
export async function until<T>(what: string, check: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  return await untilValue(what, check, (value) => Boolean(value), options) as NonNullable<T>;
}

/**
 * Reads a job (anything with a `status`) until its status is one of `statuses`; resolves with the
 * last read. The timeout message shows the job as last read.
 */
export async function untilStatus<J extends { status: string }>(
  what: string,
  read: () => J | Promise<J>,
  statuses: string | readonly string[],
  options: WaitOptions = {},
): Promise<J> {
  const wanted: readonly string[] = typeof statuses === 'string' ? [statuses] : statuses;
  return untilValue(`${what} to be ${wanted.join(' or ')}`, read, (job) => wanted.includes(job?.status), options);
}

/**
 * Lets `ms` pass while the test checks that nothing happens: `what` names what must not happen
 * ("no second hook call"). The only fixed wait a test body may use; the test's assertions after
 * it say what "nothing" means.
 */
export async function quietFor(ms: number, what: string): Promise<void> {
  await pause(ms);
}
