import express from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import AdminForth, { AdminForthDataTypes } from 'adminforth';
import { startApp } from '../helpers/app.js';
import { availableDbKinds, freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import {
  AsyncModifyPlugin,
  DeferredValidatePlugin,
  GlobalRecordingPlugin,
  RecordingPlugin,
  SpawningPlugin,
  fixtureConfig,
  fixtureResource,
} from './fixtures/plugins.js';

const TABLES_SQL = `
  CREATE TABLE jobs (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255));
  CREATE TABLE other (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255));
  INSERT INTO jobs (id, name) VALUES ('1', 'first'), ('2', 'second');
`;

let admin: AdminForth | undefined;
let db: FreshDatabase | undefined;

afterEach(async () => {
  await admin?.shutdown();
  admin = undefined;
  await db?.drop();
  db = undefined;
});

describe('contract §1.3 step 4: plugin activation inside the constructor', () => {
  it('activates resource plugins then global ones, sorted by activationOrder', () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig(
      [
        fixtureResource('jobs', [
          new RecordingPlugin({ name: 'late', log, activationOrder: 10 }),
          new RecordingPlugin({ name: 'early', log, activationOrder: -1 }),
        ]),
        fixtureResource('other', [new RecordingPlugin({ name: 'other', log })]),
      ],
      { globalPlugins: [new GlobalRecordingPlugin({ name: 'global', log })] },
    ));
    expect(log).toEqual(['modify:early', 'modify:other', 'modify-global:global', 'modify:late']);
    expect(admin.activatedPlugins.map((p) => p.pluginOptions.name)).toEqual(['early', 'other', 'global', 'late']);
  });

  it('does not await modifyResourceConfig: an async one runs only up to its first await', async () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs', [new AsyncModifyPlugin({ name: 'a', log })])]));
    expect(log).toEqual(['async-modify:a:before-await']);
    await Promise.resolve();
    expect(log).toEqual(['async-modify:a:before-await', 'async-modify:a:after-await']);
  });

  it('activates a plugin pushed into the activation list (third argument) in the next round', () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs', [new SpawningPlugin({ name: 's', log, into: 'list' })])]));
    expect(log).toEqual(['modify:s', 'modify:s-child']);
    expect(admin.activatedPlugins.map((p) => p.className)).toEqual(['SpawningPlugin', 'RecordingPlugin']);
  });

  it('never activates a plugin added to the config during activation: the list was built before', () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig(
      [fixtureResource('jobs', [new SpawningPlugin({ name: 's', log, into: 'resource' })])],
      { globalPlugins: [new GlobalRecordingPlugin({ name: 'g', log })] },
    ));
    expect(log).toEqual(['modify:s', 'modify-global:g']);
    expect(admin.activatedPlugins.map((p) => p.className)).toEqual(['SpawningPlugin', 'GlobalRecordingPlugin']);
    expect(() => admin!.getPluginByClassName('RecordingPlugin')).toThrow(/^Plugin with className RecordingPlugin not found/);
  });

  it('allows one AdminForth per process; shutdown() frees the slot and is idempotent', async () => {
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs')]));
    expect(global.adminforth).toBe(admin);
    expect(() => new AdminForth(fixtureConfig([fixtureResource('jobs')]))).toThrow(/already exists/);
    await Promise.all([admin.shutdown(), admin.shutdown()]);
    expect(global.adminforth).toBeUndefined();
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs')]));
    expect(global.adminforth).toBe(admin);
  });

  it('a config error leaves no instance behind', () => {
    expect(() => new AdminForth(fixtureConfig([{ dataSource: 'nope', table: 'jobs', columns: [] }]))).toThrow(/dataSource "nope"/);
    expect(global.adminforth).toBeUndefined();
  });
});

describe('contract §1.3 step 2: setupEndpoints at express.serve(app)', () => {
  it('registers core endpoints first, then calls every activated plugin', () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig(
      [fixtureResource('jobs', [new RecordingPlugin({ name: 'a', log })])],
      { globalPlugins: [new GlobalRecordingPlugin({ name: 'g', log })] },
    ));
    const original = admin.express.endpoint.bind(admin.express);
    vi.spyOn(admin.express, 'endpoint').mockImplementation((options) => {
      log.push(`endpoint:${options.path}`);
      original(options);
    });
    log.length = 0;
    expect(admin.express.server).toBeUndefined();
    admin.express.serve(express());
    const firstPlugin = log.indexOf('setupEndpoints:a');
    expect(firstPlugin).toBeGreaterThan(0);
    expect(log.slice(0, firstPlugin)).toContain('endpoint:/login');
    expect(log.slice(0, firstPlugin).every((entry) => entry.startsWith('endpoint:'))).toBe(true);
    expect(log.slice(firstPlugin)).toEqual([
      'setupEndpoints:a',
      `endpoint:/plugin/${admin.getPluginByClassName<RecordingPlugin>('RecordingPlugin').pluginInstanceId}/ping`,
      'setupEndpoints:g',
    ]);
  });
});

describe('contract §1.3 step 3: discoverDatabases', () => {
  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    await db.exec(TABLES_SQL);
    process.env.ADMINFORTH_SECRET ??= 'lifecycle-test-secret';
  });

  it('resource() throws before and during discovery, and hints on an unknown id after', async () => {
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs')], {}, db!.url));
    expect(admin.statuses.dbDiscover).toBeUndefined();
    expect(() => admin!.resource('jobs')).toThrow(/^Database discovery not yet started/);
    const discovery = admin.discoverDatabases();
    expect(admin.statuses.dbDiscover).toBe('running');
    expect(() => admin!.resource('jobs')).toThrow(/^Database discovery is running/);
    await discovery;
    expect(admin.statuses.dbDiscover).toBe('done');
    expect(await admin.resource('jobs').count()).toBe(2);
    expect(() => admin!.resource('job')).toThrow('Resource with id "job" not found. Did you mean "jobs"?');
  });

  it('calls validateConfigAfterDiscover for resource plugins only, after dbDiscover = done, before resource() works', async () => {
    const log: string[] = [];
    admin = new AdminForth(fixtureConfig(
      [fixtureResource('jobs', [new RecordingPlugin({ name: 'a', log })]), fixtureResource('other')],
      { globalPlugins: [new GlobalRecordingPlugin({ name: 'g', log })] },
      db!.url,
    ));
    log.length = 0;
    await admin.discoverDatabases();
    // Synchronously inside the hook, resource() fails like AdminForth's (a TypeError).
    expect(log).toEqual(['validate:a:jobs:done', 'validate:a:resource-threw:TypeError']);
    expect(admin.pluginErrors).toEqual([]);
  });

  it('does not await validateConfigAfterDiscover', async () => {
    const log: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs', [new DeferredValidatePlugin({ name: 'd', log, release: released })])], {}, db!.url));
    await admin.discoverDatabases();
    expect(log).toEqual(['deferred:d:started']);
    release();
    await expect.poll(() => log).toEqual(['deferred:d:started', 'deferred:d:count=2']);
  });

  it('records (host deviation: instead of an unhandled rejection) a rejected validateConfigAfterDiscover', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const plugin = new DeferredValidatePlugin({ name: 'bad', log: [], release: Promise.resolve(), failWith: 'field "status" missing' });
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs', [plugin])], {}, db!.url));
    await admin.discoverDatabases();
    await expect.poll(() => admin!.pluginErrors).toHaveLength(1);
    expect(admin.pluginErrors[0]).toMatchObject({ hook: 'validateConfigAfterDiscover', plugin, resourceId: 'jobs' });
    expect((admin.pluginErrors[0].error as Error).message).toBe('field "status" missing');
    expect(consoleError).toHaveBeenCalled();
    consoleError.mockRestore();
  });

  it('merges discovered columns into the same resource object and fills dataSourceColumns', async () => {
    const log: string[] = [];
    const plugin = new RecordingPlugin({ name: 'a', log });
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs', [plugin], {
      columns: [{ name: 'id', primaryKey: true }, { name: 'name' }, { name: 'shout', virtual: true }],
    })], {}, db!.url));
    const resource = admin.config.resources[0];
    const declaredName = resource.columns[1];
    await admin.discoverDatabases();
    expect(plugin.resourceConfig).toBe(resource);
    expect(resource.columns[1]).not.toBe(declaredName);
    expect(resource.columns[1]).toMatchObject({ name: 'name', label: 'Name', type: AdminForthDataTypes.STRING });
    expect(resource.dataSourceColumns.map((c) => c.name)).toEqual(['id', 'name']);
  });

  it('throws at the end when ADMINFORTH_SECRET is unset, after resources became usable', async () => {
    const saved = process.env.ADMINFORTH_SECRET;
    delete process.env.ADMINFORTH_SECRET;
    try {
      admin = new AdminForth(fixtureConfig([fixtureResource('jobs')], {}, db!.url));
      await expect(admin.discoverDatabases()).rejects.toThrow(/ADMINFORTH_SECRET/);
      expect(await admin.resource('jobs').count()).toBe(2);
    } finally {
      process.env.ADMINFORTH_SECRET = saved;
    }
  });
});

describe('contract §9.3: config after validation', () => {
  it('normalises baseUrl, customization, injections, resources and auth', async () => {
    const hook = async () => ({ ok: true });
    admin = new AdminForth(fixtureConfig(
      [
        fixtureResource('background_jobs', [], { hooks: { delete: { beforeSave: hook } } }),
        fixtureResource('other', [], { resourceId: 'others', label: 'Others', options: { listPageSize: 5 } }),
      ],
      { customization: { brandName: 'My App', globalInjections: { header: '@@/Header.vue', userMenu: [{ file: '@@/Menu.vue' }] } } },
    ));
    const { config } = admin;
    expect(config.baseUrl).toBe('');
    expect(config.customization.brandName).toBe('My App');
    expect(config.customization.brandNameSlug).toBe('my-app');
    expect(config.customization.globalInjections).toEqual({
      userMenu: [{ file: '@@/Menu.vue', meta: {} }],
      header: [{ file: '@@/Header.vue', meta: {} }],
      sidebar: [],
      sidebarTop: [],
      everyPageBottom: [],
    });
    expect(config.componentsToExplicitRegister).toBeUndefined();
    const [jobs, others] = config.resources;
    expect(jobs).toMatchObject({ resourceId: 'background_jobs', table: 'background_jobs', plugins: [], options: {} });
    expect(jobs.hooks).toEqual({
      show: { beforeDatasourceRequest: [], afterDatasourceResponse: [] },
      list: { beforeDatasourceRequest: [], afterDatasourceResponse: [] },
      create: { beforeSave: [], afterSave: [] },
      edit: { beforeSave: [], afterSave: [] },
      delete: { beforeSave: [hook], afterSave: [] },
    });
    expect(jobs.dataSourceColumns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(others).toMatchObject({ resourceId: 'others', label: 'Others', options: { listPageSize: 5 } });
    expect(await config.auth!.websocketTopicAuth('/x', null)).toBe(false);
    expect(await config.auth!.websocketTopicAuth('/x', { pk: '1', username: 'u', dbUser: {} })).toBe(true);
  });

  it('completes options.allowedActions as AdminForth does: all true by default, `all` spread, missing keys true', async () => {
    const onlyAdmins = async () => true;
    admin = new AdminForth(fixtureConfig([
      fixtureResource('none'),
      fixtureResource('all_false', [], { options: { allowedActions: { all: false } } }),
      fixtureResource('all_fn', [], { options: { allowedActions: { all: onlyAdmins } } }),
      fixtureResource('some', [], { options: { allowedActions: { edit: onlyAdmins, delete: false } } }),
    ]));
    const actions = Object.fromEntries(admin.config.resources.map((r) => [r.resourceId, r.options.allowedActions]));
    const every = (value: unknown) => ({ show: value, list: value, edit: value, create: value, delete: value, filter: value });
    expect(actions.none).toEqual(every(true));
    expect(actions.all_false).toEqual(every(false));
    expect(actions.all_fn).toEqual(every(onlyAdmins));
    expect(actions.some).toEqual({ ...every(true), edit: onlyAdmins, delete: false });
    // A resource without a recordLabel gets '<label> <pk>'.
    expect(admin.config.resources[0].recordLabel!({ id: 7 })).toBe('None 7');
    await admin.shutdown();
    admin = undefined;
    expect(() => new AdminForth(fixtureConfig([fixtureResource('jobs', [], { options: { allowedActions: { all: true, edit: false } } })])))
      .toThrow('Resource "jobs" allowedActions cannot have "all" and other keys at same time: all, edit');
  });

  it('defaults the brand to AdminForth and rejects resources without columns', async () => {
    admin = new AdminForth(fixtureConfig([fixtureResource('jobs')]));
    expect(admin.config.customization).toMatchObject({ brandName: 'AdminForth', brandNameSlug: 'adminforth' });
    await admin.shutdown();
    admin = undefined;
    expect(() => new AdminForth(fixtureConfig([{ dataSource: 'maindb', table: 'jobs' } as never]))).toThrow(/columns/);
  });
});

describe('contract §1.3 + §6: startApp boots like a create-app project', async () => {
  const kinds = await availableDbKinds();
  it.each(kinds)('%s: seeded users log in, the cookie authenticates', async (kind) => {
    const app = await startApp({ kind });
    try {
      expect(app.admin.statuses.dbDiscover).toBe('done');
      const cookie = await app.login('adminforth', 'adminforth');
      expect(cookie).toMatch(/^adminforth_adminforth_jwt=[^;]+$/);
      const ok = await fetch(`${app.apiUrl}/check_auth`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true });
      await expect(app.login('viewer', 'viewer')).resolves.toMatch(/^adminforth_adminforth_jwt=/);
      await expect(app.login('viewer', 'wrong')).rejects.toThrow(/HTTP 401/);
      const users = await app.admin.resource('adminuser').list([]);
      expect(users.map((u) => [u.email, u.role]).sort()).toEqual([['adminforth', 'superadmin'], ['viewer', 'user']]);
    } finally {
      await app.close();
    }
  });
});
