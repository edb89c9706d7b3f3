/**
 * The CLI's entry: parses the command line, runs the command, and maps what it throws to an exit
 * code (docs/exit-codes.md). This is the only top-level try/catch and the only `process.exit`.
 */
import { CommanderError } from 'commander';
import { createContext, type Context } from './context.js';
import { CliError, EXIT, InterruptedError } from './errors.js';
import { buildProgram } from './program.js';

/** Runs `af-jobs <argv>` in `ctx` and resolves to the exit code (tests call this directly). */
export async function runCli(argv: string[], ctx: Context): Promise<number> {
  // Known before commander parses anything, so its own errors can come out as JSON too.
  const jsonErrors = asksForJson(argv);
  const program = buildProgram(ctx, { quietParseErrors: jsonErrors });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    return jsonErrors ? reportJson(error, ctx) : report(error, ctx);
  }
}

/** `-o json`, `-o jsonl`, `--output[=]json|jsonl` or `--json` anywhere before a `--`. */
function asksForJson(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return false;
    if (arg === '--json') return true;
    const value = arg === '-o' || arg === '--output' ? argv[i + 1] : /^(?:-o=?|--output=)(.+)$/.exec(arg)?.[1];
    if (value === 'json' || value === 'jsonl') return true;
  }
  return false;
}

const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([name, code]) => [code, name]));

/**
 * With `-o json|jsonl` an error is one JSON object on stderr, `{"error":{"code","exit","message"}}`
 * (docs/exit-codes.md), so a script parses it as it parses the output.
 */
function reportJson(error: unknown, ctx: Context): number {
  let exit: number;
  let message: string;
  if (error instanceof CommanderError) {
    // Help and version are output, not errors; commander printed them already.
    if (error.exitCode === 0) return EXIT.OK;
    exit = EXIT.USAGE;
    message = error.message.replace(/^error: /, '');
  } else if (error instanceof InterruptedError || error instanceof CliError) {
    exit = error.exitCode;
    message = error.message;
  } else {
    exit = EXIT.INTERNAL;
    message = `${error instanceof Error ? error.message : String(error)} (a bug in af-jobs: run again with --verbose for the stack trace, and please report it)`;
    if (ctx.verbose && error instanceof Error && error.stack) message += `\n${error.stack}`;
  }
  ctx.stderr.write(`${JSON.stringify({ error: { code: EXIT_NAMES.get(exit) ?? 'INTERNAL', exit, message } })}\n`);
  return exit;
}

function report(error: unknown, ctx: Context): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message (or the help / version it was asked for).
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof InterruptedError) {
    ctx.stderr.write(`\n${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    ctx.stderr.write(`${ctx.color.red('Error:')} ${error.message}\n`);
    if (ctx.verbose && error.cause) ctx.stderr.write(`${ctx.color.dim(describeCause(error.cause))}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  ctx.stderr.write(`${ctx.color.red('Unexpected error')} (a bug in af-jobs): ${error instanceof Error ? error.message : String(error)}\n`);
  ctx.stderr.write(ctx.verbose ? `${stack}\n` : 'Run again with --verbose for the stack trace, and please report it.\n');
  return EXIT.INTERNAL;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? `Caused by: ${cause.stack ?? cause.message}` : `Caused by: ${String(cause)}`;
}

/** `bin/af-jobs.js` calls this: runs the CLI on `process.argv` and exits with its code. */
export async function main(): Promise<never> {
  // A reader that stopped reading (`af-jobs tail <id> | head -1`) closes the pipe: the output is
  // no longer wanted, which is not a failure of af-jobs. Stop quietly instead of an EPIPE crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.OK);
      throw error;
    });
  }
  const ctx = createContext();
  // Ctrl-C outside a prompt (prompts turn it into an InterruptedError themselves). Files are
  // written synchronously at the very end of a command, so an interrupt never splits a write.
  // A command that follows something (tail, wait, list --watch) registers its own handler
  // (ctx.onInterrupt): it stops, says what keeps running, and ends through runCli with exit 130.
  // A second Ctrl-C, or one with no handler, exits at once.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (!interrupted && ctx.interrupt()) {
      interrupted = true;
      return;
    }
    ctx.stderr.write('\nInterrupted.\n');
    process.exit(EXIT.INTERRUPTED);
  });
  const code = await runCli(process.argv.slice(2), ctx);
  // Let piped output drain before exiting.
  await new Promise<void>((resolve) => ctx.stdout.write('', () => resolve()));
  process.exit(code);
}
