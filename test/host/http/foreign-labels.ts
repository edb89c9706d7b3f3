/**
 * In `get_resource_data` rows, AdminForth replaces the value of every foreign-key column (one with
 * `foreignResource.resourceId`) by `{ label, pk }` of the referenced record (its resource's
 * `recordLabel`), or by `undefined` when no such record exists, before the
 * `afterDatasourceResponse` hooks see the rows. `isArray` columns get an array of those.
 * Polymorphic foreign keys (`polymorphicOn`) are not reproduced: their values stay as read.
 */
import { AdminForthFilterOperators, type AdminForthResource, type AdminForthResourceColumn, type IAdminForth } from '../types.js';
import { connectorOf, primaryKeyOf } from './resource-lookup.js';

type Row = Record<string, any>;

/** Replaces the foreign-key values of `rows` in place, for the columns `include` accepts. */
export async function attachForeignLabels(
  adminforth: IAdminForth,
  resource: AdminForthResource,
  rows: Row[],
  include: (column: AdminForthResourceColumn) => boolean,
): Promise<void> {
  const columns = resource.columns.filter((c) => c.foreignResource?.resourceId && include(c));
  await Promise.all(columns.map((column) => labelColumn(adminforth, column, rows)));
}

async function labelColumn(adminforth: IAdminForth, column: AdminForthResourceColumn, rows: Row[]): Promise<void> {
  const target = adminforth.config.resources.find((r) => r.resourceId == column.foreignResource!.resourceId);
  if (!target) throw new Error(`Resource ${column.foreignResource!.resourceId} (foreignResource of column ${column.name}) not found`);
  const isArray = Boolean(column.isArray?.enabled);
  const keys = new Set<unknown>();
  for (const row of rows) {
    if (!isArray) keys.add(row[column.name]);
    else if (row[column.name]?.length) for (const key of row[column.name]) keys.add(key);
  }
  if (keys.size === 0) return;

  const pkName = primaryKeyOf(target).name;
  const referenced = await connectorOf(adminforth, target).getData({
    resource: target,
    filters: { operator: AdminForthFilterOperators.AND, subFilters: [{ field: pkName, operator: AdminForthFilterOperators.IN, value: [...keys] }] },
    limit: keys.size,
    offset: 0,
    sort: [],
  });
  // Keyed as object keys are in AdminForth's lookup table: 5 and '5' are the same record.
  const byKey = new Map<string, { label: string; pk: unknown }>();
  for (const record of referenced) byKey.set(String(record[pkName]), { label: target.recordLabel?.(record) as string, pk: record[pkName] });
  const lookUp = (key: unknown) => byKey.get(String(key));

  for (const row of rows) {
    if (!isArray) row[column.name] = lookUp(row[column.name]);
    else if (row[column.name]?.length) row[column.name] = row[column.name].map(lookUp);
  }
}
