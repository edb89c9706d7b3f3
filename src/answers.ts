/**
 * Where each answer comes from: its flag, else (with `--yes`) its default, else a prompt when
 * stdin is a terminal. Without a terminal nothing is asked: every question still unanswered is
 * collected, and `finish()` fails with one message that names all their flags.
 */
import type { Choice, Context } from './context.js';
import { UsageError } from './errors.js';

interface Question<T> {
  /** The flag that answers it, e.g. `--data-source <id>`. */
  flag: string;
  /** The flag's value, when given. */
  value: T | undefined;
  message: string;
  default: T;
}

export class Answers {
  private readonly missing: string[] = [];

  constructor(private readonly ctx: Context, private readonly options: { yes?: boolean }) {}

  private unanswered<T>(question: Question<T>): boolean {
    return question.value === undefined && !this.options.yes && this.ctx.isTTY;
  }

  private fallback<T>(question: Question<T>): T {
    if (question.value !== undefined) return question.value;
    if (!this.options.yes) this.missing.push(`${question.flag} (${question.message.replace(/\?$/, '')})`);
    return question.default;
  }

  async choose<T extends string>(question: Question<T> & { choices: Choice<T>[] }): Promise<T> {
    if (question.value !== undefined && !question.choices.some((choice) => choice.value === question.value)) {
      const allowed = question.choices.map((choice) => choice.value).join(', ');
      throw new UsageError(`${question.flag.split(' ')[0]} "${question.value}" is not one of: ${allowed}.`);
    }
    if (this.unanswered(question)) {
      return this.ctx.prompts.select({ message: question.message, choices: question.choices, default: question.default });
    }
    return this.fallback(question);
  }

  async text(question: Question<string> & { validate?: (value: string) => true | string }): Promise<string> {
    if (question.value !== undefined && question.validate) {
      const verdict = question.validate(question.value);
      if (verdict !== true) throw new UsageError(verdict.includes(question.flag.split(' ')[0]!) ? verdict : `${question.flag.split(' ')[0]}: ${verdict}`);
    }
    if (this.unanswered(question)) {
      return this.ctx.prompts.input({ message: question.message, default: question.default, validate: question.validate });
    }
    return this.fallback(question);
  }

  async yesNo(question: Question<boolean>): Promise<boolean> {
    if (this.unanswered(question)) return this.ctx.prompts.confirm({ message: question.message, default: question.default });
    return this.fallback(question);
  }

  /** Throws when questions went unanswered for lack of a terminal. */
  finish(): void {
    if (this.missing.length === 0) return;
    throw new UsageError(
      `No terminal to ask on (stdin is not a TTY), and these answers are missing:\n` +
        this.missing.map((flag) => `  ${flag}`).join('\n') +
        `\nPass them as flags, or --yes to take every default.`,
    );
  }
}
