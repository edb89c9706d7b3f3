/**
 * The pass of the `retention` workload (bench/retention.ts), a process of its own:
 *
 *   node --import tsx bench/retention-pass.ts <sqlite|postgres|mysql> <jobs> <tasksPerJob>
 *
 * 1. A fresh database with the plugin's tables (the store's migrations), then, in this order: a
 *    running job (IN_PROGRESS, 1,000 scheduled tasks), `jobs` jobs DONE 31 days ago with
 *    `tasksPerJob` DONE tasks each, and a recent one (DONE a day ago, 1,000 tasks). The task rows
 *    are written by one INSERT ... SELECT per job. The running job's `finished_at` is also set 31
 *    days back: only its status keeps the pass away from it. Then the statistics are brought up to
 *    date as autovacuum / InnoDB would have (PostgreSQL: VACUUM ANALYZE, CHECKPOINT; MySQL:
 *    ANALYZE TABLE; SQLite as an app leaves it: no ANALYZE).
 * 2. The writer (bench/retention-writer.ts) starts on its own connection; 1 s of baseline.
 * 3. One retention pass (engine/retention.ts `retentionPass`, default `taskRetentionMs`, its chunks
 *    and rests) through the store, every transaction of it timed on the driver
 *    (bench/transaction-timer.ts). The first chunk's statements on af_bj_tasks are EXPLAINed, as
 *    sent, on another connection while the pass goes on.
 * 4. The writer stops; the rows left are checked: none of the old jobs, all of the running
 *    (with the writer's) and the recent job. Prints one JSON line (a {@link RetentionResult}).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freshDatabase, type DbKind, type FreshDatabase } from '../test/helpers/databases.js';
import { makeJob, tasksOf } from '../test/plugin/store-helpers.js';
import type { JobStore } from '../plugin/src/store/job-store.js';
import { SqliteJobStore } from '../plugin/src/store/sqlite-store.js';
import { PostgresJobStore } from '../plugin/src/store/postgres-store.js';
import { MysqlJobStore } from '../plugin/src/store/mysql-store.js';
import { PURGE_CHUNK, retentionPass } from '../plugin/src/engine/retention.js';
import { DEFAULT_TASK_RETENTION_MS } from '../plugin/src/engine/engine.js';
import { TransactionTimer, type CapturedStatement, type TimedTransaction } from './transaction-timer.js';
import { summarize, type RetentionResult, type WriterResult } from './retention.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400_000;
const SIDE_TASKS = 1000;
const kind = process.argv[2] as DbKind;
const jobs = Number(process.argv[3] ?? 10);
const tasksPerJob = Number(process.argv[4] ?? 100_000);

interface Opened {
  store: JobStore;
  /** Raw SQL, no parameters, on the store's handle. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /**
   * EXPLAIN of a statement as the store sent it, on another connection. `usesIndex`: af_bj_tasks is
   * read through its primary key, never scanned, and a DELETE's rows are looked up by job and
   * index (so a chunk reads its own rows, not the rest of its job).
   */
  explain(s: CapturedStatement): Promise<{ lines: string[]; usesIndex: boolean }>;
  close(): Promise<void>;
}

async function open(db: FreshDatabase, timer: TransactionTimer): Promise<Opened> {
  switch (db.kind) {
    case 'sqlite': {
      const file = db.url.slice('sqlite://'.length);
      const handle = new Database(file);
      timer.sqlite(handle);
      return {
        store: new SqliteJobStore(handle),
        rows: async (sql) => {
          const statement = handle.prepare(sql);
          if (statement.reader) return statement.all() as Record<string, unknown>[];
          statement.run();
          return [];
        },
        explain: async (s) => {
          const reader = new Database(file, { readonly: true });
          try {
            const plan = reader.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.params) as { detail: string }[];
            const lines = plan.map((p) => p.detail);
            const deleteByKey = !/^DELETE/i.test(s.sql) || lines.some((l) => /^SEARCH af_bj_tasks USING PRIMARY KEY \(job_key=\? AND idx/.test(l));
            return { lines, usesIndex: deleteByKey && !lines.some((l) => /^SCAN af_bj_tasks\b/.test(l)) };
          } finally {
            reader.close();
          }
        },
        close: async () => { handle.close(); },
      };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: db.url });
      pool.on('error', () => {});
      timer.postgres(pool);
      return {
        store: new PostgresJobStore(pool),
        rows: async (sql) => (await pool.query(sql)).rows,
        explain: async (s) => {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          try {
            const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${s.sql}`, s.params);
            const lines = rows.map((r) => r['QUERY PLAN']);
            const deleteByKey = !/^DELETE/i.test(s.sql) || lines.some((l) => /Index Cond: \(\(job_key = .*\bidx\b/.test(l));
            return { lines, usesIndex: deleteByKey && !lines.some((l) => /Seq Scan on af_bj_tasks/.test(l)) };
          } finally {
            await client.end();
          }
        },
        close: () => pool.end(),
      };
    }
    case 'mysql': {
      const pool = mysql.createPool({ uri: db.url, timezone: 'Z' });
      timer.mysql(pool);
      return {
        store: new MysqlJobStore(pool),
        rows: async (sql) => (await pool.query<mysql.RowDataPacket[]>(sql))[0],
        explain: async (s) => {
          const conn = await mysql.createConnection({ uri: db.url });
          try {
            const [rows] = await conn.query<mysql.RowDataPacket[]>(`EXPLAIN ${s.sql}`, s.params);
            const lines = rows.map((r) => `table ${r.table}: type ${r.type}, key ${r.key}, rows ${r.rows}${r.Extra ? `, ${r.Extra}` : ''}`);
            return { lines, usesIndex: rows.every((r) => r.table !== 'af_bj_tasks' || (r.type !== 'ALL' && r.key !== null)) };
          } finally {
            await conn.end();
          }
        },
        close: () => pool.end(),
      };
    }
  }
}

/** One INSERT ... SELECT of `n` DONE task rows of `jobKey` (indexes 0..n-1, a small JSON state each). */
function fillSql(jobKey: number, n: number): string {
  const columns = 'INSERT INTO af_bj_tasks (job_key, idx, status, state, attempt)';
  switch (kind) {
    case 'sqlite':
      return `${columns} WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1})
        SELECT ${jobKey}, i, 'DONE', '{"i":' || i || ',"email":"user' || i || '@example.com"}', 1 FROM s`;
    case 'postgres':
      return `${columns} SELECT ${jobKey}, i, 'DONE', '{"i":' || i || ',"email":"user' || i || '@example.com"}', 1 FROM generate_series(0, ${n - 1}) AS s(i)`;
    case 'mysql': {
      // Digits cross-joined (MySQL 8 caps recursive CTEs at 1,000 rows by default).
      const places = Math.max(1, Math.ceil(Math.log10(n)));
      const digits = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
      const from = Array.from({ length: places }, (_, p) => `${digits} AS d${p}`).join(' CROSS JOIN ');
      const i = Array.from({ length: places }, (_, p) => `d${p}.d * ${10 ** p}`).join(' + ');
      return `${columns} SELECT ${jobKey}, s.i, 'DONE', CONCAT('{"i":', s.i, ',"email":"user', s.i, '@example.com"}'), 1
        FROM (SELECT ${i} AS i FROM ${from}) AS s WHERE s.i < ${n}`;
    }
  }
}

/** The writer process; `ready` once it has written once. */
function startWriter(url: string, jobKey: number, firstIdx: number): { ready: Promise<void>; mark: () => void; stop: () => Promise<WriterResult>; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/retention-writer.ts', kind, url, String(jobKey), String(firstIdx)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let result: WriterResult | null = null;
  const exited = new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the writer exited ${code}`)))));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('{')) result = JSON.parse(line) as WriterResult;
    });
    exited.then(() => reject(new Error('the writer ended before writing')), reject);
  });
  return {
    ready,
    mark: () => { child.stdin.write('mark\n'); },
    stop: async () => {
      child.stdin.write('stop\n');
      await exited;
      if (!result) throw new Error('the writer printed no result');
      return result;
    },
    kill: () => { if (child.exitCode === null) child.kill(); },
  };
}

const db = await freshDatabase(kind);
const timer = new TransactionTimer();
const opened = await open(db, timer);
const { store, rows } = opened;
let writer: ReturnType<typeof startWriter> | null = null;
try {
  await store.migrate();
  const now = Date.now();
  const t0 = performance.now();
  const newJob = (name: string) => store.createDraft({ handler: 'bench', name, startedBy: '1', state: {}, owner: 'bench', now: now - 40 * DAY });
  const running = await makeJob(store, tasksOf(SIDE_TASKS), { handler: 'bench', jobId: 'running', now: now - 40 * DAY });
  const old: number[] = [];
  for (let j = 0; j < jobs; j++) old.push(await newJob(`old ${j}`));
  const recent = await newJob('recent');
  for (const jobKey of [...old, recent]) {
    const n = jobKey === recent ? SIDE_TASKS : tasksPerJob;
    await rows(fillSql(jobKey, n));
    const finishedAt = jobKey === recent ? now - DAY : now - 31 * DAY;
    await rows(`UPDATE af_bj_jobs SET status = 'DONE', job_id = 'job-${jobKey}', total = ${n}, done = ${n}, finished_at = ${finishedAt} WHERE job_key = ${jobKey}`);
  }
  await rows(`UPDATE af_bj_jobs SET finished_at = ${now - 31 * DAY} WHERE job_key = ${running}`);
  if (kind === 'postgres') {
    for (const sql of ['VACUUM ANALYZE af_bj_tasks', 'VACUUM ANALYZE af_bj_jobs', 'CHECKPOINT']) await rows(sql).catch(() => {});
  } else if (kind === 'mysql') {
    await rows('ANALYZE TABLE af_bj_tasks, af_bj_jobs');
  } else {
    await rows('PRAGMA wal_checkpoint(TRUNCATE)');
  }
  const fillSec = Number(((performance.now() - t0) / 1000).toFixed(1));
  const tableRows = Number((await rows('SELECT COUNT(*) AS n FROM af_bj_tasks'))[0].n);

  writer = startWriter(db.url, running, SIDE_TASKS);
  await writer.ready;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  writer.mark();

  timer.reset();
  // EXPLAINed while the pass goes on: the table as the next chunks find it.
  const plan = timer.whenDelete().then(async (statements) => {
    const explained = await Promise.all(statements.map(async (st) => ({ sql: st.sql.replace(/\s+/g, ' '), ...(await opened.explain(st)) })));
    return { statements: explained.map(({ sql, lines }) => ({ sql, lines })), usesIndex: explained.every((e) => e.usesIndex) };
  });
  const load0 = loadavg()[0];
  const p0 = performance.now();
  const report = await retentionPass({
    store, owner: 'bench', leaseMs: 30_000, log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    taskRetentionMs: DEFAULT_TASK_RETENTION_MS, jobRetentionMs: false,
    deleteJob: async () => { throw new Error('jobRetentionMs is off: no job is deleted'); },
    running: () => true,
  });
  const passSec = (performance.now() - p0) / 1000;
  const load1 = loadavg()[0];
  const writerResult = await writer.stop();

  const left = new Map((await rows('SELECT job_key, COUNT(*) AS n FROM af_bj_tasks GROUP BY job_key')).map((r) => [Number(r.job_key), Number(r.n)]));
  const expected = new Map([[running, SIDE_TASKS + writerResult.inserted], [recent, SIDE_TASKS]]);
  const wrong = [...new Set([...left.keys(), ...expected.keys()])].filter((k) => left.get(k) !== expected.get(k));
  if (report.tasks !== jobs * tasksPerJob || report.purgedJobs !== jobs || wrong.length > 0) {
    throw new Error(`retention deleted the wrong rows: report ${JSON.stringify(report)}, left ${JSON.stringify([...left])}, expected ${JSON.stringify([...expected])}`);
  }

  // Chunk times by their place in their job: the first and the last tenth of each job's delete transactions.
  const deletes = timer.transactions.filter((t) => t.deletedFrom !== null);
  const byJob = new Map<number, TimedTransaction[]>();
  for (const t of deletes) {
    const list = byJob.get(t.deletedFrom!) ?? [];
    list.push(t);
    byJob.set(t.deletedFrom!, list);
  }
  const tenths = (last: boolean) => [...byJob.values()].flatMap((txs) => {
    const tenth = Math.max(1, Math.floor(txs.length / 10));
    return (last ? txs.slice(-tenth) : txs.slice(0, tenth)).map((t) => t.ms);
  });
  const result: RetentionResult = {
    kind, tableRows, deleted: report.tasks, jobs, chunk: PURGE_CHUNK[kind], fillSec,
    passSec: Number(passSec.toFixed(2)), rowsPerSec: Math.round(report.tasks / passSec),
    transactions: {
      deletes: summarize(deletes.map((t) => t.ms)), all: summarize(timer.transactions.map((t) => t.ms)),
      over100ms: timer.transactions.filter((t) => t.ms > 100).length,
    },
    slowest: [...timer.transactions].sort((a, b) => b.ms - a.ms).slice(0, 3).map((t) => ({ ms: Number(t.ms.toFixed(1)), steps: t.steps ?? [] })),
    chunkMsByPosition: { firstTenthMedian: summarize(tenths(false)).p50, lastTenthMedian: summarize(tenths(true)).p50 },
    writer: writerResult,
    plan: await plan,
    loadAverage: [load0, load1],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  writer?.kill();
  await opened.close();
  await db.drop();
}
