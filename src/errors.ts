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

/** Not logged in, or the credentials were refused. */
export class AuthError extends CliError {
  readonly exitCode = EXIT.AUTH;
}

/** A job, task or profile that does not exist (or that the user may not see). */
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

/** Ctrl-C (in a prompt or elsewhere). Nothing more is printed than a short note. */
export class InterruptedError extends CliError {
  readonly exitCode = EXIT.INTERRUPTED;
}
