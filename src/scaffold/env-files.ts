/**
 * Reads the app's `.env*` files (create-app writes `.env` and `.env.local`, and runs the app with
 * `dotenvx run -f .env -f .env.local`, contract §6) to tell which database a data source uses.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Looked up in this order; the first file that sets a variable wins. */
export const ENV_FILES = ['.env.local', '.env', '.env.development', '.env.prod', '.env.production', '.env.example'];

export interface EnvValue {
  value: string;
  /** The file it came from, e.g. `.env.local`. */
  file: string;
}

export function parseEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!match) continue;
    let value = match[2]!.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    values.set(match[1]!, value);
  }
  return values;
}

export class EnvFiles {
  private readonly files: { file: string; values: Map<string, string> }[];

  constructor(root: string) {
    this.files = ENV_FILES.flatMap((file) => {
      try {
        return [{ file, values: parseEnv(fs.readFileSync(path.join(root, file), 'utf8')) }];
      } catch {
        return [];
      }
    });
  }

  get(name: string): EnvValue | null {
    for (const { file, values } of this.files) {
      const value = values.get(name);
      if (value !== undefined && value !== '') return { value, file };
    }
    return null;
  }
}
