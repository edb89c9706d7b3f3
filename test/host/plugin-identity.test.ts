import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import AdminForth, { AdminForthPlugin } from 'adminforth';
import { md5hex } from './utils.js';
import { BackgroundJobsPlugin, GlobalRecordingPlugin, RecordingPlugin, fixtureConfig, fixtureResource } from './fixtures/plugins.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixturesDir = path.join(here, 'fixtures');

let admin: AdminForth | undefined;
function start(...args: Parameters<typeof fixtureConfig>): AdminForth {
  admin = new AdminForth(fixtureConfig(...args));
  return admin;
}
afterEach(async () => {
  await admin?.shutdown();
  admin = undefined;
});

describe('contract §1.1: plugin fields set by the constructor', () => {
  it('sets pluginDir, custom folder, options, className and defaults; not adminforth or the id', () => {
    const options = { name: 'a', log: [] };
    const plugin = new RecordingPlugin(options);
    expect(plugin.pluginDir).toBe(fixturesDir);
    expect(plugin.customFolderName).toBe('custom');
    expect(plugin.customFolderPath).toBe(path.join(fixturesDir, 'custom'));
    expect(plugin.pluginOptions).toBe(options);
    expect(plugin.className).toBe('RecordingPlugin');
    expect(plugin.activationOrder).toBe(0);
    expect(plugin.pluginsScope).toBe('resource');
    expect(typeof plugin.shouldHaveSingleInstancePerWholeApp).toBe('function');
    expect(plugin.shouldHaveSingleInstancePerWholeApp()).toBe(false);
    // Not even as undefined properties: AdminForth's build sets them only at activation, so a
    // Proxy around a plugin sees `in` answer false for them (contract §10).
    for (const field of ['adminforth', 'resourceConfig', 'pluginInstanceId']) expect(field in plugin, field).toBe(false);
    expect(new AdminForthPlugin({}, import.meta.url).instanceUniqueRepresentation({})).toBe('non-uniquely-identified');
  });

  it('pluginDir steps up only from a dist/modules directory', () => {
    expect(new AdminForthPlugin({}, 'file:///app/node_modules/p/dist/index.js').pluginDir).toBe('/app/node_modules/p/dist');
    expect(new AdminForthPlugin({}, 'file:///app/node_modules/p/dist/modules/index.js').pluginDir).toBe('/app/node_modules/p/dist');
    expect(new AdminForthPlugin({}, 'file:///app/modules/index.js').pluginDir).toBe('/app/modules');
  });
});

describe('contract §1.1: pluginInstanceId', () => {
  it('is md5(af_pl_<Class>_<resourceId>_<unique>); the BJ-like example gives 0074ddcd…', () => {
    const plugin = new BackgroundJobsPlugin();
    start([fixtureResource('jobs', [plugin])]);
    expect(plugin.className).toBe('BackgroundJobsPlugin');
    expect(plugin.pluginInstanceId).toBe('0074ddcdd9e9f208d9af952ef7c971c0');
    expect(plugin.pluginInstanceId).toBe(md5hex('af_pl_BackgroundJobsPlugin_jobs_BackgroundJobsPlugin'));
    expect(plugin.shouldHaveSingleInstancePerWholeApp()).toBe(true);
  });

  it('uses the resourceId (not the table) and the base uniqueness string', () => {
    const plugin = new AdminForthPlugin({}, import.meta.url);
    start([fixtureResource('background_jobs', [plugin], { resourceId: 'jobs' })]);
    expect(plugin.pluginInstanceId).toBe(md5hex('af_pl_AdminForthPlugin_jobs_non-uniquely-identified'));
    expect(plugin.resourceConfig.resourceId).toBe('jobs');
    expect(plugin.adminforth).toBe(admin);
  });

  it('global plugins use af_pl_<Class>_global_<unique>', () => {
    const plugin = new GlobalRecordingPlugin({ name: 'g', log: [] });
    start([fixtureResource('jobs')], { globalPlugins: [plugin] });
    expect(plugin.pluginInstanceId).toBe(md5hex('af_pl_GlobalRecordingPlugin_global_non-uniquely-identified'));
    expect(plugin.resourceConfig).toBeUndefined();
  });

  it('two instances with the same id on one resource are rejected', () => {
    const log: string[] = [];
    expect(() => start([fixtureResource('jobs', [new BackgroundJobsPlugin(), new BackgroundJobsPlugin()])]))
      .toThrow(/^Attempt to activate Plugin BackgroundJobsPlugin second time for same resource/);
    expect(global.adminforth).toBeUndefined();
    // Distinct uniqueness strings are fine, and so is the same class on another resource.
    start([
      fixtureResource('jobs', [new RecordingPlugin({ name: 'a', log }), new RecordingPlugin({ name: 'b', log })]),
      fixtureResource('other', [new RecordingPlugin({ name: 'a', log })]),
    ]);
    expect(admin!.activatedPlugins).toHaveLength(3);
  });

  it('an anonymous default-exported class is named "default" (checked under plain Node via tsx)', async () => {
    // Vitest's module transform renames `export default class extends …` to
    // `__vite_ssr_export_default__`, so the fixture runs in a child process.
    const { stdout } = await execa('tsx', [path.join(fixturesDir, 'anonymous-identity.ts')], { cwd: here, preferLocal: true });
    expect(JSON.parse(stdout)).toEqual({
      className: 'default',
      pluginInstanceId: md5hex('af_pl_default_jobs_non-uniquely-identified'),
      lookup: 'found',
    });
  });
});

describe('contract §1.1: componentPath', () => {
  it('returns @@/plugins/<ClassName>/<file> and registers the folder and component', () => {
    const plugin = new BackgroundJobsPlugin();
    start([fixtureResource('jobs', [plugin])]);
    expect(plugin.componentPath('Dummy.vue')).toBe('@@/plugins/BackgroundJobsPlugin/Dummy.vue');
    expect(admin!.config.customization.globalInjections.header).toEqual([
      { file: '@@/plugins/BackgroundJobsPlugin/Dummy.vue', meta: { pluginInstanceId: '0074ddcdd9e9f208d9af952ef7c971c0' } },
    ]);
    expect(admin!.codeInjector.srcFoldersToSync).toEqual({ [path.join(fixturesDir, 'custom')]: './plugins/BackgroundJobsPlugin/' });
    expect(Object.keys(admin!.codeInjector.allComponentNames)).toEqual(['@@/plugins/BackgroundJobsPlugin/Dummy.vue']);
  });

  it('throws when the file is missing under <pluginDir>/custom', () => {
    const plugin = new BackgroundJobsPlugin();
    start([fixtureResource('jobs', [plugin])]);
    expect(() => plugin.componentPath('Missing.vue')).toThrow(/Missing\.vue/);
  });
});

describe('contract §1.1–§1.2: pluginOptions.id and lookups', () => {
  it('registers pluginOptions.id in pluginsById and finds it with getPluginById', () => {
    const log: string[] = [];
    const plugin = new RecordingPlugin({ name: 'a', log, id: 'main-jobs' });
    start([fixtureResource('jobs', [plugin])]);
    expect(admin!.pluginsById).toEqual({ 'main-jobs': plugin });
    expect(admin!.getPluginById('main-jobs')).toBe(plugin);
    expect(() => admin!.getPluginById('main-job')).toThrow('Plugin with id "main-job" not found. Did you mean "main-jobs"?');
  });

  it('a duplicate pluginOptions.id throws', () => {
    const log: string[] = [];
    expect(() => start([fixtureResource('jobs', [
      new RecordingPlugin({ name: 'a', log, id: 'x' }),
      new RecordingPlugin({ name: 'b', log, id: 'x' }),
    ])])).toThrow('Plugin with id "x" already exists!');
  });

  it('getPluginByClassName needs exactly one match', () => {
    const log: string[] = [];
    const bj = new BackgroundJobsPlugin();
    start([fixtureResource('jobs', [bj, new RecordingPlugin({ name: 'a', log }), new RecordingPlugin({ name: 'b', log })])]);
    expect(admin!.getPluginByClassName('BackgroundJobsPlugin')).toBe(bj);
    expect(() => admin!.getPluginByClassName('BackgroundJobPlugin'))
      .toThrow('Plugin with className BackgroundJobPlugin not found. Did you mean BackgroundJobsPlugin?');
    expect(() => admin!.getPluginByClassName('default')).toThrow(/^Plugin with className default not found\./);
    expect(() => admin!.getPluginByClassName('RecordingPlugin'))
      .toThrow('Multiple plugins with className RecordingPlugin found. Use getPluginsByClassName instead');
    expect(admin!.getPluginsByClassName('RecordingPlugin')).toHaveLength(2);
    expect(admin!.getPluginsByClassName('Nope')).toEqual([]);
  });

  it('a global plugin listed in a resource throws and names globalPlugins', () => {
    expect(() => start([fixtureResource('jobs', [new GlobalRecordingPlugin({ name: 'g', log: [] })])]))
      .toThrow(/GlobalRecordingPlugin.*globalPlugins/s);
  });
});
