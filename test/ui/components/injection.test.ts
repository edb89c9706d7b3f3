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
    for (const file of ['NavbarJobs.vue', 'GlobalJobApi.vue', 'JobStatusBadge.vue', 'JobDetails.vue', 'JobDetailsModal.vue', 'JobsList.vue', 'TaskTable.vue', 'utils.ts', 'JobsPage.vue']) {
      expect(fs.existsSync(path.join(plugin.customFolderPath, file)), file).toBe(true);
    }
  });

  const config = (menu: any[], pluginOptions: Record<string, unknown> = {}) => ({
    baseUrl: '',
    auth: { usersResourceId: 'adminuser', usernameField: 'email', passwordHashField: 'password_hash' },
    dataSources: [{ id: 'maindb', url: 'sqlite://:memory:' }],
    resources: [adminuserResource, { ...jobsResource, plugins: [new (jobsResource.plugins![0].constructor as any)({ ...(jobsResource.plugins![0] as any).pluginOptions, ...pluginOptions })] }],
    menu,
  });

  it('adds the Jobs page to the menu after the jobs resource, as a page AdminForth routes to the plugin\'s JobsPage.vue', () => {
    const menu = [{ label: 'Jobs', resourceId: 'jobs' }, { label: 'Admin Users', resourceId: 'adminuser' }];
    admin = new AdminForth(config(menu));
    const plugin = admin.getPluginByClassName<any>('BackgroundJobsPlugin');
    // The host has no registerMenuContribution (AdminForth before 3.16): the item goes into config.menu.
    expect((admin as any).config.menu.map((item: any) => item.label)).toEqual(['Jobs', 'Background jobs', 'Admin Users']);
    expect((admin as any).config.menu[1]).toEqual({
      itemId: `background-jobs-page-${plugin.pluginInstanceId}`, type: 'page', label: 'Background jobs', icon: 'flowbite:chart-pie-solid',
      path: '/background-jobs', component: '@@/plugins/BackgroundJobsPlugin/JobsPage.vue',
    });
  });

  it('uses registerMenuContribution where AdminForth has it, and adds no page with jobsPage: false', async () => {
    const { injectJobsPage } = await import('../../../plugin/src/adapter/admin-ui.js');
    const contributions: any[] = [];
    const fakePlugin = { pluginInstanceId: 'p1', pluginOptions: { jobsPage: { path: '/ops/jobs', label: 'Jobs board' } }, componentPath: (file: string) => `@@/plugins/X/${file}` };
    const menu: any[] = [];
    injectJobsPage(fakePlugin as any, { registerMenuContribution: (c: any) => contributions.push(c), config: { menu } } as any, 'jobs');
    expect(contributions).toEqual([{
      item: { itemId: 'background-jobs-page-p1', type: 'page', label: 'Jobs board', icon: 'flowbite:chart-pie-solid', path: '/ops/jobs', component: '@@/plugins/X/JobsPage.vue' },
      placement: { after: { resourceId: 'jobs' } },
    }]);
    expect(menu).toEqual([]);

    injectJobsPage({ ...fakePlugin, pluginOptions: { jobsPage: false } } as any, { config: { menu } } as any, 'jobs');
    expect(menu).toEqual([]);
    expect(() => injectJobsPage({ ...fakePlugin, pluginOptions: { jobsPage: { path: "/x'y" } } } as any, { config: { menu } } as any, 'jobs'))
      .toThrow(/jobsPage.path/);
  });
});
