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
import type { TaskSource } from '../../plugin/src/types.js';

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
  const engine = new Engine({
    store,
    emit: (event) => {
      events.push(event);
      for (const w of [...waiters]) {
        if (w.predicate(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    },
    log: () => {},
    ...options,
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
