/**
 * The shape of the handlers index (`jobs/index.ts`, written by `af-jobs init`) that edits rely
 * on: a function `registerJobHandlers(admin)` whose body gets the plugin with
 * `admin.getPluginByClassName(...)` into a variable, then registers handlers on it. An index
 * without handlers (`init --no-example`) has the function without that variable, which a strict
 * app (`noUnusedLocals`) would refuse: the first edit that registers something adds it.
 */
import type * as t from '@babel/types';
import { appendToBlock, insertBeforeStatement } from '../ast/insert.js';
import { unwrap } from '../ast/queries.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { PLUGIN_PACKAGE } from '../package-json.js';
import { addImport } from './add-import.js';

export interface RegistrationFunction {
  body: t.BlockStatement;
  /** Name of the function's first parameter (`admin`), or null when it takes none. */
  admin: string | null;
  /** Name of the variable holding the plugin (`backgroundJobsPlugin`); null when the body does not get the plugin yet. */
  plugin: string | null;
  pluginDeclaration: t.Statement | null;
}

/** A registration function whose body gets the plugin. */
export type PluginRegistration = RegistrationFunction & { plugin: string; pluginDeclaration: t.Statement };

/** The variable `ensurePluginLookup` declares. */
export const PLUGIN_VARIABLE = 'backgroundJobsPlugin';

type FunctionNode = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression;

function registrationFunctionNode(file: SourceFile): (FunctionNode & { body: t.BlockStatement }) | null {
  for (const statement of file.program.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type === 'FunctionDeclaration' && declaration.id?.name === 'registerJobHandlers') return declaration;
    if (declaration?.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        const init = unwrap(declarator.init);
        if (declarator.id.type === 'Identifier' && declarator.id.name === 'registerJobHandlers' &&
          (init?.type === 'ArrowFunctionExpression' || init?.type === 'FunctionExpression') && init.body.type === 'BlockStatement') {
          return init as FunctionNode & { body: t.BlockStatement };
        }
      }
    }
  }
  return null;
}

/** `registerJobHandlers`, in both shapes: with the plugin variable, or (no handlers yet) without. */
export function findRegistrationFunction(file: SourceFile): RegistrationFunction | null {
  const fn = registrationFunctionNode(file);
  if (!fn) return null;
  const first = fn.params[0];
  const admin = first?.type === 'Identifier' ? first.name : null;
  for (const statement of fn.body.body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations) {
      const init = unwrap(declarator.init);
      if (declarator.id.type !== 'Identifier' || init?.type !== 'CallExpression') continue;
      const callee = init.callee;
      if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && /^getPluginBy(ClassName|Id)$/.test(callee.property.name)) {
        return { body: fn.body, admin, plugin: declarator.id.name, pluginDeclaration: statement };
      }
    }
  }
  return { body: fn.body, admin, plugin: null, pluginDeclaration: null };
}

/** The statement that gets the plugin, as the handlers index of `af-jobs init` writes it. */
export function pluginLookupCode(admin: string, pluginType = 'BackgroundJobsPlugin'): string {
  return `const ${PLUGIN_VARIABLE} = ${admin}.getPluginByClassName<${pluginType}>('BackgroundJobsPlugin');`;
}

/**
 * The registration function with its plugin variable: when the body does not get the plugin yet,
 * adds `import type BackgroundJobsPlugin` and the lookup at the start of the body (then applies
 * the file). Null when there is no `registerJobHandlers`, or it takes no parameter to get the plugin from.
 */
export function ensurePluginLookup(file: SourceFile): PluginRegistration | null {
  const found = findRegistrationFunction(file);
  if (!found) return null;
  if (found.plugin !== null) return found as PluginRegistration;
  if (found.admin === null) return null;
  const pluginType = addImport(file, { source: PLUGIN_PACKAGE, imported: 'default', local: 'BackgroundJobsPlugin', typeOnly: true });
  file.apply();
  const registration = findRegistrationFunction(file)!;
  // Before the body's first statement (code of the user's may need the plugin, or return early);
  // in the body init writes, which holds only a comment, after that comment.
  const code = statementCode(pluginLookupCode(found.admin, pluginType), file.style);
  const first = registration.body.body[0];
  if (first) insertBeforeStatement(file, first, code);
  else appendToBlock(file, registration.body, code);
  file.apply();
  const result = findRegistrationFunction(file);
  return result?.plugin ? (result as PluginRegistration) : null;
}

/** The last statement of the body that calls `<plugin>.<method>(...)`. */
export function lastCallStatement(registration: PluginRegistration, methods: string[]): t.Statement | null {
  let last: t.Statement | null = null;
  for (const statement of registration.body.body) {
    if (statement.type !== 'ExpressionStatement') continue;
    const call = unwrap(statement.expression);
    if (call?.type !== 'CallExpression' || call.callee.type !== 'MemberExpression') continue;
    const { object, property } = call.callee;
    if (object.type === 'Identifier' && object.name === registration.plugin && property.type === 'Identifier' && methods.includes(property.name)) {
      last = statement;
    }
  }
  return last;
}
