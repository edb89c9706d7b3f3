/**
 * Recurring schedules on every database (issue 20): the ScheduleStore contract (a tick is claimed
 * once, an expired claim taken over once, a tick has at most one job), and the runtime
 * (plugin/src/engine/schedules.ts) with a clock the test moves: catch-up after a downtime,
 * overlap skip / allow / queue, pause / resume / run now, and the three ways a replica can die
 * while firing a tick — each ending with exactly one job of the tick.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableDbKinds, freshDatabase, type DbKind, type FreshDatabase } from '../helpers/databases.js';
import { query } from '../helpers/sql.js';
import { until, untilStatus } from '../helpers/wait.js';
import { openStores, type Stores } from '../../plugin/src/store/open-stores.js';
import { Engine } from '../../plugin/src/engine/engine.js';
import { Schedules } from '../../plugin/src/engine/schedules.js';
import { normalizeSchedule } from '../../plugin/src/engine/schedule-definition.js';
import type { ScheduleDefinition, TaskHandlerDefinition } from '../../plugin/src/types.js';
import type { ScheduleDefinitionRow } from '../../plugin/src/store/schedule-store.js';
import BackgroundJobsPlugin from '../../plugin/src/index.js';
import { SEED_OPTIONS } from '../helpers/jobs-resource.js';

const kinds = await availableDbKinds();
const MINUTE = 60_000;
const LEASE = 5_000;
/** Every test's clock starts here (a whole minute). */
const T0 = Date.parse('2026-05-01T10:00:00Z');

interface Opened extends Stores {
  rows(sql: string, params?: unknown[]): Promise<Record<string, any>[]>;
  close(): Promise<void>;
}

async function open(db: FreshDatabase): Promise<Opened> {
  let client: any;
  let close: () => Promise<void>;
  if (db.kind === 'sqlite') {
    client = new Database(db.url.slice('sqlite://'.length));
    close = async () => { client.close(); };
  } else if (db.kind === 'postgres') {
    client = new pg.Pool({ connectionString: db.url, max: 4 });
    client.on('error', () => {});
    close = () => client.end();
  } else {
    client = mysql.createPool({ uri: db.url, timezone: 'Z', connectionLimit: 4 });
    close = () => client.end();
  }
  const stores = openStores(db.kind, client);
  await stores.jobs.migrate();
  return { ...stores, rows: (sql, params = []) => query(db.kind, client, sql, params), close };
}

const definition = (over: Partial<ScheduleDefinitionRow> = {}): ScheduleDefinitionRow => ({
  name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', handler: 'h', jobName: 'nightly', overlap: 'skip', catchUp: 'last', ...over,
});

describe.each(kinds)('ScheduleStore contract (%s)', (kind: DbKind) => {
  let db: FreshDatabase;
  let opened: Opened[] = [];
  let a: Opened;
  let b: Opened;

  beforeEach(async () => {
    db = await freshDatabase(kind);
    a = await open(db);
    b = await open(db);
    opened = [a, b];
  });
  afterEach(async () => {
    for (const o of opened) await o.close();
    await db.drop();
  });

  it('upsert: a new schedule starts its cursor now; later upserts change the definition and keep pause, cursor and last run', async () => {
    expect(await a.schedules.upsert(definition(), T0)).toMatchObject({ name: 'nightly', cron: '0 3 * * *', paused: false, cursorTick: T0, lastTick: null, lastRunAt: null, lastJobId: null, createdAt: T0 });
    await a.schedules.setPaused('nightly', true, T0 + 1);
    await a.schedules.advanceCursor('nightly', T0 + 50, T0 + 2);
    await a.schedules.recordRun('nightly', T0 + 50, 'job-1', T0 + 60);
    const updated = await b.schedules.upsert(definition({ cron: '0 4 * * *', timezone: 'Europe/Berlin', overlap: 'allow' }), T0 + 100);
    expect(updated).toMatchObject({ cron: '0 4 * * *', timezone: 'Europe/Berlin', overlap: 'allow', paused: true, cursorTick: T0 + 50, lastTick: T0 + 50, lastRunAt: T0 + 60, lastJobId: 'job-1', createdAt: T0 });
    expect((await a.schedules.list()).map((s) => s.name)).toEqual(['nightly']);
    expect(await a.schedules.get('other')).toBeNull();
  });

  it('a tick is claimed by exactly one of two replicas claiming at once', async () => {
    await a.schedules.upsert(definition(), T0);
    const ticks = Array.from({ length: 20 }, (_, i) => T0 + i * 1000);
    const results = await Promise.all(ticks.flatMap((tick) => [
      a.schedules.claimTick('nightly', tick, 'A', T0, T0 + LEASE), b.schedules.claimTick('nightly', tick, 'B', T0, T0 + LEASE),
    ]));
    for (let i = 0; i < ticks.length; i++) expect([results[2 * i], results[2 * i + 1]].filter(Boolean)).toHaveLength(1);
    const rows = await a.schedules.ticks('nightly', T0, T0 + 20_000);
    expect(rows.map((r) => r.tickAt)).toEqual(ticks);
    expect(rows.every((r) => r.status === 'CLAIMED' && r.jobId === null)).toBe(true);
  });

  it('an expired claim is taken over once; only the holder renews and settles it', async () => {
    await a.schedules.upsert(definition(), T0);
    expect(await a.schedules.claimTick('nightly', T0, 'A', T0, T0 + 1000)).toBe(true);
    expect(await a.schedules.expiredClaims(T0 + 1000, 10)).toEqual([]);
    expect(await b.schedules.takeOverClaim('nightly', T0, 'B', T0 + 1000, T0 + 6000)).toBe(false);
    expect(await a.schedules.renewClaim('nightly', T0, 'A', T0 + 2000)).toBe(true);
    expect(await a.schedules.expiredClaims(T0 + 2001, 10)).toEqual([{ scheduleName: 'nightly', tickAt: T0 }]);
    const race = await Promise.all([
      a.schedules.takeOverClaim('nightly', T0, 'C', T0 + 2001, T0 + 7000), b.schedules.takeOverClaim('nightly', T0, 'B', T0 + 2001, T0 + 7000),
    ]);
    expect(race.filter(Boolean)).toHaveLength(1);
    const holder = race[0] ? 'C' : 'B';
    expect(await a.schedules.renewClaim('nightly', T0, 'A', T0 + 9000)).toBe(false);
    expect(await a.schedules.settleTick('nightly', T0, 'A', { status: 'FIRED', jobId: 'x', error: null, now: T0 + 3000 })).toBe(false);
    expect(await a.schedules.settleTick('nightly', T0, holder, { status: 'FIRED', jobId: 'job-9', error: null, now: T0 + 3000 })).toBe(true);
    expect(await a.schedules.settleTick('nightly', T0, holder, { status: 'FAILED', jobId: null, error: 'again', now: T0 + 4000 })).toBe(false);
    expect(await a.schedules.ticks('nightly', T0, T0 + 1)).toEqual([
      { scheduleName: 'nightly', tickAt: T0, status: 'FIRED', jobId: 'job-9', owner: holder, claimUntil: T0 + 7000, firedAt: T0 + 3000, error: null },
    ]);
    expect(await a.schedules.expiredClaims(T0 + 100_000, 10)).toEqual([]);
  });

  it('a tick has at most one job: a second draft for it is refused by the database; runs are recorded in order', async () => {
    await a.schedules.upsert(definition(), T0);
    const draft = (owner: string, tick: number | null) => a.jobs.createDraft({ handler: 'h', name: 'nightly', startedBy: null, state: {}, owner, now: T0, schedule: { name: 'nightly', tick } });
    const jobKey = await draft('A', T0);
    await expect(b.jobs.createDraft({ handler: 'h', name: 'nightly', startedBy: null, state: {}, owner: 'B', now: T0, schedule: { name: 'nightly', tick: T0 } })).rejects.toThrow();
    expect(await b.schedules.jobForTick('nightly', T0)).toEqual({ jobKey, jobId: null, status: 'DRAFT' });
    // Runs now (tick null) never collide, with each other or with ticks.
    await draft('A', null);
    await draft('B', null);
    await a.jobs.appendTasks(jobKey, 0, ['{}']);
    await a.jobs.activateDraft(jobKey, 'job-1', 'IN_PROGRESS', 1);
    expect(await b.schedules.jobForTick('nightly', T0)).toEqual({ jobKey, jobId: 'job-1', status: 'IN_PROGRESS' });
    expect(await b.jobs.getJob('job-1')).toMatchObject({ schedule: { name: 'nightly', tick: T0 } });
    expect(await b.schedules.isBusy('nightly', 'h', T0 + MINUTE)).toBe(true);
    expect(await b.schedules.isBusy('nightly', 'other-handler', T0 + MINUTE)).toBe(false);

    await a.schedules.recordRun('nightly', T0 + MINUTE, 'job-2', T0 + 2 * MINUTE);
    await a.schedules.recordRun('nightly', T0, 'job-1', T0 + MINUTE); // late report of an older tick: ignored
    expect(await a.schedules.get('nightly')).toMatchObject({ lastTick: T0 + MINUTE, lastRunAt: T0 + 2 * MINUTE, lastJobId: 'job-2' });
    await a.schedules.recordRun('nightly', null, 'job-3', T0 + 3 * MINUTE);
    expect(await a.schedules.get('nightly')).toMatchObject({ lastTick: T0 + MINUTE, lastRunAt: T0 + 3 * MINUTE, lastJobId: 'job-3' });
  });

  it('isBusy sees an earlier tick still claimed; resume moves the cursor only of a paused schedule; prune keeps claims', async () => {
    await a.schedules.upsert(definition(), T0);
    await a.schedules.claimTick('nightly', T0 + 1000, 'A', T0, T0 + LEASE);
    expect(await a.schedules.isBusy('nightly', 'h', T0 + 2000)).toBe(true);
    expect(await a.schedules.isBusy('nightly', 'h', T0 + 1000)).toBe(false);
    expect((await a.schedules.setPaused('nightly', false, T0 + 10_000))!.cursorTick).toBe(T0);
    expect((await a.schedules.setPaused('nightly', true, T0 + 20_000))!.paused).toBe(true);
    expect(await b.schedules.get('nightly')).toMatchObject({ paused: true });
    expect(await a.schedules.setPaused('nightly', false, T0 + 30_000)).toMatchObject({ paused: false, cursorTick: T0 + 30_000 });
    expect(await a.schedules.setPaused('unknown', true, T0)).toBeNull();
    await a.schedules.claimTick('nightly', T0 + 2000, 'A', T0, T0 + LEASE);
    await a.schedules.settleTick('nightly', T0 + 2000, 'A', { status: 'SKIPPED', jobId: null, error: 'why', now: T0 });
    expect(await a.schedules.pruneTicks('nightly', T0 + 5000)).toBe(1);
    expect((await a.schedules.ticks('nightly', 0, T0 + 5000)).map((t) => t.tickAt)).toEqual([T0 + 1000]);
  });
});

describe.each(kinds)('schedules at run time (%s)', (kind: DbKind) => {
  let db: FreshDatabase;
  let clock: number;
  const cleanups: (() => Promise<void>)[] = [];
  /** Gates of held tasks, by state key `hold`. */
  const gates = new Map<string, () => void>();
  const held = (key: string) => new Promise<void>((resolve) => gates.set(key, resolve));

  const handlers: TaskHandlerDefinition[] = [
    { jobHandlerName: 'quick', parallelLimit: 5, handler: async ({ getState }) => { const { hold } = await getState(); if (hold) await held(hold); } },
    { jobHandlerName: 'one-at-a-time', concurrencyLimit: 1, handler: async ({ getState }) => { const { hold } = await getState(); if (hold) await held(hold); } },
  ];

  interface Replica { schedules: Schedules; engine: Engine; stores: Opened; logs: string[] }

  async function replica(definitions: ScheduleDefinition[]): Promise<Replica> {
    const stores = await open(db);
    const logs: string[] = [];
    const log = (level: string, message: string) => { logs.push(`${level}: ${message}`); };
    const engine = new Engine({ store: stores.jobs, pollMs: 50, progressIntervalMs: 0, leaseMs: LEASE, log });
    for (const h of handlers) engine.register(h);
    await engine.start();
    const schedules = new Schedules({
      store: stores.schedules, jobs: stores.jobs, owner: engine.owner, leaseMs: LEASE, log, now: () => clock,
      startJob: (input) => engine.createJob({
        name: input.name, handler: input.handler, tasks: input.tasks, startedBy: null, queued: input.queued, schedule: input.schedule,
        createRow: async () => ({ jobId: randomUUID(), createdAt: new Date().toISOString() }), deleteRow: async () => {},
      }),
    });
    for (const d of definitions) schedules.add(normalizeSchedule(d));
    await schedules.start({ timers: false });
    cleanups.push(async () => {
      await schedules.stop();
      await engine.stop({ graceMs: 0 });
      await stores.close();
    });
    return { schedules, engine, stores, logs };
  }

  const every = (name: string, over: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
    name, cron: '* * * * *', jobHandlerName: 'quick', tasks: () => [{ state: {} }], ...over,
  });
  /** The jobs of a schedule in the engine, by tick (runs now, tick null, first), drafts left out. */
  async function jobsOf(r: Replica, name: string): Promise<{ jobId: string; tick: number | null; status: string }[]> {
    const rows = await r.stores.rows(`SELECT job_id, schedule_tick, status FROM af_bj_jobs WHERE schedule_name = ? AND status <> 'DRAFT'`, [name]);
    return rows.map((row) => ({ jobId: String(row.job_id), tick: row.schedule_tick === null ? null : Number(row.schedule_tick), status: String(row.status) }))
      .sort((x, y) => (x.tick ?? -1) - (y.tick ?? -1));
  }

  beforeEach(async () => {
    db = await freshDatabase(kind);
    clock = T0;
  });
  afterEach(async () => {
    for (const release of gates.values()) release();
    gates.clear();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await db.drop();
  });

  it("catchUp after a downtime: 'none' fires no missed tick, 'last' the latest once, 'all' each; the cursor then moves on", async () => {
    // overlap 'allow': with 'skip', the ticks caught up at once would find the first one's job running.
    const r = await replica(['none', 'last', 'all'].map((name) => every(name, { catchUp: name as 'none' | 'last' | 'all', overlap: 'allow' })));
    clock = T0 + 10 * MINUTE + 30_000; // every replica was down for 10.5 minutes
    for (const name of ['none', 'last', 'all']) await r.schedules.runDue(name);
    expect(await jobsOf(r, 'none')).toEqual([]);
    expect((await jobsOf(r, 'last')).map((j) => j.tick)).toEqual([T0 + 10 * MINUTE]);
    expect((await jobsOf(r, 'all')).map((j) => j.tick)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * MINUTE));
    expect(r.logs.some((l) => /schedule 'last' missed its ticks from 2026-05-01T10:01:00.000Z to 2026-05-01T10:10:00.000Z .*the last one \(2026-05-01T10:10:00.000Z\) fires once/.test(l))).toBe(true);
    // The cursor is durable: another pass (or replica) finds nothing more due.
    for (const name of ['none', 'last', 'all']) await r.schedules.runDue(name);
    expect((await jobsOf(r, 'all'))).toHaveLength(10);
    expect((await r.stores.schedules.get('none'))!.cursorTick).toBe(T0 + 10 * MINUTE);
    // The next tick fires on time, whatever catchUp says.
    clock = T0 + 11 * MINUTE + 20;
    await r.schedules.runDue('none');
    expect((await jobsOf(r, 'none')).map((j) => j.tick)).toEqual([T0 + 11 * MINUTE]);
    expect(await r.schedules.get('all')).toMatchObject({ lastTick: '2026-05-01T10:10:00.000Z', lastJobId: (await jobsOf(r, 'all')).at(-1)!.jobId, nextRunAt: '2026-05-01T10:12:00.000Z' });
  });

  it("overlap 'skip' records a tick as skipped while the previous job runs; 'allow' starts it anyway", async () => {
    const r = await replica([
      every('skip', { overlap: 'skip', tasks: () => [{ state: { hold: 'skip' } }] }),
      every('allow', { overlap: 'allow', tasks: () => [{ state: { hold: 'allow' } }] }),
    ]);
    for (const minute of [1, 2]) {
      clock = T0 + minute * MINUTE;
      await r.schedules.runDue('skip');
      await r.schedules.runDue('allow');
    }
    expect((await jobsOf(r, 'skip')).map((j) => j.tick)).toEqual([T0 + MINUTE]);
    expect((await jobsOf(r, 'allow')).map((j) => j.tick)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(await r.stores.schedules.ticks('skip', T0, T0 + 3 * MINUTE)).toMatchObject([
      { tickAt: T0 + MINUTE, status: 'FIRED' },
      { tickAt: T0 + 2 * MINUTE, status: 'SKIPPED', jobId: null, error: expect.stringMatching(/still running \(overlap: skip\)/) },
    ]);
    // Once it finished, the next tick fires again.
    await until('the held task to start', () => gates.get('skip'));
    gates.get('skip')!();
    const [first] = await jobsOf(r, 'skip');
    await untilStatus(`job ${first.jobId}`, () => r.engine.getJob(first.jobId), ['DONE']);
    clock = T0 + 3 * MINUTE;
    await r.schedules.runDue('skip');
    expect((await jobsOf(r, 'skip')).map((j) => j.tick)).toEqual([T0 + MINUTE, T0 + 3 * MINUTE]);
  });

  it("overlap 'queue': a tick's job waits QUEUED for its handler's slot and runs after the previous one", async () => {
    const r = await replica([every('queued', { overlap: 'queue', jobHandlerName: 'one-at-a-time', tasks: () => [{ state: { hold: `q${clock}` } }] })]);
    clock = T0 + MINUTE;
    await r.schedules.runDue('queued');
    clock = T0 + 2 * MINUTE;
    await r.schedules.runDue('queued');
    const [first, second] = await jobsOf(r, 'queued');
    await untilStatus(`job ${first.jobId}`, () => r.engine.getJob(first.jobId), ['IN_PROGRESS']);
    expect((await r.engine.getJob(second.jobId)).status).toBe('QUEUED');
    await until('the first job to hold', () => gates.get(`q${T0 + MINUTE}`));
    gates.get(`q${T0 + MINUTE}`)!();
    await untilStatus(`job ${second.jobId}`, () => r.engine.getJob(second.jobId), ['IN_PROGRESS']);
    expect((await r.engine.getJob(first.jobId)).status).toBe('DONE');
  });

  it('pause is durable and seen by every replica; resume does not catch up the paused ticks; run now starts a job even while paused', async () => {
    const a = await replica([every('s')]);
    const b = await replica([every('s')]);
    expect(await a.schedules.pause('s')).toMatchObject({ name: 's', paused: true, nextRunAt: null });
    clock = T0 + 5 * MINUTE;
    await b.schedules.runDue('s');
    expect(await jobsOf(b, 's')).toEqual([]);
    const ran = await b.schedules.runNow('s');
    expect(ran.schedule).toMatchObject({ paused: true, lastJobId: ran.jobId, lastRunAt: new Date(clock).toISOString(), lastTick: null });
    expect(await b.engine.getJob(ran.jobId)).toMatchObject({ schedule: { name: 's', tick: null } });
    // Finished, so the tick below is not skipped for it (overlap 'skip' counts runs now too).
    await untilStatus(`job ${ran.jobId}`, () => b.engine.getJob(ran.jobId), ['DONE']);
    expect(await a.schedules.resume('s')).toMatchObject({ paused: false, nextRunAt: new Date(T0 + 6 * MINUTE).toISOString() });
    clock = T0 + 5 * MINUTE + 30_000;
    await b.schedules.runDue('s');
    expect((await jobsOf(b, 's')).map((j) => j.tick)).toEqual([null]);
    clock = T0 + 6 * MINUTE;
    await b.schedules.runDue('s');
    expect((await jobsOf(b, 's')).map((j) => j.tick)).toEqual([null, T0 + 6 * MINUTE]);
    await expect(a.schedules.pause('nope')).rejects.toThrow(/No schedule named 'nope' \(registered: s\)/);
    const list = await a.schedules.list();
    expect(list).toEqual([{
      name: 's', cron: '* * * * *', timezone: 'UTC', jobHandlerName: 'quick', jobName: 's', overlap: 'skip', catchUp: 'last', paused: false,
      nextRunAt: new Date(T0 + 7 * MINUTE).toISOString(), lastRunAt: new Date(T0 + 6 * MINUTE).toISOString(),
      lastTick: new Date(T0 + 6 * MINUTE).toISOString(), lastJobId: (await jobsOf(a, 's')).find((j) => j.tick !== null)!.jobId,
    }]);
  });

  it('a tick is fired once when two replicas fire it at the same moment; a tick with no tasks is skipped', async () => {
    const a = await replica([every('s', { overlap: 'allow' }), every('empty', { tasks: () => [] })]);
    const b = await replica([every('s', { overlap: 'allow' }), every('empty', { tasks: () => [] })]);
    for (let minute = 1; minute <= 5; minute++) {
      clock = T0 + minute * MINUTE;
      await Promise.all([a.schedules.runDue('s'), b.schedules.runDue('s'), a.schedules.runDue('empty'), b.schedules.runDue('empty')]);
    }
    expect((await jobsOf(a, 's')).map((j) => j.tick)).toEqual([1, 2, 3, 4, 5].map((m) => T0 + m * MINUTE));
    const ticks = await a.stores.schedules.ticks('s', T0, T0 + 6 * MINUTE);
    expect(ticks.map((t) => t.status)).toEqual(Array(5).fill('FIRED'));
    expect(new Set(ticks.map((t) => t.jobId)).size).toBe(5);
    expect(await jobsOf(a, 'empty')).toEqual([]);
    expect((await a.stores.schedules.ticks('empty', T0, T0 + 6 * MINUTE)).map((t) => [t.status, t.error])).toEqual(Array(5).fill(['SKIPPED', 'tasks() returned no tasks']));
  });

  describe('a replica that dies while firing a tick: another one finishes it, with exactly one job', () => {
    const tick = T0 + MINUTE;
    async function deadClaim(r: Replica) {
      expect(await r.stores.schedules.claimTick('s', tick, 'dead-replica', tick, tick + LEASE)).toBe(true);
    }
    async function recover(r: Replica) {
      clock = tick + LEASE - 1;
      expect(await r.schedules.recoverClaims()).toBe(0); // a live claim is respected
      clock = tick + LEASE + 1;
      expect(await r.schedules.recoverClaims()).toBe(1);
      const rows = await r.stores.schedules.ticks('s', tick, tick + 1);
      expect(rows).toMatchObject([{ status: 'FIRED', owner: r.engine.owner }]);
      const jobs = await jobsOf(r, 's');
      expect(jobs.map((j) => j.tick)).toEqual([tick]);
      expect(rows[0].jobId).toBe(jobs[0].jobId);
      expect(Number((await r.stores.rows(`SELECT COUNT(*) AS n FROM af_bj_jobs WHERE schedule_name = 's'`))[0].n)).toBe(1);
      return jobs[0];
    }

    it('before it made anything: the job is made by the replica that takes over', async () => {
      const b = await replica([every('s')]);
      await deadClaim(b);
      await recover(b);
    });

    it('half-way through making the job (a draft): the draft is discarded and the job made anew', async () => {
      const b = await replica([every('s')]);
      await deadClaim(b);
      const draft = await b.stores.jobs.createDraft({ handler: 'quick', name: 's', startedBy: null, state: {}, owner: 'dead-replica', now: tick, schedule: { name: 's', tick } });
      await b.stores.jobs.appendTasks(draft, 0, ['{}']);
      const job = await recover(b);
      expect(await b.stores.jobs.getJobByKey(draft)).toBeNull();
      await untilStatus(`job ${job.jobId}`, () => b.engine.getJob(job.jobId), ['DONE']);
    });

    it('after it made the job but before recording it: the job is linked, no second one is made', async () => {
      const a = await replica([every('s')]);
      const b = await replica([every('s')]);
      await deadClaim(a);
      const made = await a.engine.createJob({
        name: 's', handler: 'quick', tasks: [{ state: {} }], startedBy: null, schedule: { name: 's', tick },
        createRow: async () => ({ jobId: 'made-by-the-dead', createdAt: new Date().toISOString() }), deleteRow: async () => {},
      });
      const job = await recover(b);
      expect(job.jobId).toBe(made);
      expect(await b.stores.schedules.get('s')).toMatchObject({ lastTick: tick, lastJobId: made });
    });
  });
});

describe('registerSchedule on the plugin', () => {
  const plugin = () => {
    const p = new BackgroundJobsPlugin({ ...SEED_OPTIONS });
    p.registerTaskHandler({ jobHandlerName: 'free', handler: async () => {} });
    p.registerTaskHandler({ jobHandlerName: 'limited', concurrencyLimit: 1, handler: async () => {} });
    return p;
  };
  const base = { name: 'nightly', cron: '0 3 * * *', tasks: () => [{ state: {} }] };

  it('needs the handler registered first, and a concurrencyLimit for overlap queue', () => {
    expect(() => plugin().registerSchedule({ ...base, jobHandlerName: 'missing' }))
      .toThrow("registerSchedule({ name: 'nightly' }): no handler 'missing' is registered: call registerTaskHandler({ jobHandlerName: 'missing', handler }) before registerSchedule (registered: free, limited).");
    expect(() => plugin().registerSchedule({ ...base, jobHandlerName: 'free', overlap: 'queue' })).toThrow(/handler 'free', which has no concurrencyLimit.*concurrencyLimit: 1/);
    const p = plugin();
    p.registerSchedule({ ...base, jobHandlerName: 'limited', overlap: 'queue' });
    expect(() => p.registerSchedule({ ...base, jobHandlerName: 'free' })).toThrow(/a schedule of that name is registered already/);
    expect(() => p.registerSchedule({ ...base, name: 'bad', cron: 'every day', jobHandlerName: 'free' })).toThrow(/Schedule 'bad': cron 'every day' is not a valid pattern/);
  });
});
