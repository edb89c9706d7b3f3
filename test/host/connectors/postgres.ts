/**
 * PostgreSQL connector on `pg.Pool({ connectionString })` (contract §5): any `date…`/`time…`
 * type is DATETIME, `json`/`jsonb` is JSON (stringified on write, parsed on read).
 */
import pg from 'pg';
import { AdminForthDataTypes, type AdminForthResource, type AdminForthResourceColumn } from '../types.js';
import { AdminForthBaseConnector, type DiscoveredFields } from './base-connector.js';
import { parseJsonText, readBoolean, readIso, readNumber, toBoolean, toDate, toInteger, toJsonText, toNumber } from './values.js';

/** `format_type()` output (lowercase) → AdminForth type. */
function postgresType(t: string): AdminForthDataTypes {
  if (t.startsWith('date') || t.startsWith('time')) return AdminForthDataTypes.DATETIME;
  if (t === 'boolean') return AdminForthDataTypes.BOOLEAN;
  if (/^(smallint|integer|bigint)/.test(t)) return AdminForthDataTypes.INTEGER;
  if (/^(real|double precision)/.test(t)) return AdminForthDataTypes.FLOAT;
  if (/^(numeric|decimal)/.test(t)) return AdminForthDataTypes.DECIMAL;
  if (t === 'json' || t === 'jsonb') return AdminForthDataTypes.JSON;
  if (t === 'text') return AdminForthDataTypes.TEXT;
  return AdminForthDataTypes.STRING;
}

/** Connector for `postgres://` / `postgresql://` URLs; `client` is the `pg.Pool`. */
export class PostgresConnector extends AdminForthBaseConnector {
  declare client: pg.Pool;
  private closed = false;

  protected open(url: string): void {
    this.client = new pg.Pool({ connectionString: url });
    // An idle pooled client that the server drops (restart, DROP DATABASE ... WITH (FORCE)) emits
    // 'error' on the pool; unhandled, that would crash the process. The next query reconnects.
    this.client.on('error', () => {});
  }

  async close(): Promise<void> {
    if (!this.client || this.closed) return;
    this.closed = true;
    await this.client.end();
  }

  protected quote(identifier: string): string {
    return `"${identifier.replace(/"/g, '""')}"`;
  }

  protected placeholder(index: number): string {
    return `$${index}`;
  }

  protected ilike(columnSql: string, placeholder: string): string {
    return `${columnSql} ILIKE ${placeholder}`;
  }

  protected async selectRows(sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    return (await this.client.query(sql, params)).rows;
  }

  protected async execute(sql: string, params: unknown[]): Promise<number> {
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  protected async insertRow(table: string, values: Record<string, unknown>, pk: AdminForthResourceColumn): Promise<unknown> {
    const columns = Object.keys(values);
    const body = columns.length
      ? `(${columns.map((c) => this.quote(c)).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`
      : 'DEFAULT VALUES';
    const result = await this.client.query(`INSERT INTO ${this.quoteTable(table)} ${body} RETURNING ${this.quote(pk.name)}`, columns.map((c) => values[c]));
    return result.rows[0][pk.name];
  }

  async discoverFields(resource: AdminForthResource): Promise<DiscoveredFields> {
    const { rows } = await this.client.query<{ name: string; type: string; pk: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey)) AS pk
         FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [this.quoteTable(resource.table)],
    );
    if (rows.length === 0) throw new Error(`Table '${resource.table}' (In resource '${resource.resourceId}') has no fields or does not exist`);
    const fields: DiscoveredFields = {};
    for (const row of rows) {
      const underline = row.type.toLowerCase();
      fields[row.name] = { type: postgresType(underline), _underlineType: underline, ...(row.pk ? { primaryKey: true } : {}) };
    }
    return fields;
  }

  setFieldValue(column: AdminForthResourceColumn, value: unknown): unknown {
    switch (column.type) {
      case AdminForthDataTypes.INTEGER: return toInteger(column, value);
      case AdminForthDataTypes.FLOAT:
      case AdminForthDataTypes.DECIMAL: return toNumber(column, value);
      case AdminForthDataTypes.BOOLEAN: return toBoolean(column, value);
      // A Date (not an ISO string): pg sends it with the local offset and parses `timestamp`
      // without time zone back as local time, so the instant round-trips in any process TZ.
      case AdminForthDataTypes.DATETIME: return toDate(column, value);
      case AdminForthDataTypes.JSON: return toJsonText(value);
      default: return value;
    }
  }

  getFieldValue(column: AdminForthResourceColumn, value: unknown): unknown {
    switch (column.type) {
      case AdminForthDataTypes.INTEGER:
      case AdminForthDataTypes.FLOAT:
      case AdminForthDataTypes.DECIMAL: return readNumber(value);
      case AdminForthDataTypes.BOOLEAN: return readBoolean(value);
      case AdminForthDataTypes.DATETIME: return readIso(value);
      case AdminForthDataTypes.JSON: {
        // pg already parses json/jsonb; a TEXT column declared JSON comes back as a string.
        const underline = column._underlineType ?? '';
        return underline === 'json' || underline === 'jsonb' ? value : parseJsonText(value);
      }
      default: return value;
    }
  }
}
