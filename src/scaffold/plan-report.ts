/**
 * Prints a FilePlan: one `CREATE / UPDATE / SKIP path` line per file, with diffs under
 * `--dry-run` (on stdout: the plan is what was asked for) or `--verbose`, then the steps left to
 * do by hand. A plan with no change says so.
 */
import { createTwoFilesPatch } from 'diff';
import type { Context } from '../context.js';
import type { FilePlan, PlannedFile } from './file-plan.js';

export interface ReportOptions {
  dryRun: boolean;
  /** Said when nothing changes, e.g. "the app already has everything `af-jobs init` adds". */
  upToDate: string;
}

export function reportPlan(plan: FilePlan, ctx: Context, options: ReportOptions): void {
  const { color } = ctx;
  const label = (entry: PlannedFile) => {
    const padded = entry.action.padEnd(6);
    if (entry.action === 'CREATE') return color.green(padded);
    if (entry.action === 'UPDATE') return color.yellow(padded);
    return color.dim(padded);
  };
  const write = options.dryRun ? (line: string) => ctx.stdout.write(`${line}\n`) : (line: string) => ctx.info(line);
  const showDiffs = options.dryRun || ctx.verbose;

  for (const entry of plan.entries) {
    write(`${label(entry)} ${entry.path}${entry.note ? color.dim(` (${entry.note})`) : ''}`);
    if (showDiffs && entry.action !== 'SKIP') write(diffOf(entry, ctx));
  }

  if (plan.changes.length === 0 && plan.manualSteps.length === 0) {
    ctx.info(`Nothing to change: ${options.upToDate}.`);
  } else if (options.dryRun) {
    ctx.info(color.dim(`Dry run: nothing was written (${plan.changes.length} file(s) would change).`));
  }

  if (plan.manualSteps.length > 0) {
    ctx.warn('');
    ctx.warn(color.yellow(`Left for you to do by hand (af-jobs could not make ${plan.manualSteps.length === 1 ? 'this edit' : 'these edits'} safely):`));
    plan.manualSteps.forEach((step, index) => {
      ctx.warn(`  ${index + 1}. ${step.file}: ${step.reason}`);
      for (const line of step.code.split('\n')) ctx.warn(`       ${line}`);
    });
  }
}

function diffOf(entry: PlannedFile, ctx: Context): string {
  const patch = createTwoFilesPatch(
    entry.before === null ? '/dev/null' : `a/${entry.path}`,
    `b/${entry.path}`,
    entry.before ?? '',
    entry.after,
    undefined,
    undefined,
    { context: 3 },
  );
  return patch
    .split('\n')
    .filter((line) => !line.startsWith('Index: ') && !/^=+$/.test(line))
    .filter((line, index, lines) => !(index === lines.length - 1 && line === ''))
    .map((line) => {
      if (line.startsWith('+') && !line.startsWith('+++')) return ctx.color.green(line);
      if (line.startsWith('-') && !line.startsWith('---')) return ctx.color.red(line);
      if (line.startsWith('@@')) return ctx.color.cyan(line);
      return line;
    })
    .join('\n');
}
