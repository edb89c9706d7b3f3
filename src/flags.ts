/**
 * Parsers of flag values shared by commands (commander calls them; they throw commander's
 * InvalidArgumentError, which it reports as a usage error naming the flag).
 */
import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError(`expected a positive whole number, got "${value}".`);
  }
  return number;
}

export function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new InvalidArgumentError(`expected a whole number (0 or more), got "${value}".`);
  }
  return number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90` (seconds), `500ms`, `30s`, `10m`, `2h`, `7d` → milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration like 90s, 10m or 2h, got "${value}".`);
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration above zero, got "${value}".`);
  return Math.round(ms);
}

/** `--since`: an ISO 8601 date(-time), or a duration back from now (`2h`, `7d`). */
export function since(value: string, now = Date.now()): string {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)$/.test(value.trim())) return new Date(now - duration(value)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  throw new InvalidArgumentError(`expected a date (2026-03-01, 2026-03-01T10:00:00Z) or a time back from now (30m, 2h, 7d), got "${value}".`);
}

/** A repeatable flag that may also take comma-separated values, checked against `allowed` (any case). */
export function choiceList(allowed: readonly string[]) {
  return (value: string, previous: string[] | undefined): string[] => {
    const values = value.split(',').map((v) => v.trim().toUpperCase()).filter(Boolean);
    for (const v of values) {
      if (!allowed.includes(v)) throw new InvalidArgumentError(`"${v.toLowerCase()}" is not one of: ${allowed.map((a) => a.toLowerCase()).join(', ')}.`);
    }
    return [...(previous ?? []), ...values];
  };
}

/** A repeatable flag of whole numbers (`--task 3 --task 7`, or `--task 3,7`). */
export function integerList(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), ...value.split(',').map((v) => nonNegativeInteger(v.trim()))];
}

/**
 * A job id as the plugin accepts one (docs/http-api.md "Errors": 1–255 printable characters
 * without spaces), checked before any request so the message names the argument instead of the
 * server's validator wording.
 */
export function jobId(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('a job id cannot be empty: copy one from af-jobs list.');
  if (value.length > 255) throw new InvalidArgumentError(`a job id has at most 255 characters, got ${value.length}.`);
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a job id (ids are printable characters without spaces): copy one from af-jobs list.`);
  }
  return value;
}

/** Several job ids (`cancel <jobId...>`). */
export function jobIdList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), jobId(value)];
}

/** A flag whose value must not be empty (`--handler ""` would otherwise reach the server). */
export function nonEmpty(what: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${what} cannot be empty.`);
    if (value.length > 255) throw new InvalidArgumentError(`${what} has at most 255 characters, got ${value.length}.`);
    return value;
  };
}
