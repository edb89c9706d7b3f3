/**
 * The commander tree as plain data for `af-jobs completion` (commands/completion.ts never sees
 * commander): each command's name, description, flags (whether they take a value, and the values
 * to offer) and subcommands. Read from the program itself, so the scripts follow every new flag.
 */
import type { Command, Option } from 'commander';
import { JOB_STATUSES, TASK_STATUSES } from './client/api-types.js';

export interface FlagSpec {
  /** `--status`; `-o` for a short-only flag. */
  long: string;
  short?: string;
  description: string;
  takesValue: boolean;
  /** Values to offer after the flag. */
  values?: string[];
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  subcommands: CommandSpec[];
}

/** Flags whose values a parser checks (flags.ts `choiceList`), not commander's `.choices()`. */
const PARSED_CHOICES: Record<string, readonly string[]> = {
  '--status': JOB_STATUSES.map((s) => s.toLowerCase()),
  '--task-status': TASK_STATUSES.map((s) => s.toLowerCase()),
};

function flagSpec(option: Option): FlagSpec {
  const long = option.long ?? option.short!;
  const values = option.argChoices ?? PARSED_CHOICES[long];
  return {
    long,
    ...(option.long && option.short ? { short: option.short } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    ...(values ? { values: [...values] } : {}),
  };
}

function commandSpec(command: Command, inherited: FlagSpec[]): CommandSpec {
  const own = command.options.filter((o) => !o.hidden).map(flagSpec);
  const help: FlagSpec = { long: '--help', short: '-h', description: 'show help for a command', takesValue: false };
  return {
    name: command.name(),
    description: command.description(),
    flags: [...own, ...inherited, help],
    subcommands: command.commands.map((sub) => commandSpec(sub, inherited)),
  };
}

/** The program's spec: its global flags are offered for every command too. */
export function describeProgram(program: Command): CommandSpec {
  const globals = program.options.filter((o) => !o.hidden).map(flagSpec);
  const help: FlagSpec = { long: '--help', short: '-h', description: 'show help for a command', takesValue: false };
  return {
    name: program.name(),
    description: program.description(),
    flags: [...globals, help],
    subcommands: program.commands.filter((c) => c.name() !== 'help').map((sub) => commandSpec(sub, globals)),
  };
}
