/**
 * Merging what a connector discovered into a resource's columns, the way `discoverDatabases`
 * does it (contract §1.3, §5): declared settings win, the discovered `_underlineType` stays.
 */
import type { AdminForthResource, AdminForthResourceColumn } from '../types.js';
import type { AdminForthBaseConnector, DiscoveredFields } from './base-connector.js';

/**
 * Replaces every non-virtual column object with `{ ...discovered, ...declared }` (new objects, the
 * resource object stays the same, §1.3), then sets `resource.dataSourceColumns`.
 * Throws `Table '<t>' has no column '<c>'` for a declared column the table lacks, and when the
 * resource ends up without a primary key.
 */
export function applyDiscoveredColumns(resource: AdminForthResource, discovered: DiscoveredFields): void {
  resource.columns.forEach((declared, i) => {
    if (declared.virtual) return;
    const found = discovered[declared.name];
    if (!found) throw new Error(`Table '${resource.table}' has no column '${declared.name}'`);
    // Keys declared as `undefined` (e.g. `type: undefined`) must not erase what was discovered.
    const explicit = Object.fromEntries(Object.entries(declared).filter(([, v]) => v !== undefined));
    resource.columns[i] = { ...found, ...explicit } as AdminForthResourceColumn;
  });
  if (!resource.columns.some((c) => c.primaryKey)) {
    throw new Error(`Resource '${resource.resourceId}' has no primary key: table '${resource.table}' has none and no column sets 'primaryKey: true'`);
  }
  resource.dataSourceColumns = resource.columns.filter((c) => !c.virtual);
}

/** Alias of {@link applyDiscoveredColumns} (the name `admin-forth.ts` imports). */
export const mergeDiscoveredColumns = applyDiscoveredColumns;

/** `discoverFields` + {@link applyDiscoveredColumns} for one resource. */
export async function discoverResource(connector: AdminForthBaseConnector, resource: AdminForthResource): Promise<void> {
  applyDiscoveredColumns(resource, await connector.discoverFields(resource));
}
