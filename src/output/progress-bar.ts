/**
 * The progress bar `tail` draws on stderr when stderr is a terminal: finished/total, percent,
 * done/failed/cancelled counts, the rate of finished tasks over the last 10 s and an ETA. Lines
 * printed while it shows go above it (`print` clears the bar, writes, and draws it again).
 */
import type { Context } from '../context.js';
import type { TaskTotals } from '../client/api-types.js';

const REDRAW_EVERY_MS = 100;
const RATE_WINDOW_MS = 10_000;

export class ProgressBar {
  private totals: TaskTotals = { total: 0, done: 0, failed: 0, cancelled: 0 };
  private samples: { at: number; finished: number }[] = [];
  private shown = false;
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(private readonly ctx: Context, private readonly now: () => number = Date.now) {
    this.enabled = ctx.stderrIsTTY && !ctx.quiet;
  }

  update(totals: TaskTotals): void {
    this.totals = { ...totals };
    const at = this.now();
    this.samples.push({ at, finished: finishedOf(totals) });
    while (this.samples.length > 2 && this.samples[0]!.at < at - RATE_WINDOW_MS) this.samples.shift();
    if (at - this.lastDraw >= REDRAW_EVERY_MS) this.draw();
  }

  /** Finished tasks per second over the last 10 s. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return 0;
    return ((last.finished - first.finished) * 1000) / (last.at - first.at);
  }

  /** Writes above the bar. */
  print(write: () => void): void {
    this.clear();
    write();
    this.draw();
  }

  /** Removes the bar (before the final summary). */
  clear(): void {
    if (this.enabled && this.shown) this.ctx.stderr.write('\r\u001b[2K');
    this.shown = false;
  }

  /** The bar's text (also what a test checks). */
  render(width: number): string {
    const { total, done, failed, cancelled } = this.totals;
    const finished = done + failed + cancelled;
    const percent = total > 0 ? Math.floor((finished * 100) / total) : 0;
    const rate = this.rate();
    const eta = rate > 0 && total > finished ? ` ETA ${Math.ceil((total - finished) / rate)}s` : '';
    const { color } = this.ctx;
    const counts = `${color.green(`✓ ${done}`)} ${failed > 0 ? color.red(`✗ ${failed}`) : `✗ ${failed}`} ${cancelled > 0 ? color.yellow(`⊘ ${cancelled}`) : `⊘ ${cancelled}`}`;
    const text = ` ${finished}/${total} ${String(percent).padStart(3)}%  ${counts}  ${rate.toFixed(1)}/s${eta}`;
    const visible = text.replace(/\u001b\[[0-9;]*m/g, '').length;
    const barWidth = Math.max(10, Math.min(40, width - visible - 2));
    const filled = total > 0 ? Math.round((finished / total) * barWidth) : 0;
    return `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}${text}`;
  }

  private draw(): void {
    if (!this.enabled) return;
    const width = (this.ctx.stderr as { columns?: number }).columns ?? 80;
    this.ctx.stderr.write(`\r\u001b[2K${this.render(width - 1)}`);
    this.shown = true;
    this.lastDraw = this.now();
  }
}

function finishedOf(totals: TaskTotals): number {
  return totals.done + totals.failed + totals.cancelled;
}
