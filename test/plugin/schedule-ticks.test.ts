/**
 * The tick arithmetic of recurring schedules (plugin/src/engine/cron.ts), on fixed dates: time
 * zones and both DST changes of 2026 in Europe/Berlin and America/New_York, catch-up after a
 * downtime (none, last, all), and the errors a bad definition gets at registration.
 */
import { describe, expect, it } from 'vitest';
import { CronTicks, MAX_CATCH_UP, MISSED_AFTER_MS, dueTicks } from '../../plugin/src/engine/cron.js';
import { normalizeSchedule, nonEmptyTasks } from '../../plugin/src/engine/schedule-definition.js';

const at = (iso: string) => Date.parse(iso);
const isos = (ticks: number[]) => ticks.map((t) => new Date(t).toISOString());
/** The next `n` ticks after `from`. */
function nextTicks(ticks: CronTicks, from: string, n: number): string[] {
  const out: number[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) out.push(t = ticks.next(t)!);
  return isos(out);
}

describe('ticks in a time zone', () => {
  it('UTC by default: 03:00 every day is 03:00Z', () => {
    const { ticks } = normalizeSchedule({ name: 'n', cron: '0 3 * * *', jobHandlerName: 'h', tasks: () => [] });
    expect(ticks.timezone).toBe('UTC');
    expect(nextTicks(ticks, '2026-03-28T12:00:00Z', 2)).toEqual(['2026-03-29T03:00:00.000Z', '2026-03-30T03:00:00.000Z']);
  });

  it('Europe/Berlin, spring forward (2026-03-29, 02:00 → 03:00): 02:30 does not exist, the fixed-time job runs at 03:00 CEST', () => {
    const ticks = new CronTicks('30 2 * * *', 'Europe/Berlin');
    expect(nextTicks(ticks, '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('Europe/Berlin, spring forward: an interval job skips the hour that does not exist', () => {
    const ticks = new CronTicks('0 * * * *', 'Europe/Berlin');
    // 01:00 CET, then 03:00 CEST: 02:00 local never happens; one hour of real time apart.
    expect(nextTicks(ticks, '2026-03-28T23:30:00Z', 3)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
  });

  it('Europe/Berlin, fall back (2026-10-25, 03:00 → 02:00): 02:30 happens twice, the fixed-time job runs once', () => {
    const ticks = new CronTicks('30 2 * * *', 'Europe/Berlin');
    expect(nextTicks(ticks, '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first occurrence only
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('Europe/Berlin, fall back: an interval job runs at both occurrences of the repeated times', () => {
    const ticks = new CronTicks('*/30 * * * *', 'Europe/Berlin');
    // 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET: every 30 minutes of real time.
    expect(nextTicks(ticks, '2026-10-24T23:50:00Z', 5)).toEqual([
      '2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('America/New_York: weekdays at 09:00 follow EST and EDT (spring forward 2026-03-08)', () => {
    const ticks = new CronTicks('0 9 * * 1-5', 'America/New_York');
    expect(nextTicks(ticks, '2026-03-05T15:00:00Z', 3)).toEqual([
      '2026-03-06T14:00:00.000Z', // Friday 09:00 EST
      '2026-03-09T13:00:00.000Z', // Monday 09:00 EDT
      '2026-03-10T13:00:00.000Z',
    ]);
  });

  it('America/New_York, fall back (2026-11-01): hourly ticks at both 01:00s, daily 01:30 once', () => {
    expect(nextTicks(new CronTicks('0 * * * *', 'America/New_York'), '2026-11-01T04:30:00Z', 3))
      .toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z']);
    expect(nextTicks(new CronTicks('30 1 * * *', 'America/New_York'), '2026-10-31T12:00:00Z', 2))
      .toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('a seconds field: every second; previous() is strictly before, newest first', () => {
    const ticks = new CronTicks('* * * * * *', 'UTC');
    expect(ticks.next(at('2026-01-01T00:00:09.999Z'))).toBe(at('2026-01-01T00:00:10.000Z'));
    expect(ticks.next(at('2026-01-01T00:00:10.000Z'))).toBe(at('2026-01-01T00:00:11.000Z'));
    expect(isos(ticks.previous(at('2026-01-01T00:00:10.000Z'), 2))).toEqual(['2026-01-01T00:00:09.000Z', '2026-01-01T00:00:08.000Z']);
    expect(isos(ticks.previous(at('2026-01-01T00:00:10.001Z'), 1))).toEqual(['2026-01-01T00:00:10.000Z']);
  });
});

describe('ticks due after a downtime (catchUp)', () => {
  const every5min = new CronTicks('*/5 * * * *', 'UTC');
  // Handled up to 10:00; the app was down until 10:31:00.
  const cursor = at('2026-05-01T10:00:00Z');
  const now = at('2026-05-01T10:31:00Z');

  it("'none': no missed tick fires; the cursor moves past them", () => {
    const due = dueTicks(every5min, cursor, now, 'none');
    expect(due.fire).toEqual([]);
    expect(isos([due.through!])).toEqual(['2026-05-01T10:30:00.000Z']);
    expect(due.missed).toEqual({ from: at('2026-05-01T10:05:00Z'), to: at('2026-05-01T10:30:00Z') });
  });

  it("'last': the most recent missed tick fires once", () => {
    expect(isos(dueTicks(every5min, cursor, now, 'last').fire)).toEqual(['2026-05-01T10:30:00.000Z']);
  });

  it("'all': every missed tick, oldest first", () => {
    expect(isos(dueTicks(every5min, cursor, now, 'all').fire)).toEqual(
      ['10:05', '10:10', '10:15', '10:20', '10:25', '10:30'].map((t) => `2026-05-01T${t}:00.000Z`));
  });

  it(`'all' fires at most ${MAX_CATCH_UP} missed ticks, the most recent ones`, () => {
    const everySecond = new CronTicks('* * * * * *', 'UTC');
    const due = dueTicks(everySecond, at('2026-05-01T00:00:00Z'), at('2026-05-02T00:00:00Z'), 'all');
    // The missed ones, then the late ones of the last MISSED_AFTER_MS (both ends included).
    expect(due.fire).toHaveLength(MAX_CATCH_UP + MISSED_AFTER_MS / 1000 + 1);
    expect(due.fire.at(-1)).toBe(at('2026-05-02T00:00:00Z'));
    expect(new Set(due.fire).size).toBe(due.fire.length);
    expect([...due.fire].sort((a, b) => a - b)).toEqual(due.fire);
  });

  it(`late ticks (up to ${MISSED_AFTER_MS / 1000} s) always fire; with them, 'last' fires no missed tick`, () => {
    const everySecond = new CronTicks('* * * * * *', 'UTC');
    const start = at('2026-05-01T12:00:00Z');
    // 3 s late: not missed, every tick fires whatever catchUp says.
    for (const catchUp of ['none', 'last', 'all'] as const) {
      expect(dueTicks(everySecond, start, start + 3000, catchUp).fire).toEqual([start + 1000, start + 2000, start + 3000]);
    }
    // 30 s down: the last 10 s are late and fire; 'last' adds nothing, 'all' adds the 20 missed.
    const late = Array.from({ length: 11 }, (_, i) => start + 20_000 + i * 1000);
    expect(dueTicks(everySecond, start, start + 30_000, 'last').fire).toEqual(late);
    expect(dueTicks(everySecond, start, start + 30_000, 'none').fire).toEqual(late);
    expect(dueTicks(everySecond, start, start + 30_000, 'all').fire).toHaveLength(30);
  });

  it('nothing is due before the next tick; a tick exactly at now is due', () => {
    expect(dueTicks(every5min, cursor, at('2026-05-01T10:04:59.999Z'), 'all')).toEqual({ fire: [], through: null, missed: null });
    expect(dueTicks(every5min, cursor, at('2026-05-01T10:05:00Z'), 'none').fire).toEqual([at('2026-05-01T10:05:00Z')]);
  });
});

describe('registerSchedule errors', () => {
  const ok = { name: 'nightly', cron: '0 3 * * *', jobHandlerName: 'h', tasks: () => [{ state: {} }] };

  it('names what is wrong and how to fix it', () => {
    expect(() => normalizeSchedule({ ...ok, cron: '61 * * * *' })).toThrow(/Schedule 'nightly': cron '61 \* \* \* \*' is not a valid pattern .*minute.*Use 5 fields/);
    expect(() => normalizeSchedule({ ...ok, cron: '' })).toThrow(/needs cron: a cron pattern such as '0 3 \* \* \*'/);
    expect(() => normalizeSchedule({ ...ok, timezone: 'Mars/Olympus' })).toThrow(/timezone 'Mars\/Olympus' is not an IANA time zone name; use one such as 'Europe\/Berlin'/);
    expect(() => normalizeSchedule({ ...ok, name: 'has space' })).toThrow(/name "has space" is not a schedule name/);
    expect(() => normalizeSchedule({ ...ok, overlap: 'sometimes' as any })).toThrow(/overlap must be one of 'skip', 'allow', 'queue'/);
    expect(() => normalizeSchedule({ ...ok, catchUp: 'some' as any })).toThrow(/catchUp must be one of 'none', 'last', 'all'/);
    expect(() => normalizeSchedule({ ...ok, tasks: undefined as any })).toThrow(/needs tasks: a function/);
    expect(() => normalizeSchedule({ ...ok, cron: '0 0 0 1 1 * 2020' })).toThrow(/never fires again/);
  });

  it('applies the defaults: UTC, jobName = name, overlap skip, catchUp last', () => {
    expect(normalizeSchedule(ok)).toMatchObject({ timezone: 'UTC', jobName: 'nightly', overlap: 'skip', catchUp: 'last' });
  });

  it('tasks() may give an array or an (async) iterable; none means no job', async () => {
    expect(await nonEmptyTasks([])).toBeNull();
    expect(await nonEmptyTasks((async function* () {})())).toBeNull();
    const source = await nonEmptyTasks((function* () { yield { state: { a: 1 } }; yield { state: { a: 2 } }; })());
    const seen: unknown[] = [];
    for await (const task of source as AsyncIterable<unknown>) seen.push(task);
    expect(seen).toEqual([{ state: { a: 1 } }, { state: { a: 2 } }]);
    await expect(nonEmptyTasks(42 as any)).rejects.toThrow(/must return an array or an \(async\) iterable/);
  });
});
