/**
 * Tasks as users give them (`startNewJob`, `addNewTasksToExistingJob`): an array or an (async)
 * iterable of `{ state }`, checked one by one and turned into JSON text for the store, in batches,
 * so a job of millions of tasks never sits in memory whole.
 */
import { JobsError } from '../errors.js';
import type { NewTask, TaskSource } from '../types.js';
import { toJson } from './task-context.js';

/** Tasks per store call while creating a job. */
export const TASK_BATCH = 5000;

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** One task's state as JSON; `position` names it in the error (its place in what the user gave). */
export function taskStateJson(task: NewTask, position: number): string {
  if (task === null || typeof task !== 'object' || Array.isArray(task)) {
    throw new JobsError('INVALID_INPUT', `Task ${position} must be an object like { state: {...} }, got ${describe(task)}`);
  }
  const state = task.state ?? {};
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new JobsError('INVALID_INPUT', `The state of task ${position} must be an object, got ${describe(state)}`);
  }
  return toJson(state, `The state of task ${position}`);
}

/**
 * Calls `onBatch(firstPosition, states)` for each batch of at most `batchSize` tasks, in order;
 * resolves to the number of tasks.
 */
export async function forEachTaskBatch(
  tasks: TaskSource, onBatch: (first: number, states: string[]) => Promise<void>, batchSize = TASK_BATCH,
): Promise<number> {
  if (tasks === null || typeof tasks !== 'object' || (!(Symbol.iterator in tasks) && !(Symbol.asyncIterator in tasks))) {
    throw new JobsError('INVALID_INPUT', `Tasks must be an array or an (async) iterable of { state: {...} }, got ${tasks === null ? 'null' : typeof tasks}`);
  }
  let total = 0;
  let batch: string[] = [];
  const add = async (task: NewTask) => {
    batch.push(taskStateJson(task, total));
    total++;
    if (batch.length >= batchSize) {
      const chunk = batch;
      batch = [];
      await onBatch(total - chunk.length, chunk);
    }
  };
  if (Symbol.asyncIterator in tasks) {
    for await (const task of tasks as AsyncIterable<NewTask>) await add(task);
  } else {
    for (const task of tasks as Iterable<NewTask>) await add(task);
  }
  if (batch.length > 0) await onBatch(total - batch.length, batch);
  return total;
}

/** Every task's state as JSON, checked before anything is written. */
export async function collectTaskStates(tasks: TaskSource): Promise<string[]> {
  const states: string[] = [];
  await forEachTaskBatch(tasks, async (_first, batch) => { states.push(...batch); });
  return states;
}
