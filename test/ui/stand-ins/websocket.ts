/**
 * Stand-in for AdminForth's `@/websocket` (contract §4, "Browser client"): a default export with
 * `subscribe(topic, cb) -> unsubscribeFn` (reference counted per topic: the physical subscribe is
 * sent for the first listener only, the physical unsubscribe when the last one goes),
 * `unsubscribe(topic)` (deprecated: drops every listener of the topic, and warns as AdminForth
 * does), `unsubscribeByPrefix(prefix)`, `unsubscribeAll()`, and the named export `reconnect()`.
 *
 * In a browser it talks to the real `/afws` of the page's origin: waits for `{"type":"ready"}`
 * before (re)subscribing, pings every 10 s, reconnects on close. Component tests turn the socket
 * off (`disableSocket()`) and deliver messages themselves with `emit(topic, data)`.
 */

type Callback = (data: any) => void;
interface Listener { id: number; callback: Callback }

const listeners = new Map<string, Listener[]>();
let nextId = 1;

let socketEnabled = true;
let ws: WebSocket | null = null;
let ready = false;
let connected = false;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
let pingTimer: ReturnType<typeof setInterval> | undefined;

function send(message: unknown): void {
  if (ws && ready) ws.send(JSON.stringify(message));
}

function deliver(topic: string, data: unknown): void {
  // A copy: a callback may unsubscribe while the topic is being delivered.
  for (const listener of [...(listeners.get(topic) ?? [])]) listener.callback(data);
}

function connect(): void {
  if (!socketEnabled || typeof window === 'undefined' || typeof WebSocket === 'undefined') return;
  if (ws && ws.readyState !== WebSocket.CLOSED) return;
  const protocol = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${protocol}://${window.location.host}/afws?clientId=${encodeURIComponent(clientId())}`);
  ws = socket;
  ready = false;
  socket.addEventListener('open', () => {
    if (ws === socket) connected = true;
  });
  socket.addEventListener('message', (event) => {
    if (ws !== socket) return;
    const text = String(event.data);
    if (text === 'pong') return;
    const message = JSON.parse(text);
    if (message.type === 'ready') {
      ready = true;
      for (const topic of listeners.keys()) send({ type: 'subscribe', topic });
    } else if (message.type === 'message') {
      deliver(message.topic, message.data);
    }
  });
  socket.addEventListener('close', () => {
    if (ws !== socket) return;
    const wasConnected = connected;
    connected = false;
    ready = false;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (ws === socket) connect();
    }, wasConnected ? 0 : 2000);
  });
  pingTimer ??= setInterval(() => {
    if (connected && ws) ws.send('ping');
  }, 10_000);
}

function clientId(): string {
  const key = 'af-client-id';
  try {
    let id = sessionStorage.getItem(key);
    if (!id) {
      id = Math.random().toString(36).slice(2);
      sessionStorage.setItem(key, id);
    }
    return id;
  } catch {
    return 'stand-in';
  }
}

export function reconnect(): void {
  clearTimeout(reconnectTimer);
  reconnectTimer = undefined;
  const old = ws;
  ws = null;
  ready = false;
  connected = false;
  old?.close();
  connect();
}

export default {
  subscribe(topic: string, callback: Callback): () => void {
    const list = listeners.get(topic);
    const first = !list;
    const id = nextId++;
    if (list) list.push({ id, callback });
    else listeners.set(topic, [{ id, callback }]);
    if (!ws) connect();
    if (first) send({ type: 'subscribe', topic });
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const current = listeners.get(topic);
      if (!current) return;
      const rest = current.filter((l) => l.id !== id);
      if (rest.length > 0) {
        listeners.set(topic, rest);
        return;
      }
      listeners.delete(topic);
      send({ type: 'unsubscribe', topic });
    };
  },

  /** @deprecated removes every listener of the topic (AdminForth warns the same way). */
  unsubscribe(topic: string): void {
    console.warn('This method is deprecated because it removes all subscriptions for the topic. Use the unsubscribe function returned by subscribe(), or use unsubscribeByPrefix() when you explicitly need to unsubscribe by topic prefix.');
    if (!listeners.delete(topic)) return;
    send({ type: 'unsubscribe', topic });
  },

  unsubscribeByPrefix(prefix: string): void {
    for (const topic of [...listeners.keys()]) {
      if (!topic.startsWith(prefix)) continue;
      listeners.delete(topic);
      send({ type: 'unsubscribe', topic });
    }
  },

  unsubscribeAll(): void {
    for (const topic of [...listeners.keys()]) {
      listeners.delete(topic);
      send({ type: 'unsubscribe', topic });
    }
  },
};

// ---- test hooks (not part of AdminForth's module) ----

/** Component tests: never open a socket; messages come from `emit`. */
export function disableSocket(): void {
  socketEnabled = false;
}

/** Delivers `{type:'message', topic, data}` as if the server had sent it. */
export function emit(topic: string, data: unknown): void {
  deliver(topic, JSON.parse(JSON.stringify(data)));
}

/** How many listeners a topic has now. */
export function listenerCount(topic: string): number {
  return listeners.get(topic)?.length ?? 0;
}

/** Topics with at least one listener. */
export function subscribedTopics(): string[] {
  return [...listeners.keys()];
}

/** Drops every listener (between tests). */
export function resetListeners(): void {
  listeners.clear();
}

/** Whether the socket has received `ready` (the browser page waits for it). */
export function isReady(): boolean {
  return ready;
}
