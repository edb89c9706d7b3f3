/**
 * The group commit of a job runner on MySQL / MariaDB, inside the store's transaction. MySQL has
 * no RETURNING on UPDATE and the pool no multi-statement mode, so the flush reads first and then
 * writes everything in one batched statement; steady state is five statements:
 *
 * 1. `SELECT … FOR UPDATE` of the job row: serialises the flushes of one job across replicas.
 * 2. One plain read (the transaction's read view starts here, after the lock): the job's
 *    IN_PROGRESS count, this owner's share of it (fair share, FlushInput.interestTtlMs) and which
 *    of the tasks to write this owner still leases.
 * 3. The claim, `SELECT … FOR UPDATE SKIP LOCKED` in index order, sized from that count.
 * 4. One `UPDATE … CASE` for states, finishes, reschedules and claims. It re-checks every lease it
 *    relies on; if a lease vanished since step 2 (the recovery pass took an expired task) the
 *    matched-row count says so and the transaction is run again.
 * 5. The job's counters and, at the end, its status (values computed here: the row is locked).
 *
 * No statement may exceed the server's `max_allowed_packet` (16 MiB by default on MariaDB, 64 MiB
 * on MySQL 8; the server refuses a bigger one and drops the connection): the UPDATE of step 4 is cut
 * into several, and the flush's events into several log rows, each under `packetBudget` bytes.
 * A single task write too big for any statement still fails; the runner then isolates that task
 * and fails it with the server's message (job-runner.ts `isolate`, issue 17).
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { isFinishedJobStatus, type JobStatus } from '../statuses.js';
import type { FlushInput, FlushResult } from './job-store.js';
import { taskWrites, type TaskWrite } from './task-writes.js';
import type { EngineEvent } from '../events.js';
import { eventPayload, finishedEventOf } from './event-batches.js';
import { grantSlots, keepSlots, slotView, tasksToClaim } from './slots.js';

type Rows<T> = (T & RowDataPacket)[];

/** Signals the store's transaction helper to roll back and run the flush again. */
class LeaseRace extends Error {
  readonly code = 'AF_BJ_RETRY';
}

const MAX_INT = 2_147_483_647;

/** Bytes of a statement's values and text the server may refuse beyond `max_allowed_packet` (headers, SQL around the values). */
const PACKET_MARGIN = 32 * 1024;
/** SQL text per task row of the batch UPDATE besides its values (its index in each CASE and IN list). */
const ROW_OVERHEAD = 256;
/** SQL text per claimed task (its index in the claim's CASEs and IN lists). */
const CLAIM_OVERHEAD = 96;

/** The most bytes one statement may carry under the server's `max_allowed_packet`. */
export function packetBudget(maxAllowedPacket: number): number {
  return Math.max(1024, maxAllowedPacket - PACKET_MARGIN);
}

const ESCAPED = /[\0\b\t\n\r\x1a"'\\]/g;

/**
 * Bytes a string takes in a statement once escaped and quoted by mysql2 (UTF-8; `\0 \b \t \n \r
 * \x1a " ' \\` doubled). Short strings get the upper bound (3 bytes per UTF-16 unit), long ones are
 * counted.
 */
export function sqlBytes(value: string | null): number {
  if (value === null) return 4;
  if (value.length <= 4096) return 3 * value.length + 2;
  let escaped = 0;
  ESCAPED.lastIndex = 0;
  while (ESCAPED.exec(value) !== null) escaped++;
  return Buffer.byteLength(value, 'utf8') + escaped + 2;
}

/** `writes` in runs that each fit in `budget` bytes of statement (the first also carries `firstExtra`); a write bigger than that is a run of its own. */
function chunkWrites(writes: TaskWrite[], budget: number, firstExtra: number): TaskWrite[][] {
  const chunks: TaskWrite[][] = [[]];
  let bytes = firstExtra;
  for (const write of writes) {
    const size = sqlBytes(write.state) + sqlBytes(write.error) + ROW_OVERHEAD;
    const current = chunks[chunks.length - 1];
    if (current.length > 0 && bytes + size > budget) {
      chunks.push([write]);
      bytes = size;
    } else {
      current.push(write);
      bytes += size;
    }
  }
  return chunks;
}

/** `maxAllowedPacket`: the server's `max_allowed_packet` (the store reads it once). */
export async function mysqlFlush(conn: PoolConnection, input: FlushInput, maxAllowedPacket: number): Promise<FlushResult> {
  const budget = packetBudget(maxAllowedPacket);
  const { jobKey, owner, now } = input;
  const [[job]] = await conn.query<Rows<{ status: JobStatus | 'DRAFT'; total: number; done: number; failed: number; cancelled: number; last_seq: number; last_error: string | null }>>(
    'SELECT status, total, done, failed, cancelled, last_seq, last_error FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
  if (!job) {
    return { claimed: [], counters: { status: 'CANCELLED', total: 0, done: 0, failed: 0, cancelled: 0 }, finishedJob: false, nextRunAt: null, running: 0, slots: 0 };
  }

  const writes = taskWrites(input);
  const indexes = writes.map((w) => w.index);
  const [read] = await conn.query<Rows<{ k: string; v: number }>>(
    `SELECT 'running' AS k, COUNT(*) AS v FROM af_bj_tasks WHERE job_key = ? AND status = 'IN_PROGRESS'
     UNION ALL SELECT 'mine', COUNT(*) FROM af_bj_tasks WHERE job_key = ? AND status = 'IN_PROGRESS' AND lease_owner = ?`
    + (indexes.length > 0
      ? ` UNION ALL SELECT 'held', idx FROM af_bj_tasks WHERE job_key = ? AND idx IN (?) AND lease_owner = ? AND status = 'IN_PROGRESS'`
      : ''),
    [jobKey, jobKey, owner, ...(indexes.length > 0 ? [jobKey, indexes, owner] : [])]);
  const value = (k: string) => Number(read.find((r) => r.k === k)?.v ?? 0);
  let running = value('running');
  let mine = value('mine');
  const leased = new Set(read.filter((r) => r.k === 'held').map((r) => Number(r.v)));
  // A task whose lease was lost (recovered by another process) is not ours to write or finish.
  const held = writes.filter((w) => leased.has(w.index));
  const released = held.filter((w) => w.status !== null);

  let done = 0;
  let failed = 0;
  let cancelled = 0;
  for (const w of released) {
    if (w.status === 'DONE') done++;
    else if (w.status === 'FAILED') failed++;
    else if (w.status === 'CANCELLED') cancelled++;
  }
  running -= released.length;
  mine -= released.length;
  const finishedNow = done + failed + cancelled;
  const counters = {
    status: job.status, total: Number(job.total),
    done: Number(job.done) + done, failed: Number(job.failed) + failed, cancelled: Number(job.cancelled) + cancelled,
  };
  // holdFinish: the engine finishes the job itself, after the handler's beforeJobFinish (claimFinish, finishJob).
  const finishedJob = job.status === 'IN_PROGRESS' && finishedNow > 0 && !input.holdFinish
    && counters.done + counters.failed + counters.cancelled >= counters.total;
  if (finishedJob) counters.status = counters.failed > 0 ? 'DONE_WITH_ERRORS' : 'DONE';

  // Run slots (slots.ts), read afresh under the job row lock.
  const claiming = input.claim > 0 && counters.status === 'IN_PROGRESS';
  const [rawSlots] = await conn.query<Rows<{ owner: string; at: number; slots: number; slotsExpire: number }>>(
    'SELECT owner, at, slots, slots_expire AS slotsExpire FROM af_bj_interest WHERE job_key = ?', [jobKey]);
  const slotRows = rawSlots.map((r) => ({ owner: r.owner, at: Number(r.at), slots: Number(r.slots), slotsExpire: Number(r.slotsExpire) }));
  const view = slotView(slotRows, owner, now, input.interestTtlMs);
  const executing = input.executing ?? mine;
  const grant = grantSlots(view, input.parallelLimit, executing, claiming);
  const free = claiming ? Math.min(tasksToClaim(input.claim, grant.limit, Math.max(0, input.ahead ?? 0), mine), MAX_INT) : 0;
  let claimed: { index: number; state: string; attempt: number }[] = [];
  if (free > 0) {
    const [rows] = await conn.query<Rows<{ idx: number; state: string; attempt: number }>>(
      `SELECT idx, state, attempt FROM af_bj_tasks FORCE INDEX (af_bj_tasks_by_status)
       WHERE job_key = ? AND status = 'SCHEDULED' AND run_after <= ? ORDER BY idx LIMIT ? FOR UPDATE SKIP LOCKED`,
      [jobKey, now, free]);
    claimed = rows.map((r) => ({ index: Number(r.idx), state: r.state, attempt: Number(r.attempt) + 1 }));
  }

  if (held.length + claimed.length > 0) {
    // Usually one statement; several when the writes would not fit in one packet (the claims go with the first).
    const claims = claimed.map((c) => c.index);
    let matched = 0;
    for (const [n, rows] of chunkWrites(held, budget, claims.length * CLAIM_OVERHEAD + owner.length * 4).entries()) {
      const { sql, params } = batchUpdate(jobKey, owner, rows, n === 0 ? claims : [], now + input.leaseMs);
      const [result] = await conn.query<ResultSetHeader>(sql, params);
      matched += matchedRows(result);
    }
    if (matched !== held.length + claimed.length) throw new LeaseRace('A lease changed during the flush');
  }

  // The events' numbers move with the counters, in the same statement (the job row is locked).
  const finishedEvent = finishedJob && input.job
    ? finishedEventOf(input.job, counters.status, now, counters.failed, input.lastError || job.last_error)
    : undefined;
  // A job finished before this flush (cancelled meanwhile): its writes changed nothing, no events.
  const events = finishedEvent ? [...(input.events ?? []), finishedEvent] : isFinishedJobStatus(job.status) ? [] : input.events ?? [];
  const eventCount = events.length;
  const lastSeq = eventCount > 0 ? Number(job.last_seq) + eventCount : null;
  if (finishedNow > 0 || input.lastError || lastSeq !== null) {
    await conn.query(`UPDATE af_bj_jobs SET done = ?, failed = ?, cancelled = ?, last_error = COALESCE(?, last_error),
      status = ?, finished_at = IF(?, ?, finished_at), last_seq = ? WHERE job_key = ?`,
    [counters.done, counters.failed, counters.cancelled, input.lastError || null, counters.status, finishedJob, now, lastSeq ?? Number(job.last_seq), jobKey]);
  }

  let nextRunAt: number | null = null;
  if (claimed.length < free) {
    const [[next]] = await conn.query<Rows<{ t: number | null }>>(
      `SELECT MIN(run_after) AS t FROM af_bj_tasks WHERE job_key = ? AND status = 'SCHEDULED'`, [jobKey]);
    nextRunAt = next.t === null ? null : Number(next.t);
  }
  const { stored, limit: slots } = keepSlots(grant, executing, mine + claimed.length);
  const own = slotRows.find((r) => r.owner === owner);
  if (claiming || (own !== undefined && own.slots !== stored)) {
    await conn.query(`INSERT INTO af_bj_interest (job_key, owner, at, slots, slots_expire) VALUES (?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE at = IF(?, VALUES(at), at), slots = VALUES(slots), slots_expire = VALUES(slots_expire)`,
    [jobKey, owner, claiming ? now : 0, stored, now + input.leaseMs, claiming]);
  }
  if (lastSeq !== null) await insertEventRows(conn, jobKey, owner, now, lastSeq, events, budget);
  return { claimed, counters, finishedJob, nextRunAt, running: running + claimed.length, slots, lastSeq, ...(finishedEvent ? { finishedEvent } : {}) };
}

/** One row of the durable event log, numbered after `lastSeq` (the caller holds the job row lock). */
export async function appendEventRow(conn: PoolConnection, jobKey: number, owner: string, now: number, lastSeq: number, events: EngineEvent[]): Promise<number> {
  const last = lastSeq + events.length;
  await conn.query('UPDATE af_bj_jobs SET last_seq = ? WHERE job_key = ?', [last, jobKey]);
  await insertEventRow(conn, jobKey, owner, now, last, events);
  return last;
}

/**
 * The events numbered `last - events.length + 1 … last`: one row, or several consecutive ones when
 * one would not fit in `budget` bytes (each event's own JSON bounds its share of the row's).
 */
async function insertEventRows(conn: PoolConnection, jobKey: number, owner: string, now: number, last: number, events: EngineEvent[], budget: number): Promise<void> {
  const payload = eventPayload(events);
  if (sqlBytes(payload) + 256 <= budget) {
    await conn.query('INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload) VALUES (?, ?, ?, ?, ?, ?)',
      [jobKey, last, last - events.length + 1, owner, now, payload]);
    return;
  }
  let seq = last - events.length;
  let group: EngineEvent[] = [];
  let bytes = 1024;
  const flushGroup = async () => {
    if (group.length === 0) return;
    seq += group.length;
    await insertEventRow(conn, jobKey, owner, now, seq, group);
    group = [];
    bytes = 1024;
  };
  for (const event of events) {
    const size = sqlBytes(JSON.stringify(event)) + 16;
    if (group.length > 0 && bytes + size > budget) await flushGroup();
    group.push(event);
    bytes += size;
  }
  await flushGroup();
}

/** The row of events numbered `last - events.length + 1 … last`. */
async function insertEventRow(conn: PoolConnection, jobKey: number, owner: string, now: number, last: number, events: EngineEvent[]): Promise<void> {
  await conn.query('INSERT INTO af_bj_events (job_key, seq, first_seq, owner, at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    [jobKey, last, last - events.length + 1, owner, now, eventPayload(events)]);
}

/**
 * Rows an UPDATE matched, changed or not. The server reports it in `info` ("Rows matched: 3
 * Changed: 2 …"); `affectedRows` means the same only while the pool keeps mysql2's default
 * FOUND_ROWS flag.
 */
export function matchedRows(result: ResultSetHeader): number {
  const match = /Rows matched:\s*(\d+)/.exec(result.info ?? '');
  return match ? Number(match[1]) : result.affectedRows;
}

/**
 * One UPDATE for every task this flush writes: `CASE idx` picks each row's new values. The WHERE
 * clause re-checks the leases (held tasks) and the claim (SCHEDULED rows locked by this
 * transaction), so the matched-row count tells whether anything moved under us.
 */
function batchUpdate(jobKey: number, owner: string, held: TaskWrite[], claimed: number[], leaseExpires: number): { sql: string; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  const caseOf = (column: string, rows: [number, unknown][]) => {
    if (rows.length === 0) return;
    sets.push(`${column} = CASE idx ${rows.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${column} END`);
    for (const [index, value] of rows) params.push(index, value);
  };
  const released = held.filter((w) => w.status !== null).map((w) => w.index);
  caseOf('state', held.filter((w) => w.state !== null).map((w) => [w.index, w.state]));
  caseOf('error', held.filter((w) => w.status !== null).map((w) => [w.index, w.error]));
  caseOf('run_after', held.filter((w) => w.status === 'SCHEDULED').map((w) => [w.index, w.runAfter]));
  if (claimed.length > 0) {
    sets.push('attempt = CASE WHEN idx IN (?) THEN attempt + 1 ELSE attempt END');
    params.push(claimed);
  }
  const lease = (column: string, claimedValue: unknown) => {
    const parts: string[] = [];
    if (released.length > 0) {
      parts.push('WHEN idx IN (?) THEN NULL');
      params.push(released);
    }
    if (claimed.length > 0) {
      parts.push('WHEN idx IN (?) THEN ?');
      params.push(claimed, claimedValue);
    }
    if (parts.length > 0) sets.push(`${column} = CASE ${parts.join(' ')} ELSE ${column} END`);
  };
  lease('lease_owner', owner);
  lease('lease_expires', leaseExpires);
  // Last: no assignment above reads `status`, and MySQL applies single-table SETs left to right.
  caseOf('status', [
    ...held.filter((w) => w.status !== null).map((w): [number, unknown] => [w.index, w.status]),
    ...claimed.map((index): [number, unknown] => [index, 'IN_PROGRESS']),
  ]);

  const where: string[] = [];
  if (held.length > 0) {
    where.push(`(idx IN (?) AND lease_owner = ? AND status = 'IN_PROGRESS')`);
    params.push(held.map((w) => w.index), owner);
  }
  if (claimed.length > 0) {
    where.push(`(idx IN (?) AND status = 'SCHEDULED')`);
    params.push(claimed);
  }
  params.push(jobKey);
  return { sql: `UPDATE af_bj_tasks SET ${sets.join(', ')} WHERE (${where.join(' OR ')}) AND job_key = ?`, params };
}
