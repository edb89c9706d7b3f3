/**
 * The test host's data layer (contract §2, §5): `createConnector(url)` picks a connector by URL
 * scheme, `OperationalResource` is what `adminforth.resource(id)` returns, and
 * `applyDiscoveredColumns` merges discovery results into a resource.
 */
import { AdminForthBaseConnector } from './base-connector.js';
import { MySQLConnector } from './mysql.js';
import { PostgresConnector } from './postgres.js';
import { SQLiteConnector } from './sqlite.js';

export { AdminForthBaseConnector, type AggregationRules, type DiscoveredColumn, type DiscoveredFields, type GetDataArgs } from './base-connector.js';
export { applyDiscoveredColumns, mergeDiscoveredColumns, discoverResource } from './discovery.js';
export { OperationalResource } from './operational-resource.js';
export { SQLiteConnector, PostgresConnector, MySQLConnector };

/** Any connector the host can create. */
export type DataConnector = AdminForthBaseConnector;

const BUILT_IN: Record<string, new () => AdminForthBaseConnector> = {
  sqlite: SQLiteConnector,
  postgres: PostgresConnector,
  postgresql: PostgresConnector,
  mysql: MySQLConnector,
};

/** AdminForth's own package for a scheme it knows but the host does not implement (§5). */
const OTHER_KNOWN: Record<string, string> = { mongodb: 'mongo', clickhouse: 'clickhouse', qdrant: 'qdrant', duckdb: 'duckdb' };

/**
 * Creates the connector for `url` and opens its driver handle synchronously, so `connector.client`
 * is usable at once (`setupClient(url)` afterwards is a no-op). `config.databaseConnectors`
 * (`{ scheme: ConnectorClass }`, §5) takes precedence over the built-in ones.
 * Throws for an unknown scheme, in the spirit of AdminForth's "CONNECTOR IMPORT ERROR".
 */
export function createConnector(url: string, config?: { databaseConnectors?: Record<string, new () => AdminForthBaseConnector> }): DataConnector {
  const scheme = /^([a-z0-9+.-]+):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const Connector = config?.databaseConnectors?.[scheme] ?? BUILT_IN[scheme];
  if (!Connector) {
    const pkg = OTHER_KNOWN[scheme];
    throw new Error(
      `CONNECTOR IMPORT ERROR: no connector for data source URL scheme '${scheme || url}'. ` +
        (pkg
          ? `Real AdminForth would need '@adminforth/connector-${pkg}'; the test host only has sqlite, postgres and mysql.`
          : 'Supported: sqlite://, postgres://, postgresql://, mysql:// (or config.databaseConnectors).'),
    );
  }
  const connector = new Connector();
  // open() is protected: the subclass calls it through setupClient, but the driver handles are
  // created synchronously, so call it directly to make `client` available before any await.
  (connector as unknown as { open(url: string): void }).open(url);
  return connector;
}
