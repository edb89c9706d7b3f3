/**
 * A TypeScript file being edited: parsed with @babel/parser (typescript plugin) and walked with
 * recast's visitor, as AdminForth's own CLI does (contract §6); changed by inserting generated
 * code at positions found in the AST; parsed again after each edit.
 *
 * Why insert at AST positions instead of `recast.print`ing the changed tree: recast reprints a
 * list whose length changed as a whole, which re-wraps it and moves trailing line comments
 * (`usersResource, // users`) above their element. Inserting at the positions the AST gives
 * keeps every byte of the user's code; the inserted code is parsed first (./snippet.ts), and the
 * result must parse, so an edit cannot leave broken code behind. (The file is parsed with babel
 * directly: `recast.parse` hands the parser a copy with tabs expanded, whose offsets would not
 * match the file.)
 */
import * as recast from 'recast';
import { parse as babelParse } from '@babel/parser';
import type * as t from '@babel/types';
import { ProjectError } from '../../errors.js';

export interface CodeStyle {
  quote: 'single' | 'double';
  /** One level of indentation: two spaces, four spaces or a tab. */
  indent: string;
  eol: '\n' | '\r\n';
}

interface Insertion {
  at: number;
  text: string;
}

export function parseTypeScript(source: string, file: string): t.File {
  try {
    return babelParse(source, { sourceType: 'module', plugins: ['typescript'], errorRecovery: false }) as t.File;
  } catch (error) {
    const where = (error as { loc?: { line: number; column: number } }).loc;
    throw new ProjectError(
      `Could not parse ${file}${where ? ` (line ${where.line}, column ${where.column + 1})` : ''}: ${(error as Error).message}. Fix the syntax error and run again.`,
      { cause: error },
    );
  }
}

export class SourceFile {
  private source: string;
  private tree: t.File;
  private pending: Insertion[] = [];
  readonly style: CodeStyle;

  constructor(readonly path: string, text: string) {
    // Edits work on the text with `\n` line ends; `text` gives the file's own line ends back.
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    this.source = text.replace(/\r\n/g, '\n');
    this.tree = parseTypeScript(this.source, path);
    this.style = { ...detectStyle(this.source, this.tree), eol };
  }

  /** The current text with `\n` line ends: what AST offsets point into. */
  get code(): string {
    return this.source;
  }

  /** The current text, with the file's line ends. */
  get text(): string {
    return this.style.eol === '\n' ? this.source : this.source.replace(/\n/g, '\r\n');
  }

  get ast(): t.File {
    return this.tree;
  }

  get program(): t.Program {
    return this.tree.program;
  }

  /** Queues `text` (written with `\n`) for insertion at AST offset `at`. */
  insert(at: number, text: string): void {
    this.pending.push({ at, text });
  }

  /**
   * Applies queued insertions (same offset: in the order queued) and parses the result; a result
   * that does not parse is a bug in af-jobs, reported before anything is written.
   */
  apply(): void {
    if (this.pending.length === 0) return;
    const ordered = this.pending.map((insertion, order) => ({ ...insertion, order })).sort((a, b) => b.at - a.at || b.order - a.order);
    let text = this.source;
    for (const { at, text: inserted } of ordered) text = text.slice(0, at) + inserted + text.slice(at);
    this.pending = [];
    try {
      this.tree = parseTypeScript(text, this.path);
    } catch (error) {
      throw new Error(`af-jobs produced code that does not parse in ${this.path}; nothing was written`, { cause: error });
    }
    this.source = text;
  }

  /** Offset of the first character of the line holding `offset`. */
  lineStart(offset: number): number {
    return this.source.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Offset of the end of the line holding `offset` (before its `\n`). */
  lineEnd(offset: number): number {
    const newline = this.source.indexOf('\n', offset);
    return newline === -1 ? this.source.length : newline;
  }

  /** The whitespace that starts the line holding `offset`. */
  indentOf(offset: number): string {
    const start = this.lineStart(offset);
    return /^[ \t]*/.exec(this.source.slice(start))![0];
  }

  lineOf(offset: number): number {
    let line = 1;
    for (let i = this.source.indexOf('\n'); i !== -1 && i < offset; i = this.source.indexOf('\n', i + 1)) line++;
    return line;
  }
}

function detectStyle(source: string, ast: t.File): CodeStyle {
  let single = 0;
  let double = 0;
  recast.visit(ast, {
    visitStringLiteral(path) {
      const raw = (path.node as { extra?: { raw?: string } }).extra?.raw ?? '';
      if (raw.startsWith("'")) single++;
      else if (raw.startsWith('"')) double++;
      this.traverse(path);
    },
  });
  const indents = source
    .split('\n')
    .map((line) => /^[ \t]*/.exec(line)![0])
    .filter((indent) => indent.length > 0 && indent.length < 16);
  let indent = '  ';
  if (indents.some((i) => i.startsWith('\t'))) indent = '\t';
  else if (indents.length > 0) {
    const smallest = Math.min(...indents.map((i) => i.length));
    indent = smallest >= 4 && indents.every((i) => i.length % 4 === 0) ? '    ' : '  ';
  }
  return { quote: double > single ? 'double' : 'single', indent, eol: '\n' };
}
