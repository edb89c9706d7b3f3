/**
 * The durable event log's path through one process (issue 9, docs/scaling.md).
 *
 * Every engine event is written to the job's log (`af_bj_events`) before anyone hears of it, and
 * gets the job's next sequence number there, in the same transaction as the change it describes:
 * task events in the runner's flush, job events in the store write of the job's change (activation,
 * promotion, state, retry, cancel, the flush that finishes it; `ChangeEvents` in job-store.ts). The
 * one exception is job:progress, a report on counters already committed rather than a change: it is
 * written on its own (`append`, batched per job and kept in call order).
 *
 * Publishing is exactly once per process and in sequence order: each job has a cursor (the last
 * sequence number published here). Events of this process's writes are handed in at once
 * (`written`); the log follower reads the rest — events other replicas wrote — from the log, woken
 * by PostgreSQL's NOTIFY where the store supports it and by polling every `pollMs` in any case.
 * An event ahead of the cursor waits until the follower has read the ones before it; an event at
 * or below the cursor was published already and is dropped.
 */
import type { EngineEvent } from '../events.js';
import type { JobStore } from '../store/job-store.js';
import type { Logger } from './logger.js';
import { errorMessage } from '../errors.js';

export type SequencedEvent = EngineEvent & { seq: number };

export interface EventStreamOptions {
  store: JobStore;
  owner: string;
  publish: (event: SequencedEvent) => void;
  log: Logger;
  /** How often the follower looks for other replicas' events (ms). */
  pollMs: number;
  /** Called for each event another process wrote, as the follower reads it (before it is published). */
  fromOthers?: (jobKey: number, event: EngineEvent) => void;
}

interface Cursor {
  published: number;
  pending: Map<number, EngineEvent>;
  fetching: Promise<void> | null;
  again: boolean;
  seenAt: number;
}

/** Jobs finished this long ago are still followed (their last events may come from another replica). */
const FOLLOW_FINISHED_MS = 60_000;
const READ_ROWS = 500;
const MAX_CURSORS = 10_000;

export class EventStream {
  private readonly cursors = new Map<number, Cursor>();
  private readonly appends = new Map<number, { queue: EngineEvent[]; waiters: (() => void)[]; running: boolean }>();
  /** Jobs that had events when this process started: followed from their current end, not replayed. */
  private known: Map<number, number> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private polling = false;
  private stopped = false;

  constructor(private readonly options: EventStreamOptions) {}

  async start(): Promise<void> {
    if (this.known) return;
    const now = Date.now();
    this.known = new Map((await this.options.store.eventCursors(now - FOLLOW_FINISHED_MS)).map((c) => [c.jobKey, c.lastSeq]));
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    if (this.options.store.listenEvents) {
      try {
        this.unlisten = await this.options.store.listenEvents((jobKey, lastSeq, owner) => {
          // This process's own writes are handed in by the writer (`written`).
          if (owner === this.options.owner) return;
          const cursor = this.cursor(jobKey);
          if (lastSeq > cursor.published) this.fetch(jobKey);
        });
      } catch (error) {
        this.options.log('warn', `background-jobs: could not LISTEN for events of other replicas, polling every ${this.options.pollMs} ms: ${errorMessage(error)}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Appends in flight are finished: a stopping runner's last events are still written. Reads in
    // flight are waited for too: the caller may close the database once this resolves.
    while ([...this.appends.values()].some((a) => a.running || a.queue.length > 0)
      || this.polling || [...this.cursors.values()].some((c) => c.fetching)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  /**
   * Writes an event that describes no change of its own (job:progress: counters another write
   * already committed) to the log, then publishes it. Events of a change are written with it.
   */
  append(jobKey: number, event: EngineEvent): Promise<void> {
    let entry = this.appends.get(jobKey);
    if (!entry) this.appends.set(jobKey, entry = { queue: [], waiters: [], running: false });
    entry.queue.push(event);
    const done = new Promise<void>((resolve) => entry!.waiters.push(resolve));
    if (!entry.running) void this.runAppends(jobKey, entry);
    return done;
  }

  private async runAppends(jobKey: number, entry: { queue: EngineEvent[]; waiters: (() => void)[]; running: boolean }): Promise<void> {
    entry.running = true;
    try {
      while (entry.queue.length > 0) {
        const events = entry.queue;
        const waiters = entry.waiters;
        entry.queue = [];
        entry.waiters = [];
        let lastSeq: number | null = null;
        for (let attempt = 1; attempt <= 3; attempt++) {
          try {
            lastSeq = await this.options.store.appendEvents(jobKey, this.options.owner, Date.now(), events);
            break;
          } catch (error) {
            if (attempt === 3) this.options.log('error', `background-jobs: could not write ${events.length} event(s) of job key ${jobKey}: ${errorMessage(error)}`);
            else await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          }
        }
        if (lastSeq !== null) this.written(jobKey, lastSeq, events);
        for (const wake of waiters) wake();
      }
    } finally {
      entry.running = false;
      if (entry.queue.length === 0) this.appends.delete(jobKey);
    }
  }

  /** Events a write of this process stored as `lastSeq - events.length + 1 … lastSeq`. */
  written(jobKey: number, lastSeq: number, events: EngineEvent[]): void {
    const cursor = this.cursor(jobKey);
    const first = lastSeq - events.length + 1;
    if (first === cursor.published + 1 && cursor.pending.size === 0) {
      // The usual case (no other writer in between): publish at once, in order.
      for (const event of events) this.publishOne(event, ++cursor.published);
      return;
    }
    for (let i = 0; i < events.length; i++) {
      if (first + i > cursor.published) cursor.pending.set(first + i, events[i]);
    }
    this.drain(jobKey, cursor);
    if (cursor.pending.size > 0) this.fetch(jobKey);
  }

  private cursor(jobKey: number): Cursor {
    let cursor = this.cursors.get(jobKey);
    if (!cursor) {
      // A job that had events before this process started is followed from its end then; any
      // other job is new to this process, and all of its events are published here.
      cursor = { published: this.known?.get(jobKey) ?? 0, pending: new Map(), fetching: null, again: false, seenAt: Date.now() };
      this.cursors.set(jobKey, cursor);
      if (this.cursors.size > MAX_CURSORS) this.forgetIdle();
    }
    cursor.seenAt = Date.now();
    return cursor;
  }

  private forgetIdle(): void {
    const idle = [...this.cursors.entries()].filter(([, c]) => c.pending.size === 0 && !c.fetching).sort((a, b) => a[1].seenAt - b[1].seenAt);
    for (const [jobKey, c] of idle.slice(0, Math.ceil(MAX_CURSORS / 10))) {
      this.cursors.delete(jobKey);
      this.known?.set(jobKey, c.published);
    }
  }

  private drain(jobKey: number, cursor: Cursor): void {
    for (;;) {
      const next = cursor.pending.get(cursor.published + 1);
      if (!next) return;
      cursor.pending.delete(cursor.published + 1);
      cursor.published += 1;
      this.publishOne(next, cursor.published);
    }
  }

  private publishOne(event: EngineEvent, seq: number): void {
    // The event objects are this stream's own (built by the engine or parsed from the log).
    (event as SequencedEvent).seq = seq;
    try {
      this.options.publish(event as SequencedEvent);
    } catch (error) {
      this.options.log('error', `background-jobs: publishing ${event.type} failed: ${errorMessage(error)}`);
    }
  }

  /** Reads the job's log after the cursor and publishes what is there, in order. */
  private fetch(jobKey: number): void {
    if (this.stopped) return;
    const cursor = this.cursor(jobKey);
    if (cursor.fetching) {
      cursor.again = true;
      return;
    }
    cursor.fetching = (async () => {
      do {
        cursor.again = false;
        try {
          for (;;) {
            const read = await this.options.store.readEvents(jobKey, cursor.published, READ_ROWS);
            for (const batch of read.batches) {
              // This process's own writes wait in `pending` already (`written`): not decoded again.
              if (batch.lastSeq <= cursor.published || (batch.owner === this.options.owner && this.isPending(cursor, batch))) continue;
              const others = batch.owner !== this.options.owner ? this.options.fromOthers : undefined;
              batch.events.forEach((event, i) => {
                const seq = batch.firstSeq + i;
                if (seq <= cursor.published || cursor.pending.has(seq)) return;
                cursor.pending.set(seq, event);
                others?.(jobKey, event);
              });
            }
            this.drain(jobKey, cursor);
            // A gap this read should have filled (it saw the log up to the gap's end) but did not:
            // those events were dropped (retention), so skip to what is there. A read older than
            // the gap (the events ahead came in while it ran) proves nothing: `again` reads anew.
            if (cursor.pending.size > 0 && read.batches.length < READ_ROWS) {
              const lowest = Math.min(...cursor.pending.keys());
              if (read.lastSeq >= lowest - 1 && (read.oldestSeq === null || read.oldestSeq > cursor.published + 1)) {
                cursor.published = lowest - 1;
                this.drain(jobKey, cursor);
              }
            }
            if (read.batches.length < READ_ROWS || this.stopped) break;
          }
        } catch (error) {
          this.options.log('error', `background-jobs: could not read events of job key ${jobKey}: ${errorMessage(error)}`);
          break;
        }
      } while (cursor.again && !this.stopped);
      cursor.fetching = null;
    })();
  }

  /** Every event of `batch` above the cursor waits in `pending`. */
  private isPending(cursor: Cursor, batch: { firstSeq: number; lastSeq: number }): boolean {
    for (let seq = Math.max(batch.firstSeq, cursor.published + 1); seq <= batch.lastSeq; seq++) {
      if (!cursor.pending.has(seq)) return false;
    }
    return true;
  }

  /** The follower's tick: jobs whose log moved past this process's cursor are read. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const cursors = await this.options.store.eventCursors(Date.now() - FOLLOW_FINISHED_MS);
      for (const { jobKey, lastSeq } of cursors) {
        const cursor = this.cursor(jobKey);
        if (lastSeq > cursor.published) this.fetch(jobKey);
      }
    } catch (error) {
      this.options.log('error', `background-jobs: could not poll the event log: ${errorMessage(error)}`);
    } finally {
      this.polling = false;
    }
  }
}
