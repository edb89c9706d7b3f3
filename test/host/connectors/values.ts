/**
 * Value conversion shared by the three SQL connectors: what `setFieldValue` accepts for each
 * AdminForth type (contract §2: writes and filter values go through the same conversion, and a
 * value of the wrong type throws) and the small parsing helpers `getFieldValue` uses (§5).
 */
import type { AdminForthResourceColumn } from '../types.js';

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function typeError(column: AdminForthResourceColumn, value: unknown, expected: string): Error {
  return new Error(`Value ${describe(value)} is not a valid ${expected} for column '${column.name}'`);
}

/** INTEGER: numbers must be integers; numeric strings are accepted, anything else throws. */
export function toInteger(column: AdminForthResourceColumn, value: unknown): number | bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number(value);
  throw typeError(column, value, 'integer');
}

/** FLOAT / DECIMAL: finite numbers or numeric strings. */
export function toNumber(column: AdminForthResourceColumn, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw typeError(column, value, 'number');
  return n;
}

/** BOOLEAN: true/false, 0/1 and the strings 'true'/'false'. */
export function toBoolean(column: AdminForthResourceColumn, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (value === 'true' || value === 'false') return value === 'true';
  throw typeError(column, value, 'boolean');
}

/** DATETIME: a Date, an ISO-8601 (or other `Date`-parsable) string, or epoch milliseconds. */
export function toDate(column: AdminForthResourceColumn, value: unknown): Date {
  const d = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  if (!d || Number.isNaN(d.getTime())) throw typeError(column, value, 'date/time');
  return d;
}

/** JSON is stored as text by every connector here (pg json/jsonb accept the text form too). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Parses a JSON column read back as a string (sqlite TEXT, MariaDB JSON = LONGTEXT). A string that
 * is not JSON is returned unchanged, so a column that was written by other code still reads.
 */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Read side of INTEGER/FLOAT/DECIMAL: drivers hand back bigint/numeric as strings (pg) . */
export function readNumber(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

/** Read side of BOOLEAN: sqlite and mysql store 0/1. */
export function readBoolean(value: unknown): unknown {
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  return value;
}

/** Any parsable date value as an ISO-8601 string; unparsable input is returned as is. */
export function readIso(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? value : value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  return value;
}
