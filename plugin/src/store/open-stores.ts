/**
 * The stores of a database, picked by its kind: the engine's JobStore and the HTTP API's
 * TokenStore, both over the connector's own client (contract §2). Tables are made by the job
 * store's numbered migrations, tokens included.
 */
import type { SupportedDatabase } from '../adapter/options.js';
import type { JobStore } from './job-store.js';
import { MysqlJobStore } from './mysql-store.js';
import { PostgresJobStore } from './postgres-store.js';
import { SqliteJobStore } from './sqlite-store.js';
import { TokenStore } from './token-store.js';

export interface Stores {
  jobs: JobStore;
  tokens: TokenStore;
}

export function openStores(database: SupportedDatabase, client: any, options: { sqliteTuning?: boolean } = {}): Stores {
  const jobs: JobStore = database === 'postgres' ? new PostgresJobStore(client)
    : database === 'mysql' ? new MysqlJobStore(client)
      : new SqliteJobStore(client, { tune: options.sqliteTuning });
  return { jobs, tokens: new TokenStore(database, client) };
}
