/**
 * Edit of the app file: the seed's `POST <baseUrl>/api/create-job/` route, which starts the
 * example job, registered on the Express app right after `app.use(express.json())` (or before
 * `admin.express.serve(app)`), as the plugin docs place it.
 */
import * as recast from 'recast';
import type * as t from '@babel/types';
import { enclosingStatement, findAdminConfig, methodCalls, topLevelVariable } from '../ast/queries.js';
import { insertAfterStatement, insertBeforeStatement } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { addImport } from './add-import.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

const ROUTE = '/api/create-job/';

function mentionsRoute(file: SourceFile): boolean {
  let found = false;
  recast.visit(file.ast, {
    visitStringLiteral(path) {
      if ((path.node as unknown as t.StringLiteral).value.includes(ROUTE)) found = true;
      return false;
    },
    visitTemplateElement(path) {
      if (((path.node as unknown as t.TemplateElement).value.cooked ?? '').includes(ROUTE)) found = true;
      return false;
    },
  });
  return found;
}

/** `app.use(express.json())`: the call and the app's name. */
function jsonMiddleware(file: SourceFile): { call: t.CallExpression; app: string } | null {
  for (const call of methodCalls(file, 'use')) {
    const callee = call.callee as t.MemberExpression;
    const argument = call.arguments[0];
    if (callee.object.type !== 'Identifier' || argument?.type !== 'CallExpression') continue;
    const inner = argument.callee;
    if (inner.type === 'MemberExpression' && inner.property.type === 'Identifier' && inner.property.name === 'json') {
      return { call, app: callee.object.name };
    }
  }
  return null;
}

/** `admin.express.serve(app)`: the call and the app's name. */
function serveCall(file: SourceFile, adminName: string): { call: t.CallExpression; app: string } | null {
  for (const call of methodCalls(file, 'serve')) {
    const callee = call.callee as t.MemberExpression;
    const receiver = callee.object;
    const argument = call.arguments[0];
    if (receiver.type !== 'MemberExpression' || receiver.object.type !== 'Identifier' || receiver.object.name !== adminName) continue;
    if (argument?.type === 'Identifier') return { call, app: argument.name };
  }
  return null;
}

export function addCreateJobRoute(file: SourceFile, routeModule: string): EditOutcome {
  if (mentionsRoute(file)) return PRESENT;
  const admin = findAdminConfig(file);
  const adminName = admin?.adminName ?? 'admin';
  const baseUrl = topLevelVariable(file, 'ADMIN_BASE_URL') ? 'ADMIN_BASE_URL' : `${adminName}.config.baseUrl`;
  const route = (app: string, factory: string) =>
    statementCode(
      `// Starts the example background job (${routeModule}).\n` +
        `${app}.post(\`\${${baseUrl}}${ROUTE}\`, ${adminName}.express.authorize(${factory}(${adminName})));`,
      file.style,
    );

  const json = jsonMiddleware(file);
  const isJson = json !== null;
  const anchor = json ?? serveCall(file, adminName);
  const statement = anchor ? enclosingStatement(file, anchor.call) : null;
  if (!anchor || !statement) {
    return manual(
      'no `app.use(express.json())` or `admin.express.serve(app)` found to put the example route next to',
      `import { createExampleJobRoute } from '${routeModule}';\n// after app.use(express.json()):\n${route('app', 'createExampleJobRoute')}`,
    );
  }
  const factory = addImport(file, { source: routeModule, imported: 'createExampleJobRoute', local: 'createExampleJobRoute' });
  file.apply();
  // The import shifted the code: find the anchor again.
  const fresh = isJson ? jsonMiddleware(file)! : serveCall(file, adminName)!;
  const freshStatement = enclosingStatement(file, fresh.call)!.statement;
  const code = route(fresh.app, factory);
  if (isJson) insertAfterStatement(file, freshStatement, code, { blankLine: true });
  else insertBeforeStatement(file, freshStatement, code);
  return ADDED;
}
