/**
 * The follower's bookkeeping over `jobs/events` pages (client/job-follower.ts), with a scripted
 * event log instead of an app: what the process tests cannot stage on demand — an app restarted
 * into a log that already passed the last number seen, a reader that fell behind the 1,000-event
 * buffer, a page that repeats events.
 */
import { describe, expect, it } from 'vitest';
import type { EventPage, JobEvent } from '../../src/client/api-types.js';
import { JobFollower } from '../../src/client/job-follower.js';
import type { JobsApi } from '../../src/client/jobs-api.js';
import { ConnectionError } from '../../src/errors.js';
import { defaultTransport } from '../../src/client/transport.js';

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

  it('a restarted app whose new log passed the last number: another event there → start again from 1', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b'), event(3, 'c')]),
      () => new ConnectionError('Cannot reach http://app (connection refused; tried POST x): check'),
      () => page([event(3, 'NEW-3'), event(4, 'NEW-4')]),
      () => page([event(1, 'NEW-1'), event(2, 'NEW-2'), event(3, 'NEW-3'), event(4, 'NEW-4')], { finished: true }),
    ]);
    expect(result.asked).toEqual([0, 3, 2, 0]);
    expect(result.printed).toEqual([1, 2, 3, 1, 2, 3, 4]);
    expect(result.gaps).toEqual([expect.stringContaining('started again (the app restarted): events it recorded after #3')]);
  });

  it('a restarted app with a younger log (reset) → start again from 1', async () => {
    const result = await follow([
      () => page([event(1, 'a'), event(2, 'b'), event(3, 'c')]),
      () => new ConnectionError('Cannot reach http://app (connection refused; tried POST x): check'),
      () => page([event(1, 'NEW-1')], { reset: true }),
      () => page([event(1, 'NEW-1')], { finished: true }),
    ]);
    expect(result.printed).toEqual([1, 2, 3, 1]);
    expect(result.gaps).toHaveLength(1);
  });

  it('a reader that fell behind the buffer says how many events it missed', async () => {
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
