/**
 * The scaffolded apps type-check (issue 7): each fixture gets `init`, `add-handler` and
 * `add-component`, then one `tsc --noEmit` runs over all three, with `adminforth` resolved to the
 * test host and `@adminforth/background-jobs` (and its `/testing` entry) to the plugin through a
 * linked `node_modules`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { FIXTURES, REPO, runInProcess, type FixtureName } from './helpers.js';
import { SOURCE_CONDITION } from '../helpers/source-condition.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-tsc-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const RUNS: Record<FixtureName, string[][]> = {
  'sqlite-prisma': [['init', '--yes'], ['add-handler', 'send-emails', '--max-attempts', '3'], ['add-component', 'send-emails']],
  'postgres-plain': [['init', '--yes', '--migration', 'none'], ['add-handler', 'import-products', '--with-component', '--concurrency-limit', '1']],
  'hand-edited': [['init', '--yes', '--data-source', 'warehouse'], ['add-handler', 'nightly_report', '--parallel-limit', '2'], ['add-component', 'example_job_handler']],
};

it('tsc --noEmit passes on every scaffolded fixture', async () => {
  for (const [fixture, runs] of Object.entries(RUNS)) {
    const dir = path.join(root, fixture);
    fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
    for (const argv of runs) {
      const result = await runInProcess([...argv, '--dir', dir]);
      expect(result.code, `${fixture}: ${argv.join(' ')}\n${result.stderr}`).toBe(0);
    }
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        isolatedModules: true,
        types: ['node'],
        // The plugin and the host from their sources (test/helpers/source-condition.ts).
        customConditions: [SOURCE_CONDITION],
        noEmit: true,
      },
      include: Object.keys(RUNS).map((fixture) => `${fixture}/**/*.ts`),
    }),
  );

  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  const result = await execa(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, reject: false });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
}, 120_000);
