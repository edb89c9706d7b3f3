/**
 * A JobStore of each kind over its own driver handle, as the AdminForth connectors hold them
 * (better-sqlite3 `Database`, `pg.Pool`, mysql2 pool with `timezone: 'Z'`), on a FreshDatabase.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DbKind, FreshDatabase } from '../helpers/databases.js';
import type { FlushInput, JobStore } from '../../plugin/src/store/job-store.js';
import { JOB_TRANSITIONS, TASK_TRANSITIONS, type JobStatus, type TaskStatus } from '../../plugin/src/statuses.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import { PostgresJobStore } from '../../plugin/src/store/postgres-store.js';
import { MysqlJobStore } from '../../plugin/src/store/mysql-store.js';
import { SQLITE_MIGRATIONS } from '../../plugin/src/store/sqlite-migrations.js';
import { POSTGRES_MIGRATIONS } from '../../plugin/src/store/postgres-migrations.js';
import { MYSQL_MIGRATIONS } from '../../plugin/src/store/mysql-migrations.js';

export interface StoreHandle {
  store: JobStore;
  /** Raw SQL on the same handle (no parameters), for what the interface does not expose. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openStore(db: FreshDatabase): Promise<StoreHandle> {
  switch (db.kind) {
    case 'sqlite': {
      const handle = new Database(db.url.slice('sqlite://'.length));
      return {
        store: new SqliteJobStore(handle),
        rows: async (sql) => {
          const statement = handle.prepare(sql);
          if (statement.reader) return statement.all() as Record<string, unknown>[];
          statement.run();
          return [];
        },
        close: async () => { handle.close(); },
      };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: db.url });
      pool.on('error', () => {});
      return {
        store: new PostgresJobStore(pool),
        rows: async (sql) => (await pool.query(sql)).rows,
        close: () => pool.end(),
      };
    }
    case 'mysql': {
      const pool = mysql.createPool({ uri: db.url, timezone: 'Z' });
      return {
        store: new MysqlJobStore(pool),
        rows: async (sql) => (await pool.query<mysql.RowDataPacket[]>(sql))[0],
        close: () => pool.end(),
      };
    }
  }
}

/** The migration versions each kind's store applies. */
export const MIGRATION_VERSIONS: Record<DbKind, number[]> = {
  sqlite: SQLITE_MIGRATIONS.map((m) => m.version),
  postgres: POSTGRES_MIGRATIONS.map((m) => m.version),
  mysql: MYSQL_MIGRATIONS.map((m) => m.version),
};

/** A fixed clock: tests pass `now` explicitly, nothing depends on the wall clock. */
export const T0 = 1_700_000_000_000;

/** A flush that changes nothing and claims nothing, with `over` on top. */
export function flushOf(jobKey: number, owner: string, over: Partial<FlushInput> = {}): FlushInput {
  return {
    jobKey, owner, now: T0, states: new Map(), finished: [], rescheduled: [], claim: 0, parallelLimit: 10, leaseMs: 30_000, interestTtlMs: 3000, lastError: null,
    ...over,
  };
}

/** A runnable job of `states.length` tasks (states as objects), through draft → append → activate. */
export async function makeJob(
  store: JobStore,
  states: Record<string, unknown>[],
  opts: { handler?: string; status?: 'IN_PROGRESS' | 'QUEUED'; jobId?: string; now?: number } = {},
): Promise<number> {
  const jobKey = await store.createDraft({
    handler: opts.handler ?? 'h', name: 'job', startedBy: '7', state: {}, owner: 'creator', now: opts.now ?? T0,
  });
  await store.appendTasks(jobKey, 0, states.map((s) => JSON.stringify(s)));
  await store.activateDraft(jobKey, opts.jobId ?? `job-${jobKey}`, opts.status ?? 'IN_PROGRESS', states.length);
  return jobKey;
}

export const tasksOf = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

/**
 * The store with every call checked against the state machines of plugin/src/statuses.ts
 * (issue 21: the transition table is enforced, not decoration): the statuses of every job and
 * task are read before and after each call, and a change that is not in `JOB_TRANSITIONS` /
 * `TASK_TRANSITIONS` fails the call. Rows that appear (a new job or task) or go (a deleted one)
 * are not transitions. Calls that overlap another call are not checked (their changes mix); the
 * suites' sequential steps are, which is nearly all of them.
 */
export function transitionChecked(handle: StoreHandle): JobStore {
  let inFlight = 0;
  let overlapped = false;
  const snapshot = async () => {
    const jobs = await handle.rows('SELECT job_key, status FROM af_bj_jobs');
    const tasks = await handle.rows('SELECT job_key, idx, status FROM af_bj_tasks');
    return {
      jobs: new Map(jobs.map((r) => [String(r.job_key), String(r.status)])),
      tasks: new Map(tasks.map((r) => [`${r.job_key}/${r.idx}`, String(r.status)])),
    };
  };
  const check = (method: string, before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>) => {
    const wrong: string[] = [];
    for (const [key, to] of after.jobs) {
      const from = before.jobs.get(key);
      if (from === undefined || from === to || from === 'DRAFT') continue;
      if (!(JOB_TRANSITIONS[from as JobStatus] ?? []).includes(to as JobStatus)) wrong.push(`job ${key}: ${from} → ${to}`);
    }
    for (const [key, to] of after.tasks) {
      const from = before.tasks.get(key);
      if (from === undefined || from === to) continue;
      if (!(TASK_TRANSITIONS[from as TaskStatus] ?? []).includes(to as TaskStatus)) wrong.push(`task ${key}: ${from} → ${to}`);
    }
    if (wrong.length > 0) throw new Error(`${method} made changes the state machines (plugin/src/statuses.ts) do not allow: ${wrong.join('; ')}`);
  };
  return new Proxy(handle.store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'migrate' || key === 'listenEvents') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (inFlight > 0) overlapped = true;
        inFlight++;
        const mine = inFlight === 1;
        if (mine) overlapped = false;
        let before: Awaited<ReturnType<typeof snapshot>> | null = null;
        try {
          before = mine ? await snapshot() : null;
          const result = await value.apply(target, args);
          if (before && !overlapped && inFlight === 1) check(String(key), before, await snapshot());
          return result;
        } finally {
          inFlight--;
        }
      };
    },
  });
}
