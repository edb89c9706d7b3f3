/**
 * Core's `update_record` and `delete_record` over HTTP with a logged-in cookie, as AdminForth's
 * own edit page and delete button save: `allowedActions` (booleans and functions given the
 * record), the save hooks, the edit page's field checks and the answers (contract §10). Last,
 * allowedActions and hooks written in the resource file, through the config validator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdminForthResource } from './types.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { availableDbKinds } from '../helpers/databases.js';
import { ids, listBody, post, resetTickets, showBody, startTicketsApp, TICKETS_SQL, ticketsResource, type TicketsApp } from './fixtures/tickets.js';

const kinds = await availableDbKinds();

describe.each(kinds)('update_record and delete_record (%s)', (kind) => {
  let tickets: TicketsApp;
  let app: TestApp;
  let resource: AdminForthResource;
  let admin: string;
  let viewer: string;
  let adminPk: string;
  let viewerPk: string;
  beforeAll(async () => {
    tickets = await startTicketsApp(kind);
    ({ app, resource, admin, viewer, adminPk, viewerPk } = tickets);
  });
  afterAll(() => app.close());
  beforeEach(() => resetTickets(tickets));

  const row = (id: string) => app.admin.resource('tickets').get([{ field: 'id', operator: 'eq', value: id }]);
  const update = (id: string, record: Record<string, unknown>, cookie: string) => post(app, '/update_record', { resourceId: 'tickets', recordId: id, record }, cookie);
  const remove = (id: string, cookie: string) => post(app, '/delete_record', { resourceId: 'tickets', primaryKey: id }, cookie);

  it('allowed: the row changes, edit hooks get their arguments, the answers are {ok:true} and {ok:true, recordId}', async () => {
    const before: any[] = [];
    const after: any[] = [];
    resource.hooks!.edit!.beforeSave!.push(async (args) => { before.push(args); return { ok: true }; });
    resource.hooks!.edit!.afterSave!.push(async (args) => { after.push(args); return { ok: true }; });
    const answer = await update('t2', { title: 'beta 2', status: 'open' }, viewer);
    expect([answer.status, answer.json]).toEqual([200, { ok: true }]);
    expect(await row('t2')).toMatchObject({ title: 'beta 2', status: 'open', secret: 's2' });
    expect(Object.keys(before[0]).sort()).toEqual(['adminUser', 'adminforth', 'extra', 'oldRecord', 'record', 'recordId', 'resource', 'response', 'updates']);
    expect(before[0]).toMatchObject({ recordId: 't2', resource, adminforth: app.admin, adminUser: { username: 'viewer' }, updates: { title: 'beta 2', status: 'open' } });
    expect(before[0].record).toBe(before[0].updates);
    expect(before[0].oldRecord).toEqual({ id: 't2', title: 'beta', owner_id: viewerPk, status: 'open', secret: 's2' });
    expect(Object.keys(before[0].extra).sort()).toEqual(['body', 'cookies', 'headers', 'query', 'requestUrl', 'response']);
    expect(after).toHaveLength(1);

    const deleted = await remove('t3', viewer);
    expect(deleted.json).toEqual({ ok: true, recordId: 't3' });
    expect(await row('t3')).toBeNull();
  });

  it('refused by allowedActions (boolean, or a function given the record): the row stays', async () => {
    resource.options.allowedActions.edit = false;
    resource.options.allowedActions.delete = false;
    expect((await update('t1', { title: 'x' }, admin)).json).toEqual({ error: 'Action is not allowed' });
    expect((await remove('t1', admin)).json).toEqual({ error: 'Action is not allowed' });
    // The record is looked up before allowedActions is asked.
    expect((await update('nope', { title: 'x' }, admin)).json).toEqual({ error: 'Record with id nope not found' });
    expect((await remove('nope', admin)).json).toEqual({ error: 'Record with nope not found' });

    const calls: any[] = [];
    const ownerOnly = async (args: any) => {
      calls.push(args);
      const record = args.meta.oldRecord ?? args.meta.record;
      return record.owner_id === args.adminUser.pk || 'Not your ticket';
    };
    resource.options.allowedActions.edit = ownerOnly;
    resource.options.allowedActions.delete = ownerOnly;
    const body = { resourceId: 'tickets', recordId: 't1', record: { title: 'x' } };
    expect((await post(app, '/update_record', body, viewer)).json).toEqual({ error: 'Not your ticket' });
    expect(calls[0].source).toBe('editRequest');
    expect(calls[0].meta).toEqual({ requestBody: body, newRecord: { title: 'x' }, oldRecord: expect.objectContaining({ id: 't1', owner_id: adminPk }), pk: 't1' });
    expect((await remove('t1', viewer)).json).toEqual({ error: 'Not your ticket' });
    expect(calls[1].source).toBe('deleteRequest');
    expect(calls[1].meta).toEqual({ requestBody: { resourceId: 'tickets', primaryKey: 't1' }, record: expect.objectContaining({ id: 't1' }) });
    expect(await row('t1')).toMatchObject({ title: 'alpha' });
    expect((await update('t2', { title: 'mine' }, viewer)).json).toEqual({ ok: true });
  });

  it('refused by a beforeSave hook: the row stays; {ok:false} alone gives "Operation aborted by hook"', async () => {
    resource.hooks!.edit!.beforeSave!.push(async ({ updates }) => (updates.title ? { ok: false, error: 'Title is locked' } : { ok: true }));
    resource.hooks!.delete!.beforeSave!.push(async () => ({ ok: false }));
    expect((await update('t1', { title: 'x' }, admin)).json).toEqual({ error: 'Title is locked' });
    expect((await remove('t1', admin)).json).toEqual({ error: 'Operation aborted by hook' });
    expect(await row('t1')).toMatchObject({ title: 'alpha' });
    expect((await update('t1', { status: 'closed' }, admin)).json).toEqual({ ok: true });
    expect(await row('t1')).toMatchObject({ title: 'alpha', status: 'closed' });
  });

  it("the edit page's own checks: unknown resource, a primary key in the changes, backendOnly and hidden fields", async () => {
    expect((await post(app, '/update_record', { resourceId: 'nope', recordId: 't1', record: {} }, admin)).json).toEqual({ error: "Resource 'nope' not found" });
    expect((await post(app, '/delete_record', { resourceId: 'nope', primaryKey: 't1' }, admin)).json).toEqual({ error: "Resource 'nope' not found" });
    expect((await update('t1', { id: 't2' }, admin)).json).toEqual({ error: "Record with id 't2' already exists", ok: false });
    expect((await update('t1', { secret: 'x' }, admin)).json)
      .toEqual({ error: 'Field "secret" cannot be modified as it is restricted from editing (backendOnly is true).', ok: false });
    expect((await update('t1', { id: 'fresh' }, admin)).json.error).toMatch(/^Field "id" cannot be modified as it is restricted from editing \(showIn.edit is false\)/);
    expect((await post(app, '/update_record', { resourceId: 'tickets', record: {} }, admin)).status).toBe(400);
    expect(await row('t1')).toMatchObject({ id: 't1', secret: 's1' });
  });
});

describe('allowedActions and hooks written in the resource file (config time)', () => {
  it('booleans are completed by the validator and a single hook function is made a list', async () => {
    const app = await startApp({
      tables: { sqlite: TICKETS_SQL.sqlite },
      resources: [ticketsResource({
        options: { allowedActions: { show: false, delete: false } },
        hooks: { list: { beforeDatasourceRequest: async ({ query }: any) => { query.filters = [{ field: 'status', operator: 'eq', value: 'open' }]; return { ok: true }; } } },
      })],
    });
    try {
      await app.admin.resource('tickets').create({ id: 'a', title: 'a', status: 'open' });
      await app.admin.resource('tickets').create({ id: 'b', title: 'b', status: 'closed' });
      const cookie = await app.login('adminforth', 'adminforth');
      const list = await post(app, '/get_resource_data', listBody(), cookie);
      expect([ids(list), list.json.total]).toEqual([['a'], 1]);
      expect((await post(app, '/get_resource_data', showBody('a'), cookie)).json).toEqual({ error: 'Action is not allowed' });
      expect((await post(app, '/delete_record', { resourceId: 'tickets', primaryKey: 'a' }, cookie)).json).toEqual({ error: 'Action is not allowed' });
      // edit was not listed: it defaults to allowed.
      expect((await post(app, '/update_record', { resourceId: 'tickets', recordId: 'a', record: { title: 'A' } }, cookie)).json).toEqual({ ok: true });
    } finally {
      await app.close();
    }
  });
});
