/**
 * Child process of engine-job-edits.test.ts, run as
 * `node --import tsx test/plugin/finish-hook-child.ts <sqlite file> <calls file>`: an engine on the
 * SQLite file starts a 3-task job whose handler has a beforeJobFinish that appends
 * `child <attempt> <succeeded>` to the calls file and then never returns — the test SIGKILLs this
 * process while it hangs there.
 */
import Database from 'better-sqlite3';
import { appendFileSync } from 'node:fs';
import { Engine } from '../../plugin/src/engine/engine.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';

const [file, calls] = process.argv.slice(2);
if (!file || !calls) throw new Error('usage: finish-hook-child.ts <sqlite file> <calls file>');

const store = new SqliteJobStore(new Database(file));
await store.migrate();
const engine = new Engine({ store, pollMs: 50, leaseMs: 60_000, log: (level, message) => console.error(`${level}: ${message}`) });
engine.register({
  jobHandlerName: 'hooked',
  handler: async () => {},
  beforeJobFinish: ({ finishAttemptNumber, succeededTasks }) => {
    appendFileSync(calls, `child ${finishAttemptNumber} ${succeededTasks}\n`);
    return new Promise<void>(() => {});
  },
});
await engine.start();
const jobId = await engine.createJob({
  name: 'hooked', handler: 'hooked', tasks: [{ state: {} }, { state: {} }, { state: {} }], startedBy: null,
  createRow: async () => ({ jobId: 'crash-job', createdAt: new Date().toISOString() }),
  deleteRow: async () => {},
});
console.log(`job ${jobId}`);
// The hook hangs, and the engine's timers are unref'd (they never hold an app open): without a
// handle of its own this process could exit by itself before the test's SIGKILL, as it did on a
// busy machine (the test then saw no signal).
setInterval(() => {}, 60_000);
