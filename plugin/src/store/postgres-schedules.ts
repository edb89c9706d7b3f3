/**
 * ScheduleStore on PostgreSQL (schedule-store.ts), through the connector's `pg.Pool`. Two
 * replicas inserting the same tick: the second waits for the first to commit, then does nothing
 * (ON CONFLICT DO NOTHING), so exactly one claims it.
 */
import type { Pool } from 'pg';
import { SqlScheduleStore, type ScheduleDefinitionRow } from './schedule-store.js';

const numbered = (sql: string) => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`); };
/** BIGINT columns take whole numbers only. */
const whole = (params: unknown[]) => params.map((p) => (typeof p === 'number' && !Number.isInteger(p) ? Math.round(p) : p));

export class PostgresScheduleStore extends SqlScheduleStore {
  constructor(pool: Pool) {
    super({
      all: async (sql, params) => (await pool.query(numbered(sql), whole(params))).rows,
      run: async (sql, params) => (await pool.query(numbered(sql), whole(params))).rowCount ?? 0,
    });
  }

  protected async upsertDefinition(d: ScheduleDefinitionRow, now: number): Promise<void> {
    await this.sql.run(`INSERT INTO af_bj_schedules (name, cron, timezone, handler, job_name, overlap, catch_up, paused, cursor_tick, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone, handler = excluded.handler,
        job_name = excluded.job_name, overlap = excluded.overlap, catch_up = excluded.catch_up, updated_at = excluded.updated_at`,
    [d.name, d.cron, d.timezone, d.handler, d.jobName, d.overlap, d.catchUp, now, now, now]);
  }

  protected async insertClaim(name: string, tick: number, owner: string, until: number): Promise<boolean> {
    return (await this.sql.run(`INSERT INTO af_bj_schedule_ticks (schedule_name, tick_at, status, owner, claim_until)
      VALUES (?, ?, 'CLAIMED', ?, ?) ON CONFLICT DO NOTHING`, [name, tick, owner, until])) === 1;
  }
}
