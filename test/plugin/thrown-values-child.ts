/**
 * Child process of engine-strict-rejections.test.ts, run as
 * `node --unhandled-rejections=strict --import tsx test/plugin/thrown-values-child.ts <sqlite file>`:
 * one job whose handlers throw every value of thrown-values.ts (twice each: maxAttempts 2) and
 * whose onAllTasksDone throws too, through the engine on a real SQLite file, then the same tasks
 * through `runHandler`. Any unhandled rejection ends this process with a non-zero code; a task
 * left IN_PROGRESS leaves the top-level await unsettled (exit code 13). Prints
 * `engine <jobId>` and `runHandler <json>` on success.
 */
import Database from 'better-sqlite3';
import { runHandler } from '@adminforth/background-jobs/testing';
import { Engine } from '../../plugin/src/engine/engine.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import { thrownValueTasks, throwingHandler } from './thrown-values.js';

const file = process.argv[2];
if (!file) throw new Error('usage: thrown-values-child.ts <sqlite file>');

const db = new Database(file);
const store = new SqliteJobStore(db);
await store.migrate();
let jobFinished!: () => void;
const finished = new Promise<void>((resolve) => { jobFinished = resolve; });
const engine = new Engine({
  store, pollMs: 50,
  log: (level, message) => console.error(`${level}: ${message.slice(0, 300)}`),
});
engine.events.on('job:finished', () => jobFinished());
const cyclic = Object.create(null) as Record<string, unknown>;
cyclic.self = cyclic;
engine.register({
  jobHandlerName: 'nasty', parallelLimit: 8, maxAttempts: 2, backoff: { baseMs: 1, jitter: 0 },
  handler: throwingHandler,
  onAllTasksDone: () => { throw cyclic; },
});
await engine.start();
const jobId = await engine.createJob({
  name: 'nasty', handler: 'nasty', tasks: thrownValueTasks(), startedBy: null,
  createRow: async () => ({ jobId: 'strict-job', createdAt: new Date().toISOString() }),
  deleteRow: async () => {},
});
await finished;
await engine.stop({ graceMs: 0 });
db.close();
console.log(`engine ${jobId}`);

const results = await runHandler({ parallelLimit: 8, handler: throwingHandler }, thrownValueTasks());
console.log(`runHandler ${JSON.stringify(results.map((r) => [r.status, r.attempt, r.error]))}`);
