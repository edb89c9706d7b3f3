import type { BackoffOptions } from '../types.js';

/**
 * Delay before attempt `attempt + 1`: exponential (base · 2^(attempt-1)), capped, with a random
 * spread so tasks that failed together do not retry in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(raw * (1 - jitter + 2 * jitter * random())));
}
