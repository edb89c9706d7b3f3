/**
 * The plugin's public operations on jobs (the seed's API and what 2.x adds), each one call into
 * the engine once it runs: BackgroundJobsPlugin (index.ts) extends this with AdminForth's
 * lifecycle and the registrations. Ids go in as the resource's keys and come out in its type.
 */
import { AdminForthPlugin } from 'adminforth';
import type { AdminUser } from 'adminforth';
import type { PluginRuntime } from './adapter/runtime.js';
import { checkJobName, type JobRows } from './adapter/job-rows.js';
import type { JobRow, TaskRow } from './store/job-store.js';
import { JobsError } from './errors.js';
import type { JobStatus, TaskStatus } from './statuses.js';
import type { AdminUserLike, RetryScope, StartJobOptions, TaskSource } from './types.js';

type User = AdminUserLike | AdminUser | null;

export abstract class JobOperations extends AdminForthPlugin {
  /** The engine's start-up and stop (adapter/runtime.ts). @internal */
  protected abstract readonly runtime: PluginRuntime;
  /** The jobs resource's rows, once AdminForth hands the resource over. @internal */
  protected abstract rows(): JobRows;

  /**
   * Creates a job of `tasks` (an array or an async iterable of `{ state }`) run by `jobHandlerName`,
   * started by `adminUser` (or `null` for system jobs). Resolves to the job's id once every task is
   * stored; the tasks then run in the background.
   */
  async startNewJob(jobName: string, adminUser: User, tasks: TaskSource, jobHandlerName: string, initialState: Record<string, unknown> = {}, options: StartJobOptions = {}): Promise<any> {
    checkJobName(jobName);
    const engine = await this.runtime.ready;
    const startedBy = adminUser?.pk !== undefined && adminUser?.pk !== null ? String(adminUser.pk) : null;
    const jobId = await this.runtime.createJob(engine, { name: jobName, startedBy, tasks, handler: jobHandlerName, initialState, queued: options.queued, autoStart: options.autoStart });
    return this.rows().rowId(jobId);
  }

  /** `startNewJob` with `{ queued: true }`: waits for a free concurrency slot of its handler. */
  queueNewJob(jobName: string, adminUser: User, tasks: TaskSource, jobHandlerName: string, initialState: Record<string, unknown> = {}, options: Omit<StartJobOptions, 'queued'> = {}): Promise<any> {
    return this.startNewJob(jobName, adminUser, tasks, jobHandlerName, initialState, { ...options, queued: true });
  }

  /** Starts the oldest QUEUED job of the handler if a slot is free; its id, or null. (Queues also drain by themselves.) */
  async startNextQueuedJob(jobHandlerName: string): Promise<any> {
    const [id] = await (await this.runtime.ready).startQueued(jobHandlerName, 1);
    return id === undefined ? null : this.rows().rowId(id);
  }

  /** Starts QUEUED jobs of the handler, oldest first, while its concurrencyLimit allows; their ids. */
  async startQueuedJobs(jobHandlerName: string): Promise<any[]> {
    return (await (await this.runtime.ready).startQueued(jobHandlerName, Number.MAX_SAFE_INTEGER)).map((id) => this.rows().rowId(id));
  }

  /** Adds tasks to an IN_PROGRESS or QUEUED job, after its last task (also from a `beforeJobFinish` hook). */
  async addNewTasksToExistingJob(jobId: unknown, tasks: TaskSource): Promise<{ firstIndex: number; count: number; total: number }> {
    return (await this.runtime.ready).addTasks(String(jobId), tasks);
  }

  /** Removes one task of an IN_PROGRESS or QUEUED job (a running one is aborted); others keep their indexes. */
  async deleteTasksFromExistingJob(jobId: unknown, taskIndex: number): Promise<void> {
    await (await this.runtime.ready).deleteTask(String(jobId), taskIndex);
  }

  /** Runs `updateFunction` while no other call for the same job runs, on any replica: read-modify-writes lose nothing. */
  async updateJobFieldsAtomically<T>(jobId: unknown, updateFunction: () => T | Promise<T>): Promise<T> {
    if (jobId === undefined || jobId === null || jobId === '') throw new JobsError('INVALID_INPUT', 'updateJobFieldsAtomically: jobId is required');
    if (typeof updateFunction !== 'function') throw new JobsError('INVALID_INPUT', 'updateJobFieldsAtomically: updateFunction must be a function');
    return (await this.runtime.ready).withJobLock(String(jobId), updateFunction);
  }

  /** Cancels a job: running tasks' signals abort, scheduled tasks are cancelled. */
  async cancelJob(jobId: unknown): Promise<{ changed: boolean; status: JobStatus }> {
    return (await this.runtime.ready).cancelJob(String(jobId));
  }

  /** Runs a finished job's failed tasks (or all unfinished ones, or the given indexes) again. */
  async retryJob(jobId: unknown, { scope = 'failed' }: { scope?: RetryScope } = {}): Promise<{ status: JobStatus; tasks: number }> {
    return (await this.runtime.ready).retryJob(String(jobId), scope);
  }

  async setJobStateField(jobId: unknown, field: string, value: unknown): Promise<void> {
    const engine = await this.runtime.ready;
    const job = await engine.getJob(String(jobId));
    await engine.setJobStateField({ jobKey: job.jobKey, jobId: String(jobId), handler: job.handler, name: job.name, startedBy: job.startedBy }, field, value);
  }

  async getJobStateField(jobId: unknown, field: string): Promise<any> { return (await this.getJobState(jobId))[field]; }
  async getJobState(jobId: unknown): Promise<Record<string, any>> { return (await this.getJob(jobId)).state; }
  /** The engine's view of a job: status, counters, state. */
  async getJob(jobId: unknown): Promise<JobRow> { return (await this.runtime.ready).getJob(String(jobId)); }

  async getJobTasks(jobId: unknown, opts: { status?: TaskStatus[]; limit?: number; offset?: number } = {}): Promise<{ tasks: TaskRow[]; total: number }> {
    return (await this.runtime.ready).getTasks(String(jobId), { status: opts.status, limit: opts.limit ?? 100, offset: opts.offset ?? 0 });
  }
}
