/**
 * The `/afws` websocket (contract §4): anonymous sockets are accepted, the auth cookie is read on
 * upgrade, `{"type":"ready"}` follows the async verify, topics are exact strings, and publish is
 * fire-and-forget with no replay.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { findCookie, parseCookies } from './http/cookies.js';
import type { AdminUser, IAdminForth, IWebSocketBroker } from './types.js';

/** Topics under this prefix skip `websocketTopicAuth`, even for anonymous sockets (contract §4). */
export const OPEN_TOPIC_PREFIX = '/opentopic/';

/** One connected, registered socket. */
interface Client {
  id: string;
  ws: WebSocket;
  adminUser: AdminUser | null;
  topics: Set<string>;
  lastPing: number;
}

/** How many `filterUsers` checks run at once during a publish (AdminForth uses 10). */
const FILTER_CONCURRENCY = 10;

export class SocketBroker implements IWebSocketBroker {
  private readonly clients = new Set<Client>();
  private wss?: WebSocketServer;
  private httpServer?: Server;
  private upgradeListener?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(private readonly adminforth: IAdminForth) {}

  /** The websocket path: `${baseUrl without trailing /}/afws`. */
  get path(): string {
    return `${(this.adminforth.config.baseUrl || '').replace(/\/+$/, '')}/afws`;
  }

  /** Accepts upgrades to `path` on `httpServer`; upgrades to any other path get 400 and are closed. */
  attach(httpServer: Server): void {
    if (this.wss) throw new Error('SocketBroker is already attached to an http server');
    const wss = new WebSocketServer({ noServer: true });
    this.wss = wss;
    this.httpServer = httpServer;
    this.upgradeListener = (req, socket, head) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname !== this.path) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => void this.register(ws, req));
    };
    httpServer.on('upgrade', this.upgradeListener);
  }

  /**
   * Sends `{ type: 'message', topic, data }` to every socket subscribed to exactly `topic`. With
   * `filterUsers`, each subscriber's `adminUser` (null when anonymous) is checked first, 10 at a
   * time; a check that throws counts as "no".
   */
  async publish(topic: string, data: any, filterUsers?: (adminUser: AdminUser | null) => Promise<boolean> | boolean): Promise<void> {
    const subscribers = [...this.clients].filter((c) => c.topics.has(topic));
    if (subscribers.length === 0) return;
    const envelope = JSON.stringify({ type: 'message', topic, data });
    if (!filterUsers) {
      for (const client of subscribers) send(client.ws, envelope);
      return;
    }
    for (let i = 0; i < subscribers.length; i += FILTER_CONCURRENCY) {
      await Promise.all(
        subscribers.slice(i, i + FILTER_CONCURRENCY).map(async (client) => {
          let allowed = false;
          try {
            allowed = await filterUsers(client.adminUser);
          } catch (err) {
            console.error(`[adminforth host] filterUsers threw while publishing to ${topic}:`, err);
          }
          if (allowed) send(client.ws, envelope);
        }),
      );
    }
  }

  /** Terminates every socket and stops accepting upgrades (host teardown). */
  async close(): Promise<void> {
    if (this.httpServer && this.upgradeListener) this.httpServer.off('upgrade', this.upgradeListener);
    this.httpServer = undefined;
    this.upgradeListener = undefined;
    const wss = this.wss;
    this.wss = undefined;
    if (!wss) return;
    // Sockets still being verified are in wss.clients but not yet in this.clients.
    for (const ws of wss.clients) ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  /**
   * Verifies the cookie, then registers the socket and says `ready`. Message listeners are attached
   * only after the verify, as in AdminForth: anything a client sends before `ready` is lost.
   */
  private async register(ws: WebSocket, req: IncomingMessage): Promise<void> {
    ws.on('error', (err) => console.error('[adminforth host] websocket error:', err));
    const adminUser = await this.userFromCookie(req);
    if (ws.readyState !== WebSocket.OPEN) return;
    const client: Client = { id: clientIdOf(req), ws, adminUser, topics: new Set(), lastPing: Date.now() };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', (raw, isBinary) => void this.onMessage(client, raw, isBinary));
    send(ws, JSON.stringify({ type: 'ready' }));
  }

  private async userFromCookie(req: IncomingMessage): Promise<AdminUser | null> {
    const { auth } = this.adminforth;
    const token = findCookie(parseCookies(req.headers.cookie), auth.getCookieName());
    if (!token) return null;
    try {
      return await auth.verify(token, 'auth');
    } catch (err) {
      console.error('[adminforth host] websocket JWT verification failed:', err);
      return null;
    }
  }

  private async onMessage(client: Client, raw: RawData, isBinary: boolean): Promise<void> {
    const text = isBinary ? '' : raw.toString();
    if (text === 'ping') {
      client.lastPing = Date.now();
      send(client.ws, 'pong');
      return;
    }
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      this.sendError(client, 'Invalid websocket message JSON');
      return;
    }
    if (!message || typeof message !== 'object' || Array.isArray(message) || typeof message.type !== 'string') {
      this.sendError(client, 'Invalid websocket message format');
      return;
    }
    if (message.type !== 'subscribe' && message.type !== 'unsubscribe') {
      this.sendError(client, 'Unknown websocket message type');
      return;
    }
    const { topic } = message;
    if (!topic || typeof topic !== 'string') {
      this.sendError(client, 'No topic provided');
      return;
    }
    if (message.type === 'unsubscribe') {
      client.topics.delete(topic);
      return;
    }
    if (!(await this.mayUseTopic(topic, client.adminUser))) {
      this.sendError(client, 'Unauthorized');
      return;
    }
    client.topics.add(topic);
    const subscribed = this.adminforth.config.auth?.websocketSubscribed;
    if (subscribed) {
      // In the background: the subscriber is registered already, so what the hook publishes arrives.
      Promise.resolve()
        .then(() => subscribed(topic, client.adminUser))
        .catch((err) => console.error(`[adminforth host] websocketSubscribed threw for ${topic}:`, err));
    }
  }

  /** `/opentopic/` is open; otherwise `config.auth.websocketTopicAuth` decides, and a throw is a deny. */
  private async mayUseTopic(topic: string, adminUser: AdminUser | null): Promise<boolean> {
    if (topic.startsWith(OPEN_TOPIC_PREFIX)) return true;
    // The config validator installs the default; this fallback is the same rule for hand-built configs.
    const topicAuth = this.adminforth.config.auth?.websocketTopicAuth ?? (async (_t: string, user: AdminUser | null) => user != null);
    try {
      return Boolean(await topicAuth(topic, adminUser));
    } catch (err) {
      console.error(`[adminforth host] websocketTopicAuth threw for ${topic}:`, err);
      return false;
    }
  }

  private sendError(client: Client, message: string): void {
    send(client.ws, JSON.stringify({ type: 'error', message }));
  }
}

function send(ws: WebSocket, payload: string): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(payload);
}

/** The SPA's `?clientId=` when given, else a fresh id. */
function clientIdOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('clientId') || randomUUID();
}
