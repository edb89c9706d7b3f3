/**
 * The part of a data connector that is the same for SQLite, PostgreSQL and MySQL: reads, counts,
 * create/update/delete with AdminForth's semantics (contract §2, baseConnector.ts), built on a
 * few dialect methods each connector implements. Connectors never run hooks (§2).
 */
import {
  AdminForthDataTypes,
  type AdminForthResource,
  type AdminForthResourceColumn,
  type IAdminForthFilterInput,
  type IAdminForthSort,
} from '../types.js';
import { buildOrderBy, buildWhere, dataColumns, primaryKeyColumn, type SqlBuilder } from './where-clause.js';

/** What `discoverFields` reports for one table column (contract §5). */
export interface DiscoveredColumn {
  type: AdminForthDataTypes;
  /** The database's own type name, lowercased (e.g. `datetime`, `timestamp(3) without time zone`). */
  _underlineType: string;
  primaryKey?: boolean;
}

/** Column name → discovered info, for every column of the live table. */
export type DiscoveredFields = Record<string, DiscoveredColumn>;

/** Arguments of {@link AdminForthBaseConnector.getData}. */
export interface GetDataArgs {
  resource: AdminForthResource;
  filters?: IAdminForthFilterInput;
  limit: number;
  offset: number;
  sort?: IAdminForthSort | IAdminForthSort[];
}

/** One aggregation of {@link AdminForthBaseConnector.aggregate}: `{ alias: { operation, field } }`. */
export type AggregationRules = Record<string, { operation: 'sum' | 'count' | 'avg' | 'min' | 'max'; field: string }>;

const AGGREGATE_OPERATIONS = new Set(['sum', 'count', 'avg', 'min', 'max']);

/** Base class of the host's connectors; `client` is the real driver handle (contract §2). */
export abstract class AdminForthBaseConnector {
  /** The driver handle: better-sqlite3 `Database`, `pg.Pool` or mysql2 pool. Plugins run raw SQL through it. */
  client: any;

  /** Opens the driver handle synchronously (all three drivers create it without I/O). */
  protected abstract open(url: string): void;
  /** Quotes an identifier for this dialect. */
  protected abstract quote(identifier: string): string;
  /** Placeholder for the n-th (1-based) bound value. */
  protected abstract placeholder(index: number): string;
  /** Case-insensitive substring match for this dialect. */
  protected abstract ilike(columnSql: string, placeholder: string): string;
  /** Runs a SELECT and returns its rows. */
  protected abstract selectRows(sql: string, params: unknown[]): Promise<Record<string, any>[]>;
  /** Runs an UPDATE/DELETE and returns the number of affected rows. */
  protected abstract execute(sql: string, params: unknown[]): Promise<number>;
  /** Inserts one row and returns its primary-key value. */
  protected abstract insertRow(table: string, values: Record<string, unknown>, pk: AdminForthResourceColumn): Promise<unknown>;
  /** Converts a stored value to what AdminForth hands to plugins (§5: ISO datetimes, parsed JSON, booleans). */
  abstract getFieldValue(column: AdminForthResourceColumn, value: unknown): unknown;
  /** Converts a value for storage (and for filters); throws on a wrong type (§2). */
  abstract setFieldValue(column: AdminForthResourceColumn, value: unknown): unknown;
  /** Reads the live schema of `resource.table` (§5). Throws when the table is missing or empty. */
  abstract discoverFields(resource: AdminForthResource): Promise<DiscoveredFields>;
  /** Closes every connection of `client`. Idempotent. */
  abstract close(): Promise<void>;

  /** Connects to `url` unless already connected (the host may call it after `createConnector`). */
  async setupClient(url: string): Promise<void> {
    if (!this.client) this.open(url);
  }

  /** Quotes `schema.table` part by part. */
  protected quoteTable(table: string): string {
    return table.split('.').map((part) => this.quote(part)).join('.');
  }

  /** A fresh parameter list plus the helpers `buildWhere` needs. */
  protected builder(): SqlBuilder & { params: unknown[] } {
    const params: unknown[] = [];
    return {
      params,
      quote: (identifier) => this.quote(identifier),
      param: (value) => {
        params.push(value);
        return this.placeholder(params.length);
      },
      convert: (column, value) => (value === null ? null : this.setFieldValue(column, value)),
      ilike: (columnSql, placeholder) => this.ilike(columnSql, placeholder),
    };
  }

  /** Converts one driver row into an AdminForth record: exactly the non-virtual columns (§2). */
  protected toRecord(resource: AdminForthResource, row: Record<string, any>): Record<string, any> {
    const record: Record<string, any> = {};
    for (const column of dataColumns(resource)) {
      const raw = row[column.name];
      record[column.name] = raw === null || raw === undefined ? null : this.getFieldValue(column, raw);
    }
    return record;
  }

  /** Rows matching `filters`, sorted, paged. */
  async getData({ resource, filters, limit, offset, sort }: GetDataArgs): Promise<Record<string, any>[]> {
    const b = this.builder();
    const where = buildWhere(resource, filters, b);
    const orderBy = buildOrderBy(resource, sort, b);
    const columns = dataColumns(resource).map((c) => this.quote(c.name)).join(', ');
    // limit/offset are validated numbers (operational-resource.ts), inlined as integers: mysql's
    // prepared LIMIT ? is fussy about parameter types.
    const page = ` LIMIT ${Math.max(0, Math.floor(limit))} OFFSET ${Math.max(0, Math.floor(offset))}`;
    const sql = `SELECT ${columns} FROM ${this.quoteTable(resource.table)}${where ? ` WHERE ${where}` : ''}${orderBy}${page}`;
    const rows = await this.selectRows(sql, b.params);
    return rows.map((row) => this.toRecord(resource, row));
  }

  /** Number of rows matching `filters`. */
  async getCount({ resource, filters }: { resource: AdminForthResource; filters?: IAdminForthFilterInput }): Promise<number> {
    const b = this.builder();
    const where = buildWhere(resource, filters, b);
    const rows = await this.selectRows(`SELECT COUNT(*) AS ${this.quote('cnt')} FROM ${this.quoteTable(resource.table)}${where ? ` WHERE ${where}` : ''}`, b.params);
    return Number(rows[0].cnt);
  }

  /**
   * `aggregate(filter, { alias: { operation, field } }, groupBy?)` (§2 lists it without details).
   * Host shape: operations sum/count/avg/min/max; `groupBy` `{ type: 'field', field }` adds a
   * `group` key to each row. Results are numbers (null for an empty set).
   */
  async aggregate({ resource, filters, aggregations, groupBy }: {
    resource: AdminForthResource; filters?: IAdminForthFilterInput; aggregations: AggregationRules; groupBy?: { type: 'field'; field: string };
  }): Promise<Record<string, any>[]> {
    const b = this.builder();
    const where = buildWhere(resource, filters, b);
    const selects = Object.entries(aggregations).map(([alias, rule]) => {
      if (!AGGREGATE_OPERATIONS.has(rule.operation)) throw new Error(`Unknown aggregate operation '${rule.operation}'`);
      buildOrderBy(resource, { field: rule.field, direction: 'asc' }, b); // validates the field name
      return `${rule.operation.toUpperCase()}(${this.quote(rule.field)}) AS ${this.quote(alias)}`;
    });
    let group = '';
    if (groupBy) {
      if (groupBy.type !== 'field') throw new Error(`Only groupBy { type: 'field' } is supported by the test host`);
      buildOrderBy(resource, { field: groupBy.field, direction: 'asc' }, b);
      selects.unshift(`${this.quote(groupBy.field)} AS ${this.quote('group')}`);
      group = ` GROUP BY ${this.quote(groupBy.field)} ORDER BY ${this.quote(groupBy.field)}`;
    }
    const sql = `SELECT ${selects.join(', ')} FROM ${this.quoteTable(resource.table)}${where ? ` WHERE ${where}` : ''}${group}`;
    const rows = await this.selectRows(sql, b.params);
    return rows.map((row) => {
      const out: Record<string, any> = {};
      for (const alias of Object.keys(aggregations)) out[alias] = row[alias] === null ? null : Number(row[alias]);
      if (groupBy) {
        const column = dataColumns(resource).find((c) => c.name === groupBy.field)!;
        out.group = row.group === null ? null : this.getFieldValue(column, row.group);
      }
      return out;
    });
  }

  /** `{ ok:false, error }` when an `isUnique` column already holds `values[col]` in another row. */
  protected async checkUnique(resource: AdminForthResource, original: Record<string, any>, values: Record<string, unknown>, exceptPk?: unknown): Promise<string | null> {
    const pk = primaryKeyColumn(resource);
    for (const column of dataColumns(resource)) {
      if (!column.isUnique || values[column.name] === undefined || values[column.name] === null) continue;
      const b = this.builder();
      let sql = `SELECT 1 AS ${this.quote('hit')} FROM ${this.quoteTable(resource.table)} WHERE ${this.quote(column.name)} = ${b.param(values[column.name])}`;
      if (exceptPk !== undefined) sql += ` AND ${this.quote(pk.name)} <> ${b.param(exceptPk)}`;
      const rows = await this.selectRows(`${sql} LIMIT 1`, b.params);
      if (rows.length) return `Record with ${column.name} ${original[column.name]} already exists`;
    }
    return null;
  }

  /**
   * Create (contract §2, baseConnector.ts:548-604): `fillOnCreate` for undefined values, conversion,
   * unique check, INSERT, re-read by primary key. Keys that are not non-virtual columns are dropped.
   * DB constraint errors and type errors throw.
   */
  async createRecord({ resource, record }: { resource: AdminForthResource; record: Record<string, any> }): Promise<
    { ok: true; createdRecord: Record<string, any> } | { ok: false; error: string }
  > {
    const filled: Record<string, any> = { ...record };
    for (const column of resource.columns) {
      if (column.fillOnCreate && filled[column.name] === undefined) {
        filled[column.name] = await column.fillOnCreate({ initialRecord: record, adminUser: null });
      }
    }
    const values: Record<string, unknown> = {};
    for (const column of dataColumns(resource)) {
      const value = filled[column.name];
      if (value !== undefined) values[column.name] = value === null ? null : this.setFieldValue(column, value);
    }
    const clash = await this.checkUnique(resource, filled, values);
    if (clash) return { ok: false, error: clash };
    const pk = primaryKeyColumn(resource);
    const pkValue = await this.insertRow(resource.table, values, pk);
    const [createdRecord] = await this.getData({ resource, filters: { field: pk.name, operator: 'eq', value: this.getFieldValue(pk, pkValue) }, limit: 1, offset: 0 });
    return { ok: true, createdRecord };
  }

  /**
   * Update (contract §2, baseConnector.ts:610-650): every key must be a non-virtual column (else
   * throws), unique check, `UPDATE ... WHERE pk = ?`; `{ ok: true }` even when no row has that pk.
   * Then publishes `/showPage/<resourceId>/<pk>` through `globalThis.adminforth.websocket` when present.
   */
  async updateRecord({ resource, recordId, newValues }: { resource: AdminForthResource; recordId: unknown; newValues: Record<string, any> }): Promise<{ ok: true } | { ok: false; error: string }> {
    const columns = dataColumns(resource);
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(newValues)) {
      const column = columns.find((c) => c.name === field);
      if (!column) {
        throw new Error(`Update record received field '${field}' (with value ${JSON.stringify(value)}), but such column is not defined or is virtual in resource '${resource.resourceId}'`);
      }
      if (value !== undefined) values[field] = value === null ? null : this.setFieldValue(column, value);
    }
    if (Object.keys(values).length === 0) return { ok: true };
    const pk = primaryKeyColumn(resource);
    const pkValue = this.setFieldValue(pk, recordId);
    const clash = await this.checkUnique(resource, newValues, values, pkValue);
    if (clash) return { ok: false, error: clash };
    const b = this.builder();
    const sets = Object.entries(values).map(([field, value]) => `${this.quote(field)} = ${b.param(value)}`);
    await this.execute(`UPDATE ${this.quoteTable(resource.table)} SET ${sets.join(', ')} WHERE ${this.quote(pk.name)} = ${b.param(pkValue)}`, b.params);
    publishShowPage(resource.resourceId, recordId, newValues);
    return { ok: true };
  }

  /**
   * Delete by primary key; true when a row was deleted. Real AdminForth's mysql connector reads
   * `rowCount` off mysql2's result array and so likely always returns false (contract §2); the
   * host returns the truthful value on all three databases.
   */
  async deleteRecord({ resource, recordId }: { resource: AdminForthResource; recordId: unknown }): Promise<boolean> {
    const pk = primaryKeyColumn(resource);
    const b = this.builder();
    const affected = await this.execute(`DELETE FROM ${this.quoteTable(resource.table)} WHERE ${this.quote(pk.name)} = ${b.param(this.setFieldValue(pk, recordId))}`, b.params);
    return affected > 0;
  }
}

/**
 * Contract §2/§4: after every connector update AdminForth publishes `{ resourceId, recordId, updates }`
 * on `/showPage/<resourceId>/<recordId>`. Fire-and-forget: a missing or failing broker never fails the update.
 */
function publishShowPage(resourceId: string, recordId: unknown, updates: Record<string, any>): void {
  const broker = (globalThis as any).adminforth?.websocket;
  if (typeof broker?.publish !== 'function') return;
  try {
    Promise.resolve(broker.publish(`/showPage/${resourceId}/${recordId}`, { resourceId, recordId, updates })).catch(() => {});
  } catch {
    // A broker that throws synchronously must not turn a successful update into an error.
  }
}
