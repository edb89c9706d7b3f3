/**
 * Installing packed packages into a scratch folder and running them as a user would: plain
 * `node` and `npm`, none of this repository's loaders, npm script variables or `af-jobs-source`
 * condition (test/helpers/source-condition.ts). Used by the packaging test and the suite on real
 * AdminForth.
 */
import path from 'node:path';
import { execa } from 'execa';

/** The environment of everything run in a scratch app. */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS; // the repository sets --conditions=af-jobs-source for its own sources
  for (const key of Object.keys(env)) if (key.startsWith('npm_') || key.startsWith('VITEST')) delete env[key];
  return env;
}

/** Runs `file args` in `cwd` with `plainEnv(env)`; throws with the output when it fails. */
export async function runPlain(file: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = await execa(file, args, { cwd, env: plainEnv(env), extendEnv: false, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`${[file, ...args].join(' ')} (in ${cwd}) exited with ${result.exitCode}:\n${result.all}`);
  return result;
}

export interface Packed {
  /** The tarball's path. */
  file: string;
  files: { path: string; size: number }[];
  size: number;
  unpackedSize: number;
}

/** `npm pack` in `dir` (its prepack builds it, unless `ignoreScripts`) into `destination`. */
export async function pack(dir: string, destination: string, { ignoreScripts = false } = {}): Promise<Packed> {
  const { stdout } = await runPlain('npm', ['pack', '--json', '--pack-destination', destination, ...(ignoreScripts ? ['--ignore-scripts'] : [])], dir);
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string; size: number }[]; size: number; unpackedSize: number }[];
  return { file: path.join(destination, info!.filename), files: info!.files, size: info!.size, unpackedSize: info!.unpackedSize };
}
