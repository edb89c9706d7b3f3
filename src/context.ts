/**
 * The context every command receives: where it runs, its streams, the global flags (resolved into
 * it once, before the command runs), whether a person can answer questions, the prompt functions
 * and the network seam. Tests build their own (`createContext({ ... })` with captured streams,
 * scripted prompts, a fake transport) instead of mocking libraries. This is the only module that
 * imports `@inquirer/prompts`, and it does so lazily so `af-jobs --help` stays fast; only
 * `client/transport.ts` calls `fetch` or `ws`.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { defaultTransport, type Transport } from './client/transport.js';
import { InterruptedError } from './errors.js';
import { colors, type Colors } from './output/colors.js';

export interface Choice<T extends string> {
  name: string;
  value: T;
  description?: string;
}

/** The questions the CLI can ask. Prompts write to stderr: stdout is for data. */
export interface Prompts {
  select<T extends string>(question: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  input(question: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
  /** Asks without echoing what is typed. */
  password(question: { message: string }): Promise<string>;
}

/** `-o`: tables (tab-separated when stdout is not a terminal), one JSON document, or one JSON value a line. */
export type OutputFormat = 'table' | 'json' | 'jsonl';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'jsonl'];

/** Runs a program (the package manager for `init --install`); resolves to its exit code. */
export type RunProgram = (command: string, args: string[], options: { cwd: string }) => Promise<number>;

export interface Context {
  /** Where relative paths (`--dir`) start. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Data (what a script would parse). */
  stdout: Writable;
  /** Everything else: progress, summaries, warnings, prompts. */
  stderr: Writable;
  /** Whether stdin is a terminal: without one the CLI never prompts. */
  isTTY: boolean;
  /** Whether stdout is a terminal: tables drawn with borders, else tab-separated. */
  stdoutIsTTY: boolean;
  /** Whether stderr is a terminal: progress bars are drawn only there. */
  stderrIsTTY: boolean;
  /** `-o` / `--json` (default `table`). */
  output: OutputFormat;
  /**
   * `--url <url>` as given. client/session.ts resolves it with `AF_JOBS_URL` and the profile
   * (and names which one it used in its messages), so it stays unresolved here.
   */
  url?: string;
  /** `--profile <name>` as given; client/session.ts resolves it with `AF_JOBS_PROFILE` and the default. */
  profile?: string;
  /** Reads all of stdin (for `--password-stdin`). */
  readStdin(): Promise<string>;
  /** `fetch` and websockets (client/transport.ts). */
  transport: Transport;
  /** Colors for stderr; off with `--no-color`, `NO_COLOR` or when stderr is not a terminal. */
  color: Colors;
  /** `-q`: only errors, warnings and steps left to the user. */
  quiet: boolean;
  /** `--verbose`: more detail (diffs of written files, stack traces of unexpected errors). */
  verbose: boolean;
  prompts: Prompts;
  runProgram: RunProgram;
  /** Prints a line to stderr unless `--quiet`. */
  info(line?: string): void;
  /** Prints a line to stderr, even with `--quiet`. */
  warn(line: string): void;
  /**
   * Lets a command that follows something (`tail`, `wait`, `list --watch`) handle Ctrl-C itself:
   * clear its bar, say what keeps running, and end through main.ts with an InterruptedError.
   * Returns the function that removes the handler.
   */
  onInterrupt(handler: () => void): () => void;
  /** Ctrl-C (main.ts calls it on SIGINT): runs the handlers; false when no command registered one. */
  interrupt(): boolean;
}

export interface ContextOverrides {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: Writable;
  stderr?: Writable;
  isTTY?: boolean;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  stdin?: Readable;
  transport?: Transport;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  prompts?: Prompts;
  runProgram?: RunProgram;
}

/** The real context (process streams, inquirer prompts), with any part overridden. */
export function createContext(overrides: ContextOverrides = {}): Context {
  const env = overrides.env ?? process.env;
  const stderr = overrides.stderr ?? process.stderr;
  const stdout = overrides.stdout ?? process.stdout;
  const colorEnabled = overrides.color ?? defaultColor(env, stderr);
  const interruptHandlers = new Set<() => void>();
  const ctx: Context = {
    cwd: overrides.cwd ?? process.cwd(),
    env,
    stdout,
    stderr,
    isTTY: overrides.isTTY ?? Boolean(process.stdin.isTTY),
    stdoutIsTTY: overrides.stdoutIsTTY ?? Boolean((stdout as { isTTY?: boolean }).isTTY),
    stderrIsTTY: overrides.stderrIsTTY ?? Boolean((stderr as { isTTY?: boolean }).isTTY),
    output: 'table',
    readStdin: () => readAll(overrides.stdin ?? process.stdin),
    transport: overrides.transport ?? defaultTransport,
    color: colors(colorEnabled),
    quiet: overrides.quiet ?? false,
    verbose: overrides.verbose ?? false,
    prompts: overrides.prompts ?? inquirerPrompts(stderr),
    runProgram: overrides.runProgram ?? runProgram(stderr),
    info(line = '') {
      if (!ctx.quiet) ctx.stderr.write(`${line}\n`);
    },
    warn(line) {
      ctx.stderr.write(`${line}\n`);
    },
    onInterrupt(handler) {
      interruptHandlers.add(handler);
      return () => { interruptHandlers.delete(handler); };
    },
    interrupt() {
      if (interruptHandlers.size === 0) return false;
      for (const handler of [...interruptHandlers]) handler();
      return true;
    },
  };
  return ctx;
}

/** The global flags (program.ts declares them), as commander parses them. */
export interface GlobalOptions {
  /** `--no-color` sets it to false → `ctx.color` without colors. */
  color?: boolean;
  /** `-q` → `ctx.quiet`. */
  quiet?: boolean;
  /** `--verbose` → `ctx.verbose`. */
  verbose?: boolean;
  /** `-o <format>` → `ctx.output`. */
  output?: OutputFormat;
  /** `--json`: same as `-o json`. */
  json?: boolean;
  /** `--url <url>` → `ctx.url`. */
  url?: string;
  /** `--profile <name>` → `ctx.profile`. */
  profile?: string;
}

/**
 * Resolves the global flags into the context, once, before a command runs: commands read them
 * from `ctx`, never from their `opts` (command-action.ts says why).
 */
export function applyGlobalOptions(ctx: Context, flags: GlobalOptions): void {
  if (flags.color === false) ctx.color = colors(false);
  if (flags.quiet) ctx.quiet = true;
  if (flags.verbose) ctx.verbose = true;
  if (flags.output) ctx.output = flags.output;
  if (flags.json) ctx.output = 'json';
  if (flags.url !== undefined) ctx.url = flags.url;
  if (flags.profile !== undefined) ctx.profile = flags.profile;
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => { text += chunk; });
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

function defaultColor(env: NodeJS.ProcessEnv, stream: Writable): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  // A terminal that says it understands no escape sequences (Emacs shell buffers, some CI logs).
  if (env.TERM === 'dumb') return false;
  return Boolean((stream as { isTTY?: boolean }).isTTY);
}

/** What a prompt's rejection becomes: Ctrl-C (inquirer's ExitPromptError) an InterruptedError (exit 130, no stack). */
export function promptFailure(error: unknown): never {
  if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
    throw new InterruptedError('Cancelled; nothing was written.', { cause: error });
  }
  throw error;
}

/** `@inquirer/prompts`, drawing on stderr. */
function inquirerPrompts(output: Writable): Prompts {
  const load = () => import('@inquirer/prompts');
  const context = { output };
  const interrupted = promptFailure;
  return {
    async select(question) {
      const { select } = await load();
      return select(question, context).catch(interrupted);
    },
    async input(question) {
      const { input } = await load();
      return input(question, context).catch(interrupted);
    },
    async confirm(question) {
      const { confirm } = await load();
      return confirm(question, context).catch(interrupted);
    },
    async password(question) {
      const { password } = await load();
      return password({ ...question, mask: '*' }, context).catch(interrupted);
    },
  };
}

/** Runs a program with its output sent to stderr (it is not the CLI's data). */
function runProgram(stderr: Writable): RunProgram {
  return (command, args, { cwd }) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
      child.stdout.pipe(stderr, { end: false });
      child.stderr.pipe(stderr, { end: false });
      child.once('error', reject);
      child.once('close', (code) => resolve(code ?? 1));
    });
}
