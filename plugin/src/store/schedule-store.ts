/**
 * Recurring schedules' durable state (issue 20), in two plugin-owned tables of the jobs resource's
 * database, made by the numbered migrations:
 *
 * - `af_bj_schedules`, one row per schedule: its definition as the code last registered it, the
 *   durable `paused` flag every replica reads, the catch-up cursor (`cursor_tick`: every tick at
 *   or before it was handled — fired, skipped or left as missed), and what it last started.
 * - `af_bj_schedule_ticks`, one row per tick a replica claimed, keyed by (schedule_name, tick_at).
 *   That primary key is what makes a tick fire once across replicas: a replica fires a tick only
 *   after its INSERT of the tick's row won; the row then records the outcome (the job, a skip, a
 *   failure). A claim is a lease (`owner`, `claim_until`), renewed while its job is created; one
 *   that expires (its replica died) is taken over by another replica.
 *
 * Jobs carry their schedule and tick in `af_bj_jobs.schedule_name / schedule_tick`, unique
 * together, so even a replica that lost its claim without knowing cannot make a second job of
 * the tick. Times are epoch milliseconds. The SQL is shared; the per-database files supply the
 * driver calls and the few statements whose syntax differs.
 */
import type { JobStatus } from '../statuses.js';

export const SCHEDULE_OVERLAPS = ['skip', 'allow', 'queue'] as const;
export const SCHEDULE_CATCH_UPS = ['none', 'last', 'all'] as const;
export type ScheduleOverlapMode = (typeof SCHEDULE_OVERLAPS)[number];
export type ScheduleCatchUpMode = (typeof SCHEDULE_CATCH_UPS)[number];

/** A tick row's status: claimed (its job being made), or what came of it. */
export const TICK_STATUSES = ['CLAIMED', 'FIRED', 'SKIPPED', 'FAILED'] as const;
export type TickStatus = (typeof TICK_STATUSES)[number];

/** What the code registers; written by `upsert` (the pause flag and the cursor are kept). */
export interface ScheduleDefinitionRow {
  name: string;
  cron: string;
  timezone: string;
  handler: string;
  jobName: string;
  overlap: ScheduleOverlapMode;
  catchUp: ScheduleCatchUpMode;
}

export interface ScheduleRow extends ScheduleDefinitionRow {
  paused: boolean;
  /** Every tick at or before this was handled (fired, skipped, or missed and left). */
  cursorTick: number;
  /** The latest tick that started a job; null when none has. */
  lastTick: number | null;
  /** When the latest job of the schedule (a tick's or a run now's) was started. */
  lastRunAt: number | null;
  lastJobId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TickRow {
  scheduleName: string;
  tickAt: number;
  status: TickStatus;
  jobId: string | null;
  owner: string;
  claimUntil: number;
  firedAt: number | null;
  /** Why a tick was skipped or failed. */
  error: string | null;
}

/** The engine's job made for a tick (its unique key in af_bj_jobs). */
export interface TickJob {
  jobKey: number;
  jobId: string | null;
  status: JobStatus | 'DRAFT';
}

export interface TickOutcome {
  status: 'FIRED' | 'SKIPPED' | 'FAILED';
  jobId: string | null;
  error: string | null;
  now: number;
}

export interface ScheduleStore {
  /** Insert the schedule, or update its definition (keeping `paused`, the cursor and the last run). The cursor of a new one is `now`. */
  upsert(definition: ScheduleDefinitionRow, now: number): Promise<ScheduleRow>;
  get(name: string): Promise<ScheduleRow | null>;
  /** Every schedule row, by name. */
  list(): Promise<ScheduleRow[]>;
  /**
   * Pause or resume. Resuming moves the cursor to `now`: ticks of the paused time are not caught
   * up. Null when there is no such schedule.
   */
  setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRow | null>;
  /** Moves the cursor forward to `tick` (never back). */
  advanceCursor(name: string, tick: number, now: number): Promise<void>;
  /** Claims a tick: inserts its row, CLAIMED by `owner` until `until`. False when the row exists (another replica has it). */
  claimTick(name: string, tick: number, owner: string, now: number, until: number): Promise<boolean>;
  /** Claims whose owner let them expire (claim_until < now), oldest first. */
  expiredClaims(now: number, limit: number): Promise<{ scheduleName: string; tickAt: number }[]>;
  /** Takes over an expired claim; true for the one replica whose update matched it. */
  takeOverClaim(name: string, tick: number, owner: string, now: number, until: number): Promise<boolean>;
  /** Extends this owner's claim; false when it holds it no more. */
  renewClaim(name: string, tick: number, owner: string, until: number): Promise<boolean>;
  /** Records what came of a claimed tick; false when `owner` no longer holds the claim. */
  settleTick(name: string, tick: number, owner: string, outcome: TickOutcome): Promise<boolean>;
  /**
   * Records a job the schedule started: `tick` (null for a run now) raises `last_tick`;
   * `last_run_at` / `last_job_id` follow the latest start.
   */
  recordRun(name: string, tick: number | null, jobId: string, at: number): Promise<void>;
  /** The job made for this tick, if any (a draft included). */
  jobForTick(name: string, tick: number): Promise<TickJob | null>;
  /**
   * True when a job of the schedule (handler `handler`) is QUEUED or IN_PROGRESS, or an earlier
   * tick of it is claimed (its job is being made): `overlap: 'skip'` skips the tick then.
   */
  isBusy(name: string, handler: string, tick: number): Promise<boolean>;
  /** Tick rows of a schedule with from <= tick_at < to, in tick order. */
  ticks(name: string, from: number, to: number): Promise<TickRow[]>;
  /** Deletes a schedule's settled tick rows older than `before`; returns how many. */
  pruneTicks(name: string, before: number): Promise<number>;
}

/** `?` placeholders in, driver-specific execution out (as token-store.ts). */
export interface SqlRunner {
  all(sql: string, params: unknown[]): Promise<Record<string, any>[]>;
  /** Returns the number of rows the statement matched. */
  run(sql: string, params: unknown[]): Promise<number>;
}

const time = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function scheduleFromRaw(raw: Record<string, any>): ScheduleRow {
  return {
    name: String(raw.name),
    cron: String(raw.cron),
    timezone: String(raw.timezone),
    handler: String(raw.handler),
    jobName: String(raw.job_name),
    overlap: raw.overlap as ScheduleOverlapMode,
    catchUp: raw.catch_up as ScheduleCatchUpMode,
    paused: Boolean(Number(raw.paused)),
    cursorTick: Number(raw.cursor_tick),
    lastTick: time(raw.last_tick),
    lastRunAt: time(raw.last_run_at),
    lastJobId: raw.last_job_id === null || raw.last_job_id === undefined ? null : String(raw.last_job_id),
    createdAt: Number(raw.created_at),
    updatedAt: Number(raw.updated_at),
  };
}

function tickFromRaw(raw: Record<string, any>): TickRow {
  return {
    scheduleName: String(raw.schedule_name),
    tickAt: Number(raw.tick_at),
    status: raw.status as TickStatus,
    jobId: raw.job_id === null || raw.job_id === undefined ? null : String(raw.job_id),
    owner: String(raw.owner),
    claimUntil: Number(raw.claim_until),
    firedAt: time(raw.fired_at),
    error: raw.error ?? null,
  };
}

const SCHEDULE_COLUMNS = 'name, cron, timezone, handler, job_name, overlap, catch_up, paused, cursor_tick, last_tick, last_run_at, last_job_id, created_at, updated_at';

/**
 * The statements every database runs alike. Subclasses give the runner and the two statements
 * whose syntax differs: the upsert of a definition and the insert that claims a tick.
 */
export abstract class SqlScheduleStore implements ScheduleStore {
  constructor(protected readonly sql: SqlRunner) {}

  /** INSERT of a new schedule row, or UPDATE of its definition columns and `updated_at` only. */
  protected abstract upsertDefinition(definition: ScheduleDefinitionRow, now: number): Promise<void>;
  /** INSERT of a CLAIMED tick row; false (no error) when its key exists. */
  protected abstract insertClaim(name: string, tick: number, owner: string, until: number): Promise<boolean>;

  async upsert(definition: ScheduleDefinitionRow, now: number): Promise<ScheduleRow> {
    await this.upsertDefinition(definition, now);
    return (await this.get(definition.name))!;
  }

  async get(name: string): Promise<ScheduleRow | null> {
    const [row] = await this.sql.all(`SELECT ${SCHEDULE_COLUMNS} FROM af_bj_schedules WHERE name = ?`, [name]);
    return row ? scheduleFromRaw(row) : null;
  }

  async list(): Promise<ScheduleRow[]> {
    return (await this.sql.all(`SELECT ${SCHEDULE_COLUMNS} FROM af_bj_schedules ORDER BY name`, [])).map(scheduleFromRaw);
  }

  async setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRow | null> {
    if (paused) {
      await this.sql.run('UPDATE af_bj_schedules SET paused = 1, updated_at = ? WHERE name = ?', [now, name]);
    } else {
      // Only a resume of a paused schedule moves the cursor: resuming a running one changes nothing.
      // cursor_tick first: MySQL evaluates SET assignments left to right, with the new `paused`.
      await this.sql.run(`UPDATE af_bj_schedules SET cursor_tick = CASE WHEN paused = 1 AND cursor_tick < ? THEN ? ELSE cursor_tick END,
        paused = 0, updated_at = ? WHERE name = ?`, [now, now, now, name]);
    }
    return this.get(name);
  }

  async advanceCursor(name: string, tick: number, now: number): Promise<void> {
    await this.sql.run('UPDATE af_bj_schedules SET cursor_tick = ?, updated_at = ? WHERE name = ? AND cursor_tick < ?', [tick, now, name, tick]);
  }

  async claimTick(name: string, tick: number, owner: string, _now: number, until: number): Promise<boolean> {
    return this.insertClaim(name, tick, owner, until);
  }

  async expiredClaims(now: number, limit: number): Promise<{ scheduleName: string; tickAt: number }[]> {
    const rows = await this.sql.all(`SELECT schedule_name, tick_at FROM af_bj_schedule_ticks
      WHERE status = 'CLAIMED' AND claim_until < ? ORDER BY claim_until LIMIT ${Math.max(1, Math.floor(limit))}`, [now]);
    return rows.map((r) => ({ scheduleName: String(r.schedule_name), tickAt: Number(r.tick_at) }));
  }

  async takeOverClaim(name: string, tick: number, owner: string, now: number, until: number): Promise<boolean> {
    return (await this.sql.run(`UPDATE af_bj_schedule_ticks SET owner = ?, claim_until = ?
      WHERE schedule_name = ? AND tick_at = ? AND status = 'CLAIMED' AND claim_until < ?`, [owner, until, name, tick, now])) === 1;
  }

  async renewClaim(name: string, tick: number, owner: string, until: number): Promise<boolean> {
    return (await this.sql.run(`UPDATE af_bj_schedule_ticks SET claim_until = ?
      WHERE schedule_name = ? AND tick_at = ? AND owner = ? AND status = 'CLAIMED'`, [until, name, tick, owner])) === 1;
  }

  async settleTick(name: string, tick: number, owner: string, outcome: TickOutcome): Promise<boolean> {
    return (await this.sql.run(`UPDATE af_bj_schedule_ticks SET status = ?, job_id = ?, error = ?, fired_at = ?
      WHERE schedule_name = ? AND tick_at = ? AND owner = ? AND status = 'CLAIMED'`,
    [outcome.status, outcome.jobId, outcome.error, outcome.now, name, tick, owner])) === 1;
  }

  async recordRun(name: string, tick: number | null, jobId: string, at: number): Promise<void> {
    if (tick !== null) {
      await this.sql.run('UPDATE af_bj_schedules SET last_tick = ? WHERE name = ? AND (last_tick IS NULL OR last_tick < ?)', [tick, name, tick]);
    }
    await this.sql.run(`UPDATE af_bj_schedules SET last_run_at = ?, last_job_id = ?, updated_at = ?
      WHERE name = ? AND (last_run_at IS NULL OR last_run_at <= ?)`, [at, jobId, at, name, at]);
  }

  async jobForTick(name: string, tick: number): Promise<TickJob | null> {
    const [row] = await this.sql.all('SELECT job_key, job_id, status FROM af_bj_jobs WHERE schedule_name = ? AND schedule_tick = ?', [name, tick]);
    if (!row) return null;
    return { jobKey: Number(row.job_key), jobId: row.job_id === null ? null : String(row.job_id), status: row.status };
  }

  async isBusy(name: string, handler: string, tick: number): Promise<boolean> {
    // Through the (status, handler, job_key) index: only the handler's running and queued jobs are read.
    const running = await this.sql.all(`SELECT 1 AS busy FROM af_bj_jobs
      WHERE status IN ('IN_PROGRESS', 'QUEUED') AND handler = ? AND schedule_name = ? LIMIT 1`, [handler, name]);
    if (running.length > 0) return true;
    const claimed = await this.sql.all(`SELECT 1 AS busy FROM af_bj_schedule_ticks
      WHERE schedule_name = ? AND tick_at < ? AND status = 'CLAIMED' LIMIT 1`, [name, tick]);
    return claimed.length > 0;
  }

  async ticks(name: string, from: number, to: number): Promise<TickRow[]> {
    const rows = await this.sql.all(`SELECT schedule_name, tick_at, status, job_id, owner, claim_until, fired_at, error
      FROM af_bj_schedule_ticks WHERE schedule_name = ? AND tick_at >= ? AND tick_at < ? ORDER BY tick_at`, [name, from, to]);
    return rows.map(tickFromRaw);
  }

  async pruneTicks(name: string, before: number): Promise<number> {
    return this.sql.run(`DELETE FROM af_bj_schedule_ticks WHERE schedule_name = ? AND tick_at < ? AND status <> 'CLAIMED'`, [name, before]);
  }
}
