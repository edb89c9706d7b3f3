/**
 * commander's Command with af-jobs' wording of its own errors (issue 19 §7): a capital letter, the
 * command named, and the help to run — `Unknown option '--bogus' for af-jobs list. Run af-jobs
 * list --help` instead of `error: unknown option '--bogus'`. The message of the CommanderError
 * is the reworded one, so `-o json` reports it too (main.ts).
 */
import { Command } from 'commander';

/** `af-jobs token create` for that command. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** commander's message (without `error: `) → one sentence that names `path`. */
export function rewordCommanderError(message: string, path: string): string {
  const [first = '', ...rest] = message.replace(/^error: /, '').split('\n');
  // showSuggestionAfterError(): "(Did you mean --status?)" on its own line.
  const suggestion = rest.join(' ').match(/\(Did you mean (.+?)\?\)/)?.[1];
  const hint = suggestion ? ` (did you mean ${suggestion}?)` : '';
  let m: RegExpExecArray | null;
  let text: string;
  if ((m = /^unknown option '(.+)'$/.exec(first))) text = `Unknown option '${m[1]}' for ${path}${hint}`;
  else if ((m = /^unknown command '(.+)'$/.exec(first))) text = `Unknown command '${m[1]}' for ${path}${hint}`;
  else if ((m = /^missing required argument '(.+)'$/.exec(first))) text = `Missing <${m[1]}> for ${path}`;
  else if ((m = /^too many arguments(?: for '.+')?\. Expected (\d+) arguments? but got (\d+)\.$/.exec(first))) {
    text = `Too many arguments for ${path}: it takes ${m[1]}, got ${m[2]}`;
  } else if ((m = /^option '(.+?)' argument '(.*)' is invalid\. ([\s\S]*)$/.exec(first))) {
    text = `Invalid value '${m[2]}' for ${m[1]} of ${path}: ${m[3]}`;
  } else if ((m = /^command-argument value '(.*)' is invalid for argument '(.+?)'\. ([\s\S]*)$/.exec(first))) {
    text = `Invalid <${m[2]}> '${m[1]}' for ${path}: ${m[3]}`;
  } else if ((m = /^option '(.+)' argument missing$/.exec(first))) text = `Missing the value of ${m[1]} for ${path}`;
  else text = `${first}${hint}`;
  text = capitalize(text.trim()).replace(/\.$/, '');
  return `${text}. Run ${path} --help`;
}

export class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    const reworded = errorOptions?.code?.startsWith('commander.') ? rewordCommanderError(message, commandPath(this)) : message;
    return super.error(reworded, errorOptions);
  }
}
