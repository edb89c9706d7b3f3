/**
 * The Jobs page's per-handler rolling counters (plugin/src/http/handler-metrics.ts): minute
 * buckets over a 60-minute ring, rates over the latest minutes, a failure rate that does not count
 * retried attempts, and p50/p95 from a log-scale histogram within a bin of the true value.
 */
import { describe, expect, it } from 'vitest';
import { HandlerMetrics, MAX_HANDLERS, WINDOW_MINUTES } from '../../plugin/src/http/handler-metrics.js';
import type { EngineEvent } from '../../plugin/src/events.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const base = { jobId: 'j', handler: 'h', startedBy: null };
const done = (durationMs?: number, handler = 'h') => ({ ...base, handler, type: 'task:done', taskIndex: 0, attempt: 1, ...(durationMs === undefined ? {} : { durationMs }) }) as EngineEvent;
const failed = (willRetry: boolean, durationMs = 5) => ({ ...base, type: 'task:failed', taskIndex: 0, attempt: 1, error: 'x', willRetry, durationMs }) as EngineEvent;
const created = () => ({ ...base, type: 'job:created', name: 'n', status: 'IN_PROGRESS', createdAt: '', total: 1 }) as EngineEvent;
const finished = (status: string) => ({ ...base, type: 'job:finished', status, finishedAt: '', progress: 100 }) as EngineEvent;

describe('handler metrics', () => {
  it('counts jobs and tasks per handler, the failure rate without retried attempts, and a per-minute sparkline', () => {
    const m = new HandlerMetrics(T0);
    m.record(created(), T0 + 1000);
    for (let i = 0; i < 8; i++) m.record(done(10), T0 + 2000);
    m.record(failed(true), T0 + MIN + 1);
    m.record(failed(false), T0 + MIN + 2);
    m.record(failed(false), T0 + MIN + 3);
    m.record(finished('DONE_WITH_ERRORS'), T0 + MIN + 4);
    m.record(done(3, 'other'), T0 + MIN + 5);
    const snap = m.snapshot(['h', 'other', 'idle'], T0 + 2 * MIN + 30_000);
    expect(snap.handlers.map((h) => h.handler)).toEqual(['h', 'idle', 'other']);
    const h = snap.handlers[0];
    expect(h.lastHour).toEqual({ jobsCreated: 1, jobsFinished: 1, jobsWithErrors: 1, jobsCancelled: 0, tasksDone: 8, tasksFailed: 2, attemptsRetried: 1 });
    expect(h.failureRate).toBeCloseTo(2 / 10);
    expect(h.sparkline.tasks).toHaveLength(WINDOW_MINUTES);
    expect(h.sparkline.tasks.slice(-3)).toEqual([8, 2, 0]);
    expect(h.sparkline.failed.slice(-3)).toEqual([0, 2, 0]);
    // 2.5 minutes counted: 10 finished tasks → 4 a minute; 1 job → 0.4.
    expect(h.perMinute).toEqual({ tasks: 4, jobs: 0.4 });
    expect(snap.handlers[1]).toMatchObject({ lastHour: { tasksDone: 0 }, failureRate: null, durationMs: { p50: null, p95: null, count: 0 } });
    expect(snap.since).toBe(T0);
    expect(snap.countingSince).toBe(T0);
  });

  it('answers p50 and p95 within one histogram bin (±10 %), and exactly for equal durations', () => {
    const m = new HandlerMetrics(T0);
    for (let ms = 1; ms <= 1000; ms++) m.record(done(ms), T0 + 1000);
    const { durationMs } = m.snapshot(['h'], T0 + 2000).handlers[0];
    expect(durationMs.count).toBe(1000);
    expect(Math.abs(durationMs.p50! - 500) / 500).toBeLessThan(0.1);
    expect(Math.abs(durationMs.p95! - 950) / 950).toBeLessThan(0.1);

    const same = new HandlerMetrics(T0);
    for (let i = 0; i < 50; i++) same.record(done(40), T0 + 1000);
    expect(same.snapshot(['h'], T0 + 2000).handlers[0].durationMs).toEqual({ p50: 40, p95: 40, count: 50 });
    // Events of older versions carry no duration: counted, not timed.
    same.record(done(), T0 + 1000);
    expect(same.snapshot(['h'], T0 + 2000).handlers[0]).toMatchObject({ lastHour: { tasksDone: 51 }, durationMs: { count: 50 } });
  });

  it('forgets minutes older than the window and reuses their buckets', () => {
    const m = new HandlerMetrics(T0);
    m.record(done(7), T0);
    m.record(done(900), T0 + 30 * MIN);
    const later = T0 + WINDOW_MINUTES * MIN + 1000;
    m.record(done(20), later);
    const h = m.snapshot(['h'], later).handlers[0];
    expect(h.lastHour.tasksDone).toBe(2);
    expect(h.sparkline.tasks.reduce((a, b) => a + b, 0)).toBe(2);
    expect(h.durationMs.count).toBe(2);
    const since = m.snapshot(['h'], later).since;
    expect(since).toBe(Math.floor(later / MIN) * MIN - (WINDOW_MINUTES - 1) * MIN);
    // After two quiet hours nothing is left.
    expect(m.snapshot(['h'], later + 2 * WINDOW_MINUTES * MIN).handlers[0].lastHour.tasksDone).toBe(0);
  });

  it(`tracks at most ${MAX_HANDLERS} handlers and says how many events it left out`, () => {
    const m = new HandlerMetrics(T0);
    for (let i = 0; i <= MAX_HANDLERS; i++) m.record(done(1, `h${i}`), T0);
    expect(m.handlers()).toHaveLength(MAX_HANDLERS);
    expect(m.snapshot([], T0).dropped).toBe(1);
  });
});
