/**
 * ANSI colors, on or off per context (`--no-color`, `NO_COLOR`, not a terminal). Kept tiny on
 * purpose: the CLI colors a few words, never layouts.
 */
export interface Colors {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const ON: Colors = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};

const identity = (text: string) => text;
const OFF: Colors = { red: identity, green: identity, yellow: identity, cyan: identity, dim: identity, bold: identity };

export function colors(enabled: boolean): Colors {
  return enabled ? ON : OFF;
}
