/**
 * Rows of the durable event log (`af_bj_events`), shared by the stores: one row per store write
 * that produced events, its `payload` the JSON array of those events; `seq` is the sequence number
 * of the row's last event and `first_seq` of its first (consecutive in between).
 */
import type { EngineEvent } from '../events.js';
import type { EventBatch } from './job-store.js';

export interface RawEventRow {
  job_key: number | string;
  seq: number | string;
  first_seq: number | string;
  owner: string;
  at: number | string;
  payload: string;
}

/**
 * The payload: `{"job": {jobId, handler, startedBy}, "events": [...]}` — the fields every event of
 * a job repeats are written once per row (the events of one write are all of one job).
 */
export function eventPayload(events: EngineEvent[]): string {
  const { jobId, handler, startedBy } = events[0];
  const compact = events.map((e) => {
    const { jobId: _j, handler: _h, startedBy: _s, ...rest } = e;
    return rest;
  });
  return JSON.stringify({ job: { jobId, handler, startedBy }, events: compact });
}

function eventsOf(payload: unknown): EngineEvent[] {
  const parsed = typeof payload === 'string' ? JSON.parse(payload) : payload;
  if (Array.isArray(parsed)) return parsed;
  const { job, events } = parsed as { job: Record<string, unknown>; events: Record<string, unknown>[] };
  return events.map((e) => ({ ...job, ...e }) as unknown as EngineEvent);
}

export function batchFromRaw(row: RawEventRow): EventBatch {
  return {
    jobKey: Number(row.job_key),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.seq),
    owner: row.owner,
    at: Number(row.at),
    events: eventsOf(row.payload),
  };
}

/**
 * A batch of nothing but progress below 100 arrives after the job finished when another replica's
 * progress report was under way: it describes a state the job has left, so it is not written.
 */
export function isStaleProgress(events: EngineEvent[]): boolean {
  return events.every((e) => e.type === 'job:progress' && e.progress < 100);
}

export const FINISHED_STATUSES_SQL = `('DONE', 'DONE_WITH_ERRORS', 'CANCELLED')`;
