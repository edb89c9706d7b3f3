/**
 * Follows one job until it finishes: what `tail` (and `retry --follow`) print.
 *
 * What happened comes from `jobs/events`, the job's durable event log (docs/http-api.md): every
 * event has a per-job sequence number that never restarts, across app restarts and replicas, so
 * printing only events above the last number printed is what makes "no event lost, none repeated"
 * checkable. The `/afws` websocket (job-socket.ts) says *when* to read. Its payloads carry the
 * same numbers: a message whose number was printed already brings nothing new (no read), one that
 * skips numbers shows a gap (messages lost while the socket reconnected, a subscribe that raced a
 * publish, or a `job:state` event, which goes to a topic tail does not follow) and is read at
 * once, without waiting to gather a burst. A message without a number (a plugin older than the
 * durable log) and each (re)subscription always trigger a read, and a safety read comes every 2 s
 * (a subscribe is not acknowledged, so a publish racing it is lost). Without a usable socket — a
 * token login (AdminForth's socket takes only the cookie), a proxy that refuses upgrades,
 * `--poll` — the reads are long-polls.
 *
 * A restarted app goes on with the same numbers, so a restart loses nothing the app committed. A
 * safeguard stays for a log that no longer goes as far as the last number seen (pruned or reset,
 * or an app older than the durable log, whose numbers were per process): a read after anything
 * suspicious (a dropped socket or request, and every read while the socket drives them) asks from
 * one event before the last one seen and checks that this event is still the same (`seq`, `at`,
 * `type`). If it is not, the follower says so, starts again from the log's first event, and asks
 * the caller to re-read the job's counts. docs/cli.md ("tail") states exactly what is guaranteed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '../errors.js';
import type { EventPage, JobEvent } from './api-types.js';
import { HttpStatusError } from './http-client.js';
import { JobSocket } from './job-socket.js';
import type { JobsApi } from './jobs-api.js';
import type { Transport } from './transport.js';

/** A position in a job's event log: the last sequence number seen and that event. */
export interface LogPosition {
  seq: number;
  event: JobEvent | null;
}

export interface FollowOptions {
  jobs: JobsApi;
  transport: Transport;
  jobId: string;
  /** Where to start: `{ seq: 0 }` replays the events the app still holds. */
  from: LogPosition;
  /** `auto`: the websocket when it can be used, else long-poll; `poll`: long-poll only. */
  mode: 'auto' | 'poll';
  /** Aborts the follow (`--timeout`, Ctrl-C). */
  signal: AbortSignal;
  onEvent(event: JobEvent): void;
  /** Something the user should know (reconnecting, fell back to long-poll). */
  onInfo(message: string): void;
  /** Events may have been missed: say so; the caller re-reads the job's counts. */
  onGap(message: string): void;
  /** Details for `--verbose` (the websocket's ups and downs). */
  onDebug(message: string): void;
}

const PAGE = 500;
const LONG_POLL_MS = 25_000;
/** With a socket that may come back, long-polls are shorter so the follower returns to it soon. */
const SHORT_POLL_MS = 5_000;
const SAFETY_READ_MS = 2_000;
/** Events of a burst are read together: the follower waits this long after a ring (not after a gap). */
const COALESCE_MS = 40;
const RETRY_MS = [250, 500, 1000, 2000, 4000];
/** An app unreachable for this long ends the follow with a ConnectionError. */
const GIVE_UP_AFTER_MS = 120_000;

const sameEvent = (a: JobEvent, b: JobEvent) => a.seq === b.seq && a.at === b.at && a.type === b.type;

/**
 * Resolves on `ring()` (or at once if it rang since the last wait), after `ms`, or on abort; with
 * whether it rang.
 */
class Doorbell {
  private rung = false;
  private wake?: () => void;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  async wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    const rung = this.rung;
    this.rung = false;
    return rung;
  }
}

/** What the socket said since the last read. */
interface News {
  /** Read whatever the numbers say: a message without `seq`, a (re)subscription, the socket went down. */
  read: boolean;
  /** The highest `seq` heard (0: none). */
  newest: number;
  /** A message skipped numbers: read at once. */
  gap: boolean;
}

const noNews = (): News => ({ read: false, newest: 0, gap: false });

/** The end of the job's log now (for `--new` and `retry --follow`): reads without printing. */
export async function currentPosition(jobs: JobsApi, jobId: string): Promise<LogPosition> {
  const position: LogPosition = { seq: 0, event: null };
  for (;;) {
    const page = await jobs.events(jobId, { after: position.seq, timeoutMs: 0, limit: PAGE });
    const last = page.events.at(-1);
    if (last) {
      position.seq = last.seq;
      position.event = last;
    }
    if (page.events.length < PAGE) return position;
  }
}

export class JobFollower {
  private seq: number;
  private last: JobEvent | null;
  /** The next read must check that the log is still the one `seq` belongs to. */
  private suspect = false;
  private socket?: JobSocket;
  private readonly doorbell = new Doorbell();
  private news = noNews();
  /** The highest `seq` the socket brought since the follower started (or restarted the log). */
  private heardSeq = 0;

  constructor(private readonly options: FollowOptions) {
    this.seq = options.from.seq;
    this.last = options.from.event;
  }

  /** Resolves once the app reports the job finished and every event it holds was delivered. */
  async run(): Promise<void> {
    const { options } = this;
    this.startSocket();
    let readNow = true;
    let outageSince = 0;
    let failures = 0;
    try {
      for (;;) {
        options.signal.throwIfAborted();
        if (this.socket?.healthy === true && !readNow) await this.waitForNews();
        const socketDriven = this.socket?.healthy === true;
        // This read covers everything heard so far; what comes during it is judged after it.
        this.news = noNews();
        const verify = (this.suspect || socketDriven) && this.seq > 0 && this.last !== null;
        const after = verify ? this.seq - 1 : this.seq;
        const timeoutMs = socketDriven ? 0 : this.socket && !this.socket.unusable ? SHORT_POLL_MS : LONG_POLL_MS;
        let page: EventPage;
        try {
          page = await options.jobs.events(options.jobId, { after, timeoutMs, limit: PAGE }, options.signal);
        } catch (error) {
          if (options.signal.aborted) throw options.signal.reason;
          if (!(error instanceof ConnectionError) && !(error instanceof HttpStatusError && error.status >= 500)) throw error;
          // The app is down or restarting: keep trying (the log is checked once it answers again).
          this.suspect = true;
          if (outageSince === 0) {
            outageSince = Date.now();
            const why = error instanceof HttpStatusError ? `HTTP ${error.status}` : error.message.replace(/^Cannot reach \S+ \(([^;)]*).*$/, '$1');
            options.onInfo(`Lost contact with ${options.jobs.http.url} (${why}); retrying…`);
          } else if (Date.now() - outageSince > GIVE_UP_AFTER_MS) {
            throw error;
          }
          await sleep(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)], undefined, { signal: options.signal });
          readNow = true;
          continue;
        }
        if (outageSince !== 0) {
          options.onInfo('Reconnected.');
          outageSince = 0;
        }
        failures = 0;
        const outcome = this.accept(page, verify);
        if (outcome === 'restarted') {
          readNow = true;
          continue;
        }
        if (page.finished && outcome === 'ok') return;
        // 'unverified' (a young log without our last number yet) waits for the next ring or poll.
        readNow = page.events.length >= PAGE;
      }
    } finally {
      this.socket?.stop();
    }
  }

  /**
   * While the socket drives the reads: waits for a message that brings something new (after a
   * gap, returns at once; else waits `COALESCE_MS` more so a burst is read together), for the
   * socket to go down, or for the safety read.
   */
  private async waitForNews(): Promise<void> {
    const { signal, onDebug } = this.options;
    // Skipped rings do not put the safety read off.
    const safetyReadAt = Date.now() + SAFETY_READ_MS;
    for (;;) {
      const rung = await this.doorbell.wait(Math.max(0, safetyReadAt - Date.now()), signal);
      signal.throwIfAborted();
      const news = this.news;
      // The safety read, or the socket went down (the next read long-polls).
      if (!rung || this.socket?.healthy !== true) return;
      if (news.gap && news.newest > this.seq) {
        onDebug(`websocket: event #${news.newest} skipped numbers after #${this.seq}; reading now`);
        return;
      }
      if (news.read || news.newest > this.seq || (this.suspect && news.newest > 0)) {
        await sleep(COALESCE_MS, undefined, { signal });
        return;
      }
      // A ring about what the last read covered already.
      if (news.newest === 0) continue;
      // Every message since the last read is about an event printed already.
      onDebug(`websocket: nothing after #${this.seq} (heard up to #${news.newest}); no read`);
      this.news = noNews();
    }
  }

  /** A message about the job (`seq` when the plugin numbers them), or a (re)subscription. */
  private heard(seq?: number): void {
    if (seq === undefined) {
      this.news.read = true;
    } else {
      if (seq > Math.max(this.seq, this.heardSeq) + 1) this.news.gap = true;
      this.heardSeq = Math.max(this.heardSeq, seq);
      this.news.newest = Math.max(this.news.newest, seq);
    }
    this.doorbell.ring();
  }

  /** Delivers a page's new events; tells whether the log is the one the follower was reading. */
  private accept(page: EventPage, verified: boolean): 'ok' | 'restarted' | 'unverified' {
    let events = page.events;
    const first = events[0];
    if (verified) {
      if (page.reset || (first && (first.seq < this.seq || (first.seq === this.seq && !sameEvent(first, this.last!))))) {
        return this.restarted();
      }
      // Nothing at or after our last number yet: the log may be a younger one. Ask again (and
      // until then, a message numbered below ours is news too).
      if (!first) {
        if (page.finished) return 'ok';
        this.suspect = true;
        return 'unverified';
      }
      if (first.seq === this.seq) events = events.slice(1);
      else this.options.onGap(this.droppedMessage(first.seq - this.seq - 1));
      this.suspect = false;
    } else if (page.reset) {
      return this.restarted();
    } else if (page.truncated && first) {
      const missed = first.seq - this.seq - 1;
      if (this.seq === 0) this.options.onInfo(`The app no longer holds the first ${missed} event(s) of job ${this.options.jobId}; showing from event #${first.seq}.`);
      else this.options.onGap(this.droppedMessage(missed));
    }
    for (const event of events) {
      if (event.seq <= this.seq) continue;
      this.seq = event.seq;
      this.last = event;
      this.options.onEvent(event);
    }
    return 'ok';
  }

  private droppedMessage(missed: number): string {
    return `${missed} event(s) of job ${this.options.jobId} were dropped by the app before tail read them ` +
      '(its event log keeps at most `maxEventsPerJob` per job, and only `eventRetentionMs` after the job finished); counts are re-read.';
  }

  /**
   * The log no longer holds the last event seen. With the durable log this takes a log pruned or
   * reset under the follower (or an app older than it, numbering per process): start again.
   */
  private restarted(): 'restarted' {
    this.options.onGap(
      `The app's event numbers for job ${this.options.jobId} started again (its event log was reset, or the app predates the durable log and restarted): ` +
      `events after #${this.seq} that it no longer holds could not be read; counts are re-read.`,
    );
    this.seq = 0;
    this.last = null;
    this.suspect = false;
    this.heardSeq = 0;
    return 'restarted';
  }

  private startSocket(): void {
    const { options } = this;
    if (options.mode === 'poll') return;
    const { http, instance } = options.jobs;
    const credentials = http.identity.credentials;
    if (credentials?.kind !== 'session') {
      options.onInfo("Following through jobs/events (long-poll): AdminForth's websocket takes only the login cookie, not personal tokens.");
      return;
    }
    this.socket = new JobSocket({
      transport: options.transport,
      url: `${http.origin.replace(/^http/, 'ws')}${instance.websocketPath}`,
      headers: http.authHeaders(),
      jobId: options.jobId,
      taskTopic: `/background-jobs-task-update/${options.jobId}`,
      jobTopic: '/background-jobs-job-update',
      onActivity: (seq) => this.heard(seq),
      onReady: () => options.onDebug(`websocket: subscribed to job ${options.jobId}'s topics`),
      onDown: (reason) => {
        // A restart may have happened while nothing was being read; read (long-poll) at once.
        this.suspect = true;
        options.onDebug(`websocket: ${reason}; reconnecting`);
        this.heard();
      },
      onUnusable: (reason) => {
        options.onInfo(`Following through jobs/events (long-poll): ${reason}.`);
        this.heard();
      },
    });
    this.socket.start();
  }
}
