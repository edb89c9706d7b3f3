/**
 * The commander tree: the global flags, the scaffolding commands, and the groups of commands in
 * program-jobs.ts and program-tools.ts. Every command is declared the same way — flags and help
 * here or in its group, `run(opts, ctx)` in `commands/<name>.ts`, wired with `commandAction`,
 * which imports the module only when the command runs, so `af-jobs --help` loads none of them
 * (command-action.ts describes the one way, and why the global flags reach a command through the
 * context and not its `opts`). Commands are flat (design D10); add a group of commands with
 * another `add...Commands(program, ctx)` below.
 */
import { Option, type Command } from 'commander';
import { CliCommand } from './cli-command.js';
import { commandAction } from './command-action.js';
import { applyGlobalOptions, OUTPUT_FORMATS, type Context, type GlobalOptions } from './context.js';
import { examples, exitCodesHelp } from './help-text.js';
import { positiveInteger } from './flags.js';
import { addJobCommands } from './program-jobs.js';
import { addToolCommands } from './program-tools.js';

// Inlined by the build (dist/); read as JSON on the sources.
import packageJson from '../package.json' with { type: 'json' };

/** `quietParseErrors`: commander's own error text is not printed (main.ts reports it as JSON). */
export function buildProgram(ctx: Context, { quietParseErrors = false }: { quietParseErrors?: boolean } = {}): Command {
  const program: Command = new CliCommand('af-jobs')
    .description('Background jobs for AdminForth: scaffold the plugin into an app, and operate its jobs.')
    .version(packageJson.version, '-V, --version', 'print the version of af-jobs')
    .option('--no-color', 'print without colors (also: NO_COLOR=1)')
    .option('-q, --quiet', 'print only errors, warnings and edits left to you')
    .option('--verbose', 'print more: diffs of written files, HTTP requests, stack traces of unexpected errors')
    .option('--url <url>', 'URL of the AdminForth app, with its baseUrl (also: AF_JOBS_URL; default: the profile\'s)')
    .option('--profile <name>', 'saved login to use (also: AF_JOBS_PROFILE; default: "default")')
    .addOption(new Option('-o, --output <format>', 'output: a table (tab-separated when piped), json, or one JSON value a line').choices([...OUTPUT_FORMATS]))
    .option('--json', 'same as -o json')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => { if (!quietParseErrors) ctx.stderr.write(text); },
      // Its errors (reworded by CliCommand) look like the CLI's own.
      outputError: (text, write) => write(`${ctx.color.red('Error:')} ${text}`),
    });
  // The global flags are the program's own options (commander reads them before or after the
  // command's name): resolved into the context once, before the command's action runs.
  program.hook('preAction', () => applyGlobalOptions(ctx, program.opts<GlobalOptions>()));

  program.addHelpText('after', `
Examples:
  $ npx af-jobs init --yes
  $ af-jobs login --url http://localhost:3500 --username adminforth
  $ af-jobs list --status in_progress
  $ af-jobs tail 9b2d1c4e-... || echo "job did not end DONE"

Settings: flag, then AF_JOBS_URL / AF_JOBS_TOKEN / AF_JOBS_PROFILE, then the profile.

${exitCodesHelp()}`);

  addScaffoldCommands(program, ctx);
  addJobCommands(program, ctx);
  addToolCommands(program, ctx);
  return program;
}

function addScaffoldCommands(program: Command, ctx: Context): void {
  scaffoldOptions(program.command('init'))
    .description('set up @adminforth/background-jobs in an AdminForth app: jobs resource, table, handlers folder, example')
    .option('--data-source <id>', 'data source for the jobs table (asked when the app has several)')
    .option('--table <name>', 'name of the jobs table (default: jobs)')
    .option('--resource-id <id>', 'resource id of the jobs resource (default: the table name)')
    .addOption(new Option('--edit-access <who>', 'who may edit and delete jobs in the admin (default: superadmin)').choices(['superadmin', 'all', 'none']))
    .option('--example', 'add an example handler and a POST /api/create-job/ route that starts it (default)')
    .option('--no-example', 'add no example')
    .addOption(new Option('--migration <kind>', 'how to create the table (default: prisma when the app uses Prisma, else sql)').choices(['prisma', 'sql', 'none']))
    .addOption(new Option('--database <kind>', 'database of the data source, when its URL does not tell').choices(['sqlite', 'postgres', 'mysql']))
    .option('--install', "run the app's package manager to install the plugin")
    .option('-y, --yes', 'answer every question with its default')
    .addHelpText('after', examples([
      'af-jobs init                       # asks what no flag answers',
      'af-jobs init --yes --install       # every default, then npm install',
      'af-jobs init --data-source maindb --table jobs --no-example --dry-run',
    ]))
    .action(commandAction(ctx, () => import('./commands/init.js')));

  scaffoldOptions(program.command('add-handler'))
    .description('add a job handler module (with a test beside it), register it, and add a route that starts a job of it')
    .argument('[name]', 'handler name, e.g. send-emails (stored as send_emails)')
    .option('--parallel-limit <n>', 'tasks of one job running at once (plugin default: 3)', positiveInteger)
    .option('--concurrency-limit <n>', 'jobs of this handler running at once; more wait as QUEUED (plugin default: no limit)', positiveInteger)
    .option('--max-attempts <n>', 'runs per task before it counts as failed (plugin default: 1)', positiveInteger)
    .option('--with-component', 'also add a custom task-details component (as add-component does)')
    .option('--no-route', 'do not add the route that starts a job of it (POST <baseUrl>/api/jobs/<name>/start)')
    .addHelpText('after', examples([
      'af-jobs add-handler send-emails',
      'af-jobs add-handler import-users --parallel-limit 5 --max-attempts 3 --with-component',
      'af-jobs add-handler nightly-report --no-route',
    ]))
    .action(commandAction(ctx, () => import('./commands/add-handler.js')));

  scaffoldOptions(program.command('add-component'))
    .description("add a custom component that shows a handler's tasks in the job popup, and register it")
    .argument('[handler]', 'name of the job handler the component is for')
    .addHelpText('after', examples(['af-jobs add-component send-emails', 'af-jobs add-component send_emails --dry-run']))
    .action(commandAction(ctx, () => import('./commands/add-component.js')));
}

/** `--dir`, `--dry-run`, `--force`: the flags every scaffolding command has. */
function scaffoldOptions(command: Command): Command {
  return command
    .option('--dir <path>', 'folder of the AdminForth app', '.')
    .option('--dry-run', 'print what would change (with diffs) and write nothing')
    .option('--force', 'overwrite files af-jobs generates even when they differ');
}
