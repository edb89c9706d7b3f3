/**
 * What `af-jobs init` adds to an app, planned into a FilePlan: the jobs resource, its table
 * (Prisma model or SQL file), the handlers folder, the example, the app-file edits, and the
 * package.json dependency.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../errors.js';
import { importPath, type AppInfo } from './app-detection.js';
import { SourceFile } from './ast/source-file.js';
import type { DatabaseKind, DataSourceInfo } from './data-sources.js';
import { editFile, type Edit } from './edit-file.js';
import { addHandlersRegistration } from './edits/add-handlers-registration.js';
import { addMenuItem } from './edits/add-menu-item.js';
import { addResource } from './edits/add-resource.js';
import { addStartRoute } from './edits/add-start-route.js';
import { registerHandler } from './edits/register-handler.js';
import type { FilePlan } from './file-plan.js';
import { addDependency, PLUGIN_PACKAGE, pluginVersionRange } from './package-json.js';
import { hasModelFor } from './prisma.js';
import { renderTemplate } from './templates.js';

export type MigrationKind = 'prisma' | 'sql' | 'none';
export type EditAccess = 'superadmin' | 'all' | 'none';

export interface InitSettings {
  dataSource: DataSourceInfo;
  database: DatabaseKind;
  table: string;
  resourceId: string;
  editAccess: EditAccess;
  example: boolean;
  migration: MigrationKind;
}

export interface InitResult {
  /** The SQL file written (or kept), relative to the app root. */
  sqlFile: string | null;
  /** Whether package.json gained the plugin. */
  dependencyAdded: boolean;
}

/** init's example route: `POST <baseUrl>/api/create-job/`, as in the plugin's documentation. */
const EXAMPLE_ROUTE = (module: string) => ({ path: '/api/create-job/', factory: 'createExampleJobRoute', module, description: 'Starts the example background job' });

const camel = (name: string) => name.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

/** Refuses an app whose resources already set the plugin up in another file (a second instance would clash). */
function checkNoOtherSetup(app: AppInfo, resourceFile: string): void {
  const dir = path.join(app.root, app.resourcesDir);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.ts'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.posix.join(app.resourcesDir, name);
    if (file === resourceFile) continue;
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    if (text.includes(PLUGIN_PACKAGE) && /new\s+\w+\s*\(/.test(text) && /BackgroundJobsPlugin/.test(text)) {
      throw new ProjectError(
        `${file} already sets up BackgroundJobsPlugin; init would add a second jobs resource (${resourceFile}) and the two would clash. ` +
          'Remove that setup first, or keep it and add handlers with `af-jobs add-handler` once jobs/index.ts exists.',
      );
    }
  }
}

function planTable(plan: FilePlan, app: AppInfo, settings: InitSettings): string | null {
  const { table, resourceId } = settings;
  if (settings.migration === 'prisma') {
    const schemaFile = app.prisma!.schemaFile;
    const schema = plan.read(schemaFile)!;
    if (hasModelFor(schema, table)) {
      plan.skip(schemaFile, `already has a model for table ${table}`);
      return null;
    }
    const model = renderTemplate('init/migrations/model.prisma.ejs', {
      table,
      resourceId,
      textAttribute: settings.database === 'mysql' ? ' @db.Text' : '',
    });
    plan.edit(schemaFile, `${schema.replace(/\s*$/, '\n')}${model}`);
    return null;
  }
  if (settings.migration === 'sql') {
    const sqlFile = `migrations/create_${table}.sql`;
    const data = { table, resourceId, migrationFile: sqlFile };
    const content =
      settings.database === 'sqlite' ? renderTemplate('init/migrations/create-jobs.sqlite.sql.ejs', data)
      : settings.database === 'postgres' ? renderTemplate('init/migrations/create-jobs.postgres.sql.ejs', data)
      : renderTemplate('init/migrations/create-jobs.mysql.sql.ejs', data);
    plan.generate(sqlFile, content);
    return sqlFile;
  }
  return null;
}

export function planInit(plan: FilePlan, app: AppInfo, settings: InitSettings): InitResult {
  const suffix = app.importSuffix;
  const resourceFile = path.posix.join(app.resourcesDir, `${settings.table}.ts`);
  const handlersDir = path.posix.dirname(app.handlersIndex);
  const routeFile = path.posix.join(handlersDir, 'example-job-route.ts');
  checkNoOtherSetup(app, resourceFile);

  // 1. The jobs resource: the seed's, with QUEUED in the status enum.
  plan.generate(
    resourceFile,
    renderTemplate('init/resources/jobs.ts.ejs', {
      dataSource: settings.dataSource.id,
      table: settings.table,
      resourceId: settings.resourceId,
      editAccess: settings.editAccess,
      usersResourceId: app.usersResourceId,
      usernameField: app.usernameField,
    }),
  );

  // 2. Its table.
  const sqlFile = planTable(plan, app, settings);

  // 3. The handlers folder, and the example. An existing handlers index is the app's list of
  // handlers (add-handler edits it): it is edited, never overwritten, even with --force.
  // The index is written without handlers, and the example registered by the edit add-handler
  // uses: one shape for both, and no unused plugin variable without the example (noUnusedLocals).
  const exampleFile = path.posix.join(handlersDir, 'example-job-handler.ts');
  const registerExample: Edit = (file) => registerHandler(file, { identifier: 'exampleJobHandler', module: importPath(app.handlersIndex, exampleFile, suffix) });
  if (!plan.exists(app.handlersIndex)) {
    const index = new SourceFile(app.handlersIndex, renderTemplate('init/jobs/index.ts.ejs', {}));
    if (settings.example) {
      registerExample(index);
      index.apply();
    }
    plan.generate(app.handlersIndex, index.text);
  } else if (settings.example) {
    editFile(plan, app.handlersIndex, [registerExample]);
  } else {
    plan.skip(app.handlersIndex, 'exists');
  }
  if (settings.example) {
    const example = { importSuffix: suffix, baseUrlHint: app.baseUrl ?? '<baseUrl>' };
    plan.generate(exampleFile, renderTemplate('init/jobs/example-job-handler.ts.ejs', example));
    plan.generate(routeFile, renderTemplate('init/jobs/example-job-route.ts.ejs', example));
  }

  // 4. The app file.
  const resourceImport = { source: importPath(app.appFile, resourceFile, suffix), imported: 'default', local: `${camel(settings.table)}Resource` };
  editFile(plan, app.appFile, [
    (file) => addResource(file, resourceImport),
    (file) => addMenuItem(file, { label: 'Jobs', icon: 'flowbite:list-outline', resourceId: settings.resourceId }),
    (file) => addHandlersRegistration(file, importPath(app.appFile, app.handlersIndex, suffix)),
    ...(settings.example ? [(file: SourceFile) => addStartRoute(file, EXAMPLE_ROUTE(importPath(app.appFile, routeFile, suffix)))] : []),
  ]);

  // 5. The dependency.
  let dependencyAdded = false;
  const packageText = plan.read('package.json');
  if (packageText === null) {
    plan.manual({ file: 'package.json', reason: 'the app has no package.json; add the plugin to its dependencies', code: `"${PLUGIN_PACKAGE}": "${pluginVersionRange()}"` });
  } else {
    const updated = addDependency(packageText, PLUGIN_PACKAGE, pluginVersionRange());
    if (updated === null) plan.skip('package.json', `already depends on ${PLUGIN_PACKAGE}`);
    else {
      plan.edit('package.json', updated);
      dependencyAdded = true;
    }
  }
  return { sqlFile, dependencyAdded };
}
