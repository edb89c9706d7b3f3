/**
 * Recurring schedules over HTTP (docs/http-api.md "Schedules"), for admins only (the `isAdmin`
 * option, as for seeing every job): `POST /adminapi/v1/plugin/<pluginInstanceId>/schedules/<action>`
 * with strict zod bodies — list, pause, resume, run. The `af-jobs schedules` commands call them.
 */
import { z } from 'zod';
import type { IHttpServer } from 'adminforth';
import { JobsError } from '../errors.js';
import { SCHEDULE_NAME_PATTERN } from '../engine/schedule-definition.js';
import type { AdminUserLike } from '../types.js';
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import { registerApiEndpoint } from './endpoint.js';

export const listSchedulesSchema = z.object({}).strict();

export const scheduleNameSchema = z.object({
  name: z.string().regex(SCHEDULE_NAME_PATTERN, "must be a schedule name: 1–100 letters, digits, '_', '-', '.' or ':'"),
}).strict();

/** FORBIDDEN unless the caller is an admin: schedules act for the whole app, not for one user. */
async function requireAdmin(ctx: ApiContext, adminUser: AdminUserLike): Promise<void> {
  if (!(await ctx.policy.isAdmin(adminUser))) {
    throw new ApiError('FORBIDDEN', 'Only admins may see and manage schedules (the isAdmin option of the plugin decides who is one).');
  }
}

/** Runs `action`; a schedule the app has not registered answers 404 naming the field. */
async function onSchedule<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof JobsError && error.code === 'NOT_FOUND') throw new ApiError('NOT_FOUND', error.message, 'name');
    throw error;
  }
}

export function registerScheduleEndpoints(server: IHttpServer, ctx: ApiContext, base: string): void {
  const plugin = ctx.plugin;

  registerApiEndpoint(server, ctx, {
    path: `${base}/schedules/list`,
    schema: listSchedulesSchema,
    description: 'The recurring schedules of the app, with their next and last run (admins only)',
    handler: async ({ caller }) => {
      await requireAdmin(ctx, caller.adminUser);
      await ctx.engine(); // NOT_READY when the engine could not start
      return { schedules: await plugin.listSchedules() };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/schedules/pause`,
    schema: scheduleNameSchema,
    description: 'Pause a schedule on every replica: its ticks start no job until it is resumed (admins only)',
    handler: async ({ body, caller }) => {
      await requireAdmin(ctx, caller.adminUser);
      await ctx.engine();
      return { schedule: await onSchedule(body.name, () => plugin.pauseSchedule(body.name)) };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/schedules/resume`,
    schema: scheduleNameSchema,
    description: 'Resume a paused schedule; ticks of the paused time are not caught up (admins only)',
    handler: async ({ body, caller }) => {
      await requireAdmin(ctx, caller.adminUser);
      await ctx.engine();
      return { schedule: await onSchedule(body.name, () => plugin.resumeSchedule(body.name)) };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/schedules/run`,
    schema: scheduleNameSchema,
    description: 'Start a job of a schedule now, outside its ticks (admins only)',
    handler: async ({ body, caller }) => {
      await requireAdmin(ctx, caller.adminUser);
      await ctx.engine();
      const { schedule, jobId } = await onSchedule(body.name, () => plugin.runScheduleNow(body.name));
      return { schedule, jobId: String(jobId) };
    },
  });
}
