/**
 * Per-handler rolling counters behind `metrics/handlers` (docs/jobs-page.md): for each handler a
 * ring of 60 one-minute buckets holding jobs created and finished, tasks done and failed, attempts
 * that failed and will run again, and a fixed log-scale histogram of attempt durations (p50/p95).
 *
 * Fed by the engine's event bus (engine-events.ts). Every replica publishes every event of the
 * durable log exactly once — its own writes at once, other replicas' through the log follower
 * (event-stream.ts) — so each replica counts the work of all of them, and a task's duration comes
 * with its task:done / task:failed (`durationMs`, measured where the task ran). Recording is O(1)
 * per event; a snapshot is O(handlers × 60 × bins), whatever the number of tasks.
 *
 * Nothing is read back on start: counters start empty when the process starts (`startedAt`), and
 * the answer says since when it counts.
 */
import type { EngineEvent } from '../events.js';

/** Minutes kept: the sparkline and the "last hour" totals. */
export const WINDOW_MINUTES = 60;
/** Rates (jobs and tasks per minute) are taken over this many latest minutes. */
export const RATE_MINUTES = 5;
const MINUTE_MS = 60_000;
/** Histogram bins per doubling of the duration: each bin is 2^(1/4) ≈ 1.19 times as wide as the one before. */
const BINS_PER_DOUBLING = 4;
/** Highest log bin: 2^(100/4) ms ≈ 9.3 hours; longer attempts share one overflow bin. */
const TOP_BIN = 100;
/** Bin 0: under 1 ms; bins 1…TOP_BIN: [2^((k-1)/4), 2^(k/4)) ms; TOP_BIN + 1: longer. */
export const HISTOGRAM_BINS = TOP_BIN + 2;
/** Handlers tracked at most (events of others are counted in `dropped`); apps register a handful. */
export const MAX_HANDLERS = 200;

interface MinuteBucket {
  /** Epoch minute (ms / 60 000, floored) this bucket counts. */
  minute: number;
  jobsCreated: number;
  jobsFinished: number;
  jobsWithErrors: number;
  jobsCancelled: number;
  tasksDone: number;
  tasksFailed: number;
  attemptsRetried: number;
  /** Attempts with a duration, and their histogram (made on the first one). */
  timed: number;
  histogram: Uint32Array | null;
  minMs: number;
  maxMs: number;
}

type Counter = 'jobsCreated' | 'jobsFinished' | 'jobsWithErrors' | 'jobsCancelled' | 'tasksDone' | 'tasksFailed' | 'attemptsRetried';
const COUNTERS: Counter[] = ['jobsCreated', 'jobsFinished', 'jobsWithErrors', 'jobsCancelled', 'tasksDone', 'tasksFailed', 'attemptsRetried'];

export interface HandlerSnapshot {
  handler: string;
  /** Totals over the window (the current minute and the 59 before it, or since counting started). */
  lastHour: Record<Counter, number>;
  /** Over the latest RATE_MINUTES minutes (at least one minute of counting). */
  perMinute: { jobs: number; tasks: number };
  /** Failed tasks / (done + failed tasks) over the window; null when none finished. Attempts that will run again are not failures. */
  failureRate: number | null;
  /** Attempt durations (done and failed attempts) over the window; within ±10 % (one histogram bin). */
  durationMs: { p50: number | null; p95: number | null; count: number };
  /** One value per minute, oldest first, the last one the current (partial) minute. */
  sparkline: { tasks: number[]; failed: number[] };
}

export interface MetricsSnapshot {
  /** Counting started (this process's start): nothing before it is in the numbers. */
  countingSince: number;
  /** The window's start: the later of countingSince and the oldest minute kept. */
  since: number;
  /** Events of handlers beyond MAX_HANDLERS, not counted. */
  dropped: number;
  handlers: HandlerSnapshot[];
}

function binOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(TOP_BIN + 1, Math.floor(Math.log2(ms) * BINS_PER_DOUBLING) + 1);
}

/** The value a bin stands for: the geometric middle of its range (0 for bin 0, the lower edge of the overflow bin). */
function valueOfBin(bin: number): number {
  if (bin === 0) return 0;
  if (bin > TOP_BIN) return 2 ** (TOP_BIN / BINS_PER_DOUBLING);
  return 2 ** ((bin - 0.5) / BINS_PER_DOUBLING);
}

export class HandlerMetrics {
  private readonly series = new Map<string, (MinuteBucket | null)[]>();
  private dropped = 0;

  constructor(readonly startedAt: number = Date.now()) {}

  /** Counts one engine event (cheap: it runs for every event of every replica). */
  record(event: EngineEvent, now: number = Date.now()): void {
    switch (event.type) {
      case 'job:created': {
        const b = this.bucket(event.handler, now);
        if (b) b.jobsCreated++;
        break;
      }
      case 'job:finished': {
        const b = this.bucket(event.handler, now);
        if (!b) break;
        b.jobsFinished++;
        if (event.status === 'DONE_WITH_ERRORS') b.jobsWithErrors++;
        else if (event.status === 'CANCELLED') b.jobsCancelled++;
        break;
      }
      case 'task:done': {
        const b = this.bucket(event.handler, now);
        if (!b) break;
        b.tasksDone++;
        time(b, event.durationMs);
        break;
      }
      case 'task:failed': {
        const b = this.bucket(event.handler, now);
        if (!b) break;
        if (event.willRetry) b.attemptsRetried++;
        else b.tasksFailed++;
        time(b, event.durationMs);
        break;
      }
      default:
    }
  }

  /** Handlers with counters in the window. */
  handlers(): string[] {
    return [...this.series.keys()];
  }

  /** The window as it is at `now`, for `handlers` (each once; unknown ones answer zeros). */
  snapshot(handlers: Iterable<string>, now: number = Date.now()): MetricsSnapshot {
    const current = Math.floor(now / MINUTE_MS);
    const oldest = current - WINDOW_MINUTES + 1;
    const since = Math.max(this.startedAt, oldest * MINUTE_MS);
    // Rates: over the latest RATE_MINUTES minutes as far as they were counted, and at least a minute.
    const rateFrom = Math.max(this.startedAt, (current - RATE_MINUTES + 1) * MINUTE_MS);
    const rateMinutes = Math.max(1, (now - rateFrom) / MINUTE_MS);
    const names = [...new Set(handlers)].sort();
    return {
      countingSince: this.startedAt,
      since,
      dropped: this.dropped,
      handlers: names.map((handler) => this.snapshotOf(handler, current, rateMinutes)),
    };
  }

  private snapshotOf(handler: string, current: number, rateMinutes: number): HandlerSnapshot {
    const ring = this.series.get(handler);
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
    const tasks: number[] = [];
    const failed: number[] = [];
    const histogram = new Float64Array(HISTOGRAM_BINS);
    let timed = 0;
    let minMs = Infinity;
    let maxMs = -Infinity;
    let rateJobs = 0;
    let rateTasks = 0;
    for (let minute = current - WINDOW_MINUTES + 1; minute <= current; minute++) {
      const b = ring?.[minute % WINDOW_MINUTES];
      const live = b && b.minute === minute ? b : null;
      tasks.push(live ? live.tasksDone + live.tasksFailed : 0);
      failed.push(live ? live.tasksFailed : 0);
      if (!live) continue;
      for (const c of COUNTERS) totals[c] += live[c];
      if (minute > current - RATE_MINUTES) {
        rateJobs += live.jobsCreated;
        rateTasks += live.tasksDone + live.tasksFailed;
      }
      if (live.histogram) {
        for (let i = 0; i < HISTOGRAM_BINS; i++) histogram[i] += live.histogram[i];
        timed += live.timed;
        minMs = Math.min(minMs, live.minMs);
        maxMs = Math.max(maxMs, live.maxMs);
      }
    }
    const percentile = (p: number): number | null => {
      if (timed === 0) return null;
      const rank = Math.max(1, Math.ceil(p * timed));
      let seen = 0;
      for (let i = 0; i < HISTOGRAM_BINS; i++) {
        seen += histogram[i];
        // Within the observed range: a window of equal durations answers that duration exactly.
        if (seen >= rank) return Math.round(Math.min(maxMs, Math.max(minMs, valueOfBin(i))));
      }
      return Math.round(maxMs);
    };
    const finished = totals.tasksDone + totals.tasksFailed;
    return {
      handler,
      lastHour: totals,
      perMinute: { jobs: round1(rateJobs / rateMinutes), tasks: round1(rateTasks / rateMinutes) },
      failureRate: finished === 0 ? null : totals.tasksFailed / finished,
      durationMs: { p50: percentile(0.5), p95: percentile(0.95), count: timed },
      sparkline: { tasks, failed },
    };
  }

  /** The current minute's bucket of a handler, made (or recycled from an hour ago) on demand. */
  private bucket(handler: string, now: number): MinuteBucket | null {
    let ring = this.series.get(handler);
    if (!ring) {
      if (this.series.size >= MAX_HANDLERS) {
        this.dropped++;
        return null;
      }
      ring = new Array<MinuteBucket | null>(WINDOW_MINUTES).fill(null);
      this.series.set(handler, ring);
    }
    const minute = Math.floor(now / MINUTE_MS);
    const slot = minute % WINDOW_MINUTES;
    let b = ring[slot];
    if (!b || b.minute !== minute) {
      const histogram = b?.histogram ?? null;
      histogram?.fill(0);
      b = {
        minute, jobsCreated: 0, jobsFinished: 0, jobsWithErrors: 0, jobsCancelled: 0, tasksDone: 0, tasksFailed: 0, attemptsRetried: 0,
        timed: 0, histogram, minMs: Infinity, maxMs: -Infinity,
      };
      ring[slot] = b;
    }
    return b;
  }
}

/** Adds an attempt's duration to the bucket's histogram (events of older versions have none). */
function time(b: MinuteBucket, ms: number | undefined): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return;
  b.histogram ??= new Uint32Array(HISTOGRAM_BINS);
  b.histogram[binOf(ms)]++;
  b.timed++;
  if (ms < b.minMs) b.minMs = ms;
  if (ms > b.maxMs) b.maxMs = ms;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
