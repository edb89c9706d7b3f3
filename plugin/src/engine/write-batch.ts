/**
 * What a job runner writes with one flush (one group commit), and the per-task parts such a batch
 * is cut into when the database keeps refusing it (job-runner.ts `isolate`, issue 17 point 3): a
 * task's writes, waiters and events always travel together, so any part can be committed on its own.
 */
import type { EngineEvent } from '../events.js';
import type { FinishedTask, RescheduledTask } from '../store/job-store.js';

/** A `setTaskStateField` call waiting for its write to be committed. */
export interface CommitWaiter {
  index: number;
  resolve(): void;
  reject(error: unknown): void;
}

export interface WriteBatch {
  /** Latest state per task (JSON text). */
  states: Map<number, string>;
  finished: FinishedTask[];
  rescheduled: RescheduledTask[];
  /** The attempt of each task whose outcome is in `finished` or `rescheduled`. */
  attempts: Map<number, number>;
  waiters: CommitWaiter[];
  /** Events of these writes (task:*), logged in the same transaction. */
  events: EngineEvent[];
  /** Last error to keep in the job. */
  lastError: string | null;
}

export function emptyBatch(): WriteBatch {
  return { states: new Map(), finished: [], rescheduled: [], attempts: new Map(), waiters: [], events: [], lastError: null };
}

/** Anything to write or to answer. */
export function hasWrites(batch: WriteBatch): boolean {
  return batch.states.size > 0 || batch.finished.length > 0 || batch.rescheduled.length > 0
    || batch.waiters.length > 0 || batch.events.length > 0 || batch.lastError !== null;
}

/** The tasks whose state or outcome the batch writes, in index order. */
export function writtenTasks(batch: WriteBatch): number[] {
  const tasks = new Set<number>(batch.states.keys());
  for (const task of batch.finished) tasks.add(task.index);
  for (const task of batch.rescheduled) tasks.add(task.index);
  return [...tasks].sort((a, b) => a - b);
}

const taskOf = (event: EngineEvent): number | undefined => (event as { taskIndex?: number }).taskIndex;

/**
 * The part of the batch of `tasks` (their writes, waiters and events) or, with `tasks` null, the
 * part that belongs to no task it writes: the events of tasks without writes here (task:started of a
 * task still running) and the job's last error.
 */
export function partOf(batch: WriteBatch, tasks: readonly number[] | null): WriteBatch {
  const written = new Set(tasks ?? writtenTasks(batch));
  const mine = (index: number | undefined) => (tasks === null ? index === undefined || !written.has(index) : index !== undefined && written.has(index));
  const part = emptyBatch();
  if (tasks !== null) {
    for (const [index, state] of batch.states) if (written.has(index)) part.states.set(index, state);
    part.finished = batch.finished.filter((t) => written.has(t.index));
    part.rescheduled = batch.rescheduled.filter((t) => written.has(t.index));
    for (const [index, attempt] of batch.attempts) if (written.has(index)) part.attempts.set(index, attempt);
  } else {
    part.lastError = batch.lastError;
  }
  part.waiters = batch.waiters.filter((w) => mine(w.index));
  part.events = batch.events.filter((e) => mine(taskOf(e)));
  return part;
}

/**
 * Puts `earlier` (a batch whose flush failed) back in front of `later` (what was queued since):
 * newer states win, outcomes, waiters and events keep their order.
 */
export function putBack(earlier: WriteBatch, later: WriteBatch): void {
  for (const [index, state] of earlier.states) if (!later.states.has(index)) later.states.set(index, state);
  // concat, not unshift(...): a batch may hold more items than a call takes arguments.
  later.finished = earlier.finished.concat(later.finished);
  later.rescheduled = earlier.rescheduled.concat(later.rescheduled);
  for (const [index, attempt] of earlier.attempts) if (!later.attempts.has(index)) later.attempts.set(index, attempt);
  later.waiters = earlier.waiters.concat(later.waiters);
  later.events = earlier.events.concat(later.events);
  later.lastError ??= earlier.lastError;
}

/**
 * Only the latest task:state of a task per batch (issue 9's coalescing): its `state` is the
 * newest, its `fields` every field written since the previous batch.
 */
export function coalesceTaskStates(events: EngineEvent[]): EngineEvent[] {
  let states = 0;
  for (const e of events) if (e.type === 'task:state') states++;
  if (states < 2) return events;
  const latest = new Map<number, number>();
  const fields = new Map<number, Record<string, unknown>>();
  events.forEach((e, i) => {
    if (e.type !== 'task:state') return;
    latest.set(e.taskIndex, i);
    fields.set(e.taskIndex, { ...fields.get(e.taskIndex), ...e.fields });
  });
  return events.flatMap((e, i): EngineEvent[] => {
    if (e.type !== 'task:state') return [e];
    if (latest.get(e.taskIndex) !== i) return [];
    return [{ ...e, fields: fields.get(e.taskIndex)! }];
  });
}
