/**
 * Maps engine events to AdminForth websocket topics (contract §7.2; the seed's task topic) and to
 * writes of the jobs resource row. Every publish is filtered to the users who may see the job.
 */
import type { EngineEvent } from '../events.js';
import type { ResourceMirror } from './mirror.js';
// The job and task topic payloads are shared with the admin UI, which rebuilds them from the log.
import { JOB_TOPIC, jobTopicPayload, taskTopic, taskTopicPayload } from '../../custom/payloads.js';

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

export { JOB_TOPIC, taskTopic };
export const jobStateTopic = (jobId: string, field: string) => `/background-jobs-state-update/${jobId}/${encodeURIComponent(field)}`;
export const taskStateTopic = (jobId: string, field: string) => `/background-jobs-task-state-update/${jobId}/${encodeURIComponent(field)}`;

const ignore = () => {};

function publish(ws: PublishTarget, topic: string, data: Record<string, unknown>, seq: number | undefined, filter: (adminUser: any) => Promise<boolean> | boolean): void {
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
    // The resource row follows the job's events.
    switch (event.type) {
      case 'job:started': mirror.update(event.jobId, { [columns.status]: 'IN_PROGRESS' }); break;
      case 'job:progress': mirror.update(event.jobId, { [columns.progress]: event.progress }); break;
      case 'job:finished':
        mirror.update(event.jobId, { [columns.status]: event.status, [columns.finishedAt]: event.finishedAt, [columns.progress]: event.progress });
        break;
      case 'job:retried': mirror.update(event.jobId, { [columns.status]: event.status, [columns.finishedAt]: null }); break;
      case 'job:state': mirror.update(event.jobId, { [columns.state]: event.state }); break;
    }
    const ws = config.websocket();
    if (!ws) return;
    const filter = filterOf(event);
    const job = jobTopicPayload(event);
    if (job) {
      if (event.type === 'job:created' || event.type === 'job:started') job.customComponent = config.customComponent(event.handler);
      publish(ws, JOB_TOPIC, job, event.seq, filter);
    }
    const task = taskTopicPayload(event);
    if (task) publish(ws, taskTopic(event.jobId), task, event.seq, filter);
    if (event.type === 'job:state') {
      publish(ws, jobStateTopic(event.jobId, event.field), { jobId: event.jobId, fieldName: event.field, value: event.value }, event.seq, filter);
    } else if (event.type === 'task:state') {
      for (const [field, value] of Object.entries(event.fields)) {
        publish(ws, taskStateTopic(event.jobId, field), { jobId: event.jobId, taskIndex: event.taskIndex, fieldName: field, value }, event.seq, filter);
      }
    }
  };
}
