/**
 * `bin/af-jobs.js` in a real pseudo-terminal: util-linux `script` gives the CLI a terminal on stdin,
 * stdout and stderr (so `isTTY`, the progress bar, tables and Ctrl-C are the real ones), and
 * relays what the test writes to the terminal — `\x03` is Ctrl-C, turned into SIGINT by the
 * terminal's line discipline, exactly as a person pressing it. stdout and stderr share the
 * terminal, so `output` is both, as a person sees them.
 */
import { execa, type ResultPromise } from 'execa';
import { BIN, REPO } from './helpers.js';
import { until } from '../helpers/wait.js';

export interface PtyOptions {
  config: string;
  env?: Record<string, string | undefined>;
  /** Terminal width (default 120). */
  columns?: number;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export class PtyCli {
  output = '';
  readonly done: Promise<{ code: number; output: string }>;
  private readonly process: ResultPromise;

  constructor(args: string[], options: PtyOptions) {
    const command = `stty cols ${options.columns ?? 120} rows 40; exec node ${[BIN, ...args].map(quote).join(' ')}`;
    this.process = execa('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO,
      env: {
        TERM: 'xterm',
        NO_COLOR: '1',
        FORCE_COLOR: undefined,
        AF_JOBS_CONFIG: options.config,
        AF_JOBS_URL: undefined,
        AF_JOBS_TOKEN: undefined,
        AF_JOBS_PROFILE: undefined,
        ...options.env,
      },
      stdin: 'pipe',
      reject: false,
      buffer: false,
    });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk; });
    this.done = this.process.then((result) => ({ code: result.exitCode ?? -1, output: this.output }));
  }

  /** Types into the terminal (`'\x03'`: Ctrl-C). */
  press(keys: string): void {
    this.process.stdin!.write(keys);
  }

  /** Resolves once `match` holds for the output so far (fails after `timeoutMs`, or when the CLI ended first). */
  async waitFor(match: (output: string) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    let ended = false;
    void this.done.then(() => { ended = true; });
    await until(what, () => match(this.output), {
      timeoutMs, intervalMs: 25,
      giveUpIf: () => ended && !match(this.output) && 'af-jobs ended',
      explain: () => `output:\n${JSON.stringify(this.output)}`,
    });
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }
}

/** Runs `af-jobs <args>` in a terminal to its end. */
export async function afInPty(args: string[], options: PtyOptions): Promise<{ code: number; output: string }> {
  return new PtyCli(args, options).done;
}

/** The progress bar's frames in terminal output, in order: finished, total, percent, counts, rate text. */
export function barFrames(output: string): { finished: number; total: number; percent: number; done: number; failed: number; cancelled: number; rest: string }[] {
  const frames = [];
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  for (const match of plain.matchAll(/[█░]+ (\d+)\/(\d+) +(\d+)% {2}✓ (\d+) ✗ (\d+) ⊘ (\d+)([^\r\n]*)/g)) {
    frames.push({
      finished: Number(match[1]), total: Number(match[2]), percent: Number(match[3]),
      done: Number(match[4]), failed: Number(match[5]), cancelled: Number(match[6]), rest: match[7]!,
    });
  }
  return frames;
}
