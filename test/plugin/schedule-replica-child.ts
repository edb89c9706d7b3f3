/**
 * One app replica with a recurring schedule, for schedule-replicas.test.ts: the seed's jobs
 * resource and the plugin on the test host, on the database at SCHEDULE_DB_URL (shared by every
 * replica), with the schedule `every-second` (`* * * * * *`, overlap 'allow', catchUp 'all') whose
 * jobs have one task of the no-op handler `tick_work`. Env: SCHEDULE_DB_URL, SCHEDULE_LEASE_MS
 * (the plugin's leaseMs: how long a dead replica's claim of a tick lives; default 2000).
 * Prints `ready <pid> <engine owner prefix>`; SIGTERM → graceful stop, exit 0.
 */
import AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { hostname } from 'node:os';
import { seedJobsResource } from '../helpers/jobs-resource.js';

const url = process.env.SCHEDULE_DB_URL!;
const leaseMs = Number(process.env.SCHEDULE_LEASE_MS ?? 2000);
process.env.ADMINFORTH_SECRET ??= 'schedule-replica-secret';

const jobs = seedJobsResource({ leaseMs, pollMs: 100, progressIntervalMs: 100 });
const admin = new AdminForth({ baseUrl: '', dataSources: [{ id: 'maindb', url }], resources: [jobs] });
const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');

plugin.registerTaskHandler({ jobHandlerName: 'tick_work', parallelLimit: 1, handler: async () => {} });
plugin.registerSchedule({
  name: 'every-second', cron: '* * * * * *', overlap: 'allow', catchUp: 'all',
  jobHandlerName: 'tick_work', tasks: () => [{ state: {} }],
});

await admin.discoverDatabases();
await plugin.whenReady();
const keepAlive = setInterval(() => {}, 1 << 30);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  void plugin.stop({ graceMs: 5000 }).then(() => admin.shutdown()).then(
    () => process.exit(0),
    (error) => { console.error('schedule replica: shutdown failed', error); process.exit(1); },
  );
});
// The engine's owner id starts with host:pid: the ticks a replica claimed carry it.
process.stdout.write(`ready ${process.pid} ${hostname()}:${process.pid}:\n`);
