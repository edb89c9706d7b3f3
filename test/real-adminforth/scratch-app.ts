/**
 * The scratch app of the real-AdminForth suite: packs the plugin, installs it with an already
 * built AdminForth package (never built here: see ../../../shared/real-adminforth.md and
 * README.md beside this file), `@adminforth/connector-mysql` and Express 5 into a temp folder,
 * copies `app/` there and runs `node index.mjs` in it, as test/packaging does for the test host:
 * plain node, no tsx, none of this repository's loaders or `af-jobs-source` condition.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { pack, plainEnv, runPlain } from '../helpers/scratch-install.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

/** What the connector and Express are pinned to (the registry has these; AdminForth it lacks). */
export const CONNECTOR_MYSQL = '@adminforth/connector-mysql@1.0.9';
export const EXPRESS = '^5';

async function run(file: string, args: string[], cwd: string): Promise<string> {
  return (await runPlain(file, args, cwd)).stdout;
}

/**
 * The AdminForth tarball to install, from `AF_JOBS_REAL_ADMINFORTH`: a `.tgz` as is, a folder with
 * `package.json` packed as it is (`--ignore-scripts`: nothing is built).
 */
async function adminforthTarball(given: string, scratch: string): Promise<string> {
  const resolved = path.resolve(given);
  if (!fs.existsSync(resolved)) {
    throw new Error(`AF_JOBS_REAL_ADMINFORTH=${given}: no such file or folder. Point it at a built adminforth package (.tgz, or a folder with package.json and dist/).`);
  }
  if (fs.statSync(resolved).isDirectory()) {
    if (!fs.existsSync(path.join(resolved, 'package.json'))) {
      throw new Error(`AF_JOBS_REAL_ADMINFORTH=${given}: the folder has no package.json. Point it at the built adminforth package (the folder holding its package.json and dist/).`);
    }
    return (await pack(resolved, scratch, { ignoreScripts: true })).file;
  }
  if (!/\.t(ar\.)?gz$/.test(resolved)) throw new Error(`AF_JOBS_REAL_ADMINFORTH=${given}: expected a .tgz or a folder with package.json.`);
  return resolved;
}

export interface ScratchApp {
  /** The temp folder (tarballs, and the app in `app/`). */
  scratch: string;
  appDir: string;
  /** `name@version` of the installed adminforth. */
  adminforth: string;
  remove(): void;
}

/** Packs and installs everything into a new temp folder and copies the app's files there. */
export async function installScratchApp(realAdminforth: string): Promise<ScratchApp> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-real-adminforth-'));
  const appDir = path.join(scratch, 'app');
  const remove = () => fs.rmSync(scratch, { recursive: true, force: true });
  try {
    const adminforth = await adminforthTarball(realAdminforth, scratch);
    const plugin = (await pack(path.join(REPO, 'plugin'), scratch)).file; // its prepack builds it
    fs.cpSync(path.join(HERE, 'app'), appDir, { recursive: true });
    // The seed's JobCustomComponent.vue, kept once in the repository: the demo's copy of it.
    fs.mkdirSync(path.join(appDir, 'custom'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'examples/demo/custom/JobCustomComponent.vue'), path.join(appDir, 'custom/JobCustomComponent.vue'));
    const [connectorName, connectorVersion] = [CONNECTOR_MYSQL.slice(0, CONNECTOR_MYSQL.lastIndexOf('@')), CONNECTOR_MYSQL.slice(CONNECTOR_MYSQL.lastIndexOf('@') + 1)];
    // The connector brings mysql2 as its own dependency (not a peer), so the app does not list it.
    fs.writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify({
      name: 'real-adminforth-conformance-app',
      private: true,
      type: 'module',
      dependencies: {
        adminforth: `file:${adminforth}`,
        '@adminforth/background-jobs': `file:${plugin}`,
        [connectorName!]: connectorVersion,
        express: EXPRESS,
      },
    }, null, 2)}\n`);
    // --ignore-scripts: adminforth's postinstall only installs its SPA's dependencies (none here).
    await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], appDir);
    const manifest = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules/adminforth/package.json'), 'utf8')) as { name: string; version: string };
    return { scratch, appDir, adminforth: `${manifest.name}@${manifest.version}`, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

export interface RunningApp {
  process: ResultPromise;
  output(): string;
  /** Resolves once the app's output contains `text` (rejects when the app exits first or after `timeoutMs`). */
  waitForOutput(text: string | RegExp, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `file args` in `cwd` with `plainEnv(env)` as the leader of its own process group, so that
 * `stop()` also ends what the app started: `bundleNow` runs npm and vite as child processes, which
 * a signal to the app alone would leave running.
 */
export function startAppProcess(cwd: string, file: string, args: string[], env: Record<string, string>): RunningApp {
  const child = execa(file, args, { cwd, env: plainEnv(env), extendEnv: false, reject: false, all: true, detached: true });
  const chunks: string[] = [];
  const waiters = new Set<() => void>();
  child.all?.on('data', (chunk: Buffer) => {
    chunks.push(chunk.toString());
    for (const waiter of waiters) waiter();
  });
  const output = () => chunks.join('');
  const signalGroup = (signal: NodeJS.Signals) => {
    try { process.kill(-child.pid!, signal); } catch { /* the group is gone already */ }
  };
  let exited = false;
  void child.finally(() => { exited = true; for (const waiter of waiters) waiter(); });
  return {
    process: child,
    output,
    waitForOutput(text, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const found = () => (typeof text === 'string' ? output().includes(text) : text.test(output()));
        const timer = setTimeout(() => settle(new Error(`the app did not print ${String(text)} within ${timeoutMs} ms`)), timeoutMs);
        const settle = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(new Error(`${error.message}\n--- app output ---\n${output()}`)); else resolve();
        };
        const check = () => {
          if (found()) settle();
          else if (exited) settle(new Error(`the app exited with code ${child.exitCode} before printing ${String(text)}`));
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      // The group may outlive its leader (npm or vite still running): always signal it.
      signalGroup('SIGTERM');
      const killer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      await child.catch(() => {});
      clearTimeout(killer);
      signalGroup('SIGKILL');
    },
  };
}

/** `node index.mjs` in the app folder (one process, so killing it frees the port). */
export function startScratchApp(appDir: string, env: Record<string, string>): RunningApp {
  return startAppProcess(appDir, process.execPath, ['index.mjs'], env);
}
