/**
 * How each connector stores values (contract §5): SQLite's DATETIME rules per column type,
 * PostgreSQL date/time types, MySQL UTC `YYYY-MM-DD HH:mm:ss`, JSON and BOOLEAN storage, plus
 * `createConnector` by URL scheme.
 */
import { describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind } from '../helpers/databases.js';
import { applyDiscoveredColumns, createConnector, OperationalResource, type DataConnector } from './connectors/index.js';
import { makeResource } from './connectors/test-fixture.js';
import { AdminForthDataTypes as T, type AdminForthResourceColumnInput } from './types.js';

const kinds = await availableDbKinds();
const WHEN = '2024-05-06T07:08:09.000Z';

/** Creates `ddl` in a fresh database, discovers `columns` on table `t`, runs `fn`, cleans up. */
async function withTable(kind: DbKind, ddl: string, columns: AdminForthResourceColumnInput[], fn: (api: OperationalResource, raw: (sql: string) => Promise<any[]>) => Promise<void>) {
  const db = await freshDatabase(kind);
  let connector: DataConnector | undefined;
  try {
    await db.exec(ddl);
    connector = createConnector(db.url);
    const resource = makeResource('t', columns);
    applyDiscoveredColumns(resource, await connector.discoverFields(resource));
    const client = connector.client;
    const raw = async (sql: string): Promise<any[]> =>
      kind === 'sqlite' ? client.prepare(sql).all() : kind === 'postgres' ? (await client.query(sql)).rows : (await client.query(sql))[0];
    await fn(new OperationalResource(connector, resource), raw);
  } finally {
    await connector?.close();
    await db.drop();
  }
}

const kindsHaving = (kind: DbKind) => (kinds.includes(kind) ? [kind] : []);

describe.each(kindsHaving('sqlite'))('contract §5 SQLite storage (%s)', (kind) => {
  it('DATETIME: timestamp/int store unix seconds, varchar an ISO string, datetime ISO; all read back as ISO', async () => {
    const ddl = 'CREATE TABLE t (id INTEGER PRIMARY KEY, t_int INT, t_stamp TIMESTAMP, t_varchar VARCHAR(40), t_dt DATETIME, flag BOOLEAN, doc TEXT)';
    const columns = [{ name: 'id' }, { name: 't_int', type: T.DATETIME }, { name: 't_stamp' }, { name: 't_varchar', type: T.DATETIME }, { name: 't_dt' }, { name: 'flag' }, { name: 'doc', type: T.JSON }];
    await withTable(kind, ddl, columns, async (api, raw) => {
      const { createdRecord } = (await api.create({ t_int: WHEN, t_stamp: new Date(WHEN), t_varchar: WHEN, t_dt: WHEN, flag: true, doc: { a: [1] } })) as any;
      expect(createdRecord).toEqual({ id: 1, t_int: WHEN, t_stamp: WHEN, t_varchar: WHEN, t_dt: WHEN, flag: true, doc: { a: [1] } });
      const seconds = Date.parse(WHEN) / 1000;
      expect(await raw('SELECT t_int, t_stamp, t_varchar, t_dt, flag, doc FROM t')).toEqual([{ t_int: seconds, t_stamp: seconds, t_varchar: WHEN, t_dt: WHEN, flag: 1, doc: '{"a":[1]}' }]);
      expect(await api.count({ field: 't_int', operator: 'gt', value: '2024-05-06T00:00:00Z' })).toBe(1);
    });
  });

  it('DATETIME declared on a TEXT column throws on read ("does not support row type")', async () => {
    await withTable(kind, "CREATE TABLE t (id INTEGER PRIMARY KEY, t_text TEXT); INSERT INTO t VALUES (1, '2024-01-01')", [{ name: 'id' }, { name: 't_text', type: T.DATETIME }], async (api) => {
      await expect(api.list()).rejects.toThrow(/does not support row type 'text'/);
    });
  });
});

describe.each(kindsHaving('postgres'))('contract §5 PostgreSQL storage (%s)', (kind) => {
  it('every date…/time… type is DATETIME; timestamptz keeps the instant; json and jsonb round-trip', async () => {
    const ddl = 'CREATE TABLE t (id SERIAL PRIMARY KEY, ts TIMESTAMP(3), tstz TIMESTAMPTZ, d DATE, tm TIME, j JSON, jb JSONB, n NUMERIC(10,2), big BIGINT)';
    const columns = ['id', 'ts', 'tstz', 'd', 'tm', 'j', 'jb', 'n', 'big'].map((name) => ({ name }));
    await withTable(kind, ddl, columns, async (api, raw) => {
      const types = Object.fromEntries(api.resourceConfig.columns.map((c) => [c.name, c.type]));
      expect(types).toEqual({ id: T.INTEGER, ts: T.DATETIME, tstz: T.DATETIME, d: T.DATETIME, tm: T.DATETIME, j: T.JSON, jb: T.JSON, n: T.DECIMAL, big: T.INTEGER });
      const { createdRecord } = (await api.create({ ts: WHEN, tstz: WHEN, j: { x: 'y' }, jb: [true, null], n: '12.5', big: 9 })) as any;
      expect(createdRecord).toEqual({ id: 1, ts: WHEN, tstz: WHEN, d: null, tm: null, j: { x: 'y' }, jb: [true, null], n: 12.5, big: 9 });
      expect(await raw('SELECT extract(epoch FROM tstz)::float8 AS e, jb::text AS jb FROM t')).toEqual([{ e: Date.parse(WHEN) / 1000, jb: '[true, null]' }]);
    });
  });
});

describe.each(kindsHaving('mysql'))('contract §5 MySQL/MariaDB storage (%s)', (kind) => {
  it("DATETIME and TIMESTAMP are written as UTC 'YYYY-MM-DD HH:mm:ss', read back as ISO; BOOLEAN 0/1; JSON text", async () => {
    const ddl = 'CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, dt DATETIME, ts TIMESTAMP NULL, flag BOOLEAN, doc JSON)';
    await withTable(kind, ddl, ['id', 'dt', 'ts', 'flag', 'doc'].map((name) => ({ name })), async (api, raw) => {
      expect(api.resourceConfig.columns.map((c) => c.type)).toEqual([T.INTEGER, T.DATETIME, T.DATETIME, T.BOOLEAN, T.JSON]);
      const { createdRecord } = (await api.create({ dt: WHEN, ts: new Date(WHEN), flag: false, doc: { k: [1, 'a'] } })) as any;
      expect(createdRecord).toEqual({ id: 1, dt: WHEN, ts: WHEN, flag: false, doc: { k: [1, 'a'] } });
      expect(await raw('SELECT CAST(dt AS CHAR) AS dt, CAST(ts AS CHAR) AS ts, flag, CAST(doc AS CHAR) AS doc FROM t'))
        .toEqual([{ dt: '2024-05-06 07:08:09', ts: '2024-05-06 07:08:09', flag: 0, doc: '{"k":[1,"a"]}' }]);
    });
  });

  it('DATETIME(3), as the jobs migration creates it, keeps whole seconds: milliseconds are dropped on write (contract §10)', async () => {
    const ddl = 'CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, finished_at DATETIME(3))';
    await withTable(kind, ddl, ['id', 'finished_at'].map((name) => ({ name })), async (api, raw) => {
      const { createdRecord } = (await api.create({ finished_at: '2024-05-06T07:08:09.789Z' })) as any;
      expect(createdRecord.finished_at).toBe('2024-05-06T07:08:09.000Z');
      await api.update(1, { finished_at: '2024-05-06T07:08:10.999Z' });
      expect((await api.get([]))!.finished_at).toBe('2024-05-06T07:08:10.000Z');
      expect(await raw('SELECT CAST(finished_at AS CHAR) AS v FROM t')).toEqual([{ v: '2024-05-06 07:08:10.000' }]);
    });
  });
});

describe('contract §5 connector selection by URL scheme', () => {
  it('throws for schemes the host does not implement; setupClient and close are idempotent', async () => {
    expect(() => createConnector('mongodb://localhost/x')).toThrow(/CONNECTOR IMPORT ERROR.*@adminforth\/connector-mongo/);
    expect(() => createConnector('ftp://x')).toThrow(/CONNECTOR IMPORT ERROR/);
    const db = await freshDatabase('sqlite');
    const connector = createConnector(db.url);
    try {
      const client = connector.client;
      await connector.setupClient(db.url);
      expect(connector.client).toBe(client);
    } finally {
      await connector.close();
      await connector.close();
      await db.drop();
    }
  });
});
