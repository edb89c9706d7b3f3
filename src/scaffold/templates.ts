/**
 * Renders the ejs templates in `templates/`, laid out like the files they produce. Each template
 * takes one typed data object (below); output uses `<%- %>` only and nothing is HTML-escaped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { packageRoot } from '../package-root.js';

const TEMPLATES = path.join(packageRoot(), 'templates') + path.sep;

export interface JobsResourceData {
  dataSource: string;
  table: string;
  resourceId: string;
  editAccess: 'superadmin' | 'all' | 'none';
  usersResourceId: string;
  usernameField: string;
}

/** The handlers index takes no data: it is written without handlers, which edits register. */
export type JobsIndexData = Record<string, never>;

export interface ExampleData {
  importSuffix: string;
  /** How the base URL appears in comments: `<baseUrl>` or the literal one. */
  baseUrlHint: string;
}

export interface MigrationData {
  table: string;
  resourceId: string;
  migrationFile: string;
}

export interface PrismaModelData {
  table: string;
  resourceId: string;
  /** ` @db.Text` where a plain String column would be too short for JSON state (MySQL). */
  textAttribute: string;
}

export interface HandlerData {
  jobHandlerName: string;
  fileBase: string;
  identifier: string;
  title: string;
  importSuffix: string;
  testSuffix: string;
  handlerDir: string;
  parallelLimit?: number;
  concurrencyLimit?: number;
  maxAttempts?: number;
}

export interface HandlerRouteData {
  jobHandlerName: string;
  fileBase: string;
  title: string;
  importSuffix: string;
  /** `createSendEmailsHandlerRoute`. */
  routeFactory: string;
  /** `/api/jobs/send-emails/start`, after the base URL. */
  startPath: string;
  /** How the base URL appears in comments: the literal one, or `<baseUrl>`. */
  baseUrlHint: string;
}

export interface ComponentData {
  jobHandlerName: string;
}

interface TemplateData {
  'init/resources/jobs.ts.ejs': JobsResourceData;
  'init/jobs/index.ts.ejs': JobsIndexData;
  'init/jobs/example-job-handler.ts.ejs': ExampleData;
  'init/jobs/example-job-route.ts.ejs': ExampleData;
  'init/migrations/create-jobs.sqlite.sql.ejs': MigrationData;
  'init/migrations/create-jobs.postgres.sql.ejs': MigrationData;
  'init/migrations/create-jobs.mysql.sql.ejs': MigrationData;
  'init/migrations/model.prisma.ejs': PrismaModelData;
  'add-handler/jobs/handler.ts.ejs': HandlerData;
  'add-handler/jobs/handler.test.ts.ejs': HandlerData;
  'add-handler/jobs/handler-route.ts.ejs': HandlerRouteData;
  'add-component/custom/Tasks.vue.ejs': ComponentData;
}

export type TemplateName = keyof TemplateData;

export function renderTemplate<N extends TemplateName>(name: N, data: TemplateData[N]): string {
  const file = `${TEMPLATES}${name}`;
  return ejs.render(readFileSync(file, 'utf8'), { ...data }, { escape: String, filename: file });
}
