/**
 * JobStore on PostgreSQL, through the `pg.Pool` that AdminForth's postgres connector holds
 * (`dataConnector.client`, contract §2). Only types come from `pg`: the plugin uses the pool it is
 * handed and has no runtime dependency on the driver.
 *
 * Semantics match the SQLite store method by method (the contract suite checks both). Where SQLite
 * has one writer at a time, this store locks: the job row (`FOR UPDATE`) before its tasks in every
 * transaction that changes both, so flushes, cancels and retries of one job are serialised across
 * replicas and take their locks in the same order; an advisory lock per handler for queue
 * promotion. BIGINT and COUNT come back from pg as strings and are converted.
 */
import type { Pool, PoolClient } from 'pg';
import {
  ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES, RETRIED_TASK_STATUSES, UNFINISHED_TASK_STATUSES, isActiveJobStatus, sqlInList, type JobStatus, type TaskStatus,
} from '../statuses.js';
import type {
  AddedTasks, CancelInfo, ChangeEvents, DeletedTask, EventRead, FinishClaim, FlushInput, FlushResult, JobCounters, JobRow, JobStore, NewJob,
  RetryInfo, TaskRow, WorkerInfo,
} from './job-store.js';
import type { EngineEvent } from '../events.js';
import {
  batchFromRaw, eventPayload, finishedEventOf, isStaleProgress, reportWritten, type RawEventRow, type WrittenBatch,
} from './event-batches.js';
import { withoutNul } from './postgres-flush.js';
import { countOf, jobFromRaw, numericCounters, taskCountsOf } from './sqlite-store.js';
import { PG_LOCK_CLASS, PG_MIGRATION_LOCK, POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { CALL_FLUSH, CREATE_FLUSH_FUNCTION, flushParams } from './postgres-flush.js';
import { ALL_TASKS_FINISHED_SQL, FINISHED_JOB_STATUS_SQL, goneJobResult } from './flush-plan.js';

const FINISHED = sqlInList(FINISHED_JOB_STATUSES);
const ACTIVE = sqlInList(ACTIVE_JOB_STATUSES);

type RawJob = Parameters<typeof jobFromRaw>[0];

interface FlushRow {
  status: JobStatus | 'DRAFT';
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  finished_job: boolean;
  running: number;
  slots: number;
  claimed: { index: number; state: string; attempt: number }[];
  next_run_at: string | null;
  event_seq: string | null;
  last_error: string | null;
}

/** States per INSERT of `addTasks` (as the engine's TASK_BATCH): one statement per chunk, not one of the whole call. */
const ADD_CHUNK = 5000;

/** Thrown inside a transaction to roll it back and answer with the job's status (`deleteTask`). */
class Refused {
  constructor(readonly status: JobStatus | 'DRAFT' | null) {}
}

/** Runs `work` again (a few times) when it failed on a deadlock: the whole transaction was rolled back. */
async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || (error as { code?: string }).code !== '40P01') throw error;
    }
  }
}

export class PostgresJobStore implements JobStore {
  readonly kind = 'postgres' as const;

  /**
   * The tasks each owner flushing through this store leases, by job: what its heartbeat renews.
   * No index finds an owner's tasks (migration 5), so the store remembers the ones it claimed for
   * it until a flush of it finishes or gives them back, or a renewal finds them no longer its own.
   */
  private readonly held = new Map<string, Map<number, Set<number>>>();

  constructor(private readonly pool: Pool) {}

  /**
   * One pooled connection for a transaction: always released, rolled back on error, and run again
   * after a deadlock (which PostgreSQL resolves by failing one of the transactions).
   */
  private transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return retryDeadlock(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
        throw error;
      } finally {
        // A connection that could not even roll back is destroyed instead of going back to the pool.
        client.release(broken);
      }
    });
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [PG_LOCK_CLASS, PG_MIGRATION_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS af_bj_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM af_bj_migrations');
      const applied = new Set(rows.map((r) => Number(r.version)));
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO af_bj_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
          [migration.version, migration.name, Date.now()]);
      }
      // Code rather than schema: this version's flush function, under its own name (see FLUSH_FUNCTION).
      await client.query(CREATE_FLUSH_FUNCTION);
    });
  }

  async createDraft(job: NewJob): Promise<number> {
    const { rows } = await this.pool.query<{ job_key: string }>(
      `INSERT INTO af_bj_jobs (handler, name, status, started_by, state, owner, created_at, schedule_name, schedule_tick)
       VALUES ($1, $2, 'DRAFT', $3, $4, $5, $6, $7, $8) RETURNING job_key`,
      [job.handler, job.name, job.startedBy, JSON.stringify(job.state), job.owner, Math.round(job.now), job.schedule?.name ?? null, job.schedule?.tick ?? null],
    );
    return Number(rows[0].job_key);
  }

  async appendTasks(jobKey: number, firstIndex: number, states: string[]): Promise<void> {
    if (states.length === 0) return;
    await this.pool.query(
      `INSERT INTO af_bj_tasks (job_key, idx, status, state)
       SELECT $1, $2 + s.n - 1, 'SCHEDULED', s.state FROM unnest($3::text[]) WITH ORDINALITY AS s(state, n)`,
      [jobKey, firstIndex, states],
    );
  }

  async activateDraft(jobKey: number, jobId: string, status: 'IN_PROGRESS' | 'QUEUED', total: number, events?: ChangeEvents<JobRow>): Promise<void> {
    const written = await this.transaction(async (client) => {
      const { rows } = await client.query<RawJob>(
        `UPDATE af_bj_jobs SET job_id = $1, status = $2, total = $3, owner = NULL WHERE job_key = $4 AND status = 'DRAFT' RETURNING *`,
        [String(jobId), status, total, jobKey],
      );
      return rows[0] ? this.writeChangeEvents(client, jobKey, events, jobFromRaw(rows[0])) : null;
    });
    reportWritten(events, [written]);
  }

  async discardDraft(jobKey: number): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('DELETE FROM af_bj_tasks WHERE job_key = $1', [jobKey]);
      await client.query(`DELETE FROM af_bj_jobs WHERE job_key = $1 AND status = 'DRAFT'`, [jobKey]);
    });
  }

  async getJob(jobId: string): Promise<JobRow | null> {
    const { rows } = await this.pool.query<RawJob>('SELECT * FROM af_bj_jobs WHERE job_id = $1', [String(jobId)]);
    return rows[0] ? jobFromRaw(rows[0]) : null;
  }

  async getJobs(jobIds: string[]): Promise<JobRow[]> {
    if (jobIds.length === 0) return [];
    const { rows } = await this.pool.query<RawJob>('SELECT * FROM af_bj_jobs WHERE job_id = ANY($1::text[])', [jobIds.map(String)]);
    return rows.map(jobFromRaw);
  }

  async getJobByKey(jobKey: number): Promise<JobRow | null> {
    const { rows } = await this.pool.query<RawJob>('SELECT * FROM af_bj_jobs WHERE job_key = $1', [jobKey]);
    return rows[0] ? jobFromRaw(rows[0]) : null;
  }

  async listRunnableJobs(): Promise<JobRow[]> {
    const { rows } = await this.pool.query<RawJob>(`SELECT * FROM af_bj_jobs WHERE status = 'IN_PROGRESS' ORDER BY job_key`);
    return rows.map(jobFromRaw);
  }

  async countJobs(handler: string, status: JobStatus): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = $1 AND handler = $2', [status, handler]);
    return Number(rows[0].n);
  }

  /** The advisory lock per handler makes count-then-promote atomic against other replicas. */
  async promoteQueued(handler: string, limit: number, events?: ChangeEvents<JobRow>, max = Number.MAX_SAFE_INTEGER): Promise<JobRow[]> {
    const { promoted, written } = await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PG_LOCK_CLASS, handler]);
      const { rows: [{ n }] } = await client.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = 'IN_PROGRESS' AND handler = $1`, [handler]);
      const free = Number.isFinite(limit) ? limit - Number(n) : Number.MAX_SAFE_INTEGER;
      if (free <= 0) return { promoted: [], written: [] };
      // The pick is a CTE, run once: as an IN (subquery) PostgreSQL may re-run it per row, and a
      // LIMIT … FOR UPDATE that skips rows this statement already updated would promote too many.
      const { rows } = await client.query<RawJob>(
        `WITH picked AS (
           SELECT job_key FROM af_bj_jobs WHERE status = 'QUEUED' AND handler = $1 ORDER BY job_key LIMIT $2 FOR UPDATE)
         UPDATE af_bj_jobs j SET status = 'IN_PROGRESS' FROM picked WHERE j.job_key = picked.job_key RETURNING j.*`,
        [handler, Math.max(0, Math.min(free, max, 1_000_000))],
      );
      const promoted = rows.map(jobFromRaw).sort((a, b) => a.jobKey - b.jobKey);
      const written: (WrittenBatch | null)[] = [];
      for (const job of promoted) written.push(await this.writeChangeEvents(client, job.jobKey, events, job));
      return { promoted, written };
    });
    reportWritten(events, written);
    return promoted;
  }

  async flush(input: FlushInput): Promise<FlushResult> {
    const row = await retryDeadlock(async () => (await this.pool.query<FlushRow>({ ...CALL_FLUSH, values: flushParams(input) })).rows[0]);
    this.track(input, row?.claimed ?? []);
    if (!row) return goneJobResult();
    return {
      claimed: row.claimed.map((c) => ({ index: Number(c.index), state: c.state, attempt: Number(c.attempt) })),
      counters: { status: row.status, total: Number(row.total), done: Number(row.done), failed: Number(row.failed), cancelled: Number(row.cancelled) },
      finishedJob: row.finished_job === true,
      nextRunAt: row.next_run_at === null ? null : Number(row.next_run_at),
      running: Number(row.running),
      slots: Number(row.slots),
      lastSeq: row.event_seq === null ? null : Number(row.event_seq),
      // Written by the function in the same transaction (postgres-flush.ts, step 3); the same object here.
      ...(row.finished_job && input.job ? { finishedEvent: finishedEventOf(input.job, row.status, input.now, Number(row.failed), row.last_error) } : {}),
    };
  }

  /** The owner's leases after a flush: less what it finished or gave back, plus what it claimed. */
  private track(input: FlushInput, claimed: { index: number }[]): void {
    let jobs = this.held.get(input.owner);
    let tasks = jobs?.get(input.jobKey);
    for (const task of input.finished) tasks?.delete(task.index);
    for (const task of input.rescheduled) tasks?.delete(task.index);
    if (claimed.length > 0) {
      if (!jobs) this.held.set(input.owner, (jobs = new Map()));
      if (!tasks) jobs.set(input.jobKey, (tasks = new Set()));
      for (const c of claimed) tasks.add(Number(c.index));
    }
    if (tasks && tasks.size === 0) jobs!.delete(input.jobKey);
    if (jobs && jobs.size === 0) this.held.delete(input.owner);
  }

  async appendEvents(jobKey: number, owner: string, now: number, events: EngineEvent[]): Promise<number | null> {
    if (events.length === 0) return null;
    // One statement in autocommit: the job row stays locked for that statement only, not for
    // round trips to a process that may be busy running tasks meanwhile.
    return this.appendEventsIn(this.pool, jobKey, owner, now, events, isStaleProgress(events));
  }

  /**
   * Numbers the events after the job's last sequence and writes them as one row, in one statement
   * (inside the caller's transaction, or on its own): serialised with flushes of the job by its row
   * lock; notifies the log followers at commit.
   */
  private async appendEventsIn(client: Pick<PoolClient, 'query'>, jobKey: number, owner: string, now: number, events: EngineEvent[], skipIfFinished = false): Promise<number | null> {
    const { rows } = await client.query<{ last_seq: string }>(
      `WITH s AS (
         UPDATE af_bj_jobs SET last_seq = last_seq + $1::int
         WHERE job_key = $2::bigint AND NOT ($3::boolean AND status IN (${FINISHED})) RETURNING last_seq),
       ins AS (
         INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload)
         SELECT $2::bigint, last_seq, last_seq - $1::int + 1, $4::text, $5::bigint, $6::text FROM s)
       SELECT last_seq, pg_notify('af_bj_events', $2::text || ':' || last_seq::text || ':' || $4::text) FROM s`,
      [events.length, jobKey, skipIfFinished, owner, Math.round(now), withoutNul(eventPayload(events))]);
    return rows[0] ? Number(rows[0].last_seq) : null;
  }

  /** A change's events, built from what the transaction saw and written with it (inside the caller's transaction). */
  private async writeChangeEvents<T>(client: PoolClient, jobKey: number, events: ChangeEvents<T> | undefined, info: T): Promise<WrittenBatch | null> {
    const built = events?.build(info) ?? [];
    if (!events || built.length === 0) return null;
    const lastSeq = await this.appendEventsIn(client, jobKey, events.owner, events.now, built);
    return lastSeq === null ? null : { jobKey, lastSeq, events: built };
  }

  /**
   * LISTEN on a dedicated pooled connection. If it breaks, it is given back (destroyed) and taken
   * again after a second; the log follower polls meanwhile, so nothing is missed, only later.
   */
  async listenEvents(onEvents: (jobKey: number, lastSeq: number, owner: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: PoolClient | null = null;
    /** Gives `client` back once (its `drop`). */
    let onError: ((error?: Error) => void) | null = null;
    let retry: NodeJS.Timeout | null = null;
    const onNotification = (msg: { channel: string; payload?: string }) => {
      if (msg.channel !== 'af_bj_events' || !msg.payload) return;
      const [key, seq, ...owner] = msg.payload.split(':');
      onEvents(Number(key), Number(seq), owner.join(':'));
    };
    const connect = async (): Promise<void> => {
      const c = await this.pool.connect();
      let released = false;
      const drop = (error?: Error) => {
        c.removeListener('notification', onNotification);
        c.removeListener('error', drop);
        if (client === c) client = null;
        if (released) return;
        released = true;
        c.release(error ?? true);
        if (!stopped) {
          retry = setTimeout(() => { connect().catch(() => drop0()); }, 1000);
          retry.unref();
        }
      };
      const drop0 = () => {
        if (!stopped) {
          retry = setTimeout(() => { connect().catch(() => drop0()); }, 1000);
          retry.unref();
        }
      };
      c.on('notification', onNotification);
      c.on('error', drop);
      try {
        await c.query('LISTEN af_bj_events');
      } catch (error) {
        drop(error as Error);
        throw error;
      }
      client = c;
      onError = drop;
      // Stopped while this connected (a retry): nothing will listen on it.
      if (stopped) drop();
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      // The connection is closed, not pooled again: pooled, its later errors (a dropped database)
      // would reach a `drop` still listening, and pg-pool throws, uncaught, on a second release.
      // `drop` releases once, whichever comes first.
      onError?.();
      client = null;
    };
  }

  async readEvents(jobKey: number, after: number, limit: number): Promise<EventRead> {
    const { rows } = await this.pool.query<RawEventRow & { last_seq: string; oldest: string | null }>(
      `SELECT e.*, j.last_seq, (SELECT first_seq FROM af_bj_events o WHERE o.job_key = $1 ORDER BY seq LIMIT 1) AS oldest
       FROM (SELECT last_seq FROM af_bj_jobs WHERE job_key = $1) j
       LEFT JOIN LATERAL (SELECT * FROM af_bj_events WHERE job_key = $1 AND seq > $2 ORDER BY seq LIMIT $3) e ON true`,
      [jobKey, after, limit]);
    if (rows.length === 0) return { batches: [], lastSeq: 0, oldestSeq: null };
    return {
      batches: rows.filter((r) => r.seq !== null).map(batchFromRaw),
      lastSeq: Number(rows[0].last_seq),
      oldestSeq: rows[0].oldest === null ? null : Number(rows[0].oldest),
    };
  }

  async eventCursors(finishedSince: number): Promise<{ jobKey: number; lastSeq: number }[]> {
    const { rows } = await this.pool.query<{ job_key: string; last_seq: string }>(
      `SELECT job_key, last_seq FROM af_bj_jobs WHERE status IN (${ACTIVE}) AND last_seq > 0
       UNION ALL SELECT job_key, last_seq FROM af_bj_jobs WHERE finished_at >= $1 AND last_seq > 0 AND status NOT IN (${ACTIVE})`,
      [Math.round(finishedSince)]);
    return rows.map((r) => ({ jobKey: Number(r.job_key), lastSeq: Number(r.last_seq) }));
  }

  async pruneEvents(finishedBefore: number, maxPerJob: number): Promise<number> {
    const a = await this.pool.query(`DELETE FROM af_bj_events e USING af_bj_jobs j
      WHERE e.job_key = j.job_key AND j.finished_at < $1 AND j.status NOT IN (${ACTIVE})`, [Math.round(finishedBefore)]);
    const b = await this.pool.query(`DELETE FROM af_bj_events e USING af_bj_jobs j
      WHERE e.job_key = j.job_key AND e.seq <= j.last_seq - $1`, [maxPerJob]);
    return (a.rowCount ?? 0) + (b.rowCount ?? 0);
  }

  async getTasks(jobKey: number, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    const statuses = opts.status && opts.status.length > 0 ? opts.status : null;
    const where = statuses ? 'job_key = $1 AND status = ANY($2::text[])' : 'job_key = $1';
    const params: unknown[] = statuses ? [jobKey, statuses] : [jobKey];
    const n = params.length;
    const [{ rows }, { counts, purged }] = await Promise.all([
      this.pool.query<{ idx: number; status: TaskStatus; state: string; attempt: number; error: string | null }>(
        `SELECT idx, status, state, attempt, error FROM af_bj_tasks WHERE ${where} ORDER BY idx LIMIT $${n + 1} OFFSET $${n + 2}`,
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

  /** The job row keeps every count, the running tasks too (af_bj_jobs.running, postgres-flush.ts); `purged`: retention deleted its task rows. */
  private async countsOf(jobKey: number): Promise<{ counts: Record<TaskStatus, number>; purged: boolean }> {
    const { rows: [job] } = await this.pool.query<{ total: number; done: number; failed: number; cancelled: number; running: number; tasks_purged_at: string | null }>(
      `SELECT total, done, failed, cancelled, running, tasks_purged_at FROM af_bj_jobs WHERE job_key = $1 AND status <> 'DRAFT'`, [jobKey]);
    return { counts: taskCountsOf(job, Number(job?.running ?? 0)), purged: job?.tasks_purged_at != null };
  }

  async updateJobState(
    jobKey: number, mutate: (state: Record<string, unknown>) => Record<string, unknown>, events?: ChangeEvents<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const { next, written } = await this.transaction(async (client) => {
      const { rows } = await client.query<{ state: string }>('SELECT state FROM af_bj_jobs WHERE job_key = $1 FOR UPDATE', [jobKey]);
      const next = mutate(rows[0] ? JSON.parse(rows[0].state) : {});
      await client.query('UPDATE af_bj_jobs SET state = $1 WHERE job_key = $2', [JSON.stringify(next), jobKey]);
      return { next, written: rows[0] ? await this.writeChangeEvents(client, jobKey, events, next) : null };
    });
    reportWritten(events, [written]);
    return next;
  }

  /**
   * The job row first (as every writer but the flush takes it; a flush writing its leased tasks
   * meanwhile may deadlock with this, and one of the two is run again, `retryDeadlock`). Running
   * tasks end CANCELLED too, whoever leases them, with their leases: their owners' later outcomes
   * change nothing (the flush writes only tasks it leases), and the running counts the flush and
   * the recovery pass rely on (`running` of the job and of each owner) move with them, as in the
   * recovery pass. The owner's store forgets them from `held` when that outcome is flushed (or at
   * its next heartbeat).
   */
  async cancelJob(jobKey: number, now: number, events?: ChangeEvents<CancelInfo>): Promise<{ changed: boolean; status: JobStatus | 'DRAFT' }> {
    const { result, written } = await this.transaction(async (client) => {
      const { rowCount } = await client.query(`UPDATE af_bj_jobs SET status = 'CANCELLED', finished_at = $1
        WHERE job_key = $2 AND status IN (${ACTIVE})`, [Math.round(now), jobKey]);
      const changed = rowCount === 1;
      let cancelledRunning: number[] = [];
      if (changed) {
        const { rows: [ended] } = await client.query<{ running: number[] }>(`WITH old AS (
            SELECT idx, status = 'IN_PROGRESS' AS was_running, lease_owner FROM af_bj_tasks
            WHERE job_key = $1 AND status IN (${sqlInList(UNFINISHED_TASK_STATUSES)}) ORDER BY idx FOR UPDATE),
          c AS (
            UPDATE af_bj_tasks t SET status = 'CANCELLED', returned = false, lease_owner = NULL, lease_expires = NULL
            FROM old WHERE t.job_key = $1 AND t.idx = old.idx
            RETURNING old.idx, old.was_running, old.lease_owner),
          owners AS (
            UPDATE af_bj_interest i SET running = GREATEST(0, i.running - o.n)
            FROM (SELECT lease_owner, count(*)::int AS n FROM c WHERE was_running GROUP BY lease_owner) o
            WHERE i.job_key = $1 AND i.owner = o.lease_owner),
          job AS (
            UPDATE af_bj_jobs SET cancelled = cancelled + (SELECT count(*) FROM c),
              running = GREATEST(0, running - (SELECT count(*) FROM c WHERE was_running))
            WHERE job_key = $1)
          SELECT COALESCE(array_agg(idx ORDER BY idx) FILTER (WHERE was_running), '{}') AS running FROM c`, [jobKey]);
        cancelledRunning = ended.running.map(Number);
      }
      const { rows } = await client.query<RawJob>('SELECT * FROM af_bj_jobs WHERE job_key = $1', [jobKey]);
      const result = { changed, status: rows[0]?.status ?? 'CANCELLED' };
      return { result, written: changed && rows[0] ? await this.writeChangeEvents(client, jobKey, events, { ...jobFromRaw(rows[0]), cancelledRunning }) : null };
    });
    reportWritten(events, [written]);
    return result;
  }

  async retryJob(
    jobKey: number, scope: 'failed' | 'unfinished' | number[], status: 'IN_PROGRESS' | 'QUEUED', events?: ChangeEvents<RetryInfo>,
  ): Promise<number> {
    const { tasks, written } = await this.transaction(async (client) => {
      // The job row first, as a flush takes it: no flush of this job interleaves with the reset.
      await client.query('SELECT 1 FROM af_bj_jobs WHERE job_key = $1 FOR UPDATE', [jobKey]);
      // A task put back below claim_from is `returned`: the claim finds it by that flag, and the
      // tasks from claim_from on by walking there (postgres-flush.ts).
      const reset = (where: string, params: unknown[]) => client.query<{ n: number }>(`WITH r AS (
          UPDATE af_bj_tasks SET status = 'SCHEDULED', error = NULL, run_after = 0, lease_owner = NULL, lease_expires = NULL,
            returned = idx < (SELECT claim_from FROM af_bj_jobs WHERE job_key = $1)
          WHERE ${where} RETURNING idx)
        SELECT count(*)::int AS n FROM r`, params);
      let result: { n: number } = { n: 0 };
      if (scope === 'failed' || scope === 'unfinished') {
        result = (await reset(`job_key = $1 AND status IN (${sqlInList(RETRIED_TASK_STATUSES[scope])})`, [jobKey])).rows[0];
      } else if (scope.length > 0) {
        result = (await reset(`job_key = $1 AND idx = ANY($2::int[]) AND status IN (${sqlInList(RETRIED_TASK_STATUSES.chosen)})`, [jobKey, scope])).rows[0];
      }
      const n = Number(result.n);
      const { rows: [{ n: scheduled }] } = await client.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM af_bj_tasks WHERE job_key = $1 AND status = 'SCHEDULED'`, [jobKey]);
      if (Number(scheduled) === 0) return { tasks: 0, written: null };
      // Counters recomputed from the tasks (the job row is locked: they cannot move meanwhile).
      const { rows: [job] } = await client.query<RawJob>(`UPDATE af_bj_jobs j SET status = $1, finished_at = NULL, done = c.done, failed = c.failed,
          cancelled = c.cancelled, running = c.running
        FROM (SELECT COUNT(*) FILTER (WHERE status = 'DONE') AS done, COUNT(*) FILTER (WHERE status = 'FAILED') AS failed,
                     COUNT(*) FILTER (WHERE status = 'CANCELLED') AS cancelled, COUNT(*) FILTER (WHERE status = 'IN_PROGRESS') AS running
              FROM af_bj_tasks WHERE job_key = $2) c
        WHERE j.job_key = $2 RETURNING j.*`, [status, jobKey]);
      return { tasks: n, written: job ? await this.writeChangeEvents(client, jobKey, events, { job: jobFromRaw(job), tasks: n }) : null };
    });
    reportWritten(events, [written]);
    return tasks;
  }

  async jobsToPurge(finishedBefore: number, limit: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ job_key: string }>(`SELECT job_key FROM af_bj_jobs
      WHERE tasks_purged_at IS NULL AND finished_at < $1 AND status IN (${FINISHED}) ORDER BY finished_at LIMIT $2`,
    [Math.round(finishedBefore), limit]);
    return rows.map((r) => Number(r.job_key));
  }

  /**
   * One short transaction: the job row (FOR SHARE: a retry cannot reopen it meanwhile), then at
   * most `limit` task rows by primary key. A finished job's tasks are leased by nobody, so no
   * flush holds them.
   */
  async purgeTasks(jobKey: number, limit: number, now: number): Promise<number> {
    return this.transaction(async (client) => {
      const { rows: [job] } = await client.query(`SELECT 1 FROM af_bj_jobs WHERE job_key = $1 AND status IN (${FINISHED}) FOR SHARE`, [jobKey]);
      if (!job) return 0;
      // The chunk's keys as one array first (an InitPlan), then an index scan on (job_key, idx =
      // ANY): the same plan at any size. With `idx IN (SELECT ...)` the planner chose by the job's
      // estimated size, and for some sizes hash-joined the chunk with every row of the job, read
      // again for each chunk (bench/README.md, "Retention on a 1,000,000-task table").
      const { rowCount } = await client.query(`DELETE FROM af_bj_tasks WHERE job_key = $1 AND idx = ANY (ARRAY(
        SELECT idx FROM af_bj_tasks WHERE job_key = $1 ORDER BY idx LIMIT $2))`, [jobKey, limit]);
      const deleted = rowCount ?? 0;
      if (deleted < limit) await client.query('UPDATE af_bj_jobs SET tasks_purged_at = $2 WHERE job_key = $1', [jobKey, Math.round(now)]);
      return deleted;
    });
  }

  async jobsToDelete(finishedBefore: number, limit: number): Promise<{ jobKey: number; jobId: string | null }[]> {
    const { rows } = await this.pool.query<{ job_key: string; job_id: string | null }>(`SELECT job_key, job_id FROM af_bj_jobs
      WHERE finished_at < $1 AND status IN (${FINISHED}) ORDER BY finished_at LIMIT $2`, [Math.round(finishedBefore), limit]);
    return rows.map((r) => ({ jobKey: Number(r.job_key), jobId: r.job_id }));
  }

  async deleteJob(jobKey: number): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT 1 FROM af_bj_jobs WHERE job_key = $1 FOR UPDATE', [jobKey]);
      await client.query('DELETE FROM af_bj_interest WHERE job_key = $1', [jobKey]);
      await client.query('DELETE FROM af_bj_events WHERE job_key = $1', [jobKey]);
      await client.query('DELETE FROM af_bj_tasks WHERE job_key = $1', [jobKey]);
      await client.query('DELETE FROM af_bj_jobs WHERE job_key = $1', [jobKey]);
    });
  }

  /**
   * The job row first (`FOR UPDATE`), so its status cannot change while the tasks go in: a flush
   * that would finish the job waits, then counts the new total. The highest index is read after
   * the lock (a statement's snapshot is taken when it starts: read with the lock, it could miss the
   * tasks of an `addTasks` that committed while this one waited). `claim_from` comes down to the
   * first new task when it had passed the end of the job (postgres-flush.ts): the claim walks
   * from there, and no task from there on was ever claimed.
   */
  async addTasks(jobKey: number, states: string[], events?: ChangeEvents<AddedTasks>): Promise<AddedTasks | { status: JobStatus | 'DRAFT' } | null> {
    const { result, written } = await this.transaction(async (client) => {
      const { rows: [job] } = await client.query<{ status: JobStatus | 'DRAFT' }>(
        'SELECT status FROM af_bj_jobs WHERE job_key = $1 FOR UPDATE', [jobKey]);
      if (!job) return { result: null, written: null };
      if (!isActiveJobStatus(job.status)) return { result: { status: job.status }, written: null };
      const { rows: [last] } = await client.query<{ idx: number | null; next_index: number }>(
        `SELECT (SELECT idx FROM af_bj_tasks WHERE job_key = $1 ORDER BY idx DESC LIMIT 1) AS idx, next_index FROM af_bj_jobs WHERE job_key = $1`, [jobKey]);
      // Never an index a deleted task had: its owner may still report on it (next_index).
      const firstIndex = Math.max(last.idx === null ? 0 : Number(last.idx) + 1, Number(last.next_index));
      for (let from = 0; from < states.length; from += ADD_CHUNK) {
        await client.query(`INSERT INTO af_bj_tasks (job_key, idx, status, state)
          SELECT $1, $2 + s.n - 1, 'SCHEDULED', s.state FROM unnest($3::text[]) WITH ORDINALITY AS s(state, n)`,
        [jobKey, firstIndex + from, states.slice(from, from + ADD_CHUNK)]);
      }
      const { rows: [row] } = await client.query<RawJob>(`UPDATE af_bj_jobs SET total = total + $2::int,
          claim_from = CASE WHEN $2::int > 0 THEN LEAST(claim_from, $3::int) ELSE claim_from END
        WHERE job_key = $1 RETURNING *`, [jobKey, states.length, firstIndex]);
      const result: AddedTasks = { job: jobFromRaw(row), firstIndex, count: states.length };
      return { result, written: await this.writeChangeEvents(client, jobKey, events, result) };
    });
    reportWritten(events, [written]);
    return result;
  }

  /**
   * The task row, then the job row: the flush's lock order (postgres-flush.ts). A flush writing
   * this task holds its row until it commits and, once it has the job row, waits for no task row
   * (its claim skips locked ones), so the two never deadlock: the delete waits a moment instead,
   * without holding the job row every other flush of the job needs. (Cancel, retry and the
   * recovery pass take the job row first: against those one of the two runs again, `retryDeadlock`.)
   * The status is read again under the job row lock; a job that finished or was cancelled in
   * between refuses, and the delete is rolled back. A leased task takes its lease with it: the
   * running counts of the job and of its owner (af_bj_interest) move, so its run slot is free.
   * `claim_from` needs nothing: below it only `returned` rows are looked at, from it on the claim
   * walks the primary key, which a missing row does not disturb.
   */
  async deleteTask(jobKey: number, index: number, events?: ChangeEvents<DeletedTask>): Promise<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null> {
    try {
      const { result, written } = await this.transaction(async (client) => {
        const { rows: [found] } = await client.query<{ job_status: JobStatus | 'DRAFT'; status: TaskStatus | null; lease_owner: string | null }>(
          `WITH d AS (
             DELETE FROM af_bj_tasks WHERE job_key = $1 AND idx = $2
               AND EXISTS (SELECT 1 FROM af_bj_jobs WHERE job_key = $1 AND status IN (${ACTIVE}))
             RETURNING status, lease_owner)
           SELECT j.status AS job_status, d.status, d.lease_owner FROM af_bj_jobs j LEFT JOIN d ON true WHERE j.job_key = $1`,
          [jobKey, index]);
        if (!found) return { result: null, written: null };
        if (!isActiveJobStatus(found.job_status)) return { result: { status: found.job_status }, written: null };
        if (found.status === null) return { result: 'no-task' as const, written: null };
        const leaseOwner = found.status === 'IN_PROGRESS' ? found.lease_owner : null;
        const { rows: [row] } = await client.query<RawJob>(`WITH job AS (
            UPDATE af_bj_jobs SET total = total - 1, next_index = GREATEST(next_index, $4::int),
              done = done - (($2::text = 'DONE')::int), failed = failed - (($2::text = 'FAILED')::int),
              cancelled = cancelled - (($2::text = 'CANCELLED')::int), running = GREATEST(0, running - (($2::text = 'IN_PROGRESS')::int))
            WHERE job_key = $1 AND status IN (${ACTIVE}) RETURNING *),
          owner AS (
            UPDATE af_bj_interest SET running = GREATEST(0, running - 1)
            WHERE job_key = $1 AND owner = $3::text AND EXISTS (SELECT 1 FROM job))
          SELECT * FROM job`, [jobKey, found.status, leaseOwner, index + 1]);
        if (!row) {
          const { rows: [now] } = await client.query<{ status: JobStatus | 'DRAFT' }>('SELECT status FROM af_bj_jobs WHERE job_key = $1', [jobKey]);
          throw new Refused(now?.status ?? null);
        }
        const result: DeletedTask = { job: jobFromRaw(row), index, status: found.status, leaseOwner };
        return { result, written: await this.writeChangeEvents(client, jobKey, events, result) };
      });
      reportWritten(events, [written]);
      return result;
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return error.status === null ? null : { status: error.status };
    }
  }

  async claimFinish(jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null> {
    const { rows: [row] } = await this.pool.query<JobCounters & { finish_attempts: number }>(
      `UPDATE af_bj_jobs SET finish_owner = $2, finish_until = $3
       WHERE job_key = $1 AND status = 'IN_PROGRESS' AND ${ALL_TASKS_FINISHED_SQL} AND (finish_owner IS NULL OR finish_until < $4)
       RETURNING status, total, done, failed, cancelled, finish_attempts`,
      [jobKey, owner, Math.round(now + leaseMs), Math.round(now)]);
    if (!row) return null;
    const { finish_attempts: attempts, ...counters } = row;
    return { attempt: Number(attempts) + 1, counters: numericCounters(counters) };
  }

  async renewFinish(jobKey: number, owner: string, until: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE af_bj_jobs SET finish_until = $3 WHERE job_key = $1 AND finish_owner = $2',
      [jobKey, owner, Math.round(until)]);
    return rowCount === 1;
  }

  /** Only the job row is locked (by the updates): the status and counters it checks are current. */
  async finishJob(jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>): Promise<{ finished: boolean; job: JobRow | null }> {
    const { result, written } = await this.transaction(async (client) => {
      const current = async () => {
        const { rows: [raw] } = await client.query<RawJob>('SELECT * FROM af_bj_jobs WHERE job_key = $1', [jobKey]);
        return { result: { finished: false, job: raw ? jobFromRaw(raw) : null }, written: null };
      };
      if (attempt !== null) {
        const { rowCount } = await client.query(
          'UPDATE af_bj_jobs SET finish_owner = NULL, finish_until = 0, finish_attempts = $3 WHERE job_key = $1 AND finish_owner = $2',
          [jobKey, owner, attempt]);
        if (rowCount !== 1) return current();
      }
      const { rows: [row] } = await client.query<RawJob>(`UPDATE af_bj_jobs SET status = ${FINISHED_JOB_STATUS_SQL}, finished_at = $2
        WHERE job_key = $1 AND status = 'IN_PROGRESS' AND ${ALL_TASKS_FINISHED_SQL} AND (finish_owner IS NULL OR finish_until < $2)
        RETURNING *`, [jobKey, Math.round(now)]);
      if (!row) return current();
      const job = jobFromRaw(row);
      return { result: { finished: true, job }, written: await this.writeChangeEvents(client, jobKey, events, job) };
    });
    reportWritten(events, [written]);
    return result;
  }

  /**
   * One statement: of owners racing for a free lock, one inserts; the others' inserts wait for it
   * to commit, then take the conflict branch, whose condition sees the winner's row (not theirs,
   * not expired): exactly one gets it.
   */
  async acquireLock(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`INSERT INTO af_bj_locks AS l (name, owner, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
      WHERE l.owner = excluded.owner OR l.expires_at < $4`, [name, owner, Math.round(now + ttlMs), Math.round(now)]);
    return rowCount === 1;
  }

  async renewLock(name: string, owner: string, expiresAt: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE af_bj_locks SET expires_at = $3 WHERE name = $1 AND owner = $2',
      [name, owner, Math.round(expiresAt)]);
    return rowCount === 1;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM af_bj_locks WHERE name = $1 AND owner = $2', [name, owner]);
  }

  /**
   * Renews the leases this store claimed for the owner (`held`), by key, in key order — the order
   * a flush locks its tasks in; those no longer the owner's are forgotten. Then, in its own
   * statement (one row lock per job, none of the task rows held meanwhile), the owner's rows of
   * `af_bj_interest`: their `slots_expire` is also how far the owner's leases in that job reach,
   * which is how the recovery pass tells where to look.
   */
  async heartbeat(worker: WorkerInfo, leaseMs: number): Promise<void> {
    const jobs: number[] = [];
    const indexes: number[] = [];
    for (const [jobKey, tasks] of this.held.get(worker.owner) ?? []) {
      for (const index of tasks) {
        jobs.push(jobKey);
        indexes.push(index);
      }
    }
    const { rows } = await this.pool.query<{ job_key: string; idx: number }>(`WITH w AS (
        INSERT INTO af_bj_workers (owner, host, pid, heartbeat_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at),
      mine AS (
        SELECT t.job_key, t.idx FROM af_bj_tasks t, unnest($6::bigint[], $7::int[]) AS h(job_key, idx)
        WHERE t.job_key = h.job_key AND t.idx = h.idx AND t.lease_owner = $1 AND t.status = 'IN_PROGRESS'
        ORDER BY t.job_key, t.idx FOR UPDATE OF t)
      UPDATE af_bj_tasks t SET lease_expires = $5 FROM mine
      WHERE t.job_key = mine.job_key AND t.idx = mine.idx AND t.lease_owner = $1 AND t.status = 'IN_PROGRESS'
      RETURNING t.job_key, t.idx`,
    [worker.owner, worker.host, worker.pid, Math.round(worker.heartbeatAt), Math.round(worker.heartbeatAt + leaseMs), jobs, indexes]);
    const renewed = new Set(rows.map((r) => `${r.job_key}:${r.idx}`));
    const held = this.held.get(worker.owner);
    for (let n = 0; n < jobs.length; n++) {
      if (renewed.has(`${jobs[n]}:${indexes[n]}`)) continue;
      const tasks = held?.get(jobs[n]);
      tasks?.delete(indexes[n]);
      if (tasks?.size === 0) held!.delete(jobs[n]);
    }
    if (held?.size === 0) this.held.delete(worker.owner);
    await this.pool.query('UPDATE af_bj_interest SET slots_expire = $2 WHERE owner = $1 AND (slots > 0 OR running > 0)',
      [worker.owner, Math.round(worker.heartbeatAt + leaseMs)]);
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const { rows } = await this.pool.query<{ owner: string; host: string; pid: number; heartbeat_at: string }>(
      'SELECT owner, host, pid, heartbeat_at FROM af_bj_workers');
    return rows.map((r) => ({ owner: r.owner, host: r.host, pid: Number(r.pid), heartbeatAt: Number(r.heartbeat_at) }));
  }

  /**
   * Lost tasks go back to SCHEDULED, flagged `returned` (or end CANCELLED when their job was
   * cancelled), and the counters the flush relies on (`running` of the job and of the owner) move
   * with them, under the job row locks, taken first, as every other writer takes them.
   *
   * No index finds IN_PROGRESS tasks (migration 5), so the pass first picks the jobs to look into:
   * those where an owner's row of `af_bj_interest` counts running tasks and its leases (renewed
   * with it by the heartbeat) ran out, or the owner is dead — and, should a count be off, those
   * whose live owners account for fewer running tasks than the job counts. Only their tasks are
   * read, all of them: a rare pass, after a process died.
   */
  async recoverExpiredLeases(now: number, deadOwners: string[]): Promise<number> {
    return this.transaction(async (client) => {
      const { rows: suspects } = await client.query<{ job_key: string }>(`SELECT job_key FROM af_bj_jobs WHERE job_key IN (
          SELECT job_key FROM af_bj_interest WHERE running > 0 AND (slots_expire < $1 OR owner = ANY($2::text[]))
          UNION
          SELECT j.job_key FROM af_bj_jobs j WHERE j.status IN ('IN_PROGRESS', 'CANCELLED') AND j.running > 0 AND j.running > (
            SELECT COALESCE(sum(i.running), 0) FROM af_bj_interest i
            WHERE i.job_key = j.job_key AND i.slots_expire >= $1 AND NOT (i.owner = ANY($2::text[]))))
        ORDER BY job_key FOR UPDATE`, [Math.round(now), deadOwners]);
      const params = [Math.round(now), deadOwners, suspects.map((r) => r.job_key)];
      const { rows: [{ n }] } = await client.query<{ n: number }>(`WITH lost AS (
          SELECT t.job_key, t.idx, t.lease_owner, j.status = 'CANCELLED' AS cancel
          FROM af_bj_tasks t JOIN af_bj_jobs j ON j.job_key = t.job_key
          WHERE t.job_key = ANY($3::bigint[]) AND t.status = 'IN_PROGRESS' AND (t.lease_expires < $1 OR t.lease_owner = ANY($2::text[]))
          FOR UPDATE OF t),
        moved AS (
          UPDATE af_bj_tasks t SET status = CASE WHEN lost.cancel THEN 'CANCELLED' ELSE 'SCHEDULED' END,
            lease_owner = NULL, lease_expires = NULL, returned = NOT lost.cancel
          FROM lost WHERE t.job_key = lost.job_key AND t.idx = lost.idx
          RETURNING lost.job_key, lost.idx, lost.lease_owner, lost.cancel),
        per_job AS (
          SELECT job_key, count(*)::int AS n, count(*) FILTER (WHERE cancel)::int AS cancelled
          FROM moved GROUP BY job_key),
        jobs AS (
          UPDATE af_bj_jobs j SET running = GREATEST(0, j.running - p.n), cancelled = j.cancelled + p.cancelled
          FROM per_job p WHERE j.job_key = p.job_key),
        owners AS (
          UPDATE af_bj_interest i SET running = GREATEST(0, i.running - o.n)
          FROM (SELECT job_key, lease_owner, count(*)::int AS n FROM moved GROUP BY job_key, lease_owner) o
          WHERE i.job_key = o.job_key AND i.owner = o.lease_owner)
        SELECT count(*)::int AS n FROM moved`, params);
      if (deadOwners.length > 0) {
        // Their finish claims end (the owner stays named, so its own late finishJob still releases it).
        await client.query('UPDATE af_bj_jobs SET finish_until = 0 WHERE finish_owner = ANY($1::text[]) AND finish_until <> 0', [deadOwners]);
        await client.query('DELETE FROM af_bj_workers WHERE owner = ANY($1::text[])', [deadOwners]);
        await client.query('DELETE FROM af_bj_interest WHERE owner = ANY($1::text[])', [deadOwners]);
      }
      // Interest older than an hour belongs to runners long gone (unless they still hold tasks).
      await client.query('DELETE FROM af_bj_interest WHERE at < $1 AND running = 0 AND (slots = 0 OR slots_expire < $2)', [Math.round(now) - 3600_000, Math.round(now)]);
      return Number(n);
    });
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.recoverExpiredLeases(0, [owner]);
    // Its leases are given back: nothing of it is left to renew.
    this.held.delete(owner);
  }

  async discardStaleDrafts(deadOwners: string[], olderThan: number): Promise<number> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ job_key: string }>(`SELECT job_key FROM af_bj_jobs
        WHERE status = 'DRAFT' AND (created_at < $1 OR owner = ANY($2::text[])) FOR UPDATE`, [Math.round(olderThan), deadOwners]);
      if (rows.length === 0) return 0;
      const keys = rows.map((r) => r.job_key);
      await client.query('DELETE FROM af_bj_tasks WHERE job_key = ANY($1::bigint[])', [keys]);
      await client.query('DELETE FROM af_bj_jobs WHERE job_key = ANY($1::bigint[])', [keys]);
      return rows.length;
    });
  }
}
