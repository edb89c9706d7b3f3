/**
 * Numbered migrations of the plugin-owned tables on SQLite. Each runs once, inside a transaction,
 * recorded in `af_bj_migrations`; `BEGIN IMMEDIATE` takes the write lock first, so two processes
 * starting at once apply each migration exactly once.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'jobs, tasks and workers',
    sql: `
      CREATE TABLE af_bj_jobs (
        job_key INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT UNIQUE,
        handler TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        started_by TEXT,
        total INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        cancelled INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT '{}',
        last_error TEXT,
        owner TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX af_bj_jobs_by_status ON af_bj_jobs (status, handler, job_key);
      CREATE TABLE af_bj_tasks (
        job_key INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        status TEXT NOT NULL,
        state TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires INTEGER,
        run_after INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        PRIMARY KEY (job_key, idx)
      ) WITHOUT ROWID;
      CREATE INDEX af_bj_tasks_by_status ON af_bj_tasks (job_key, status, idx);
      CREATE INDEX af_bj_tasks_leased ON af_bj_tasks (lease_owner, lease_expires) WHERE status = 'IN_PROGRESS';
      CREATE TABLE af_bj_workers (
        owner TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'claim interest per job and owner (fair share across replicas)',
    sql: `
      CREATE TABLE af_bj_interest (
        job_key INTEGER NOT NULL,
        owner TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (job_key, owner)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'durable event log per job (live events across replicas)',
    // A rowid table: payloads are kilobytes, too big for WITHOUT ROWID's in-index rows.
    sql: `
      ALTER TABLE af_bj_jobs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX af_bj_jobs_finished ON af_bj_jobs (finished_at);
      CREATE TABLE af_bj_events (
        job_key INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        owner TEXT NOT NULL,
        at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (job_key, seq)
      );
    `,
  },
  {
    version: 4,
    name: 'run slots per job and owner (parallelLimit across replicas with claim-ahead)',
    sql: `
      ALTER TABLE af_bj_interest ADD COLUMN slots INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE af_bj_interest ADD COLUMN slots_expire INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 5,
    name: 'finish claims (beforeJobFinish), named locks (updateJobFieldsAtomically), retention, tokens',
    sql: `
      ALTER TABLE af_bj_jobs ADD COLUMN finish_owner TEXT;
      ALTER TABLE af_bj_jobs ADD COLUMN finish_until INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE af_bj_jobs ADD COLUMN finish_attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE af_bj_jobs ADD COLUMN next_index INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE af_bj_jobs ADD COLUMN tasks_purged_at INTEGER;
      CREATE INDEX af_bj_jobs_to_purge ON af_bj_jobs (tasks_purged_at, finished_at);
      -- Personal tokens of the HTTP API (store/token-store.ts), made on first use before this version.
      CREATE TABLE IF NOT EXISTS af_bj_tokens (
        id VARCHAR(64) NOT NULL PRIMARY KEY,
        user_pk VARCHAR(255) NOT NULL,
        name VARCHAR(255) NOT NULL,
        token_hash CHAR(64) NOT NULL UNIQUE,
        prefix VARCHAR(32) NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NULL,
        last_used_at BIGINT NULL
      );
      CREATE TABLE af_bj_locks (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'recurring schedules: schedules, one row per claimed tick, the schedule and tick of a job',
    // The unique (schedule_name, schedule_tick) of a job: at most one job per tick, whoever makes
    // it (schedule-store.ts). Rows without a schedule have NULLs there, which never collide.
    sql: `
      ALTER TABLE af_bj_jobs ADD COLUMN schedule_name TEXT;
      ALTER TABLE af_bj_jobs ADD COLUMN schedule_tick INTEGER;
      CREATE UNIQUE INDEX af_bj_jobs_schedule_tick ON af_bj_jobs (schedule_name, schedule_tick);
      CREATE TABLE af_bj_schedules (
        name TEXT PRIMARY KEY,
        cron TEXT NOT NULL,
        timezone TEXT NOT NULL,
        handler TEXT NOT NULL,
        job_name TEXT NOT NULL,
        overlap TEXT NOT NULL,
        catch_up TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        cursor_tick INTEGER NOT NULL,
        last_tick INTEGER,
        last_run_at INTEGER,
        last_job_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE af_bj_schedule_ticks (
        schedule_name TEXT NOT NULL,
        tick_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        job_id TEXT,
        owner TEXT NOT NULL,
        claim_until INTEGER NOT NULL,
        fired_at INTEGER,
        error TEXT,
        PRIMARY KEY (schedule_name, tick_at)
      ) WITHOUT ROWID;
      CREATE INDEX af_bj_schedule_ticks_claimed ON af_bj_schedule_ticks (claim_until) WHERE status = 'CLAIMED';
    `,
  },
];
