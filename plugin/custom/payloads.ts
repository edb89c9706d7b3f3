/**
 * The websocket topics of a job and the payloads an event of its log is published as: what the
 * plugin sends (plugin/src/adapter/publisher.ts) and what the admin UI rebuilds when it fills a gap
 * from `jobs/events` (job-feed.ts). One definition, so the two cannot drift apart. Nothing is
 * imported here: the server loads this file too.
 */

/** One topic for every job: creation, start, progress, finish, cancel, retry (plugin README). */
export const JOB_TOPIC = '/background-jobs-job-update';
/** `{ taskIndex, status, error? }` and `{ taskIndex, state }` for one job's tasks. */
export const taskTopic = (jobId: string | number) => `/background-jobs-task-update/${jobId}`;

/** An engine event, or one of the log as `jobs/events` answers it: its type, its job and its own fields. */
export interface PayloadEvent {
  type: string;
  jobId: string | number;
  [field: string]: any;
}

/**
 * The job topic payload of an event (the official plugin's, plus the final `progress` of a finish:
 * no separate progress update follows it); null for an event not published there.
 */
export function jobTopicPayload(event: PayloadEvent): Record<string, unknown> | null {
  const { jobId } = event;
  switch (event.type) {
    case 'job:created': return { jobId, status: event.status, name: event.name, progress: 0, createdAt: event.createdAt };
    case 'job:started': return { jobId, status: 'IN_PROGRESS', name: event.name, progress: event.progress, createdAt: event.createdAt };
    case 'job:progress': return { jobId, progress: event.progress };
    case 'job:finished':
      if (event.status === 'CANCELLED') return { jobId, status: 'CANCELLED', progress: event.progress };
      if (event.status === 'DONE_WITH_ERRORS') return { jobId, status: event.status, finishedAt: event.finishedAt, error: event.error, progress: event.progress };
      return { jobId, status: event.status, finishedAt: event.finishedAt, progress: event.progress };
    case 'job:retried': return { jobId, status: event.status };
    default: return null;
  }
}

/** The payload on the job's task topic (the seed's `{ taskIndex, status?, state? }`); null for a job event. */
export function taskTopicPayload(event: PayloadEvent): Record<string, unknown> | null {
  const { taskIndex } = event;
  switch (event.type) {
    case 'task:started': return { taskIndex, status: 'IN_PROGRESS' };
    case 'task:done': return { taskIndex, status: 'DONE' };
    case 'task:failed': return event.willRetry ? { taskIndex, status: 'SCHEDULED', error: event.error } : { taskIndex, status: 'FAILED', error: event.error };
    case 'task:cancelled': return { taskIndex, status: 'CANCELLED' };
    case 'task:state': return { taskIndex, state: event.state };
    default: return null;
  }
}
