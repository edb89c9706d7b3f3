/**
 * Request limits and the zod pieces shared by the endpoints (issue 5 §5): a body above
 * MAX_BODY_BYTES, unknown fields, wrong types, oversized `limit`s and malformed ids answer 400
 * naming the field, before anything reaches the engine.
 */
import { z } from 'zod';
import { ApiError, fromZodError } from './errors.js';

/** Largest JSON body accepted (the host app's `express.json()` itself stops at 100 kB with a 413). */
export const MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
/** Longest a `jobs/events` request waits for an event. */
export const MAX_LONG_POLL_MS = 30_000;
export const DEFAULT_LONG_POLL_MS = 25_000;

/**
 * A job id: the primary key of the job's row. Strings are limited to printable characters without
 * spaces; numbers to non-negative integers. Ids of a numeric key column are checked again by
 * `ApiContext.rowId`.
 */
export const jobIdSchema = z.union([
  z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces'),
  z.number().int().nonnegative(),
], { error: 'must be a job id (a string or a non-negative integer)' });

export const limitSchema = z.number().int().min(1).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`);
export const offsetSchema = z.number().int().min(0).max(1_000_000_000);

/** Checks the size of the (already parsed) body, naming its largest top-level field when too big. */
export function checkBodySize(body: unknown): void {
  const size = Buffer.byteLength(JSON.stringify(body ?? {}) ?? '', 'utf8');
  if (size <= MAX_BODY_BYTES) return;
  let field: string | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    let largest = -1;
    for (const [key, value] of Object.entries(body)) {
      const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
      if (bytes > largest) [largest, field] = [bytes, key];
    }
  }
  throw new ApiError('BODY_TOO_LARGE', `The request body is ${size} bytes; at most ${MAX_BODY_BYTES} are accepted${field ? ` (largest field: '${field}')` : ''}.`, field);
}

/** Deepest nesting of arrays and objects a body may have; no endpoint needs more than 3. */
export const MAX_BODY_DEPTH = 16;

/**
 * Refuses a body nested deeper than MAX_BODY_DEPTH, before anything recurses into it (a 5,000-deep
 * array made the validator overflow its stack). Iterative, so it cannot overflow itself.
 */
export function checkBodyDepth(body: unknown): void {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      throw new ApiError('INVALID_INPUT', `The request body is nested more than ${MAX_BODY_DEPTH} levels deep; no field of this API needs that.`);
    }
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
}

/** Depth and size checks, then `schema`; the first problem becomes an `INVALID_INPUT` naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  checkBodyDepth(body);
  checkBodySize(body);
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw fromZodError(result.error, body);
  return result.data;
}
