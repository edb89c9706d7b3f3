/**
 * How `tail` prints one job event: a line for a person (terminal: local time, colors), a
 * tab-separated line when piped (`at`, event type, task index, detail), or the event itself as one
 * JSON line (`-o jsonl`, the `jobs/events` shape with `seq` and `at`).
 */
import type { JobEvent } from '../client/api-types.js';
import type { Colors } from './colors.js';
import { formatTime } from './format.js';

/**
 * Whether `tail` prints `event` at all: progress only moves the bar (except in `-o jsonl`); state
 * changes need `--states`; the other task events need `tasks` (`--events`, or a small job) in text
 * output, so a job of thousands of tasks is a few lines and a bar, not thousands of lines.
 */
export function isPrinted(event: JobEvent, options: { states: boolean; jsonl: boolean; tasks: boolean }): boolean {
  if (event.type === 'task:state' || event.type === 'job:state') return options.states;
  if (event.type === 'job:progress') return options.jsonl;
  if (event.type.startsWith('task:')) return options.jsonl || options.tasks;
  return true;
}

const compact = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** What happened, in words, without the time or the task index. */
function describe(event: JobEvent, color: Colors): string {
  const attempt = event.attempt !== undefined && event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
  switch (event.type) {
    case 'task:started': return `started${attempt}`;
    case 'task:done': return color.green(`done${attempt}`);
    case 'task:failed':
      return event.willRetry
        ? color.yellow(`failed${attempt}, will retry: ${event.error ?? ''}`)
        : color.red(`failed${attempt}: ${event.error ?? ''}`);
    case 'task:cancelled': return color.yellow('cancelled');
    case 'task:state': return `state ${Object.entries(event.fields ?? {}).map(([k, v]) => `${k}=${compact(v)}`).join(' ')}`;
    case 'job:created': return `created (${event.total ?? '?'} tasks, ${event.status ?? ''})`;
    case 'job:started': return 'started';
    case 'job:retried': return `retried: ${event.tasks ?? '?'} task(s) scheduled again (${event.status ?? ''})`;
    case 'job:state': return `state ${event.field}=${compact(event.value)}`;
    case 'job:progress': return `progress ${event.progress}% (${event.done}/${event.total} done, ${event.failed} failed, ${event.cancelled} cancelled)`;
    case 'job:finished': {
      const status = String(event.status);
      const colored = status === 'DONE' ? color.green(status) : status === 'CANCELLED' ? color.yellow(status) : color.red(status);
      return `finished ${colored}${event.error ? `: ${event.error}` : ''}`;
    }
    default: return event.type;
  }
}

/** `10:00:01.120  task 3   done` on a terminal. */
export function humanLine(event: JobEvent, color: Colors): string {
  const subject = event.taskIndex !== undefined ? `task ${event.taskIndex}` : 'job';
  return `${color.dim(formatTime(event.at))}  ${subject.padEnd(10)} ${describe(event, color)}`;
}

/** `<at>\t<type>\t<task index or empty>\t<detail>` when piped. */
export function plainLine(event: JobEvent, color: Colors): string {
  const detail = describe(event, color).replace(/[\t\r\n]+/g, ' ');
  return [event.at, event.type, event.taskIndex ?? '', detail].join('\t');
}
