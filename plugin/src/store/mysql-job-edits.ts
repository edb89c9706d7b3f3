/**
 * Changing a running job on MySQL / MariaDB (`addTasks`, `deleteTask`, the finish claim of
 * `beforeJobFinish`), each inside the store's transaction (mysql-store.ts `transaction`: rolled
 * back on error, run again after a deadlock). As every writer of a job, each locks the job row
 * first (`FOR UPDATE`): a flush of the job waits for the change or the change for the flush, so a
 * flush never sees half of it, and a job that finishes at the same time as `addTasks` either
 * gets the tasks before its last flush or refuses them.
 *
 * MySQL has no RETURNING on UPDATE: the job row is read under its lock, the decision made here,
 * and the row the change leaves computed or read again in the same transaction.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { isActiveJobStatus, type JobStatus, type TaskStatus } from '../statuses.js';
import type { AddedTasks, ChangeEvents, DeletedTask, FinishClaim, JobRow } from './job-store.js';
import { jobFromRaw, numericCounters } from './sqlite-store.js';
import { appendEventRow, packetBudget } from './mysql-flush.js';
import type { WrittenBatch } from './event-batches.js';
import { allTasksFinished, finishedJobStatus } from './flush-plan.js';

type Rows<T> = (T & RowDataPacket)[];
/** A job row as `SELECT *` returns it. */
export type RawMysqlJob = Parameters<typeof jobFromRaw>[0] & {
  last_seq: number | string;
  finish_owner: string | null;
  finish_until: number | string;
  finish_attempts: number | string;
};
type Query = Pick<PoolConnection, 'query'>;

/** Rows of one multi-row INSERT stay under this many bytes, and under half the server's max_allowed_packet (16 MiB by default on MariaDB, 64 MiB on MySQL 8). */
const INSERT_BYTES = 4 * 1024 * 1024;

/** SCHEDULED task rows `firstIndex …`, as multi-row INSERTs cut to stay under the server's packet size. */
export async function insertTaskRows(conn: Query, jobKey: number, firstIndex: number, states: string[], maxAllowedPacket: number): Promise<void> {
  const limit = Math.min(INSERT_BYTES, packetBudget(maxAllowedPacket) / 2);
  let rows: unknown[][] = [];
  let bytes = 0;
  const insert = async () => {
    if (rows.length === 0) return;
    await conn.query('INSERT INTO af_bj_tasks (job_key, idx, status, state) VALUES ?', [rows]);
    rows = [];
    bytes = 0;
  };
  for (let i = 0; i < states.length; i++) {
    rows.push([jobKey, firstIndex + i, 'SCHEDULED', states[i]]);
    bytes += states[i].length * 2 + 40;
    if (bytes >= limit) await insert();
  }
  await insert();
}

/** The job row, locked until the transaction ends. */
export async function lockedJob(conn: Query, jobKey: number): Promise<RawMysqlJob | undefined> {
  const [[raw]] = await conn.query<Rows<RawMysqlJob>>('SELECT * FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
  return raw;
}

/**
 * A change's events, built from `info` and written after the job's last sequence number `raw.last_seq`
 * (the caller holds the job row lock and has not written events since reading it).
 */
export async function appendChangeEvents<T>(conn: PoolConnection, raw: RawMysqlJob, events: ChangeEvents<T> | undefined, info: T): Promise<WrittenBatch | null> {
  if (!events) return null;
  const built = events.build(info);
  if (built.length === 0) return null;
  const jobKey = Number(raw.job_key);
  return { jobKey, lastSeq: await appendEventRow(conn, jobKey, events.owner, events.now, Number(raw.last_seq), built), events: built };
}

interface Outcome<R> {
  result: R;
  written: WrittenBatch | null;
}

export async function addTasksIn(
  conn: PoolConnection, jobKey: number, states: string[], maxAllowedPacket: number, events?: ChangeEvents<AddedTasks>,
): Promise<Outcome<AddedTasks | { status: JobStatus | 'DRAFT' } | null>> {
  const [[job]] = await conn.query<Rows<{ status: JobStatus | 'DRAFT' }>>('SELECT status FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
  if (!job) return { result: null, written: null };
  if (!isActiveJobStatus(job.status)) return { result: { status: job.status }, written: null };
  // A plain read after the lock (the read view starts here): it sees every committed task of the
  // job, since tasks of a job past DRAFT are only inserted under its row lock.
  const [[{ m, n }]] = await conn.query<Rows<{ m: number | null; n: number }>>(
    'SELECT MAX(idx) AS m, (SELECT next_index FROM af_bj_jobs WHERE job_key = ?) AS n FROM af_bj_tasks WHERE job_key = ?', [jobKey, jobKey]);
  // Never an index a deleted task had: its owner may still report on it (next_index).
  const firstIndex = Math.max(m === null ? 0 : Number(m) + 1, Number(n));
  await insertTaskRows(conn, jobKey, firstIndex, states, maxAllowedPacket);
  await conn.query('UPDATE af_bj_jobs SET total = total + ? WHERE job_key = ?', [states.length, jobKey]);
  const raw = (await lockedJob(conn, jobKey))!;
  const result: AddedTasks = { job: jobFromRaw(raw), firstIndex, count: states.length };
  return { result, written: await appendChangeEvents(conn, raw, events, result) };
}

/**
 * The task goes whatever its status. A leased one goes with its lease: its owner's later flush
 * finds it no longer leased and writes nothing for it; the flush counts running tasks and slots
 * from the task rows (mysql-flush.ts), so nothing else moves.
 */
export async function deleteTaskIn(
  conn: PoolConnection, jobKey: number, index: number, events?: ChangeEvents<DeletedTask>,
): Promise<Outcome<DeletedTask | { status: JobStatus | 'DRAFT' } | 'no-task' | null>> {
  const [[job]] = await conn.query<Rows<{ status: JobStatus | 'DRAFT' }>>('SELECT status FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
  if (!job) return { result: null, written: null };
  if (!isActiveJobStatus(job.status)) return { result: { status: job.status }, written: null };
  const [[task]] = await conn.query<Rows<{ status: TaskStatus; lease_owner: string | null }>>(
    'SELECT status, lease_owner FROM af_bj_tasks WHERE job_key = ? AND idx = ? FOR UPDATE', [jobKey, index]);
  if (!task) return { result: 'no-task', written: null };
  await conn.query('DELETE FROM af_bj_tasks WHERE job_key = ? AND idx = ?', [jobKey, index]);
  const counter = task.status === 'DONE' ? 'done' : task.status === 'FAILED' ? 'failed' : task.status === 'CANCELLED' ? 'cancelled' : null;
  await conn.query(`UPDATE af_bj_jobs SET total = total - 1, next_index = GREATEST(next_index, ?)${counter ? `, ${counter} = ${counter} - 1` : ''}
    WHERE job_key = ?`, [index + 1, jobKey]);
  const raw = (await lockedJob(conn, jobKey))!;
  const result: DeletedTask = { job: jobFromRaw(raw), index, status: task.status, leaseOwner: task.status === 'IN_PROGRESS' ? task.lease_owner : null };
  return { result, written: await appendChangeEvents(conn, raw, events, result) };
}

/** Someone holds the finish claim and it has not expired. */
const liveClaim = (raw: RawMysqlJob, now: number) => raw.finish_owner !== null && Number(raw.finish_until) >= now;

export async function claimFinishIn(conn: PoolConnection, jobKey: number, owner: string, now: number, leaseMs: number): Promise<FinishClaim | null> {
  const raw = await lockedJob(conn, jobKey);
  if (!raw || raw.status !== 'IN_PROGRESS' || !allTasksFinished(raw) || liveClaim(raw, now)) return null;
  await conn.query('UPDATE af_bj_jobs SET finish_owner = ?, finish_until = ? WHERE job_key = ?', [owner, now + leaseMs, jobKey]);
  return { attempt: Number(raw.finish_attempts) + 1, counters: numericCounters(raw) };
}

export async function finishJobIn(
  conn: PoolConnection, jobKey: number, owner: string, now: number, attempt: number | null, events?: ChangeEvents<JobRow>,
): Promise<Outcome<{ finished: boolean; job: JobRow | null }>> {
  let raw = await lockedJob(conn, jobKey);
  if (!raw) return { result: { finished: false, job: null }, written: null };
  if (attempt !== null) {
    // Only the claim's holder completes an attempt (a stalled holder taken over does not).
    if (raw.finish_owner !== owner) return { result: { finished: false, job: jobFromRaw(raw) }, written: null };
    await conn.query('UPDATE af_bj_jobs SET finish_owner = NULL, finish_until = 0, finish_attempts = ? WHERE job_key = ?', [attempt, jobKey]);
    raw = { ...raw, finish_owner: null, finish_until: 0, finish_attempts: attempt };
  }
  if (raw.status !== 'IN_PROGRESS' || !allTasksFinished(raw) || liveClaim(raw, now)) return { result: { finished: false, job: jobFromRaw(raw) }, written: null };
  const status = finishedJobStatus(raw);
  await conn.query('UPDATE af_bj_jobs SET status = ?, finished_at = ? WHERE job_key = ?', [status, now, jobKey]);
  const job = jobFromRaw({ ...raw, status, finished_at: now });
  return { result: { finished: true, job }, written: await appendChangeEvents(conn, raw, events, job) };
}
