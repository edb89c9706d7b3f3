/**
 * JobStore on SQLite, through the better-sqlite3 `Database` that AdminForth's sqlite connector
 * holds (`dataConnector.client`, contract §2). better-sqlite3 is synchronous: each method runs in
 * one `transaction()` and returns a settled promise, so nothing interleaves with the connector's
 * own statements on the same handle.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { JobStatus, TaskStatus } from '../statuses.js';
import {
  ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES, RETRIED_TASK_STATUSES, TASK_STATUSES, isActiveJobStatus, sqlInList,
} from '../statuses.js';
import type {
  AddedTasks, CancelInfo, ChangeEvents, ClaimedTask, DeletedTask, EventRead, FinishClaim, FlushInput, FlushResult, JobCounters, JobRow, JobStore,
  NewJob, RetryInfo, TaskRow, WorkerInfo,
} from './job-store.js';
import type { EngineEvent } from '../events.js';
import { batchFromRaw, eventPayload, isStaleProgress, reportWritten, type RawEventRow, type WrittenBatch } from './event-batches.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import type { SlotRow } from './slots.js';
import {
  ALL_TASKS_FINISHED_SQL, FINISHED_JOB_STATUS_SQL, afterClaim, flushResult, goneJobResult, planFlush, type FinishedCounts, type FlushRead,
} from './flush-plan.js';

const FINISHED = sqlInList(FINISHED_JOB_STATUSES);
const ACTIVE = sqlInList(ACTIVE_JOB_STATUSES);

interface RawJob {
  job_key: number; job_id: string | null; handler: string; name: string; status: JobStatus | 'DRAFT';
  started_by: string | null; total: number; done: number; failed: number; cancelled: number;
  state: string; last_error: string | null; created_at: number; finished_at: number | null;
  schedule_name?: string | null; schedule_tick?: number | string | null;
}

export function jobFromRaw(raw: RawJob): JobRow {
  return {
    jobKey: Number(raw.job_key),
    jobId: raw.job_id === null ? null : String(raw.job_id),
    handler: raw.handler,
    name: raw.name,
    status: raw.status,
    startedBy: raw.started_by,
    total: Number(raw.total),
    done: Number(raw.done),
    failed: Number(raw.failed),
    cancelled: Number(raw.cancelled),
    state: typeof raw.state === 'string' ? JSON.parse(raw.state) : (raw.state ?? {}),
    lastError: raw.last_error,
    createdAt: Number(raw.created_at),
    finishedAt: raw.finished_at === null ? null : Number(raw.finished_at),
    // Only on jobs a schedule started: every other row keeps the shape it always had.
    ...(raw.schedule_name === null || raw.schedule_name === undefined ? {}
      : { schedule: { name: raw.schedule_name, tick: raw.schedule_tick === null || raw.schedule_tick === undefined ? null : Number(raw.schedule_tick) } }),
  };
}

/** Counters as numbers (drivers may return BIGINT columns as strings). */
export function numericCounters(raw: JobCounters): JobCounters {
  return { status: raw.status, total: Number(raw.total), done: Number(raw.done), failed: Number(raw.failed), cancelled: Number(raw.cancelled) };
}

/**
 * Task counts from the job's counters (kept with every change, in its transaction) and its
 * running tasks (counted through an index, or kept too on PostgreSQL): O(1) in the job's size,
 * where a GROUP BY over its tasks took 18 ms on a 100,000-task job and starved it under 50
 * polling clients (issue 17).
 */
export function taskCountsOf(job: { total: number; done: number; failed: number; cancelled: number } | undefined, running: number): Record<TaskStatus, number> {
  const counts = emptyTaskCounts();
  if (!job) return counts;
  const [total, done, failed, cancelled] = [job.total, job.done, job.failed, job.cancelled].map(Number);
  counts.DONE = done;
  counts.FAILED = failed;
  counts.CANCELLED = cancelled;
  counts.IN_PROGRESS = running;
  counts.SCHEDULED = Math.max(0, total - done - failed - cancelled - running);
  return counts;
}

/** Tasks in `statuses` (all when none), from the counts. */
export function countOf(counts: Record<TaskStatus, number>, statuses: readonly TaskStatus[] | null): number {
  return (statuses ?? TASK_STATUSES).reduce((sum, status) => sum + counts[status], 0);
}

export function emptyTaskCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
}

export class SqliteJobStore implements JobStore {
  readonly kind = 'sqlite' as const;
  private readonly stmts = new Map<string, Statement>();

  constructor(private readonly db: Database, private readonly options: { tune?: boolean } = {}) {}

  /** Prepared once per SQL text: the hot path (flush) reuses its statements. */
  private st(sql: string): Statement {
    let stmt = this.stmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.stmts.set(sql, stmt);
    }
    return stmt;
  }

  async migrate(): Promise<void> {
    if (this.options.tune !== false) {
      // WAL lets the admin UI read while tasks commit; NORMAL sync is durable against a process
      // crash (the case the engine guarantees) though not against power loss. busy_timeout makes a
      // second process wait for the write lock instead of failing.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS af_bj_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    for (const migration of SQLITE_MIGRATIONS) {
      const apply = this.db.transaction(() => {
        const done = this.db.prepare('SELECT 1 FROM af_bj_migrations WHERE version = ?').get(migration.version);
        if (done) return;
        this.db.exec(migration.sql);
        this.db.prepare('INSERT INTO af_bj_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      });
      apply.immediate();
    }
  }

  async createDraft(job: NewJob): Promise<number> {
    const info = this.st(`INSERT INTO af_bj_jobs (handler, name, status, started_by, state, owner, created_at, schedule_name, schedule_tick)
      VALUES (?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?)`)
      .run(job.handler, job.name, job.startedBy, JSON.stringify(job.state), job.owner, job.now, job.schedule?.name ?? null, job.schedule?.tick ?? null);
    return Number(info.lastInsertRowid);
  }

  async appendTasks(jobKey: number, firstIndex: number, states: string[]): Promise<void> {
    const insert = this.st(`INSERT INTO af_bj_tasks (job_key, idx, status, state) VALUES (?, ?, 'SCHEDULED', ?)`);
    this.db.transaction(() => {
      for (let i = 0; i < states.length; i++) insert.run(jobKey, firstIndex + i, states[i]);
    })();
  }

  async activateDraft(jobKey: number, jobId: string, status: 'IN_PROGRESS' | 'QUEUED', total: number, events?: ChangeEvents<JobRow>): Promise<void> {
    const written = this.db.transaction(() => {
      const row = this.st(`UPDATE af_bj_jobs SET job_id = ?, status = ?, total = ?, owner = NULL WHERE job_key = ? AND status = 'DRAFT' RETURNING *`)
        .get(jobId, status, total, jobKey) as RawJob | undefined;
      return row ? this.writeChangeEvents(jobKey, events, jobFromRaw(row)) : null;
    }).immediate();
    reportWritten(events, [written]);
  }

  async discardDraft(jobKey: number): Promise<void> {
    this.db.transaction(() => {
      this.st('DELETE FROM af_bj_tasks WHERE job_key = ?').run(jobKey);
      this.st(`DELETE FROM af_bj_jobs WHERE job_key = ? AND status = 'DRAFT'`).run(jobKey);
    })();
  }

  async getJob(jobId: string): Promise<JobRow | null> {
    const raw = this.st('SELECT * FROM af_bj_jobs WHERE job_id = ?').get(String(jobId)) as RawJob | undefined;
    return raw ? jobFromRaw(raw) : null;
  }

  async getJobs(jobIds: string[]): Promise<JobRow[]> {
    if (jobIds.length === 0) return [];
    const rows = this.st('SELECT * FROM af_bj_jobs WHERE job_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(jobIds.map(String))) as RawJob[];
    return rows.map(jobFromRaw);
  }

  async getJobByKey(jobKey: number): Promise<JobRow | null> {
    const raw = this.st('SELECT * FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as RawJob | undefined;
    return raw ? jobFromRaw(raw) : null;
  }

  async listRunnableJobs(): Promise<JobRow[]> {
    const rows = this.st(`SELECT * FROM af_bj_jobs WHERE status = 'IN_PROGRESS' ORDER BY job_key`).all() as RawJob[];
    return rows.map(jobFromRaw);
  }

  async countJobs(handler: string, status: JobStatus): Promise<number> {
    const row = this.st('SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = ? AND handler = ?').get(status, handler) as { n: number };
    return Number(row.n);
  }

  async promoteQueued(handler: string, limit: number, events?: ChangeEvents<JobRow>, max = Number.MAX_SAFE_INTEGER): Promise<JobRow[]> {
    const { promoted, written } = this.db.transaction(() => {
      const running = (this.st(`SELECT COUNT(*) AS n FROM af_bj_jobs WHERE status = 'IN_PROGRESS' AND handler = ?`)
        .get(handler) as { n: number }).n;
      const free = Number.isFinite(limit) ? limit - running : Number.MAX_SAFE_INTEGER;
      if (free <= 0) return { promoted: [], written: [] };
      const queued = this.st(`SELECT * FROM af_bj_jobs WHERE status = 'QUEUED' AND handler = ? ORDER BY job_key LIMIT ?`)
        .all(handler, Math.min(free, max, 1_000_000)) as RawJob[];
      const promote = this.st(`UPDATE af_bj_jobs SET status = 'IN_PROGRESS' WHERE job_key = ? AND status = 'QUEUED'`);
      for (const job of queued) {
        promote.run(job.job_key);
        job.status = 'IN_PROGRESS';
      }
      const rows = queued.map(jobFromRaw);
      return { promoted: rows, written: rows.map((row) => this.writeChangeEvents(row.jobKey, events, row)) };
    }).immediate();
    reportWritten(events, written);
    return promoted;
  }

  private flushTransaction: ((input: FlushInput) => FlushResult) & { immediate(input: FlushInput): FlushResult } | null = null;

  async flush(input: FlushInput): Promise<FlushResult> {
    this.flushTransaction ??= this.db.transaction((i: FlushInput) => this.flushSync(i));
    return this.flushTransaction.immediate(input);
  }

  /**
   * The flush as flush-plan.ts decides it: the task writes (only to tasks this owner still leases:
   * the WHERE clauses, counting what each changed), then with the job read in this IMMEDIATE
   * transaction (no other writer runs, so read-then-write is atomic and the job turns DONE /
   * DONE_WITH_ERRORS in exactly one flush) the plan, and what it says to write.
   *
   * The claim names its index: without statistics SQLite would walk the primary key from the first
   * (long finished) task for ORDER BY idx, making each claim O(tasks done).
   */
  private flushSync(input: FlushInput): FlushResult {
    const { jobKey, owner, now } = input;
    const finished = this.writeTasks(input);
    const job = this.st('SELECT status, total, done, failed, cancelled, last_error FROM af_bj_jobs WHERE job_key = ?')
      .get(jobKey) as (JobCounters & { last_error: string | null }) | undefined;
    if (!job) return goneJobResult();
    const running = (this.st(`SELECT COUNT(*) AS n FROM af_bj_tasks WHERE job_key = ? AND status = 'IN_PROGRESS'`)
      .get(jobKey) as { n: number }).n;
    const held = (this.st(`SELECT COUNT(*) AS n FROM af_bj_tasks WHERE job_key = ? AND status = 'IN_PROGRESS' AND lease_owner = ?`)
      .get(jobKey, owner) as { n: number }).n;
    // Run slots (slots.ts): read afresh every flush; this IMMEDIATE transaction serialises them.
    const slotRows = this.st(`SELECT owner, at, slots, slots_expire AS slotsExpire FROM af_bj_interest WHERE job_key = ?`).all(jobKey) as SlotRow[];
    const read: FlushRead = { job: { ...job, lastError: job.last_error }, finished, running, held, slotRows };
    const plan = planFlush(input, read);

    if (plan.writeJob) {
      const { counters } = plan;
      this.st(`UPDATE af_bj_jobs SET done = ?, failed = ?, cancelled = ?, last_error = COALESCE(?, last_error),
        status = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE job_key = ?`)
        .run(counters.done, counters.failed, counters.cancelled, plan.lastError, counters.status, plan.finishedJob ? 1 : 0, now, jobKey);
    }
    let claimed: ClaimedTask[] = [];
    if (plan.claim > 0) {
      claimed = (this.st(`UPDATE af_bj_tasks SET status = 'IN_PROGRESS', attempt = attempt + 1, lease_owner = ?, lease_expires = ?
        WHERE job_key = ? AND idx IN (
          SELECT idx FROM af_bj_tasks INDEXED BY af_bj_tasks_by_status
          WHERE job_key = ? AND status = 'SCHEDULED' AND run_after <= ? ORDER BY idx LIMIT ?)
        RETURNING idx AS "index", state, attempt`)
        .all(owner, now + input.leaseMs, jobKey, jobKey, now, plan.claim) as ClaimedTask[]);
      claimed.sort((a, b) => a.index - b.index);
    }
    const after = afterClaim(input, read, plan, claimed.length);
    let nextRunAt: number | null = null;
    if (after.needsNextRunAt) {
      const next = this.st(`SELECT MIN(run_after) AS t FROM af_bj_tasks WHERE job_key = ? AND status = 'SCHEDULED'`)
        .get(jobKey) as { t: number | null };
      nextRunAt = next.t === null ? null : Number(next.t);
    }
    if (after.interest) {
      const { at, slots, slotsExpire } = after.interest;
      this.st(`INSERT INTO af_bj_interest (job_key, owner, at, slots, slots_expire) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (job_key, owner) DO UPDATE SET at = CASE WHEN ? THEN excluded.at ELSE at END, slots = excluded.slots, slots_expire = excluded.slots_expire`)
        .run(jobKey, owner, at ?? 0, slots, slotsExpire, at === null ? 0 : 1);
    }
    const lastSeq = plan.events.length > 0 ? this.appendEventsSync(jobKey, owner, now, plan.events) : null;
    return flushResult(plan, after, claimed, nextRunAt, lastSeq);
  }

  /**
   * The flush's task writes, each only where this owner still leases the task (a task whose lease
   * was lost — recovered by another process, cancelled, deleted — is not its to write), counting
   * the finishes that took effect. Straight from the input, in an order that gives what flush-plan.ts
   * `taskWrites` says: states, then finishes (plain successes in one statement), then reschedules,
   * which skip a task finished just before (it is no longer IN_PROGRESS). Building `taskWrites`
   * here cost the SQLite flush ~5% with small batches.
   */
  private writeTasks(input: FlushInput): FinishedCounts {
    const { jobKey, owner } = input;
    const finished: FinishedCounts = { done: 0, failed: 0, cancelled: 0 };
    if (input.states.size > 0) {
      const setState = this.st(`UPDATE af_bj_tasks SET state = ? WHERE job_key = ? AND idx = ? AND lease_owner = ?`);
      for (const [index, state] of input.states) setState.run(state, jobKey, index, owner);
    }
    if (input.finished.length > 0) {
      const succeeded: number[] = [];
      const others: FlushInput['finished'] = [];
      for (const task of input.finished) {
        if (task.status === 'DONE' && !task.error) succeeded.push(task.index);
        else others.push(task);
      }
      if (succeeded.length > 0) {
        finished.done = this.st(`UPDATE af_bj_tasks SET status = 'DONE', error = NULL, lease_owner = NULL, lease_expires = NULL
          WHERE job_key = ? AND status = 'IN_PROGRESS' AND lease_owner = ? AND idx IN (SELECT value FROM json_each(?))`)
          .run(jobKey, owner, JSON.stringify(succeeded)).changes;
      }
      if (others.length > 0) {
        const finish = this.st(`UPDATE af_bj_tasks SET status = ?, error = ?, lease_owner = NULL, lease_expires = NULL
          WHERE job_key = ? AND idx = ? AND status = 'IN_PROGRESS' AND lease_owner = ?`);
        for (const task of others) {
          if (finish.run(task.status, task.error ?? null, jobKey, task.index, owner).changes === 0) continue;
          if (task.status === 'DONE') finished.done++;
          else if (task.status === 'FAILED') finished.failed++;
          else finished.cancelled++;
        }
      }
    }
    if (input.rescheduled.length > 0) {
      const reschedule = this.st(`UPDATE af_bj_tasks SET status = 'SCHEDULED', error = ?, run_after = ?, lease_owner = NULL, lease_expires = NULL
        WHERE job_key = ? AND idx = ? AND status = 'IN_PROGRESS' AND lease_owner = ?`);
      for (const task of input.rescheduled) reschedule.run(task.error, task.runAfter, jobKey, task.index, owner);
    }
    return finished;
  }

  /** A change's events, built from what the transaction saw and written with it (inside the caller's transaction). */
  private writeChangeEvents<T>(jobKey: number, events: ChangeEvents<T> | undefined, info: T): WrittenBatch | null {
    const built = events?.build(info) ?? [];
    if (!events || built.length === 0) return null;
    const lastSeq = this.appendEventsSync(jobKey, events.owner, events.now, built);
    return lastSeq === null ? null : { jobKey, lastSeq, events: built };
  }

  /** Numbers the events after the job's last sequence and writes them as one row (inside the caller's transaction). */
  private appendEventsSync(jobKey: number, owner: string, now: number, events: EngineEvent[], skipIfFinished = false): number | null {
    const row = this.st(`UPDATE af_bj_jobs SET last_seq = last_seq + ? WHERE job_key = ? AND NOT (? AND status IN (${FINISHED})) RETURNING last_seq`)
      .get(events.length, jobKey, skipIfFinished ? 1 : 0) as { last_seq: number } | undefined;
    if (!row) return null;
    const last = Number(row.last_seq);
    this.st('INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(jobKey, last, last - events.length + 1, owner, now, eventPayload(events));
    return last;
  }

  async appendEvents(jobKey: number, owner: string, now: number, events: EngineEvent[]): Promise<number | null> {
    if (events.length === 0) return null;
    return this.db.transaction(() => this.appendEventsSync(jobKey, owner, now, events, isStaleProgress(events))).immediate();
  }

  async readEvents(jobKey: number, after: number, limit: number): Promise<EventRead> {
    return this.db.transaction(() => {
      const job = this.st('SELECT last_seq FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as { last_seq: number } | undefined;
      const oldest = this.st('SELECT first_seq AS s FROM af_bj_events WHERE job_key = ? ORDER BY seq LIMIT 1').get(jobKey) as { s: number } | undefined;
      const rows = this.st('SELECT * FROM af_bj_events WHERE job_key = ? AND seq > ? ORDER BY seq LIMIT ?')
        .all(jobKey, after, limit) as RawEventRow[];
      return { batches: rows.map(batchFromRaw), lastSeq: Number(job?.last_seq ?? 0), oldestSeq: oldest ? Number(oldest.s) : null };
    })();
  }

  async eventCursors(finishedSince: number): Promise<{ jobKey: number; lastSeq: number }[]> {
    const rows = this.st(`SELECT job_key, last_seq FROM af_bj_jobs WHERE status IN (${ACTIVE}) AND last_seq > 0
      UNION ALL SELECT job_key, last_seq FROM af_bj_jobs WHERE finished_at >= ? AND last_seq > 0 AND status NOT IN (${ACTIVE})`)
      .all(finishedSince) as { job_key: number; last_seq: number }[];
    return rows.map((r) => ({ jobKey: Number(r.job_key), lastSeq: Number(r.last_seq) }));
  }

  async pruneEvents(finishedBefore: number, maxPerJob: number): Promise<number> {
    return this.db.transaction(() => {
      let n = this.st(`DELETE FROM af_bj_events WHERE job_key IN (SELECT job_key FROM af_bj_jobs WHERE finished_at < ?
        AND status NOT IN (${ACTIVE}))`).run(finishedBefore).changes;
      n += this.st(`DELETE FROM af_bj_events WHERE seq <= (SELECT j.last_seq FROM af_bj_jobs j WHERE j.job_key = af_bj_events.job_key) - ?`)
        .run(maxPerJob).changes;
      return n;
    }).immediate();
  }

  async getTasks(jobKey: number, opts: { status?: TaskStatus[]; limit: number; offset: number }): Promise<{ tasks: TaskRow[]; total: number }> {
    const statuses = opts.status && opts.status.length > 0 ? opts.status : null;
    const where = statuses ? `job_key = ? AND status IN (${statuses.map(() => '?').join(', ')})` : 'job_key = ?';
    const params = statuses ? [jobKey, ...statuses] : [jobKey];
    const { rows, total } = this.db.transaction(() => ({
      rows: this.db.prepare(`SELECT idx, status, state, attempt, error FROM af_bj_tasks WHERE ${where} ORDER BY idx LIMIT ? OFFSET ?`)
        .all(...params, opts.limit, opts.offset) as { idx: number; status: TaskStatus; state: string; attempt: number; error: string | null }[],
      total: this.purgedSync(jobKey) ? 0 : countOf(this.countsSync(jobKey), statuses),
    }))();
    return {
      tasks: rows.map((r) => ({ index: r.idx, status: r.status, state: JSON.parse(r.state), attempt: r.attempt, error: r.error })),
      total,
    };
  }

  async getTaskCounts(jobKey: number): Promise<Record<TaskStatus, number>> {
    return this.db.transaction(() => this.countsSync(jobKey))();
  }

  private purgedSync(jobKey: number): boolean {
    return this.st('SELECT 1 FROM af_bj_jobs WHERE job_key = ? AND tasks_purged_at IS NOT NULL').get(jobKey) !== undefined;
  }

  private countsSync(jobKey: number): Record<TaskStatus, number> {
    const job = this.st(`SELECT total, done, failed, cancelled FROM af_bj_jobs WHERE job_key = ? AND status <> 'DRAFT'`).get(jobKey) as JobCounters | undefined;
    const running = (this.st(`SELECT COUNT(*) AS n FROM af_bj_tasks INDEXED BY af_bj_tasks_by_status WHERE job_key = ? AND status = 'IN_PROGRESS'`)
      .get(jobKey) as { n: number }).n;
    return taskCountsOf(job, Number(running));
  }

  async updateJobState(
    jobKey: number, mutate: (state: Record<string, unknown>) => Record<string, unknown>, events?: ChangeEvents<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const { next, written } = this.db.transaction(() => {
      const row = this.st('SELECT state FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as { state: string } | undefined;
      const next = mutate(row ? JSON.parse(row.state) : {});
      this.st('UPDATE af_bj_jobs SET state = ? WHERE job_key = ?').run(JSON.stringify(next), jobKey);
      return { next, written: row ? this.writeChangeEvents(jobKey, events, next) : null };
    }).immediate();
    reportWritten(events, [written]);
    return next;
  }

  async cancelJob(jobKey: number, now: number, events?: ChangeEvents<CancelInfo>): Promise<{ changed: boolean; status: JobStatus | 'DRAFT' }> {
    const { result, written } = this.db.transaction(() => {
      const changed = this.st(`UPDATE af_bj_jobs SET status = 'CANCELLED', finished_at = ?
        WHERE job_key = ? AND status IN (${ACTIVE})`).run(now, jobKey).changes === 1;
      let cancelledRunning: number[] = [];
      if (changed) {
        const n = this.st(`UPDATE af_bj_tasks SET status = 'CANCELLED' WHERE job_key = ? AND status = 'SCHEDULED'`).run(jobKey).changes;
        // Running tasks too, whoever leases them: their owners' outcomes then change nothing (the
        // flush writes only tasks it still leases), so no task:cancelled comes after job:finished.
        cancelledRunning = (this.st(`UPDATE af_bj_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires = NULL
          WHERE job_key = ? AND status = 'IN_PROGRESS' RETURNING idx`).all(jobKey) as { idx: number }[])
          .map((r) => Number(r.idx)).sort((a, b) => a - b);
        this.st('UPDATE af_bj_jobs SET cancelled = cancelled + ? WHERE job_key = ?').run(n + cancelledRunning.length, jobKey);
      }
      const row = this.st('SELECT * FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as RawJob | undefined;
      const result = { changed, status: row?.status ?? 'CANCELLED' };
      return { result, written: changed && row ? this.writeChangeEvents(jobKey, events, { ...jobFromRaw(row), cancelledRunning }) : null };
    }).immediate();
    reportWritten(events, [written]);
    return result;
  }

  async retryJob(
    jobKey: number, scope: 'failed' | 'unfinished' | number[], status: 'IN_PROGRESS' | 'QUEUED', events?: ChangeEvents<RetryInfo>,
  ): Promise<number> {
    let written: WrittenBatch | null = null;
    const tasks = this.db.transaction(() => {
      let n: number;
      const reset = `SET status = 'SCHEDULED', error = NULL, run_after = 0, lease_owner = NULL, lease_expires = NULL`;
      if (scope === 'failed' || scope === 'unfinished') {
        n = this.st(`UPDATE af_bj_tasks ${reset} WHERE job_key = ? AND status IN (${sqlInList(RETRIED_TASK_STATUSES[scope])})`).run(jobKey).changes;
      } else {
        const one = this.st(`UPDATE af_bj_tasks ${reset} WHERE job_key = ? AND idx = ? AND status IN (${sqlInList(RETRIED_TASK_STATUSES.chosen)})`);
        n = 0;
        for (const index of scope) n += one.run(jobKey, index).changes;
      }
      const scheduled = (this.st(`SELECT COUNT(*) AS n FROM af_bj_tasks WHERE job_key = ? AND status = 'SCHEDULED'`).get(jobKey) as { n: number }).n;
      if (scheduled === 0) return 0;
      const job = this.st(`UPDATE af_bj_jobs SET status = ?, finished_at = NULL,
          done = (SELECT COUNT(*) FROM af_bj_tasks t WHERE t.job_key = af_bj_jobs.job_key AND t.status = 'DONE'),
          failed = (SELECT COUNT(*) FROM af_bj_tasks t WHERE t.job_key = af_bj_jobs.job_key AND t.status = 'FAILED'),
          cancelled = (SELECT COUNT(*) FROM af_bj_tasks t WHERE t.job_key = af_bj_jobs.job_key AND t.status = 'CANCELLED')
        WHERE job_key = ? RETURNING *`).get(status, jobKey) as RawJob | undefined;
      if (job) written = this.writeChangeEvents(jobKey, events, { job: jobFromRaw(job), tasks: n });
      return n;
    }).immediate();
    reportWritten(events, [written]);
    return tasks;
  }

  async jobsToPurge(finishedBefore: number, limit: number): Promise<number[]> {
    const rows = this.st(`SELECT job_key FROM af_bj_jobs INDEXED BY af_bj_jobs_to_purge
      WHERE tasks_purged_at IS NULL AND finished_at < ? AND status IN (${FINISHED}) ORDER BY finished_at LIMIT ?`)
      .all(finishedBefore, limit) as { job_key: number }[];
    return rows.map((r) => Number(r.job_key));
  }

  async purgeTasks(jobKey: number, limit: number, now: number): Promise<number> {
    return this.db.transaction(() => {
      const job = this.st(`SELECT 1 FROM af_bj_jobs WHERE job_key = ? AND status IN (${FINISHED})`).get(jobKey);
      if (!job) return 0;
      const deleted = this.st(`DELETE FROM af_bj_tasks WHERE job_key = ? AND idx IN (SELECT idx FROM af_bj_tasks WHERE job_key = ? ORDER BY idx LIMIT ?)`)
        .run(jobKey, jobKey, limit).changes;
      if (deleted < limit) this.st('UPDATE af_bj_jobs SET tasks_purged_at = ? WHERE job_key = ?').run(now, jobKey);
      return deleted;
    }).immediate();
  }

  async jobsToDelete(finishedBefore: number, limit: number): Promise<{ jobKey: number; jobId: string | null }[]> {
    const rows = this.st(`SELECT job_key, job_id FROM af_bj_jobs WHERE finished_at < ? AND status IN (${FINISHED}) ORDER BY finished_at LIMIT ?`)
      .all(finishedBefore, limit) as { job_key: number; job_id: string | null }[];
    return rows.map((r) => ({ jobKey: Number(r.job_key), jobId: r.job_id === null ? null : String(r.job_id) }));
  }

  async deleteJob(jobKey: number): Promise<void> {
    this.db.transaction(() => {
      this.st('DELETE FROM af_bj_interest WHERE job_key = ?').run(jobKey);
      this.st('DELETE FROM af_bj_events WHERE job_key = ?').run(jobKey);
      this.st('DELETE FROM af_bj_tasks WHERE job_key = ?').run(jobKey);
      this.st('DELETE FROM af_bj_jobs WHERE job_key = ?').run(jobKey);
    }).immediate();
  }

  async addTasks(jobKey: number, states: string[], events?: ChangeEvents<AddedTasks>): Promise<AddedTasks | { status: JobStatus | 'DRAFT' } | null> {
    const { result, written } = this.db.transaction(() => {
      const job = this.st('SELECT status FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as { status: JobStatus | 'DRAFT' } | undefined;
      if (!job) return { result: null, written: null };
      if (!isActiveJobStatus(job.status)) return { result: { status: job.status }, written: null };
      const last = this.st('SELECT MAX(idx) AS m, (SELECT next_index FROM af_bj_jobs WHERE job_key = ?) AS n FROM af_bj_tasks WHERE job_key = ?')
        .get(jobKey, jobKey) as { m: number | null; n: number };
      const firstIndex = Math.max(last.m === null ? 0 : Number(last.m) + 1, Number(last.n));
      const insert = this.st(`INSERT INTO af_bj_tasks (job_key, idx, status, state) VALUES (?, ?, 'SCHEDULED', ?)`);
      for (let i = 0; i < states.length; i++) insert.run(jobKey, firstIndex + i, states[i]);
      const row = this.st('UPDATE af_bj_jobs SET total = total + ? WHERE job_key = ? RETURNING *').get(states.length, jobKey) as RawJob;
      const result: AddedTasks = { job: jobFromRaw(row), firstIndex, count: states.length };
      return { result, written: this.writeChangeEvents(jobKey, events, result) };
    }).immediate();
    reportWritten(events, [written]);
    return result;
  }

  async deleteTask(jobKey: number, index: number, events?: ChangeEvents<DeletedTask>): Promise<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null> {
    const { result, written } = this.db.transaction(() => {
      const job = this.st('SELECT status FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as { status: JobStatus | 'DRAFT' } | undefined;
      if (!job) return { result: null, written: null };
      if (!isActiveJobStatus(job.status)) return { result: { status: job.status }, written: null };
      const task = this.st('DELETE FROM af_bj_tasks WHERE job_key = ? AND idx = ? RETURNING status, lease_owner')
        .get(jobKey, index) as { status: TaskStatus; lease_owner: string | null } | undefined;
      if (!task) return { result: 'no-task' as const, written: null };
      const counter = task.status === 'DONE' ? 'done' : task.status === 'FAILED' ? 'failed' : task.status === 'CANCELLED' ? 'cancelled' : null;
      const row = this.st(`UPDATE af_bj_jobs SET total = total - 1, next_index = MAX(next_index, ?)${counter ? `, ${counter} = ${counter} - 1` : ''}
        WHERE job_key = ? RETURNING *`).get(index + 1, jobKey) as RawJob;
      const result: DeletedTask = { job: jobFromRaw(row), index, status: task.status, leaseOwner: task.status === 'IN_PROGRESS' ? task.lease_owner : null };
      return { result, written: this.writeChangeEvents(jobKey, events, result) };
    }).immediate();
    reportWritten(events, [written]);
    return result;
  }

  async claimFinish(jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null> {
    const row = this.db.transaction(() => this.st(`UPDATE af_bj_jobs SET finish_owner = ?, finish_until = ?
      WHERE job_key = ? AND status = 'IN_PROGRESS' AND ${ALL_TASKS_FINISHED_SQL} AND (finish_owner IS NULL OR finish_until < ?)
      RETURNING status, total, done, failed, cancelled, finish_attempts`).get(owner, now + leaseMs, jobKey, now) as (JobCounters & { finish_attempts: number }) | undefined).immediate();
    if (!row) return null;
    const { finish_attempts: attempts, ...counters } = row;
    return { attempt: Number(attempts) + 1, counters: numericCounters(counters) };
  }

  async renewFinish(jobKey: number, owner: string, until: number): Promise<boolean> {
    return this.st('UPDATE af_bj_jobs SET finish_until = ? WHERE job_key = ? AND finish_owner = ?').run(until, jobKey, owner).changes === 1;
  }

  async finishJob(jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>): Promise<{ finished: boolean; job: JobRow | null }> {
    const { result, written } = this.db.transaction(() => {
      if (attempt !== null) {
        const released = this.st(`UPDATE af_bj_jobs SET finish_owner = NULL, finish_until = 0, finish_attempts = ? WHERE job_key = ? AND finish_owner = ?`)
          .run(attempt, jobKey, owner).changes;
        if (released === 0) return { result: { finished: false, job: this.jobByKeySync(jobKey) }, written: null };
      }
      const row = this.st(`UPDATE af_bj_jobs SET status = ${FINISHED_JOB_STATUS_SQL}, finished_at = ?
        WHERE job_key = ? AND status = 'IN_PROGRESS' AND ${ALL_TASKS_FINISHED_SQL} AND (finish_owner IS NULL OR finish_until < ?)
        RETURNING *`).get(now, jobKey, now) as RawJob | undefined;
      if (!row) return { result: { finished: false, job: this.jobByKeySync(jobKey) }, written: null };
      const job = jobFromRaw(row);
      return { result: { finished: true, job }, written: this.writeChangeEvents(jobKey, events, job) };
    }).immediate();
    reportWritten(events, [written]);
    return result;
  }

  private jobByKeySync(jobKey: number): JobRow | null {
    const raw = this.st('SELECT * FROM af_bj_jobs WHERE job_key = ?').get(jobKey) as RawJob | undefined;
    return raw ? jobFromRaw(raw) : null;
  }

  async acquireLock(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    return this.st(`INSERT INTO af_bj_locks (name, owner, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
      WHERE af_bj_locks.owner = excluded.owner OR af_bj_locks.expires_at < ?`).run(name, owner, now + ttlMs, now).changes === 1;
  }

  async renewLock(name: string, owner: string, expiresAt: number): Promise<boolean> {
    return this.st('UPDATE af_bj_locks SET expires_at = ? WHERE name = ? AND owner = ?').run(expiresAt, name, owner).changes === 1;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    this.st('DELETE FROM af_bj_locks WHERE name = ? AND owner = ?').run(name, owner);
  }

  async heartbeat(worker: WorkerInfo, leaseMs: number): Promise<void> {
    this.db.transaction(() => {
      this.st(`INSERT INTO af_bj_workers (owner, host, pid, heartbeat_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`)
        .run(worker.owner, worker.host, worker.pid, worker.heartbeatAt);
      this.st(`UPDATE af_bj_tasks SET lease_expires = ? WHERE lease_owner = ? AND status = 'IN_PROGRESS'`)
        .run(worker.heartbeatAt + leaseMs, worker.owner);
      this.st('UPDATE af_bj_interest SET slots_expire = ? WHERE owner = ? AND slots > 0').run(worker.heartbeatAt + leaseMs, worker.owner);
    }).immediate();
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const rows = this.st('SELECT owner, host, pid, heartbeat_at FROM af_bj_workers').all() as { owner: string; host: string; pid: number; heartbeat_at: number }[];
    return rows.map((r) => ({ owner: r.owner, host: r.host, pid: Number(r.pid), heartbeatAt: Number(r.heartbeat_at) }));
  }

  async recoverExpiredLeases(now: number, deadOwners: string[]): Promise<number> {
    return this.db.transaction(() => {
      const ownerList = deadOwners.length > 0 ? `OR lease_owner IN (${deadOwners.map(() => '?').join(', ')})` : '';
      const lost = `status = 'IN_PROGRESS' AND (lease_expires < ? ${ownerList})`;
      // Tasks of a cancelled job are not run again: they end CANCELLED and count as such.
      const cancelledRows = this.db.prepare(`UPDATE af_bj_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires = NULL
        WHERE ${lost} AND job_key IN (SELECT job_key FROM af_bj_jobs WHERE status = 'CANCELLED') RETURNING job_key`)
        .all(now, ...deadOwners) as { job_key: number }[];
      const bump = this.st('UPDATE af_bj_jobs SET cancelled = cancelled + 1 WHERE job_key = ?');
      for (const row of cancelledRows) bump.run(row.job_key);
      const rescheduled = this.db.prepare(`UPDATE af_bj_tasks SET status = 'SCHEDULED', lease_owner = NULL, lease_expires = NULL WHERE ${lost}`)
        .run(now, ...deadOwners).changes;
      if (deadOwners.length > 0) {
        const list = deadOwners.map(() => '?').join(', ');
        this.db.prepare(`DELETE FROM af_bj_workers WHERE owner IN (${list})`).run(...deadOwners);
        this.db.prepare(`DELETE FROM af_bj_interest WHERE owner IN (${list})`).run(...deadOwners);
        this.db.prepare(`UPDATE af_bj_jobs SET finish_until = 0 WHERE finish_owner IN (${list})`).run(...deadOwners);
      }
      // Interest older than an hour belongs to runners long gone (unless they still hold slots).
      this.st('DELETE FROM af_bj_interest WHERE at < ? AND (slots = 0 OR slots_expire < ?)').run(now - 3600_000, now);
      return rescheduled + cancelledRows.length;
    }).immediate();
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.recoverExpiredLeases(0, [owner]);
  }

  async discardStaleDrafts(deadOwners: string[], olderThan: number): Promise<number> {
    return this.db.transaction(() => {
      const ownerList = deadOwners.length > 0 ? `OR owner IN (${deadOwners.map(() => '?').join(', ')})` : '';
      const drafts = this.db.prepare(`SELECT job_key FROM af_bj_jobs WHERE status = 'DRAFT' AND (created_at < ? ${ownerList})`)
        .all(olderThan, ...deadOwners) as { job_key: number }[];
      for (const { job_key } of drafts) {
        this.st('DELETE FROM af_bj_tasks WHERE job_key = ?').run(job_key);
        this.st('DELETE FROM af_bj_jobs WHERE job_key = ?').run(job_key);
      }
      return drafts.length;
    }).immediate();
  }
}
