/**
 * A JobStore of each kind over its own driver handle, as the AdminForth connectors hold them
 * (better-sqlite3 `Database`, `pg.Pool`, mysql2 pool with `timezone: 'Z'`), on a FreshDatabase.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DbKind, FreshDatabase } from '../helpers/databases.js';
import type { FlushInput, JobStore } from '../../plugin/src/store/job-store.js';
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
