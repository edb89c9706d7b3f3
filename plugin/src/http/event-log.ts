/**
 * What `jobs/events` waits on: the events this process publishes (its own and, through the log
 * follower, every other replica's), per job, keyed by their durable sequence numbers. The events
 * it answers are read from the durable log (`readDurablePage`); this buffer tells the long poll
 * when to read again, and whether this process has published a job's final event.
 * (`read` is the buffer's own page, from before the durable log; events without `seq` are
 * numbered here.)
 */
import type { EngineEvent } from '../events.js';

/** One event as `jobs/events` answers it: the engine event plus its sequence number and time. */
export type LoggedEvent = { seq: number; at: string } & Omit<EngineEvent, 'startedBy'>;

interface JobBuffer {
  events: LoggedEvent[];
  lastSeq: number;
  /** Sequence number of the job's `job:finished`, unless a `job:retried` came after it. */
  finalSeq: number | null;
  waiters: Set<() => void>;
}

export interface EventLogOptions {
  /** Events kept per job; older ones are dropped (a reader that falls behind gets `truncated`). */
  perJob?: number;
  /** Jobs kept; the job that was written to least recently is forgotten first. */
  jobs?: number;
}

export interface EventPage {
  events: LoggedEvent[];
  lastSeq: number;
  /** Events after `after` were dropped from the buffer before this read: the page starts later. */
  truncated: boolean;
  /** `after` was beyond the last sequence number (this process restarted): the page starts at the oldest event kept. */
  reset: boolean;
}

export class EventLog {
  private readonly buffers = new Map<string, JobBuffer>();
  private readonly perJob: number;
  private readonly maxJobs: number;

  constructor(options: EventLogOptions = {}) {
    this.perJob = options.perJob ?? 1000;
    this.maxJobs = options.jobs ?? 1000;
  }

  append(event: EngineEvent): void {
    const buffer = this.buffer(event.jobId, true)!;
    // Re-inserting keeps the Map ordered by last write, so the oldest key is the one to evict.
    this.buffers.delete(event.jobId);
    this.buffers.set(event.jobId, buffer);
    if (this.buffers.size > this.maxJobs) {
      const oldest = this.buffers.keys().next().value as string;
      this.buffers.get(oldest)?.waiters.forEach((wake) => wake());
      this.buffers.delete(oldest);
    }
    const { startedBy: _startedBy, seq, ...rest } = event as EngineEvent & { seq?: number };
    // Events from the durable log carry their sequence number: waiters compare with it.
    buffer.lastSeq = typeof seq === 'number' ? Math.max(buffer.lastSeq, seq) : buffer.lastSeq + 1;
    if (event.type === 'job:finished') buffer.finalSeq = buffer.lastSeq;
    else if (event.type === 'job:retried') buffer.finalSeq = null;
    buffer.events.push({ seq: buffer.lastSeq, at: new Date().toISOString(), ...rest } as LoggedEvent);
    // Trimmed in batches (at twice the capacity) so a busy job does not shift the array per event.
    if (buffer.events.length >= 2 * this.perJob) buffer.events.splice(0, buffer.events.length - this.perJob);
    const waiters = [...buffer.waiters];
    buffer.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Events of `jobId` with a sequence number above `after`, at most `limit`. */
  read(jobId: string, after: number, limit: number): EventPage {
    const buffer = this.buffers.get(jobId);
    if (!buffer) return { events: [], lastSeq: 0, truncated: false, reset: after > 0 };
    const reset = after > buffer.lastSeq;
    const from = reset ? 0 : after;
    // Between trims the array holds up to twice `perJob`; only the newest `perJob` count as kept.
    const kept = buffer.events.length > this.perJob ? buffer.events.slice(-this.perJob) : buffer.events;
    const firstKept = kept[0]?.seq ?? buffer.lastSeq + 1;
    const start = kept.findIndex((e) => e.seq > from);
    const events = start === -1 ? [] : kept.slice(start, start + limit);
    return { events, lastSeq: buffer.lastSeq, truncated: from + 1 < firstKept && !reset, reset };
  }

  /** Whether this process published the job's last `job:finished` (no retry since). */
  hasFinalEvent(jobId: string): boolean {
    return (this.buffers.get(jobId)?.finalSeq ?? null) !== null;
  }

  /**
   * Resolves when `jobId` gets an event above `after`, after `timeoutMs`, or when `signal` aborts
   * (the client went away) — whichever comes first. Never rejects.
   */
  waitForEvent(jobId: string, after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const existing = this.buffers.get(jobId);
    if (existing && existing.lastSeq > after) return Promise.resolve();
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    const buffer = this.buffer(jobId, true)!;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        buffer.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', done, { once: true });
      buffer.waiters.add(done);
    });
  }

  private buffer(jobId: string, create: boolean): JobBuffer | undefined {
    let buffer = this.buffers.get(jobId);
    if (!buffer && create) {
      buffer = { events: [], lastSeq: 0, finalSeq: null, waiters: new Set() };
      this.buffers.set(jobId, buffer);
    }
    return buffer;
  }
}

/** A page of `jobs/events` from the durable log (the store's `af_bj_events`). */
export function durablePage(read: { batches: { firstSeq: number; at: number; events: EngineEvent[] }[]; lastSeq: number; oldestSeq: number | null }, after: number, limit: number): EventPage {
  const reset = after > read.lastSeq;
  const from = reset ? 0 : after;
  const events: LoggedEvent[] = [];
  for (const batch of read.batches) {
    batch.events.forEach((event, i) => {
      const seq = batch.firstSeq + i;
      if (seq <= from || events.length >= limit) return;
      const { startedBy: _startedBy, ...rest } = event;
      events.push({ seq, at: new Date(batch.at).toISOString(), ...rest } as LoggedEvent);
    });
  }
  const oldest = read.oldestSeq ?? read.lastSeq + 1;
  return { events, lastSeq: read.lastSeq, truncated: !reset && from + 1 < oldest && read.lastSeq > from, reset };
}
