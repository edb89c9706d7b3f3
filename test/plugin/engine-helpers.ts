/**
 * Engine-level fixtures: a real SQLite file per test and an engine whose "rows" are kept in a Map
 * (the engine's only link to AdminForth is the createRow/deleteRow pair of startNewJob).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, type EngineOptions } from '../../plugin/src/engine/engine.js';
import { SqliteJobStore } from '../../plugin/src/store/sqlite-store.js';
import type { EngineEvent } from '../../plugin/src/events.js';
import type { JobStore } from '../../plugin/src/store/job-store.js';
import type { TaskHandlerDefinition, TaskSource } from '../../plugin/src/types.js';

export interface EngineFixture {
  file: string;
  db: Database.Database;
  engine: Engine;
  events: EngineEvent[];
  rows: Map<string, { status: string }>;
  start(name: string, handler: string, tasks: TaskSource, extra?: { queued?: boolean; initialState?: Record<string, unknown> }): Promise<string>;
  waitFor(predicate: (e: EngineEvent) => boolean): Promise<EngineEvent>;
  close(): Promise<void>;
}

export async function sqliteEngine(options: Partial<EngineOptions> = {}, file?: string): Promise<EngineFixture> {
  const dir = file ? null : mkdtempSync(path.join(tmpdir(), 'af-jobs-engine-'));
  const dbFile = file ?? path.join(dir!, 'jobs.sqlite');
  const db = new Database(dbFile);
  const store = new SqliteJobStore(db);
  await store.migrate();
  const events: EngineEvent[] = [];
  const waiters: { predicate: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  const engine = new Engine({ store, log: () => {}, ...options });
  engine.events.onAny((event) => {
    events.push(event);
    for (const w of [...waiters]) {
      if (w.predicate(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  const rows = new Map<string, { status: string }>();
  let nextId = 1;
  return {
    file: dbFile, db, engine, events, rows,
    start: (name, handler, tasks, extra = {}) => engine.createJob({
      name, handler, tasks, startedBy: '1', ...extra,
      createRow: async (status) => {
        const jobId = `job-${nextId++}`;
        rows.set(jobId, { status });
        return { jobId, createdAt: new Date().toISOString() };
      },
      deleteRow: async (jobId) => { rows.delete(jobId); },
    }),
    waitFor: (predicate) => {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    close: async () => {
      await engine.stop({ graceMs: 0 });
      db.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const finished = (jobId: string) => (e: EngineEvent) => e.type === 'job:finished' && e.jobId === jobId;

/** An engine on any store, collecting its events and log lines (the engine tests over every database). */
export interface StoreEngineFixture {
  engine: Engine;
  events: EngineEvent[];
  logs: string[];
  /** Starts a job of `tasks` on `handler`; its row id is `job-1`, `job-2`, ... */
  start(handler: string, tasks: TaskSource): Promise<string>;
  /** The job's job:finished; fails with the task counts and the last log lines if it does not come within `ms`. */
  finished(jobId: string, ms?: number): Promise<EngineEvent>;
}

export function engineOnStore(store: JobStore, definitions: TaskHandlerDefinition[], options: Partial<EngineOptions> = {}): StoreEngineFixture {
  const events: EngineEvent[] = [];
  const logs: string[] = [];
  const waiters = new Set<() => void>();
  const engine = new Engine({
    store, pollMs: 50, progressIntervalMs: 0,
    log: (level, message) => { logs.push(`${level}: ${message}`); },
    ...options,
  });
  engine.events.onAny((event) => { events.push(event); for (const wake of waiters) wake(); });
  for (const definition of definitions) engine.register(definition);
  let next = 1;
  return {
    engine, events, logs,
    start: (handler, tasks) => engine.createJob({
      name: handler, handler, tasks, startedBy: null,
      createRow: async () => ({ jobId: `job-${next++}`, createdAt: new Date().toISOString() }),
      deleteRow: async () => {},
    }),
    finished: (jobId, ms = 30_000) => new Promise((resolve, reject) => {
      const check = () => {
        const end = events.find((e) => e.type === 'job:finished' && e.jobId === jobId);
        if (!end) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(end);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        void engine.getJob(jobId).then((job) => store.getTaskCounts(job.jobKey)).then(
          (counts) => reject(new Error(`job ${jobId} did not finish within ${ms} ms: tasks ${JSON.stringify(counts)}; log: ${logs.slice(-3).join(' | ')}`)),
          reject,
        );
      }, ms);
      waiters.add(check);
      check();
    }),
  };
}
