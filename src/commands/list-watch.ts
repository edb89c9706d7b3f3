/**
 * `af-jobs list --watch`: the list's table, read again every 2 s and redrawn when it changed, until
 * Ctrl-C (exit 130). A poll rather than the websocket: the job topic carries only the jobs a
 * socket subscribed to, tokens cannot open the socket, and a list's filters (`--since`, `--limit`)
 * are the server's to apply — one `jobs/list` every 2 s is cheap and always the truth. Only on a
 * terminal: redrawing is for eyes; a script reads `list -o jsonl` once, or waits with `wait`.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { ConnectionError, InterruptedError, UsageError } from '../errors.js';
import { formatDate } from '../output/format.js';

const INTERVAL_MS = 2000;

class Frame extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `draw` (the list, printing into the context it is given) every 2 s; redraws on change. */
export async function watch(draw: (frame: Context) => Promise<void>, ctx: Context): Promise<void> {
  if (!ctx.stdoutIsTTY) {
    throw new UsageError('--watch redraws the table on a terminal, and stdout is not one (it is piped or redirected): drop --watch; a script can read af-jobs list -o jsonl, or wait for jobs with af-jobs wait <jobId…>.');
  }
  if (ctx.output !== 'table') {
    throw new UsageError(`--watch redraws a table and cannot be combined with -o ${ctx.output}: drop one of them.`);
  }
  const stop = new AbortController();
  const removeInterruptHandler = ctx.onInterrupt(() => stop.abort());
  // TERM=dumb cannot clear the screen: each table is printed under the last one.
  const clear = ctx.env.TERM === 'dumb' ? '' : '\u001b[H\u001b[2J';
  let last: string | undefined;
  try {
    while (!stop.signal.aborted) {
      const frame = new Frame();
      const frameCtx: Context = {
        ...ctx,
        stdout: frame,
        info: (line = '') => { frame.text += `${line}\n`; },
      };
      let note = '';
      try {
        await draw(frameCtx);
      } catch (error) {
        // The app restarting or the network dropping: keep the last table and try again.
        if (!(error instanceof ConnectionError)) throw error;
        note = `  ${ctx.color.yellow(`${error.message.split(':')[0]}; retrying`)}`;
      }
      const table = note ? (last ?? '') : frame.text;
      if (table !== last || note) {
        const now = formatDate(new Date().toISOString(), true);
        ctx.stdout.write(`${clear}${ctx.color.dim(`af-jobs list, every ${INTERVAL_MS / 1000}s; ${now}; Ctrl-C to stop`)}${note}\n\n${table}`);
        last = table;
      }
      await sleep(INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => {});
    }
  } finally {
    removeInterruptHandler();
  }
  throw new InterruptedError('Stopped watching.');
}
