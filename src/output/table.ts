/**
 * Rows of data on stdout: a cli-table3 table when stdout is a terminal, tab-separated lines
 * without a header when it is piped (what `cut -f` and `awk -F'\t'` expect; the GitHub CLI does
 * the same). Cells are single-line in both: tabs and newlines inside values become spaces.
 */
import Table from 'cli-table3';
import type { Context } from '../context.js';

export interface Column<T> {
  header: string;
  /** The cell on a terminal (may be colored, shortened). */
  cell(row: T): string;
  /** The cell when piped (plain, full); defaults to `cell` without colors. */
  plain?(row: T): string;
  align?: 'left' | 'right';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const oneLine = (text: string) => text.replace(/[\t\r\n]+/g, ' ');

export function printTable<T>(ctx: Context, columns: Column<T>[], rows: T[]): void {
  if (!ctx.stdoutIsTTY) {
    for (const row of rows) {
      ctx.stdout.write(`${columns.map((c) => oneLine(c.plain ? c.plain(row) : c.cell(row).replace(ANSI, ''))).join('\t')}\n`);
    }
    return;
  }
  const table = new Table({
    head: columns.map((c) => ctx.color.bold(c.header)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
    chars: { 'top': '', 'top-mid': '', 'top-left': '', 'top-right': '', 'bottom': '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', 'left': '', 'left-mid': '', 'mid': '', 'mid-mid': '', 'right': '', 'right-mid': '', 'middle': ' ' },
  });
  for (const row of rows) table.push(columns.map((c) => oneLine(c.cell(row))));
  ctx.stdout.write(`${table.toString()}\n`);
}

/** `key  value` lines (a record on a terminal), or `key\tvalue` when piped. */
export function printFields(ctx: Context, fields: [string, string][]): void {
  if (!ctx.stdoutIsTTY) {
    for (const [key, value] of fields) ctx.stdout.write(`${key}\t${oneLine(value.replace(ANSI, ''))}\n`);
    return;
  }
  const width = Math.max(...fields.map(([key]) => key.length));
  for (const [key, value] of fields) ctx.stdout.write(`${ctx.color.dim(key.padEnd(width))}  ${value}\n`);
}
