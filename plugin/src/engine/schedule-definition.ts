/**
 * `registerSchedule`'s argument, checked and completed with its defaults before anything runs:
 * every mistake is an error at registration that names the option and the fix.
 */
import { JobsError } from '../errors.js';
import type { ScheduleDefinition, TaskHandlerDefinition, TaskSource } from '../types.js';
import { SCHEDULE_CATCH_UPS, SCHEDULE_OVERLAPS, type ScheduleCatchUpMode, type ScheduleDefinitionRow, type ScheduleOverlapMode } from '../store/schedule-store.js';
import { CronTicks, DEFAULT_TIMEZONE } from './cron.js';

/** Schedule names: what a CLI argument and a URL-free JSON field carry without quoting trouble. */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
/** Default of `overlap`: a tick does not start a second job while the previous one runs. */
export const DEFAULT_OVERLAP: ScheduleOverlapMode = 'skip';
/** Default of `catchUp`: after a downtime, the most recent missed tick fires once. */
export const DEFAULT_CATCH_UP: ScheduleCatchUpMode = 'last';

/** A schedule with its defaults applied and its cron parsed. */
export interface Schedule {
  name: string;
  cron: string;
  timezone: string;
  jobHandlerName: string;
  jobName: string;
  overlap: ScheduleOverlapMode;
  catchUp: ScheduleCatchUpMode;
  tasks: () => TaskSource | Promise<TaskSource>;
  ticks: CronTicks;
}

export function normalizeSchedule(definition: ScheduleDefinition): Schedule {
  if (definition === null || typeof definition !== 'object') {
    throw new JobsError('INVALID_INPUT', "registerSchedule needs an object: { name, cron, jobHandlerName, tasks }");
  }
  const { name } = definition;
  if (typeof name !== 'string' || !SCHEDULE_NAME_PATTERN.test(name)) {
    throw new JobsError('INVALID_INPUT', `registerSchedule: name ${JSON.stringify(name)} is not a schedule name: use 1–100 letters, digits, '_', '-', '.' or ':', starting with a letter or digit (e.g. 'nightly-export').`);
  }
  const where = `registerSchedule({ name: '${name}' })`;
  if (typeof definition.jobHandlerName !== 'string' || definition.jobHandlerName.length === 0) {
    throw new JobsError('INVALID_INPUT', `${where} needs jobHandlerName: the name of a handler registered with registerTaskHandler.`);
  }
  if (typeof definition.tasks !== 'function') {
    throw new JobsError('INVALID_INPUT', `${where} needs tasks: a function returning the tasks of each tick's job, e.g. tasks: () => [{ state: {} }].`);
  }
  const jobName = definition.jobName ?? name;
  if (typeof jobName !== 'string' || jobName.length === 0 || [...jobName].length > 255 || jobName.includes('\u0000')) {
    throw new JobsError('INVALID_INPUT', `${where}: jobName must be a string of 1–255 characters without NUL.`);
  }
  const overlap = definition.overlap ?? DEFAULT_OVERLAP;
  if (!(SCHEDULE_OVERLAPS as readonly string[]).includes(overlap)) {
    throw new JobsError('INVALID_INPUT', `${where}: overlap must be one of ${SCHEDULE_OVERLAPS.map((o) => `'${o}'`).join(', ')}, got ${JSON.stringify(overlap)}.`);
  }
  const catchUp = definition.catchUp ?? DEFAULT_CATCH_UP;
  if (!(SCHEDULE_CATCH_UPS as readonly string[]).includes(catchUp)) {
    throw new JobsError('INVALID_INPUT', `${where}: catchUp must be one of ${SCHEDULE_CATCH_UPS.map((o) => `'${o}'`).join(', ')}, got ${JSON.stringify(catchUp)}.`);
  }
  const timezone = definition.timezone ?? DEFAULT_TIMEZONE;
  const ticks = new CronTicks(definition.cron, timezone, name);
  return { name, cron: definition.cron, timezone, jobHandlerName: definition.jobHandlerName, jobName, overlap, catchUp, tasks: definition.tasks, ticks };
}

/** The row `upsert` writes for a schedule. */
export function definitionRow(schedule: Schedule): ScheduleDefinitionRow {
  return {
    name: schedule.name, cron: schedule.cron, timezone: schedule.timezone, handler: schedule.jobHandlerName,
    jobName: schedule.jobName, overlap: schedule.overlap, catchUp: schedule.catchUp,
  };
}

/**
 * What a schedule's `tasks()` gave, or null when it gave no task (the tick then starts no job).
 * An iterable is not read whole: its first task is taken to see that there is one, then it is
 * handed on as it was, so a schedule may yield millions of tasks.
 */
export async function nonEmptyTasks(source: TaskSource): Promise<TaskSource | null> {
  if (Array.isArray(source)) return source.length > 0 ? source : null;
  if (source === null || typeof source !== 'object' || (!(Symbol.iterator in source) && !(Symbol.asyncIterator in source))) {
    throw new JobsError('INVALID_INPUT', `tasks() must return an array or an (async) iterable of { state: {...} }, got ${source === null ? 'null' : typeof source}`);
  }
  const iterator: Iterator<unknown> | AsyncIterator<unknown> = Symbol.asyncIterator in source
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]();
  const first = await iterator.next();
  if (first.done) return null;
  return (async function* rest() {
    yield first.value as any;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as any;
    }
  })();
}

/**
 * What `registerSchedule` checks against what is registered already: its handler exists (and has
 * a concurrencyLimit for overlap 'queue'), and no other schedule has its name.
 */
export function checkRegistration(schedule: Schedule, handlers: ReadonlyMap<string, TaskHandlerDefinition>, registered: ReadonlyMap<string, Schedule>): void {
  const where = `registerSchedule({ name: '${schedule.name}' })`;
  const handler = handlers.get(schedule.jobHandlerName);
  if (!handler) {
    const known = [...handlers.keys()];
    throw new JobsError('NO_HANDLER', `${where}: no handler '${schedule.jobHandlerName}' is registered: call registerTaskHandler({ jobHandlerName: '${schedule.jobHandlerName}', handler }) before registerSchedule${known.length ? ` (registered: ${known.join(', ')})` : ''}.`);
  }
  if (schedule.overlap === 'queue' && !Number.isFinite(handler.concurrencyLimit ?? Infinity)) {
    throw new JobsError('INVALID_INPUT', `${where}: overlap 'queue' makes a tick's job wait QUEUED for a free concurrency slot of handler '${schedule.jobHandlerName}', which has no concurrencyLimit, so nothing would wait. Give the handler concurrencyLimit: 1 (its jobs then run one after another), or use overlap 'allow'.`);
  }
  if (registered.has(schedule.name)) {
    throw new JobsError('INVALID_INPUT', `${where}: a schedule of that name is registered already; give each schedule its own name.`);
  }
}
