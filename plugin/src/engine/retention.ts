/**
 * Retention (issue 20): an app that runs for months keeps no task rows of long-finished jobs
 * (`taskRetentionMs`, default 30 days) and, if asked, no job rows either (`jobRetentionMs`). One
 * replica at a time runs the pass (the named lock `retention`, renewed while it runs, lost after
 * `leaseMs` if its process dies); every delete is its own short transaction of at most
 * `PURGE_CHUNK` task rows, found by key (the jobs to purge through an index on (tasks_purged_at,
 * finished_at), their tasks by primary key), so no lock is held long and no table is scanned.
 */
import type { JobStore, StoreKind } from '../store/job-store.js';
import { errorMessage } from '../errors.js';
import type { Logger } from './engine-types.js';

/**
 * Task rows per delete transaction, by database: at most about 10 ms of work each on the bench's
 * 2-core machine (bench/README.md, "Retention on a 1,000,000-task table"), so that a transaction
 * slowed several times by a busy machine still stays under 100 ms. An InnoDB delete costs about
 * four times PostgreSQL's per row (an undo record, the row marked deleted in the table and in both
 * of its indexes; PostgreSQL only stamps the row), so MySQL's chunk is a quarter.
 */
export const PURGE_CHUNK: Readonly<Record<StoreKind, number>> = { sqlite: 2000, postgres: 2000, mysql: 500, memory: 2000 };
/**
 * A retention pass rests this many times as long as a chunk took before the next one, so it holds
 * the database a third of the time at most. A turn of the event loop lets this process's flushes
 * in between two chunks, but not a writer in another process on SQLite: that one does not queue
 * for the write lock, it polls (busy_timeout, sleeping up to 100 ms between tries), and back to
 * back the chunks kept it out for a whole pass (1 s, bench/README.md).
 */
const PASS_REST = 2;
/** The longest rest between two chunks, ms (the pass notices a stopping engine after it). */
const MAX_REST_MS = 500;
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

export interface PurgeOptions {
  /** Checked after each chunk: false ends the purge there (the engine is stopping). */
  keepGoing?: () => boolean;
  /** Rest this many times a chunk's duration before the next one (`PASS_REST` in a retention pass); 0: one turn of the event loop. */
  rest?: number;
}

/** Deletes the job's task rows, `PURGE_CHUNK` a transaction, until none is left; returns how many. */
export async function purgeAllTasks(store: JobStore, jobKey: number, { keepGoing = () => true, rest = 0 }: PurgeOptions = {}): Promise<number> {
  const chunk = PURGE_CHUNK[store.kind];
  let total = 0;
  for (;;) {
    const started = performance.now();
    const deleted = await store.purgeTasks(jobKey, chunk, Date.now());
    total += deleted;
    if (deleted < chunk || !keepGoing()) return total;
    // Let requests and flushes in between two transactions.
    const restMs = Math.min(MAX_REST_MS, rest * (performance.now() - started));
    await new Promise((resolve) => (restMs > 0 ? setTimeout(resolve, restMs) : setImmediate(resolve)));
  }
}

/**
 * Stores with a pass running in this process. A pass that outlasts `retentionIntervalMs` (a big
 * backlog, rested chunks) or an app's own `runRetention()` call does not start a second one beside
 * it: the named lock lets its holder in again, and two passes over one job would each take the
 * other's deletes for the end of the job and mark it purged with rows left.
 */
const passing = new WeakSet<JobStore>();

export async function retentionPass(o: RetentionOptions): Promise<RetentionReport> {
  const report: RetentionReport = { ran: false, tasks: 0, purgedJobs: 0, deletedJobs: 0 };
  if (o.taskRetentionMs === false && o.jobRetentionMs === false) return report;
  if (passing.has(o.store)) return report;
  passing.add(o.store);
  try {
    return await lockedPass(o, report);
  } finally {
    passing.delete(o.store);
  }
}

async function lockedPass(o: RetentionOptions, report: RetentionReport): Promise<RetentionReport> {
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
          report.tasks += await purgeAllTasks(o.store, job.jobKey, { keepGoing: o.running, rest: PASS_REST });
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
          report.tasks += await purgeAllTasks(o.store, jobKey, { keepGoing: o.running, rest: PASS_REST });
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
