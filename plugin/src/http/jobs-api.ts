/**
 * The API the CLI uses, all `POST /adminapi/v1/plugin/<pluginInstanceId>/jobs/<action>` with strict
 * zod bodies (docs/http-api.md): list, get, tasks, cancel, retry, events. Every job id is checked
 * against the policy first; a job the caller may not see answers exactly like a missing one.
 */
import { z } from 'zod';
import type { IHttpServer } from 'adminforth';
import { TASK_STATUSES, isFinishedJobStatus, type TaskStatus } from '../statuses.js';
import type { AdminUserLike } from '../types.js';
import { ApiError, jobNotFound } from './errors.js';
import type { ApiContext, LoadedJob } from './context.js';
import { registerApiEndpoint } from './endpoint.js';
import { emptyTaskCounts, toJobDetails } from './job-view.js';
import { listJobs, listJobsSchema } from './jobs-list.js';
import { DEFAULT_LIMIT, DEFAULT_LONG_POLL_MS, MAX_LIMIT, MAX_LONG_POLL_MS, jobIdSchema, limitSchema, offsetSchema } from './validation.js';
import { durablePage } from './event-log.js';

const MAX_RETRY_INDEXES = 5000;
/** How long `jobs/events` waits for the final event of a job the store already reports finished. */

export const getJobSchema = z.object({ jobId: jobIdSchema }).strict();

export const jobTasksSchema = z.object({
  jobId: jobIdSchema,
  status: z.array(z.enum(TASK_STATUSES)).min(1).max(TASK_STATUSES.length).optional(),
  limit: limitSchema.optional(),
  offset: offsetSchema.optional(),
  /** Keys of each task's state to return (all when absent). */
  fields: z.array(z.string().min(1).max(255)).max(100).optional(),
}).strict();

export const cancelJobSchema = z.object({ jobId: jobIdSchema }).strict();

export const retryJobSchema = z.object({
  jobId: jobIdSchema,
  /** `failed` (default), `unfinished` (failed and cancelled), or task indexes. */
  scope: z.union([
    z.enum(['failed', 'unfinished']),
    z.array(z.number().int().min(0)).min(1).max(MAX_RETRY_INDEXES),
  ], { error: `must be 'failed', 'unfinished' or an array of task indexes (at most ${MAX_RETRY_INDEXES})` }).optional(),
}).strict();

export const jobEventsSchema = z.object({
  jobId: jobIdSchema,
  /** Return events with a sequence number above this (0: from the first). */
  after: z.number().int().min(0).optional(),
  /** How long to wait for an event when there is none yet. */
  timeoutMs: z.number().int().min(0).max(MAX_LONG_POLL_MS, `must be at most ${MAX_LONG_POLL_MS}`).optional(),
  limit: limitSchema.optional(),
}).strict();

/** The job if it exists and the caller may see it; otherwise NOT_FOUND, the same for both. */
export async function visibleJob(ctx: ApiContext, adminUser: AdminUserLike, jobId: string | number): Promise<LoadedJob> {
  const job = await ctx.loadJob(jobId);
  if (!job || !(await ctx.policy.canView(adminUser, job.access))) throw jobNotFound(jobId);
  return job;
}

/** The job if the caller may manage it; FORBIDDEN when they may only see it. */
async function manageableJob(ctx: ApiContext, adminUser: AdminUserLike, jobId: string | number, action: string): Promise<LoadedJob> {
  const job = await visibleJob(ctx, adminUser, jobId);
  if (!(await ctx.policy.canManage(adminUser, job.access))) {
    throw new ApiError('FORBIDDEN', `You may see job ${jobId} but not ${action} it: only its starter and admins may.`, 'jobId');
  }
  if (!job.stored) {
    throw new ApiError('INVALID_STATE', `Job ${jobId} has no tasks stored by this plugin (it was made by another plugin or its creation was interrupted): it cannot be ${action === 'cancel' ? 'cancelled' : 'retried'}.`, 'jobId');
  }
  return job;
}

export function registerJobsApi(server: IHttpServer, ctx: ApiContext, base: string): void {
  const o = ctx.plugin.options;

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/list`,
    schema: listJobsSchema,
    description: 'Jobs the caller may see, newest first, with filters and pagination',
    handler: ({ body, caller }) => listJobs(ctx, caller.adminUser, body),
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/get`,
    schema: getJobSchema,
    description: 'One job with its state and task counts',
    handler: async ({ body, caller }) => {
      const job = await visibleJob(ctx, caller.adminUser, body.jobId);
      const counts = job.stored ? await (await ctx.engine()).taskCounts(job.stored) : emptyTaskCounts();
      const canManage = await ctx.policy.canManage(caller.adminUser, job.access);
      const names = await ctx.userNames.namesOf([job.stored?.startedBy ?? job.access.startedBy]);
      return { job: { ...toJobDetails(job, o, counts, names), canManage } };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/tasks`,
    schema: jobTasksSchema,
    description: "A job's tasks, by index, with a status filter and a state projection",
    handler: async ({ body, caller }) => {
      const job = await visibleJob(ctx, caller.adminUser, body.jobId);
      const limit = body.limit ?? DEFAULT_LIMIT;
      const offset = body.offset ?? 0;
      if (!job.stored) return { tasks: [], total: 0, limit, offset };
      const { tasks, total } = await (await ctx.engine()).tasksOf(job.stored, { status: body.status as TaskStatus[] | undefined, limit, offset });
      const project = (state: Record<string, unknown>) =>
        body.fields ? Object.fromEntries(body.fields.filter((f) => f in state).map((f) => [f, state[f]])) : state;
      return {
        tasks: tasks.map((t) => ({ index: t.index, status: t.status, attempt: t.attempt, error: t.error, state: project(t.state) })),
        total, limit, offset,
      };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/cancel`,
    schema: cancelJobSchema,
    description: 'Cancel a job; cancelling a cancelled job answers that it already is',
    handler: async ({ body, caller }) => {
      const job = await manageableJob(ctx, caller.adminUser, body.jobId, 'cancel');
      const alreadyCancelled = { jobId: job.id, status: 'CANCELLED', changed: false, message: `Job ${job.id} is already cancelled.` };
      if (job.stored!.status === 'CANCELLED') return alreadyCancelled;
      if (isFinishedJobStatus(job.stored!.status)) {
        throw new ApiError('INVALID_STATE', `Job ${job.id} already finished as ${job.stored!.status}: there is nothing to cancel.`, 'jobId');
      }
      const result = await ctx.plugin.cancelJob(job.id);
      if (result.changed) return { jobId: job.id, status: result.status, changed: true, message: `Job ${job.id} was cancelled.` };
      if (result.status === 'CANCELLED') return alreadyCancelled;
      throw new ApiError('INVALID_STATE', `Job ${job.id} finished as ${result.status} before it could be cancelled.`, 'jobId');
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/retry`,
    schema: retryJobSchema,
    description: "Run a finished job's failed (or unfinished, or chosen) tasks again",
    handler: async ({ body, caller }) => {
      const job = await manageableJob(ctx, caller.adminUser, body.jobId, 'retry');
      const stored = job.stored!;
      if (!isFinishedJobStatus(stored.status)) {
        return { jobId: job.id, status: stored.status, tasks: 0, changed: false, message: `Job ${job.id} is ${stored.status}: it is running already; retry it once it has finished.` };
      }
      const scope = body.scope ?? 'failed';
      if (Array.isArray(scope)) {
        const bad = scope.findIndex((index) => index >= stored.total);
        if (bad !== -1) {
          throw new ApiError('INVALID_INPUT', `Field 'scope[${bad}]': job ${job.id} has ${stored.total} tasks (indexes 0–${stored.total - 1}), got ${scope[bad]}.`, `scope[${bad}]`);
        }
      }
      const result = await ctx.plugin.retryJob(job.id, { scope });
      return { jobId: job.id, status: result.status, tasks: result.tasks, changed: true, message: `Job ${job.id}: ${result.tasks} task(s) scheduled again.` };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/events`,
    schema: jobEventsSchema,
    description: "A job's events after a sequence number, from the durable log, waiting up to timeoutMs for the next one",
    handler: async ({ body, caller, abortSignal }) => {
      const job = await visibleJob(ctx, caller.adminUser, body.jobId);
      const after = body.after ?? 0;
      const limit = body.limit ?? MAX_LIMIT;
      const engine = await ctx.engine();
      // A job's job:finished is written in the same transaction as its finished status (issue 9),
      // so a finished job's log already holds its last event when the status says so.
      const progress = async (): Promise<'running' | 'finished'> => {
        const stored = await engine.findJob(job.id);
        return isFinishedJobStatus(stored?.status ?? job.access.status) ? 'finished' : 'running';
      };
      // State before page: an event appended between the two is then either in the page or leaves
      // `finished` false, never reported finished without it.
      // From the durable log: every replica's events, across restarts (issue 9). A read asks for
      // `after` + 1 … : rows hold batches, so `limit` rows hold at least `limit` events.
      const read = async () => {
        let r = await engine.readEvents(job.id, after, limit);
        // Beyond the job's last number (a log older than this client's number): from the oldest kept.
        if (after > r.lastSeq) r = await engine.readEvents(job.id, 0, limit);
        return durablePage(r, after, limit);
      };
      let state = await progress();
      let page = await read();
      if (page.events.length === 0 && !page.reset && state !== 'finished') {
        const timeoutMs = body.timeoutMs ?? DEFAULT_LONG_POLL_MS;
        await ctx.events.waitForEvent(job.id, Math.max(after, page.lastSeq), timeoutMs, abortSignal);
        state = await progress();
        page = await read();
      }
      const last = page.events.at(-1);
      const lastSeq = last ? last.seq : page.reset ? page.lastSeq : Math.max(after, page.lastSeq);
      return {
        events: page.events,
        lastSeq,
        // Finished only once the caller has every event of the job's log.
        finished: state === 'finished' && lastSeq >= page.lastSeq,
        truncated: page.truncated,
        reset: page.reset,
        durable: true,
      };
    },
  });
}
