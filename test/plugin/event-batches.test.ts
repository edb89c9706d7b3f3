/**
 * The durable log's row payload (store/event-batches.ts): written column-wise, read back as the
 * same events in the same order, whatever fields they carry; rows of the earlier formats still read.
 */
import { describe, expect, it } from 'vitest';
import { batchFromRaw, eventPayload } from '../../plugin/src/store/event-batches.js';
import type { EngineEvent } from '../../plugin/src/events.js';

const job = { jobId: '42', handler: 'h', startedBy: '7' };
const row = (payload: string) => ({ job_key: 1, seq: 9, first_seq: 1, owner: 'o', at: 5, payload });

describe('event log payload', () => {
  it('round-trips a mixed batch in order: task events, attempts, errors, states, job events', () => {
    const events = [
      { ...job, type: 'task:started', taskIndex: 0, attempt: 1 },
      { ...job, type: 'task:started', taskIndex: 1, attempt: 2 },
      { ...job, type: 'task:done', taskIndex: 0, attempt: 1 },
      { ...job, type: 'task:failed', taskIndex: 1, attempt: 2, error: 'boom', willRetry: false },
      { ...job, type: 'task:state', taskIndex: 3, state: { step: 2, nested: { a: [1, null] } }, fields: { step: 2 } },
      { ...job, type: 'task:cancelled', taskIndex: 4 },
      { ...job, type: 'job:progress', progress: 50, total: 4, done: 1, failed: 1, cancelled: 1 },
    ] as EngineEvent[];
    expect(batchFromRaw(row(eventPayload(events))).events).toEqual(events);
  });

  it('writes a batch of first attempts compactly and reads it back', () => {
    const events = Array.from({ length: 1000 }, (_, n) => ({ ...job, type: n % 2 ? 'task:done' : 'task:started', taskIndex: n >> 1, attempt: 1 })) as EngineEvent[];
    const payload = eventPayload(events);
    // Well under the 50-odd bytes per event of one JSON object each.
    expect(payload.length).toBeLessThan(events.length * 12);
    expect(batchFromRaw(row(payload)).events).toEqual(events);
  });

  it('keeps the attempts\' durations in a column of their own, about two bytes an event', () => {
    const events = Array.from({ length: 1000 }, (_, n) => (n % 2
      ? { ...job, type: n % 10 === 9 ? 'task:failed' : 'task:done', taskIndex: n >> 1, attempt: 1, durationMs: n % 7, ...(n % 10 === 9 ? { error: 'x', willRetry: false } : {}) }
      : { ...job, type: 'task:started', taskIndex: n >> 1, attempt: 1 })) as EngineEvent[];
    const payload = eventPayload(events);
    expect(JSON.parse(payload).d.split(',')).toHaveLength(1000);
    expect(batchFromRaw(row(payload)).events).toEqual(events);
    const without = eventPayload(events.map(({ durationMs: _d, ...rest }: any) => rest));
    expect(payload.length - without.length).toBeLessThan(events.length * 2.5);
  });

  it('reads rows written in the earlier formats', () => {
    const compact = { job, events: [{ type: 'task:done', taskIndex: 2, attempt: 1 }] };
    expect(batchFromRaw(row(JSON.stringify(compact))).events).toEqual([{ ...job, type: 'task:done', taskIndex: 2, attempt: 1 }]);
    const plain = [{ ...job, type: 'task:done', taskIndex: 3, attempt: 1 }];
    expect(batchFromRaw(row(JSON.stringify(plain))).events).toEqual(plain);
  });
});
