/**
 * Maps engine events to AdminForth websocket topics (contract §7.2; the seed's task topic) and to
 * writes of the jobs resource row. Every publish is filtered to the users who may see the job.
 */
import type { EngineEvent } from '../events.js';
import type { ResourceMirror } from './mirror.js';
import { notifyEngineEventListeners } from './event-listeners.js';

export interface PublishTarget {
  publish(topic: string, data: unknown, filterUsers?: (adminUser: any) => Promise<boolean> | boolean): unknown;
}

export interface PublisherConfig {
  websocket: () => PublishTarget | undefined;
  mirror: ResourceMirror;
  columns: { status: string; progress: string; finishedAt: string; state: string };
  mayView: (adminUser: any, startedBy: string | null, jobId: string) => Promise<boolean> | boolean;
  customComponent: (handler: string) => unknown;
}

export const JOB_TOPIC = '/background-jobs-job-update';
export const taskTopic = (jobId: string) => `/background-jobs-task-update/${jobId}`;
export const jobStateTopic = (jobId: string, field: string) => `/background-jobs-state-update/${jobId}/${encodeURIComponent(field)}`;
export const taskStateTopic = (jobId: string, field: string) => `/background-jobs-task-state-update/${jobId}/${encodeURIComponent(field)}`;

const ignore = () => {};

function publish(ws: PublishTarget | undefined, topic: string, data: Record<string, unknown>, seq: number | undefined, filter: (adminUser: any) => Promise<boolean> | boolean): void {
  if (!ws) return;
  // `data` is this event's own object: the sequence number goes into it, no copy.
  if (seq !== undefined) data.seq = seq;
  const sent = ws.publish(topic, data, filter) as Promise<unknown> | undefined;
  if (sent && typeof sent.catch === 'function') sent.catch(ignore);
}

/**
 * Every payload carries the event's `seq` (its number in the job's durable log, issue 9) when it
 * has one, so a client can notice a gap and fill it from `jobs/events`; the payloads are otherwise
 * the official plugin's.
 */
export function createPublisher(config: PublisherConfig): (event: EngineEvent & { seq?: number }) => void {
  const { mirror, columns } = config;
  // One filter per job, not per event (a busy job publishes tens of thousands of events a second).
  const filters = new Map<string, (adminUser: any) => Promise<boolean> | boolean>();
  const filterOf = (event: EngineEvent) => {
    let filter = filters.get(event.jobId);
    if (!filter) {
      const { startedBy, jobId } = event;
      filter = (adminUser: any) => config.mayView(adminUser, startedBy, jobId);
      if (filters.size >= 1000) filters.delete(filters.keys().next().value as string);
      filters.set(jobId, filter);
    }
    return filter;
  };
  return (event) => {
    notifyEngineEventListeners(mirror, event);
    const ws = config.websocket();
    const send = (topic: string, data: Record<string, unknown>) => publish(ws, topic, data, event.seq, filterOf(event));
    switch (event.type) {
      case 'job:created':
        send(JOB_TOPIC, { jobId: event.jobId, status: event.status, name: event.name, progress: 0, createdAt: event.createdAt, customComponent: config.customComponent(event.handler) });
        break;
      case 'job:started':
        mirror.update(event.jobId, { [columns.status]: 'IN_PROGRESS' });
        send(JOB_TOPIC, { jobId: event.jobId, status: 'IN_PROGRESS', name: event.name, progress: event.progress, createdAt: event.createdAt, customComponent: config.customComponent(event.handler) });
        break;
      case 'job:progress':
        mirror.update(event.jobId, { [columns.progress]: event.progress });
        send(JOB_TOPIC, { jobId: event.jobId, progress: event.progress });
        break;
      case 'job:finished':
        mirror.update(event.jobId, { [columns.status]: event.status, [columns.finishedAt]: event.finishedAt, [columns.progress]: event.progress });
        // The official payloads, plus the final progress (no separate job:progress follows a job:finished).
        if (event.status === 'CANCELLED') send(JOB_TOPIC, { jobId: event.jobId, status: 'CANCELLED', progress: event.progress });
        else if (event.status === 'DONE_WITH_ERRORS') send(JOB_TOPIC, { jobId: event.jobId, status: event.status, finishedAt: event.finishedAt, error: event.error, progress: event.progress });
        else send(JOB_TOPIC, { jobId: event.jobId, status: event.status, finishedAt: event.finishedAt, progress: event.progress });
        break;
      case 'job:retried':
        mirror.update(event.jobId, { [columns.status]: event.status, [columns.finishedAt]: null });
        send(JOB_TOPIC, { jobId: event.jobId, status: event.status });
        break;
      case 'job:state':
        mirror.update(event.jobId, { [columns.state]: event.state });
        send(jobStateTopic(event.jobId, event.field), { jobId: event.jobId, fieldName: event.field, value: event.value });
        break;
      case 'task:started':
        send(taskTopic(event.jobId), { taskIndex: event.taskIndex, status: 'IN_PROGRESS' });
        break;
      case 'task:done':
        send(taskTopic(event.jobId), { taskIndex: event.taskIndex, status: 'DONE' });
        break;
      case 'task:failed':
        send(taskTopic(event.jobId), event.willRetry
          ? { taskIndex: event.taskIndex, status: 'SCHEDULED', error: event.error }
          : { taskIndex: event.taskIndex, status: 'FAILED', error: event.error });
        break;
      case 'task:cancelled':
        send(taskTopic(event.jobId), { taskIndex: event.taskIndex, status: 'CANCELLED' });
        break;
      case 'task:state':
        send(taskTopic(event.jobId), { taskIndex: event.taskIndex, state: event.state });
        for (const [field, value] of Object.entries(event.fields)) {
          send(taskStateTopic(event.jobId, field), { jobId: event.jobId, taskIndex: event.taskIndex, fieldName: field, value });
        }
        break;
    }
  };
}
