/**
 * The in-memory events buffer behind `jobs/events` (plugin/src/http/event-log.ts): per-job
 * sequence numbers, a bounded ring per job, a bounded number of jobs, and waiting for the next event.
 */
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../plugin/src/http/event-log.js';
import type { EngineEvent } from '../../plugin/src/events.js';

const done = (jobId: string, taskIndex: number): EngineEvent =>
  ({ type: 'task:done', jobId, handler: 'h', startedBy: 'u1', taskIndex, attempt: 1 });

describe('EventLog', () => {
  it('numbers events per job and leaves out who started the job', () => {
    const log = new EventLog();
    log.append(done('a', 0));
    log.append(done('b', 0));
    log.append(done('a', 1));
    const page = log.read('a', 0, 10);
    expect(page.events.map((e) => [e.seq, (e as any).taskIndex])).toEqual([[1, 0], [2, 1]]);
    expect(page.events[0]).not.toHaveProperty('startedBy');
    expect(page).toMatchObject({ lastSeq: 2, truncated: false, reset: false });
    expect(log.read('a', 1, 10).events.map((e) => e.seq)).toEqual([2]);
    expect(log.read('a', 0, 1).events.map((e) => e.seq)).toEqual([1]);
  });

  it('keeps the newest events of a job and says when a reader fell behind', () => {
    const log = new EventLog({ perJob: 3 });
    for (let i = 0; i < 10; i++) log.append(done('a', i));
    expect(log.read('a', 0, 10)).toMatchObject({ truncated: true, lastSeq: 10 });
    expect(log.read('a', 0, 10).events.map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(log.read('a', 7, 10)).toMatchObject({ truncated: false });
  });

  it('answers a sequence number beyond the last with reset (the process restarted)', () => {
    const log = new EventLog();
    log.append(done('a', 0));
    expect(log.read('a', 5, 10)).toMatchObject({ reset: true, events: [{ seq: 1 }] });
    expect(log.read('unknown', 5, 10)).toMatchObject({ reset: true, events: [], lastSeq: 0 });
  });

  it('forgets the job written to least recently when it holds too many', () => {
    const log = new EventLog({ jobs: 2 });
    log.append(done('a', 0));
    log.append(done('b', 0));
    log.append(done('a', 1));
    log.append(done('c', 0));
    expect(log.read('b', 0, 10).events).toEqual([]);
    expect(log.read('a', 0, 10).events).toHaveLength(2);
  });

  it('tracks the final event until a retry', () => {
    const log = new EventLog();
    log.append({ type: 'job:finished', jobId: 'a', handler: 'h', startedBy: null, status: 'DONE', finishedAt: '', progress: 100 });
    expect(log.hasFinalEvent('a')).toBe(true);
    log.append({ type: 'job:retried', jobId: 'a', handler: 'h', startedBy: null, status: 'IN_PROGRESS', tasks: 1 });
    expect(log.hasFinalEvent('a')).toBe(false);
  });

  it('wakes a waiter on the next event, and on abort', async () => {
    const log = new EventLog();
    const waiting = log.waitForEvent('a', 0, 60_000);
    log.append(done('a', 0));
    await waiting;
    await log.waitForEvent('a', 0, 60_000); // already there: resolves at once
    const controller = new AbortController();
    const aborted = log.waitForEvent('a', 1, 60_000, controller.signal);
    controller.abort();
    await aborted;
    expect(log.read('a', 1, 10).events).toEqual([]);
  });
});
