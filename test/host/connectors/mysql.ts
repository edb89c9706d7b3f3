/**
 * MySQL / MariaDB connector on a mysql2 pool (`createPool({ uri })`, contract §5):
 * `datetime…`/`timestamp…` are DATETIME written as UTC `YYYY-MM-DD HH:mm:ss`; `json` is JSON.
 * MariaDB stores JSON as LONGTEXT with a `json_valid()` check, which discovery also maps to JSON.
 */
import mysql from 'mysql2/promise';
import { AdminForthDataTypes, type AdminForthResource, type AdminForthResourceColumn } from '../types.js';
import { AdminForthBaseConnector, type DiscoveredFields } from './base-connector.js';
import { parseJsonText, readBoolean, readIso, readNumber, toBoolean, toDate, toInteger, toJsonText, toNumber } from './values.js';

/** information_schema DATA_TYPE / COLUMN_TYPE → AdminForth type. */
function mysqlType(dataType: string, columnType: string): AdminForthDataTypes {
  if (columnType.startsWith('tinyint(1)') || dataType === 'boolean' || dataType === 'bool') return AdminForthDataTypes.BOOLEAN;
  if (dataType.endsWith('int')) return AdminForthDataTypes.INTEGER;
  if (['float', 'double', 'real'].includes(dataType)) return AdminForthDataTypes.FLOAT;
  if (['decimal', 'numeric'].includes(dataType)) return AdminForthDataTypes.DECIMAL;
  if (dataType === 'datetime' || dataType === 'timestamp') return AdminForthDataTypes.DATETIME;
  if (dataType === 'date') return AdminForthDataTypes.DATE;
  if (dataType === 'time') return AdminForthDataTypes.TIME;
  if (dataType === 'json') return AdminForthDataTypes.JSON;
  if (dataType.endsWith('text')) return AdminForthDataTypes.TEXT;
  return AdminForthDataTypes.STRING;
}

/** Connector for `mysql://` URLs; `client` is the mysql2 promise pool. */
export class MySQLConnector extends AdminForthBaseConnector {
  declare client: mysql.Pool;
  private closed = false;

  protected open(url: string): void {
    // timezone 'Z': DATETIME values are stored as UTC wall time (§5), so the driver must read them
    // back as UTC too, whatever the process time zone is.
    this.client = mysql.createPool({ uri: url, timezone: 'Z' });
  }

  async close(): Promise<void> {
    if (!this.client || this.closed) return;
    this.closed = true;
    await this.client.end();
  }

  protected quote(identifier: string): string {
    return `\`${identifier.replace(/`/g, '``')}\``;
  }

  protected placeholder(): string {
    return '?';
  }

  protected ilike(columnSql: string, placeholder: string): string {
    return `LOWER(${columnSql}) LIKE LOWER(${placeholder})`;
  }

  protected async selectRows(sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    const [rows] = await this.client.query<mysql.RowDataPacket[]>(sql, params);
    return rows;
  }

  protected async execute(sql: string, params: unknown[]): Promise<number> {
    const [result] = await this.client.query<mysql.ResultSetHeader>(sql, params);
    return result.affectedRows;
  }

  protected async insertRow(table: string, values: Record<string, unknown>, pk: AdminForthResourceColumn): Promise<unknown> {
    const columns = Object.keys(values);
    const sql = `INSERT INTO ${this.quoteTable(table)} (${columns.map((c) => this.quote(c)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    const [result] = await this.client.query<mysql.ResultSetHeader>(sql, columns.map((c) => values[c]));
    // MySQL has no RETURNING: a given key is the key, otherwise the AUTO_INCREMENT id.
    return values[pk.name] !== undefined ? values[pk.name] : result.insertId;
  }

  async discoverFields(resource: AdminForthResource): Promise<DiscoveredFields> {
    const [rows] = await this.client.query<mysql.RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, COLUMN_KEY AS columnKey
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [resource.table],
    );
    if (rows.length === 0) throw new Error(`Table '${resource.table}' (In resource '${resource.resourceId}') has no fields or does not exist`);
    const jsonColumns = await this.mariaDbJsonColumns(resource.table);
    const fields: DiscoveredFields = {};
    for (const row of rows) {
      const dataType = String(row.dataType).toLowerCase();
      const underline = String(row.columnType).toLowerCase();
      const type = jsonColumns.has(row.name) ? AdminForthDataTypes.JSON : mysqlType(dataType, underline);
      fields[row.name] = { type, _underlineType: underline, ...(row.columnKey === 'PRI' ? { primaryKey: true } : {}) };
    }
    return fields;
  }

  /** MariaDB's JSON is LONGTEXT + CHECK (json_valid(col)); MySQL has no TABLE_NAME there, so it just finds none. */
  private async mariaDbJsonColumns(table: string): Promise<Set<string>> {
    try {
      const [rows] = await this.client.query<mysql.RowDataPacket[]>(
        'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?',
        [table],
      );
      return new Set(rows.map((r) => /^json_valid\(`([^`]+)`\)$/i.exec(String(r.clause))?.[1]).filter((n): n is string => !!n));
    } catch {
      return new Set();
    }
  }

  setFieldValue(column: AdminForthResourceColumn, value: unknown): unknown {
    switch (column.type) {
      case AdminForthDataTypes.INTEGER: return toInteger(column, value);
      case AdminForthDataTypes.FLOAT:
      case AdminForthDataTypes.DECIMAL: return toNumber(column, value);
      case AdminForthDataTypes.BOOLEAN: return toBoolean(column, value) ? 1 : 0;
      case AdminForthDataTypes.DATETIME: return toDate(column, value).toISOString().slice(0, 19).replace('T', ' ');
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
      case AdminForthDataTypes.DATETIME:
        // Stored as UTC wall time; a string form (dateStrings pools) is read as UTC as well.
        return typeof value === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(value) ? readIso(`${value.replace(' ', 'T')}Z`) : readIso(value);
      case AdminForthDataTypes.JSON: return parseJsonText(value);
      default: return value;
    }
  }
}
