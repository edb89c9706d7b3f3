/**
 * What the plugin does once discovery is over, before the engine runs.
 */
import type { IAdminForth, IOperationalResource } from 'adminforth';
import { Filters } from 'adminforth';
import type { JobStore } from '../store/job-store.js';
import type { Logger } from '../engine/engine-types.js';
import type { PluginOptions } from '../types.js';
import { progressOf } from '../engine/engine.js';

/**
 * AdminForth calls `validateConfigAfterDiscover` before it builds the resource API (contract
 * §1.3), so the plugin waits until `resource(id)` answers instead of sleeping a fixed second.
 */
export async function waitForResource(adminforth: IAdminForth, resourceId: string, timeoutMs = 60_000): Promise<IOperationalResource> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 0; ; delay = Math.min(100, delay * 2 + 1)) {
    try {
      const resource = adminforth.resource(resourceId);
      if (resource?.dataConnector?.client) return resource;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`background-jobs: resource '${resourceId}' did not become usable within ${timeoutMs} ms: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Brings unfinished rows in line with the store after a crash: a row whose job finished in the
 * store gets its final status; a row with no job in the store (its creation was interrupted, or
 * it was made by the official plugin, which kept tasks elsewhere) is marked CANCELLED with the
 * reason in its state. Only rows older than `olderThanMs` are judged: a younger one may be a job
 * another replica is creating right now (its row exists a moment before its tasks are linked).
 */
export async function reconcileRows(input: {
  resource: IOperationalResource; store: JobStore; options: PluginOptions; primaryKey: string; log: Logger; olderThanMs: number;
}): Promise<void> {
  const { resource, store, options: o, primaryKey, log } = input;
  const before = new Date(Date.now() - input.olderThanMs).toISOString();
  const rows = await resource.list([Filters.IN(o.statusField, ['IN_PROGRESS', 'QUEUED']), Filters.LT(o.createdAtField, before)]);
  for (const row of rows) {
    const jobId = String(row[primaryKey]);
    const job = await store.getJob(jobId);
    if (!job || job.status === 'DRAFT') {
      log('warn', `background-jobs: job ${jobId} has no stored tasks (its creation was interrupted, or another plugin made it); marking it CANCELLED.`);
      const state = row[o.stateField] && typeof row[o.stateField] === 'object' ? row[o.stateField] : {};
      await resource.update(row[primaryKey], {
        [o.statusField]: 'CANCELLED', [o.finishedAtField]: new Date().toISOString(),
        [o.stateField]: { ...state, error: 'The job has no stored tasks: its creation was interrupted.' },
      });
    } else if (job.status !== row[o.statusField]) {
      await resource.update(row[primaryKey], {
        [o.statusField]: job.status, [o.progressField]: progressOf(job),
        [o.finishedAtField]: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
      });
    }
  }
}
