/**
 * Numbered migrations of the plugin-owned tables on MySQL 8 and MariaDB 10.6+.
 *
 * MySQL commits DDL implicitly, so a migration cannot be rolled back half-way. Instead every
 * statement is safe to run again (`CREATE TABLE IF NOT EXISTS`, indexes declared inside it), the
 * version is recorded after its last statement, and the whole run holds the named lock
 * `GET_LOCK('af_bj_migrate')`: two replicas starting at once apply each migration once, and a
 * process killed half-way leaves something the next start completes.
 *
 * Times are epoch milliseconds (BIGINT), states JSON text (LONGTEXT), as on SQLite. Keys compare
 * byte for byte (utf8mb4_bin), as they do on SQLite and PostgreSQL. `af_bj_tasks_by_status` leads
 * with (job_key, status), so the claim reads SCHEDULED rows of its job in index order and never
 * the finished ones.
 */
export interface MysqlMigration {
  version: number;
  name: string;
  /** Run one by one (the pool has no multi-statement mode); each must be idempotent. */
  statements: string[];
}

/** The named lock migrations hold (session-level, released in `finally`). */
export const MYSQL_MIGRATION_LOCK = 'af_bj_migrate';
/** Seconds a starting replica waits for another one's migrations. */
export const MYSQL_MIGRATION_LOCK_TIMEOUT_S = 30;

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MYSQL_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS af_bj_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at BIGINT NOT NULL
) ${TABLE_OPTIONS}`;

export const MYSQL_MIGRATIONS: MysqlMigration[] = [
  {
    version: 1,
    name: 'jobs, tasks and workers',
    statements: [
      `CREATE TABLE IF NOT EXISTS af_bj_jobs (
        job_key BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        job_id VARCHAR(191) NULL,
        handler VARCHAR(191) NOT NULL,
        name TEXT NOT NULL,
        status VARCHAR(16) NOT NULL,
        started_by TEXT NULL,
        total INT NOT NULL DEFAULT 0,
        done INT NOT NULL DEFAULT 0,
        failed INT NOT NULL DEFAULT 0,
        cancelled INT NOT NULL DEFAULT 0,
        state LONGTEXT NOT NULL,
        last_error MEDIUMTEXT NULL,
        owner VARCHAR(191) NULL,
        created_at BIGINT NOT NULL,
        finished_at BIGINT NULL,
        UNIQUE KEY af_bj_jobs_job_id (job_id),
        KEY af_bj_jobs_by_status (status, handler, job_key)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS af_bj_tasks (
        job_key BIGINT NOT NULL,
        idx INT NOT NULL,
        status VARCHAR(16) NOT NULL,
        state LONGTEXT NOT NULL,
        attempt INT NOT NULL DEFAULT 0,
        lease_owner VARCHAR(191) NULL,
        lease_expires BIGINT NULL,
        run_after BIGINT NOT NULL DEFAULT 0,
        error MEDIUMTEXT NULL,
        PRIMARY KEY (job_key, idx),
        KEY af_bj_tasks_by_status (job_key, status, idx),
        KEY af_bj_tasks_leased (status, lease_owner, lease_expires)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS af_bj_workers (
        owner VARCHAR(191) NOT NULL PRIMARY KEY,
        host VARCHAR(255) NOT NULL,
        pid INT NOT NULL,
        heartbeat_at BIGINT NOT NULL
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 2,
    name: 'claim interest per job and owner (fair share across replicas)',
    statements: [
      `CREATE TABLE IF NOT EXISTS af_bj_interest (
        job_key BIGINT NOT NULL,
        owner VARCHAR(191) NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (job_key, owner)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 3,
    name: 'durable event log per job (live events across replicas)',
    statements: [
      'ALTER TABLE af_bj_jobs ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0',
      'CREATE INDEX af_bj_jobs_finished ON af_bj_jobs (finished_at)',
      `CREATE TABLE IF NOT EXISTS af_bj_events (
        job_key BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        first_seq BIGINT NOT NULL,
        owner VARCHAR(191) NOT NULL,
        at BIGINT NOT NULL,
        payload LONGTEXT NOT NULL,
        PRIMARY KEY (job_key, seq)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 4,
    name: 'run slots per job and owner (parallelLimit across replicas with claim-ahead)',
    statements: [
      'ALTER TABLE af_bj_interest ADD COLUMN slots INT NOT NULL DEFAULT 0, ADD COLUMN slots_expire BIGINT NOT NULL DEFAULT 0',
    ],
  },
  {
    version: 5,
    name: 'finish claims (beforeJobFinish), named locks (updateJobFieldsAtomically), retention, tokens',
    statements: [
      // One statement: the columns come together or not at all (a re-run reports 1060).
      `ALTER TABLE af_bj_jobs ADD COLUMN finish_owner VARCHAR(191) NULL, ADD COLUMN finish_until BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN finish_attempts INT NOT NULL DEFAULT 0,
        ADD COLUMN next_index INT NOT NULL DEFAULT 0,
        ADD COLUMN tasks_purged_at BIGINT NULL`,
      // Retention finds the jobs whose tasks are left by the NULL prefix (MySQL has no partial index).
      'CREATE INDEX af_bj_jobs_to_purge ON af_bj_jobs (tasks_purged_at, finished_at)',
      // Personal tokens of the HTTP API (store/token-store.ts), made on first use before this version.
      `CREATE TABLE IF NOT EXISTS af_bj_tokens (
        id VARCHAR(64) NOT NULL PRIMARY KEY,
        user_pk VARCHAR(255) NOT NULL,
        name VARCHAR(255) NOT NULL,
        token_hash CHAR(64) NOT NULL UNIQUE,
        prefix VARCHAR(32) NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NULL,
        last_used_at BIGINT NULL
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS af_bj_locks (
        name VARCHAR(191) NOT NULL PRIMARY KEY,
        owner VARCHAR(191) NOT NULL,
        expires_at BIGINT NOT NULL
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 6,
    name: 'recurring schedules: schedules, one row per claimed tick, the schedule and tick of a job',
    statements: [
      // One statement, so the columns come together or not at all (a re-run reports 1060).
      'ALTER TABLE af_bj_jobs ADD COLUMN schedule_name VARCHAR(191) NULL, ADD COLUMN schedule_tick BIGINT NULL',
      // At most one job per tick; rows without a schedule (NULLs) never collide.
      'CREATE UNIQUE INDEX af_bj_jobs_schedule_tick ON af_bj_jobs (schedule_name, schedule_tick)',
      `CREATE TABLE IF NOT EXISTS af_bj_schedules (
        name VARCHAR(191) NOT NULL PRIMARY KEY,
        cron VARCHAR(255) NOT NULL,
        timezone VARCHAR(64) NOT NULL,
        handler VARCHAR(191) NOT NULL,
        job_name VARCHAR(255) NOT NULL,
        overlap VARCHAR(16) NOT NULL,
        catch_up VARCHAR(16) NOT NULL,
        paused TINYINT NOT NULL DEFAULT 0,
        cursor_tick BIGINT NOT NULL,
        last_tick BIGINT NULL,
        last_run_at BIGINT NULL,
        last_job_id VARCHAR(191) NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      ) ${TABLE_OPTIONS}`,
      // MySQL has no partial index: claims are found by the (status, claim_until) prefix.
      `CREATE TABLE IF NOT EXISTS af_bj_schedule_ticks (
        schedule_name VARCHAR(191) NOT NULL,
        tick_at BIGINT NOT NULL,
        status VARCHAR(16) NOT NULL,
        job_id VARCHAR(191) NULL,
        owner VARCHAR(191) NOT NULL,
        claim_until BIGINT NOT NULL,
        fired_at BIGINT NULL,
        error MEDIUMTEXT NULL,
        PRIMARY KEY (schedule_name, tick_at),
        KEY af_bj_schedule_ticks_claimed (status, claim_until)
      ) ${TABLE_OPTIONS}`,
    ],
  },
];
