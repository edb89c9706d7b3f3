/**
 * The job as the API answers it. The engine's stored state is the truth (status, counters, last
 * error); the resource row supplies what only it holds (created_at) and stands in for jobs the
 * engine does not know (rows left by the official plugin).
 */
import { progressOf } from '../engine/engine.js';
import { TASK_STATUSES, type TaskStatus } from '../statuses.js';
import type { PluginOptions } from '../types.js';
import type { LoadedJob } from './context.js';

export interface JobSummary {
  id: string;
  name: string;
  handler: string;
  status: string;
  /** 0–100. */
  progress: number;
  startedBy: string | null;
  /** The starter's name in the users resource (`auth.usernameField`); null when unknown. */
  startedByName: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  tasks: { total: number; done: number; failed: number; cancelled: number };
  lastError: string | null;
  /** The recurring schedule and tick (ISO; null for a run now) that started the job; null for other jobs. */
  schedule: { name: string; tick: string | null } | null;
}

export interface JobDetails extends JobSummary {
  state: Record<string, unknown>;
  /** Tasks per status, counted now. */
  taskCounts: Record<TaskStatus, number>;
}

const iso = (value: unknown): string | null => {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return new Date(value).toISOString();
  return String(value);
};

export function toJobSummary(job: LoadedJob, o: PluginOptions, names: Map<string, string> = new Map()): JobSummary {
  const { row, stored } = job;
  const state = row[o.stateField] && typeof row[o.stateField] === 'object' ? row[o.stateField] : {};
  const rowProgress = Number(row[o.progressField]);
  return {
    id: job.id,
    name: stored?.name ?? job.access.name,
    handler: stored?.handler ?? job.access.handler,
    status: stored?.status ?? job.access.status,
    progress: stored ? progressOf(stored) : Number.isFinite(rowProgress) ? rowProgress : 0,
    startedBy: stored ? stored.startedBy : job.access.startedBy,
    startedByName: names.get(String(stored ? stored.startedBy : job.access.startedBy)) ?? null,
    createdAt: iso(row[o.createdAtField]) ?? iso(stored?.createdAt),
    finishedAt: stored ? iso(stored.finishedAt) : iso(row[o.finishedAtField]),
    tasks: stored
      ? { total: stored.total, done: stored.done, failed: stored.failed, cancelled: stored.cancelled }
      : { total: 0, done: 0, failed: 0, cancelled: 0 },
    lastError: stored ? stored.lastError : typeof state.error === 'string' ? state.error : null,
    schedule: stored?.schedule ? { name: stored.schedule.name, tick: iso(stored.schedule.tick) } : null,
  };
}

export function toJobDetails(job: LoadedJob, o: PluginOptions, taskCounts: Record<TaskStatus, number>, names?: Map<string, string>): JobDetails {
  const rowState = job.row[o.stateField];
  return {
    ...toJobSummary(job, o, names),
    state: job.stored?.state ?? (rowState && typeof rowState === 'object' ? rowState : {}),
    taskCounts,
  };
}

/** Zero tasks in every status (a job the engine does not know). */
export function emptyTaskCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
}
