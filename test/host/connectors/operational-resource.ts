/**
 * `adminforth.resource(id)`: the operational resource API (contract §2, §9.4). Goes straight to
 * the connector; no hooks run.
 */
import type { AdminForthResource, IAdminForthFilterInput, IAdminForthSort, IOperationalResource } from '../types.js';
import type { AdminForthBaseConnector, AggregationRules } from './base-connector.js';

/** `list()`'s `null` limit means "all": AdminForth passes 1 000 000 000 (§2). */
const NO_LIMIT = 1_000_000_000;

/** The object `adminforth.resource(id)` returns. */
export class OperationalResource implements IOperationalResource {
  /**
   * @param dataConnector the resource's connector; `.client` is the driver handle (§2).
   * @param resourceConfig the resource after discovery (columns merged, `dataSourceColumns` set).
   */
  constructor(public readonly dataConnector: AdminForthBaseConnector, public readonly resourceConfig: AdminForthResource) {}

  /** First matching row or `null` (limit 1, offset 0, no sort). */
  async get(filter?: IAdminForthFilterInput): Promise<Record<string, any> | null> {
    const [row] = await this.dataConnector.getData({ resource: this.resourceConfig, filters: filter, limit: 1, offset: 0, sort: [] });
    return row ?? null;
  }

  /** Matching rows; `null` limit → all, `null` offset → 0, a non-number limit/offset throws. */
  async list(
    filter?: IAdminForthFilterInput,
    limit: number | null = null,
    offset: number | null = null,
    sort: IAdminForthSort | IAdminForthSort[] = [],
  ): Promise<Record<string, any>[]> {
    const realLimit = limit ?? NO_LIMIT;
    const realOffset = offset ?? 0;
    if (typeof realLimit !== 'number' || Number.isNaN(realLimit)) throw new Error(`Limit must be a number, got ${typeof limit} ${JSON.stringify(limit)}`);
    if (typeof realOffset !== 'number' || Number.isNaN(realOffset)) throw new Error(`Offset must be a number, got ${typeof offset} ${JSON.stringify(offset)}`);
    return this.dataConnector.getData({ resource: this.resourceConfig, filters: filter, limit: realLimit, offset: realOffset, sort });
  }

  /** Number of matching rows. */
  async count(filter?: IAdminForthFilterInput): Promise<number> {
    return this.dataConnector.getCount({ resource: this.resourceConfig, filters: filter });
  }

  /** `aggregate(filter, { alias: { operation, field } }, groupBy?)`; see the connector for the host's shape. */
  async aggregate(filter: IAdminForthFilterInput, aggregations: AggregationRules, groupBy?: { type: 'field'; field: string }): Promise<Record<string, any>[]> {
    return this.dataConnector.aggregate({ resource: this.resourceConfig, filters: filter, aggregations, groupBy });
  }

  /**
   * Applies each column's `normalize` (§2, operationalResource.ts:86-87), then the connector's
   * create: `{ ok: true, createdRecord }` or `{ ok: false, error }` for a unique clash.
   */
  async create(record: Record<string, any>): Promise<{ ok: true; createdRecord: Record<string, any> } | { ok: false; error: string }> {
    const normalized = { ...record };
    for (const column of this.resourceConfig.columns) {
      if (column.normalize && normalized[column.name] !== undefined) normalized[column.name] = column.normalize(normalized[column.name]);
    }
    return this.dataConnector.createRecord({ resource: this.resourceConfig, record: normalized });
  }

  /** `{ ok: true }` (also for a missing pk or an empty patch, which never reaches the DB); `{ ok: false, error }` on a unique clash. */
  async update(primaryKey: any, record: Record<string, any>): Promise<{ ok: true } | { ok: false; error: string }> {
    if (!record || Object.keys(record).length === 0) return { ok: true };
    return this.dataConnector.updateRecord({ resource: this.resourceConfig, recordId: primaryKey, newValues: record });
  }

  /** True when a row with that primary key was deleted. */
  async delete(primaryKey: any): Promise<boolean> {
    return this.dataConnector.deleteRecord({ resource: this.resourceConfig, recordId: primaryKey });
  }
}
