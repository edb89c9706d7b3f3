/**
 * The CLI's error classes. Each maps to one exit code (docs/exit-codes.md); `src/main.ts` is the
 * only place that turns them into a message and a `process.exit`. A message says what failed,
 * with which value, and what to do; the original error stays in `cause`.
 */

/** Exit codes, fixed once published: scripts and CI depend on them. */
export const EXIT = {
  OK: 0,
  /** An unexpected error: a bug in af-jobs (the stack trace is printed with --verbose). */
  INTERNAL: 1,
  USAGE: 2,
  PROJECT: 3,
  AUTH: 4,
  NOT_FOUND: 5,
  API: 6,
  CONNECTION: 7,
  MANUAL_STEPS: 8,
  /** `tail` (and `retry --follow`): the job finished as DONE_WITH_ERRORS. */
  JOB_FAILED: 10,
  /** `tail` (and `retry --follow`): the job finished as CANCELLED. */
  JOB_CANCELLED: 11,
  /** `tail --timeout`, `cancel --wait --timeout`: the job had not finished in time (it keeps running). */
  TIMEOUT: 12,
  INTERRUPTED: 130,
} as const;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A flag, argument or answer is wrong or missing (also: a prompt needed while stdin is not a terminal). */
export class UsageError extends CliError {
  readonly exitCode = EXIT.USAGE;
}

/** The folder is not an AdminForth app, or a file in it cannot be read or parsed as expected. */
export class ProjectError extends CliError {
  readonly exitCode = EXIT.PROJECT;
}

/** Not logged in, the credentials were refused (or expired), or the user may not do this to the job. */
export class AuthError extends CliError {
  readonly exitCode = EXIT.AUTH;
}

/** A job, task or profile that does not exist (or that the user may not see), or an app without the plugin. */
export class NotFoundError extends CliError {
  readonly exitCode = EXIT.NOT_FOUND;
}

/** The app answered with an error. */
export class ApiError extends CliError {
  readonly exitCode = EXIT.API;
}

/** The app could not be reached. */
export class ConnectionError extends CliError {
  readonly exitCode = EXIT.CONNECTION;
}

/**
 * The scaffold was written, but some edits could not be made safely and were printed for the
 * user to make by hand: the app is not ready to run until they are.
 */
export class ManualStepsError extends CliError {
  readonly exitCode = EXIT.MANUAL_STEPS;
}

/**
 * The job followed by `tail` finished, but not as DONE: the exit code tells CI how
 * (`JOB_FAILED` for DONE_WITH_ERRORS, `JOB_CANCELLED` for CANCELLED).
 */
export class JobOutcomeError extends CliError {
  readonly exitCode: number;

  constructor(status: 'DONE_WITH_ERRORS' | 'CANCELLED', message: string) {
    super(message);
    this.exitCode = status === 'CANCELLED' ? EXIT.JOB_CANCELLED : EXIT.JOB_FAILED;
  }
}

/**
 * `cancel` / `retry` of several jobs: some jobs failed (each was reported on its own line). The
 * exit code is the largest of theirs (docs/exit-codes.md "Several jobs at once").
 */
export class SomeJobsFailedError extends CliError {
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** `--timeout` passed before the job finished; the job itself keeps running. */
export class TimeoutError extends CliError {
  readonly exitCode = EXIT.TIMEOUT;
}

/** Ctrl-C (in a prompt or elsewhere). Nothing more is printed than a short note. */
export class InterruptedError extends CliError {
  readonly exitCode = EXIT.INTERRUPTED;
}
