/**
 * The progress bar `tail` draws on stderr when stderr is a terminal: finished/total, percent,
 * done/failed/cancelled counts, the rate of finished tasks over the last 10 s and an ETA. Lines
 * printed while it shows go above it (`print` clears the bar, writes, and draws it again).
 *
 * Truthful on a job that is already running (issue 19): the bar starts from the job's counts as
 * the app reads them (`reset`), and the replayed history never moves it; only live counts do
 * (`advance`), and never backwards — a progress report can trail the counts tail read at the start,
 * so a lower one is stale, not news. Only a retry (or a re-read) may lower the counts. The rate and
 * the ETA are measured on what happens while tail watches, so they stay blank until it has seen
 * a second of live progress: a job that finished before tail looked shows no `0.0/s`. The last
 * frame (`finish`) shows the job's final counts, the same ones the summary line under it gives.
 */
import type { Context } from '../context.js';
import type { TaskTotals } from '../client/api-types.js';

const REDRAW_EVERY_MS = 100;
/** While shown, the bar is redrawn this often, so the rate falls when nothing finishes. */
const TICK_MS = 1000;
const RATE_WINDOW_MS = 10_000;
/** No rate before tail has watched the job for this long. */
const MIN_RATE_SPAN_MS = 1000;

interface Sample {
  at: number;
  finished: number;
}

export class ProgressBar {
  private totals: TaskTotals = { total: 0, done: 0, failed: 0, cancelled: 0 };
  /** Finished counts over time (a step function), from the last reset on. */
  private samples: Sample[] = [];
  /** Whether a live count came since the last reset (the rate is measured only then). */
  private live = false;
  /** The next `advance` may lower the counts (after a retry: failed tasks run again). */
  private rebase = false;
  private shown = false;
  private lastDraw = 0;
  private trailing?: NodeJS.Timeout;
  private ticker?: NodeJS.Timeout;
  private readonly enabled: boolean;

  /** `enabled`: false for `--summary` (nothing but the result); default: stderr is a capable terminal and not `-q`. */
  constructor(private readonly ctx: Context, options: { enabled?: boolean; now?: () => number } = {}) {
    this.enabled = (options.enabled ?? true) && ctx.stderrIsTTY && !ctx.quiet && ctx.env.TERM !== 'dumb';
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** Counts read from the app (at the start, after a gap): taken as they are, the rate starts again. */
  reset(totals: TaskTotals): void {
    this.totals = { ...totals };
    this.samples = [{ at: this.now(), finished: finishedOf(totals) }];
    this.live = false;
    this.rebase = false;
    this.draw();
  }

  /** The next live counts may be lower than these (a retry scheduled failed tasks again). */
  expectRebase(): void {
    this.rebase = true;
  }

  /** Counts from a live event (`job:progress` after tail started). Lower finished counts are stale and ignored. */
  advance(totals: TaskTotals): void {
    if (this.rebase) {
      this.reset(totals);
      return;
    }
    const finished = finishedOf(totals);
    if (finished < finishedOf(this.totals) && totals.total === this.totals.total) return;
    this.totals = { ...totals };
    const at = this.now();
    this.live = true;
    this.samples.push({ at, finished });
    // Keep one sample at or before the window's start: the count the window starts from.
    while (this.samples.length > 1 && this.samples[1]!.at <= at - RATE_WINDOW_MS) this.samples.shift();
    this.scheduleDraw();
  }

  /** Finished tasks per second over the last 10 s of watching, or null before a second of live progress. */
  rate(): number | null {
    const first = this.samples[0];
    if (!this.live || !first) return null;
    const now = this.now();
    const start = Math.max(first.at, now - RATE_WINDOW_MS);
    if (now - start < MIN_RATE_SPAN_MS) return null;
    let base = first.finished;
    for (const sample of this.samples) if (sample.at <= start) base = sample.finished;
    return ((finishedOf(this.totals) - base) * 1000) / (now - start);
  }

  /** Writes above the bar. */
  print(write: () => void): void {
    this.clear();
    write();
    this.draw();
  }

  /** Removes the bar (before an error, or Ctrl-C) and stops redrawing. */
  clear(): void {
    this.stopTimers();
    if (this.enabled && this.shown) this.ctx.stderr.write('\r\u001b[2K');
    this.shown = false;
  }

  /** The last frame, with the job's final counts and without rate or ETA; it stays on screen. */
  finish(totals: TaskTotals): void {
    this.stopTimers();
    this.totals = { ...totals };
    this.live = false;
    if (!this.enabled) return;
    this.ctx.stderr.write(`\r\u001b[2K${this.render(this.width())}\n`);
    this.shown = false;
  }

  /** The bar's text (also what a test checks). */
  render(width: number): string {
    const { total, done, failed, cancelled } = this.totals;
    const finished = done + failed + cancelled;
    const percent = total > 0 ? Math.floor((finished * 100) / total) : 0;
    const rate = this.rate();
    const speed = rate === null ? '' : `  ${rate.toFixed(1)}/s`;
    const eta = rate !== null && rate > 0 && total > finished ? ` ETA ${formatEta((total - finished) / rate)}` : '';
    const { color } = this.ctx;
    const counts = `${color.green(`✓ ${done}`)} ${failed > 0 ? color.red(`✗ ${failed}`) : `✗ ${failed}`} ${cancelled > 0 ? color.yellow(`⊘ ${cancelled}`) : `⊘ ${cancelled}`}`;
    const text = ` ${finished}/${total} ${String(percent).padStart(3)}%  ${counts}${speed}${eta}`;
    const visible = text.replace(/\u001b\[[0-9;]*m/g, '').length;
    const barWidth = Math.max(10, Math.min(40, width - visible - 2));
    const filled = total > 0 ? Math.min(barWidth, Math.round((finished / total) * barWidth)) : 0;
    return `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}${text}`;
  }

  /** Draws at most every 100 ms; an update inside that time is drawn when it ends. */
  private scheduleDraw(): void {
    if (!this.enabled || this.trailing) return;
    const wait = REDRAW_EVERY_MS - (this.now() - this.lastDraw);
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      this.draw();
    }, wait);
    this.trailing.unref();
  }

  private draw(): void {
    if (!this.enabled) return;
    if (this.trailing) {
      clearTimeout(this.trailing);
      this.trailing = undefined;
    }
    this.ctx.stderr.write(`\r\u001b[2K${this.render(this.width())}`);
    this.shown = true;
    this.lastDraw = this.now();
    if (!this.ticker) {
      this.ticker = setInterval(() => this.draw(), TICK_MS);
      this.ticker.unref();
    }
  }

  private width(): number {
    return ((this.ctx.stderr as { columns?: number }).columns ?? 80) - 1;
  }

  private stopTimers(): void {
    clearTimeout(this.trailing);
    clearInterval(this.ticker);
    this.trailing = undefined;
    this.ticker = undefined;
  }
}

function finishedOf(totals: TaskTotals): number {
  return totals.done + totals.failed + totals.cancelled;
}

/** `45s`, `3m 05s`, `2h 10m`. */
function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
