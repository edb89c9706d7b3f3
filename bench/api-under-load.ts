/**
 * The `api-under-load` workload (issue 17, bench/README.md): how a running 100,000-task job and
 * 50 HTTP clients polling `jobs/list` + `jobs/get` treat each other. The bench process runs the
 * load generator (bench/api-load-generator.ts) as a child, which runs the app
 * (bench/api-load-app.ts) as its own child: three event loops, none shared.
 *
 * The targets are reported as pass/fail, never asserted: (a) with a 100 ms pause the job keeps at
 * least half its throughput alone and both endpoints' p95 is under 100 ms; (b) without the pause no
 * request fails, p95 is under 1 s and the job keeps at least a tenth.
 */
import { spawnSync } from 'node:child_process';
import type { ApiUnderLoadResult, EndpointStats, PhaseResult } from './api-load-generator.js';

export type { ApiUnderLoadResult } from './api-load-generator.js';

export const API_LOAD_CLIENTS = 50;

/** Runs the workload on `kind` in its own processes; throws with their stderr when it fails. */
export function runApiUnderLoad(root: string, kind: string, tasks: number, windowSec: number): ApiUnderLoadResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/api-load-generator.ts', kind, String(tasks), String(windowSec), String(API_LOAD_CLIENTS)], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, AF_JOBS_REQUIRE_SERVICES: '' },
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`api-under-load on ${kind} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
  }
  return JSON.parse(line) as ApiUnderLoadResult;
}

/** The issue's targets for one loaded phase; each true (pass) or false (fail). */
export interface Targets {
  /** The job keeps ≥ 50% (a) / ≥ 10% (b) of its throughput alone. */
  job: boolean;
  /** p95 of both endpoints under 100 ms (a) / 1 s (b). */
  p95: boolean;
  /** (b) only: no request failed; null for (a), which has no such target. */
  noFailures: boolean | null;
}

export function targetsOf(phase: PhaseResult, which: 'paused' | 'noPause'): Targets {
  const [share, p95Ms] = which === 'paused' ? [0.5, 100] : [0.1, 1000];
  const endpoints = [phase.list, phase.get].filter((e): e is EndpointStats => e !== null);
  return {
    job: (phase.ofAlone ?? 0) >= share,
    p95: endpoints.every((e) => e.p95 < p95Ms),
    noFailures: which === 'noPause' ? endpoints.every((e) => e.failures === 0) : null,
  };
}

const pf = (ok: boolean | null) => (ok === null ? '—' : ok ? 'pass' : 'FAIL');
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}s` : `${Math.round(n)}`);
const latencies = (e: EndpointStats | null) => (e ? [e.p50, e.p95, e.p99, e.max].map(ms).join(' / ') : '—');

/** The table rows: header first. Latencies in ms unless marked `s`. */
export function apiUnderLoadRows(results: ApiUnderLoadResult[]): string[][] {
  const header = ['db', 'phase', 'tasks/s', 'of alone', 'job ran', 'list p50/p95/p99/max ms', 'get p50/p95/p99/max ms', 'answers/s', 'failures', 'job target', 'p95 target', 'no failure', 'cores app+db, gen; machine'];
  const rows = [header];
  for (const r of results) {
    const phases: [string, PhaseResult, Targets | null][] = [
      ['alone', r.alone, null],
      [`(a) ${r.paused.clients} clients, ${r.paused.pauseMs} ms pause`, r.paused, targetsOf(r.paused, 'paused')],
      [`(b) ${r.noPause.clients} clients, no pause`, r.noPause, targetsOf(r.noPause, 'noPause')],
      ['alone again', r.aloneAfter, null],
    ];
    for (const [label, p, t] of phases) {
      const j = p.job;
      rows.push([
        r.kind, label, j.tasksPerSec.toLocaleString('en-US'), p.ofAlone === null ? '—' : p.ofAlone.toFixed(2),
        j.finished ? `all in ${j.sec.toFixed(1)} s` : `${j.done.toLocaleString('en-US')} in ${j.sec.toFixed(0)} s (cut)`,
        latencies(p.list), latencies(p.get),
        p.list && p.get ? String(Math.round(p.list.perSec + p.get.perSec)) : '—',
        p.list && p.get ? String(p.list.failures + p.get.failures) : '—',
        pf(t?.job ?? null), pf(t?.p95 ?? null), pf(t?.noFailures ?? null),
        `${p.appCores}${p.dbCores === null ? '' : ` + ${p.dbCores}`}, ${p.generatorCores}; ${p.machineCores ?? '?'}`,
      ]);
    }
  }
  return rows;
}

/** The table as aligned text, then the first failures seen, if any. */
export function formatApiUnderLoad(results: ApiUnderLoadResult[]): string {
  const rows = apiUnderLoadRows(results);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [fmt(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(fmt)];
  for (const r of results) {
    lines.push(`${r.kind}: load average (1 min) ${r.loadAverage[0]} at the start, ${r.loadAverage[1]} at the end`);
    for (const [name, p] of [['(a)', r.paused], ['(b)', r.noPause]] as const) {
      const samples = [...(p.list?.failureSamples ?? []), ...(p.get?.failureSamples ?? [])];
      if (samples.length > 0) lines.push(`${r.kind} ${name} failures, e.g.: ${samples.join(' | ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
