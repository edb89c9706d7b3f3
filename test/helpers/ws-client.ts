/**
 * A `ws` client for tests: records every frame as text and lets a test wait for one. Every socket
 * opened is closed by `closeTestSockets` (call it in afterEach).
 */
import WebSocket from 'ws';

const WAIT_MS = 5_000;
const openSockets = new Set<TestSocket>();

export async function closeTestSockets(): Promise<void> {
  await Promise.all([...openSockets].map((s) => s.close()));
}

/** A `ws` client that records every frame as text and lets a test wait for one. */
export class TestSocket {
  readonly frames: string[] = [];
  private waiters: { match: (f: string) => boolean; resolve: (f: string) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = data.toString();
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
  }

  /** Connects and waits for `{"type":"ready"}`. */
  static async open(url: string, cookie?: string): Promise<TestSocket> {
    const socket = new TestSocket(new WebSocket(url, { headers: cookie ? { cookie } : {} }));
    openSockets.add(socket);
    await socket.next((f) => f === '{"type":"ready"}');
    return socket;
  }

  /** The first frame (already received or future) that matches. */
  next(match: (frame: string) => boolean, timeoutMs = WAIT_MS): Promise<string> {
    const seen = this.frames.find(match);
    if (seen !== undefined) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(frame), 1);
          resolve(frame);
        },
      });
    });
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async error(): Promise<unknown> {
    return JSON.parse(await this.next((f) => f.includes('"type":"error"')));
  }

  messagesFor(topic: string): unknown[] {
    return this.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'message' && m.topic === topic);
  }

  close(): Promise<void> {
    openSockets.delete(this);
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

