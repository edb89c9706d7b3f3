/**
 * One job's live updates in the order of its durable event log. Every payload the plugin publishes
 * on the job topic and the job's task topic carries the event's `seq` (plugin/src/adapter/
 * publisher.ts), one numbering for both topics. So a component that follows both can tell:
 * - a duplicate (`seq` at or below the last one applied: ignored);
 * - the next event (applied);
 * - a gap (`seq` further on: messages were lost while the socket reconnected, or a subscribe raced
 *   a publish). The missed events are read from `jobs/events` and applied in order, turned into
 *   the payloads the websocket would have carried; when the log no longer holds them (truncated,
 *   reset) or the read fails, the component re-reads the job instead (`resync`).
 * Messages without `seq` (a plugin older than the durable log) are applied as they come.
 */
import websocket from '@/websocket';
import { JOB_TOPIC, jobTopicPayload, taskTopic, taskTopicPayload } from './payloads';
import { sameId, type EventPage, type JobUpdate, type JobsApi, type LoggedEvent, type TaskUpdate } from './utils';

/** What a numbered message is, given the last number applied (`null`: none yet). */
export function seqOrder(last: number | null, seq: unknown): 'unnumbered' | 'duplicate' | 'next' | 'gap' {
  if (typeof seq !== 'number') return 'unnumbered';
  if (last === null || seq === last + 1) return 'next';
  return seq <= last ? 'duplicate' : 'gap';
}

export type JobMessage = { topic: 'job'; data: JobUpdate } | { topic: 'task'; data: TaskUpdate };

/** The websocket message a logged event was published as (payloads.ts); null for topics not followed here (`job:state`). */
export function messageOf(event: LoggedEvent): JobMessage | null {
  const job = jobTopicPayload(event);
  if (job) return { topic: 'job', data: { ...job, seq: event.seq } as JobUpdate };
  const task = taskTopicPayload(event);
  return task ? { topic: 'task', data: { ...task, seq: event.seq } as TaskUpdate } : null;
}

/**
 * Reads in flight, per job and position: a job's details and its task table follow the same
 * topics, see the same gap at once, and share one request for it.
 */
const reads = new Map<string, Promise<EventPage>>();

function eventsAfter(api: JobsApi, jobId: string | number, after: number): Promise<EventPage> {
  const key = `${jobId}\u0000${after}`;
  let read = reads.get(key);
  if (!read) {
    read = api.events(jobId, after).finally(() => reads.delete(key));
    reads.set(key, read);
  }
  return read;
}

export interface JobFeedHandlers {
  /** A job topic payload about this job. */
  job?(update: JobUpdate): void;
  /** A task topic payload of this job. */
  task?(update: TaskUpdate): void;
  /** Some updates could not be read from the log: re-read what is shown. */
  resync(): void;
}

/** Subscribes to the job's two topics and delivers its updates in log order; returns the unsubscribe. */
export function followJob(api: JobsApi, jobId: string | number, handlers: JobFeedHandlers): () => void {
  let last: number | null = null;
  /** While a gap is being filled: the messages that came meanwhile, applied after it. */
  let held: JobMessage[] | null = null;
  let stopped = false;

  const deliver = (message: JobMessage) => (message.topic === 'job' ? handlers.job?.(message.data) : handlers.task?.(message.data));

  function receive(message: JobMessage): void {
    if (stopped) return;
    const { seq } = message.data;
    const order = seqOrder(last, seq);
    if (order === 'unnumbered') return deliver(message);
    if (held) {
      held.push(message);
    } else if (order === 'next') {
      last = seq!;
      deliver(message);
    } else if (order === 'gap') {
      void fill(message, seq!);
    }
  }

  async function fill(trigger: JobMessage, seq: number): Promise<void> {
    held = [];
    let filled = false;
    try {
      const page = await eventsAfter(api, jobId, last!);
      if (stopped) return;
      if (!page.truncated && !page.reset) {
        for (const event of page.events) {
          if (event.seq <= last!) continue;
          last = event.seq;
          const message = messageOf(event);
          if (message) deliver(message);
        }
        filled = last! >= seq;
      }
    } catch {
      // Re-read below.
    }
    if (stopped) return;
    if (!filled) {
      last = seq;
      deliver(trigger);
      handlers.resync();
    }
    const waiting = held;
    held = null;
    for (const message of waiting) receive(message);
  }

  const unsubscribers = [
    websocket.subscribe(JOB_TOPIC, (data: JobUpdate) => {
      if (sameId(data.jobId, jobId)) receive({ topic: 'job', data });
    }),
    websocket.subscribe(taskTopic(jobId), (data: TaskUpdate) => receive({ topic: 'task', data })),
  ];
  return () => {
    stopped = true;
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
