/**
 * Core's `get_resource_data` over HTTP with a logged-in cookie, as AdminForth's own list, show and
 * edit pages load their rows: the answer's shape, `allowedActions` (booleans and functions, with
 * their `meta` and `source`) and the data-source hooks, which is where a plugin owning a resource
 * restricts what each user sees (contract §10). Hooks and allowedActions are set on the live
 * resource config between tests, as a plugin's `modifyResourceConfig` would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdminForthResource, AdminUser } from './types.js';
import type { TestApp } from '../helpers/app.js';
import { availableDbKinds } from '../helpers/databases.js';
import { ids, listBody, post, resetTickets, showBody, startTicketsApp, type TicketsApp } from './fixtures/tickets.js';

/** A superadmin sees every ticket; anyone else only their own (what a plugin's list hook does). */
const ownRowsOnly = async ({ query, adminUser }: { query: any; adminUser: AdminUser }) => {
  if (adminUser.dbUser.role === 'superadmin') return { ok: true };
  const own = { field: 'owner_id', operator: 'eq', value: adminUser.pk };
  const given = query.filters;
  // An object (AND node) here, where the show hook below keeps an array: both must work.
  query.filters = { operator: 'and', subFilters: [...(Array.isArray(given) ? given : given ? [given] : []), own] };
  return { ok: true };
};
const ownRowOnlyViaTools = async ({ filtersTools, adminUser }: { filtersTools: any; adminUser: AdminUser }) => {
  if (adminUser.dbUser.role !== 'superadmin') filtersTools.replaceOrAddTopFilter({ field: 'owner_id', operator: 'eq', value: adminUser.pk });
  return { ok: true };
};

const kinds = await availableDbKinds();

describe.each(kinds)('get_resource_data (%s)', (kind) => {
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

  it('list: rows without backendOnly columns, foreign keys as {label, pk}, _label, total and recordIds', async () => {
    const answer = await post(app, '/get_resource_data', listBody({ sort: [{ field: 'title', direction: 'asc' }] }), admin);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual(['data', 'recordIds', 'total']);
    expect(answer.json.total).toBe(4);
    expect(answer.json.recordIds).toEqual(['t1', 't2', 't4', 't3']);
    expect(answer.json.data[0]).toEqual({ id: 't1', title: 'alpha', owner_id: { label: `Admin Users ${adminPk}`, pk: adminPk }, status: 'open', _label: 'Tickets t1' });
    // No referenced record (a null key): the column is undefined, so it is absent from the JSON.
    expect(answer.json.data[2]).toEqual({ id: 't4', title: 'delta', status: 'open', _label: 'Tickets t4' });
  });

  it("list: the client's filters, sort and paging; total counts the filtered rows, not the page", async () => {
    const body = listBody({ filters: [{ field: 'status', operator: 'eq', value: 'open' }], sort: [{ field: 'title', direction: 'desc' }], limit: 2, offset: 1 });
    const answer = await post(app, '/get_resource_data', body, admin);
    expect(ids(answer)).toEqual(['t2', 't1']); // open: delta, beta, alpha; skip one, take two
    expect(answer.json.total).toBe(3);
    // One filter object instead of an array; an unknown or virtual sort column is dropped.
    const single = await post(app, '/get_resource_data', listBody({ filters: { field: 'status', operator: 'eq', value: 'closed' }, sort: [{ field: 'nope', direction: 'asc' }] }), admin);
    expect(ids(single)).toEqual(['t3']);
  });

  it('show and edit: the one record, without total or recordIds; `columns` trims the rows', async () => {
    for (const source of ['show', 'edit'] as const) {
      const answer = await post(app, '/get_resource_data', showBody('t2', source), admin);
      expect(answer.json).toEqual({ data: [{ id: 't2', title: 'beta', owner_id: { label: `Admin Users ${viewerPk}`, pk: viewerPk }, status: 'open', _label: 'Tickets t2' }] });
    }
    expect((await post(app, '/get_resource_data', showBody('t2', 'show', { columns: ['title'] }), admin)).json).toEqual({ data: [{ title: 'beta' }] });
    const listed = await post(app, '/get_resource_data', listBody({ columns: ['title'], sort: [{ field: 'id', direction: 'asc' }] }), admin);
    expect(listed.json.data[0]).toEqual({ title: 'alpha', _label: 'Tickets t1' });
    expect((await post(app, '/get_resource_data', listBody({ columns: ['nope'] }), admin)).json).toEqual({ error: 'Column nope not found in resource tickets' });
  });

  it('refusals: 401 without a cookie, 400 for a body off the schema, 200 {error} for an unknown resource or raw SQL', async () => {
    const anonymous = await post(app, '/get_resource_data', listBody());
    expect([anonymous.status, anonymous.text]).toEqual([401, 'Unauthorized by AdminForth']);
    for (const body of [listBody({ source: 'create' }), { resourceId: 'tickets', source: 'list' }, showBody('t1', 'show', { filters: [{ operator: 'eq', value: 't1' }] })]) {
      const answer = await post(app, '/get_resource_data', body, admin);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe('Request body validation failed');
    }
    expect((await post(app, '/get_resource_data', listBody({ resourceId: 'nope' }), admin)).json).toEqual({ error: 'Resource nope not found' });
    expect((await post(app, '/get_resource_data', listBody({ filters: [{ insecureRawSQL: '1 = 1' }] }), admin)).json)
      .toEqual({ error: 'insecureRawSQL and insecureRawNoSQL filters are not allowed in API requests' });
  });

  it('beforeDatasourceRequest restricting a non-superadmin to their rows: data and total follow; edit loads through show', async () => {
    const calls: any[] = [];
    resource.hooks!.list!.beforeDatasourceRequest!.push(async (args) => {
      calls.push(args);
      return ownRowsOnly(args);
    });
    resource.hooks!.show!.beforeDatasourceRequest!.push(ownRowOnlyViaTools);

    const forViewer = await post(app, '/get_resource_data', listBody({ sort: [{ field: 'id', direction: 'asc' }] }), viewer);
    expect(ids(forViewer)).toEqual(['t2', 't3']);
    expect(forViewer.json.total).toBe(2);
    const filtered = await post(app, '/get_resource_data', listBody({ filters: [{ field: 'status', operator: 'eq', value: 'open' }] }), viewer);
    expect([ids(filtered), filtered.json.total]).toEqual([['t2'], 1]);
    const forAdmin = await post(app, '/get_resource_data', listBody(), admin);
    expect(forAdmin.json.total).toBe(4);

    const [first] = calls;
    expect(Object.keys(first).sort()).toEqual(['adminUser', 'adminforth', 'extra', 'filtersTools', 'query', 'resource']);
    expect(first.resource).toBe(resource);
    expect(first.adminforth).toBe(app.admin);
    expect(first.adminUser).toMatchObject({ username: 'viewer', pk: viewerPk, dbUser: { role: 'user' } });
    expect(first.query).toBe(first.extra.body);
    expect(first.query.filtersTools).toBe(first.filtersTools);
    expect(Object.keys(first.extra).sort()).toEqual(['body', 'cookies', 'headers', 'query', 'requestUrl']);

    for (const source of ['show', 'edit'] as const) {
      expect((await post(app, '/get_resource_data', showBody('t1', source), viewer)).json).toEqual({ data: [] });
      expect(ids(await post(app, '/get_resource_data', showBody('t2', source), viewer))).toEqual(['t2']);
      expect(ids(await post(app, '/get_resource_data', showBody('t1', source), admin))).toEqual(['t1']);
    }
  });

  it('afterDatasourceResponse edits the rows array in place; total still counts what the query matched', async () => {
    const seen: any[] = [];
    resource.hooks!.list!.afterDatasourceResponse!.push(async ({ response, query, adminUser, resource: r, extra, adminforth }) => {
      seen.push({ first: { ...response[0] }, query, adminUser, r, extra, adminforth });
      const closed = response.findIndex((item: any) => item.status === 'closed');
      if (closed >= 0) response.splice(closed, 1);
      return { ok: true };
    });
    const answer = await post(app, '/get_resource_data', listBody({ sort: [{ field: 'id', direction: 'asc' }] }), admin);
    expect(ids(answer)).toEqual(['t1', 't2', 't4']);
    expect(answer.json.recordIds).toEqual(['t1', 't2', 't4']);
    expect(answer.json.total).toBe(4);
    // The hook sees the rows as the client will: foreign key resolved, backendOnly gone, _label in.
    expect(seen[0].first).toEqual({ id: 't1', title: 'alpha', owner_id: { label: `Admin Users ${adminPk}`, pk: adminPk }, status: 'open', _label: 'Tickets t1' });
    expect(seen[0]).toMatchObject({ r: resource, adminforth: app.admin, adminUser: { username: 'adminforth' } });
    expect(seen[0].query).toBe(seen[0].extra.body);
    // The show hooks do not run for a list; edit runs show's.
    resource.hooks!.show!.afterDatasourceResponse!.push(async () => ({ ok: false, error: 'show hook' }));
    expect(ids(await post(app, '/get_resource_data', listBody(), admin))).toHaveLength(3);
    expect((await post(app, '/get_resource_data', showBody('t1', 'edit'), admin)).json).toEqual({ error: 'show hook' });
  });

  it("a hook's refusal is the answer: {ok:false,error}, {ok:false} alone, an error beside ok:true; a malformed answer is a 500", async () => {
    const before = resource.hooks!.list!.beforeDatasourceRequest!;
    before.push(async () => ({ ok: false, error: 'No tickets today' }));
    expect((await post(app, '/get_resource_data', listBody(), admin)).json).toEqual({ error: 'No tickets today' });
    before[0] = async () => ({ ok: false });
    expect((await post(app, '/get_resource_data', listBody(), admin)).json).toEqual({ error: 'Operation aborted by hook' });
    before[0] = async () => undefined as never;
    expect((await post(app, '/get_resource_data', listBody(), admin)).status).toBe(500);
    before.length = 0;
    resource.hooks!.list!.afterDatasourceResponse!.push(async () => ({ ok: true, error: 'Too many tickets' }));
    expect((await post(app, '/get_resource_data', listBody(), admin)).json).toEqual({ error: 'Too many tickets' });
  });

  it('allowedActions booleans: list false refuses the list; show false refuses show and edit loads', async () => {
    resource.options.allowedActions.list = false;
    expect((await post(app, '/get_resource_data', listBody(), admin)).json).toEqual({ error: 'Action is not allowed' });
    expect(ids(await post(app, '/get_resource_data', showBody('t1'), admin))).toEqual(['t1']);
    resource.options.allowedActions.list = true;
    resource.options.allowedActions.show = false;
    for (const source of ['show', 'edit'] as const) {
      expect((await post(app, '/get_resource_data', showBody('t1', source), admin)).json).toEqual({ error: 'Action is not allowed' });
    }
    expect(ids(await post(app, '/get_resource_data', listBody(), admin))).toHaveLength(4);
  });

  it('allowedActions functions: only the needed action is asked, with { adminUser, resource, meta, source, adminforth }; a string refuses with it', async () => {
    const calls: { action: string; args: any }[] = [];
    const record = (action: string, answer: (args: any) => boolean | string) => async (args: any) => {
      calls.push({ action, args });
      return answer(args);
    };
    Object.assign(resource.options.allowedActions, {
      show: record('show', ({ adminUser }) => adminUser.dbUser.role === 'superadmin' || 'Only admins open tickets'),
      list: record('list', () => true),
      edit: record('edit', () => true),
      delete: record('delete', () => true),
    });
    const body = showBody('t2');
    expect((await post(app, '/get_resource_data', body, viewer)).json).toEqual({ error: 'Only admins open tickets' });
    expect(calls.map((c) => c.action)).toEqual(['show']);
    const { args } = calls[0];
    expect(Object.keys(args).sort()).toEqual(['adminUser', 'adminforth', 'meta', 'resource', 'source']);
    expect(args).toMatchObject({ source: 'showRequest', resource, adminforth: app.admin, adminUser: { username: 'viewer' } });
    expect(args.meta).toEqual({ requestBody: body, pk: 't2' });

    calls.length = 0;
    expect(ids(await post(app, '/get_resource_data', showBody('t2', 'edit'), admin))).toEqual(['t2']);
    expect(calls.map((c) => [c.action, c.args.source, c.args.meta.pk])).toEqual([['show', 'editLoadRequest', 't2']]);
    calls.length = 0;
    await post(app, '/get_resource_data', listBody(), viewer);
    expect(calls.map((c) => [c.action, c.args.source, c.args.meta.pk])).toEqual([['list', 'listRequest', undefined]]);
    // Truthy is not enough: only `true` allows.
    resource.options.allowedActions.list = async () => 1 as never;
    expect((await post(app, '/get_resource_data', listBody(), admin)).json).toEqual({ error: 'Action is not allowed' });
  });
});
