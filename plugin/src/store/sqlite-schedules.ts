/**
 * ScheduleStore on SQLite (schedule-store.ts), through the connector's better-sqlite3 `Database`.
 * Each statement is its own transaction; the primary key of af_bj_schedule_ticks decides claims.
 */
import type { Database } from 'better-sqlite3';
import { SqlScheduleStore, type ScheduleDefinitionRow } from './schedule-store.js';

export class SqliteScheduleStore extends SqlScheduleStore {
  constructor(private readonly db: Database) {
    super({
      all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, any>[],
      run: async (sql, params) => db.prepare(sql).run(...params).changes,
    });
  }

  protected async upsertDefinition(d: ScheduleDefinitionRow, now: number): Promise<void> {
    this.db.prepare(`INSERT INTO af_bj_schedules (name, cron, timezone, handler, job_name, overlap, catch_up, paused, cursor_tick, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, timezone = excluded.timezone, handler = excluded.handler,
        job_name = excluded.job_name, overlap = excluded.overlap, catch_up = excluded.catch_up, updated_at = excluded.updated_at`)
      .run(d.name, d.cron, d.timezone, d.handler, d.jobName, d.overlap, d.catchUp, now, now, now);
  }

  protected async insertClaim(name: string, tick: number, owner: string, until: number): Promise<boolean> {
    return this.db.prepare(`INSERT INTO af_bj_schedule_ticks (schedule_name, tick_at, status, owner, claim_until)
      VALUES (?, ?, 'CLAIMED', ?, ?) ON CONFLICT DO NOTHING`).run(name, tick, owner, until).changes === 1;
  }
}
