/**
 * Read-only questions about a parsed file: where the AdminForth config is, what is imported,
 * which properties an object literal has.
 */
import * as recast from 'recast';
import type * as t from '@babel/types';
import type { SourceFile } from './source-file.js';

export interface AdminConfig {
  /** Name of the exported variable holding the AdminForth instance (`admin`). */
  adminName: string;
  /** The top-level statement that declares it (`export const admin = new AdminForth({...});`). */
  declaration: t.Statement;
  /** The object passed to `new AdminForth(...)`, or null when it is not an object literal. */
  config: t.ObjectExpression | null;
}

/** Local names bound to the default export of `adminforth` (usually `AdminForth`). */
function adminForthClassNames(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.program.body) {
    if (statement.type !== 'ImportDeclaration' || statement.source.value !== 'adminforth') continue;
    for (const specifier of statement.specifiers) {
      if (specifier.type === 'ImportDefaultSpecifier') names.add(specifier.local.name);
      if (specifier.type === 'ImportSpecifier' && importedName(specifier) === 'default') names.add(specifier.local.name);
    }
  }
  return names;
}

function importedName(specifier: t.ImportSpecifier): string {
  return specifier.imported.type === 'Identifier' ? specifier.imported.name : specifier.imported.value;
}

/** Local names of what the file exports as `admin`. */
function exportedAdminNames(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.program.body) {
    if (statement.type !== 'ExportNamedDeclaration') continue;
    if (statement.declaration?.type === 'VariableDeclaration') {
      for (const declarator of statement.declaration.declarations) {
        if (declarator.id.type === 'Identifier' && declarator.id.name === 'admin') names.add('admin');
      }
    }
    for (const specifier of statement.specifiers) {
      if (specifier.type === 'ExportSpecifier' && specifier.local.type === 'Identifier') {
        const exported = specifier.exported.type === 'Identifier' ? specifier.exported.name : specifier.exported.value;
        if (exported === 'admin') names.add(specifier.local.name);
      }
    }
  }
  return names;
}

/** A top-level `const x = <init>` (exported or not). */
export function topLevelVariable(file: SourceFile, name: string): { statement: t.Statement; init: t.Expression | null } | null {
  for (const statement of file.program.body) {
    const declaration =
      statement.type === 'VariableDeclaration' ? statement
      : statement.type === 'ExportNamedDeclaration' && statement.declaration?.type === 'VariableDeclaration' ? statement.declaration
      : null;
    if (!declaration) continue;
    for (const declarator of declaration.declarations) {
      if (declarator.id.type === 'Identifier' && declarator.id.name === name) {
        return { statement, init: (declarator.init as t.Expression | null | undefined) ?? null };
      }
    }
  }
  return null;
}

/** Strips `x as T`, `x satisfies T`, `(x)`, `x!`. */
export function unwrap(node: t.Node | null | undefined): t.Node | null {
  let current = node ?? null;
  while (
    current &&
    (current.type === 'TSAsExpression' || current.type === 'TSSatisfiesExpression' || current.type === 'TSNonNullExpression' ||
      current.type === 'ParenthesizedExpression' || current.type === 'TSTypeAssertion')
  ) {
    current = current.expression;
  }
  return current;
}

/**
 * Finds `export const admin = new AdminForth({...})` (the name may differ if it is exported as
 * `admin`; the config may be a top-level `const config = {...}` passed by name).
 */
export function findAdminConfig(file: SourceFile): AdminConfig | null {
  const classNames = adminForthClassNames(file);
  if (classNames.size === 0) classNames.add('AdminForth');
  for (const name of exportedAdminNames(file)) {
    const variable = topLevelVariable(file, name);
    const init = unwrap(variable?.init);
    if (!variable || !init || init.type !== 'NewExpression') continue;
    if (init.callee.type !== 'Identifier' || !classNames.has(init.callee.name)) continue;
    let argument = unwrap(init.arguments[0] as t.Node | undefined);
    if (argument?.type === 'Identifier') argument = unwrap(topLevelVariable(file, argument.name)?.init);
    return { adminName: name, declaration: variable.statement, config: argument?.type === 'ObjectExpression' ? argument : null };
  }
  return null;
}

export function propertyName(property: t.ObjectExpression['properties'][number]): string | null {
  if (property.type !== 'ObjectProperty' && property.type !== 'ObjectMethod') return null;
  if (property.computed) return property.key.type === 'StringLiteral' ? property.key.value : null;
  if (property.key.type === 'Identifier') return property.key.name;
  if (property.key.type === 'StringLiteral') return property.key.value;
  return null;
}

/** The property `name` of an object literal (not spreads, not computed keys). */
export function getProperty(object: t.ObjectExpression, name: string): t.ObjectProperty | null {
  for (const property of object.properties) {
    if (property.type === 'ObjectProperty' && propertyName(property) === name) return property;
  }
  return null;
}

/** The value of a property when it is a string literal (or a template literal without expressions). */
export function stringProperty(object: t.ObjectExpression, name: string): string | null {
  const value = unwrap(getProperty(object, name)?.value);
  if (value?.type === 'StringLiteral') return value.value;
  if (value?.type === 'TemplateLiteral' && value.expressions.length === 0) return value.quasis[0]!.value.cooked ?? null;
  return null;
}

export function objectProperty(object: t.ObjectExpression, name: string): t.ObjectExpression | null {
  const value = unwrap(getProperty(object, name)?.value);
  return value?.type === 'ObjectExpression' ? value : null;
}

export interface ImportInfo {
  declaration: t.ImportDeclaration;
  source: string;
  /** local name → imported name (`default` for a default import). */
  names: Map<string, string>;
}

export function imports(file: SourceFile): ImportInfo[] {
  const found: ImportInfo[] = [];
  for (const statement of file.program.body) {
    if (statement.type !== 'ImportDeclaration') continue;
    const names = new Map<string, string>();
    for (const specifier of statement.specifiers) {
      if (specifier.type === 'ImportDefaultSpecifier') names.set(specifier.local.name, 'default');
      else if (specifier.type === 'ImportSpecifier') names.set(specifier.local.name, importedName(specifier));
      else names.set(specifier.local.name, '*');
    }
    found.push({ declaration: statement, source: statement.source.value, names });
  }
  return found;
}

/** Every call `x.<method>(...)` in the file (any receiver), with its statement. */
export function methodCalls(file: SourceFile, method: string): t.CallExpression[] {
  const calls: t.CallExpression[] = [];
  recast.visit(file.ast, {
    visitCallExpression(path) {
      const node = path.node as unknown as t.CallExpression;
      const callee = node.callee;
      if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier' && callee.property.name === method) {
        calls.push(node);
      }
      this.traverse(path);
    },
  });
  return calls;
}

/** Every call of the function `name(...)` in the file. */
export function functionCalls(file: SourceFile, name: string): t.CallExpression[] {
  const calls: t.CallExpression[] = [];
  recast.visit(file.ast, {
    visitCallExpression(path) {
      const node = path.node as unknown as t.CallExpression;
      if (node.callee.type === 'Identifier' && node.callee.name === name) calls.push(node);
      this.traverse(path);
    },
  });
  return calls;
}

/** The innermost statement list (`Program` or block) holding `node`, and the statement in it. */
export function enclosingStatement(file: SourceFile, node: t.Node): { body: t.Statement[]; statement: t.Statement } | null {
  let found: { body: t.Statement[]; statement: t.Statement } | null = null;
  const visitBody = (body: t.Statement[]) => {
    for (const statement of body) {
      if (statement.start! <= node.start! && node.end! <= statement.end!) {
        found = { body, statement };
        return statement;
      }
    }
    return null;
  };
  recast.visit(file.ast, {
    visitNode(path) {
      const current = path.node as unknown as t.Node;
      if (current.start !== undefined && current.start !== null && (current.start > node.start! || current.end! < node.end!)) return false;
      if (current.type === 'Program' || current.type === 'BlockStatement') visitBody(current.body);
      this.traverse(path);
    },
  });
  return found;
}
