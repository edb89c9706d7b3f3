/**
 * A JobStore of each kind over its own driver handle, as the AdminForth connectors hold them
 * (better-sqlite3 `Database`, `pg.Pool`, mysql2 pool with `timezone: 'Z'`), on a FreshDatabase;
 * and the memory store (what the testing entry runs handlers on), which the contract suites hold
 * to the same contract.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import type { FlushInput, JobStore } from '../../plugin/src/store/job-store.js';
import { JOB_TRANSITIONS, TASK_TRANSITIONS, type JobStatus, type TaskStatus } from '../../plugin/src/statuses.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import { PostgresJobStore } from '../../plugin/src/store/postgres-store.js';
import { MysqlJobStore } from '../../plugin/src/store/mysql-store.js';
import { MemoryJobStore } from '../../plugin/src/store/memory-store.js';
import { SQLITE_MIGRATIONS } from '../../plugin/src/store/sqlite-migrations.js';
import { POSTGRES_MIGRATIONS } from '../../plugin/src/store/postgres-migrations.js';
import { MYSQL_MIGRATIONS } from '../../plugin/src/store/mysql-migrations.js';

/** The stores the contract suites run on. */
export type StoreKind = DbKind | 'memory';

/** Every database that answers (availableDbKinds), and the memory store. */
export async function storeKinds(): Promise<StoreKind[]> {
  return [...(await availableDbKinds()), 'memory'];
}

/** The memory store's "database": one store, which every handle opened on it shares (one process). */
export interface MemoryDatabase {
  kind: 'memory';
  store: MemoryJobStore;
  drop(): Promise<void>;
}

/** What one test's data lives in: a fresh database, or a fresh memory store. */
export type StoreDatabase = FreshDatabase | MemoryDatabase;

export async function freshStoreDatabase(kind: StoreKind): Promise<StoreDatabase> {
  if (kind === 'memory') return { kind, store: new MemoryJobStore(), drop: async () => {} };
  return freshDatabase(kind);
}

/** Statuses of every job and task, keyed `jobKey` and `jobKey/index`. */
export interface Statuses {
  jobs: Map<string, string>;
  tasks: Map<string, string>;
}

export interface StoreHandle {
  kind: StoreKind;
  store: JobStore;
  /** Raw SQL on the same handle (no parameters), for what the interface does not expose. Not on the memory store. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Every job's and task's status, as stored. */
  statuses(): Promise<Statuses>;
  /** The run slots each owner reserves on the job (`af_bj_interest.slots`), in owner order. */
  reservedSlots(jobKey: number): Promise<number[]>;
  /** The migration versions applied (none on the memory store: it has no tables). */
  migrations(): Promise<number[]>;
  close(): Promise<void>;
}

export async function openStore(db: StoreDatabase): Promise<StoreHandle> {
  if (db.kind === 'memory') {
    const { store } = db;
    return {
      kind: 'memory',
      store,
      rows: async (sql) => {
        throw new Error(`The memory store has no SQL (${sql.slice(0, 40)}…): read it through the handle's other methods`);
      },
      statuses: async () => {
        const { jobs, tasks } = store.snapshot();
        return {
          jobs: new Map(jobs.map((j) => [String(j.jobKey), j.status])),
          tasks: new Map(tasks.map((t) => [`${t.jobKey}/${t.index}`, t.status])),
        };
      },
      reservedSlots: async (jobKey) => store.snapshot().interest.filter((r) => r.jobKey === jobKey)
        .sort((a, b) => a.owner.localeCompare(b.owner)).map((r) => r.slots),
      migrations: async () => [],
      close: async () => {},
    };
  }
  const handle = await openDatabaseStore(db);
  return {
    ...handle,
    statuses: async () => {
      const jobs = await handle.rows('SELECT job_key, status FROM af_bj_jobs');
      const tasks = await handle.rows('SELECT job_key, idx, status FROM af_bj_tasks');
      return {
        jobs: new Map(jobs.map((r) => [String(r.job_key), String(r.status)])),
        tasks: new Map(tasks.map((r) => [`${r.job_key}/${r.idx}`, String(r.status)])),
      };
    },
    reservedSlots: async (jobKey) => (await handle.rows(`SELECT slots FROM af_bj_interest WHERE job_key = ${Number(jobKey)} ORDER BY owner`))
      .map((r) => Number(r.slots)),
    migrations: async () => (await handle.rows('SELECT version FROM af_bj_migrations ORDER BY version')).map((r) => Number(r.version)),
  };
}

async function openDatabaseStore(db: FreshDatabase): Promise<Pick<StoreHandle, 'kind' | 'store' | 'rows' | 'close'>> {
  switch (db.kind) {
    case 'sqlite': {
      const handle = new Database(db.url.slice('sqlite://'.length));
      return {
        kind: 'sqlite',
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
        kind: 'postgres',
        store: new PostgresJobStore(pool),
        rows: async (sql) => (await pool.query(sql)).rows,
        close: () => pool.end(),
      };
    }
    case 'mysql': {
      const pool = mysql.createPool({ uri: db.url, timezone: 'Z' });
      return {
        kind: 'mysql',
        store: new MysqlJobStore(pool),
        rows: async (sql) => (await pool.query<mysql.RowDataPacket[]>(sql))[0],
        close: () => pool.end(),
      };
    }
  }
}

/** The migration versions each kind's store applies (the memory store has no tables). */
export const MIGRATION_VERSIONS: Record<StoreKind, number[]> = {
  sqlite: SQLITE_MIGRATIONS.map((m) => m.version),
  postgres: POSTGRES_MIGRATIONS.map((m) => m.version),
  mysql: MYSQL_MIGRATIONS.map((m) => m.version),
  memory: [],
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
  const snapshot = () => handle.statuses();
  const check = (method: string, before: Statuses, after: Statuses) => {
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
        let before: Statuses | null = null;
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
