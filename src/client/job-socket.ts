/**
 * The `/afws` websocket as `tail` uses it (contract §4): connect with the session cookie, wait for
 * `{"type":"ready"}` (message listeners are attached only after the async JWT verify, so anything
 * sent earlier is lost), subscribe to the job's topics, send text `ping` every 10 s, and reconnect
 * with backoff when the connection drops. Each message about the job rings `onActivity` with the
 * event's `seq` (its number in the job's durable log, docs/http-api.md `jobs/events`).
 *
 * The socket is a doorbell, not the record: a subscribe has no acknowledgement (a publish racing
 * it is lost), nothing is replayed after a reconnect, and the state topics (`job:state`) are not
 * followed here. The numbers let the follower (job-follower.ts) skip a read when a message brings
 * nothing new and read at once when one shows a gap; what happened is always read from
 * `jobs/events`.
 */
import type { SocketConnection, Transport } from './transport.js';

export interface JobSocketOptions {
  transport: Transport;
  /** `ws://host:port/<baseUrl>/afws`. */
  url: string;
  headers: Record<string, string>;
  jobId: string;
  /** `/background-jobs-task-update/<jobId>`: every message on it is about the job. */
  taskTopic: string;
  /** `/background-jobs-job-update`: shared by all jobs; only messages with our `jobId` count. */
  jobTopic: string;
  /**
   * A message about the job arrived (`seq`: its event's number, absent from a plugin older than
   * the durable event log), or the socket (re)subscribed (no `seq`): time to read the event log.
   */
  onActivity(seq?: number): void;
  /** `ready` came and the subscriptions were sent. */
  onReady(): void;
  /** The socket went down (it reconnects by itself unless it became unusable). */
  onDown(reason: string): void;
  /** The socket cannot be used here at all (no websocket on that path, topics refused). */
  onUnusable(reason: string): void;
}

const PING_EVERY_MS = 10_000;
/** A connection with no `pong` for this long is treated as dead (half-open TCP, a stalled proxy). */
const PONG_DEADLINE_MS = 25_000;
const READY_DEADLINE_MS = 10_000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class JobSocket {
  /** Connected, `ready` received and subscriptions sent. */
  healthy = false;
  /** Gave up for good: the follower long-polls instead. */
  unusable = false;
  private connection?: SocketConnection;
  private stopped = false;
  private everReady = false;
  private failures = 0;
  private timers = new Set<NodeJS.Timeout>();
  private lastPong = 0;
  private generation = 0;

  constructor(private readonly options: JobSocketOptions) {}

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.healthy = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.connection?.terminate();
  }

  private timer(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private giveUp(reason: string): void {
    if (this.unusable) return;
    this.unusable = true;
    this.healthy = false;
    this.connection?.terminate();
    this.options.onUnusable(reason);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.unusable) return;
    const { options } = this;
    // Timers and callbacks of an older connection check this and do nothing.
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.stopped;
    let ready = false;
    let closed = false;
    const onClose = (reason: string) => {
      if (closed || !current()) return;
      closed = true;
      const wasHealthy = this.healthy;
      this.healthy = false;
      if (this.unusable) return;
      if (wasHealthy) this.failures = 0;
      options.onDown(reason);
      const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
      this.failures += 1;
      this.timer(delay, () => void this.connect());
    };
    const ping = () => {
      if (!current() || !this.healthy) return;
      if (Date.now() - this.lastPong > PONG_DEADLINE_MS) {
        this.connection?.terminate();
        return;
      }
      this.connection?.send('ping');
      this.timer(PING_EVERY_MS, ping);
    };
    try {
      this.connection = await options.transport.openSocket(options.url, options.headers, {
        open: () => {
          this.timer(READY_DEADLINE_MS, () => {
            if (current() && !ready) this.connection?.terminate();
          });
        },
        message: (text) => {
          if (!current()) return;
          if (text === 'pong') {
            this.lastPong = Date.now();
            return;
          }
          let frame: { type?: string; topic?: string; message?: string; data?: { jobId?: unknown; seq?: unknown } };
          try {
            frame = JSON.parse(text);
          } catch {
            return;
          }
          if (frame.type === 'ready') {
            ready = true;
            this.everReady = true;
            for (const topic of [options.taskTopic, options.jobTopic]) {
              this.connection?.send(JSON.stringify({ type: 'subscribe', topic }));
            }
            this.healthy = true;
            this.lastPong = Date.now();
            this.timer(PING_EVERY_MS, ping);
            options.onReady();
            // Whatever happened while there was no subscription is in the event log.
            options.onActivity();
          } else if (frame.type === 'error' && frame.message === 'Unauthorized') {
            this.giveUp("the app does not let this login subscribe to the job's websocket topics");
          } else if (frame.type === 'message') {
            if (frame.topic === options.taskTopic || (frame.topic === options.jobTopic && String(frame.data?.jobId) === options.jobId)) {
              const seq = frame.data?.seq;
              options.onActivity(typeof seq === 'number' && Number.isInteger(seq) && seq > 0 ? seq : undefined);
            }
          }
        },
        close: (code, reason) => onClose(`closed (${code}${reason ? ` ${reason}` : ''})`),
        // Always followed by `close`, which reconnects.
        error: () => {},
        unexpectedResponse: (status) => {
          // No websocket on this path (or a proxy that refuses upgrades). Once it has worked, a
          // refusal is a restart in progress: keep retrying.
          if (!this.everReady) this.giveUp(`the app answered the websocket upgrade with HTTP ${status}`);
        },
      });
      if (!current()) this.connection.terminate();
    } catch (error) {
      onClose(`could not open: ${(error as Error).message}`);
    }
  }
}
