/**
 * One throwaway database per test (style.md: "one namespace per test, cleaned up") on SQLite,
 * PostgreSQL and MySQL/MariaDB. Test files pick the kinds that answer:
 *
 * ```ts
 * const kinds = await availableDbKinds();
 * describe.each(kinds)('store (%s)', (kind) => { ... });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type DbKind = 'sqlite' | 'postgres' | 'mysql';

/** A database that exists only for one test. */
export interface FreshDatabase {
  kind: DbKind;
  /** Connection URL in AdminForth's data-source form (`sqlite://<abs path>`, `postgres://…`, `mysql://…`). */
  url: string;
  /** Runs raw SQL (DDL/seed); several `;`-separated statements are allowed. */
  exec(sql: string): Promise<void>;
  /** Drops the database (or removes the temp dir) and closes every handle this helper opened. */
  drop(): Promise<void>;
}

/** Admin connection used to create/drop PostgreSQL test databases. */
export const PG_URL: string = process.env.AF_JOBS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Admin connection used to create/drop MySQL/MariaDB test databases. */
export const MYSQL_URL: string = process.env.AF_JOBS_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const PROBE_TIMEOUT_MS = 2_000;

/** `url` with its database (path) replaced. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The URL without its password, for error messages. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function pgAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function mysqlAdmin<T>(run: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: PROBE_TIMEOUT_MS });
  conn.on('error', () => {});
  try {
    return await run(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function freshSqlite(): Promise<FreshDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'af-test-'));
  const file = path.join(dir, 'db.sqlite');
  let db: Database.Database | undefined;
  return {
    kind: 'sqlite',
    url: `sqlite://${file}`,
    async exec(sql) {
      db ??= new Database(file);
      db.exec(sql);
    },
    async drop() {
      if (db?.open) db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freshPostgres(): Promise<FreshDatabase> {
  const name = `af_test_${randomBytes(6).toString('hex')}`;
  await pgAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(PG_URL, name);
  let client: pg.Client | undefined;
  return {
    kind: 'postgres',
    url,
    async exec(sql) {
      if (!client) {
        client = new pg.Client({ connectionString: url });
        client.on('error', () => {});
        await client.connect();
      }
      await client.query(sql); // simple protocol: several statements are fine
    },
    async drop() {
      await client?.end().catch(() => {});
      // WITH (FORCE) (pg 13+) ends connections a test left open instead of failing the drop.
      await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function freshMysql(): Promise<FreshDatabase> {
  const name = `af_test_${randomBytes(6).toString('hex')}`;
  await mysqlAdmin((c) => c.query(`CREATE DATABASE \`${name}\``));
  const url = withDatabase(MYSQL_URL, name);
  let conn: mysql.Connection | undefined;
  return {
    kind: 'mysql',
    url,
    async exec(sql) {
      if (!conn) {
        conn = await mysql.createConnection({ uri: url, multipleStatements: true });
        conn.on('error', () => {});
      }
      await conn.query(sql);
    },
    async drop() {
      await conn?.end().catch(() => conn?.destroy());
      await mysqlAdmin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
    },
  };
}

/** Creates an empty database of `kind` for one test; call `drop()` when done. */
export async function freshDatabase(kind: DbKind): Promise<FreshDatabase> {
  switch (kind) {
    case 'sqlite': return freshSqlite();
    case 'postgres': return freshPostgres();
    case 'mysql': return freshMysql();
    default: throw new Error(`Unknown database kind '${kind as string}': use sqlite, postgres or mysql`);
  }
}

function withTimeout(promise: Promise<unknown>, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const SERVICES = {
  postgres: {
    url: () => PG_URL,
    probe: () => pgAdmin((c) => c.query('SELECT 1')),
    howToStart: 'start PostgreSQL (e.g. `pg_ctlcluster 15 main start`, or run .ci/run) or point AF_JOBS_PG_URL at a server',
  },
  mysql: {
    url: () => MYSQL_URL,
    probe: () => mysqlAdmin((c) => c.query('SELECT 1')),
    howToStart: 'start MariaDB/MySQL (e.g. `start-stop-daemon --start --background --exec /usr/sbin/mariadbd`, or run .ci/run) or point AF_JOBS_MYSQL_URL at a server',
  },
} as const;

let cached: Promise<DbKind[]> | undefined;

/**
 * `sqlite` always, plus `postgres`/`mysql` when they answer within ~2 s (probed once per worker).
 * With `AF_JOBS_REQUIRE_SERVICES=1` (CI) an unreachable service throws instead of being skipped.
 */
export function availableDbKinds(): Promise<DbKind[]> {
  cached ??= (async () => {
    const kinds: DbKind[] = ['sqlite'];
    const required = process.env.AF_JOBS_REQUIRE_SERVICES === '1';
    const results = await Promise.all(
      (['postgres', 'mysql'] as const).map(async (kind) => {
        const service = SERVICES[kind];
        try {
          await withTimeout(service.probe(), `${kind} at ${redact(service.url())}`);
          return { kind, error: undefined };
        } catch (error) {
          return { kind, error: error as Error };
        }
      }),
    );
    for (const { kind, error } of results) {
      if (!error) kinds.push(kind);
      else if (required) {
        const service = SERVICES[kind];
        throw new Error(`AF_JOBS_REQUIRE_SERVICES=1 but ${kind} at ${redact(service.url())} is unreachable (${error.message}): ${service.howToStart}`, { cause: error });
      }
    }
    return kinds;
  })();
  return cached;
}

/**
 * A client of a test's database for reading what replicas wrote: a read-only better-sqlite3
 * handle, or a small pg / mysql2 pool (the connector clients the stores take).
 */
export async function openClient(db: FreshDatabase): Promise<{ client: any; close(): Promise<void> }> {
  if (db.kind === 'sqlite') {
    const client = new Database(db.url.slice('sqlite://'.length), { readonly: true });
    return { client, close: async () => { client.close(); } };
  }
  if (db.kind === 'postgres') {
    const client = new pg.Pool({ connectionString: db.url, max: 2 });
    return { client, close: () => client.end() };
  }
  const client = mysql.createPool({ uri: db.url, connectionLimit: 2 });
  return { client, close: () => client.end() };
}
