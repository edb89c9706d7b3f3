/**
 * Edit of the app file: a route that starts a job — init's example (`POST <baseUrl>/api/create-job/`)
 * or a handler's (`POST <baseUrl>/api/jobs/<name>/start`, from add-handler) — registered on the
 * Express app as the plugin docs place it: right after `app.use(express.json())` (after the start
 * routes already there, so they stay in the order they were added), or else before
 * `admin.express.serve(app)`, which must come after every custom route (contract §1.3).
 *
 *   // Starts the example background job (./jobs/example-job-route.js).
 *   app.post(`${ADMIN_BASE_URL}/api/create-job/`, admin.express.authorize(createExampleJobRoute(admin)));
 */
import * as recast from 'recast';
import type * as t from '@babel/types';
import { enclosingStatement, findAdminConfig, functionCalls, methodCalls, topLevelVariable, unwrap } from '../ast/queries.js';
import { insertAfterStatement, insertBeforeStatement } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { addImport, findImported } from './add-import.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

export interface StartRoute {
  /** The route's path after the admin's base URL: `/api/create-job/`, `/api/jobs/send-emails/start`. */
  path: string;
  /** The factory the route module exports, called with the admin: `createExampleJobRoute`. */
  factory: string;
  /** Import specifier of the route module from the app file: `./jobs/example-job-route.js`. */
  module: string;
  /** The comment above the route, without the module: `Starts the example background job`. */
  description: string;
}

const withoutTrailingSlash = (path: string) => path.replace(/\/+$/, '');

/**
 * Whether a string or template literal of the file ends with the route's path (`${base}/api/x`,
 * `/admin/api/x/`): the route is registered already, perhaps by hand. The path starts with `/`,
 * so `/api/jobs/emails/start` does not match `/api/jobs/send-emails/start`.
 */
function registersPath(file: SourceFile, path: string): boolean {
  const wanted = withoutTrailingSlash(path);
  const matches = (value: string | null | undefined) => value != null && withoutTrailingSlash(value).endsWith(wanted);
  let found = false;
  recast.visit(file.ast, {
    visitStringLiteral(node) {
      if (matches((node.node as unknown as t.StringLiteral).value)) found = true;
      return false;
    },
    visitTemplateLiteral(node) {
      const quasis = (node.node as unknown as t.TemplateLiteral).quasis;
      if (matches(quasis[quasis.length - 1]?.value.cooked)) found = true;
      return false;
    },
  });
  return found;
}

/** Whether the file imports the route's factory and calls it (mounted under another path, say). */
function callsFactory(file: SourceFile, route: StartRoute): boolean {
  const local = findImported(file, { source: route.module, imported: route.factory });
  return local !== null && functionCalls(file, local).length > 0;
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

/** `<app>.post(<path>, <admin>.express.authorize(<factory>(<admin>)))`: the shape this edit writes. */
function isStartRoute(statement: t.Statement, app: string, adminName: string): boolean {
  if (statement.type !== 'ExpressionStatement') return false;
  const call = unwrap(statement.expression);
  if (call?.type !== 'CallExpression' || call.callee.type !== 'MemberExpression') return false;
  const { object, property } = call.callee;
  if (object.type !== 'Identifier' || object.name !== app || property.type !== 'Identifier' || property.name !== 'post') return false;
  const handler = unwrap(call.arguments[1]);
  if (handler?.type !== 'CallExpression' || handler.callee.type !== 'MemberExpression') return false;
  const authorize = handler.callee;
  const factoryCall = unwrap(handler.arguments[0]);
  return authorize.property.type === 'Identifier' && authorize.property.name === 'authorize' &&
    authorize.object.type === 'MemberExpression' && authorize.object.object.type === 'Identifier' && authorize.object.object.name === adminName &&
    factoryCall?.type === 'CallExpression' && factoryCall.callee.type === 'Identifier';
}

export function addStartRoute(file: SourceFile, route: StartRoute): EditOutcome {
  if (registersPath(file, route.path) || callsFactory(file, route)) return PRESENT;
  const admin = findAdminConfig(file);
  const adminName = admin?.adminName ?? 'admin';
  const baseUrl = topLevelVariable(file, 'ADMIN_BASE_URL') ? 'ADMIN_BASE_URL' : `${adminName}.config.baseUrl`;
  const code = (app: string, factory: string) =>
    statementCode(
      `// ${route.description} (${route.module}).\n` +
        `${app}.post(\`\${${baseUrl}}${route.path}\`, ${adminName}.express.authorize(${factory}(${adminName})));`,
      file.style,
    );

  const anchorOf = () => {
    const json = jsonMiddleware(file);
    return json ? { ...json, isJson: true } : { ...serveCall(file, adminName), isJson: false };
  };
  const anchor = anchorOf();
  if (!anchor.call || !enclosingStatement(file, anchor.call)) {
    return manual(
      'no `app.use(express.json())` or `admin.express.serve(app)` found to put the route next to',
      `import { ${route.factory} } from '${route.module}';\n// after app.use(express.json()):\n${code('app', route.factory)}`,
    );
  }
  const factory = addImport(file, { source: route.module, imported: route.factory, local: route.factory });
  file.apply();
  // The import shifted the code: find the anchor again.
  const fresh = anchorOf();
  const { body, statement } = enclosingStatement(file, fresh.call!)!;
  const inserted = code(fresh.app!, factory);
  if (!fresh.isJson) {
    insertBeforeStatement(file, statement, inserted);
    return ADDED;
  }
  let last = statement;
  for (const next of body.slice(body.indexOf(statement) + 1)) {
    if (!isStartRoute(next, fresh.app!, adminName)) break;
    last = next;
  }
  insertAfterStatement(file, last, inserted, { blankLine: last === statement });
  return ADDED;
}
