/**
 * The commands that operate jobs on a running app (issue 8): `login`, `logout`, `whoami`, `list`,
 * `show`, `cancel`, `retry`, `tail`, `wait`. Declared as every command is (command-action.ts):
 * flags and help here, `run(opts, ctx)` in `commands/<name>.ts`, loaded when the command runs.
 * The global flags (`--url`, `--profile`, `-o`, ...) reach them in the context, not in `opts`.
 */
import { Option, type Command } from 'commander';
import { commandAction } from './command-action.js';
import type { Context } from './context.js';
import { JOB_STATUSES, TASK_STATUSES } from './client/api-types.js';
import { choiceList, duration, integerList, jobId, jobIdList, nonEmpty, nonNegativeInteger, positiveInteger, since } from './flags.js';
import { examples } from './help-text.js';

/** `--states`, `--timeout`, `--poll`: how `tail` and `retry --follow` follow a job. */
function followOptions(command: Command): Command {
  return command
    .option('--states', 'also print task and job state changes (setTaskStateField, setJobStateField)')
    .option('--timeout <duration>', 'stop following after this long (90s, 10m, 2h): exit 12, the job keeps running', duration)
    .option('--poll', 'follow through jobs/events long-polls only, without the websocket')
    .option('--events', 'print one line per task event (default: only for jobs of at most 20 tasks)')
    .option('--no-events', 'print no task events, also for a small job')
    .option('--summary', 'print nothing while following, then only the final summary on stdout (tab-separated when piped)');
}

/** `--status --handler --since --mine --started-by`: which jobs `cancel` and `retry` act on. */
function selectorOptions(command: Command, defaultStatuses: string): Command {
  return command
    .option('--status <status>', `every job in this status; repeat or comma-separate (default: ${defaultStatuses})`, choiceList(JOB_STATUSES))
    .option('--handler <name>', "every job of this handler", nonEmpty('--handler'))
    .option('--since <when>', 'every job created since a date (2026-03-01) or for a time back (30m, 2h, 7d)', (value) => since(value))
    .option('--mine', 'every job you started')
    .option('--started-by <user>', "every job started by this user (their id, as list -o json shows in startedBy)", nonEmpty('--started-by'));
}

export function addJobCommands(program: Command, ctx: Context): void {
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
    .action(commandAction(ctx, () => import('./commands/login.js')));

  program.command('logout')
    .description('forget a saved login (the profile)')
    .addHelpText('after', examples(['af-jobs logout', 'af-jobs logout --profile prod']))
    .action(commandAction(ctx, () => import('./commands/logout.js')));

  program.command('whoami')
    .description('show the app, user, login and plugin instance in use (asks the app)')
    .addHelpText('after', examples(['af-jobs whoami', 'af-jobs whoami --profile prod -o json']))
    .action(commandAction(ctx, () => import('./commands/whoami.js')));

  program.command('list')
    .description('list the jobs you may see, newest first')
    .option('--status <status>', `only jobs in this status; repeat or comma-separate (${JOB_STATUSES.join(', ').toLowerCase()})`, choiceList(JOB_STATUSES))
    .option('--handler <name>', 'only jobs of this handler')
    .option('--mine', 'only jobs you started (admins see everyone\'s by default)')
    .option('--all', 'every job you may see (the default)')
    .option('--since <when>', 'only jobs created since a date (2026-03-01) or for a time back (30m, 2h, 7d)', (value) => since(value))
    .option('--limit <n>', 'at most this many jobs (default 20)', positiveInteger)
    .option('--watch', 'redraw the table every 2 s while jobs change, until Ctrl-C (stdout must be a terminal)')
    .addHelpText('after', examples([
      'af-jobs list',
      'af-jobs list --status in_progress,queued --watch',
      'af-jobs list --status in_progress --status queued --mine',
      'af-jobs list --handler import_users --since 24h --limit 100 -o jsonl',
      "af-jobs list --status done_with_errors | cut -f1   # ids, tab-separated when piped",
    ]))
    .action(commandAction(ctx, () => import('./commands/list.js')));

  program.command('show')
    .description('show one job: status, progress, task counts, state; with --tasks its tasks')
    .argument('<jobId>', 'id of the job (see af-jobs list)', jobId)
    .option('--tasks', 'also list its tasks, a page at a time')
    .option('--task-status <status>', `only tasks in this status (implies --tasks); repeat or comma-separate (${TASK_STATUSES.join(', ').toLowerCase()})`, choiceList(TASK_STATUSES))
    .option('--limit <n>', 'tasks per page (default 50, at most 500)', positiveInteger)
    .option('--offset <n>', 'skip this many tasks (implies --tasks)', nonNegativeInteger)
    .addHelpText('after', examples([
      'af-jobs show 9b2d1c4e-...',
      'af-jobs show 9b2d1c4e-... --task-status failed',
      'af-jobs show 9b2d1c4e-... --tasks --limit 100 --offset 100 -o json',
    ]))
    .action(commandAction(ctx, () => import('./commands/show.js')));

  selectorOptions(program.command('cancel')
    .description('cancel jobs: running tasks are aborted, scheduled ones are not run')
    .argument('[jobId...]', 'ids of the jobs (or select them with the flags below)', jobIdList), 'queued,in_progress')
    .option('-y, --yes', 'do not ask for confirmation (asked on a terminal; several jobs without a terminal need --yes)')
    .option('--dry-run', 'list the jobs that would be cancelled, and cancel nothing')
    .option('--wait', 'return once no task of the job(s) is running any more')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 12)', duration)
    .addHelpText('after', examples([
      'af-jobs cancel 9b2d1c4e-...',
      'af-jobs cancel 9b2d1c4e-... --yes --wait --timeout 1m',
      'af-jobs cancel 9b2d1c4e-... 5f0c2a9e-... --yes',
      'af-jobs cancel --handler import_users --since 2h --dry-run',
      'af-jobs cancel --mine --yes -o jsonl   # every queued or running job you started',
    ]))
    .action(commandAction(ctx, () => import('./commands/cancel.js')));

  followOptions(selectorOptions(program.command('retry')
    .description("run finished jobs' failed tasks again (or their unfinished ones, or chosen ones of one job)")
    .argument('[jobId...]', 'ids of the jobs (or select them with the flags below)', jobIdList), 'done_with_errors; with --unfinished also cancelled')
    .option('--unfinished', 'retry failed and cancelled tasks')
    .option('--task <n>', 'retry this task (its index) of the one job given; repeat or comma-separate', integerList)
    .option('-y, --yes', 'do not ask for confirmation of several jobs (asked on a terminal; needed without one)')
    .option('--dry-run', 'list the jobs that would be retried, and retry nothing')
    .option('--follow', 'then follow the job as tail does (and exit as tail does); one job only'))
    .addHelpText('after', examples([
      'af-jobs retry 9b2d1c4e-...',
      'af-jobs retry 9b2d1c4e-... --unfinished --follow',
      'af-jobs retry 9b2d1c4e-... --task 3 --task 17',
      'af-jobs retry --handler send_emails --since 1d --yes',
    ]))
    .action(commandAction(ctx, () => import('./commands/retry.js')));

  followOptions(program.command('tail')
    .description('follow a job live until it finishes; exit 0 for DONE, 10 for DONE_WITH_ERRORS, 11 for CANCELLED')
    .argument('<jobId>', 'id of the job')
    .option('--new', 'print only events from now on (default: first the events the app still holds)'))
    .addHelpText('after', examples([
      'af-jobs tail 9b2d1c4e-...',
      'af-jobs tail 9b2d1c4e-... --events          # one line per task event, also for a big job',
      'af-jobs tail 9b2d1c4e-... --summary --timeout 30m && deploy-next-step',
      'af-jobs tail 9b2d1c4e-... -o jsonl | jq -c \'select(.type == "task:failed")\'',
      'af-jobs tail 9b2d1c4e-... --poll --states',
    ]))
    .action(commandAction(ctx, () => import('./commands/tail.js')));

  program.command('wait')
    .description('wait until jobs finish, without a bar; one line per job as it finishes; exit codes as tail (the worst one)')
    .argument('<jobId...>', 'ids of the jobs', jobIdList)
    .addOption(new Option('--for <condition>', 'finished: until every job finished (any status); done: stop at the first job that finishes other than DONE').choices(['done', 'finished']).default('finished'))
    .option('--timeout <duration>', 'give up after this long (90s, 10m, 2h): exit 12, the jobs keep running', duration)
    .option('--poll', 'follow through jobs/events long-polls only, without the websocket')
    .addHelpText('after', examples([
      'af-jobs wait 9b2d1c4e-... 7f3a0b12-...',
      'af-jobs wait "$JOB_ID" --for done --timeout 30m && deploy-next-step',
      'af-jobs wait 9b2d1c4e-... 7f3a0b12-... -o jsonl | jq -r \'select(.status != "DONE") | .id\'',
    ]))
    .action(commandAction(ctx, () => import('./commands/wait.js')));

  const schedules = program.command('schedules')
    .description("the app's recurring schedules (plugin.registerSchedule): list them, pause, resume, run one now (admins)")
    .addHelpText('after', examples([
      'af-jobs schedules list',
      'af-jobs schedules pause nightly-export',
      'af-jobs schedules run nightly-export --follow',
    ]));
  schedules.command('list')
    .description('every schedule with its cron, state, next and last run, and the last job it started')
    .addHelpText('after', examples(['af-jobs schedules list', 'af-jobs schedules list -o json']))
    .action(commandAction(ctx, () => import('./commands/schedules-list.js')));
  schedules.command('pause')
    .description('start no job at its ticks, on any replica, until resumed (a running job is not touched)')
    .argument('<name>', 'the schedule (see af-jobs schedules list)', nonEmpty('<name>'))
    .addHelpText('after', examples(['af-jobs schedules pause nightly-export']))
    .action(commandAction(ctx, () => import('./commands/schedules-pause.js'), () => ({ paused: true })));
  schedules.command('resume')
    .description('start jobs at its ticks again (ticks missed while paused are not run)')
    .argument('<name>', 'the schedule (see af-jobs schedules list)', nonEmpty('<name>'))
    .addHelpText('after', examples(['af-jobs schedules resume nightly-export']))
    .action(commandAction(ctx, () => import('./commands/schedules-pause.js'), () => ({ paused: false })));
  followOptions(schedules.command('run')
    .description("start the schedule's job now, outside its cron (also when paused); prints the job's id")
    .argument('<name>', 'the schedule (see af-jobs schedules list)', nonEmpty('<name>'))
    .option('--follow', 'then follow the job as tail does (and exit as tail does)'))
    .addHelpText('after', examples([
      'af-jobs schedules run nightly-export',
      'af-jobs schedules run nightly-export --follow --timeout 30m',
      'JOB=$(af-jobs schedules run nightly-export -q) && af-jobs wait "$JOB"',
    ]))
    .action(commandAction(ctx, () => import('./commands/schedules-run.js')));
}
