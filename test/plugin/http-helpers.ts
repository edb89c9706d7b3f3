/**
 * Helpers for the HTTP API tests: plain `fetch` calls to the running app, gated handlers that
 * finish when the test says so, and a websocket subscription check that needs no sleep.
Waiting: test/helpers/wait.ts.
 */
import { randomUUID } from 'node:crypto';
import { startJobsApp, type JobsApp } from './fixtures.js';
import type { DbKind } from '../helpers/databases.js';
import type { TestSocket } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: any;
}

/** `Cookie` header (from `app.login`) or a personal token. */
export type Credentials = { cookie: string } | { token: string } | null;

export function headersFor(credentials: Credentials): Record<string, string> {
  if (!credentials) return {};
  return 'cookie' in credentials ? { cookie: credentials.cookie } : { authorization: `Bearer ${credentials.token}` };
}

/** POSTs JSON (or `raw` text) to `<apiUrl><path>`. */
export async function post(app: JobsApp, path: string, body: unknown, credentials: Credentials, init: { raw?: string; contentType?: string } = {}): Promise<HttpAnswer> {
  const response = await fetch(`${app.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json', ...headersFor(credentials) },
    body: init.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json };
}

/** Calls `/plugin/<instanceId>/<action>` of the app's plugin. */
export function pluginCall(app: JobsApp, credentials: Credentials) {
  return (action: string, body: unknown = {}) => post(app, `/plugin/${app.plugin.pluginInstanceId}/${action}`, body, credentials);
}

/** A handler whose tasks wait until `open()` (or their job is cancelled). */
export class Gate {
  private opened = false;
  private readonly waiting = new Set<() => void>();

  wait(signal: AbortSignal): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done);
        resolve();
      };
      this.waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  open(): void {
    this.opened = true;
    for (const done of [...this.waiting]) done();
  }
}

/**
 * Waits until `socket` really receives `topic`: AdminForth sends no subscribe acknowledgement and
 * checks topic auth asynchronously (contract §4), so the test publishes probes until one arrives.
 * Every probe (this call's, and an earlier call's for another socket on the topic) is taken out of
 * `socket.frames` again (a ping is answered after every copy already sent), so a test can still
 * assert on everything else the socket received.
 */
export async function confirmSubscribed(app: JobsApp, socket: TestSocket, topic: string): Promise<void> {
  const marker = randomUUID();
  await until(`the socket to receive ${topic}`, async () => {
    await app.admin.websocket.publish(topic, { probe: marker });
    return socket.next((f) => f.includes(marker), 100).then(() => true, () => false);
  }, { timeoutMs: 10_000, intervalMs: 0 });
  socket.send('ping');
  await socket.next((f) => f === 'pong');
  socket.frames.splice(0, socket.frames.length, ...socket.frames.filter((f) => !f.includes('"data":{"probe":')));
}

/** Removes probe frames so assertions see only the plugin's messages. */
export function realMessages(socket: TestSocket): any[] {
  return socket.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'message' && !m.data?.probe);
}

/** How these tests poll the app (in hooks too, where `expect.poll` does not belong). */
export const APP_WAIT = { timeoutMs: 20_000, intervalMs: 20 };

/** Opens `gates` and waits until no job of the app runs, so closing the app interrupts nothing. */
export async function settle(app: JobsApp, gates: Iterable<Gate>): Promise<void> {
  for (const gate of gates) gate.open();
  const engine = await app.plugin.engineReady();
  await until('running jobs to finish', async () => (await engine.store.listRunnableJobs()).length === 0, APP_WAIT);
}

/** The HTTP tests' app on `kind`, its two seeded users logged in (cookies) and their primary keys. */
export async function startAppWithUsers(kind: DbKind): Promise<{ app: JobsApp; admin: Credentials; viewer: Credentials; adminPk: string; viewerPk: string }> {
  const app = await startJobsApp({ kind });
  return {
    app,
    admin: { cookie: await app.login('adminforth', 'adminforth') },
    viewer: { cookie: await app.login('viewer', 'viewer') },
    adminPk: await app.userPk('adminforth'),
    viewerPk: await app.userPk('viewer'),
  };
}
