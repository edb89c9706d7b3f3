/**
 * What the Jobs page reads besides `jobs/list` (docs/jobs-page.md):
 * - `metrics/handlers`: per handler, jobs and tasks per minute, failure rate, p50/p95 attempt
 *   duration, a sparkline of the last hour (the rolling counters of handler-metrics.ts: O(handlers),
 *   never a query over tasks), and queued / running jobs now (two indexed counts per handler);
 *   admins only, as the numbers count every user's jobs;
 * - `jobs/facets`: the handlers and users the filters offer;
 * - `jobs/task-attempts`: one task's attempts, read from the job's durable event log (the task row
 *   keeps only its attempt number and last error).
 */
import { z } from 'zod';
import type { IHttpServer } from 'adminforth';
import { JOB_STATUSES } from '../statuses.js';
import type { AdminUserLike } from '../types.js';
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import { registerApiEndpoint } from './endpoint.js';
import { visibleJob } from './jobs-api.js';
import { RATE_MINUTES, WINDOW_MINUTES, type HandlerMetrics } from './handler-metrics.js';
import { jobIdSchema } from './validation.js';
import type { TaskAttempt } from '../../custom/api-answers.js';

export const handlerMetricsSchema = z.object({}).strict();
export const facetsSchema = z.object({}).strict();
export const taskAttemptsSchema = z.object({
  jobId: jobIdSchema,
  taskIndex: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
}).strict();

/** Users the `startedBy` filter offers an admin, at most. */
const MAX_USERS = 200;
/** Rows of the event log read per request of `jobs/task-attempts` (the log keeps `maxEventsPerJob` events a job). */
const READ_ROWS = 500;

async function requireAdmin(ctx: ApiContext, adminUser: AdminUserLike): Promise<void> {
  if (!(await ctx.policy.isAdmin(adminUser))) {
    throw new ApiError('FORBIDDEN', 'Handler metrics count the jobs of every user: only admins may read them.');
  }
}

export function registerJobsPageApi(server: IHttpServer, ctx: ApiContext, base: string, metrics: HandlerMetrics): void {
  registerApiEndpoint(server, ctx, {
    path: `${base}/metrics/handlers`,
    schema: handlerMetricsSchema,
    description: 'Per handler: jobs and tasks per minute, failure rate, p50/p95 task duration, queued and running now, the last hour by minute',
    handler: async ({ caller }) => {
      await requireAdmin(ctx, caller.adminUser);
      const engine = await ctx.engine();
      const now = Date.now();
      const snapshot = metrics.snapshot([...engine.handlerNames(), ...metrics.handlers()], now);
      const counts = await Promise.all(snapshot.handlers.map(({ handler }) =>
        Promise.all([engine.countJobs(handler, 'QUEUED'), engine.countJobs(handler, 'IN_PROGRESS')])));
      return {
        generatedAt: new Date(now).toISOString(),
        window: {
          minutes: WINDOW_MINUTES,
          rateMinutes: RATE_MINUTES,
          since: new Date(snapshot.since).toISOString(),
          countingSince: new Date(snapshot.countingSince).toISOString(),
        },
        dropped: snapshot.dropped,
        handlers: snapshot.handlers.map((h, i) => ({
          handler: h.handler,
          registered: engine.handler(h.handler) !== undefined,
          now: { queued: counts[i][0], running: counts[i][1] },
          perMinute: h.perMinute,
          failureRate: h.failureRate,
          durationMs: h.durationMs,
          lastHour: h.lastHour,
          sparkline: h.sparkline,
        })),
      };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/facets`,
    schema: facetsSchema,
    description: 'The handlers, statuses and users the Jobs page filters offer',
    handler: async ({ caller }) => {
      const engine = await ctx.engine();
      const adminUser = caller.adminUser;
      const isAdmin = await ctx.policy.isAdmin(adminUser);
      const self = { id: String(adminUser.pk), name: adminUser.username ?? null };
      // Admins see every job, so every user is a starter worth filtering by; others see their own
      // (with the default rule), so they are offered themselves.
      const listed = isAdmin ? await ctx.userNames.list(MAX_USERS + 1) : null;
      const users = listed ? listed.slice(0, MAX_USERS) : [self];
      return {
        handlers: engine.handlerNames().sort(),
        statuses: JOB_STATUSES,
        users,
        usersComplete: listed ? listed.length <= MAX_USERS : true,
        isAdmin,
      };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/jobs/task-attempts`,
    schema: taskAttemptsSchema,
    description: "One task's attempts, with their outcome, error and duration, from the job's event log",
    handler: async ({ body, caller }) => {
      const job = await visibleJob(ctx, caller.adminUser, body.jobId);
      const engine = await ctx.engine();
      const attempts: TaskAttempt[] = [];
      if (!job.stored) return { taskIndex: body.taskIndex, attempts, complete: false };
      let after = 0;
      let complete = true;
      for (let first = true; ; first = false) {
        const read = await engine.readEvents(job.id, after, READ_ROWS);
        // The log dropped this job's first events (retention): earlier attempts are not known.
        if (first && read.oldestSeq !== null && read.oldestSeq > 1) complete = false;
        if (first && read.lastSeq === 0) complete = false;
        for (const batch of read.batches) {
          const at = new Date(batch.at).toISOString();
          for (const event of batch.events) {
            if (!('taskIndex' in event) || event.taskIndex !== body.taskIndex) continue;
            applyTaskEvent(attempts, event as TaskEventLike, at);
          }
          after = Math.max(after, batch.lastSeq);
        }
        if (read.batches.length < READ_ROWS) break;
      }
      return { taskIndex: body.taskIndex, attempts, complete };
    },
  });
}

interface TaskEventLike {
  type: string;
  attempt?: number;
  error?: string;
  willRetry?: boolean;
  durationMs?: number;
}

/** Adds one logged event of the task to its attempts (events come in log order). */
export function applyTaskEvent(attempts: TaskAttempt[], event: TaskEventLike, at: string): void {
  const open = (attempt: number | undefined) => {
    const last = attempts.at(-1);
    if (last && last.status === 'RUNNING' && (attempt === undefined || last.attempt === attempt)) return last;
    const fresh: TaskAttempt = { attempt: attempt ?? (last?.attempt ?? 0) + 1, status: 'RUNNING', startedAt: null, endedAt: null, durationMs: null, error: null };
    attempts.push(fresh);
    return fresh;
  };
  switch (event.type) {
    case 'task:started': {
      const last = attempts.at(-1);
      // A second start of the same attempt (its lease was recovered after a crash) is a new run.
      if (last && last.status === 'RUNNING' && last.attempt === event.attempt && last.startedAt === null) last.startedAt = at;
      else attempts.push({ attempt: event.attempt ?? (last?.attempt ?? 0) + 1, status: 'RUNNING', startedAt: at, endedAt: null, durationMs: null, error: null });
      break;
    }
    case 'task:done': {
      const a = open(event.attempt);
      Object.assign(a, { status: 'DONE', endedAt: at, durationMs: event.durationMs ?? null });
      break;
    }
    case 'task:failed': {
      const a = open(event.attempt);
      Object.assign(a, { status: event.willRetry ? 'RETRIED' : 'FAILED', endedAt: at, durationMs: event.durationMs ?? null, error: event.error ?? null });
      break;
    }
    case 'task:cancelled': {
      const last = attempts.at(-1);
      if (last && last.status === 'RUNNING') Object.assign(last, { status: 'CANCELLED', endedAt: at });
      break;
    }
    default:
  }
}
