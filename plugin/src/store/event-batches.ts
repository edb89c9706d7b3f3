/**
 * Rows of the durable event log (`af_bj_events`), shared by the stores: one row per store write
 * that produced events, its `payload` the JSON array of those events; `seq` is the sequence number
 * of the row's last event and `first_seq` of its first (consecutive in between).
 */
import type { EngineEvent } from '../events.js';
import type { ChangeEvents, EventBatch } from './job-store.js';

export interface RawEventRow {
  job_key: number | string;
  seq: number | string;
  first_seq: number | string;
  owner: string;
  at: number | string;
  payload: string;
}

/**
 * The payload, column-wise: a busy job writes thousands of task events per batch, and most are
 * `{type, taskIndex, attempt}`. So a row is
 * `{"job": {jobId, handler, startedBy}, "types": [...], "t": [...], "i": [...], "a": [...], "x": {...}}`:
 * for the n-th event, `types[t[n]]` is its type, `i[n]` its taskIndex (null: none), `a[n]` its
 * attempt (null: none; `a` is left out when every event has attempt 1 or none), and `x[n]` its
 * other fields, when it has any. Events keep their order. The fields every event of a job repeats
 * are written once. `d`, when some event has a `durationMs` (task:done, task:failed), is the
 * comma-joined list of those durations, empty for events without one: about two bytes an event,
 * where an `x` entry would take twenty. (Rows written as `{"job", "events": [...]}` or as a plain
 * array are read too, and rows without `d`.)
 */
export function eventPayload(events: EngineEvent[]): string {
  const { jobId, handler, startedBy } = events[0];
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const t: number[] = [];
  const i: (number | null)[] = [];
  const a: (number | null)[] = [];
  const x: Record<number, Record<string, unknown>> = {};
  const d: string[] = [];
  let durations = false;
  let plainAttempts = true;
  events.forEach((event, n) => {
    const { jobId: _j, handler: _h, startedBy: _s, type, taskIndex, attempt, durationMs, ...rest } = event as EngineEvent & { taskIndex?: number; attempt?: number; durationMs?: number };
    if (typeof durationMs === 'number' && Number.isFinite(durationMs)) {
      d.push(String(durationMs));
      durations = true;
    } else {
      d.push('');
      if (durationMs !== undefined) (rest as Record<string, unknown>).durationMs = durationMs;
    }
    let ti = typeIndex.get(type);
    if (ti === undefined) {
      ti = types.push(type) - 1;
      typeIndex.set(type, ti);
    }
    t.push(ti);
    i.push(taskIndex ?? null);
    a.push(attempt ?? null);
    if (attempt !== undefined && attempt !== 1) plainAttempts = false;
    for (const _ in rest) {
      x[n] = rest;
      break;
    }
  });
  const payload: Record<string, unknown> = { job: { jobId, handler, startedBy }, types, t, i };
  if (plainAttempts) {
    // One bit per event is enough: which ones have attempt 1.
    if (a.some((v) => v !== null)) payload.a1 = a.map((v) => (v === null ? 0 : 1)).join('');
  } else {
    payload.a = a;
  }
  if (Object.keys(x).length > 0) payload.x = x;
  if (durations) payload.d = d.join(',');
  return JSON.stringify(payload);
}

function eventsOf(payload: unknown): EngineEvent[] {
  const parsed = typeof payload === 'string' ? JSON.parse(payload) : payload;
  if (Array.isArray(parsed)) return parsed;
  if (parsed.events) {
    const { job, events } = parsed as { job: Record<string, unknown>; events: Record<string, unknown>[] };
    return events.map((e) => ({ ...job, ...e }) as unknown as EngineEvent);
  }
  const { job, types, t, i, a, a1, x, d } = parsed as {
    job: Record<string, unknown>; types: string[]; t: number[]; i: (number | null)[];
    a?: (number | null)[]; a1?: string; x?: Record<string, Record<string, unknown>>; d?: string;
  };
  const durations = typeof d === 'string' ? d.split(',') : null;
  // Built field by field: spreading the parsed `job` into every event costs ~30× more, and a
  // replica follows every event the others write.
  const { jobId, handler, startedBy } = job;
  const events: EngineEvent[] = [];
  for (let n = 0; n < t.length; n++) {
    const event: Record<string, unknown> = { jobId, handler, startedBy, type: types[t[n]] };
    if (i[n] !== null) event.taskIndex = i[n];
    const attempt = a ? a[n] : a1 && a1[n] === '1' ? 1 : null;
    if (attempt !== null) event.attempt = attempt;
    if (durations && durations[n]) event.durationMs = Number(durations[n]);
    const extra = x?.[n];
    if (extra) Object.assign(event, extra);
    events.push(event as unknown as EngineEvent);
  }
  return events;
}

/** A batch whose events are decoded when first read: a follower skips the rows it wrote itself. */
export function batchFromRaw(row: RawEventRow): EventBatch {
  let events: EngineEvent[] | null = null;
  return {
    jobKey: Number(row.job_key),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.seq),
    owner: row.owner,
    at: Number(row.at),
    get events() {
      return (events ??= eventsOf(row.payload));
    },
  };
}

/**
 * A batch of nothing but progress below 100 arrives after the job finished when another replica's
 * progress report was under way: it describes a state the job has left, so it is not written.
 */
export function isStaleProgress(events: EngineEvent[]): boolean {
  return events.every((e) => e.type === 'job:progress' && e.progress < 100);
}

/** Events a store wrote with a change (`ChangeEvents`), numbered lastSeq - events.length + 1 … lastSeq. */
export interface WrittenBatch {
  jobKey: number;
  lastSeq: number;
  events: EngineEvent[];
}

/** Tells `ChangeEvents.written` what a transaction wrote: call it once the transaction committed. */
export function reportWritten(to: Pick<ChangeEvents<never>, 'written'> | undefined, batches: readonly (WrittenBatch | null)[]): void {
  for (const batch of batches) if (batch) to?.written(batch.jobKey, batch.lastSeq, batch.events);
}

/**
 * The `job:finished` event of the flush that finished a job (DONE / DONE_WITH_ERRORS), as every
 * store writes it (PostgreSQL builds the same object in SQL, postgres-flush.ts).
 */
export function finishedEventOf(
  job: { jobId: string; handler: string; startedBy: string | null }, status: string, now: number, failed: number, lastError: string | null,
): EngineEvent {
  return {
    type: 'job:finished', jobId: job.jobId, handler: job.handler, startedBy: job.startedBy,
    status: status as 'DONE' | 'DONE_WITH_ERRORS', finishedAt: new Date(now).toISOString(), progress: 100,
    ...(failed > 0 && lastError ? { error: lastError } : {}),
  };
}
