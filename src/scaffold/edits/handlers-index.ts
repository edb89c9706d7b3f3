/**
 * The shape of the handlers index (`jobs/index.ts`, written by `af-jobs init`) that edits rely
 * on: a function `registerJobHandlers` whose body gets the plugin with
 * `admin.getPluginByClassName(...)` into a variable, then registers handlers on it.
 */
import type * as t from '@babel/types';
import { unwrap } from '../ast/queries.js';
import type { SourceFile } from '../ast/source-file.js';

export interface RegistrationFunction {
  body: t.BlockStatement;
  /** Name of the variable holding the plugin (`backgroundJobsPlugin`). */
  plugin: string;
  pluginDeclaration: t.Statement;
}

function functionBody(file: SourceFile): t.BlockStatement | null {
  for (const statement of file.program.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type === 'FunctionDeclaration' && declaration.id?.name === 'registerJobHandlers') return declaration.body;
    if (declaration?.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        const init = unwrap(declarator.init);
        if (declarator.id.type === 'Identifier' && declarator.id.name === 'registerJobHandlers' &&
          (init?.type === 'ArrowFunctionExpression' || init?.type === 'FunctionExpression') && init.body.type === 'BlockStatement') {
          return init.body;
        }
      }
    }
  }
  return null;
}

export function findRegistrationFunction(file: SourceFile): RegistrationFunction | null {
  const body = functionBody(file);
  if (!body) return null;
  for (const statement of body.body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations) {
      const init = unwrap(declarator.init);
      if (declarator.id.type !== 'Identifier' || init?.type !== 'CallExpression') continue;
      const callee = init.callee;
      if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && /^getPluginBy(ClassName|Id)$/.test(callee.property.name)) {
        return { body, plugin: declarator.id.name, pluginDeclaration: statement };
      }
    }
  }
  return null;
}

/** The last statement of the body that calls `<plugin>.<method>(...)`. */
export function lastCallStatement(registration: RegistrationFunction, methods: string[]): t.Statement | null {
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
