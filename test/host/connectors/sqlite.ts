/**
 * SQLite connector on better-sqlite3 (contract §5): `sqlite://<path>` with the scheme stripped
 * (so `sqlite://.db.sqlite` is relative to cwd, `sqlite:///tmp/x.db` absolute).
 */
import Database from 'better-sqlite3';
import { AdminForthDataTypes, type AdminForthResource, type AdminForthResourceColumn } from '../types.js';
import { AdminForthBaseConnector, type DiscoveredFields } from './base-connector.js';
import { parseJsonText, readBoolean, readIso, readNumber, toBoolean, toDate, toInteger, toJsonText, toNumber } from './values.js';

/** SQLite declared type (lowercased) → AdminForth type. */
function sqliteType(t: string): AdminForthDataTypes {
  if (t === 'boolean' || t === 'bool') return AdminForthDataTypes.BOOLEAN;
  if (t.startsWith('datetime') || t.startsWith('timestamp')) return AdminForthDataTypes.DATETIME;
  if (t === 'date') return AdminForthDataTypes.DATE;
  if (t === 'time') return AdminForthDataTypes.TIME;
  if (t.includes('int')) return AdminForthDataTypes.INTEGER;
  if (/real|floa|doub/.test(t)) return AdminForthDataTypes.FLOAT;
  if (/decimal|numeric/.test(t)) return AdminForthDataTypes.DECIMAL;
  if (t === 'json' || t === 'jsonb') return AdminForthDataTypes.JSON;
  if (t === 'text' || t.includes('clob')) return AdminForthDataTypes.TEXT;
  return AdminForthDataTypes.STRING;
}

/** §5: a DATETIME on a `timestamp` or `int…` column stores unix seconds. */
function storesUnixSeconds(underline: string): boolean {
  return underline.startsWith('timestamp') || underline.includes('int');
}

/** Connector for `sqlite://` URLs; `client` is the better-sqlite3 `Database`. */
export class SQLiteConnector extends AdminForthBaseConnector {
  declare client: Database.Database;

  protected open(url: string): void {
    this.client = new Database(url.replace(/^sqlite:\/\//, ''));
  }

  async close(): Promise<void> {
    if (this.client?.open) this.client.close();
  }

  protected quote(identifier: string): string {
    return `"${identifier.replace(/"/g, '""')}"`;
  }

  protected placeholder(): string {
    return '?';
  }

  protected ilike(columnSql: string, placeholder: string): string {
    return `LOWER(${columnSql}) LIKE LOWER(${placeholder})`;
  }

  protected async selectRows(sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    return this.client.prepare(sql).all(...params) as Record<string, any>[];
  }

  protected async execute(sql: string, params: unknown[]): Promise<number> {
    return this.client.prepare(sql).run(...params).changes;
  }

  protected async insertRow(table: string, values: Record<string, unknown>, pk: AdminForthResourceColumn): Promise<unknown> {
    const columns = Object.keys(values);
    const body = columns.length
      ? `(${columns.map((c) => this.quote(c)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
      : 'DEFAULT VALUES';
    const row = this.client.prepare(`INSERT INTO ${this.quoteTable(table)} ${body} RETURNING ${this.quote(pk.name)}`).get(...columns.map((c) => values[c])) as Record<string, unknown>;
    return row[pk.name];
  }

  async discoverFields(resource: AdminForthResource): Promise<DiscoveredFields> {
    const rows = this.client.prepare(`PRAGMA table_info(${this.quote(resource.table)})`).all() as { name: string; type: string; pk: number }[];
    if (rows.length === 0) throw new Error(`Table '${resource.table}' (In resource '${resource.resourceId}') has no fields or does not exist`);
    const fields: DiscoveredFields = {};
    for (const row of rows) {
      const underline = (row.type || '').toLowerCase();
      fields[row.name] = { type: sqliteType(underline), _underlineType: underline, ...(row.pk > 0 ? { primaryKey: true } : {}) };
    }
    return fields;
  }

  setFieldValue(column: AdminForthResourceColumn, value: unknown): unknown {
    switch (column.type) {
      case AdminForthDataTypes.INTEGER: return toInteger(column, value);
      case AdminForthDataTypes.FLOAT:
      case AdminForthDataTypes.DECIMAL: return toNumber(column, value);
      case AdminForthDataTypes.BOOLEAN: return toBoolean(column, value) ? 1 : 0;
      case AdminForthDataTypes.DATETIME: {
        const date = toDate(column, value);
        return storesUnixSeconds(column._underlineType ?? '') ? Math.floor(date.getTime() / 1000) : date.toISOString();
      }
      case AdminForthDataTypes.JSON: return toJsonText(value);
      default: return value instanceof Date ? value.toISOString() : value;
    }
  }

  getFieldValue(column: AdminForthResourceColumn, value: unknown): unknown {
    switch (column.type) {
      case AdminForthDataTypes.INTEGER:
      case AdminForthDataTypes.FLOAT:
      case AdminForthDataTypes.DECIMAL: return readNumber(value);
      case AdminForthDataTypes.BOOLEAN: return readBoolean(value);
      case AdminForthDataTypes.DATETIME: {
        const underline = column._underlineType ?? '';
        if (storesUnixSeconds(underline)) return new Date(Number(value) * 1000).toISOString();
        if (underline.startsWith('varchar')) return value;
        // §5: real AdminForth throws when a DATETIME column sits on a TEXT column.
        if (underline === 'text') throw new Error(`AdminForth does not support row type '${underline}' for DATETIME column '${column.name}' (use datetime, timestamp, int or varchar)`);
        return readIso(value);
      }
      case AdminForthDataTypes.JSON: return parseJsonText(value);
      default: return value;
    }
  }
}
