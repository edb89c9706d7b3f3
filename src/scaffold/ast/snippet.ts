/**
 * Code that edits insert into a user's file. A snippet is written here in a canonical layout
 * (two-space indent, double quotes, values through `JSON.stringify`), parsed with @babel/parser
 * so it is always valid syntax, and adapted to the file's style from its AST: every string
 * literal is re-quoted in the file's quotes and the indentation converted to the file's unit.
 * (recast's pretty printer would also work, but splits short objects over lines and adds blank
 * lines between properties; a snippet should read as if the user had typed it.)
 */
import { parse as babelParse } from '@babel/parser';
import type * as t from '@babel/types';
import * as recast from 'recast';
import type { CodeStyle } from './source-file.js';

type Kind = 'statements' | 'expression' | 'property';

const WRAP: Record<Kind, [string, string]> = {
  statements: ['', ''],
  expression: ['(', ')'],
  property: ['({', '})'],
};

function requote(value: string, quote: CodeStyle['quote']): string {
  const json = JSON.stringify(value);
  if (quote === 'double') return json;
  return `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

function format(code: string, kind: Kind, style: CodeStyle): string {
  const [prefix, suffix] = WRAP[kind];
  const wrapped = `${prefix}${code}${suffix}`;
  const ast = babelParse(wrapped, { sourceType: 'module', plugins: ['typescript'] });
  const literals: t.StringLiteral[] = [];
  recast.visit(ast, {
    visitStringLiteral(path) {
      literals.push(path.node as unknown as t.StringLiteral);
      this.traverse(path);
    },
  });
  let text = wrapped;
  for (const literal of literals.sort((a, b) => b.start! - a.start!)) {
    text = text.slice(0, literal.start!) + requote(literal.value, style.quote) + text.slice(literal.end!);
  }
  text = text.slice(prefix.length, text.length - suffix.length);
  if (style.indent === '  ') return text;
  return text
    .split('\n')
    .map((line) => {
      const leading = /^( {2})*/.exec(line)![0];
      return style.indent.repeat(leading.length / 2) + line.slice(leading.length);
    })
    .join('\n');
}

/** Statements (imports included), e.g. `import x from "./x.js";`. */
export function statementCode(code: string, style: CodeStyle): string {
  return format(code, 'statements', style);
}

/** An expression, e.g. `{ label: "Jobs", resourceId: "jobs" }`. */
export function expressionCode(code: string, style: CodeStyle): string {
  return format(code, 'expression', style);
}

/** An object property, e.g. `componentsToExplicitRegister: []`. */
export function propertyCode(code: string, style: CodeStyle): string {
  return format(code, 'property', style);
}

/** Indents every line but the first by `indent` (the first goes where the insertion point is). */
export function indentRest(code: string, indent: string): string {
  return code
    .split('\n')
    .map((line, index) => (index === 0 || line === '' ? line : indent + line))
    .join('\n');
}
