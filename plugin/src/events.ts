/**
 * Typed engine events (`scope:verb`). The engine emits them; the AdminForth adapter mirrors them to
 * the jobs resource and publishes them on the websocket; the CLI and the Vue components read the
 * same shapes.
 */
import type { JobStatus, TaskStatus } from './statuses.js';

export interface JobEventBase {
  jobId: string;
  handler: string;
  /** Primary key of the user who started the job (who may see its events, with admins). */
  startedBy: string | null;
}

export interface EngineEventMap {
  'job:created': JobEventBase & { name: string; status: JobStatus; createdAt: string; total: number };
  'job:started': JobEventBase & { name: string; createdAt: string; progress: number };
  'job:progress': JobEventBase & { progress: number; total: number; done: number; failed: number; cancelled: number };
  'job:finished': JobEventBase & { status: JobStatus; finishedAt: string; progress: number; error?: string };
  'job:state': JobEventBase & { field: string; value: unknown; state: Record<string, unknown> };
  'job:retried': JobEventBase & { status: JobStatus; tasks: number };
  /** `addNewTasksToExistingJob`: tasks firstIndex … firstIndex + count - 1 were added; the job now has `total`. */
  'job:tasks-added': JobEventBase & { firstIndex: number; count: number; total: number };
  /** `deleteTasksFromExistingJob`: the task was removed from the job (a running one is aborted). */
  'task:deleted': JobEventBase & { taskIndex: number };
  'task:started': JobEventBase & { taskIndex: number; attempt: number };
  'task:state': JobEventBase & { taskIndex: number; state: Record<string, unknown>; fields: Record<string, unknown> };
  /** `durationMs`: how long the attempt ran, in whole milliseconds (absent from events of older versions). */
  'task:done': JobEventBase & { taskIndex: number; attempt: number; durationMs?: number };
  'task:failed': JobEventBase & { taskIndex: number; attempt: number; error: string; willRetry: boolean; durationMs?: number };
  'task:cancelled': JobEventBase & { taskIndex: number };
}

export type EngineEventName = keyof EngineEventMap;
export type EngineEvent = { [K in EngineEventName]: { type: K } & EngineEventMap[K] }[EngineEventName];

export type TaskEventStatus = Extract<TaskStatus, 'IN_PROGRESS' | 'DONE' | 'FAILED' | 'CANCELLED'>;

/** Where the engine sends its events. Must not throw; must be cheap (called per task). */
export type EventSink = (event: EngineEvent) => void;
