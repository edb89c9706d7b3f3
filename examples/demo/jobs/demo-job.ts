/**
 * `demo_job`: each task waits `taskMs` (abortable) and fails when its state says so. With
 * DEMO_AUDIT_FILE set, every start and end is appended to that file (pid, job, task, time): the
 * crash tests read it to prove that no task ran twice at once and none was lost.
 */
import fs from 'fs';
import { setTimeout as sleep } from 'timers/promises';
import type { TaskContext } from '@adminforth/background-jobs';

function audit(jobId: string, taskIndex: number, what: 'start' | 'end'): void {
  const file = process.env.DEMO_AUDIT_FILE;
  if (file) fs.appendFileSync(file, `${process.pid} ${jobId} ${taskIndex} ${what} ${Date.now()}\n`);
}

export async function demoJobHandler({ jobId, taskIndex, signal, getState, setTaskStateField }: TaskContext): Promise<void> {
  const { taskMs = 0, fail = false } = await getState();
  audit(jobId, taskIndex, 'start');
  if (taskMs > 0) await sleep(taskMs, undefined, { signal });
  if (fail) throw new Error(`Task ${taskIndex} failed on purpose (listed in failTasks)`);
  await setTaskStateField('doneAt', new Date().toISOString());
  audit(jobId, taskIndex, 'end');
}
