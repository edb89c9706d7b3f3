/**
 * The commands that operate jobs on a running app (issue 8): `login`, `logout`, `whoami`, `list`,
 * `show`, `cancel`, `retry`, `tail`. Declared like the scaffolding commands in program.ts: flags
 * and help here, `run(opts, ctx)` in `commands/<name>.ts`, loaded when the command runs. The
 * global flags (`--url`, `--profile`, `-o`, ...) are passed in `opts` with the command's own.
 */
import type { Command } from 'commander';
import type { Context } from './context.js';
import { JOB_STATUSES, TASK_STATUSES } from './client/api-types.js';
import { choiceList, duration, integerList, nonNegativeInteger, positiveInteger, since } from './flags.js';

/** An "Examples:" block for a command's --help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** `--states`, `--timeout`, `--poll`: how `tail` and `retry --follow` follow a job. */
function followOptions(command: Command): Command {
  return command
    .option('--states', 'also print task and job state changes (setTaskStateField, setJobStateField)')
    .option('--timeout <duration>', 'stop following after this long (90s, 10m, 2h): exit 12, the job keeps running', duration)
    .option('--poll', 'follow through jobs/events long-polls only, without the websocket');
}

export function addJobCommands(program: Command, ctx: Context): void {
  // Each command module is imported only when its command runs (literal paths, so bundlers and
  // vitest can resolve them).
  type Loader = () => Promise<{ run(opts: any, ctx: Context): Promise<void> }>;
  const run = (load: Loader) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const positional = command.processedArgs as unknown[];
    // The command's options with the global ones (`url`, `profile`, `output`, ...).
    const opts = { ...command.optsWithGlobals(), ...(positional.length ? { jobId: positional[0] } : {}) };
    await (await load()).run(opts, ctx);
  };

  program.command('login')
    .description('log in to an AdminForth app (its own login, or a personal token) and save the login as a profile')
    .option('--username <name>', 'user to log in as (asked on a terminal)')
    .option('--password-stdin', 'read the password from the first line of stdin (asked on a terminal otherwise)')
    .option('--token <token>', 'log in with a personal token (afjobs_…) instead of a password; "-" reads it from stdin')
    .option('--remember', "ask for a long session (the app's rememberMeDuration, default 30 days, instead of 1 day)")
    .option('--resource <id>', 'the jobs resource to use, when the app has the plugin on several')
    .addHelpText('after', examples([
      'af-jobs login --url http://localhost:3500 --username adminforth',
      'printf "%s" "$ADMIN_PASSWORD" | af-jobs login --url https://admin.example.com --username ci --password-stdin --remember',
      'af-jobs login --url https://admin.example.com --profile prod --token "$AF_TOKEN"',
      'AF_JOBS_URL=https://admin.example.com AF_JOBS_TOKEN=afjobs_... af-jobs list   # CI: no login needed',
    ]))
    .action(run(() => import('./commands/login.js')));

  program.command('logout')
    .description('forget a saved login (the profile)')
    .addHelpText('after', examples(['af-jobs logout', 'af-jobs logout --profile prod']))
    .action(run(() => import('./commands/logout.js')));

  program.command('whoami')
    .description('show the app, user, login and plugin instance in use (asks the app)')
    .addHelpText('after', examples(['af-jobs whoami', 'af-jobs whoami --profile prod -o json']))
    .action(run(() => import('./commands/whoami.js')));

  program.command('list')
    .description('list the jobs you may see, newest first')
    .option('--status <status>', `only jobs in this status; repeat or comma-separate (${JOB_STATUSES.join(', ').toLowerCase()})`, choiceList(JOB_STATUSES))
    .option('--handler <name>', 'only jobs of this handler')
    .option('--mine', 'only jobs you started (admins see everyone\'s by default)')
    .option('--all', 'every job you may see (the default)')
    .option('--since <when>', 'only jobs created since a date (2026-03-01) or for a time back (30m, 2h, 7d)', (value) => since(value))
    .option('--limit <n>', 'at most this many jobs (default 20)', positiveInteger)
    .addHelpText('after', examples([
      'af-jobs list',
      'af-jobs list --status in_progress --status queued --mine',
      'af-jobs list --handler import_users --since 24h --limit 100 -o jsonl',
      "af-jobs list --status done_with_errors | cut -f1   # ids, tab-separated when piped",
    ]))
    .action(run(() => import('./commands/list.js')));

  program.command('show')
    .description('show one job: status, progress, task counts, state; with --tasks its tasks')
    .argument('<jobId>', 'id of the job (see af-jobs list)')
    .option('--tasks', 'also list its tasks, a page at a time')
    .option('--task-status <status>', `only tasks in this status (implies --tasks); repeat or comma-separate (${TASK_STATUSES.join(', ').toLowerCase()})`, choiceList(TASK_STATUSES))
    .option('--limit <n>', 'tasks per page (default 50, at most 500)', positiveInteger)
    .option('--offset <n>', 'skip this many tasks (implies --tasks)', nonNegativeInteger)
    .addHelpText('after', examples([
      'af-jobs show 9b2d1c4e-...',
      'af-jobs show 9b2d1c4e-... --task-status failed',
      'af-jobs show 9b2d1c4e-... --tasks --limit 100 --offset 100 -o json',
    ]))
    .action(run(() => import('./commands/show.js')));

  program.command('cancel')
    .description('cancel a job: running tasks are aborted, scheduled ones are not run')
    .argument('<jobId>', 'id of the job')
    .option('-y, --yes', 'do not ask for confirmation (it is only asked on a terminal)')
    .option('--wait', 'return once no task of the job is running any more')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 12)', duration)
    .addHelpText('after', examples(['af-jobs cancel 9b2d1c4e-...', 'af-jobs cancel 9b2d1c4e-... --yes --wait --timeout 1m']))
    .action(run(() => import('./commands/cancel.js')));

  followOptions(program.command('retry')
    .description("run a finished job's failed tasks again (or its unfinished ones, or chosen ones)")
    .argument('<jobId>', 'id of the job')
    .option('--unfinished', 'retry failed and cancelled tasks')
    .option('--task <n>', 'retry this task (its index); repeat or comma-separate', integerList)
    .option('--follow', 'then follow the job as tail does (and exit as tail does)'))
    .addHelpText('after', examples([
      'af-jobs retry 9b2d1c4e-...',
      'af-jobs retry 9b2d1c4e-... --unfinished --follow',
      'af-jobs retry 9b2d1c4e-... --task 3 --task 17',
    ]))
    .action(run(() => import('./commands/retry.js')));

  followOptions(program.command('tail')
    .description('follow a job live until it finishes; exit 0 for DONE, 10 for DONE_WITH_ERRORS, 11 for CANCELLED')
    .argument('<jobId>', 'id of the job')
    .option('--new', 'print only events from now on (default: first the events the app still holds)'))
    .addHelpText('after', examples([
      'af-jobs tail 9b2d1c4e-...',
      'af-jobs tail 9b2d1c4e-... --timeout 30m && deploy-next-step',
      'af-jobs tail 9b2d1c4e-... -o jsonl | jq -c \'select(.type == "task:failed")\'',
      'af-jobs tail 9b2d1c4e-... --poll --states',
    ]))
    .action(run(() => import('./commands/tail.js')));
}
