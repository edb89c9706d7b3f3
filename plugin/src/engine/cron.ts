/**
 * The tick arithmetic of recurring schedules (issue 20), as pure functions of a cron pattern, a
 * time zone and the clock: no timers, no database, so the time-zone, DST and catch-up rules are
 * tested on fixed dates.
 *
 * Patterns are parsed by croner (zero dependencies, Node >= 18): 5 fields (minute hour day month
 * weekday), 6 with seconds first, 7 with a year last, and the nicknames (`@daily`, ...). In a time
 * zone, croner follows the DST rules of Vixie cron: a job at a fixed time (`30 2 * * *`) that falls
 * into the hour skipped in spring runs at the first valid time after it, and runs once when that
 * hour repeats in autumn; an interval job (`0 * * * *`, `*\/30 * * * *`) skips the times that do not
 * exist and runs at both occurrences of a repeated time. Ticks are whole seconds, epoch ms here.
 */
import { Cron } from 'croner';
import { JobsError, errorMessage } from '../errors.js';
import type { ScheduleCatchUpMode } from '../store/schedule-store.js';

/** The zone a schedule's cron is read in when it names none: the same on every replica, whatever its TZ. */
export const DEFAULT_TIMEZONE = 'UTC';
/**
 * A tick a replica gets to more than this long after its time was missed: no replica was running
 * at the time (or every one was stalled), so `catchUp` decides whether it fires. Later than its
 * time but within this, a tick is merely late (a busy event loop, a slow database) and fires.
 */
export const MISSED_AFTER_MS = 10_000;
/** Most missed ticks `catchUp: 'all'` fires after a downtime: the most recent ones. */
export const MAX_CATCH_UP = 1000;

/** A parsed cron pattern in its time zone. */
export class CronTicks {
  private readonly cron: Cron;

  /** Throws a JobsError naming the schedule, the pattern or zone at fault, and the fix. */
  constructor(readonly pattern: string, readonly timezone: string, scheduleName = '?') {
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      throw new JobsError('INVALID_INPUT', `Schedule '${scheduleName}' needs cron: a cron pattern such as '0 3 * * *' (03:00 every day) or '*/10 * * * * *' (every 10 seconds).`);
    }
    if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
      throw new JobsError('INVALID_INPUT', `Schedule '${scheduleName}': timezone '${String(timezone)}' is not an IANA time zone name; use one such as 'Europe/Berlin', 'America/New_York' or 'UTC' (the default).`);
    }
    try {
      this.cron = new Cron(pattern, { timezone, paused: true });
    } catch (error) {
      throw new JobsError('INVALID_INPUT', `Schedule '${scheduleName}': cron '${pattern}' is not a valid pattern (${errorMessage(error)}). Use 5 fields (minute hour day-of-month month day-of-week, e.g. '0 3 * * *'), 6 with seconds first (e.g. '*/10 * * * * *'), or a nickname such as '@daily'.`);
    }
    if (this.next(Date.now()) === null) {
      throw new JobsError('INVALID_INPUT', `Schedule '${scheduleName}': cron '${pattern}' never fires again (its last time is past); fix the pattern or remove the schedule.`);
    }
  }

  /** The first tick strictly after `after`, or null when there is none. */
  next(after: number): number | null {
    return this.cron.nextRun(new Date(after))?.getTime() ?? null;
  }

  /** Up to `n` ticks strictly before `before`, newest first. */
  previous(before: number, n: number): number[] {
    // croner counts a run earlier in the same second as the reference; one at the reference itself
    // is not included, which is "strictly before" at second resolution.
    return this.cron.previousRuns(n, new Date(before)).map((d) => d.getTime()).filter((t) => t < before);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

export interface DueTicks {
  /** Ticks to fire now, oldest first. */
  fire: number[];
  /** The latest tick at or before `now`; the cursor moves there once `fire` is handled. Null: nothing is due. */
  through: number | null;
  /** The missed ticks (first and last) when some were missed, whatever catchUp fired of them. */
  missed: { from: number; to: number } | null;
}

/**
 * The ticks due at `now` of a schedule whose ticks up to `cursor` are handled. Late ticks (within
 * `missedAfterMs`) all fire; of the missed ones, `catchUp` picks: `none` none, `last` the most
 * recent one unless a late tick fires anyway (it stands for the missed ones), `all` every one, at
 * most `maxCatchUp` (the most recent).
 */
export function dueTicks(
  ticks: CronTicks, cursor: number, now: number, catchUp: ScheduleCatchUpMode,
  { missedAfterMs = MISSED_AFTER_MS, maxCatchUp = MAX_CATCH_UP }: { missedAfterMs?: number; maxCatchUp?: number } = {},
): DueTicks {
  const first = ticks.next(cursor);
  if (first === null || first > now) return { fire: [], through: null, missed: null };
  const onTimeFrom = now - missedAfterMs;
  const late: number[] = [];
  for (let t = ticks.next(Math.max(cursor, onTimeFrom - 1)); t !== null && t <= now && late.length < maxCatchUp; t = ticks.next(t)) late.push(t);
  let missed: DueTicks['missed'] = null;
  let caughtUp: number[] = [];
  if (first < onTimeFrom) {
    const [lastMissed] = ticks.previous(onTimeFrom, 1);
    missed = { from: first, to: lastMissed ?? first };
    if (catchUp === 'all') caughtUp = ticks.previous(onTimeFrom, maxCatchUp).filter((t) => t > cursor).reverse();
    else if (catchUp === 'last' && late.length === 0) caughtUp = [missed.to];
  }
  const through = late.at(-1) ?? ticks.previous(now + 1, 1)[0] ?? first;
  return { fire: [...caughtUp, ...late], through, missed };
}
