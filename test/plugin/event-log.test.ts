/**
 * The wake-up bookkeeping behind the `jobs/events` long poll (plugin/src/http/event-log.ts): per-job
 * last sequence numbers, waking waiters on the next event, final-event tracking, and a bounded
 * number of jobs whose forgotten waiters are woken.
 */
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../plugin/src/http/event-log.js';
import type { EngineEvent } from '../../plugin/src/events.js';
import type { SequencedEvent } from '../../plugin/src/engine/event-stream.js';

const done = (jobId: string, taskIndex: number): EngineEvent =>
  ({ type: 'task:done', jobId, handler: 'h', startedBy: 'u1', taskIndex, attempt: 1 });

const finished = (jobId: string): EngineEvent =>
  ({ type: 'job:finished', jobId, handler: 'h', startedBy: null, status: 'DONE', finishedAt: '', progress: 100 });
const withSeq = (event: EngineEvent, seq: number): SequencedEvent => ({ ...event, seq });

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => { done = true; });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('EventLog', () => {
  it('wakes a waiter on the next event of its job only', async () => {
    const log = new EventLog();
    const a = log.waitForEvent('a', 0, 60_000);
    const b = log.waitForEvent('b', 0, 60_000);
    log.append(done('a', 0));
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(false);
    log.append(done('b', 0));
    expect(await settled(b)).toBe(true);
  });

  it('numbers events without seq per job, and resolves at once when an event above `after` is known', async () => {
    const log = new EventLog();
    log.append(done('a', 0));
    log.append(done('b', 0));
    log.append(done('a', 1));
    expect(await settled(log.waitForEvent('a', 1, 60_000))).toBe(true);
    const waiting = log.waitForEvent('a', 2, 60_000);
    expect(await settled(waiting)).toBe(false);
    expect(await settled(log.waitForEvent('b', 0, 60_000))).toBe(true);
    log.append(done('a', 2));
    expect(await settled(waiting)).toBe(true);
  });

  it('takes the sequence numbers of durable events and never goes back', async () => {
    const log = new EventLog();
    log.append(withSeq(done('a', 0), 40));
    expect(await settled(log.waitForEvent('a', 39, 60_000))).toBe(true);
    const waiting = log.waitForEvent('a', 40, 60_000);
    expect(await settled(waiting)).toBe(false);
    log.append(withSeq(done('a', 1), 12)); // a late copy of an older event: still a wake-up, no step back
    expect(await settled(waiting)).toBe(true);
    expect(await settled(log.waitForEvent('a', 40, 60_000))).toBe(false);
    log.append(done('a', 2)); // no seq: one past the last
    expect(await settled(log.waitForEvent('a', 40, 60_000))).toBe(true);
    expect(await settled(log.waitForEvent('a', 41, 60_000))).toBe(false);
  });

  it('forgets the job written to least recently, waking its waiters', async () => {
    const log = new EventLog({ jobs: 2 });
    log.append(finished('a'));
    log.append(finished('b'));
    const onB = log.waitForEvent('b', 1, 60_000);
    log.append(done('a', 1)); // `a` is now the most recent: `b` goes first
    expect(await settled(onB)).toBe(false);
    log.append(done('c', 0));
    expect(await settled(onB)).toBe(true);
    // A forgotten job starts again from nothing: a reader's number is above it, so it waits.
    expect(await settled(log.waitForEvent('b', 1, 60_000))).toBe(false);
  });

  it('resolves on timeout and on abort, and not before', async () => {
    const log = new EventLog();
    expect(await settled(log.waitForEvent('a', 0, 0))).toBe(true);
    const controller = new AbortController();
    const aborted = log.waitForEvent('a', 0, 60_000, controller.signal);
    expect(await settled(aborted)).toBe(false);
    controller.abort();
    expect(await settled(aborted)).toBe(true);
    expect(await settled(log.waitForEvent('a', 0, 60_000, controller.signal))).toBe(true);
    const timedOut = log.waitForEvent('a', 0, 20);
    expect(await settled(timedOut)).toBe(false);
    await timedOut;
    // A settled waiter is gone: the next event wakes nobody stale and the log still works.
    const next = log.waitForEvent('a', 0, 60_000);
    log.append(done('a', 0));
    expect(await settled(next)).toBe(true);
  });
});
