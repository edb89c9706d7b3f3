/**
 * Help text shared by the command declarations: the "Examples:" block of a command's --help, and
 * the exit codes as `af-jobs --help` prints them: an installed user cannot open the repository's
 * docs/exit-codes.md, and package.json names no published location, so the table itself.
 * Keep in step with docs/exit-codes.md.
 */
import { EXIT } from './errors.js';

const MEANINGS: Record<keyof typeof EXIT, string> = {
  OK: 'done (also: nothing to change, --dry-run, --help)',
  INTERNAL: 'a bug in af-jobs (--verbose prints the stack trace)',
  USAGE: 'a wrong or missing flag or argument; an answer needed without a terminal',
  PROJECT: 'not an AdminForth app, or a file of it cannot be read or edited',
  AUTH: 'not logged in, credentials refused, or not allowed to manage the job',
  NOT_FOUND: 'no such job (or not yours to see), profile, token, plugin or app',
  API: 'the app answered with an error (e.g. cancelling a DONE job)',
  CONNECTION: 'the app could not be reached',
  MANUAL_STEPS: 'files written, but some edits are left to you (printed above)',
  JOB_FAILED: 'the job followed finished DONE_WITH_ERRORS',
  JOB_CANCELLED: 'the job followed finished CANCELLED',
  TIMEOUT: '--timeout ran out first (the job keeps running)',
  INTERRUPTED: 'Ctrl-C',
};

export function exitCodesHelp(): string {
  const rows = (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((name) => `  ${String(EXIT[name]).padStart(3)}  ${MEANINGS[name]}`);
  return `Exit codes (several jobs at once: the largest of the jobs that failed):\n${rows.join('\n')}`;
}

/** An "Examples:" block for a command's --help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
