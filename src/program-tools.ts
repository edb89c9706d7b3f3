/**
 * The commands around the job commands (issue 19): `token create|list|revoke` (personal tokens),
 * `profiles list|use|remove` (saved logins) and `completion bash|zsh|fish`. Declared as every
 * command is (command-action.ts): flags and help here, `run(opts, ctx)` in `commands/<name>.ts`,
 * loaded when the command runs.
 */
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { commandAction } from './command-action.js';
import { describeProgram } from './completion-spec.js';
import type { Context } from './context.js';
import { examples } from './help-text.js';

/** `--name` of a token: what `tokens/create` accepts (docs/http-api.md), checked before the request. */
function tokenName(value: string): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 100) throw new InvalidArgumentError(`a token name has 1 to 100 characters, got ${name.length}.`);
  if (/[\p{Cc}\p{Cf}]/u.test(name)) throw new InvalidArgumentError('a token name cannot contain control or formatting characters (such as a tab or a right-to-left override).');
  return name;
}

/** `--expires`: `90d`, `12w`, `1y`, or a number of days → whole days, 1–3650 (what `tokens/create` takes). */
function expiresDays(value: string): number {
  const match = /^(\d+)\s*(d|w|y)?$/.exec(value.trim());
  const days = match ? Number(match[1]) * ({ d: 1, w: 7, y: 365 } as const)[(match[2] ?? 'd') as 'd' | 'w' | 'y'] : NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > 3650) {
    throw new InvalidArgumentError(`expected a time in days from 1d to 3650d (e.g. 30d, 12w, 1y), got "${value}".`);
  }
  return days;
}

export function addToolCommands(program: Command, ctx: Context): void {
  const token = program.command('token')
    .description('mint, list and revoke personal tokens (for CI, and apps with two-factor login)')
    .addHelpText('after', examples([
      'af-jobs token list',
      'export AF_JOBS_TOKEN=$(af-jobs token create --name "CI deploy" --expires 90d -q)',
      'af-jobs token revoke "CI deploy"',
    ]));
  token.command('create')
    .description('mint a personal token and print it once on stdout (needs a password login)')
    .option('--name <name>', 'what the token is for (default: "af-jobs on <host> <date>")', tokenName)
    .option('--expires <duration>', 'it stops working after this long: 30d, 12w, 1y (default: never)', expiresDays)
    .addHelpText('after', examples([
      'af-jobs token create --name "CI deploy" --expires 90d',
      'gh secret set AF_JOBS_TOKEN --body "$(af-jobs token create --name ci -q)"',
    ]))
    .action(commandAction(ctx, () => import('./commands/token-create.js')));
  token.command('list')
    .description('list your personal tokens (without their secrets)')
    .addHelpText('after', examples(['af-jobs token list', 'af-jobs token list -o json']))
    .action(commandAction(ctx, () => import('./commands/token-list.js')));
  token.command('revoke')
    .description('revoke one of your personal tokens: it stops working at once')
    .argument('<token>', 'its id (tok_…) or its name (see af-jobs token list)')
    .addHelpText('after', examples(['af-jobs token revoke tok_5f0c2a9e1b7d4c38', 'af-jobs token revoke "CI deploy"']))
    .action(commandAction(ctx, () => import('./commands/token-revoke.js')));

  const profiles = program.command('profiles')
    .description('list the saved logins, pick the default one, remove one')
    .addHelpText('after', examples(['af-jobs profiles list', 'af-jobs profiles use prod', 'af-jobs profiles remove staging']));
  profiles.command('list')
    .description('the saved logins: name, URL, user, login, which is the default and which is in use')
    .addHelpText('after', examples(['af-jobs profiles list', 'af-jobs profiles list -o json']))
    .action(commandAction(ctx, () => import('./commands/profiles-list.js')));
  profiles.command('use')
    .description('make a saved login the default (used without --profile or AF_JOBS_PROFILE)')
    .argument('<name>', 'the profile')
    .addHelpText('after', examples(['af-jobs profiles use prod']))
    .action(commandAction(ctx, () => import('./commands/profiles-use.js')));
  profiles.command('remove')
    .description('forget a saved login (as logout does, by name)')
    .argument('<name>', 'the profile')
    .addHelpText('after', examples(['af-jobs profiles remove staging']))
    .action(commandAction(ctx, () => import('./commands/profiles-remove.js')));

  program.command('completion')
    .description('print a shell completion script (bash, zsh or fish) on stdout')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', examples([
      'af-jobs completion bash > ~/.local/share/bash-completion/completions/af-jobs',
      'af-jobs completion zsh > "${fpath[1]}/_af-jobs"',
      'af-jobs completion fish > ~/.config/fish/completions/af-jobs.fish',
    ]))
    // The scripts offer the flags of the whole tree, read when the command runs.
    .action(commandAction(ctx, () => import('./commands/completion.js'), () => ({ spec: describeProgram(program) })));
}
