/**
 * Where generated code goes in a user's file, found from the AST: after the last element of a
 * list, after a statement, after the last import. Each function queues one insertion on the
 * SourceFile; layout follows the surrounding code (one-line lists stay on one line, multi-line
 * lists get a new line at the last element's indentation, trailing commas kept as they were).
 */
import type * as t from '@babel/types';
import { indentRest } from './snippet.js';
import type { SourceFile } from './source-file.js';

/** Skips spaces, tabs and comments (not newlines) from `offset`; returns the next offset. */
function skipInline(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return i;
      i = end + 2;
      continue;
    }
    return i;
  }
}

/**
 * Appends `item` (an element, or a `key: value` property) to an array or object literal.
 */
export function appendToList(file: SourceFile, list: t.ArrayExpression | t.ObjectExpression, item: string): void {
  const text = file.code;
  const items = (list.type === 'ArrayExpression' ? list.elements : list.properties).filter((node): node is NonNullable<typeof node> => node !== null);
  const close = list.end! - 1;
  const closeIndent = file.indentOf(close);

  if (items.length === 0) {
    const inner = text.slice(list.start! + 1, close);
    if (!inner.includes('\n')) {
      // `[]` → `[item]`, `{}` → `{ item }`; a multi-line item opens the list over lines.
      if (item.includes('\n')) {
        const indent = file.indentOf(list.start!) + file.style.indent;
        file.insert(list.start! + 1, `\n${indent}${indentRest(item, indent)},\n${file.indentOf(list.start!)}`);
      } else {
        file.insert(list.start! + 1, list.type === 'ObjectExpression' ? ` ${item} ` : item);
      }
      return;
    }
    // Already open over lines (perhaps holding only comments): add a line before the closing bracket.
    const indent = closeIndent + file.style.indent;
    file.insert(file.lineStart(close), `${indent}${indentRest(item, indent)},\n`);
    return;
  }

  const last = items[items.length - 1]!;
  const afterLast = skipInline(text, last.end!);
  const hasComma = text[afterLast] === ',';
  const closeOnLastLine = file.lineOf(close) === file.lineOf(last.end!);

  if (closeOnLastLine || text.slice(last.end!, close).trim() === '' && !text.slice(last.end!, close).includes('\n')) {
    // One-line list, or the closing bracket right after the last item: `[a, b]` → `[a, b, item]`.
    const indent = file.indentOf(last.start!);
    const at = hasComma ? afterLast + 1 : last.end!;
    file.insert(at, hasComma ? ` ${indentRest(item, indent)},` : `, ${indentRest(item, indent)}`);
    return;
  }

  // Multi-line list: a new line after the last item's line, at its indentation; a trailing
  // comment on that line (`usersResource, // users`) stays with its item.
  const indent = file.indentOf(last.start!);
  if (hasComma) {
    file.insert(file.lineEnd(afterLast), `\n${indent}${indentRest(item, indent)},`);
  } else {
    file.insert(last.end!, ',');
    file.insert(file.lineEnd(last.end!), `\n${indent}${indentRest(item, indent)}`);
  }
}

/** Inserts statements on the lines after `statement`, at its indentation. */
export function insertAfterStatement(file: SourceFile, statement: t.Node, code: string, options: { blankLine?: boolean } = {}): void {
  const indent = file.indentOf(statement.start!);
  const at = file.lineEnd(statement.end!);
  file.insert(at, `\n${options.blankLine ? '\n' : ''}${indent}${indentRest(code, indent)}`);
}

/** Inserts statements on the lines before `statement`, at its indentation. */
export function insertBeforeStatement(file: SourceFile, statement: t.Node, code: string): void {
  const indent = file.indentOf(statement.start!);
  file.insert(file.lineStart(statement.start!), `${indent}${indentRest(code, indent)}\n`);
}

/** Adds an import declaration after the file's last import (or at the top). */
export function insertImport(file: SourceFile, code: string): void {
  const lastImport = [...file.program.body].reverse().find((statement) => statement.type === 'ImportDeclaration');
  if (lastImport) {
    insertAfterStatement(file, lastImport, code);
    return;
  }
  const first = file.program.body[0];
  if (first) file.insert(file.lineStart(first.start!), `${code}\n\n`);
  else file.insert(file.code.length, `${code}\n`);
}

/** Inserts statements at the end of a block (before its closing brace). */
export function appendToBlock(file: SourceFile, block: t.BlockStatement, code: string): void {
  const last = block.body[block.body.length - 1];
  if (last) {
    insertAfterStatement(file, last, code);
    return;
  }
  const indent = file.indentOf(block.start!) + file.style.indent;
  const close = block.end! - 1;
  if (file.lineOf(close) === file.lineOf(block.start!)) {
    file.insert(close, `\n${indent}${indentRest(code, indent)}\n${file.indentOf(block.start!)}`);
  } else {
    file.insert(file.lineStart(close), `${indent}${indentRest(code, indent)}\n`);
  }
}
