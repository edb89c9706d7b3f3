/**
 * The follower's bookkeeping over `jobs/events` pages (client/job-follower.ts), with a scripted
 * event log instead of an app: what the process tests cannot stage on demand — a log reset under
 * the follower (or an app older than the durable log, restarted into a log that already passed
 * the last number seen), a reader that fell behind what the log keeps, a page that repeats
 * events — and a scripted websocket whose messages carry (or lack) the events' `seq`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventPage, JobEvent } from '../../src/client/api-types.js';
import { JobFollower } from '../../src/client/job-follower.js';
import type { JobsApi } from '../../src/client/jobs-api.js';
import { ConnectionError } from '../../src/errors.js';
import { defaultTransport, type SocketHandlers, type Transport } from '../../src/client/transport.js';
import { quietFor, until } from '../helpers/wait.js';

const event = (seq: number, at: string, type = 'task:done', extra: Partial<JobEvent> = {}): JobEvent =>
  ({ seq, at, type, jobId: 'j1', handler: 'h', taskIndex: seq, ...extra });
const page = (events: JobEvent[], extra: Partial<EventPage> = {}): EventPage =>
  ({ events, lastSeq: events.at(-1)?.seq ?? 0, finished: false, truncated: false, reset: false, ...extra });

/** Runs a follower in poll mode over scripted answers; returns what it printed and said. */
async function follow(answers: ((after: number) => EventPage | Error)[], from = { seq: 0, event: null as JobEvent | null }) {
  const asked: number[] = [];
  const printed: number[] = [];
  const gaps: string[] = [];
  const jobs = {
    http: { url: 'http://app', identity: { credentials: null } },
    instance: { instanceId: 'i', resourceId: 'jobs', apiPath: '/p', websocketPath: '/afws' },
    async events(_jobId: string, query: { after: number }) {
      asked.push(query.after);
      const answer = answers.shift();
      if (!answer) throw new Error(`no scripted answer for after=${query.after}`);
      const result = answer(query.after);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as JobsApi;
  await new JobFollower({
    jobs, transport: defaultTransport, jobId: 'j1', from, mode: 'poll', signal: new AbortController().signal,
    onEvent: (e) => printed.push(e.seq), onInfo: () => {}, onGap: (message) => gaps.push(message), onDebug: () => {},
  }).run();
  return { asked, printed, gaps };
}

describe('JobFollower', () => {
  it('prints each sequence number once, even when a page repeats some', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b')]),
      () => page([event(2, 'b'), event(3, 'c')]),
      () => page([event(4, 'd')], { finished: true }),
    ]);
    expect(result.printed).toEqual([1, 2, 3, 4]);
    expect(result.asked).toEqual([0, 2, 3]);
    expect(result.gaps).toEqual([]);
  });

  it('after a dropped request, checks the last event: the same one continues without repeats', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b')]),
      () => new ConnectionError('Cannot reach http://app (connection refused; tried POST x): check'),
      // The check: from one before the last number, the last event must still be "b".
      () => page([event(2, 'b'), event(3, 'c')], { finished: true }),
    ]);
    expect(result.asked).toEqual([0, 2, 1]);
    expect(result.printed).toEqual([1, 2, 3]);
    expect(result.gaps).toEqual([]);
  });

  it('an app older than the durable log, restarted past the last number: another event there → start again from 1', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b'), event(3, 'c')]),
      () => new ConnectionError('Cannot reach http://app (connection refused; tried POST x): check'),
      () => page([event(3, 'NEW-3'), event(4, 'NEW-4')]),
      () => page([event(1, 'NEW-1'), event(2, 'NEW-2'), event(3, 'NEW-3'), event(4, 'NEW-4')], { finished: true }),
    ]);
    expect(result.asked).toEqual([0, 3, 2, 0]);
    expect(result.printed).toEqual([1, 2, 3, 1, 2, 3, 4]);
    expect(result.gaps).toEqual([expect.stringContaining('started again (its event log was reset, or the app predates the durable log and restarted): events after #3')]);
  });

  it('a log reset under the follower (reset) → start again from 1', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b'), event(3, 'c')]),
      () => new ConnectionError('Cannot reach http://app (connection refused; tried POST x): check'),
      () => page([event(1, 'NEW-1')], { reset: true }),
      () => page([event(1, 'NEW-1')], { finished: true }),
    ]);
    expect(result.printed).toEqual([1, 2, 3, 1]);
    expect(result.gaps).toHaveLength(1);
  });

  it('a reader that fell behind what the log keeps says how many events it missed', async () => {
    const result = await follow([
      () => page([event(1, 'a')]),
      () => page([event(1500, 'x'), event(1501, 'y')], { truncated: true, finished: true }),
    ]);
    expect(result.printed).toEqual([1, 1500, 1501]);
    expect(result.gaps).toEqual([expect.stringMatching(/^1498 event\(s\) of job j1 were dropped by the app before tail read them/)]);
  });

  it('from a position (--new, retry --follow): only later events', async () => {
    const result = await follow([() => page([event(8, 'h'), event(9, 'i')], { finished: true })], { seq: 7, event: event(7, 'g') });
    expect(result.asked).toEqual([7]);
    expect(result.printed).toEqual([8, 9]);
  });
});

const TASK_TOPIC = '/background-jobs-task-update/j1';
const JOB_TOPIC = '/background-jobs-job-update';

/**
 * An app for a follower in `auto` mode: a job's event log answering `jobs/events` (long-polls
 * wait for the next event, as the plugin's do) and a websocket the test drives.
 */
function scriptedApp() {
  const log: JobEvent[] = [];
  let finished = false;
  let appended = () => {};
  /** `after` of each `jobs/events` request, in order. */
  const reads: number[] = [];
  let handlers: SocketHandlers | undefined;
  const transport: Transport = {
    fetch: () => Promise.reject(new Error('the follower reads through JobsApi')),
    async openSocket(_url, _headers, socketHandlers) {
      handlers = socketHandlers;
      return { send: () => {}, terminate: () => socketHandlers.close?.(1006, '') };
    },
  };
  const jobs = {
    http: { url: 'http://app', origin: 'http://app', identity: { credentials: { kind: 'session' } }, authHeaders: () => ({}) },
    instance: { instanceId: 'i', resourceId: 'jobs', apiPath: '/p', websocketPath: '/afws' },
    async events(_jobId: string, query: { after: number; timeoutMs: number; limit?: number }, signal?: AbortSignal): Promise<EventPage> {
      reads.push(query.after);
      for (;;) {
        const events = log.filter((e) => e.seq > query.after).slice(0, query.limit ?? 500);
        const lastSeq = log.at(-1)?.seq ?? 0;
        if (events.length > 0 || finished || query.timeoutMs === 0 || signal?.aborted) {
          return page(events, { lastSeq, finished: finished && (events.at(-1)?.seq ?? query.after) >= lastSeq });
        }
        await new Promise<void>((resolve) => {
          appended = resolve;
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    },
  } as unknown as JobsApi;
  const message = (topic: string, data: Record<string, unknown>) =>
    handlers!.message!(JSON.stringify({ type: 'message', topic, data }));
  return {
    jobs, transport, reads,
    get socketOpen() { return handlers !== undefined; },
    ready: () => handlers!.message!(JSON.stringify({ type: 'ready' })),
    /** Events the app records (not published). */
    append(...seqs: number[]) {
      for (const seq of seqs) log.push(event(seq, `t${seq}`, seq === 99 ? 'job:finished' : 'task:done'));
      finished = log.at(-1)?.type === 'job:finished';
      appended();
    },
    /** A task topic message for event `seq` (without `seq`: an older plugin's payload). */
    task: (seq?: number) => message(TASK_TOPIC, seq === undefined ? { taskIndex: 0, status: 'DONE' } : { taskIndex: seq, status: 'DONE', seq }),
    job: (jobId: string, seq: number) => message(JOB_TOPIC, { jobId, progress: 50, seq }),
  };
}

/** The follower runs in this process: checks every 5 ms, for up to 5 s. */
const WAIT = { timeoutMs: 5000, intervalMs: 5 };

describe('JobFollower driven by websocket messages with seq', () => {
  it('skips the read when a message brings nothing new, reads at once on a gap, and prints each event once, in order', async () => {
    const app = scriptedApp();
    const printed: number[] = [];
    const debug: string[] = [];
    const abort = new AbortController();
    const follower = new JobFollower({
      jobs: app.jobs, transport: app.transport, jobId: 'j1', from: { seq: 0, event: null }, mode: 'auto', signal: abort.signal,
      onEvent: (e) => printed.push(e.seq), onInfo: () => {}, onGap: (message) => { throw new Error(`unexpected gap: ${message}`); },
      onDebug: (message) => debug.push(message),
    });
    const done = follower.run();
    try {
      await until('the socket', () => app.socketOpen, WAIT);
      app.ready();
      app.append(1, 2, 3);
      for (const seq of [1, 2, 3]) app.task(seq);
      await until('events 1–3', () => printed.length === 3, WAIT);
      // The subscription's read (rung while the first read was waiting) comes next; then quiet.
      await until("the subscription's read", () => app.reads.length >= 2, WAIT);

      // Duplicates of what was printed, and a message about another job: no read.
      let reads = app.reads.length;
      app.task(2);
      app.task(3);
      app.job('other', 40);
      await quietFor(150, 'no read for messages about printed events or another job');
      expect(app.reads).toHaveLength(reads);
      expect(debug.at(-1)).toBe('websocket: nothing after #3 (heard up to #3); no read');

      // 4 and 5 were lost: 6 shows the gap and is read before a 40 ms coalescing wait could end.
      app.append(4, 5, 6);
      app.job('j1', 6);
      await nextTurn();
      expect(app.reads.slice(reads)).toEqual([2]);
      expect(debug).toContain('websocket: event #6 skipped numbers after #3; reading now');
      await until('events 4–6', () => printed.length === 6, WAIT);

      // The next number: read (after the coalescing wait), not as a gap.
      reads = app.reads.length;
      app.append(7);
      app.task(7);
      await until('event 7', () => printed.length === 7, WAIT);
      expect(app.reads.slice(reads, reads + 1)).toEqual([5]);
      expect(debug.filter((line) => line.includes('skipped numbers'))).toHaveLength(1);

      // A message without seq (a plugin older than the durable log) always reads.
      await quietFor(60, 'no read after the one for event 7, so the next read is the one this message rings for');
      reads = app.reads.length;
      app.task();
      await until('a read for a message without seq', () => app.reads.length > reads, WAIT);

      app.append(8, 99);
      app.job('j1', 99);
      await done;
    } finally {
      abort.abort();
      await done.catch(() => {});
    }
    expect(printed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 99]);
  });
});
