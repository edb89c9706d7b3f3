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
 */
import type { ClaimedTask, FlushResult, JobStore, RescheduledTask, FinishedTask } from '../store/job-store.js';
import type { EngineEvent } from '../events.js';
import type { TaskHandlerDefinition } from '../types.js';
import { UnrecoverableError, errorMessage } from '../errors.js';
import { createTaskContext } from './task-context.js';
import type { JobEngineHooks, RunnerJob } from './engine-types.js';
import { backoffDelay } from './backoff.js';

/** The reason a signal is aborted with, so the runner can tell a cancel from a handler error. */
export class TaskAbort extends Error {
  constructor(readonly kind: 'cancelled' | 'timeout' | 'shutdown', message: string) {
    super(message);
    this.name = kind === 'timeout' ? 'TimeoutError' : 'AbortError';
  }
}

/**
 * One running attempt. The AbortController is made only when the handler reads `signal` (most
 * no-op or short handlers never do); an abort before that is replayed onto it.
 */
class TaskRun {
  constructor(readonly startedAt: number) {}
  private controller: AbortController | null = null;
  private reason: TaskAbort | null = null;
  /** Ends the attempt as failed with `reason` (set by `runTask` once the attempt exists). */
  failAttempt: ((reason: TaskAbort) => void) | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: TaskAbort): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.failAttempt?.(reason);
  }
}

/**
 * How an attempt ended. Success is its own flag, never "no error": a handler may throw or reject
 * with null, undefined, 0 or '' (issue 17: `throw null` used to mark the task DONE).
 */
export type AttemptOutcome = { ok: true } | { ok: false; error: unknown };

const SUCCEEDED: AttemptOutcome = { ok: true };

/** What `settle` records for an attempt (worked out first, so recording cannot stop halfway). */
type Settlement =
  | { kind: 'done' }
  | { kind: 'cancelled' }
  | { kind: 'released' }
  | { kind: 'failed'; message: string; retryAt: number | null };

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

export class JobRunner {
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
  private states = new Map<number, string>();
  private finished: FinishedTask[] = [];
  private rescheduled: RescheduledTask[] = [];
  private lastError: string | null = null;
  /** Events of the task writes not flushed yet: they go to the log in the same flush. */
  private events: EngineEvent[] = [];
  /** Resolvers of `setTaskStateField` calls waiting for their write to be committed. */
  private commitWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private pumping: Promise<void> | null = null;
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

  /** The job was cancelled: abort running tasks at once; their results are still recorded. */
  cancel(): void {
    this.cancelled = true;
    for (const run of this.running.values()) run.abort(new TaskAbort('cancelled', `Job ${this.job.jobId} was cancelled`));
    // Leased ahead, never started: they end CANCELLED like the job's scheduled tasks.
    const { jobId, handler, startedBy } = this.job;
    for (const task of this.takeReady()) {
      this.finished.push({ index: task.index, status: 'CANCELLED' });
      this.events.push({ type: 'task:cancelled', jobId, handler, startedBy, taskIndex: task.index });
    }
    this.requestFlush();
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
      const states = this.states;
      const finished = this.finished;
      const rescheduled = this.rescheduled;
      const waiters = this.commitWaiters;
      const lastError = this.lastError;
      const events = coalesceTaskStates(this.events);
      this.events = [];
      this.states = new Map();
      this.finished = [];
      this.rescheduled = [];
      this.commitWaiters = [];
      this.lastError = null;
      const ahead = this.ahead;
      // The store caps the claim by this owner's slots + ahead, minus the tasks it holds.
      const claim = this.stopping || this.cancelled || this.ended ? 0 : this.parallelLimit + ahead;
      const flushStarted = performance.now();
      let result: FlushResult;
      try {
        result = await this.store.flush({
          jobKey: this.job.jobKey,
          owner: this.hooks.owner,
          now: Date.now(),
          states,
          finished,
          rescheduled,
          claim,
          ahead,
          executing: this.running.size,
          parallelLimit: this.parallelLimit,
          leaseMs: this.hooks.leaseMs,
          interestTtlMs: 3 * this.hooks.pollMs,
          lastError,
          events,
          job: { jobId: this.job.jobId, handler: this.job.handler, startedBy: this.job.startedBy },
        });
        this.failures = 0;
        const took = performance.now() - flushStarted;
        this.avgFlushMs = this.avgFlushMs === null ? took : this.avgFlushMs + (took - this.avgFlushMs) * EWMA;
      } catch (error) {
        // Keep everything for the next attempt; the tasks' leases keep them ours meanwhile.
        for (const [i, s] of states) if (!this.states.has(i)) this.states.set(i, s);
        this.finished.unshift(...finished);
        this.rescheduled.unshift(...rescheduled);
        this.commitWaiters.unshift(...waiters);
        this.lastError ??= lastError;
        this.events.unshift(...events);
        this.failures++;
        this.hooks.log('error', `background-jobs: could not save progress of job ${this.job.jobId} (attempt ${this.failures}): ${errorMessage(error)}`);
        this.wakeAfter(Math.min(5000, 100 * 2 ** this.failures));
        return;
      }
      for (const w of waiters) w.resolve();
      if (result.lastSeq != null) {
        // The job:finished of the flush that finished the job is numbered after this flush's events.
        const written = result.finishedEvent ? [...events, result.finishedEvent] : events;
        if (written.length > 0) this.hooks.events.written(this.job.jobKey, result.lastSeq, written);
      }
      this.afterFlush(result);
    } while (this.again && !this.ended);
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
    if (result.counters.status === 'CANCELLED' && !this.cancelled) this.cancel();
    const jobOpen = result.counters.status === 'IN_PROGRESS';
    const { total, done, failed, cancelled } = result.counters;
    // Tasks wait while another replica holds every run slot: it gives this one its share back as
    // its tasks end, so ask again soon — 50 ms, doubling up to pollMs while none comes.
    const slotless = result.slots === 0 && jobOpen && total - done - failed - cancelled - result.running + this.readyCount > 0;
    this.slotWaitMs = slotless ? Math.min(this.hooks.pollMs, this.slotWaitMs === 0 ? 50 : this.slotWaitMs * 2) : 0;
    if (this.running.size === 0 && this.readyCount === 0 && result.claimed.length === 0) {
      if (!jobOpen || this.stopping) {
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
    const finishedCount = done + failed + cancelled;
    const progress = total === 0 ? 100 : finishedCount >= total ? 100 : Math.floor((finishedCount / total) * 100);
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

  /** TaskHost: a state write goes with the next group commit; resolves once it is committed. */
  persistState(taskIndex: number, json: string): Promise<void> {
    this.states.set(taskIndex, json);
    this.scheduleFlush();
    return new Promise<void>((resolve, reject) => this.commitWaiters.push({ resolve, reject }));
  }

  /** TaskHost: an event of a task (task:state), logged with the next group commit. */
  emitTaskEvent(event: EngineEvent): void {
    this.events.push(event);
  }

  private runTask(claimed: ClaimedTask): void {
    const run = new TaskRun(performance.now());
    this.running.set(claimed.index, run);
    const { jobId, handler, startedBy } = this.job;
    const state = JSON.parse(claimed.state) as Record<string, unknown>;
    this.events.push({ type: 'task:started', jobId, handler, startedBy, taskIndex: claimed.index, attempt: claimed.attempt });
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
    void attempt
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
    if (run) {
      const took = performance.now() - run.startedAt;
      this.avgTaskMs = this.avgTaskMs === null ? took : this.avgTaskMs + (took - this.avgTaskMs) * EWMA;
    }
    const settlement = this.settlementOf(claimed, outcome);
    if (settlement.kind === 'done') {
      this.finished.push({ index, status: 'DONE' });
      this.events.push({ type: 'task:done', jobId, handler, startedBy, taskIndex: index, attempt: claimed.attempt });
    } else if (settlement.kind === 'cancelled') {
      this.finished.push({ index, status: 'CANCELLED' });
      this.events.push({ type: 'task:cancelled', jobId, handler, startedBy, taskIndex: index });
    } else if (settlement.kind === 'released') {
      // Not a failure: the lease is released on stop and another process runs the task again.
    } else {
      const { message, retryAt } = settlement;
      this.events.push({ type: 'task:failed', jobId, handler, startedBy, taskIndex: index, attempt: claimed.attempt, error: message, willRetry: retryAt !== null });
      if (retryAt !== null) {
        this.rescheduled.push({ index, error: message, runAfter: retryAt });
      } else {
        // As the official plugin: the task keeps its error in its state, the job its last error.
        state.error = message;
        this.states.set(index, JSON.stringify(state));
        this.finished.push({ index, status: 'FAILED', error: message });
        this.lastError = message;
        this.hooks.onTaskFailed(this.job, message);
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
    }
    const message = errorMessage(error);
    try {
      const maxAttempts = Math.max(1, this.definition.maxAttempts ?? 1);
      const willRetry = !isInstance(error, UnrecoverableError) && claimed.attempt < maxAttempts && !this.cancelled;
      if (!willRetry) return { kind: 'failed', message, retryAt: null };
      const delay = backoffDelay(claimed.attempt, this.definition.backoff);
      // NaN would reach the store as a run_after it cannot write, and the flush would fail forever.
      if (!Number.isFinite(delay)) throw new Error(`the backoff gave a delay of ${delay} ms: check the handler's backoff option`);
      return { kind: 'failed', message, retryAt: Date.now() + delay };
    } catch (unexpected) {
      const full = errorMessage(`${message} (and the engine could not record the failure: ${errorMessage(unexpected)})`);
      this.log('error', `background-jobs: task ${claimed.index} of job ${this.job.jobId}: ${full}`);
      return { kind: 'failed', message: full, retryAt: null };
    }
  }
}

/**
 * Only the latest task:state of a task per batch (issue 9's coalescing): its `state` is the
 * newest, its `fields` every field written since the previous batch.
 */
export function coalesceTaskStates(events: EngineEvent[]): EngineEvent[] {
  let states = 0;
  for (const e of events) if (e.type === 'task:state') states++;
  if (states < 2) return events;
  const latest = new Map<number, number>();
  const fields = new Map<number, Record<string, unknown>>();
  events.forEach((e, i) => {
    if (e.type !== 'task:state') return;
    latest.set(e.taskIndex, i);
    fields.set(e.taskIndex, { ...fields.get(e.taskIndex), ...e.fields });
  });
  return events.flatMap((e, i): EngineEvent[] => {
    if (e.type !== 'task:state') return [e];
    if (latest.get(e.taskIndex) !== i) return [];
    return [{ ...e, fields: fields.get(e.taskIndex)! }];
  });
}
