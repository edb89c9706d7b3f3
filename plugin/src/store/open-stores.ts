/**
 * The stores of a database, picked by its kind: the engine's JobStore, the HTTP API's TokenStore
 * and the recurring schedules' ScheduleStore, all over the connector's own client (contract §2).
 * Tables are made by the job store's numbered migrations, tokens and schedules included.
 */
import type { SupportedDatabase } from '../adapter/options.js';
import type { JobStore } from './job-store.js';
import { MysqlJobStore } from './mysql-store.js';
import { PostgresJobStore } from './postgres-store.js';
import { SqliteJobStore } from './sqlite-store.js';
import { TokenStore } from './token-store.js';
import type { ScheduleStore } from './schedule-store.js';
import { SqliteScheduleStore } from './sqlite-schedules.js';
import { PostgresScheduleStore } from './postgres-schedules.js';
import { MysqlScheduleStore } from './mysql-schedules.js';

export interface Stores {
  jobs: JobStore;
  tokens: TokenStore;
  schedules: ScheduleStore;
}

export function openStores(database: SupportedDatabase, client: any, options: { sqliteTuning?: boolean } = {}): Stores {
  const jobs: JobStore = database === 'postgres' ? new PostgresJobStore(client)
    : database === 'mysql' ? new MysqlJobStore(client)
      : new SqliteJobStore(client, { tune: options.sqliteTuning });
  const schedules: ScheduleStore = database === 'postgres' ? new PostgresScheduleStore(client)
    : database === 'mysql' ? new MysqlScheduleStore(client)
      : new SqliteScheduleStore(client);
  return { jobs, tokens: new TokenStore(database, client), schedules };
}
