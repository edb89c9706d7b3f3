/**
 * The seed page's jobs resource (`../shared/seed/background-jobs-plugin-docs.md`) as a factory, so
 * each app gets its own plugin instance, and its table per database. No vitest imports: the bench
 * uses it too.
 */
import { randomUUID } from 'node:crypto';
import { AdminForthDataTypes, type AdminForthResourceInput, type AdminUser } from 'adminforth';
import BackgroundJobsPlugin, { type PluginOptions } from '@adminforth/background-jobs';
import type { DbKind } from './databases.js';

export const JOBS_TABLE_SQL: Record<DbKind, string> = {
  sqlite: `CREATE TABLE jobs (id VARCHAR(255) PRIMARY KEY, name VARCHAR(255), created_at DATETIME, finished_at DATETIME,
    started_by VARCHAR(255), state TEXT, progress VARCHAR(255), status VARCHAR(255), job_handler_name VARCHAR(255))`,
  postgres: `CREATE TABLE jobs (id TEXT PRIMARY KEY, name TEXT, created_at TIMESTAMP(3), finished_at TIMESTAMP(3),
    started_by TEXT, state TEXT, progress TEXT, status TEXT, job_handler_name TEXT)`,
  mysql: `CREATE TABLE jobs (id VARCHAR(191) PRIMARY KEY, name VARCHAR(255), created_at DATETIME(3), finished_at DATETIME(3),
    started_by VARCHAR(191), state TEXT, progress VARCHAR(32), status VARCHAR(32), job_handler_name VARCHAR(191))`,
};

export const SEED_OPTIONS: PluginOptions = {
  createdAtField: 'created_at',
  finishedAtField: 'finished_at',
  startedByField: 'started_by',
  stateField: 'state',
  progressField: 'progress',
  statusField: 'status',
  nameField: 'name',
  jobHandlerField: 'job_handler_name',
};

async function allowedForSuperAdmin({ adminUser }: { adminUser: AdminUser }): Promise<boolean> {
  return adminUser.dbUser.role === 'superadmin';
}

/** The seed's resource; `options` override plugin options (e.g. short leases in tests). */
export function seedJobsResource(options: Partial<PluginOptions> = {}): AdminForthResourceInput {
  return {
    dataSource: 'maindb',
    table: 'jobs',
    resourceId: 'jobs',
    label: 'Jobs',
    options: { allowedActions: { edit: allowedForSuperAdmin, delete: allowedForSuperAdmin } },
    columns: [
      { name: 'id', primaryKey: true, type: AdminForthDataTypes.STRING, fillOnCreate: () => randomUUID(), showIn: { edit: false, create: false } },
      { name: 'name', type: AdminForthDataTypes.STRING },
      { name: 'created_at', type: AdminForthDataTypes.DATETIME, showIn: { edit: false, create: false }, fillOnCreate: () => new Date().toISOString() },
      { name: 'finished_at', type: AdminForthDataTypes.DATETIME, showIn: { edit: false, create: false } },
      { name: 'started_by', type: AdminForthDataTypes.STRING, foreignResource: { resourceId: 'adminuser', searchableFields: ['id', 'email'] } },
      { name: 'state', type: AdminForthDataTypes.JSON },
      { name: 'progress', type: AdminForthDataTypes.STRING },
      {
        name: 'status', type: AdminForthDataTypes.STRING,
        enum: ['IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED'].map((value) => ({ label: value, value })),
      },
      { name: 'job_handler_name', type: AdminForthDataTypes.STRING },
    ],
    plugins: [new BackgroundJobsPlugin({ ...SEED_OPTIONS, ...options })],
  };
}

