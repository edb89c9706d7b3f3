/**
 * One app replica as a child process, for multi-replica tests: the seed's jobs resource and the
 * plugin on the test host, on the database at REPLICA_DB_URL (shared by all replicas), with the
 * handler `replica_work` that records every start and end in the table `replica_runs` and keeps
 * a database-wide gauge of handlers running at once in `replica_gauge` (so the test counts
 * executions and concurrency in the database, across processes).
 *
 * Env: REPLICA_DB_URL, REPLICA_PARALLEL (4), REPLICA_TASK_MS (2), REPLICA_LEASE_MS (30000),
 * REPLICA_CREATE_TASKS (when set, this replica starts a job of that many tasks and prints its id;
 * with REPLICA_CREATE_ON_SIGNAL it waits for SIGUSR2 first), REPLICA_HTTP (when set: the app also has
 * the `adminuser` resource and auth, serves HTTP and the `/afws` websocket on a free port, prints
 * `http <port>`, and makes sure the user `adminforth`/`adminforth` (superadmin) exists — the test
 * creates the `adminuser` table), REPLICA_EVENT_POLL_MS (the plugin's eventPollMs), REPLICA_POLL_MS
 * (its pollMs, default 50), REPLICA_HEARTBEAT_MS (default leaseMs / 5), REPLICA_GATE_FILE and
 * REPLICA_GATE_FROM (tasks from that index on wait until the file exists).
 * Prints `ready <pid>` and `job <id>` lines; SIGTERM → graceful stop; SIGUSR1 → cancels the job it
 * created (prints `cancelled <id>`).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { seedJobsResource } from './jobs-resource.js';
import { adminUserResource } from './adminuser.js';
import { kindOfUrl, query } from './sql.js';

const url = process.env.REPLICA_DB_URL!;
const kind = kindOfUrl(url);
const parallelLimit = Number(process.env.REPLICA_PARALLEL ?? 4);
const taskMs = Number(process.env.REPLICA_TASK_MS ?? 2);
const leaseMs = Number(process.env.REPLICA_LEASE_MS ?? 30_000);
process.env.ADMINFORTH_SECRET ??= 'replica-secret';

const http = Boolean(process.env.REPLICA_HTTP);
const eventPollMs = process.env.REPLICA_EVENT_POLL_MS ? Number(process.env.REPLICA_EVENT_POLL_MS) : undefined;
const heartbeatMs = Number(process.env.REPLICA_HEARTBEAT_MS ?? Math.max(100, Math.floor(leaseMs / 5)));
const pollMs = Number(process.env.REPLICA_POLL_MS ?? 50);
// Tasks from REPLICA_GATE_FROM on wait until the file REPLICA_GATE_FILE exists: a test decides
// when they may finish, instead of hoping a replica is not done yet.
const gateFile = process.env.REPLICA_GATE_FILE;
const gateFrom = Number(process.env.REPLICA_GATE_FROM ?? Number.POSITIVE_INFINITY);
const jobs = seedJobsResource({ leaseMs, heartbeatMs, pollMs, progressIntervalMs: 100, eventPollMs });
const admin = new AdminForth({
  baseUrl: '',
  dataSources: [{ id: 'maindb', url }],
  ...(http ? { auth: { usersResourceId: 'adminuser', usernameField: 'email', passwordHashField: 'password_hash' } } : {}),
  resources: http ? [adminUserResource(), jobs] : [jobs],
});
if (http) admin.express.serve(express().use(express.json()));
const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
const q = (sql: string, params: unknown[] = []) => query(kind, admin.resource('jobs').dataConnector.client, sql, params);
const up = kind === 'mysql'
  // MySQL evaluates SET left to right with the new n; PostgreSQL and SQLite with the old one.
  ? 'UPDATE replica_gauge SET n = n + 1, max_n = GREATEST(max_n, n) WHERE id = 1'
  : `UPDATE replica_gauge SET n = n + 1, max_n = ${kind === 'sqlite' ? 'MAX' : 'GREATEST'}(max_n, n + 1) WHERE id = 1`;

plugin.registerTaskHandler({
  jobHandlerName: 'replica_work',
  parallelLimit,
  handler: async ({ jobId, taskIndex, signal }) => {
    await q(up);
    await q('INSERT INTO replica_runs (job_id, idx, pid, phase, at) VALUES (?, ?, ?, ?, ?)', [jobId, taskIndex, process.pid, 'start', Date.now()]);
    try {
      if (taskMs > 0) await sleep(taskMs, undefined, { signal });
      if (gateFile && taskIndex >= gateFrom) while (!existsSync(gateFile)) await sleep(20, undefined, { signal });
    } finally {
      await q('UPDATE replica_gauge SET n = n - 1 WHERE id = 1');
    }
    await q('INSERT INTO replica_runs (job_id, idx, pid, phase, at) VALUES (?, ?, ?, ?, ?)', [jobId, taskIndex, process.pid, 'end', Date.now()]);
  },
});

// Registered before discovery, as the docs say: unfinished jobs resume once the engine runs.
await admin.discoverDatabases();
await plugin.whenReady();
// A real app's HTTP server keeps its process alive; the engine's own timers do not (unref'd).
const keepAlive = setInterval(() => {}, 1 << 30);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  void plugin.stop({ graceMs: 5000 }).then(() => admin.shutdown()).then(
    () => process.exit(0),
    (error) => { console.error('replica: shutdown failed', error); process.exit(1); },
  );
});
if (http) {
  const users = admin.resource('adminuser');
  if (!(await users.get({ field: 'email', operator: 'eq', value: 'adminforth' } as any))) {
    await users.create({ email: 'adminforth', password_hash: await AdminForth.Utils.generatePasswordHash('adminforth'), role: 'superadmin' })
      .catch(() => { /* the other replica created it */ });
  }
  const server = admin.express.listen(0, '127.0.0.1');
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  process.stdout.write(`http ${(server.address() as AddressInfo).port}\n`);
}
process.stdout.write(`ready ${process.pid}\n`);
if (process.env.REPLICA_CREATE_ON_SIGNAL) await new Promise((resolve) => process.once('SIGUSR2', resolve));
if (process.env.REPLICA_CREATE_TASKS) {
  const total = Number(process.env.REPLICA_CREATE_TASKS);
  const jobId = await plugin.startNewJob('replicated', null, Array.from({ length: total }, (_, i) => ({ state: { i } })), 'replica_work');
  process.stdout.write(`job ${jobId}\n`);
  process.on('SIGUSR1', () => {
    void plugin.cancelJob(jobId).then(() => process.stdout.write(`cancelled ${jobId}\n`));
  });
}
