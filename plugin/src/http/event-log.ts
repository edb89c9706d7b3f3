/**
 * What a `jobs/events` long poll waits on. Every page it answers is read from the durable log
 * (`durablePage` below, over the store's `af_bj_events`); this class keeps no events, only, per job,
 * the last sequence number this process has published (its own events and, through the log
 * follower, every other replica's) and the long polls waiting for the next one. It sits on the publish path of every engine event, so `append` does
 * no more than that bookkeeping. (An event without `seq` is numbered here, one past the last.)
 */
import type { EngineEvent } from '../events.js';

/** One event as `jobs/events` answers it: the engine event plus its sequence number and time. */
export type LoggedEvent = { seq: number; at: string } & Omit<EngineEvent, 'startedBy'>;

interface JobState {
  lastSeq: number;
  waiters: Set<() => void>;
}

export interface EventLogOptions {
  /** Jobs kept; the job that was written to least recently is forgotten first (its waiters are woken). */
  jobs?: number;
}

export interface EventPage {
  events: LoggedEvent[];
  lastSeq: number;
  /** Events after `after` were dropped from the log before this read: the page starts later. */
  truncated: boolean;
  /** `after` was beyond the last sequence number (the log is older than the reader's number): the page starts at the oldest event kept. */
  reset: boolean;
}

export class EventLog {
  private readonly jobs = new Map<string, JobState>();
  private readonly maxJobs: number;

  constructor(options: EventLogOptions = {}) {
    this.maxJobs = options.jobs ?? 1000;
  }

  /** Records that `event` was published and wakes the job's waiters. */
  append(event: EngineEvent): void {
    const state = this.jobs.get(event.jobId) ?? { lastSeq: 0, waiters: new Set<() => void>() };
    // Re-inserting keeps the Map ordered by last write, so the oldest key is the one to evict.
    this.jobs.delete(event.jobId);
    this.jobs.set(event.jobId, state);
    if (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value as string;
      // Woken waiters read the durable log again, so forgetting a job loses no events.
      const evicted = this.jobs.get(oldest)!;
      this.jobs.delete(oldest);
      evicted.waiters.forEach((wake) => wake());
    }
    // Events from the durable log carry their sequence number: waiters compare with it.
    const seq = (event as EngineEvent & { seq?: number }).seq;
    state.lastSeq = typeof seq === 'number' ? Math.max(state.lastSeq, seq) : state.lastSeq + 1;
    if (state.waiters.size === 0) return;
    const waiters = [...state.waiters];
    state.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves when `jobId` gets an event above `after`, after `timeoutMs`, when `signal` aborts
   * (the client went away), or when the job is forgotten to make room for others — whichever comes
   * first. Never rejects.
   */
  waitForEvent(jobId: string, after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    let state = this.jobs.get(jobId);
    if (state && state.lastSeq > after) return Promise.resolve();
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    if (!state) {
      state = { lastSeq: 0, waiters: new Set() };
      this.jobs.set(jobId, state);
    }
    const waiters = state.waiters;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
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
