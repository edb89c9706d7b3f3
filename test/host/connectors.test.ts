/**
 * The host's connectors against real databases: discovery (contract §5, §1.3) and the operational
 * resource API (contract §2, §9.4). Filters and sorts: connectors-filters.test.ts; per-database
 * storage: connectors-storage.test.ts.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind } from '../helpers/databases.js';
import { applyDiscoveredColumns, createConnector, OperationalResource } from './connectors/index.js';
import { closeFixture, jobsResource, makeResource, openFixture, SCHEMA, useFixture } from './connectors/test-fixture.js';
import { AdminForthDataTypes } from './types.js';

const kinds = await availableDbKinds();

const UNDERLINE: Record<DbKind, { created_at: string; meta: string }> = {
  sqlite: { created_at: 'datetime', meta: 'json' },
  postgres: { created_at: 'timestamp(3) without time zone', meta: 'jsonb' },
  mysql: { created_at: 'datetime(3)', meta: 'longtext' }, // MariaDB: JSON is LONGTEXT + json_valid check
};

describe.each(kinds)('contract §5 discovery (%s)', (kind) => {
  it('reads the live schema: types, _underlineType, primary key', async () => {
    const f = await openFixture(kind);
    try {
      const found = await f.connector.discoverFields(jobsResource());
      expect(Object.keys(found)).toEqual(['id', 'name', 'email', 'attempts', 'priority', 'score', 'active', 'created_at', 'state', 'meta', 'extra']);
      expect(found.id).toMatchObject({ type: AdminForthDataTypes.STRING, primaryKey: true });
      expect(found.name.primaryKey).toBeUndefined();
      expect(found.attempts.type).toBe(AdminForthDataTypes.INTEGER);
      expect(found.score.type).toBe(AdminForthDataTypes.FLOAT);
      expect(found.active.type).toBe(AdminForthDataTypes.BOOLEAN);
      expect(found.created_at).toEqual({ type: AdminForthDataTypes.DATETIME, _underlineType: UNDERLINE[kind].created_at });
      expect(found.meta).toEqual({ type: AdminForthDataTypes.JSON, _underlineType: UNDERLINE[kind].meta });
      expect(found.state.type).toBe(AdminForthDataTypes.TEXT);
    } finally {
      await closeFixture(f);
    }
  });

  it('merges {...discovered, ...declared} into new column objects and sets dataSourceColumns (§1.3)', async () => {
    const resource = jobsResource();
    const declaredState = resource.columns.find((c) => c.name === 'state');
    const f = await openFixture(kind, resource);
    try {
      expect(f.resource).toBe(resource);
      const state = resource.columns.find((c) => c.name === 'state')!;
      expect(state).not.toBe(declaredState);
      expect(state.type).toBe(AdminForthDataTypes.JSON); // declared wins
      expect(state._underlineType).toBe(kind === 'mysql' ? 'longtext' : 'text'); // discovered stays
      expect(resource.columns.find((c) => c.name === 'id')!.primaryKey).toBe(true);
      expect(resource.dataSourceColumns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'attempts', 'priority', 'score', 'active', 'created_at', 'state', 'meta']);
      expect(resource.columns.find((c) => c.name === 'shown_label')).toEqual({ name: 'shown_label', virtual: true });
    } finally {
      await closeFixture(f);
    }
  });

  it('throws for a missing table, a missing column and a missing primary key', async () => {
    const db = await freshDatabase(kind);
    const connector = createConnector(db.url);
    try {
      await db.exec(SCHEMA[kind]);
      await expect(connector.discoverFields(makeResource('ghost', [{ name: 'id' }], 'ghosts')))
        .rejects.toThrow("Table 'ghost' (In resource 'ghosts') has no fields or does not exist");
      const missingColumn = makeResource('counters', [{ name: 'id' }, { name: 'nope' }]);
      expect(() => applyDiscoveredColumns(missingColumn, {})).toThrow("Table 'counters' has no column 'id'");
      await expect(openFixture(kind, missingColumn)).rejects.toThrow("Table 'counters' has no column 'nope'");
      await expect(openFixture(kind, makeResource('nopk', [{ name: 'a' }]))).rejects.toThrow(/no primary key/);
      const declaredPk = await openFixture(kind, makeResource('nopk', [{ name: 'a', primaryKey: true }]));
      await closeFixture(declaredPk);
    } finally {
      await connector.close();
      await db.drop();
    }
  });
});

describe.each(kinds)('contract §2 resource API (%s)', (kind) => {
  const fixture = useFixture(kind);
  afterEach(() => {
    delete (globalThis as any).adminforth;
  });

  it('exposes the real driver handle as dataConnector.client, usable for raw compare-and-set SQL', async () => {
    const { api } = fixture();
    const client = api.dataConnector.client;
    await api.create({ id: 'j1', name: 'x', attempts: 1 });
    let changed: number;
    if (kind === 'sqlite') {
      expect(client).toBeInstanceOf(Database);
      changed = client.prepare('UPDATE jobs SET attempts = ? WHERE id = ? AND attempts = ?').run(2, 'j1', 1).changes;
    } else if (kind === 'postgres') {
      expect(client).toBeInstanceOf(pg.Pool);
      changed = (await client.query('UPDATE jobs SET attempts = $1 WHERE id = $2 AND attempts = $3', [2, 'j1', 1])).rowCount;
    } else {
      expect(typeof client.getConnection).toBe('function');
      changed = (await client.query('UPDATE jobs SET attempts = ? WHERE id = ? AND attempts = ?', [2, 'j1', 1]))[0].affectedRows;
    }
    expect(changed).toBe(1);
    expect((await api.get({ field: 'id', operator: 'eq', value: 'j1' }))!.attempts).toBe(2);
  });

  it('create: normalize, fillOnCreate({initialRecord, adminUser:null}), re-read row with exactly the declared non-virtual columns', async () => {
    const { api, resource } = fixture();
    const fill = vi.fn(() => 'filled-id');
    resource.columns.find((c) => c.name === 'id')!.fillOnCreate = fill;
    const input = { name: '  Report  ', email: 'a@x', attempts: '3', score: 1.25, active: true, created_at: '2024-05-06T07:08:09.000Z', state: { step: 1, items: ['a', { b: null }] }, meta: [1, 'two'], shown_label: 'ignored' };
    const result = await api.create(input);
    expect(fill).toHaveBeenCalledWith({ initialRecord: expect.objectContaining({ name: 'Report', email: 'a@x' }), adminUser: null });
    expect(result).toEqual({
      ok: true,
      createdRecord: { id: 'filled-id', name: 'Report', email: 'a@x', attempts: 3, priority: 0, score: 1.25, active: true, created_at: '2024-05-06T07:08:09.000Z', state: { step: 1, items: ['a', { b: null }] }, meta: [1, 'two'] },
    });
    expect(await api.get({ field: 'id', operator: 'eq', value: 'filled-id' })).toEqual(result.ok && result.createdRecord);
  });

  it('create: fillOnCreate only for undefined values; nulls and false survive', async () => {
    const { api } = fixture();
    const { createdRecord } = (await api.create({ id: 'given', name: 'n', active: false, created_at: null, state: null })) as any;
    expect(createdRecord).toMatchObject({ id: 'given', active: false, created_at: null, state: null, email: null, meta: null });
    const filled = (await api.create({ name: 'm' })) as any;
    expect(filled.createdRecord.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(filled.createdRecord.created_at).toISOString()).toBe(filled.createdRecord.created_at);
  });

  it('create: auto-increment primary key is re-read (numbers, not strings)', async () => {
    const { connector } = fixture();
    const counters = new OperationalResource(connector, makeResource('counters', [{ name: 'id' }, { name: 'label' }]));
    applyDiscoveredColumns(counters.resourceConfig, await connector.discoverFields(counters.resourceConfig));
    expect(await counters.create({ label: 'one' })).toEqual({ ok: true, createdRecord: { id: 1, label: 'one' } });
    expect(await counters.create({ label: 'two' })).toEqual({ ok: true, createdRecord: { id: 2, label: 'two' } });
    expect(await counters.list(undefined, null, null, { field: 'id', direction: 'desc' })).toEqual([{ id: 2, label: 'two' }, { id: 1, label: 'one' }]);
  });

  it('create: isUnique clash → { ok:false, error } without createdRecord; type and DB errors throw', async () => {
    const { api } = fixture();
    await api.create({ name: 'a', email: 'dup@x' });
    const clash = await api.create({ name: 'b', email: 'dup@x' });
    expect(clash).toEqual({ ok: false, error: 'Record with email dup@x already exists' });
    expect('createdRecord' in clash).toBe(false);
    expect(await api.count()).toBe(1);
    await expect(api.create({ name: 'c', attempts: 'abc' })).rejects.toThrow(/attempts/);
    await expect(api.create({ email: 'no-name@x' })).rejects.toThrow(); // NOT NULL name
    await expect(api.create({ id: (await api.get([]))!.id, name: 'same pk' })).rejects.toThrow(); // PK constraint
    expect(await api.count()).toBe(1);
  });

  it('no hooks run on resource API calls', async () => {
    const { api, resource } = fixture();
    const hook = vi.fn(async () => ({ ok: false, error: 'hook ran' }));
    for (const action of ['create', 'edit', 'delete'] as const) resource.hooks![action]!.beforeSave!.push(hook);
    const { createdRecord } = (await api.create({ name: 'a' })) as any;
    expect(await api.update(createdRecord.id, { name: 'b' })).toEqual({ ok: true });
    expect(await api.delete(createdRecord.id)).toBe(true);
    expect(hook).not.toHaveBeenCalled();
  });

  it('get / list / count: null limit = all, offset, sorts, null for no match, non-number limit/offset throw', async () => {
    const { api } = fixture();
    for (let i = 1; i <= 5; i++) await api.create({ id: `r${i}`, name: `n${i}`, attempts: i });
    expect(await api.get({ field: 'id', operator: 'eq', value: 'nope' })).toBeNull();
    expect((await api.get({ field: 'attempts', operator: 'eq', value: 4 }))!.id).toBe('r4');
    expect(await api.list()).toHaveLength(5);
    expect((await api.list([], 2, 1, { field: 'attempts', direction: 'asc' })).map((r) => r.id)).toEqual(['r2', 'r3']);
    expect((await api.list(undefined, null, 3, [{ field: 'attempts', direction: 'desc' }])).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(await api.count()).toBe(5);
    expect(await api.count({ field: 'attempts', operator: 'gt', value: 3 })).toBe(2);
    await expect(api.list([], '2' as any)).rejects.toThrow(/Limit must be a number/);
    await expect(api.list([], 2, '1' as any)).rejects.toThrow(/Offset must be a number/);
  });

  it('aggregate: sum/count/avg/min/max, optional groupBy field', async () => {
    const { api } = fixture();
    for (let i = 1; i <= 4; i++) await api.create({ id: `r${i}`, name: `n${i}`, attempts: i, priority: i % 2 });
    expect(await api.aggregate([], { total: { operation: 'sum', field: 'attempts' }, n: { operation: 'count', field: 'id' }, top: { operation: 'max', field: 'attempts' } }))
      .toEqual([{ total: 10, n: 4, top: 4 }]);
    expect(await api.aggregate({ field: 'attempts', operator: 'gt', value: 1 }, { total: { operation: 'sum', field: 'attempts' } }, { type: 'field', field: 'priority' }))
      .toEqual([{ group: 0, total: 6 }, { group: 1, total: 3 }]);
  });

  it('update: { ok:true } (also for a missing pk), converts values, skips the DB for an empty patch', async () => {
    const { api, connector } = fixture();
    await api.create({ id: 'u1', name: 'before', attempts: 1 });
    expect(await api.update('u1', { name: 'after', attempts: '7', state: { done: true }, created_at: '2025-01-02T03:04:05.000Z' })).toEqual({ ok: true });
    expect(await api.get({ field: 'id', operator: 'eq', value: 'u1' })).toMatchObject({ name: 'after', attempts: 7, state: { done: true }, created_at: '2025-01-02T03:04:05.000Z' });
    expect(await api.update('missing', { name: 'x' })).toEqual({ ok: true });
    expect(await api.count()).toBe(1);
    await expect(api.update('u1', { attempts: 'many' })).rejects.toThrow(/attempts/);
    await connector.close(); // an empty patch must not touch the (now closed) database
    expect(await api.update('u1', {})).toEqual({ ok: true });
  });

  it('update: unknown or virtual field throws; isUnique clash → { ok:false, error }; own value is no clash', async () => {
    const { api } = fixture();
    await api.create({ id: 'a', name: 'a', email: 'a@x' });
    await api.create({ id: 'b', name: 'b', email: 'b@x' });
    await expect(api.update('a', { nope: 1 })).rejects.toThrow("Update record received field 'nope'");
    await expect(api.update('a', { shown_label: 'v' })).rejects.toThrow("Update record received field 'shown_label'");
    expect(await api.update('a', { email: 'b@x' })).toEqual({ ok: false, error: 'Record with email b@x already exists' });
    expect(await api.update('a', { email: 'a@x', name: 'same email' })).toEqual({ ok: true });
    expect((await api.get({ field: 'id', operator: 'eq', value: 'a' }))!.email).toBe('a@x');
  });

  it('update publishes /showPage/<resourceId>/<pk> through globalThis.adminforth.websocket when present', async () => {
    const { api } = fixture();
    await api.create({ id: 'p1', name: 'x' });
    expect(await api.update('p1', { name: 'no broker' })).toEqual({ ok: true });
    const publish = vi.fn(async () => {});
    (globalThis as any).adminforth = { websocket: { publish } };
    await api.update('p1', { attempts: 2 });
    expect(publish).toHaveBeenCalledWith('/showPage/jobs/p1', { resourceId: 'jobs', recordId: 'p1', updates: { attempts: 2 } });
    (globalThis as any).adminforth = { websocket: { publish: () => { throw new Error('broker down'); } } };
    expect(await api.update('p1', { attempts: 3 })).toEqual({ ok: true });
    await api.update('p1', {});
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('delete → true when a row was deleted, false otherwise (truthful on every database)', async () => {
    const { api } = fixture();
    await api.create({ id: 'd1', name: 'x' });
    expect(await api.delete('d1')).toBe(true);
    expect(await api.delete('d1')).toBe(false);
    expect(await api.count()).toBe(0);
  });
});
