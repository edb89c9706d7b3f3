/**
 * The scaffolded apps type-check (issue 7): each fixture gets `init`, `add-handler` (with its start
 * route) and `add-component`, then one `tsc --noEmit` runs over all of them under a strict
 * tsconfig with `noUnusedLocals` (issue 19 §9: `init --no-example` once left an unused plugin
 * variable), with `adminforth` resolved to the test host and `@adminforth/background-jobs` (and
 * its `/testing` entry) to the plugin through a linked `node_modules`.
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

/** Each app: a folder under `root`, the fixture copied there, and the commands run on it. */
const APPS: { dir: string; fixture: FixtureName; runs: string[][] }[] = [
  { dir: 'sqlite-prisma', fixture: 'sqlite-prisma', runs: [['init', '--yes'], ['add-handler', 'send-emails', '--max-attempts', '3'], ['add-component', 'send-emails']] },
  { dir: 'postgres-plain', fixture: 'postgres-plain', runs: [['init', '--yes', '--migration', 'none'], ['add-handler', 'import-products', '--with-component', '--concurrency-limit', '1']] },
  { dir: 'hand-edited', fixture: 'hand-edited', runs: [['init', '--yes', '--data-source', 'warehouse'], ['add-handler', 'nightly_report', '--parallel-limit', '2'], ['add-component', 'example_job_handler']] },
  // Without the example: the handlers index as init leaves it, then after add-handler (with and without a route).
  { dir: 'no-example-init', fixture: 'hand-edited', runs: [['init', '--yes', '--data-source', 'warehouse', '--no-example']] },
  { dir: 'no-example-handlers', fixture: 'sqlite-prisma', runs: [['init', '--yes', '--no-example'], ['add-handler', 'send-emails'], ['add-handler', 'cleanup', '--no-route']] },
];

it('tsc --noEmit passes on every scaffolded fixture', async () => {
  for (const app of APPS) {
    const dir = path.join(root, app.dir);
    fs.cpSync(path.join(FIXTURES, app.fixture), dir, { recursive: true });
    for (const argv of app.runs) {
      const result = await runInProcess([...argv, '--dir', dir]);
      expect(result.code, `${app.dir}: ${argv.join(' ')}\n${result.stderr}`).toBe(0);
    }
  }
  expect(fs.readFileSync(path.join(root, 'no-example-init/jobs/index.ts'), 'utf8')).not.toContain('backgroundJobsPlugin');
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
        noUnusedLocals: true,
        esModuleInterop: true,
        skipLibCheck: true,
        isolatedModules: true,
        types: ['node'],
        // The plugin and the host from their sources (test/helpers/source-condition.ts).
        customConditions: [SOURCE_CONDITION],
        noEmit: true,
      },
      include: APPS.map((app) => `${app.dir}/**/*.ts`),
    }),
  );

  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  const result = await execa(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, reject: false });
  // noUnusedLocals is the apps' setting: an unused local in the plugin's own sources (compiled
  // here through the source condition) is the plugin's lint, not what the scaffold generated.
  const errors = (result.stdout + result.stderr).split('\n').filter((line) => line.trim() !== '' && !/^\.\.\/.*error TS6(133|192|196):/.test(line));
  expect(errors.join('\n')).toBe('');
}, 120_000);
