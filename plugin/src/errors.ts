/** Thrown by a handler to fail its task at once, without the retries `maxAttempts` would allow. */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/** Stable codes for business errors; the HTTP layer maps them to statuses and the CLI to exit codes. */
export type JobsErrorCode = 'NOT_FOUND' | 'INVALID_STATE' | 'INVALID_INPUT' | 'NO_HANDLER' | 'UNSUPPORTED' | 'FORBIDDEN';

/** A business error of the plugin: what failed, with which value, and what to do. */
export class JobsError extends Error {
  readonly code: JobsErrorCode;
  constructor(code: JobsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobsError';
    this.code = code;
  }
}

/** The message of anything a handler may throw (it may throw a non-Error). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    const json = JSON.stringify(error);
    if (json !== undefined) return json;
  } catch {
    // fall through
  }
  return String(error);
}
