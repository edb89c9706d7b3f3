/**
 * The official plugin's four endpoints (contract §7.1), same paths, bodies and answers, so its
 * Vue components and anything else written against them keep working. They stay on AdminForth's
 * own cookie auth and `request_schema` checks (400 `Request body validation failed`), as there.
 *
 * One deliberate difference: the official endpoints check only that a user is logged in; here
 * each job goes through the same policy as the rest of the API, and a job the user may not see
 * answers exactly as a missing one does (each endpoint's own "not found" answer).
 */
import { z } from 'zod';
import type { IAdminForthAuthenticatedEndpointHandlerInput, IHttpServer } from 'adminforth';
import { Filters, Sorts } from 'adminforth';
import { errorMessage } from '../errors.js';
import { isFinishedJobStatus } from '../statuses.js';
import type { AdminUserLike } from '../types.js';
import type { ApiContext, LoadedJob } from './context.js';

/** The official plugin's limit for `get-list-of-jobs`. */
const LIST_LIMIT = 100;
/** Most tasks one `get-tasks` answers (the official plugin had no cap; `limit: 0` meant "all"). */
const TASKS_CAP = 500;

export const jobIdBodySchema = z.object({
  jobId: z.union([z.string(), z.number()]),
}).strict();

export const getTasksBodySchema = z.object({
  jobId: z.union([z.string(), z.number()]),
  limit: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  fieldsToReturn: z.array(z.string()).optional(),
}).strict();

/** The job if it exists in this instance and the user may see it; null otherwise (also for a malformed id). */
async function visibleJob(ctx: ApiContext, adminUser: AdminUserLike, jobId: string | number): Promise<LoadedJob | null> {
  let job: LoadedJob | null;
  try {
    job = await ctx.loadJob(jobId);
  } catch (error) {
    if ((error as { code?: string }).code === 'INVALID_INPUT') return null;
    throw error;
  }
  if (!job || !(await ctx.policy.canView(adminUser, job.access))) return null;
  return job;
}

const notFound = (jobId: string | number) => ({ ok: false, message: `Job with id ${jobId} not found.` });

/** `get-background-job-info`'s job: the row's values, as the official plugin answered them. */
function jobInfo(ctx: ApiContext, job: LoadedJob) {
  const o = ctx.plugin.options;
  const { row } = job;
  return {
    id: row[ctx.primaryKey()],
    name: row[o.nameField],
    createdAt: row[o.createdAtField],
    finishedAt: row[o.finishedAtField] || null,
    status: row[o.statusField],
    state: row[o.stateField],
    progress: row[o.progressField],
    customComponent: ctx.plugin.getTaskDetailsComponent(row[o.jobHandlerField]),
  };
}

export const JOB_INFO_PATH = '/plugin/get-background-job-info';

/** `/plugin/get-background-job-info` has no instance id: registered once per server, it asks every instance. */
export function registerJobInfoEndpoint(server: IHttpServer, all: ApiContext[]): void {
  server.endpoint({
    method: 'POST',
    path: JOB_INFO_PATH,
    request_schema: jobIdBodySchema,
    description: 'One job (official plugin compatible)',
    handler: async ({ body, adminUser }: IAdminForthAuthenticatedEndpointHandlerInput) => {
      const { jobId } = body as z.infer<typeof jobIdBodySchema>;
      for (const ctx of all) {
        await ctx.engine();
        const job = await visibleJob(ctx, adminUser, jobId);
        if (job) return { ok: true, job: jobInfo(ctx, job) };
      }
      return notFound(jobId);
    },
  });
}

export function registerCompatEndpoints(server: IHttpServer, ctx: ApiContext, base: string): void {
  const o = ctx.plugin.options;

  server.endpoint({
    method: 'POST',
    path: `${base}/get-list-of-jobs`,
    description: "The caller's latest jobs (official plugin compatible)",
    handler: async ({ adminUser }: IAdminForthAuthenticatedEndpointHandlerInput) => {
      await ctx.engine();
      const resource = ctx.plugin.adminforth.resource(ctx.plugin.resourceConfig.resourceId);
      const startedByColumn = ctx.plugin.resourceConfig.columns.find((c) => c.name === o.startedByField);
      const numeric = ['integer', 'float', 'decimal'].includes(String(startedByColumn?.type ?? '').toLowerCase());
      const rows = await resource.list(
        Filters.EQ(o.startedByField, numeric ? Number(adminUser.pk) : String(adminUser.pk)),
        LIST_LIMIT, 0, [Sorts.DESC(o.createdAtField), Sorts.DESC(ctx.primaryKey())],
      );
      const jobs = [];
      for (const row of rows) {
        if (!(await ctx.policy.canView(adminUser, ctx.accessInfo(row)))) continue;
        jobs.push({
          id: row[ctx.primaryKey()],
          name: row[o.nameField],
          createdAt: row[o.createdAtField],
          finishedAt: row[o.finishedAtField] || null,
          status: row[o.statusField],
          progress: row[o.progressField],
          customComponent: ctx.plugin.getTaskDetailsComponent(row[o.jobHandlerField]),
        });
      }
      return { jobs };
    },
  });

  server.endpoint({
    method: 'POST',
    path: `${base}/cancel-job`,
    request_schema: jobIdBodySchema,
    description: 'Cancel a job (official plugin compatible)',
    handler: async ({ body, adminUser }: IAdminForthAuthenticatedEndpointHandlerInput) => {
      const { jobId } = body as z.infer<typeof jobIdBodySchema>;
      await ctx.engine();
      const job = await visibleJob(ctx, adminUser, jobId);
      if (!job) return notFound(jobId);
      if (!(await ctx.policy.canManage(adminUser, job.access))) {
        return { ok: false, message: `You may not cancel the job with id ${jobId}.` };
      }
      const status = job.stored?.status ?? job.access.status;
      if (isFinishedJobStatus(status)) return { ok: false, message: `Cannot cancel a job with status ${status}.` };
      try {
        if (!job.stored) throw new Error(`job ${jobId} has no stored tasks`);
        const result = await ctx.plugin.cancelJob(job.id);
        if (!result.changed) return { ok: false, message: `Cannot cancel a job with status ${result.status}.` };
        return { ok: true };
      } catch (error) {
        console.error(`background-jobs: cancel-job ${jobId}: ${errorMessage(error)}`);
        return { ok: false, message: `Failed to cancel job with id ${jobId}.` };
      }
    },
  });

  server.endpoint({
    method: 'POST',
    path: `${base}/get-tasks`,
    request_schema: getTasksBodySchema,
    description: "A page of a job's tasks (official plugin compatible)",
    handler: async ({ body, adminUser }: IAdminForthAuthenticatedEndpointHandlerInput) => {
      const { jobId, limit, offset, fieldsToReturn } = body as z.infer<typeof getTasksBodySchema>;
      const engine = await ctx.engine();
      const job = await visibleJob(ctx, adminUser, jobId);
      // The official plugin answered an unknown job with an empty page (contract §10); a job the
      // user may not see answers the same.
      if (!job?.stored) return { ok: true, data: { tasks: [], total: 0 } };
      const page = await engine.tasksOf(job.stored, { limit: limit === 0 ? TASKS_CAP : Math.min(limit, TASKS_CAP), offset });
      const tasks = page.tasks.map((task) => {
        let state = task.state;
        if (fieldsToReturn && fieldsToReturn.length > 0) {
          state = {};
          for (const field of fieldsToReturn) state[field] = task.state[field];
        }
        return { state, status: task.status };
      });
      return { ok: true, data: { tasks, total: job.stored.total } };
    },
  });
}
