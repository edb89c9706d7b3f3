/**
 * The `cli-startup` workload: how long `af-jobs --help` takes as users install it, against
 * `node -e 0` on the same machine (issue 15's target: within 2×). The CLI is packed with
 * `npm pack` (its prepack builds dist/) and the tarball unpacked into a temp folder: exactly the
 * files an install puts in node_modules/af-jobs (the CLI has no dependencies). The sources under
 * tsx (`node bin/af-jobs.js` in this repository) are timed too, for comparison. Runs alternate,
 * so a slow spell of the machine touches all three; medians are reported.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CliStartupResult {
  runs: number;
  /** Median wall time of `node -e 0`, ms. */
  nodeMs: number;
  /** Median of the installed CLI's `af-jobs --help`, ms. */
  builtMs: number;
  /** Median of `node bin/af-jobs.js --help` in the repository (sources through tsx), ms. */
  sourcesMs: number;
  /** builtMs / nodeMs. */
  ratio: number;
}

function timeMs(args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${child.status}: ${child.stderr}`);
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(1));
};

export function measureCliStartup(root: string, runs: number): CliStartupResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-cli-startup-'));
  try {
    const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const tarball = path.join(dir, packed.stdout.trim().split('\n').pop()!);
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', dir]);
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
    const installed = path.join(dir, 'package/bin/af-jobs.js');
    const source = path.join(root, 'bin/af-jobs.js');
    // One warm-up each: the first start reads files the next ones find in the page cache.
    timeMs(['-e', '0'], dir);
    timeMs([installed, '--help'], dir);
    timeMs([source, '--help'], root);
    const node: number[] = [];
    const built: number[] = [];
    const sources: number[] = [];
    for (let i = 0; i < runs; i++) {
      node.push(timeMs(['-e', '0'], dir));
      built.push(timeMs([installed, '--help'], dir));
      sources.push(timeMs([source, '--help'], root));
    }
    const nodeMs = median(node);
    const builtMs = median(built);
    return { runs, nodeMs, builtMs, sourcesMs: median(sources), ratio: Number((builtMs / nodeMs).toFixed(2)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
