/**
 * Small formatters shared by the job commands: JSON and JSON-lines on stdout, dates, durations,
 * statuses with colors. JSON goes out exactly as the app sent it, so scripts read the API's shapes
 * (docs/http-api.md).
 */
import type { Context } from '../context.js';
import type { Colors } from './colors.js';

export function printJson(ctx: Context, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printJsonLine(ctx: Context, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`);
}

/** `1h 02m`, `3m 07s`, `12.4s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds % 60);
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600);
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

/** A job's run time: created → finished, or → now while it runs. */
export function jobDuration(job: { createdAt: string | null; finishedAt: string | null }, now = Date.now()): string {
  if (!job.createdAt) return '';
  const start = Date.parse(job.createdAt);
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? '' : formatDuration(end - start);
}

/** A job's run time in milliseconds (created → finished, or → now while it runs): what piped output prints. */
export function jobDurationMs(job: { createdAt: string | null; finishedAt: string | null }, now = Date.now()): number | null {
  if (!job.createdAt) return null;
  const start = Date.parse(job.createdAt);
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

/** `40% (40/100)`: the tasks that ran to an end (done or failed), as the progress counts them. */
export function progressCell(job: { progress: number; tasks: { total: number; done: number; failed: number } }): string {
  return `${job.progress}% (${job.tasks.done + job.tasks.failed}/${job.tasks.total})`;
}

/**
 * `2026-03-01 10:00:01 +01:00` in local time with its offset from UTC (`UTC` when there is none),
 * on a terminal; piped, the ISO string as the app sent it.
 */
export function formatDate(value: string | null, tty: boolean): string {
  if (!value) return '';
  if (!tty) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0 ? 'UTC' : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`;
}

/** `HH:MM:SS.mmm` local time. */
export function formatTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function colorStatus(status: string, color: Colors): string {
  switch (status) {
    case 'DONE': return color.green(status);
    case 'DONE_WITH_ERRORS': case 'FAILED': return color.red(status);
    case 'CANCELLED': return color.yellow(status);
    case 'IN_PROGRESS': return color.cyan(status);
    default: return status;
  }
}

/** Shortens to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
