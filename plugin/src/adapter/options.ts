/**
 * Start-up checks of the plugin options against the jobs resource, and of its database.
 */
import type { PluginOptions } from '../types.js';

export const COLUMN_OPTIONS = [
  'createdAtField', 'finishedAtField', 'startedByField', 'stateField',
  'progressField', 'statusField', 'nameField', 'jobHandlerField',
] as const satisfies readonly (keyof PluginOptions)[];

export const SUPPORTED_DATABASES = ['sqlite', 'postgres', 'mysql'] as const;
export type SupportedDatabase = (typeof SUPPORTED_DATABASES)[number];

interface ResourceLike {
  resourceId: string;
  dataSource: string;
  columns: { name: string; virtual?: boolean }[];
}

/** Throws, naming the option and the column, when an option does not name a column of the resource. */
export function checkColumnOptions(options: PluginOptions, resource: ResourceLike): void {
  const names = resource.columns.map((c) => c.name);
  for (const option of COLUMN_OPTIONS) {
    const column = options[option];
    if (typeof column !== 'string' || column.length === 0) {
      throw new Error(`BackgroundJobsPlugin on resource '${resource.resourceId}': option '${option}' is missing; set it to the name of a column of the resource (e.g. ${option}: '${defaultColumn(option)}').`);
    }
    if (!names.includes(column)) {
      throw new Error(`BackgroundJobsPlugin on resource '${resource.resourceId}': option '${option}' names column '${column}', which the resource does not have (columns: ${names.join(', ')}). Add '${column}' to the resource and its table, or fix the option.`);
    }
  }
}

function defaultColumn(option: (typeof COLUMN_OPTIONS)[number]): string {
  return {
    createdAtField: 'created_at', finishedAtField: 'finished_at', startedByField: 'started_by', stateField: 'state',
    progressField: 'progress', statusField: 'status', nameField: 'name', jobHandlerField: 'job_handler_name',
  }[option];
}

/** The database kind of the resource's data source, or an error naming the supported ones. */
export function databaseOf(dataSources: { id: string; url: string }[], resource: ResourceLike): SupportedDatabase {
  const source = dataSources.find((d) => d.id === resource.dataSource);
  if (!source) {
    throw new Error(`BackgroundJobsPlugin on resource '${resource.resourceId}': data source '${resource.dataSource}' is not in the config's dataSources.`);
  }
  const scheme = String(source.url).split(':')[0].toLowerCase();
  if (scheme === 'sqlite') return 'sqlite';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql') return 'mysql';
  throw new Error(`BackgroundJobsPlugin on resource '${resource.resourceId}': data source '${source.id}' uses '${scheme}://', which the plugin does not support. Supported: SQLite (sqlite://), PostgreSQL (postgres:// or postgresql://) and MySQL/MariaDB (mysql://). Put the jobs resource on a data source of one of those.`);
}
