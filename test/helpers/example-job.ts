/**
 * The check a scaffolded app passes once it runs in its own process (`init`'s example): log in as
 * the seeded `adminforth` user, start the example job through the generated route
 * `POST /api/create-job/`, and wait until its row in the SQLite file says DONE. Used by the CLI's
 * end-to-end test (sources, under tsx) and the packaging test (packed tarballs, plain node).
 */
import Database from 'better-sqlite3';
import type { ResultPromise } from 'execa';
import { until, untilValue, type WaitOptions } from './wait.js';

/** How to wait on an app in its own process: up to a minute, and not at all once it has exited. */
export function appWait(app?: ResultPromise, timeoutMs = 60_000): WaitOptions {
  return { timeoutMs, intervalMs: 100, giveUpIf: () => app !== undefined && app.exitCode !== null && `the app exited with code ${app.exitCode}` };
}

/**
 * `untilValue` with `appWait`, for a value that may be falsy: retries `attempt` until it returns
 * anything but `undefined`. Kept for test/real-adminforth; elsewhere call `until(what, check, appWait(app))`.
 */
export async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, app?: ResultPromise, timeoutMs = 60_000): Promise<T> {
  return await untilValue(what, attempt, (value) => value !== undefined, appWait(app, timeoutMs)) as T;
}

/** Starts the example job on the app at `base` and resolves to its row once it is DONE. */
export async function runExampleJob(base: string, dbFile: string, app: ResultPromise): Promise<Record<string, unknown>> {
  // The app seeds adminforth/adminforth after discovery; log in once it has.
  const cookie = await until('login', async () => {
    const response = await fetch(`${base}/adminapi/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }),
    });
    if (response.status !== 200) return undefined;
    return response.headers.getSetCookie()[0]!.split(';')[0]!;
  }, appWait(app));

  const response = await fetch(`${base}/api/create-job/`, { method: 'POST', headers: { 'content-type': 'application/json', cookie } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /api/create-job/ answered ${response.status}: ${text}`);
  const body = JSON.parse(text) as { ok: boolean; jobId: string };
  if (!body.ok || !body.jobId) throw new Error(`POST /api/create-job/ answered ${text}`);

  const reader = new Database(dbFile, { readonly: true });
  try {
    return await until('job DONE', async () => {
      const job = reader.prepare('SELECT * FROM jobs WHERE id = ?').get(body.jobId) as Record<string, unknown> | undefined;
      return job?.status === 'DONE' ? job : undefined;
    }, appWait(app));
  } finally {
    reader.close();
  }
}
