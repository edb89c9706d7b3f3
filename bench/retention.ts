/**
 * The `retention` workload (issue 20, bench/README.md): one retention pass over a table of
 * 1,000,000 finished tasks on each database — its delete rate, how long each of its transactions
 * (so any lock it takes) lasts, and what a writer on another connection waits meanwhile. The pass
 * runs in its own process (bench/retention-pass.ts), the writer in another
 * (bench/retention-writer.ts). Figures are reported, never asserted; the 100 ms target is shown as
 * pass/FAIL.
 */
import { spawnSync } from 'node:child_process';

/** Latencies in ms over `n` samples (nearest rank). */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  const round = (ms: number) => Number(ms.toFixed(1));
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

/** What the concurrent writer saw: one small write transaction after another, 2 ms apart. */
export interface WriterResult {
  /** Before the pass started (1 s): the writes' own time. */
  baseline: Summary;
  /** While the pass ran. */
  duringPass: Summary;
  /** Task rows it added to the running job. */
  inserted: number;
}

export interface RetentionResult {
  kind: string;
  /** Task rows in the table before the pass. */
  tableRows: number;
  /** Rows the pass deleted (the finished jobs' tasks). */
  deleted: number;
  jobs: number;
  /** Task rows per delete transaction (retention.ts PURGE_CHUNK). */
  chunk: number;
  fillSec: number;
  passSec: number;
  /** Task rows deleted per second of the pass. */
  rowsPerSec: number;
  /** Each transaction of the pass, ms from its start to its commit: the delete chunks, and all (locks, chunks). */
  transactions: { deletes: Summary; all: Summary; over100ms: number };
  /** The three longest transactions, with their statements' times (PostgreSQL, MySQL). */
  slowest: { ms: number; steps: [string, number][] }[];
  /** Delete transactions in the first and the last tenth of each job's chunks: does a chunk get slower as its job empties? */
  chunkMsByPosition: { firstTenthMedian: number; lastTenthMedian: number };
  writer: WriterResult;
  /** EXPLAIN of the first chunk's statements on af_bj_tasks, as the store sent them; `usesIndex`: none scans the table. */
  plan: { statements: { sql: string; lines: string[] }[]; usesIndex: boolean };
  /** 1-minute load average when the pass started and ended (2 cores here). */
  loadAverage: [number, number];
}

/** Runs the workload on `kind` in its own processes; throws with their stderr when it fails. */
export function runRetentionBench(root: string, kind: string, jobs: number, tasksPerJob: number): RetentionResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/retention-pass.ts', kind, String(jobs), String(tasksPerJob)], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, AF_JOBS_REQUIRE_SERVICES: '' },
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`retention on ${kind} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
  }
  return JSON.parse(line) as RetentionResult;
}

const LOCK_TARGET_MS = 100;
const lat = (s: Summary) => `${s.p50} / ${s.p99} / ${s.max}`;

/** The table as aligned text, then each database's plan. */
export function formatRetention(results: RetentionResult[]): string {
  const header = ['db', 'rows deleted', 'pass s', 'rows/s', 'delete tx', 'tx p50/p99/max ms', 'all tx max ms', '≤100 ms', 'chunk first/last tenth ms', 'writer alone p50/p99/max ms', 'writer during pass p50/p99/max ms', 'index', 'load avg'];
  const rows = [header, ...results.map((r) => [
    r.kind, r.deleted.toLocaleString('en-US'), r.passSec.toFixed(1), r.rowsPerSec.toLocaleString('en-US'),
    String(r.transactions.deletes.n), lat(r.transactions.deletes), String(r.transactions.all.max),
    r.transactions.all.max <= LOCK_TARGET_MS ? 'pass' : `FAIL (${r.transactions.over100ms})`,
    `${r.chunkMsByPosition.firstTenthMedian} / ${r.chunkMsByPosition.lastTenthMedian}`,
    lat(r.writer.baseline), lat(r.writer.duringPass), r.plan.usesIndex ? 'yes' : 'NO',
    `${r.loadAverage[0]} → ${r.loadAverage[1]}`,
  ])];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [fmt(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(fmt)];
  for (const r of results) {
    lines.push(`${r.kind}: ${r.tableRows.toLocaleString('en-US')} task rows (${r.jobs} finished jobs, a running and a recent one), filled in ${r.fillSec} s; ${r.chunk} rows a chunk; the longest transaction ${r.slowest[0]?.ms ?? 0} ms${r.slowest[0]?.steps.length ? ` (${r.slowest[0].steps.map(([what, ms]) => `${what} ${ms}`).join(', ')})` : ''}; a chunk's plan:`);
    for (const st of r.plan.statements) lines.push(`  ${st.sql}`, ...st.lines.map((l) => `    ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
