/**
 * The handler name `add-handler <name>` and `add-component <handler>` work on: their argument, or
 * on a terminal a prompt that checks the answer as the argument is checked (names.ts); without a
 * terminal a missing name is a usage error that shows the command to type.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { handlerNames } from './names.js';

/** The argument, or a prompt for it on a terminal. `usage`: the command with an example, for the error. */
export async function handlerArgument(value: string | undefined, ctx: Context, usage: string): Promise<string> {
  if (value !== undefined) return value;
  if (!ctx.isTTY) throw new UsageError(`Missing the handler name: ${usage}`);
  return ctx.prompts.input({
    message: 'Handler name?',
    validate: (input) => {
      try {
        handlerNames(input);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
}
