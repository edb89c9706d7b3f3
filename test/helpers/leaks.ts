/**
 * Vitest setup file (registered in vitest.config.ts `setupFiles`): a test file fails when it
 * leaves something running (style.md "A test that leaves an engine or server running fails"):
 * - an app from `startApp()` that was not closed,
 * - an `AdminForth` instance still registered in `global.adminforth` (not shut down),
 * - more TCP servers or sockets than the file started with, once they had time to settle.
 *
 * Whatever it finds is closed before failing, so one leaky file does not break the next.
 * The registry of open apps lives on `globalThis` (key below) so this file needs no imports from
 * the app helper and stays cheap for files that never start an app (it imports only wait.ts).
 */
import { afterAll } from 'vitest';
import { until } from './wait.js';

/** One app started by `startApp()` and not closed yet. */
export interface TrackedApp {
  /** Where it was started: test name and the stack of the `startApp` call. */
  label: string;
  close(): Promise<void>;
}

const REGISTRY_KEY = Symbol.for('af-jobs.test.openApps');
type Registry = Set<TrackedApp>;

/** The process-wide set of open apps (created on first use). */
export function openApps(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY_KEY] ??= new Set());
}

const TCP_KINDS = ['TCPServerWrap', 'TCPSocketWrap'] as const;
type TcpCounts = Record<(typeof TCP_KINDS)[number], number>;

function tcpCounts(): TcpCounts {
  const counts: TcpCounts = { TCPServerWrap: 0, TCPSocketWrap: 0 };
  for (const name of process.getActiveResourcesInfo()) {
    if (name in counts) counts[name as keyof TcpCounts]++;
  }
  return counts;
}

function exceeds(now: TcpCounts, baseline: TcpCounts): boolean {
  return TCP_KINDS.some((kind) => now[kind] > baseline[kind]);
}

/**
 * Closing a server or a pool is asynchronous on both ends (client keep-alive sockets see the FIN
 * a tick later, database drivers finish their goodbye), so the check polls instead of looking once.
 */
const SETTLE_MS = 5_000;
const POLL_MS = 50;

const baseline = tcpCounts();

afterAll(async () => {
  const problems: string[] = [];

  const apps = [...openApps()];
  if (apps.length > 0) {
    problems.push(
      `${apps.length} app(s) from startApp() were not closed (call \`await app.close()\` in afterAll/afterEach):\n` +
      apps.map((app) => `  - ${app.label}`).join('\n'),
    );
    await Promise.allSettled(apps.map((app) => app.close()));
    openApps().clear();
  }

  const admin = (globalThis as { adminforth?: { shutdown?: () => Promise<void> } }).adminforth;
  if (admin) {
    problems.push('an AdminForth instance is still running (global.adminforth is set): call `await admin.shutdown()`');
    await Promise.resolve(admin.shutdown?.()).catch(() => {});
  }

  // wait.ts times with the real clock, so a test's fake timers do not stall this.
  await until('TCP handles back to the count at file start', () => !exceeds(tcpCounts(), baseline), { timeoutMs: SETTLE_MS, intervalMs: POLL_MS })
    .catch(() => {});
  const now = tcpCounts();
  if (exceeds(now, baseline)) {
    problems.push(
      `open TCP handles after ${SETTLE_MS} ms: ${JSON.stringify(now)}, at file start ${JSON.stringify(baseline)} ` +
      '(a server, websocket or database connection was left open)',
    );
  }

  if (problems.length > 0) throw new Error(`Leak check failed:\n${problems.join('\n')}`);
}, SETTLE_MS + 30_000);
