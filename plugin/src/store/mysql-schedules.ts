/**
 * ScheduleStore on MySQL / MariaDB (schedule-store.ts), through the connector's mysql2 pool. A
 * claim is a plain INSERT whose duplicate-key error (1062) means another replica has the tick
 * (INSERT IGNORE would also hide other errors as warnings).
 */
import type { Pool, ResultSetHeader } from 'mysql2/promise';
import { SqlScheduleStore, type ScheduleDefinitionRow } from './schedule-store.js';

/**
 * Rows an UPDATE matched: mysql2 sets CLIENT_FOUND_ROWS, so `affectedRows` counts them, but the
 * server's info line is the truth when a pool was made without that flag.
 */
function matched(result: ResultSetHeader): number {
  const match = /Rows matched:\s*(\d+)/.exec(result.info ?? '');
  return match ? Number(match[1]) : result.affectedRows;
}

export class MysqlScheduleStore extends SqlScheduleStore {
  constructor(private readonly pool: Pool) {
    super({
      all: async (sql, params) => (await pool.query(sql, params))[0] as Record<string, any>[],
      run: async (sql, params) => matched((await pool.query<ResultSetHeader>(sql, params))[0]),
    });
  }

  protected async upsertDefinition(d: ScheduleDefinitionRow, now: number): Promise<void> {
    // VALUES(col) rather than the row alias of MySQL 8.0.19+: MariaDB knows only the former.
    await this.pool.query(`INSERT INTO af_bj_schedules (name, cron, timezone, handler, job_name, overlap, catch_up, paused, cursor_tick, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
      ON DUPLICATE KEY UPDATE cron = VALUES(cron), timezone = VALUES(timezone), handler = VALUES(handler),
        job_name = VALUES(job_name), overlap = VALUES(overlap), catch_up = VALUES(catch_up), updated_at = VALUES(updated_at)`,
    [d.name, d.cron, d.timezone, d.handler, d.jobName, d.overlap, d.catchUp, now, now, now]);
  }

  protected async insertClaim(name: string, tick: number, owner: string, until: number): Promise<boolean> {
    try {
      await this.pool.query(`INSERT INTO af_bj_schedule_ticks (schedule_name, tick_at, status, owner, claim_until)
        VALUES (?, ?, 'CLAIMED', ?, ?)`, [name, tick, owner, until]);
      return true;
    } catch (error) {
      if ((error as { errno?: number }).errno === 1062) return false;
      throw error;
    }
  }
}
