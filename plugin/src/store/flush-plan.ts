/**
 * The decision of a flush (a job runner's group commit, `JobStore.flush`), written once, as pure
 * functions: what to write, given what the flush asks (`FlushInput`) and what the store read of the
 * job in the flush's transaction. The SQLite, MySQL and memory stores read, plan and write what the
 * plan says, in one transaction:
 *
 * 1. `taskWrites(input)`: one write per task (its state, its finish or its reschedule), applied
 *    only to tasks this owner still leases (IN_PROGRESS, `lease_owner` = owner). MySQL and memory
 *    learn which from their read (`leasedWrites`); SQLite applies the input's writes with that
 *    condition in their WHERE, in an order that gives the same rows, and counts what changed
 *    (cheaper there than building the list).
 * 2. `planFlush(input, read)`: the job's counters after those writes, whether this flush finishes
 *    the job and as what (the finishing rule below), the error it keeps, the events it logs, and
 *    how many tasks to claim (run slots, slots.ts).
 * 3. The store claims up to `plan.claim` SCHEDULED tasks that are due, lowest index first.
 * 4. `afterClaim(input, read, plan, claimed)`: the run slots it keeps and the interest row to write;
 *    `flushResult` is what `flush` returns.
 *
 * PostgreSQL makes the same decision in SQL in one round trip (postgres-flush.ts), with the SQL
 * forms of the finishing rule below. The store contract suite runs the same scenarios on all four
 * stores and compares what they return (test/plugin/store-flush-plan.test.ts).
 */
import { isFinishedJobStatus } from '../statuses.js';
import type { EngineEvent } from '../events.js';
import type { ClaimedTask, FlushInput, FlushResult, JobCounters } from './job-store.js';
import { finishedEventOf } from './event-batches.js';
import { grantSlots, keepSlots, slotView, tasksToClaim, type SlotGrant, type SlotRow } from './slots.js';

// ---------------------------------------------------------------------------------------------
// The finishing rule: a job whose every task has finished becomes DONE, or DONE_WITH_ERRORS when
// one failed (statuses.ts, IN_PROGRESS → DONE / DONE_WITH_ERRORS). A flush applies it only when it
// finished a task itself and is not asked to hold the finish (`FlushInput.holdFinish`), so exactly
// one flush finishes a job; `finishJob` applies it after a `beforeJobFinish` hook.

type Counts = Pick<JobCounters, 'total' | 'done' | 'failed' | 'cancelled'>;

/** Every task of the job has finished (done, failed or cancelled). */
export function allTasksFinished(job: Counts): boolean {
  return Number(job.done) + Number(job.failed) + Number(job.cancelled) >= Number(job.total);
}

/** The status a job whose every task finished ends in. */
export function finishedJobStatus(job: Pick<Counts, 'failed'>): 'DONE' | 'DONE_WITH_ERRORS' {
  return Number(job.failed) > 0 ? 'DONE_WITH_ERRORS' : 'DONE';
}

/** `allTasksFinished` in SQL, over the job row's columns. */
export const ALL_TASKS_FINISHED_SQL = 'done + failed + cancelled >= total';

/** `finishedJobStatus` in SQL, over the job row's columns. */
export const FINISHED_JOB_STATUS_SQL = `CASE WHEN failed > 0 THEN 'DONE_WITH_ERRORS' ELSE 'DONE' END`;

/**
 * Whether a flush finishes the job (`planFlush`), in SQL, over the columns of PostgreSQL's flush
 * (postgres-flush.ts `calc`): `old_status` (as read under the job lock), `hold` (holdFinish),
 * `finished_now` (tasks this flush finished), and the counters after the flush.
 */
export const FLUSH_FINISHES_JOB_SQL = `old_status = 'IN_PROGRESS' AND NOT hold AND finished_now > 0 AND ${ALL_TASKS_FINISHED_SQL}`;

// ---------------------------------------------------------------------------------------------
// 1. Task writes.

/** A task row to write: `status` null means "state only". */
export interface TaskWrite {
  index: number;
  /** JSON text of the task's state; null: leave it. */
  state: string | null;
  status: 'DONE' | 'FAILED' | 'CANCELLED' | 'SCHEDULED' | null;
  error: string | null;
  /** For a reschedule: not claimed before then (epoch ms). */
  runAfter: number | null;
}

/**
 * One write per task, sorted by index (rows are then locked in key order). A task both finished
 * and rescheduled in one batch (the runner never does that) finishes.
 */
export function taskWrites(input: Pick<FlushInput, 'states' | 'finished' | 'rescheduled'>): TaskWrite[] {
  const writes = new Map<number, TaskWrite>();
  for (const [index, state] of input.states) writeOf(writes, index).state = state;
  for (const task of input.rescheduled) {
    const write = writeOf(writes, task.index);
    write.status = 'SCHEDULED';
    write.error = task.error;
    write.runAfter = task.runAfter;
  }
  for (const task of input.finished) {
    const write = writeOf(writes, task.index);
    write.status = task.status;
    write.error = task.error ?? null;
    write.runAfter = null;
  }
  return [...writes.values()].sort(byIndex);
}

// Module-level rather than closures in taskWrites: the build keeps function names (esbuild
// keepNames), which costs a property definition per closure made, on every flush.
function writeOf(writes: Map<number, TaskWrite>, index: number): TaskWrite {
  let write = writes.get(index);
  if (!write) {
    write = { index, state: null, status: null, error: null, runAfter: null };
    writes.set(index, write);
  }
  return write;
}

function byIndex(a: TaskWrite, b: TaskWrite): number {
  return a.index - b.index;
}

/** Finishes that took effect, by status. */
export interface FinishedCounts {
  done: number;
  failed: number;
  cancelled: number;
}

export interface LeasedWrites {
  /** The writes of tasks this owner still leases: the only ones to apply. */
  writes: TaskWrite[];
  finished: FinishedCounts;
  /** How many of them leave IN_PROGRESS (finished or rescheduled). */
  released: number;
}

/**
 * The writes to apply, given which tasks this owner still leases: a task whose lease was lost (the
 * recovery pass took it, a cancel ended it, it was deleted) is not the owner's to write or finish.
 */
export function leasedWrites(writes: readonly TaskWrite[], leased: (index: number) => boolean): LeasedWrites {
  const held = writes.filter((w) => leased(w.index));
  const finished: FinishedCounts = { done: 0, failed: 0, cancelled: 0 };
  let released = 0;
  for (const w of held) {
    if (w.status === null) continue;
    released++;
    if (w.status === 'DONE') finished.done++;
    else if (w.status === 'FAILED') finished.failed++;
    else if (w.status === 'CANCELLED') finished.cancelled++;
  }
  return { writes: held, finished, released };
}

// ---------------------------------------------------------------------------------------------
// 2. The job, the events and the claim.

/** What the store read in the flush's transaction, with the job row locked, after the task writes. */
export interface FlushRead {
  /** The job row: status and counters before this flush, and the error it keeps. */
  job: JobCounters & { lastError: string | null };
  /** The finishes among the task writes that took effect. */
  finished: FinishedCounts;
  /** IN_PROGRESS tasks of the job after the task writes, every owner's. */
  running: number;
  /** This owner's IN_PROGRESS tasks after the task writes. */
  held: number;
  /** The job's run-slot rows (`af_bj_interest`). */
  slotRows: SlotRow[];
}

export interface FlushPlan {
  /** The job's status and counters after the flush. */
  counters: JobCounters;
  /** This flush finishes the job (DONE / DONE_WITH_ERRORS): write `finished_at` = now. */
  finishedJob: boolean;
  /** The job row changes: its counters and status (a task finished), or its last error. */
  writeJob: boolean;
  /** The error to keep in the job (null: keep the stored one). */
  lastError: string | null;
  /**
   * The events to log in this transaction: the flush's, then its `job:finished`. None when the job
   * had finished before this flush (cancelled meanwhile): its writes changed nothing.
   */
  events: EngineEvent[];
  finishedEvent?: EngineEvent;
  /** The flush wants tasks (and records the owner's interest). */
  claiming: boolean;
  /** SCHEDULED tasks to claim now: due ones (`run_after` ≤ now), lowest index first. */
  claim: number;
  /** The owner's run slots before the claim (slots.ts). */
  grant: SlotGrant;
  /** Tasks the owner is running now. */
  executing: number;
}

/** The most tasks one flush claims (a 32-bit LIMIT). */
const MAX_CLAIM = 2_147_483_647;

export function planFlush(input: FlushInput, read: FlushRead): FlushPlan {
  const { job, finished } = read;
  const finishedNow = finished.done + finished.failed + finished.cancelled;
  const counters: JobCounters = {
    status: job.status,
    total: Number(job.total),
    done: Number(job.done) + finished.done,
    failed: Number(job.failed) + finished.failed,
    cancelled: Number(job.cancelled) + finished.cancelled,
  };
  // holdFinish: the engine finishes the job itself, after the handler's beforeJobFinish (claimFinish, finishJob).
  const finishedJob = job.status === 'IN_PROGRESS' && !input.holdFinish && finishedNow > 0 && allTasksFinished(counters);
  if (finishedJob) counters.status = finishedJobStatus(counters);
  const lastError = input.lastError || null;
  const finishedEvent = finishedJob && input.job
    ? finishedEventOf(input.job, counters.status, input.now, counters.failed, lastError ?? job.lastError)
    : undefined;
  const events = finishedEvent ? [...(input.events ?? []), finishedEvent] : isFinishedJobStatus(job.status) ? [] : input.events ?? [];

  const claiming = input.claim > 0 && counters.status === 'IN_PROGRESS';
  const executing = input.executing ?? read.held;
  const grant = grantSlots(slotView(read.slotRows, input.owner, input.now, input.interestTtlMs), input.parallelLimit, executing, claiming);
  const claim = claiming ? Math.min(tasksToClaim(input.claim, grant.limit, Math.max(0, input.ahead ?? 0), read.held), MAX_CLAIM) : 0;
  return {
    counters, finishedJob, writeJob: finishedNow > 0 || lastError !== null, lastError, events,
    ...(finishedEvent ? { finishedEvent } : {}), claiming, claim, grant, executing,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. After the claim.

export interface AfterClaim {
  /** IN_PROGRESS tasks of the job after the flush, every owner's. */
  running: number;
  /** How many tasks the owner may run at once from now on (`FlushResult.slots`). */
  slots: number;
  /**
   * The owner's `af_bj_interest` row to write (null: leave it as it is). `at` null: keep the stored
   * time of its interest (0 for a new row); a flush records interest only when it wants tasks.
   */
  interest: { at: number | null; slots: number; slotsExpire: number } | null;
  /** Fewer tasks were due than wanted: look up when the next one is (`FlushResult.nextRunAt`). */
  needsNextRunAt: boolean;
}

export function afterClaim(input: FlushInput, read: FlushRead, plan: FlushPlan, claimed: number): AfterClaim {
  const { stored, limit } = keepSlots(plan.grant, plan.executing, read.held + claimed);
  const own = read.slotRows.find((r) => r.owner === input.owner);
  const interest = plan.claiming || (own !== undefined && own.slots !== stored)
    ? { at: plan.claiming ? input.now : null, slots: stored, slotsExpire: input.now + input.leaseMs }
    : null;
  return { running: read.running + claimed, slots: limit, interest, needsNextRunAt: claimed < plan.claim };
}

/** What `flush` returns. `lastSeq`: the last sequence number of `plan.events` as logged (null: none). */
export function flushResult(plan: FlushPlan, after: AfterClaim, claimed: ClaimedTask[], nextRunAt: number | null, lastSeq: number | null): FlushResult {
  return {
    claimed, counters: plan.counters, finishedJob: plan.finishedJob, nextRunAt, running: after.running, slots: after.slots, lastSeq,
    ...(plan.finishedEvent ? { finishedEvent: plan.finishedEvent } : {}),
  };
}

/** What `flush` returns for a job that does not exist (deleted): as a cancelled one, nothing to claim. */
export function goneJobResult(): FlushResult {
  return { claimed: [], counters: { status: 'CANCELLED', total: 0, done: 0, failed: 0, cancelled: 0 }, finishedJob: false, nextRunAt: null, running: 0, slots: 0 };
}
