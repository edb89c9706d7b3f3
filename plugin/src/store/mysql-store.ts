/**
 * JobStore on MySQL 8 / MariaDB 10.6+, through the mysql2 promise pool that AdminForth's mysql
 * connector holds (`dataConnector.client`, contract §2). Only types come from `mysql2`: the plugin
 * uses the pool it is handed and has no runtime dependency on the driver.
 *
 * Semantics match the SQLite store method by method (the contract suite checks all stores). Every
 * transaction that changes a job and its tasks locks the job row first (`FOR UPDATE`), so flushes,
 * cancels and retries of one job are serialised across replicas and lock in one order. Queue
 * promotion holds a named lock per handler.
 *
 * Transactions run at the server's default REPEATABLE READ. InnoDB takes the read view at the
 * first plain (non-locking) read of a transaction, so a read placed after the job-row lock sees
 * every flush that committed before it; the code below keeps that order. Values are sent with
 * `query()` (client-side escaping): prepared statements would pile up one per IN-list length.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES, RETRIED_TASK_STATUSES, isFinishedJobStatus, sqlInList, type JobStatus, type TaskStatus } from '../statuses.js';
import type {
  AddedTasks, CancelInfo, ChangeEvents, DeletedTask, EventRead, FinishClaim, FlushInput, FlushResult, JobRow, JobStore, NewJob, RetryInfo,
  TaskRow, WorkerInfo,
} from './job-store.js';
import { countOf, emptyTaskCounts, jobFromRaw, taskCountsOf } from './sqlite-store.js';
import { MYSQL_MIGRATION_LOCK, MYSQL_MIGRATION_LOCK_TIMEOUT_S, MYSQL_MIGRATIONS, MYSQL_MIGRATIONS_TABLE } from './mysql-migrations.js';
import { appendEventRow, matchedRows, mysqlFlush } from './mysql-flush.js';
import {
  addTasksIn, appendChangeEvents, claimFinishIn, deleteTaskIn, finishJobIn, insertTaskRows, lockedJob,
} from './mysql-job-edits.js';
import type { EngineEvent } from '../events.js';
import { batchFromRaw, isStaleProgress, reportWritten, type RawEventRow, type WrittenBatch } from './event-batches.js';

type RawJob = Parameters<typeof jobFromRaw>[0];
type Rows<T> = (T & RowDataPacket)[];

const PROMOTE_LOCK_TIMEOUT_S = 10;
const FINISHED = sqlInList(FINISHED_JOB_STATUSES);
const ACTIVE = sqlInList(ACTIVE_JOB_STATUSES);

/** A deadlock (InnoDB rolled the transaction back), or a flush that found a lease gone between its read and its write. */
export function isRetryable(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1213 || e?.code === 'AF_BJ_RETRY';
}

export class MysqlJobStore implements JobStore {
  readonly kind = 'mysql' as const;

  /** The server's `max_allowed_packet`, read once (statements are sized under it, mysql-flush.ts). */
  private maxAllowedPacket: Promise<number> | null = null;

  constructor(private readonly pool: Pool) {}

  private packetSize(): Promise<number> {
    this.maxAllowedPacket ??= this.pool.query<Rows<{ packet: number | string }>>('SELECT @@max_allowed_packet AS packet').then(
      ([[row]]) => Number(row.packet),
      (error: unknown) => {
        // Asked again by the next caller.
        this.maxAllowedPacket = null;
        throw error;
      },
    );
    return this.maxAllowedPacket;
  }

  /**
   * One pooled connection for a transaction: always released, rolled back on error, and run again
   * (a few times) after a deadlock, which InnoDB resolves by rolling one transaction back.
   */
  private async transaction<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.pool.getConnection();
      let broken = false;
      try {
        await conn.query('START TRANSACTION');
        const result = await work(conn);
        await conn.query('COMMIT');
        return result;
      } catch (error) {
        await conn.query('ROLLBACK').catch(() => { broken = true; });
        if (attempt < 5 && isRetryable(error)) continue;
        throw error;
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    }
  }

  /** A session-level named lock around `work`, on one connection. */
  private async withNamedLock<T>(conn: PoolConnection, name: string, timeoutS: number, work: () => Promise<T>): Promise<T> {
    const [[{ got }]] = await conn.query<Rows<{ got: number | null }>>('SELECT GET_LOCK(?, ?) AS got', [name, timeoutS]);
    if (Number(got) !== 1) {
      throw new Error(`background-jobs: could not take the MySQL lock '${name}' within ${timeoutS} s: another process holds it (a replica starting or stuck); retry, or look for a session holding it with SELECT IS_USED_LOCK('${name}')`);
    }
    try {
      return await work();
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  }

  async migrate(): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      await this.withNamedLock(conn, MYSQL_MIGRATION_LOCK, MYSQL_MIGRATION_LOCK_TIMEOUT_S, async () => {
        await conn.query(MYSQL_MIGRATIONS_TABLE);
        const [rows] = await conn.query<Rows<{ version: number }>>('SELECT version FROM af_bj_migrations');
        const applied = new Set(rows.map((r) => Number(r.version)));
        for (const migration of MYSQL_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          for (const statement of migration.statements) {
            // MySQL DDL commits at once: a migration interrupted half-way is run again from its
            // start, so a column or index it had already added is not an error.
            await conn.query(statement).catch((error: { errno?: number }) => {
              if (error.errno !== 1060 && error.errno !== 1061) throw error;
            });
          }
          await conn.query('INSERT IGNORE INTO af_bj_migrations (version, name, applied_at) VALUES (?, ?, ?)',
            [migration.version, migration.name, Date.now()]);
        }
      });
    } finally {
      conn.release();
    }
  }

  async createDraft(job: NewJob): Promise<number> {
    const [result] = await this.pool.query<ResultSetHeader>(
      `INSERT INTO af_bj_jobs (handler, name, status, started_by, state, owner, created_at, schedule_name, schedule_tick) VALUES (?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?)`,
      [job.handler, job.name, job.startedBy, JSON.stringify(job.state), job.owner, job.now, job.schedule?.name ?? null, job.schedule?.tick ?? null],
    );
    return Number(result.insertId);
  }

  /**
   * Multi-row INSERTs, cut to stay under the server's packet size, in one transaction run again
   * on a deadlock: InnoDB may pick an insert into the draft's key range as the victim of a
   * flush's locks on a neighbouring job (seen in CI-like runs); the draft is invisible, so
   * running it again is safe.
   */
  async appendTasks(jobKey: number, firstIndex: number, states: string[]): Promise<void> {
    const packet = await this.packetSize();
    await this.transaction((conn) => insertTaskRows(conn, jobKey, firstIndex, states, packet));
  }

  async activateDraft(jobKey: number, jobId: string, status: 'IN_PROGRESS' | 'QUEUED', total: number, events?: ChangeEvents<JobRow>): Promise<void> {
    const written = await this.transaction(async (conn) => {
      const [result] = await conn.query<ResultSetHeader>(`UPDATE af_bj_jobs SET job_id = ?, status = ?, total = ?, owner = NULL WHERE job_key = ? AND status = 'DRAFT'`,
        [String(jobId), status, total, jobKey]);
      return result.affectedRows === 1 ? this.writeChangeEvents(conn, jobKey, events, (job) => job) : null;
    });
    reportWritten(events, [written]);
  }

  async discardDraft(jobKey: number): Promise<void> {
    await this.transaction(async (conn) => {
      await conn.query('DELETE FROM af_bj_tasks WHERE job_key = ?', [jobKey]);
      await conn.query(`DELETE FROM af_bj_jobs WHERE job_key = ? AND status = 'DRAFT'`, [jobKey]);
    });
  }

  async getJob(jobId: string): Promise<JobRow | null> {
    const [rows] = await this.pool.query<Rows<RawJob>>('SELECT * FROM af_bj_jobs WHERE job_id = ?', [String(jobId)]);
    return rows[0] ? jobFromRaw(rows[0]) : null;
  }

  async getJobs(jobIds: string[]): Promise<JobRow[]> {
    if (jobIds.length === 0) return [];
    const [rows] = await this.pool.query<Rows<RawJob>>('SELECT * FROM af_bj_jobs WHERE job_id IN (?)', [jobIds.map(String)]);
    return rows.map(jobFromRaw);
  }

  async getJobByKey(jobKey: number): Promise<JobRow | null> {
    const [rows] = await this.pool.query<Rows<RawJob>>('SELECT * FROM af_bj_jobs WHERE job_key = ?', [jobKey]);
    return rows[0] ? jobFromRaw(rows[0]) : null;
  }

  async listRunnableJobs(): Promise<JobRow[]> {
    const [rows] = await this.pool.query<Rows<RawJob>>(`SELECT * FROM af_bj_jobs WHERE status = 'IN_PROGRESS' ORDER BY job_key`);
    return rows.map(jobFromRaw);
  }

  async countJobs(handler: string, status: JobStatus): Promise<number> {
    const [[row]] = await this.pool.query<Rows<{ n: number }>>('SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = ? AND handler = ?', [status, handler]);
    return Number(row.n);
  }

  /** The named lock per handler makes count-then-promote atomic against other replicas. */
  async promoteQueued(handler: string, limit: number, events?: ChangeEvents<JobRow>, max = Number.MAX_SAFE_INTEGER): Promise<JobRow[]> {
    const conn = await this.pool.getConnection();
    try {
      const [[{ lock }]] = await conn.query<Rows<{ lock: string }>>(`SELECT CONCAT('af_bj_promote_', MD5(?)) AS \`lock\``, [handler]);
      const { promoted, written } = await this.withNamedLock(conn, lock, PROMOTE_LOCK_TIMEOUT_S, async () => {
        await conn.query('START TRANSACTION');
        try {
          const [[{ n }]] = await conn.query<Rows<{ n: number }>>(
            `SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = 'IN_PROGRESS' AND handler = ?`, [handler]);
          const free = Math.min(max, Number.isFinite(limit) ? limit - Number(n) : Number.MAX_SAFE_INTEGER);
          let queued: RawJob[] = [];
          if (free > 0) {
            [queued] = await conn.query<Rows<RawJob>>(
              `SELECT * FROM af_bj_jobs WHERE status = 'QUEUED' AND handler = ? ORDER BY job_key LIMIT ? FOR UPDATE`,
              [handler, Math.min(free, 1_000_000)]);
            if (queued.length > 0) {
              await conn.query(`UPDATE af_bj_jobs SET status = 'IN_PROGRESS' WHERE job_key IN (?) AND status = 'QUEUED'`,
                [queued.map((j) => j.job_key)]);
            }
          }
          const written: (WrittenBatch | null)[] = [];
          for (const job of queued) written.push(await this.writeChangeEvents(conn, Number(job.job_key), events, (row) => row));
          await conn.query('COMMIT');
          return { promoted: queued.map((job) => jobFromRaw({ ...job, status: 'IN_PROGRESS' })), written };
        } catch (error) {
          await conn.query('ROLLBACK').catch(() => {});
          throw error;
        }
      });
      reportWritten(events, written);
      return promoted;
    } finally {
      conn.release();
    }
  }

  async flush(input: FlushInput): Promise<FlushResult> {
    const packet = await this.packetSize();
    return this.transaction((conn) => mysqlFlush(conn, input, packet));
  }

  /**
   * A change's events, built from the job row as the change's transaction left it (read here under
   * the row lock) and written after its last sequence number, in that transaction.
   */
  private async writeChangeEvents<T>(conn: PoolConnection, jobKey: number, events: ChangeEvents<T> | undefined, info: (job: JobRow) => T): Promise<WrittenBatch | null> {
    if (!events) return null;
    const raw = await lockedJob(conn, jobKey);
    return raw ? appendChangeEvents(conn, raw, events, info(jobFromRaw(raw))) : null;
  }

  async appendEvents(jobKey: number, owner: string, now: number, events: EngineEvent[]): Promise<number | null> {
    if (events.length === 0) return null;
    return this.transaction(async (conn) => {
      const [rows] = await conn.query<Rows<{ last_seq: number; status: string }>>('SELECT last_seq, status FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
      if (!rows[0]) return null;
      if (isStaleProgress(events) && isFinishedJobStatus(rows[0].status)) return null;
      return appendEventRow(conn, jobKey, owner, now, Number(rows[0].last_seq), events);
    });
  }

  async readEvents(jobKey: number, after: number, limit: number): Promise<EventRead> {
    const [jobs] = await this.pool.query<Rows<{ last_seq: number; oldest: number | null }>>(
      'SELECT last_seq, (SELECT first_seq FROM af_bj_events WHERE job_key = ? ORDER BY seq LIMIT 1) AS oldest FROM af_bj_jobs WHERE job_key = ?', [jobKey, jobKey]);
    if (!jobs[0]) return { batches: [], lastSeq: 0, oldestSeq: null };
    const [rows] = await this.pool.query<Rows<RawEventRow>>('SELECT * FROM af_bj_events WHERE job_key = ? AND seq > ? ORDER BY seq LIMIT ?', [jobKey, after, limit]);
    return { batches: rows.map(batchFromRaw), lastSeq: Number(jobs[0].last_seq), oldestSeq: jobs[0].oldest === null ? null : Number(jobs[0].oldest) };
  }

  async eventCursors(finishedSince: number): Promise<{ jobKey: number; lastSeq: number }[]> {
    const [rows] = await this.pool.query<Rows<{ job_key: number; last_seq: number }>>(
      `SELECT job_key, last_seq FROM af_bj_jobs WHERE status IN (${ACTIVE}) AND last_seq > 0
       UNION ALL SELECT job_key, last_seq FROM af_bj_jobs WHERE finished_at >= ? AND last_seq > 0 AND status NOT IN (${ACTIVE})`,
      [Math.round(finishedSince)]);
    return rows.map((r) => ({ jobKey: Number(r.job_key), lastSeq: Number(r.last_seq) }));
  }

  async pruneEvents(finishedBefore: number, maxPerJob: number): Promise<number> {
    const [a] = await this.pool.query<ResultSetHeader>(`DELETE e FROM af_bj_events e JOIN af_bj_jobs j ON j.job_key = e.job_key
      WHERE j.finished_at < ? AND j.status NOT IN (${ACTIVE})`, [Math.round(finishedBefore)]);
    const [b] = await this.pool.query<ResultSetHeader>(`DELETE e FROM af_bj_events e JOIN af_bj_jobs j ON j.job_key = e.job_key
      WHERE e.seq <= j.last_seq - ?`, [maxPerJob]);
    return a.affectedRows + b.affectedRows;
  }

  async getTasks(jobKey: number, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    const statuses = opts.status && opts.status.length > 0 ? opts.status : null;
    const where = statuses ? 'job_key = ? AND status IN (?)' : 'job_key = ?';
    const params: unknown[] = statuses ? [jobKey, statuses] : [jobKey];
    const [[rows], { counts, purged }] = await Promise.all([
      this.pool.query<Rows<{ idx: number; status: TaskStatus; state: string; attempt: number; error: string | null }>>(
        `SELECT idx, status, state, attempt, error FROM af_bj_tasks WHERE ${where} ORDER BY idx LIMIT ? OFFSET ?`,
        [...params, opts.limit, opts.offset]),
      this.countsOf(jobKey),
    ]);
    return {
      tasks: rows.map((r) => ({ index: Number(r.idx), status: r.status, state: JSON.parse(r.state), attempt: Number(r.attempt), error: r.error })),
      total: purged ? 0 : countOf(counts, statuses),
    };
  }

  async getTaskCounts(jobKey: number): Promise<Record<TaskStatus, number>> {
    return (await this.countsOf(jobKey)).counts;
  }

  /** One statement, one snapshot: the counters and the running tasks (through the status index); `purged`: retention deleted its task rows. */
  private async countsOf(jobKey: number): Promise<{ counts: Record<TaskStatus, number>; purged: boolean }> {
    const [rows] = await this.pool.query<Rows<{ total: number; done: number; failed: number; cancelled: number; running: number; tasks_purged_at: number | null }>>(
      `SELECT j.total, j.done, j.failed, j.cancelled, j.tasks_purged_at,
         (SELECT COUNT(*) FROM af_bj_tasks t WHERE t.job_key = j.job_key AND t.status = 'IN_PROGRESS') AS running
       FROM af_bj_jobs j WHERE j.job_key = ? AND j.status <> 'DRAFT'`, [jobKey]);
    return { counts: taskCountsOf(rows[0], Number(rows[0]?.running ?? 0)), purged: rows[0]?.tasks_purged_at != null };
  }

  async updateJobState(
    jobKey: number, mutate: (state: Record<string, unknown>) => Record<string, unknown>, events?: ChangeEvents<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const { next, written } = await this.transaction(async (conn) => {
      const [rows] = await conn.query<Rows<{ state: string }>>('SELECT state FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
      const next = mutate(rows[0] ? JSON.parse(rows[0].state) : {});
      await conn.query('UPDATE af_bj_jobs SET state = ? WHERE job_key = ?', [JSON.stringify(next), jobKey]);
      return { next, written: rows[0] ? await this.writeChangeEvents(conn, jobKey, events, () => next) : null };
    });
    reportWritten(events, [written]);
    return next;
  }

  async cancelJob(jobKey: number, now: number, events?: ChangeEvents<CancelInfo>): Promise<{ changed: boolean; status: JobStatus | 'DRAFT' }> {
    const { result, written } = await this.transaction(async (conn) => {
      const [job] = await conn.query<ResultSetHeader>(`UPDATE af_bj_jobs SET status = 'CANCELLED', finished_at = ?
        WHERE job_key = ? AND status IN (${ACTIVE})`, [now, jobKey]);
      const changed = job.affectedRows === 1;
      let cancelledRunning: number[] = [];
      if (changed) {
        const [tasks] = await conn.query<ResultSetHeader>(`UPDATE af_bj_tasks SET status = 'CANCELLED' WHERE job_key = ? AND status = 'SCHEDULED'`, [jobKey]);
        // Running tasks too, whoever leases them (locked, then ended with their leases): their
        // owners' later outcomes change nothing, as a flush writes only tasks it still leases.
        const [running] = await conn.query<Rows<{ idx: number }>>(
          `SELECT idx FROM af_bj_tasks WHERE job_key = ? AND status = 'IN_PROGRESS' ORDER BY idx FOR UPDATE`, [jobKey]);
        cancelledRunning = running.map((r) => Number(r.idx));
        if (cancelledRunning.length > 0) {
          await conn.query(`UPDATE af_bj_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires = NULL
            WHERE job_key = ? AND idx IN (?) AND status = 'IN_PROGRESS'`, [jobKey, cancelledRunning]);
        }
        const n = tasks.affectedRows + cancelledRunning.length;
        if (n > 0) await conn.query('UPDATE af_bj_jobs SET cancelled = cancelled + ? WHERE job_key = ?', [n, jobKey]);
      }
      const [rows] = await conn.query<Rows<{ status: JobStatus }>>('SELECT status FROM af_bj_jobs WHERE job_key = ?', [jobKey]);
      const result = { changed, status: rows[0]?.status ?? 'CANCELLED' };
      return { result, written: changed ? await this.writeChangeEvents(conn, jobKey, events, (job) => ({ ...job, cancelledRunning })) : null };
    });
    reportWritten(events, [written]);
    return result;
  }

  async retryJob(
    jobKey: number, scope: 'failed' | 'unfinished' | number[], status: 'IN_PROGRESS' | 'QUEUED', events?: ChangeEvents<RetryInfo>,
  ): Promise<number> {
    const { tasks, written } = await this.transaction(async (conn) => {
      // The job row first, as a flush takes it: no flush of this job interleaves with the reset.
      await conn.query('SELECT job_key FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
      const reset = `UPDATE af_bj_tasks SET status = 'SCHEDULED', error = NULL, run_after = 0, lease_owner = NULL, lease_expires = NULL`;
      let n = 0;
      if (scope === 'failed' || scope === 'unfinished') {
        n = (await conn.query<ResultSetHeader>(`${reset} WHERE job_key = ? AND status IN (${sqlInList(RETRIED_TASK_STATUSES[scope])})`, [jobKey]))[0].affectedRows;
      } else if (scope.length > 0) {
        n = (await conn.query<ResultSetHeader>(`${reset} WHERE job_key = ? AND idx IN (?) AND status IN (${sqlInList(RETRIED_TASK_STATUSES.chosen)})`,
          [jobKey, [...new Set(scope)]]))[0].affectedRows;
      }
      const [rows] = await conn.query<Rows<{ status: TaskStatus; n: number }>>(
        'SELECT status, COUNT(*) AS n FROM af_bj_tasks WHERE job_key = ? GROUP BY status', [jobKey]);
      const counts = emptyTaskCounts();
      for (const row of rows) counts[row.status] = Number(row.n);
      if (counts.SCHEDULED === 0) return { tasks: 0, written: null };
      await conn.query('UPDATE af_bj_jobs SET status = ?, finished_at = NULL, done = ?, failed = ?, cancelled = ? WHERE job_key = ?',
        [status, counts.DONE, counts.FAILED, counts.CANCELLED, jobKey]);
      return { tasks: n, written: await this.writeChangeEvents(conn, jobKey, events, (job) => ({ job, tasks: n })) };
    });
    reportWritten(events, [written]);
    return tasks;
  }

  async jobsToPurge(finishedBefore: number, limit: number): Promise<number[]> {
    const [rows] = await this.pool.query<Rows<{ job_key: number }>>(`SELECT job_key FROM af_bj_jobs FORCE INDEX (af_bj_jobs_to_purge)
      WHERE tasks_purged_at IS NULL AND finished_at < ? AND status IN (${FINISHED}) ORDER BY finished_at LIMIT ?`,
    [Math.round(finishedBefore), limit]);
    return rows.map((r) => Number(r.job_key));
  }

  /** One short transaction: the job row (shared lock: a retry cannot reopen it meanwhile), then at most `limit` task rows, lowest first. */
  async purgeTasks(jobKey: number, limit: number, now: number): Promise<number> {
    return this.transaction(async (conn) => {
      const [[job]] = await conn.query<Rows<{ job_key: number }>>(
        `SELECT job_key FROM af_bj_jobs WHERE job_key = ? AND status IN (${FINISHED}) LOCK IN SHARE MODE`, [jobKey]);
      if (!job) return 0;
      // The chunk's keys by a plain read, then those rows by primary key: InnoDB locks just them.
      // `DELETE ... ORDER BY idx LIMIT n` also locked the gap before the first row it scanned
      // (a next-key lock, REPEATABLE READ), so a task added at the end of the job below in key
      // order waited for each chunk (bench/README.md, "Retention on a 1,000,000-task table").
      const [tasks] = await conn.query<Rows<{ idx: number }>>('SELECT idx FROM af_bj_tasks WHERE job_key = ? ORDER BY idx LIMIT ?', [jobKey, limit]);
      const [result] = tasks.length === 0 ? [{ affectedRows: 0 }]
        : await conn.query<ResultSetHeader>('DELETE FROM af_bj_tasks WHERE job_key = ? AND idx IN (?)', [jobKey, tasks.map((t) => t.idx)]);
      if (tasks.length < limit) await conn.query('UPDATE af_bj_jobs SET tasks_purged_at = ? WHERE job_key = ?', [Math.round(now), jobKey]);
      return result.affectedRows;
    });
  }

  async jobsToDelete(finishedBefore: number, limit: number): Promise<{ jobKey: number; jobId: string | null }[]> {
    const [rows] = await this.pool.query<Rows<{ job_key: number; job_id: string | null }>>(`SELECT job_key, job_id FROM af_bj_jobs
      WHERE finished_at < ? AND status IN (${FINISHED}) ORDER BY finished_at LIMIT ?`, [Math.round(finishedBefore), limit]);
    return rows.map((r) => ({ jobKey: Number(r.job_key), jobId: r.job_id === null ? null : String(r.job_id) }));
  }

  async deleteJob(jobKey: number): Promise<void> {
    await this.transaction(async (conn) => {
      await conn.query('SELECT job_key FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
      await conn.query('DELETE FROM af_bj_interest WHERE job_key = ?', [jobKey]);
      await conn.query('DELETE FROM af_bj_events WHERE job_key = ?', [jobKey]);
      await conn.query('DELETE FROM af_bj_tasks WHERE job_key = ?', [jobKey]);
      await conn.query('DELETE FROM af_bj_jobs WHERE job_key = ?', [jobKey]);
    });
  }

  /** Job edits (mysql-job-edits.ts): each in one transaction that locks the job row first. */
  async addTasks(jobKey: number, states: string[], events?: ChangeEvents<AddedTasks>): Promise<AddedTasks | { status: JobStatus | 'DRAFT' } | null> {
    const packet = await this.packetSize();
    const { result, written } = await this.transaction((conn) => addTasksIn(conn, jobKey, states, packet, events));
    reportWritten(events, [written]);
    return result;
  }

  async deleteTask(jobKey: number, index: number, events?: ChangeEvents<DeletedTask>): Promise<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null> {
    const { result, written } = await this.transaction((conn) => deleteTaskIn(conn, jobKey, index, events));
    reportWritten(events, [written]);
    return result;
  }

  async claimFinish(jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null> {
    return this.transaction((conn) => claimFinishIn(conn, jobKey, owner, now, leaseMs));
  }

  async renewFinish(jobKey: number, owner: string, until: number): Promise<boolean> {
    // Matched, not changed: renewing to the same time still holds the claim.
    const [result] = await this.pool.query<ResultSetHeader>('UPDATE af_bj_jobs SET finish_until = ? WHERE job_key = ? AND finish_owner = ?', [until, jobKey, owner]);
    return matchedRows(result) === 1;
  }

  async finishJob(jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>): Promise<{ finished: boolean; job: JobRow | null }> {
    const { result, written } = await this.transaction((conn) => finishJobIn(conn, jobKey, owner, now, attempt, events));
    reportWritten(events, [written]);
    return result;
  }

  /**
   * Two single-statement steps, each atomic on the lock's row: take the row when it is this
   * owner's or expired (counted by rows matched, so re-taking one's own lock at the same `now`
   * counts), else insert it, which the primary key lets exactly one contender do. (One
   * `INSERT … ON DUPLICATE KEY UPDATE` cannot tell "inserted" from "left alone" when the pool sets
   * CLIENT_FOUND_ROWS, mysql2's default: both report 1 affected row.)
   */
  async acquireLock(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [taken] = await this.pool.query<ResultSetHeader>(
          'UPDATE af_bj_locks SET owner = ?, expires_at = ? WHERE name = ? AND (owner = ? OR expires_at < ?)', [owner, now + ttlMs, name, owner, now]);
        if (matchedRows(taken) === 1) return true;
        await this.pool.query('INSERT INTO af_bj_locks (name, owner, expires_at) VALUES (?, ?, ?)', [name, owner, now + ttlMs]);
        return true;
      } catch (error) {
        // ER_DUP_ENTRY: another owner holds it (it inserted the row first, or holds it live).
        if ((error as { errno?: number }).errno === 1062) return false;
        if (attempt < 5 && isRetryable(error)) continue;
        throw error;
      }
    }
  }

  async renewLock(name: string, owner: string, expiresAt: number): Promise<boolean> {
    const [result] = await this.pool.query<ResultSetHeader>('UPDATE af_bj_locks SET expires_at = ? WHERE name = ? AND owner = ?', [expiresAt, name, owner]);
    return matchedRows(result) === 1;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM af_bj_locks WHERE name = ? AND owner = ?', [name, owner]);
  }

  async heartbeat(worker: WorkerInfo, leaseMs: number): Promise<void> {
    await this.transaction(async (conn) => {
      await conn.query(`INSERT INTO af_bj_workers (owner, host, pid, heartbeat_at) VALUES (?, ?, ?, ?)
        ON DUPLICATE KEY UPDATE heartbeat_at = VALUES(heartbeat_at)`, [worker.owner, worker.host, worker.pid, worker.heartbeatAt]);
      await conn.query(`UPDATE af_bj_tasks SET lease_expires = ? WHERE status = 'IN_PROGRESS' AND lease_owner = ?`,
        [worker.heartbeatAt + leaseMs, worker.owner]);
    });
    // Its own transaction: no task row is held while the run slots' rows are locked.
    await this.pool.query('UPDATE af_bj_interest SET slots_expire = ? WHERE owner = ? AND slots > 0', [worker.heartbeatAt + leaseMs, worker.owner]);
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const [rows] = await this.pool.query<Rows<{ owner: string; host: string; pid: number; heartbeat_at: number }>>(
      'SELECT owner, host, pid, heartbeat_at FROM af_bj_workers');
    return rows.map((r) => ({ owner: r.owner, host: r.host, pid: Number(r.pid), heartbeatAt: Number(r.heartbeat_at) }));
  }

  async recoverExpiredLeases(now: number, deadOwners: string[]): Promise<number> {
    return this.transaction(async (conn) => {
      const lost = deadOwners.length > 0
        ? `status = 'IN_PROGRESS' AND (lease_expires < ? OR lease_owner IN (?))`
        : `status = 'IN_PROGRESS' AND lease_expires < ?`;
      const lostParams: unknown[] = deadOwners.length > 0 ? [now, deadOwners] : [now];
      // Job rows before task rows, the order every other writer takes them in: first a plain read
      // of which jobs have lost tasks, then a lock on the cancelled ones among them.
      const [affected] = await conn.query<Rows<{ job_key: number }>>(`SELECT DISTINCT job_key FROM af_bj_tasks WHERE ${lost}`, lostParams);
      // Finish claims of dead owners end (another owner runs beforeJobFinish again): found by a plain
      // read, then locked by key with their job rows, before any task row.
      if (deadOwners.length > 0) {
        const [claims] = await conn.query<Rows<{ job_key: number }>>('SELECT job_key FROM af_bj_jobs WHERE finish_owner IN (?) ORDER BY job_key', [deadOwners]);
        if (claims.length > 0) {
          await conn.query('UPDATE af_bj_jobs SET finish_until = 0 WHERE job_key IN (?) AND finish_owner IN (?)', [claims.map((r) => r.job_key), deadOwners]);
        }
      }
      const [jobs] = affected.length === 0 ? [[]] : await conn.query<Rows<{ job_key: number }>>(
        `SELECT job_key FROM af_bj_jobs WHERE status = 'CANCELLED' AND job_key IN (?) ORDER BY job_key FOR UPDATE`,
        [affected.map((r) => r.job_key)]);
      let cancelled = 0;
      for (const { job_key: jobKey } of jobs) {
        // Tasks of a cancelled job are not run again: they end CANCELLED and count as such.
        const [result] = await conn.query<ResultSetHeader>(`UPDATE af_bj_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires = NULL
          WHERE job_key = ? AND ${lost}`, [jobKey, ...lostParams]);
        if (result.affectedRows > 0) {
          await conn.query('UPDATE af_bj_jobs SET cancelled = cancelled + ? WHERE job_key = ?', [result.affectedRows, jobKey]);
          cancelled += result.affectedRows;
        }
      }
      const [rescheduled] = await conn.query<ResultSetHeader>(`UPDATE af_bj_tasks SET status = 'SCHEDULED', lease_owner = NULL, lease_expires = NULL
        WHERE ${lost}`, lostParams);
      if (deadOwners.length > 0) {
        await conn.query('DELETE FROM af_bj_workers WHERE owner IN (?)', [deadOwners]);
        await conn.query('DELETE FROM af_bj_interest WHERE owner IN (?)', [deadOwners]);
      }
      // Interest older than an hour belongs to runners long gone.
      await conn.query('DELETE FROM af_bj_interest WHERE at < ? AND (slots = 0 OR slots_expire < ?)', [now - 3600_000, now]);
      return rescheduled.affectedRows + cancelled;
    });
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.recoverExpiredLeases(0, [owner]);
  }

  async discardStaleDrafts(deadOwners: string[], olderThan: number): Promise<number> {
    return this.transaction(async (conn) => {
      const [drafts] = await conn.query<Rows<{ job_key: number }>>(deadOwners.length > 0
        ? `SELECT job_key FROM af_bj_jobs WHERE status = 'DRAFT' AND (created_at < ? OR owner IN (?)) FOR UPDATE`
        : `SELECT job_key FROM af_bj_jobs WHERE status = 'DRAFT' AND created_at < ? FOR UPDATE`,
      deadOwners.length > 0 ? [olderThan, deadOwners] : [olderThan]);
      if (drafts.length === 0) return 0;
      const keys = drafts.map((d) => d.job_key);
      await conn.query('DELETE FROM af_bj_tasks WHERE job_key IN (?)', [keys]);
      await conn.query('DELETE FROM af_bj_jobs WHERE job_key IN (?)', [keys]);
      return drafts.length;
    });
  }
}
