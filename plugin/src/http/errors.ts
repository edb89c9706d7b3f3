/**
 * The one error shape of the plugin's HTTP API: `{ error: { code, message, field? } }` with a
 * stable `code` and an HTTP status the CLI maps to its exit codes (docs/http-api.md "Errors").
 * The compatible endpoints (compat-endpoints.ts) keep the official plugin's `{ ok: false, message }`.
 */
import { z } from 'zod';
import { JobsError, errorMessage, type JobsErrorCode } from '../errors.js';

export type ApiErrorCode =
  | JobsErrorCode
  | 'BODY_TOO_LARGE'
  | 'NOT_READY'
  | 'INTERNAL';

/** HTTP status per code. Authentication failures are AdminForth's own 401 text, not this shape. */
export const ERROR_STATUS: Record<ApiErrorCode, number> = {
  INVALID_INPUT: 400,
  BODY_TOO_LARGE: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  NO_HANDLER: 409,
  UNSUPPORTED: 501,
  INTERNAL: 500,
  NOT_READY: 503,
};

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

/** An error an endpoint answers with; anything else thrown becomes `INTERNAL`. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly field?: string;

  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) } };
  }
}

/** The same answer for a job that does not exist and one the user may not see (issue 5 §3). */
export function jobNotFound(jobId: string | number): ApiError {
  return new ApiError('NOT_FOUND', `Job ${jobId} not found.`, 'jobId');
}

/** `status[0]`, `scope[3]`, `cursor`: a zod issue path as the `field` of an error. */
export function fieldOf(path: readonly PropertyKey[]): string | undefined {
  let field = '';
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field ? `.${String(key)}` : String(key);
  }
  return field || undefined;
}

/** Whether `path` leads to a value in `input` (zod 4 does not report the input of an issue). */
function present(input: unknown, path: readonly PropertyKey[]): boolean {
  let value: any = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) return false;
    value = value[key as any];
  }
  return value !== undefined;
}

/** The first problem of a failed parse of `input`, as an `INVALID_INPUT` error naming the field. */
export function fromZodError(error: z.ZodError, input?: unknown): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError('INVALID_INPUT', 'The request body is invalid.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const field = fieldOf([...issue.path, key]);
    return new ApiError('INVALID_INPUT', `Unknown field '${field}': remove it (see docs/http-api.md for this endpoint's fields).`, field);
  }
  const field = fieldOf(issue.path);
  if (issue.code === 'invalid_type' && field && !present(input, issue.path)) {
    return new ApiError('INVALID_INPUT', `Field '${field}' is required.`, field);
  }
  const where = field ? `Field '${field}'` : 'The request body';
  return new ApiError('INVALID_INPUT', `${where}: ${issue.message}`, field);
}

/** Maps anything an endpoint threw to an ApiError (engine errors keep their code). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return fromZodError(error);
  if (error instanceof JobsError) return new ApiError(error.code, error.message);
  return new ApiError('INTERNAL', `Internal error: ${errorMessage(error)}`);
}
