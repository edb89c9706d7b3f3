/**
 * Test-only fixture for the connector tests (`test/host/connectors*.test.ts`): the same `jobs`
 * table on every database, a hand-built resource for it, and a fresh database per test.
 * Not exported from `connectors/index.ts`.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { freshDatabase, type DbKind, type FreshDatabase } from '../../helpers/databases.js';
import { AdminForthDataTypes, type AdminForthResource, type AdminForthResourceColumnInput } from '../types.js';
import { applyDiscoveredColumns, createConnector, OperationalResource, type DataConnector } from './index.js';

/** DDL per dialect: `jobs` (string pk, every type), `counters` (auto-increment pk), `nopk`. */
export const SCHEMA: Record<DbKind, string> = {
  sqlite: `
    CREATE TABLE jobs (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255),
      attempts INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL DEFAULT 0, score REAL, active BOOLEAN,
      created_at DATETIME, state TEXT, meta JSON, extra VARCHAR(40) DEFAULT 'not declared');
    CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT);
    CREATE TABLE nopk (a INTEGER);`,
  postgres: `
    CREATE TABLE jobs (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255),
      attempts INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL DEFAULT 0, score DOUBLE PRECISION, active BOOLEAN,
      created_at TIMESTAMP(3), state TEXT, meta JSONB, extra VARCHAR(40) DEFAULT 'not declared');
    CREATE TABLE counters (id BIGSERIAL PRIMARY KEY, label TEXT);
    CREATE TABLE nopk (a INTEGER);`,
  mysql: `
    CREATE TABLE jobs (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255),
      attempts INT NOT NULL DEFAULT 0, priority INT NOT NULL DEFAULT 0, score DOUBLE, active BOOLEAN,
      created_at DATETIME(3), state LONGTEXT, meta JSON, extra VARCHAR(40) DEFAULT 'not declared');
    CREATE TABLE counters (id BIGINT AUTO_INCREMENT PRIMARY KEY, label TEXT);
    CREATE TABLE nopk (a INT);`,
};

/** A resource object shaped like AdminForth's after config validation, before discovery. */
export function makeResource(table: string, columns: AdminForthResourceColumnInput[], resourceId = table): AdminForthResource {
  const hooks = () => ({ beforeSave: [], afterSave: [] });
  return {
    resourceId,
    table,
    dataSource: 'maindb',
    label: resourceId,
    columns: columns as AdminForthResource['columns'],
    dataSourceColumns: [],
    hooks: { create: hooks(), edit: hooks(), delete: hooks() },
    plugins: [],
    options: {},
  };
}

/** The `jobs` resource: fillOnCreate id/created_at, normalize on name, isUnique email, JSON on a TEXT column, a virtual column. */
export function jobsResource(): AdminForthResource {
  return makeResource('jobs', [
    { name: 'id', primaryKey: true, fillOnCreate: () => randomUUID() },
    { name: 'name', normalize: (v: string) => String(v).trim() },
    { name: 'email', isUnique: true },
    { name: 'attempts' },
    { name: 'priority' },
    { name: 'score' },
    { name: 'active' },
    { name: 'created_at', fillOnCreate: () => new Date().toISOString() },
    { name: 'state', type: AdminForthDataTypes.JSON },
    { name: 'meta' },
    { name: 'shown_label', virtual: true },
  ]);
}

/** One test's database, connector and resource API. */
export interface ConnectorFixture {
  db: FreshDatabase;
  connector: DataConnector;
  resource: AdminForthResource;
  api: OperationalResource;
}

/** Fresh database with {@link SCHEMA}, a connector, discovery applied to `resource`. */
export async function openFixture(kind: DbKind, resource: AdminForthResource = jobsResource()): Promise<ConnectorFixture> {
  const db = await freshDatabase(kind);
  try {
    await db.exec(SCHEMA[kind]);
    const connector = createConnector(db.url);
    try {
      applyDiscoveredColumns(resource, await connector.discoverFields(resource));
    } catch (error) {
      await connector.close();
      throw error;
    }
    return { db, connector, resource, api: new OperationalResource(connector, resource) };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** Closes the connector, then drops the database. */
export async function closeFixture(f: ConnectorFixture | undefined): Promise<void> {
  if (!f) return;
  try {
    await f.connector.close();
  } finally {
    await f.db.drop();
  }
}

/** Registers beforeEach/afterEach that give every test its own fixture; call the result inside a test. */
export function useFixture(kind: DbKind, resource: () => AdminForthResource = jobsResource): () => ConnectorFixture {
  let current: ConnectorFixture | undefined;
  beforeEach(async () => {
    current = await openFixture(kind, resource());
  });
  afterEach(async () => {
    const f = current;
    current = undefined;
    await closeFixture(f);
  });
  return () => {
    if (!current) throw new Error('fixture used outside a test');
    return current;
  };
}
