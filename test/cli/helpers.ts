/**
 * Helpers of the CLI tests: temp copies of the fixture apps (with `node_modules` linked to the
 * repository's, so `adminforth` resolves to the test host and `@adminforth/background-jobs` to
 * the plugin), the CLI run in-process with a captured context, and the CLI run as a process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createContext, type Prompts, type RunProgram } from '../../src/context.js';
import { runCli } from '../../src/main.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = path.join(REPO, 'test/fixtures');
export const BIN = path.join(REPO, 'bin/af-jobs.js');

export type FixtureName = 'sqlite-prisma' | 'postgres-plain' | 'hand-edited';

const copies: string[] = [];

/** A temp copy of a fixture app; removed by `removeCopies()` (call it in afterAll). */
export function copyFixture(name: FixtureName, options: { linkModules?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `af-jobs-${name}-`));
  copies.push(dir);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  if (options.linkModules) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

export function removeCopies(): void {
  for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every file under `dir` (relative, `/`-separated) with its content; `node_modules` skipped. */
export function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const file = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(file);
      else files.set(file, fs.readFileSync(path.join(dir, file), 'utf8'));
    }
  };
  walk('');
  return files;
}

/** Files added or changed between two trees, sorted. */
export function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((file) => before.get(file) !== after.get(file)).sort();
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Prompts that fail the test if used (the default: tests run as without a terminal). */
export const NO_PROMPTS: Prompts = {
  select: async () => { throw new Error('unexpected prompt'); },
  input: async () => { throw new Error('unexpected prompt'); },
  confirm: async () => { throw new Error('unexpected prompt'); },
  password: async () => { throw new Error('unexpected prompt'); },
};

/** Runs the CLI in this process (fast; what snapshot tests use). */
export async function runInProcess(
  argv: string[],
  options: { cwd?: string; isTTY?: boolean; prompts?: Prompts; runProgram?: RunProgram } = {},
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx = createContext({
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1' },
    stdout,
    stderr,
    isTTY: options.isTTY ?? false,
    color: false,
    prompts: options.prompts ?? NO_PROMPTS,
    runProgram: options.runProgram ?? (async () => { throw new Error('unexpected program run'); }),
  });
  const code = await runCli(argv, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs `bin/af-jobs.js` as a process, with no stdin (so never a terminal). */
export async function runBin(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const result = await execa('node', [BIN, ...argv], {
    cwd: options.cwd ?? REPO,
    env: { NO_COLOR: '1', ...options.env },
    stdin: 'ignore',
    reject: false,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
