/**
 * One attempt of a task in a job runner (job-runner.ts): its abort signal, the reason it was
 * aborted with, and how it ended.
 */
/**
 * The reason a signal is aborted with, so the runner can tell a cancel from a handler error.
 * `refused`: the database refused the task's writes (`JobRunner.isolate`); the task fails.
 */
export class TaskAbort extends Error {
  constructor(readonly kind: 'cancelled' | 'timeout' | 'shutdown' | 'refused', message: string) {
    super(message);
    this.name = kind === 'timeout' ? 'TimeoutError' : 'AbortError';
  }
}

/**
 * One running attempt. The AbortController is made only when the handler reads `signal` (most
 * no-op or short handlers never do); an abort before that is replayed onto it.
 */
export class TaskRun {
  constructor(readonly startedAt: number) {}
  private controller: AbortController | null = null;
  private reason: TaskAbort | null = null;
  /** Ends the attempt as failed with `reason` (set by `runTask` once the attempt exists). */
  failAttempt: ((reason: TaskAbort) => void) | null = null;
  /** Resolves once the attempt's outcome is queued for the next flush (`settle` ran); never rejects. */
  settled: Promise<void> = Promise.resolve();

  /** The attempt was decided by an abort (its handler may still be running). */
  get aborted(): boolean {
    return this.reason !== null;
  }

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

export const SUCCEEDED: AttemptOutcome = { ok: true };
