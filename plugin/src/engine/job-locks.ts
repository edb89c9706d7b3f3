/**
 * `updateJobFieldsAtomically`: one caller at a time per job, across every replica. In this
 * process callers of a job queue on a promise chain; the process then holds the job's named lock
 * in the store (`af_bj_locks`), retried until free, renewed while the function runs, and given
 * back when it settles. A process that dies holding it loses it after `leaseMs`.
 *
 * Not re-entrant: a call inside the function for the same job would wait for itself for ever,
 * so it is refused with an error instead (AsyncLocalStorage knows which locks this call chain holds).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobStore } from '../store/job-store.js';
import { JobsError, errorMessage } from '../errors.js';
import type { Logger } from './engine-types.js';

const held = new AsyncLocalStorage<ReadonlySet<number>>();

export class JobLocks {
  /** Per job: the tail of this process's queue of callers. */
  private readonly queues = new Map<number, Promise<void>>();

  constructor(
    private readonly store: JobStore,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {}

  async run<T>(jobKey: number, jobId: string, fn: () => T | Promise<T>): Promise<T> {
    const mine = held.getStore();
    if (mine?.has(jobKey)) {
      throw new JobsError('INVALID_STATE', `updateJobFieldsAtomically was called for job ${jobId} inside its own update function: it would wait for itself. Do the work in the outer call.`);
    }
    const before = this.queues.get(jobKey) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => { release = resolve; });
    const tail = before.then(() => turn);
    this.queues.set(jobKey, tail);
    try {
      await before;
      return await this.holding(jobKey, jobId, () => held.run(new Set([...(mine ?? []), jobKey]), fn));
    } finally {
      release();
      if (this.queues.get(jobKey) === tail) this.queues.delete(jobKey);
    }
  }

  private async holding<T>(jobKey: number, jobId: string, fn: () => T | Promise<T>): Promise<T> {
    const name = `job:${jobKey}`;
    let wait = 5;
    while (!(await this.store.acquireLock(name, this.owner, Date.now(), this.leaseMs))) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(200, wait * 2);
    }
    const renew = setInterval(() => {
      this.store.renewLock(name, this.owner, Date.now() + this.leaseMs).then((still) => {
        if (!still) this.log('error', `background-jobs: the update lock of job ${jobId} was lost (held longer than ${this.leaseMs} ms without renewal): another replica may update it at the same time`);
      }, (error) => this.log('error', `background-jobs: could not renew the update lock of job ${jobId}: ${errorMessage(error)}`));
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.store.releaseLock(name, this.owner).catch((error) => {
        this.log('error', `background-jobs: could not release the update lock of job ${jobId} (it expires in ${this.leaseMs} ms): ${errorMessage(error)}`);
      });
    }
  }
}
