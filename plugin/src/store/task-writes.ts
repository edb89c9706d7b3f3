/**
 * The task writes of one flush (states, finishes, reschedules) merged into one row per task, for
 * the stores that send them as one batched statement (PostgreSQL, MySQL).
 */
import type { FlushInput } from './job-store.js';

/** A row of the batch update: `status` null means "state only". */
export interface TaskWrite {
  index: number;
  state: string | null;
  status: 'DONE' | 'FAILED' | 'CANCELLED' | 'SCHEDULED' | null;
  error: string | null;
  runAfter: number | null;
}

/**
 * One write per task, sorted by index, so rows are locked in key order. A task both finished and
 * rescheduled in one batch (the runner never does that) finishes, as on SQLite, where the finish
 * runs first.
 */
export function taskWrites(input: Pick<FlushInput, 'states' | 'finished' | 'rescheduled'>): TaskWrite[] {
  const writes = new Map<number, TaskWrite>();
  const at = (index: number): TaskWrite => {
    let write = writes.get(index);
    if (!write) {
      write = { index, state: null, status: null, error: null, runAfter: null };
      writes.set(index, write);
    }
    return write;
  };
  for (const [index, state] of input.states) at(index).state = state;
  for (const task of input.rescheduled) {
    const write = at(task.index);
    write.status = 'SCHEDULED';
    write.error = task.error;
    write.runAfter = task.runAfter;
  }
  for (const task of input.finished) {
    const write = at(task.index);
    write.status = task.status;
    write.error = task.error ?? null;
    write.runAfter = null;
  }
  return [...writes.values()].sort((a, b) => a.index - b.index);
}
