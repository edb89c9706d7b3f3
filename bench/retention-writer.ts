/**
 * The concurrent writer of the `retention` workload (bench/retention.ts), a process of its own so
 * that on SQLite it waits for the database's write lock as another process would (better-sqlite3
 * is synchronous: in the pass's process it could only write between two of its transactions).
 *
 *   node --import tsx bench/retention-writer.ts <sqlite|postgres|mysql> <dbUrl> <jobKey> <firstIdx>
 *
 * One small write transaction after another, 2 ms apart: a task row added to the running job
 * `jobKey` (at `firstIdx`, then on) and its job row's total updated, as `addNewTasksToExistingJob`
 * does. Each write's wall time is a latency. It prints `ready` after its first write; the line
 * `mark` on stdin starts the pass's window (the writes before are the baseline), `stop` ends it:
 * then it prints one JSON line (a {@link WriterResult}) and exits.
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { summarize, type WriterResult } from './retention.js';

const [kind, url, jobKeyArg, firstIdxArg] = process.argv.slice(2);
const jobKey = Number(jobKeyArg);
let next = Number(firstIdxArg);
const firstIdx = next;

const INSERT = "INSERT INTO af_bj_tasks (job_key, idx, status, state) VALUES (?, ?, 'SCHEDULED', '{}')";
const UPDATE = 'UPDATE af_bj_jobs SET total = total + 1 WHERE job_key = ?';

async function writer(): Promise<{ write: (idx: number) => Promise<void>; close: () => Promise<void> }> {
  switch (kind) {
    case 'sqlite': {
      // better-sqlite3's default busy timeout (5 s), as the plugin's connection: a write that finds
      // the lock taken retries on SQLite's own backoff (1, 2, 5, 10, 15, 20, 25 ... ms). No
      // automatic WAL checkpoint here: the commit that crosses 1,000 WAL pages runs one (after it
      // released the lock, with an fsync), and the pass writes most of those pages; left on, the
      // writer's latency would show the pass's checkpoints instead of its waits for the lock.
      const db = new Database(url.slice('sqlite://'.length));
      db.pragma('wal_autocheckpoint = 0');
      const insert = db.prepare(INSERT);
      const update = db.prepare(UPDATE);
      const tx = db.transaction((idx: number) => { insert.run(jobKey, idx); update.run(jobKey); });
      return { write: async (idx) => { tx.immediate(idx); }, close: async () => { db.close(); } };
    }
    case 'postgres': {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        write: async (idx) => {
          await client.query('BEGIN');
          await client.query(INSERT.replace('?, ?', '$1, $2'), [jobKey, idx]);
          await client.query(UPDATE.replace('?', '$1'), [jobKey]);
          await client.query('COMMIT');
        },
        close: () => client.end(),
      };
    }
    case 'mysql': {
      const conn = await mysql.createConnection({ uri: url });
      return {
        write: async (idx) => {
          await conn.query('START TRANSACTION');
          await conn.query(INSERT, [jobKey, idx]);
          await conn.query(UPDATE, [jobKey]);
          await conn.query('COMMIT');
        },
        close: () => conn.end(),
      };
    }
    default: throw new Error(`unknown database kind ${kind}`);
  }
}

const { write, close } = await writer();
const baseline: number[] = [];
const duringPass: number[] = [];
let inPass = false;
let stopping = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'mark') inPass = true;
  if (line === 'stop') stopping = true;
});
let first = true;
while (!stopping) {
  const sample = inPass ? duringPass : baseline;
  const start = performance.now();
  await write(next++);
  sample.push(performance.now() - start);
  if (first) process.stdout.write('ready\n');
  first = false;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await close();
const result: WriterResult = { baseline: summarize(baseline), duringPass: summarize(duringPass), inserted: next - firstIdx };
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
