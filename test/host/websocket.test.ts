/**
 * The `/afws` websocket over a real `ws` client (contract §4, §9.7, §10): the ready frame,
 * ping/pong, subscribe/unsubscribe without acks, topic authorisation, the error messages and
 * `publish` with and without `filterUsers`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminUser } from './types.js';
import { startHarness, type Harness } from './http/test-harness.js';
import WebSocket from 'ws';
import { TestSocket, closeTestSockets } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';

const PASSWORD = 'correct horse battery staple';


/**
 * Subscribing has no ack, and the server checks the topic asynchronously, so the only proof that
 * a subscription is live is a delivery: publish a marker until it arrives.
 */
async function publishUntilReceived(h: Harness, socket: TestSocket, topic: string, data: unknown = { marker: true }): Promise<void> {
  const expected = JSON.stringify({ type: 'message', topic, data });
  const arrived = socket.next((f) => f === expected);
  let done = false;
  void arrived.then(() => (done = true), () => (done = true));
  // Until the marker arrives (or `next` gives up: then `arrived` rejects below).
  await until(`a marker on ${topic}`, async () => {
    await h.admin.websocket.publish(topic, data);
    return done;
  }, { intervalMs: 10 });
  await arrived;
  // Extra copies may still be in flight; a ping sent now is answered after all of them.
  socket.send('ping');
  await socket.next((f) => f === 'pong');
  socket.frames.splice(0, socket.frames.length, ...socket.frames.filter((f) => f !== expected));
}

afterEach(closeTestSockets);

describe('contract §4 websocket protocol', () => {
  let h: Harness;
  let aliceCookie: string;
  let bobCookie: string;
  const subscribedCalls: { topic: string; username: string | null }[] = [];

  beforeAll(async () => {
    h = await startHarness({
      auth: {
        websocketTopicAuth: async (topic: string, adminUser: AdminUser | null) => {
          if (topic === '/explodes') throw new Error('topic auth failed');
          if (topic.startsWith('/only-bob')) return adminUser?.username === 'bob@example.com';
          return adminUser != null;
        },
        websocketSubscribed: (topic: string, adminUser: AdminUser | null) => {
          subscribedCalls.push({ topic, username: adminUser?.username ?? null });
        },
      },
    });
    await h.createUser('alice@example.com', PASSWORD);
    await h.createUser('bob@example.com', PASSWORD);
    aliceCookie = await h.login('alice@example.com', PASSWORD);
    bobCookie = await h.login('bob@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('accepts an anonymous socket and sends {"type":"ready"} first', async () => {
    const socket = await TestSocket.open(h.wsUrl);
    expect(socket.frames).toEqual([]);
  });

  it('answers the text "ping" with the text "pong"', async () => {
    const socket = await TestSocket.open(h.wsUrl);
    socket.send('ping');
    expect(await socket.next((f) => f === 'pong')).toBe('pong');
  });

  it('rejects upgrades on other paths', async () => {
    const ws = new WebSocket(h.wsUrl.replace('/afws', '/other'));
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toMatch(/400/);
  });

  it('answers an anonymous subscribe to a private topic with Unauthorized and delivers nothing', async () => {
    const socket = await TestSocket.open(h.wsUrl);
    socket.send({ type: 'subscribe', topic: '/private' });
    expect(await socket.error()).toEqual({ type: 'error', message: 'Unauthorized' });
    await h.admin.websocket.publish('/private', { secret: 1 });
    socket.send('ping');
    await socket.next((f) => f === 'pong');
    expect(socket.messagesFor('/private')).toEqual([]);
  });

  it('lets anonymous sockets use /opentopic/ topics', async () => {
    const socket = await TestSocket.open(h.wsUrl);
    socket.send({ type: 'subscribe', topic: '/opentopic/refresh-menu/1' });
    await publishUntilReceived(h, socket, '/opentopic/refresh-menu/1');
  });

  it('delivers {type:"message", topic, data} to a logged-in subscriber, only for its exact topic', async () => {
    const socket = await TestSocket.open(h.wsUrl, aliceCookie);
    socket.send({ type: 'subscribe', topic: '/jobs' });
    await publishUntilReceived(h, socket, '/jobs');
    expect(socket.frames).toEqual([]); // no ack, no other frame

    await h.admin.websocket.publish('/jobs/1', { other: true });
    await h.admin.websocket.publish('/job', { other: true });
    await h.admin.websocket.publish('/jobs', { jobId: 7, status: 'DONE', nested: { list: [1, 'a', null] } });
    const frame = await socket.next((f) => f.includes('"topic":"/jobs"'));
    expect(frame).toBe(JSON.stringify({ type: 'message', topic: '/jobs', data: { jobId: 7, status: 'DONE', nested: { list: [1, 'a', null] } } }));
    expect(socket.frames).toEqual([]);
  });

  it('stops delivery after unsubscribe', async () => {
    const socket = await TestSocket.open(h.wsUrl, aliceCookie);
    socket.send({ type: 'subscribe', topic: '/jobs' });
    await publishUntilReceived(h, socket, '/jobs');
    socket.send({ type: 'unsubscribe', topic: '/jobs' });
    socket.send({ type: 'subscribe', topic: '/opentopic/sentinel' });
    await publishUntilReceived(h, socket, '/opentopic/sentinel');
    await h.admin.websocket.publish('/jobs', { late: true });
    await publishUntilReceived(h, socket, '/opentopic/sentinel', { after: true });
    expect(socket.messagesFor('/jobs')).toEqual([]);
  });

  it('reports malformed input with the exact §4 messages', async () => {
    const socket = await TestSocket.open(h.wsUrl, aliceCookie);
    const cases: [string, string][] = [
      ['{not json', 'Invalid websocket message JSON'],
      ['"just a string"', 'Invalid websocket message format'],
      ['null', 'Invalid websocket message format'],
      ['{"topic":"/x"}', 'Invalid websocket message format'],
      ['{"type":"publish","topic":"/x"}', 'Unknown websocket message type'],
      ['{"type":"subscribe"}', 'No topic provided'],
      ['{"type":"unsubscribe","topic":""}', 'No topic provided'],
    ];
    for (const [input, message] of cases) {
      socket.send(input);
      expect(await socket.error(), input).toEqual({ type: 'error', message });
    }
  });

  it('asks websocketTopicAuth, treats a throwing hook as a deny, and runs websocketSubscribed after a subscribe', async () => {
    const alice = await TestSocket.open(h.wsUrl, aliceCookie);
    alice.send({ type: 'subscribe', topic: '/only-bob' });
    expect(await alice.error()).toEqual({ type: 'error', message: 'Unauthorized' });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      alice.send({ type: 'subscribe', topic: '/explodes' });
      expect(await alice.error()).toEqual({ type: 'error', message: 'Unauthorized' });
      expect(String(logged.mock.calls[0]?.[0])).toContain('websocketTopicAuth threw for /explodes');
    } finally {
      logged.mockRestore();
    }

    const bob = await TestSocket.open(h.wsUrl, bobCookie);
    bob.send({ type: 'subscribe', topic: '/only-bob' });
    await publishUntilReceived(h, bob, '/only-bob');
    expect(subscribedCalls).toContainEqual({ topic: '/only-bob', username: 'bob@example.com' });
    expect(subscribedCalls.some((c) => c.topic === '/explodes')).toBe(false);
  });

  it('publish with filterUsers sends only to subscribers whose adminUser passes', async () => {
    const alice = await TestSocket.open(h.wsUrl, aliceCookie);
    const bob = await TestSocket.open(h.wsUrl, bobCookie);
    const anonymous = await TestSocket.open(h.wsUrl);
    for (const socket of [alice, bob, anonymous]) {
      socket.send({ type: 'subscribe', topic: '/opentopic/filtered' });
      await publishUntilReceived(h, socket, '/opentopic/filtered');
    }

    const seen: (string | null)[] = [];
    await h.admin.websocket.publish('/opentopic/filtered', { n: 1 }, async (user) => {
      seen.push(user?.username ?? null);
      return user?.username === 'alice@example.com';
    });
    expect(seen.sort()).toEqual(['alice@example.com', 'bob@example.com', null].sort());
    expect(JSON.parse(await alice.next((f) => f.includes('"n":1')))).toEqual({ type: 'message', topic: '/opentopic/filtered', data: { n: 1 } });

    // Everything after the filtered publish is delivered in order, so a later marker proves absence.
    for (const socket of [bob, anonymous]) await publishUntilReceived(h, socket, '/opentopic/filtered', { after: true });
    // Markers reach every subscriber of the shared topic; only the filtered message must be missing.
    expect(bob.frames.filter((f) => f.includes('"n":1'))).toEqual([]);
    expect(anonymous.frames.filter((f) => f.includes('"n":1'))).toEqual([]);
  });

  it('publish to a topic nobody subscribed to is a no-op', async () => {
    await expect(h.admin.websocket.publish('/nobody', { x: 1 })).resolves.toBeUndefined();
  });
});

describe('contract §4 websocket path under baseUrl and the default topic auth', () => {
  let h: Harness;
  let cookie: string;

  beforeAll(async () => {
    h = await startHarness({ baseUrl: '/admin/' });
    await h.createUser('admin@example.com', PASSWORD);
    cookie = await h.login('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('listens at <baseUrl without trailing slash>/afws', async () => {
    expect(h.wsUrl).toMatch(/\/admin\/afws$/);
    await TestSocket.open(h.wsUrl);
  });

  it('denies anonymous sockets and allows logged-in ones when the app sets no websocketTopicAuth', async () => {
    const anonymous = await TestSocket.open(h.wsUrl);
    anonymous.send({ type: 'subscribe', topic: '/showPage/adminuser/1' });
    expect(await anonymous.error()).toEqual({ type: 'error', message: 'Unauthorized' });

    const user = await TestSocket.open(h.wsUrl, cookie);
    user.send({ type: 'subscribe', topic: '/showPage/adminuser/1' });
    await publishUntilReceived(h, user, '/showPage/adminuser/1');
  });

  it('treats a socket with an invalid cookie as anonymous', async () => {
    const socket = await TestSocket.open(h.wsUrl, `${h.cookieName}=not-a-jwt`);
    socket.send({ type: 'subscribe', topic: '/private' });
    expect(await socket.error()).toEqual({ type: 'error', message: 'Unauthorized' });
  });
});

describe('contract §4 websocket teardown (host addition: admin.shutdown)', () => {
  it('closes open sockets when the app shuts down', async () => {
    const h = await startHarness();
    try {
      const socket = await TestSocket.open(h.wsUrl);
      const closed = new Promise<void>((resolve) => socket.ws.once('close', () => resolve()));
      await h.close();
      await closed;
      expect(socket.ws.readyState).toBe(WebSocket.CLOSED);
    } finally {
      await h.close();
    }
  });
});
