/**
 * An app with the seed's jobs resource on the host, for plugin tests.
 */
import type { AdminForthResourceInput } from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import type { PluginOptions } from '@adminforth/background-jobs';
import { startApp, type StartAppOptions, type TestApp } from '../helpers/app.js';
import type { DbKind } from '../helpers/databases.js';
import { JOBS_TABLE_SQL, seedJobsResource } from '../helpers/jobs-resource.js';

export { JOBS_TABLE_SQL, SEED_OPTIONS, seedJobsResource } from '../helpers/jobs-resource.js';

export interface JobsApp extends TestApp {
  plugin: BackgroundJobsPlugin;
  /** The pk of a seeded user by username. */
  userPk(username: string): Promise<string>;
}

/** An app with the seed's jobs resource; waits until the plugin's engine runs. */
export async function startJobsApp(
  options: StartAppOptions & { kind?: DbKind; pluginOptions?: Partial<PluginOptions>; resource?: AdminForthResourceInput } = {},
): Promise<JobsApp> {
  const resource = options.resource ?? seedJobsResource({ pollMs: 100, ...options.pluginOptions });
  const extra = options.tables;
  const app = await startApp({
    ...options,
    resources: [resource, ...(options.resources ?? [])],
    tables: (kind) => {
      const more = typeof extra === 'function' ? extra(kind) : extra?.[kind];
      return [JOBS_TABLE_SQL[kind], ...(more === undefined ? [] : Array.isArray(more) ? more : [more])];
    },
  });
  const plugin = app.admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
  const close = app.close;
  try {
    await plugin.whenReady();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ...app,
    plugin,
    async userPk(username) {
      const row = await app.admin.resource('adminuser').get([{ field: 'email', operator: 'eq', value: username }]);
      if (!row) throw new Error(`no user ${username}`);
      return String(row.id);
    },
    async close() {
      await plugin.stop({ graceMs: 0 });
      await close();
    },
  };
}
