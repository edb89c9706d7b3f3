/**
 * Retention (issue 20): an app that runs for months keeps no task rows of long-finished jobs
 * (`taskRetentionMs`, default 30 days) and, if asked, no job rows either (`jobRetentionMs`). One
 * replica at a time runs the pass (the named lock `retention`, renewed while it runs, lost after
 * `leaseMs` if its process dies); every delete is its own short transaction of at most `chunk`
 * task rows, found by key (the jobs to purge through an index on (tasks_purged_at, finished_at),
 * their tasks by primary key), so no lock is held long and no table is scanned.
 */
import type { JobStore } from '../store/job-store.js';
import { errorMessage } from '../errors.js';
import type { Logger } from './engine-types.js';

/** Task rows per delete transaction. */
export const PURGE_CHUNK = 2000;
const JOBS_PER_QUERY = 100;
const LOCK = 'retention';

export interface RetentionOptions {
  store: JobStore;
  owner: string;
  leaseMs: number;
  log: Logger;
  /** Finished jobs' task rows are deleted this long after the job finished; false: kept. */
  taskRetentionMs: number | false;
  /** Finished jobs themselves (row, tasks, events) are deleted this long after they finished; false: kept. */
  jobRetentionMs: number | false;
  /** Deletes a job: its resource row, then the engine's data (`Engine.deleteJob`). */
  deleteJob(jobKey: number, jobId: string | null): Promise<void>;
  /** False once the engine stops: the pass ends between two deletes. */
  running(): boolean;
}

export interface RetentionReport {
  /** False: another replica holds the pass. */
  ran: boolean;
  tasks: number;
  /** Jobs whose tasks were purged completely. */
  purgedJobs: number;
  deletedJobs: number;
}

/** Deletes the job's task rows, `PURGE_CHUNK` a transaction, until none is left; returns how many. */
export async function purgeAllTasks(store: JobStore, jobKey: number, keepGoing: () => boolean = () => true): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await store.purgeTasks(jobKey, PURGE_CHUNK, Date.now());
    total += deleted;
    if (deleted < PURGE_CHUNK || !keepGoing()) return total;
    // Let requests and flushes in between two transactions.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function retentionPass(o: RetentionOptions): Promise<RetentionReport> {
  const report: RetentionReport = { ran: false, tasks: 0, purgedJobs: 0, deletedJobs: 0 };
  if (o.taskRetentionMs === false && o.jobRetentionMs === false) return report;
  if (!(await o.store.acquireLock(LOCK, o.owner, Date.now(), o.leaseMs))) return report;
  report.ran = true;
  const renew = setInterval(() => {
    o.store.renewLock(LOCK, o.owner, Date.now() + o.leaseMs).catch((error) => o.log('error', `background-jobs: could not renew the retention lock: ${errorMessage(error)}`));
  }, Math.max(50, Math.floor(o.leaseMs / 3)));
  renew.unref();
  try {
    if (o.jobRetentionMs !== false) {
      for (;;) {
        const jobs = await o.store.jobsToDelete(Date.now() - o.jobRetentionMs, JOBS_PER_QUERY);
        for (const job of jobs) {
          if (!o.running()) return report;
          report.tasks += await purgeAllTasks(o.store, job.jobKey, o.running);
          await o.deleteJob(job.jobKey, job.jobId);
          report.deletedJobs++;
        }
        if (jobs.length < JOBS_PER_QUERY) break;
      }
    }
    if (o.taskRetentionMs !== false) {
      for (;;) {
        const keys = await o.store.jobsToPurge(Date.now() - o.taskRetentionMs, JOBS_PER_QUERY);
        for (const jobKey of keys) {
          if (!o.running()) return report;
          report.tasks += await purgeAllTasks(o.store, jobKey, o.running);
          report.purgedJobs++;
        }
        if (keys.length < JOBS_PER_QUERY) break;
      }
    }
    return report;
  } finally {
    clearInterval(renew);
    await o.store.releaseLock(LOCK, o.owner).catch(() => {});
    if (report.tasks > 0 || report.deletedJobs > 0) {
      o.log('info', `background-jobs: retention removed ${report.tasks} task row(s)${report.purgedJobs ? ` of ${report.purgedJobs} finished job(s)` : ''}${report.deletedJobs ? `, and ${report.deletedJobs} job(s) with their rows` : ''}`);
    }
  }
}
