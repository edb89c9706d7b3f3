/**
 * Reaching a resource's rows the way core's resource endpoints do: through the connector of its
 * data source, not the operational resource API (`adminforth.connectors[...]`,
 * `getRecordByPrimaryKey`).
 */
import type { AdminForthBaseConnector } from '../connectors/index.js';
import type { AdminForthResource, AdminForthResourceColumn, IAdminForth } from '../types.js';

/** The primary-key column (every resource has one after discovery). */
export function primaryKeyOf(resource: AdminForthResource): AdminForthResourceColumn {
  const pk = resource.columns.find((c) => c.primaryKey);
  if (!pk) throw new Error(`Resource '${resource.resourceId}' has no primary key column`);
  return pk;
}

/** The connector of the resource's data source (`adminforth.connectors[resource.dataSource]`). */
export function connectorOf(adminforth: IAdminForth, resource: AdminForthResource): AdminForthBaseConnector {
  return (adminforth.connectors as Record<string, AdminForthBaseConnector>)[resource.dataSource];
}

/** A record by primary key, as the connector converts it, or null (`getRecordByPrimaryKey`). */
export async function recordByPrimaryKey(adminforth: IAdminForth, resource: AdminForthResource, id: unknown): Promise<Record<string, any> | null> {
  const [row] = await connectorOf(adminforth, resource).getData({
    resource, filters: { field: primaryKeyOf(resource).name, operator: 'eq', value: id }, limit: 1, offset: 0, sort: [],
  });
  return row ?? null;
}
