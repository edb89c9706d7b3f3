// @vitest-environment node
/**
 * Plugin side of the admin UI (contract §7): the header injections and the explicitly registered
 * component, as the official plugin adds them, with files that exist in plugin/custom (the host's
 * `componentPath` throws otherwise) and the folder AdminForth copies them from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import AdminForth from 'adminforth';
import adminuserResource from '../../../examples/demo/resources/adminuser.js';
import jobsResource from '../../../examples/demo/resources/jobs.js';
import { ROOT } from '../aliases.js';

let admin: AdminForth | null = null;

afterEach(async () => {
  await admin?.shutdown();
  admin = null;
});

describe('the admin UI injection', () => {
  it('adds the navbar indicator and the global job API to the header, and registers the status badge', () => {
    admin = new AdminForth({
      baseUrl: '',
      auth: { usersResourceId: 'adminuser', usernameField: 'email', passwordHashField: 'password_hash' },
      dataSources: [{ id: 'maindb', url: 'sqlite://:memory:' }],
      resources: [adminuserResource, jobsResource],
    });
    const plugin = admin.getPluginByClassName<any>('BackgroundJobsPlugin');
    const meta = { pluginInstanceId: plugin.pluginInstanceId };
    expect(plugin.pluginInstanceId).toBe('0074ddcdd9e9f208d9af952ef7c971c0');

    expect(admin.config.customization.globalInjections.header).toEqual([
      { file: '@@/plugins/BackgroundJobsPlugin/NavbarJobs.vue', meta },
      { file: '@@/plugins/BackgroundJobsPlugin/GlobalJobApi.vue', meta },
    ]);
    expect(admin.config.componentsToExplicitRegister).toEqual(expect.arrayContaining([
      { file: '@@/plugins/BackgroundJobsPlugin/JobStatusBadge.vue' },
    ]));

    // AdminForth bundles the plugin's custom folder from here.
    expect(plugin.customFolderPath).toBe(path.join(ROOT, 'plugin', 'custom'));
    expect(admin.codeInjector.srcFoldersToSync[plugin.customFolderPath]).toBe('./plugins/BackgroundJobsPlugin/');
    for (const file of ['NavbarJobs.vue', 'GlobalJobApi.vue', 'JobStatusBadge.vue', 'JobDetails.vue', 'JobDetailsModal.vue', 'JobsList.vue', 'TaskTable.vue', 'utils.ts']) {
      expect(fs.existsSync(path.join(plugin.customFolderPath, file)), file).toBe(true);
    }
  });
});
