/**
 * How every af-jobs command is declared and run — one way for all of them (issue 21):
 *
 *     parent.command('show')
 *       .description('show one job: ...')
 *       .argument('<jobId>', 'id of the job', jobId)
 *       .option('--tasks', 'also list its tasks, a page at a time')
 *       .addHelpText('after', examples(['af-jobs show 9b2d1c4e-...']))
 *       .action(commandAction(ctx, () => import('./commands/show.js')));
 *
 * Flags, arguments and help are commander's own calls, in program.ts (scaffolding),
 * program-jobs.ts and program-tools.ts. `commandAction` imports the command's module only when
 * the command runs — each declaration writes its path literally, so esbuild makes every command a
 * chunk of its own (scripts/build-cli.mjs) and `af-jobs --help` loads none of them — then calls
 * its `run(opts, ctx)`, which never sees commander:
 *
 * - `opts` holds the command's own flags (commander's camelCase keys) and its arguments under the
 *   names its help gives them (`<jobId...>` → `opts.jobId`, `[handler]` → `opts.handler`), and
 *   nothing else: a command's options interface reads like its --help.
 * - The global flags (`--url`, `--profile`, `-o`/`--json`, `-q`, `--verbose`, `--no-color`) are
 *   never in `opts`. program.ts resolves them once, before any command runs, into the context
 *   (`ctx.url`, `ctx.profile`, `ctx.output`, `ctx.quiet`, `ctx.verbose`, `ctx.color`; typed as
 *   `GlobalOptions` in context.ts). The context rather than `opts`, because most of them are read
 *   far below a command, by code that is handed the context and never a command's options
 *   (`ctx.info`, the printers in output/, the HTTP client's --verbose log, client/session.ts);
 *   keeping them in `opts` as well gave two copies that could disagree.
 */
import type { Command } from 'commander';
import type { Context } from './context.js';

/** What a module in `commands/` exports. */
export interface CommandModule<Options> {
  run(opts: Options, ctx: Context): Promise<void>;
}

/**
 * The action of a declared command: loads its module when it runs and calls `run(opts, ctx)`.
 * `extra` adds what the command needs from the command tree itself (`completion` reads the
 * program's flags), computed only when the command runs.
 */
export function commandAction<Options>(
  ctx: Context,
  load: () => Promise<CommandModule<Options>>,
  extra: () => Partial<Options> = () => ({}),
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    // commander passes the arguments, then the options, then the command itself.
    const command = args.at(-1) as Command;
    const named = Object.fromEntries(command.registeredArguments.map((argument, i) => [argument.name(), command.processedArgs[i]]));
    const { run } = await load();
    await run({ ...command.opts(), ...named, ...extra() } as Options, ctx);
  };
}
