/**
 * Times every transaction a store runs on its driver handle, for the `retention` bench: nothing of
 * it is in the plugin. A row or table lock taken inside a transaction is released by its COMMIT
 * (or ROLLBACK), so a transaction's time bounds how long any lock of it is held:
 *
 * - PostgreSQL / MySQL: from sending `BEGIN` / `START TRANSACTION` to the answer of `COMMIT` /
 *   `ROLLBACK` on the same connection (the store's `transaction()` helper sends both);
 * - SQLite: better-sqlite3's transaction functions, from the start of the function's body (the
 *   `BEGIN IMMEDIATE` before it has just taken the database's write lock) to the return of the call
 *   (after `COMMIT` released it). Waiting for the lock before (busy_timeout) holds nothing, so it
 *   is left out; the WAL checkpoint a commit runs after releasing the lock when the WAL has passed
 *   1,000 pages (`wal_autocheckpoint`) is in, so this is an upper bound there.
 *
 * It also keeps the statements on `af_bj_tasks` of the first transaction that deleted task rows
 * (SQL and parameters), so the bench can EXPLAIN exactly what the store sent.
 */
import type Database from 'better-sqlite3';
import type mysql from 'mysql2/promise';
import type pg from 'pg';

export interface TimedTransaction {
  ms: number;
  /** It deleted task rows (a retention chunk): the job whose rows (the DELETE's first parameter). */
  deletedFrom: number | null;
  /** PostgreSQL / MySQL: each statement's first words and its time from sending to answer, ms. */
  steps?: [string, number][];
}

export interface CapturedStatement {
  sql: string;
  params: unknown[];
}

const TASKS = /\baf_bj_tasks\b/i;
const TASKS_DELETE = /^\s*DELETE\s+FROM\s+af_bj_tasks\b/i;
const BEGINS = /^\s*(BEGIN|START TRANSACTION)\b/i;
const ENDS = /^\s*(COMMIT|ROLLBACK)\b/i;

type Queryable = { query: (...args: unknown[]) => unknown };

interface Open {
  start: number;
  deletedFrom: number | null;
  steps: [string, number][];
  /** Its statements on af_bj_tasks, until the first deleting transaction has been kept. */
  statements: CapturedStatement[];
}

export class TransactionTimer {
  readonly transactions: TimedTransaction[] = [];
  private firstDelete: CapturedStatement[] | null = null;
  private readonly deleteWaiters: ((s: CapturedStatement[]) => void)[] = [];
  private readonly wrapped = new WeakSet<object>();
  /** The SQLite transaction running now (better-sqlite3 runs one at a time, synchronously). */
  private sqliteOpen: Open | null = null;

  /** Forgets what was timed so far (the fill before the measured pass). */
  reset(): void {
    this.transactions.length = 0;
  }

  /** The statements on af_bj_tasks of the first transaction that deleted task rows, once it committed. */
  whenDelete(): Promise<CapturedStatement[]> {
    if (this.firstDelete) return Promise.resolve(this.firstDelete);
    return new Promise((resolve) => this.deleteWaiters.push(resolve));
  }

  private sent(open: Open | null, sql: string, params: unknown[]): void {
    if (!open) return;
    if (TASKS_DELETE.test(sql)) open.deletedFrom = Number(params[0]);
    if (!this.firstDelete && TASKS.test(sql)) open.statements.push({ sql, params });
  }

  private ended(open: Open, ms: number, steps?: [string, number][]): void {
    this.transactions.push({ ms, deletedFrom: open.deletedFrom, ...(steps ? { steps } : {}) });
    if (open.deletedFrom !== null && !this.firstDelete) {
      this.firstDelete = open.statements;
      for (const resolve of this.deleteWaiters.splice(0)) resolve(open.statements);
    }
  }

  /** Call before handing `db` to the store. */
  sqlite(db: Database.Database): void {
    const transaction = db.transaction.bind(db);
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (TASKS.test(sql)) {
        for (const method of ['run', 'get', 'all'] as const) {
          const call = (statement[method] as (...p: unknown[]) => unknown).bind(statement);
          (statement as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
            this.sent(this.sqliteOpen, sql, params);
            return call(...params);
          };
        }
      }
      return statement;
    }) as typeof db.prepare;
    db.transaction = ((fn: (...args: unknown[]) => unknown) => {
      let outermost = false;
      // The body runs once BEGIN has the lock: the clock starts there (see the file's comment).
      const timedBody = (...args: unknown[]) => {
        if (outermost) this.sqliteOpen = { start: performance.now(), deletedFrom: null, steps: [], statements: [] };
        return fn(...args);
      };
      const tx = transaction(timedBody);
      const timed = (variant: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
        // A nested call is a savepoint of the outer transaction, timed with it.
        outermost = !db.inTransaction;
        if (!outermost) return variant(...args);
        try {
          return variant(...args);
        } finally {
          const open = this.sqliteOpen;
          this.sqliteOpen = null;
          if (open) this.ended(open, performance.now() - open.start);
        }
      };
      return Object.assign(timed(tx), {
        default: timed(tx.default), deferred: timed(tx.deferred), immediate: timed(tx.immediate), exclusive: timed(tx.exclusive),
      });
    }) as typeof db.transaction;
  }

  /** Call before the pool makes its first connection. */
  postgres(pool: pg.Pool): void {
    pool.on('connect', (client) => this.wrap(client as unknown as Queryable));
  }

  /** Call before the store takes a connection. */
  mysql(pool: mysql.Pool): void {
    const getConnection = pool.getConnection.bind(pool);
    pool.getConnection = (async () => {
      const conn = await getConnection();
      this.wrap(conn as unknown as Queryable);
      return conn;
    }) as typeof pool.getConnection;
  }

  private wrap(target: Queryable): void {
    if (this.wrapped.has(target)) return;
    this.wrapped.add(target);
    const query = target.query.bind(target);
    let open: Open | null = null;
    target.query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string; sql?: string } | null;
      const sql = typeof first === 'string' ? first : String(first?.text ?? first?.sql ?? '');
      const sentAt = performance.now();
      if (BEGINS.test(sql)) open = { start: sentAt, deletedFrom: null, steps: [], statements: [] };
      else this.sent(open, sql, Array.isArray(args[1]) ? args[1] : []);
      const result = query(...args);
      const current = open;
      if (!current) return result;
      const label = sql.trim().split(/\s+/).slice(0, 3).join(' ');
      const answered = () => { current.steps.push([label, Number((performance.now() - sentAt).toFixed(1))]); };
      if (ENDS.test(sql)) {
        open = null;
        const end = () => { answered(); this.ended(current, performance.now() - current.start, current.steps); };
        if (result instanceof Promise) result.then(end, end);
        else end();
      } else if (result instanceof Promise) result.then(answered, answered);
      return result;
    };
  }
}
