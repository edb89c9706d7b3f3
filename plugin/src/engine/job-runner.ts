/**
 * Runs the tasks of one job in this process. Claims, completions and state writes are group
 * committed: every task that finishes (or writes state) within one turn of the event loop lands in
 * the same `store.flush`, which also claims the next tasks. At most `parallelLimit` tasks run at
 * once; memory does not depend on the size of the job.
 *
 * Claim-ahead: when tasks finish faster than a flush commits, waiting for the next flush to hand
 * out the next tasks would leave the slots idle and every transaction would carry only
 * `parallelLimit` tasks. So a runner may lease up to `ahead` tasks more than it runs, and starts
 * them as slots free up — one flush then carries hundreds of completions and claims. `ahead`
 * follows the measured task and flush times (parallelLimit × flush time / task time, capped by
 * `hooks.maxClaimAhead`): tasks slower than a flush get no claim-ahead at all. What may run at once
 * is the owner's run slots (`FlushResult.slots`, store/slots.ts): the job's `parallelLimit` shared
 * out between the replicas working on it, so the limit holds across all of them.
 *
 * A runner ends only once everything it has to write is written: after a cancel, the aborted tasks'
 * CANCELLED outcomes are queued a moment after the flush that saw the job CANCELLED (issue 17);
 * the cancel itself already ended those tasks and logged their task:cancelled, so these writes
 * change nothing and carry no event. A
 * batch the database keeps refusing is cut until the task it cannot store is found (`isolate`).
 */
import type { ClaimedTask, FlushInput, FlushResult, JobStore } from '../store/job-store.js';
import type { EngineEvent } from '../events.js';
import type { TaskHandlerDefinition } from '../types.js';
import { JobsError, UnrecoverableError, errorMessage } from '../errors.js';
import { createTaskContext, type TaskHost } from './task-context.js';
import { coalesceTaskStates, emptyBatch, hasWrites, partOf, putBack, writtenTasks, type WriteBatch } from './write-batch.js';
import { SUCCEEDED, TaskAbort, TaskRun, type AttemptOutcome } from './task-run.js';
import type { JobEngineHooks, RunnerJob } from './engine-types.js';
import { backoffDelay } from './backoff.js';
import { progressOf } from './progress.js';

/** What `settle` records for an attempt (worked out first, so recording cannot stop halfway). */
type Settlement =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  | { kind: 'released' }
  | { kind: 'failed'; message: string; retryAt: number | null; saveState: boolean };

/** `value instanceof type`, false when asking throws (a Proxy's getPrototypeOf trap may). */
function isInstance(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** Moving averages: weight of the newest sample. */
const EWMA = 0.2;

export class JobRunner implements TaskHost {
  private readonly running = new Map<number, TaskRun>();
  /** Leased by this runner, not started yet (claim-ahead), oldest first from `readyHead`. */
  private ready: ClaimedTask[] = [];
  private readyHead = 0;
  /** Tasks this runner may run at once (its run slots, from the last flush). */
  private slots = 0;
  /** How long to wait before asking for a run slot again (0: not waiting for one). */
  private slotWaitMs = 0;
  /** Moving averages of a task's run time and a flush's time (ms); null until measured. */
  private avgTaskMs: number | null = null;
  private avgFlushMs: number | null = null;
  /** Writes (and their events, and the `setTaskStateField` calls waiting for them) for the next flush. */
  private pending: WriteBatch = emptyBatch();
  /** The error of the last flush that failed (null once one succeeds). */
  private lastFailure: string | null = null;
  private pumping: Promise<void> | null = null;
  /** Job-state writes of failed tasks' errors not yet awaited by a flush (`onTaskFailed`). */
  private readonly jobErrorWrites: Promise<void>[] = [];
  private again = false;
  private flushQueued = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  private lastProgress = -1;
  private stopping = false;
  private cancelled = false;
  private ended = false;
  private failures = 0;
  private readonly endedPromise: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    readonly job: RunnerJob,
    private readonly definition: TaskHandlerDefinition,
    private readonly store: JobStore,
    private readonly hooks: JobEngineHooks,
  ) {
    this.endedPromise = new Promise((resolve) => { this.resolveEnded = resolve; });
  }

  get parallelLimit(): number {
    return Math.max(1, this.definition.parallelLimit ?? 3);
  }

  /** Resolves when the runner has nothing left to do here (job finished, cancelled or stopped). */
  get whenEnded(): Promise<void> {
    return this.endedPromise;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get runningCount(): number {
    return this.running.size;
  }

  private get readyCount(): number {
    return this.ready.length - this.readyHead;
  }

  /** How many tasks to lease beyond `parallelLimit` (see the file comment). */
  get ahead(): number {
    const max = this.hooks.maxClaimAhead;
    if (max <= 0 || this.avgTaskMs === null || this.avgFlushMs === null) return 0;
    return Math.min(max, Math.floor((this.parallelLimit * this.avgFlushMs) / Math.max(this.avgTaskMs, 0.001)));
  }

  start(): void {
    this.requestFlush();
  }

  /** Look for claimable tasks again (poll tick, retry due, lease recovered). */
  wake(): void {
    if (!this.ended) this.requestFlush();
  }

  get maxStateBytes(): number {
    return this.hooks.maxStateBytes;
  }

  /**
   * The job was cancelled: abort running tasks at once (a handler that ignores its signal keeps
   * running, but its task is decided). Resolves once their CANCELLED outcomes have been flushed —
   * or the flush failed and is retried — so a cancel made here is in the store when `cancelJob`
   * returns. Never rejects.
   */
  async cancel(): Promise<void> {
    const settling = this.abortForCancel();
    try {
      await Promise.all(settling);
      await this.flushNow();
    } catch (error) {
      this.log('error', `background-jobs: could not save the cancel of job ${this.job.jobId}: ${errorMessage(error)}`);
    }
  }

  /** The synchronous part of `cancel` (also run from a flush that saw the job CANCELLED); returns the aborted runs' `settled`. */
  private abortForCancel(): Promise<void>[] {
    this.cancelled = true;
    const settling: Promise<void>[] = [];
    for (const run of this.running.values()) {
      run.abort(new TaskAbort('cancelled', `Job ${this.job.jobId} was cancelled`));
      settling.push(run.settled);
    }
    // Leased ahead, never started: the cancel already ended them CANCELLED in the store, with their
    // task:cancelled before its job:finished (JobStore.cancelJob). The outcome only settles this
    // runner's bookkeeping (the store's lease tracking); the flush changes nothing, so no event.
    for (const task of this.takeReady()) this.pending.finished.push({ index: task.index, status: 'CANCELLED' });
    this.requestFlush();
    return settling;
  }

  /**
   * The task was deleted from the job (`deleteTasksFromExistingJob`): not started if leased ahead,
   * aborted if running. Its row is gone, so what its attempt reports changes nothing.
   */
  dropTask(index: number): void {
    const at = this.ready.findIndex((task, i) => i >= this.readyHead && task.index === index);
    if (at >= 0) this.ready.splice(at, 1);
    this.running.get(index)?.abort(new TaskAbort('cancelled', `Task ${index} of job ${this.job.jobId} was deleted`));
  }

  /** Stop claiming; after `graceMs` abort what still runs. Resolves when every task has settled and been flushed. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    // Leased ahead, never started: the engine releases this owner's leases after the stop.
    this.takeReady();
    if (this.running.size > 0) {
      const grace = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        t.unref?.();
      });
      await Promise.race([this.waitIdle(), grace]);
      for (const run of this.running.values()) run.abort(new TaskAbort('shutdown', 'The process is shutting down'));
      await this.waitIdle();
    }
    await this.flushNow();
    this.end();
  }

  private takeReady(): ClaimedTask[] {
    const tasks = this.ready.slice(this.readyHead);
    this.ready = [];
    this.readyHead = 0;
    return tasks;
  }

  /** Start leased tasks while slots are free. */
  private fillSlots(): void {
    while (this.running.size < Math.min(this.slots, this.parallelLimit) && this.readyHead < this.ready.length && !this.stopping && !this.cancelled) {
      this.runTask(this.ready[this.readyHead++]);
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready = [];
      this.readyHead = 0;
    }
  }

  private async waitIdle(): Promise<void> {
    while (this.running.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private clearTimers(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.wakeTimer = null;
    this.progressTimer = null;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearTimers();
    // Nothing waits for ever: a write still pending now (the runner stopped while the database
    // failed) will not be saved by this runner.
    const waiters = this.pending.waiters;
    this.pending.waiters = [];
    for (const w of waiters) {
      w.reject(new JobsError('INVALID_STATE', `The state of task ${w.index} of job ${this.job.jobId} was not saved: the engine stopped before the database accepted it${this.lastFailure ? ` (last error: ${this.lastFailure})` : ''}.`));
    }
    this.resolveEnded();
  }

  /** Coalesce every completion of this turn of the event loop into one flush. */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.requestFlush();
    });
  }

  private requestFlush(): void {
    if (this.ended) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => { this.pumping = null; });
  }

  private async flushNow(): Promise<void> {
    while (this.pumping) await this.pumping;
    this.requestFlush();
    while (this.pumping) await this.pumping;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      const batch = this.pending;
      batch.events = coalesceTaskStates(batch.events);
      this.pending = emptyBatch();
      const ahead = this.ahead;
      // The store caps the claim by this owner's slots + ahead, minus the tasks it holds.
      const claim = this.stopping || this.cancelled || this.ended ? 0 : this.parallelLimit + ahead;
      // The job's state gets a failed task's error before the flush records the failure, which
      // may finish the job: nobody reads a DONE_WITH_ERRORS job whose state lacks its error.
      if (this.jobErrorWrites.length > 0 && batch.finished.some((task) => task.status === 'FAILED')) {
        await Promise.all(this.jobErrorWrites.splice(0));
      }
      const flushStarted = performance.now();
      let result: FlushResult;
      try {
        result = await this.store.flush(this.flushInput(batch, claim, ahead));
        this.failures = 0;
        this.lastFailure = null;
        const took = performance.now() - flushStarted;
        this.avgFlushMs = this.avgFlushMs === null ? took : this.avgFlushMs + (took - this.avgFlushMs) * EWMA;
      } catch (error) {
        this.failures++;
        this.lastFailure = errorMessage(error);
        this.log('error', `background-jobs: could not save progress of job ${this.job.jobId} (attempt ${this.failures}): ${this.lastFailure}`);
        // Failed twice in a row with task writes in it: maybe one task's writes are what the
        // database refuses (a state over MySQL's max_allowed_packet), and retrying would never end.
        if (this.failures >= 2 && writtenTasks(batch).length > 0) {
          if (await this.isolate(batch)) {
            this.failures = 0;
            this.lastFailure = null;
            this.again = true;
            continue;
          }
        } else {
          // Kept for the next attempt; the tasks' leases keep them ours meanwhile.
          putBack(batch, this.pending);
        }
        this.wakeAfter(Math.min(5000, 100 * 2 ** this.failures));
        return;
      }
      this.committed(batch, result);
      this.afterFlush(result);
    } while (this.again && !this.ended);
  }

  private flushInput(batch: WriteBatch, claim: number, ahead: number): FlushInput {
    return {
      jobKey: this.job.jobKey,
      owner: this.hooks.owner,
      now: Date.now(),
      states: batch.states,
      finished: batch.finished,
      rescheduled: batch.rescheduled,
      claim,
      ahead,
      executing: this.running.size,
      parallelLimit: this.parallelLimit,
      leaseMs: this.hooks.leaseMs,
      interestTtlMs: 3 * this.hooks.pollMs,
      lastError: batch.lastError,
      events: batch.events,
      job: { jobId: this.job.jobId, handler: this.job.handler, startedBy: this.job.startedBy },
      holdFinish: this.definition.beforeJobFinish !== undefined,
    };
  }

  /** The batch was committed: its waiters resolve and its events are published. */
  private committed(batch: WriteBatch, result: FlushResult): void {
    for (const w of batch.waiters) w.resolve();
    if (result.lastSeq != null) {
      // The job:finished of the flush that finished the job is numbered after this flush's events.
      const written = result.finishedEvent ? [...batch.events, result.finishedEvent] : batch.events;
      if (written.length > 0) this.hooks.events.written(this.job.jobKey, result.lastSeq, written);
    }
  }

  /**
   * The batch failed again: find the task whose writes the database refuses (issue 17: one 20 MB
   * state over MariaDB's max_allowed_packet failed every flush of its job, retried for ever). First
   * a flush without task writes: if that fails too, the database is the trouble, not a task — back
   * off as usual. Otherwise the tasks are halved until a part of one task fails; if a write-free
   * flush still succeeds and that part fails once more, the task is failed with the database's
   * message (`refuse`). Each part is its own transaction: a task's writes stay together, the batch
   * as a whole need not. Parts commit with no claim; the next flush claims. Returns false when the
   * database stopped answering on the way (what is not written yet is put back).
   */
  private async isolate(batch: WriteBatch): Promise<boolean> {
    if (await this.tryPart(partOf(batch, null)) !== null) {
      putBack(batch, this.pending);
      return false;
    }
    const groups: number[][] = [writtenTasks(batch)];
    while (groups.length > 0) {
      const group = groups.shift()!;
      const part = partOf(batch, group);
      let error = await this.tryPart(part);
      if (error === null) continue;
      if (group.length > 1) {
        const half = Math.ceil(group.length / 2);
        groups.unshift(group.slice(0, half), group.slice(half));
        continue;
      }
      const probe = await this.tryPart(emptyBatch());
      if (probe === null) error = await this.tryPart(part);
      if (probe !== null) {
        putBack(partOf(batch, [group, ...groups].flat()), this.pending);
        return false;
      }
      if (error !== null) this.refuse(group[0], part, error);
    }
    return true;
  }

  /** One part of a batch (`isolate`), claiming nothing; the error when it failed, else null. */
  private async tryPart(part: WriteBatch): Promise<unknown> {
    let result: FlushResult;
    try {
      result = await this.store.flush(this.flushInput(part, 0, 0));
    } catch (error) {
      return error ?? new Error(String(error));
    }
    this.committed(part, result);
    if (result.finishedJob) {
      this.reportProgress(result, true);
      void this.hooks.onJobFinished(this.job, result.counters);
    }
    return null;
  }

  /**
   * The database refuses this task's writes: they are dropped (its state stays as last saved),
   * its `setTaskStateField` calls reject, and it fails with the database's message, without retry
   * (the same write would come again).
   */
  private refuse(index: number, part: WriteBatch, error: unknown): void {
    const message = errorMessage(`The database could not store the writes of this task (its state or its outcome): ${errorMessage(error)}`);
    this.log('error', `background-jobs: task ${index} of job ${this.job.jobId} failed: ${message}`);
    const rejection = new JobsError('INVALID_INPUT', `Task ${index} of job ${this.job.jobId} failed: ${message}`, { cause: error });
    for (const w of part.waiters) w.reject(rejection);
    // Its task:started stays; its task:state events and outcome go (a task:failed replaces it).
    for (const event of part.events) if (event.type === 'task:started') this.pending.events.push(event);
    const run = this.running.get(index);
    if (run) {
      // Still running: its attempt fails now, as on a timeout (settle records it).
      run.abort(new TaskAbort('refused', message));
      return;
    }
    const attempt = part.attempts.get(index);
    // No outcome in the batch: the attempt was released (shutdown), its lease goes back with it.
    if (attempt === undefined) return;
    const { jobId, handler, startedBy } = this.job;
    this.pending.finished.push({ index, status: 'FAILED', error: message });
    this.pending.attempts.set(index, attempt);
    this.pending.events.push({ type: 'task:failed', jobId, handler, startedBy, taskIndex: index, attempt, error: message, willRetry: false });
    this.pending.lastError = message;
    this.jobErrorWrites.push(this.hooks.onTaskFailed(this.job, message));
  }

  private afterFlush(result: FlushResult): void {
    this.slots = result.slots;
    for (const task of result.claimed) this.ready.push(task);
    this.fillSlots();
    // Their task:started events go to the log with the next flush, which this asks for (tasks
    // that end at once land in the same one).
    if (result.claimed.length > 0) this.scheduleFlush();
    this.reportProgress(result, result.finishedJob);
    if (result.finishedJob) {
      void this.hooks.onJobFinished(this.job, result.counters);
    }
    // Cancelled elsewhere: what was leased ahead is not started (the engine's check would abort it soon anyway).
    if (result.counters.status === 'CANCELLED' && !this.cancelled) this.abortForCancel();
    const jobOpen = result.counters.status === 'IN_PROGRESS';
    const { total, done, failed, cancelled } = result.counters;
    // Tasks wait while another replica holds every run slot: it gives this one its share back as
    // its tasks end, so ask again soon — 50 ms, doubling up to pollMs while none comes.
    const slotless = result.slots === 0 && jobOpen && total - done - failed - cancelled - result.running + this.readyCount > 0;
    this.slotWaitMs = slotless ? Math.min(this.hooks.pollMs, this.slotWaitMs === 0 ? 50 : this.slotWaitMs * 2) : 0;
    if (this.running.size === 0 && this.readyCount === 0 && result.claimed.length === 0) {
      // Every task finished, the job still open: the beforeJobFinish hook holds the finish, or the
      // last unfinished task was deleted. The engine closes it; nothing is left to run here.
      const allFinished = done + failed + cancelled >= total;
      if (jobOpen && allFinished && !this.stopping && !hasWrites(this.pending) && result.running === 0) {
        this.hooks.onAllTasksFinished(this.job);
        this.end();
        return;
      }
      if (!jobOpen || this.stopping) {
        // Writes queued since this flush began go first — after a cancel, the aborted tasks'
        // outcomes (settled a moment after the abort): ending now dropped them and left the tasks
        // IN_PROGRESS on a CANCELLED job until their leases ran out (issue 17).
        if (hasWrites(this.pending)) {
          this.again = true;
          return;
        }
        this.end();
        return;
      }
      // Nothing claimable now: tasks wait for a backoff, for a run slot, or run in another process.
      const delay = result.nextRunAt !== null ? Math.max(0, result.nextRunAt - Date.now()) : this.hooks.pollMs;
      this.wakeAfter(Math.min(delay, this.slotWaitMs || this.hooks.pollMs));
    } else if (this.running.size === 0 && this.readyCount > 0 && jobOpen && !this.stopping) {
      // Leased tasks wait for a run slot (another replica holds them): ask again.
      this.wakeAfter(this.slotWaitMs || this.hooks.pollMs);
    } else if (jobOpen && result.nextRunAt !== null && !this.stopping) {
      this.wakeAfter(Math.max(0, result.nextRunAt - Date.now()));
    }
  }

  private wakeAfter(ms: number): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wake();
    }, ms);
  }

  private reportProgress(result: FlushResult, final: boolean): void {
    const { total, done, failed, cancelled } = result.counters;
    const progress = progressOf(result.counters);
    if (progress === this.lastProgress && !final) return;
    // Another process finished (or cancelled) the job: its job:finished carries the progress.
    if (!final && result.counters.status !== 'IN_PROGRESS') return;
    if (final && result.finishedEvent) {
      // This flush logged job:finished (progress 100, numbered with the flush): nothing to add.
      if (this.progressTimer) clearTimeout(this.progressTimer);
      this.progressTimer = null;
      this.lastProgress = progress;
      return;
    }
    const now = Date.now();
    const publish = () => {
      this.lastProgressAt = Date.now();
      this.lastProgress = progress;
      void this.hooks.events.append(this.job.jobKey, { type: 'job:progress', jobId: this.job.jobId, handler: this.job.handler, startedBy: this.job.startedBy, progress, total, done, failed, cancelled });
    };
    if (this.progressTimer) {
      clearTimeout(this.progressTimer);
      this.progressTimer = null;
    }
    // No trailing timer once stopping: it would fire after stop() resolved.
    if (final || this.stopping || this.ended || now - this.lastProgressAt >= this.hooks.progressIntervalMs) {
      publish();
    } else {
      // Trailing update so the last value before a quiet period is not lost.
      this.progressTimer = setTimeout(() => { this.progressTimer = null; publish(); }, this.hooks.progressIntervalMs - (now - this.lastProgressAt));
    }
  }

  /**
   * TaskHost: a state write (and its task:state event) goes with the next group commit; resolves
   * once it is committed, rejects if it cannot be. Refused once the attempt is decided (cancelled,
   * timed out, failed): its lease is gone or about to be, and a later attempt's state must not be
   * overwritten by this one's.
   */
  saveState(run: object, taskIndex: number, json: string, event: EngineEvent): Promise<void> {
    const current = this.running.get(taskIndex);
    if (current !== run || current.aborted || this.ended) {
      return Promise.reject(new JobsError('INVALID_STATE', `Task ${taskIndex} of job ${this.job.jobId} has already ended (cancelled, timed out or stopped): its state is not saved any more.`));
    }
    this.pending.states.set(taskIndex, json);
    this.pending.events.push(event);
    this.scheduleFlush();
    return new Promise<void>((resolve, reject) => this.pending.waiters.push({ index: taskIndex, resolve, reject }));
  }

  private runTask(claimed: ClaimedTask): void {
    const run = new TaskRun(performance.now());
    this.running.set(claimed.index, run);
    const { jobId, handler, startedBy } = this.job;
    const state = JSON.parse(claimed.state) as Record<string, unknown>;
    this.pending.events.push({ type: 'task:started', jobId, handler, startedBy, taskIndex: claimed.index, attempt: claimed.attempt });
    const context = createTaskContext({ job: this.job, taskIndex: claimed.index, attempt: claimed.attempt, run, state, host: this, jobState: this.hooks.jobState });
    const timeoutMs = this.definition.timeoutMs;
    let timer: NodeJS.Timeout | null = null;
    // Settles with the handler, or at once when the task is aborted (a handler that ignores its
    // signal keeps running, but its task is already decided). It never rejects: a thrown or
    // rejected value, whatever it is, is the outcome's `error`.
    const attempt = new Promise<AttemptOutcome>((resolve) => {
      const fail = (error: unknown) => resolve({ ok: false, error });
      run.failAttempt = fail;
      if (timeoutMs && timeoutMs > 0) {
        timer = setTimeout(() => run.abort(new TaskAbort('timeout', `Task ${claimed.index} timed out after ${timeoutMs} ms`)), timeoutMs);
      }
      try {
        Promise.resolve(this.definition.handler(context)).then(() => resolve(SUCCEEDED), fail);
      } catch (error) {
        fail(error);
      }
    });
    // Nothing awaits this chain: settle() must not throw, and if it ever does, that is logged
    // rather than left to crash the process as an unhandled rejection.
    run.settled = attempt
      .then((outcome) => this.settle(claimed, state, outcome, timer))
      .catch((error: unknown) => this.log('error', `background-jobs: settling task ${claimed.index} of job ${this.job.jobId} failed: ${errorMessage(error)}`));
  }

  /** The engine's logger; a logger that throws is ignored here (nothing may reject unhandled). */
  private log(level: 'error' | 'warn', message: string): void {
    try {
      this.hooks.log(level, message);
    } catch {
      // nowhere left to report it
    }
  }

  private settle(claimed: ClaimedTask, state: Record<string, unknown>, outcome: AttemptOutcome, timer: NodeJS.Timeout | null): void {
    if (timer) clearTimeout(timer);
    const { jobId, handler, startedBy } = this.job;
    const index = claimed.index;
    const run = this.running.get(index);
    this.running.delete(index);
    // The attempt's run time travels with its task:done / task:failed: the per-handler metrics of
    // every replica read it from the event log (http/handler-metrics.ts).
    let durationMs: number | undefined;
    if (run) {
      const took = performance.now() - run.startedAt;
      this.avgTaskMs = this.avgTaskMs === null ? took : this.avgTaskMs + (took - this.avgTaskMs) * EWMA;
      durationMs = Math.max(0, Math.round(took));
    }
    const timing = durationMs === undefined ? {} : { durationMs };
    const settlement = this.settlementOf(claimed, outcome);
    const pending = this.pending;
    if (settlement.kind !== 'released') pending.attempts.set(index, claimed.attempt);
    if (settlement.kind === 'done') {
      pending.finished.push({ index, status: 'DONE' });
      pending.events.push({ type: 'task:done', jobId, handler, startedBy, taskIndex: index, attempt: claimed.attempt, ...timing });
    } else if (settlement.kind === 'cancelled') {
      // Aborted because the job was cancelled: the cancel ended the task and logged its
      // task:cancelled before job:finished. This write is a no-op (the lease is gone), kept for the
      // runner's bookkeeping; an event here would come after job:finished.
      pending.finished.push({ index, status: 'CANCELLED' });
    } else if (settlement.kind === 'released') {
      // Not a failure: the lease is released on stop and another process runs the task again.
    } else {
      const { message, retryAt, saveState } = settlement;
      pending.events.push({ type: 'task:failed', jobId, handler, startedBy, taskIndex: index, attempt: claimed.attempt, error: message, willRetry: retryAt !== null, ...timing });
      if (retryAt !== null) {
        pending.rescheduled.push({ index, error: message, runAfter: retryAt });
      } else {
        // As the official plugin: the task keeps its error in its state, the job its last error —
        // unless its state is what the database refused.
        if (saveState) {
          state.error = message;
          pending.states.set(index, JSON.stringify(state));
        }
        pending.finished.push({ index, status: 'FAILED', error: message });
        pending.lastError = message;
        this.jobErrorWrites.push(this.hooks.onTaskFailed(this.job, message));
      }
    }
    this.fillSlots();
    this.scheduleFlush();
  }

  /**
   * What to record for an attempt. Never throws: the handler's definition is the user's object
   * (`maxAttempts` or `backoff` may be getters that throw), and a task whose outcome cannot be
   * worked out still fails, with what went wrong in its message and the log, rather than staying
   * IN_PROGRESS (issue 17).
   */
  private settlementOf(claimed: ClaimedTask, outcome: AttemptOutcome): Settlement {
    if (outcome.ok) return { kind: 'done' };
    const { error } = outcome;
    if (isInstance(error, TaskAbort)) {
      const { kind } = error as TaskAbort;
      if (kind === 'cancelled') return { kind: 'cancelled' };
      if (kind === 'shutdown') return { kind: 'released' };
      if (kind === 'refused') return { kind: 'failed', message: (error as TaskAbort).message, retryAt: null, saveState: false };
    }
    const message = errorMessage(error);
    try {
      const maxAttempts = Math.max(1, this.definition.maxAttempts ?? 1);
      const willRetry = !isInstance(error, UnrecoverableError) && claimed.attempt < maxAttempts && !this.cancelled;
      if (!willRetry) return { kind: 'failed', message, retryAt: null, saveState: true };
      const delay = backoffDelay(claimed.attempt, this.definition.backoff);
      // NaN would reach the store as a run_after it cannot write, and the flush would fail forever.
      if (!Number.isFinite(delay)) throw new Error(`the backoff gave a delay of ${delay} ms: check the handler's backoff option`);
      return { kind: 'failed', message, retryAt: Date.now() + delay, saveState: true };
    } catch (unexpected) {
      const full = errorMessage(`${message} (and the engine could not record the failure: ${errorMessage(unexpected)})`);
      this.log('error', `background-jobs: task ${claimed.index} of job ${this.job.jobId}: ${full}`);
      return { kind: 'failed', message: full, retryAt: null, saveState: true };
    }
  }
}
