/**
 * The group commit of a job runner on MySQL / MariaDB, inside the store's transaction. MySQL has
 * no RETURNING on UPDATE and the pool no multi-statement mode, so the flush reads first and then
 * writes everything in one batched statement; steady state is five statements:
 *
 * 1. `SELECT … FOR UPDATE` of the job row: serialises the flushes of one job across replicas.
 * 2. One plain read (the transaction's read view starts here, after the lock): the job's
 *    IN_PROGRESS count, this owner's share of it (fair share, FlushInput.interestTtlMs) and which
 *    of the tasks to write this owner still leases.
 *    Then the job's run slots; from what it read, flush-plan.ts decides (`planFlush`): counters,
 *    the finish, the events, how many tasks to claim.
 * 3. The claim, `SELECT … FOR UPDATE SKIP LOCKED` in index order, as many as the plan says.
 * 4. One `UPDATE … CASE` for states, finishes, reschedules and claims. It re-checks every lease it
 *    relies on; if a lease vanished since step 2 (the recovery pass took an expired task) the
 *    matched-row count says so and the transaction is run again.
 * 5. The job's counters and, at the end, its status, as planned (the row is locked).
 *
 * No statement may exceed the server's `max_allowed_packet` (16 MiB by default on MariaDB, 64 MiB
 * on MySQL 8; the server refuses a bigger one and drops the connection): the UPDATE of step 4 is cut
 * into several, and the flush's events into several log rows, each under `packetBudget` bytes.
 * A single task write too big for any statement still fails; the runner then isolates that task
 * and fails it with the server's message (job-runner.ts `isolate`, issue 17).
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { JobStatus } from '../statuses.js';
import type { ClaimedTask, FlushInput, FlushResult } from './job-store.js';
import type { EngineEvent } from '../events.js';
import { eventPayload } from './event-batches.js';
import {
  afterClaim, flushResult, goneJobResult, leasedWrites, planFlush, taskWrites, type FlushRead, type TaskWrite,
} from './flush-plan.js';

type Rows<T> = (T & RowDataPacket)[];

/** Signals the store's transaction helper to roll back and run the flush again. */
class LeaseRace extends Error {
  readonly code = 'AF_BJ_RETRY';
}

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

/**
 * The flush as flush-plan.ts decides it. `maxAllowedPacket`: the server's `max_allowed_packet` (the
 * store reads it once).
 */
export async function mysqlFlush(conn: PoolConnection, input: FlushInput, maxAllowedPacket: number): Promise<FlushResult> {
  const budget = packetBudget(maxAllowedPacket);
  const { jobKey, owner, now } = input;
  const [[job]] = await conn.query<Rows<{ status: JobStatus | 'DRAFT'; total: number; done: number; failed: number; cancelled: number; last_seq: number; last_error: string | null }>>(
    'SELECT status, total, done, failed, cancelled, last_seq, last_error FROM af_bj_jobs WHERE job_key = ? FOR UPDATE', [jobKey]);
  if (!job) return goneJobResult();

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
  const leased = new Set(read.filter((r) => r.k === 'held').map((r) => Number(r.v)));
  // A task whose lease was lost (recovered by another process) is not ours to write or finish.
  const held = leasedWrites(writes, (index) => leased.has(index));
  // Run slots (slots.ts), read afresh under the job row lock.
  const [rawSlots] = await conn.query<Rows<{ owner: string; at: number; slots: number; slotsExpire: number }>>(
    'SELECT owner, at, slots, slots_expire AS slotsExpire FROM af_bj_interest WHERE job_key = ?', [jobKey]);
  const flushRead: FlushRead = {
    job: { status: job.status, total: job.total, done: job.done, failed: job.failed, cancelled: job.cancelled, lastError: job.last_error },
    finished: held.finished,
    // Counted before the writes below, which release `held.released` of the owner's tasks.
    running: value('running') - held.released,
    held: value('mine') - held.released,
    slotRows: rawSlots.map((r) => ({ owner: r.owner, at: Number(r.at), slots: Number(r.slots), slotsExpire: Number(r.slotsExpire) })),
  };
  const plan = planFlush(input, flushRead);

  let claimed: ClaimedTask[] = [];
  if (plan.claim > 0) {
    const [rows] = await conn.query<Rows<{ idx: number; state: string; attempt: number }>>(
      `SELECT idx, state, attempt FROM af_bj_tasks FORCE INDEX (af_bj_tasks_by_status)
       WHERE job_key = ? AND status = 'SCHEDULED' AND run_after <= ? ORDER BY idx LIMIT ? FOR UPDATE SKIP LOCKED`,
      [jobKey, now, plan.claim]);
    claimed = rows.map((r) => ({ index: Number(r.idx), state: r.state, attempt: Number(r.attempt) + 1 }));
  }

  if (held.writes.length + claimed.length > 0) {
    // Usually one statement; several when the writes would not fit in one packet (the claims go with the first).
    const claims = claimed.map((c) => c.index);
    let matched = 0;
    for (const [n, rows] of chunkWrites(held.writes, budget, claims.length * CLAIM_OVERHEAD + owner.length * 4).entries()) {
      const { sql, params } = batchUpdate(jobKey, owner, rows, n === 0 ? claims : [], now + input.leaseMs);
      const [result] = await conn.query<ResultSetHeader>(sql, params);
      matched += matchedRows(result);
    }
    if (matched !== held.writes.length + claimed.length) throw new LeaseRace('A lease changed during the flush');
  }

  // The events' numbers move with the counters, in the same statement (the job row is locked).
  const lastSeq = plan.events.length > 0 ? Number(job.last_seq) + plan.events.length : null;
  if (plan.writeJob || lastSeq !== null) {
    const { counters } = plan;
    await conn.query(`UPDATE af_bj_jobs SET done = ?, failed = ?, cancelled = ?, last_error = COALESCE(?, last_error),
      status = ?, finished_at = IF(?, ?, finished_at), last_seq = ? WHERE job_key = ?`,
    [counters.done, counters.failed, counters.cancelled, plan.lastError, counters.status, plan.finishedJob, now, lastSeq ?? Number(job.last_seq), jobKey]);
  }

  const after = afterClaim(input, flushRead, plan, claimed.length);
  let nextRunAt: number | null = null;
  if (after.needsNextRunAt) {
    const [[next]] = await conn.query<Rows<{ t: number | null }>>(
      `SELECT MIN(run_after) AS t FROM af_bj_tasks WHERE job_key = ? AND status = 'SCHEDULED'`, [jobKey]);
    nextRunAt = next.t === null ? null : Number(next.t);
  }
  if (after.interest) {
    const { at, slots, slotsExpire } = after.interest;
    await conn.query(`INSERT INTO af_bj_interest (job_key, owner, at, slots, slots_expire) VALUES (?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE at = IF(?, VALUES(at), at), slots = VALUES(slots), slots_expire = VALUES(slots_expire)`,
    [jobKey, owner, at ?? 0, slots, slotsExpire, at !== null]);
  }
  if (lastSeq !== null) await insertEventRows(conn, jobKey, owner, now, lastSeq, plan.events, budget);
  return flushResult(plan, after, claimed, nextRunAt, lastSeq);
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
