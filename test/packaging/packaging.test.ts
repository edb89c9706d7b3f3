/**
 * What a user installs (issue 15): the plugin, the CLI and the test host (as the app's
 * `adminforth`) are packed with `npm pack`, and the tarballs installed into a scratch copy of a
 * create-app-shaped app. Then, with plain `node` (no tsx, no loader, no source condition, and a
 * hook that fails any `.ts` reaching run time):
 * - the plugin and its `/testing` entry import, and `runHandler` runs a task;
 * - the installed `af-jobs --help` and `af-jobs init --yes` run and write the plugin's `^2.0.0`;
 * - `tsc --noEmit` with `strict` and `skipLibCheck: false` passes over the app and what `init`
 *   generated, and the plugin's declarations import nothing but `adminforth`;
 * - the app is built with `tsup index.ts --format esm` (create-app's `build`), `node dist/index.js`
 *   starts it, and the example job started through the generated route reaches DONE.
 *
 * Installs come from npm's cache (`--prefer-offline`: `npm ci` of this repository filled it with
 * every dependency involved). better-sqlite3 is installed without its build script and given the
 * addon the repository's install compiled, when the versions match: the same file its script would
 * compile, without a minute of C++ on every run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { pack, plainEnv, runPlain, type Packed } from '../helpers/scratch-install.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMINUSER_TABLE_SQL } from '../helpers/app.js';
import { freePort } from '../helpers/demo-process.js';
import { runExampleJob } from '../helpers/example-job.js';
import { FIXTURES, REPO } from '../cli/helpers.js';

const NO_TYPESCRIPT = path.join(REPO, 'test/packaging/no-typescript.mjs');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-packaging-'));
const appDir = path.join(scratch, 'app');
const appRunning: ResultPromise[] = [];

async function run(file: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return runPlain(file, args, options.cwd ?? appDir, options.env);
}

let plugin: Packed;
let cli: Packed;
let host: Packed;

beforeAll(async () => {
  [plugin, host, cli] = [await pack(path.join(REPO, 'plugin'), scratch), await pack(path.join(REPO, 'test/host'), scratch), await pack(REPO, scratch)];

  fs.cpSync(path.join(FIXTURES, 'sqlite-prisma'), appDir, { recursive: true });
  const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const locked = (name: string) => repoLock.packages[`node_modules/${name}`]!.version;
  // create-app's package.json, with the packed host as `adminforth` and the packed CLI; no tsx,
  // no TypeScript (they come from this repository when a step needs them).
  const pkg = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8'));
  // better-sqlite3 pinned to the repository's, whose compiled addon it gets (installSqliteAddon).
  pkg.dependencies = { adminforth: `file:${host.file}`, express: locked('express'), 'better-sqlite3': locked('better-sqlite3') };
  pkg.devDependencies = { 'af-jobs': `file:${cli.file}`, '@types/node': locked('@types/node'), '@types/express': locked('@types/express') };
  fs.writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund']);
  installSqliteAddon();
}, 600_000);

afterAll(async () => {
  for (const app of appRunning) {
    if (app.exitCode === null) app.kill('SIGKILL');
    await app.catch(() => {});
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** better-sqlite3's compiled addon, from this repository's install when it is the same version. */
function installSqliteAddon(): void {
  const target = path.join(appDir, 'node_modules/better-sqlite3');
  const source = path.join(REPO, 'node_modules/better-sqlite3');
  const version = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
  expect(version(target), 'the scratch app resolved another better-sqlite3 than the repository; npm rebuild it there').toBe(version(source));
  fs.cpSync(path.join(source, 'build'), path.join(target, 'build'), { recursive: true });
}

const bin = (name: string) => path.join(appDir, 'node_modules/.bin', name);

describe('the tarballs', () => {
  it('hold built JavaScript, declarations and what users need, no sources, tests or fixtures', () => {
    const names = (p: Packed) => p.files.map((f) => f.path);
    for (const packed of [plugin, cli]) {
      for (const file of names(packed)) {
        expect(file, `${path.basename(packed.file)}: ${file}`).not.toMatch(/^(src|test|bench|examples|plugin|scripts|\.ci)\//);
        // (templates/add-handler writes the user a handler test: that one belongs.)
        if (!file.startsWith('templates/')) expect(file).not.toMatch(/\.test\.|fixtures/);
      }
    }
    // The plugin: ESM entries with declarations and maps, and the admin UI beside its entry
    // (AdminForth reads components from `<dir of the entry>/custom`, contract §1.1).
    expect(names(plugin)).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map',
      'dist/testing.js', 'dist/testing.d.ts', 'dist/custom/NavbarJobs.vue', 'dist/custom/payloads.ts',
    ]));
    // The only TypeScript files the plugin ships are declarations and the admin UI's sources,
    // which AdminForth's SPA build compiles.
    for (const file of names(plugin).filter((f) => /\.ts$/.test(f))) expect(file).toMatch(/\.d\.ts$|^dist\/custom\//);
    // The CLI: the launcher, one built entry with its lazily loaded chunks, the templates.
    expect(names(cli)).toEqual(expect.arrayContaining(['bin/af-jobs.js', 'dist/main.js', 'templates/init/resources/jobs.ts.ejs']));
    for (const file of names(cli).filter((f) => f.startsWith('dist/'))) expect(file).toMatch(/\.(js|txt)$/);
  });

  it('declare what they need to run: the CLI nothing, the plugin zod, croner and the adminforth peer', () => {
    const manifest = (p: string) => JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', p, 'package.json'), 'utf8'));
    const cliManifest = manifest('af-jobs');
    expect(cliManifest.private).toBeUndefined();
    expect(cliManifest.dependencies ?? {}).toEqual({});
    expect(cliManifest.bin).toEqual({ 'af-jobs': 'bin/af-jobs.js' });
    const pluginManifest = JSON.parse(fs.readFileSync(path.join(REPO, 'plugin/package.json'), 'utf8'));
    expect(pluginManifest.version).toBe('2.0.0');
    expect(Object.keys(pluginManifest.dependencies)).toEqual(['croner', 'zod']);
    expect(pluginManifest.peerDependencies).toEqual({ adminforth: '^3.8' });
    expect(pluginManifest.peerDependenciesMeta).toBeUndefined();
  });
});

describe('installed in an app, with plain node', () => {
  it('af-jobs --help runs the built CLI', async () => {
    expect(fs.realpathSync(bin('af-jobs'))).toBe(path.join(appDir, 'node_modules/af-jobs/bin/af-jobs.js'));
    expect(fs.existsSync(path.join(appDir, 'node_modules/af-jobs/src'))).toBe(false);
    const result = await run(process.execPath, ['--import', NO_TYPESCRIPT, bin('af-jobs'), '--help']);
    expect(result.stdout).toMatch(/^Usage: af-jobs/);
    expect((await run(process.execPath, [bin('af-jobs'), '--version'])).stdout.trim()).toBe('2.0.0');
  });

  it('af-jobs init --yes scaffolds the app and adds the plugin at ^2.0.0; the plugin tarball installs there', async () => {
    await run(process.execPath, ['--import', NO_TYPESCRIPT, bin('af-jobs'), 'init', '--yes', '--migration', 'sql', '--dir', appDir]);
    const pkg = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@adminforth/background-jobs']).toBe('^2.0.0');
    for (const file of ['resources/jobs.ts', 'jobs/index.ts', 'jobs/example-job-handler.ts', 'jobs/example-job-route.ts', 'migrations/create_jobs.sql']) {
      expect(fs.existsSync(path.join(appDir, file)), file).toBe(true);
    }
    // What `npm install` would fetch from the registry, from the tarball instead.
    await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', plugin.file]);
  });

  it('imports the plugin and its /testing entry; runHandler runs a task', async () => {
    const script = `
      const { default: BackgroundJobsPlugin, UnrecoverableError, JOB_STATUSES } = await import('@adminforth/background-jobs');
      const { runHandler } = await import('@adminforth/background-jobs/testing');
      if (typeof BackgroundJobsPlugin !== 'function' || BackgroundJobsPlugin.name !== 'BackgroundJobsPlugin') throw new Error('no plugin class');
      const results = await runHandler({ handler: async ({ setTaskStateField, attempt }) => {
        if (attempt === 1) throw new Error('first attempt fails');
        await setTaskStateField('sent', true);
      }, maxAttempts: 2, backoff: { baseMs: 1 } }, [{ state: { id: 1 } }]);
      const failed = await runHandler({ handler: async () => { throw new UnrecoverableError('stop'); }, maxAttempts: 3 }, [{ state: {} }]);
      console.log(JSON.stringify({ results, failed, statuses: JOB_STATUSES }));`;
    const result = await run(process.execPath, ['--import', NO_TYPESCRIPT, '--input-type=module', '-e', script]);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(out.results).toEqual([{ index: 0, status: 'DONE', state: { id: 1, sent: true }, attempt: 2 }]);
    // One UnrecoverableError class across both entries: the task fails at once, no retry.
    expect(out.failed).toMatchObject([{ status: 'FAILED', attempt: 1, error: 'stop' }]);
    expect(out.statuses).toContain('DONE_WITH_ERRORS');
  });

  it('type-checks with strict and skipLibCheck: false; the declarations need no database driver', async () => {
    fs.writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'],
        strict: true, skipLibCheck: false, esModuleInterop: true, noEmit: true, types: ['node'],
      },
      include: ['index.ts', 'api.ts', 'resources/*.ts', 'jobs/*.ts'],
    }, null, 2));
    const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
    const result = await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: appDir, env: plainEnv(), extendEnv: false, reject: false, all: true });
    expect(result.all).toBe('');
    expect(result.exitCode).toBe(0);

    // Every module the plugin's declarations import: `adminforth`, and its own files.
    const dist = path.join(appDir, 'node_modules/@adminforth/background-jobs/dist');
    const imported = new Set<string>();
    for (const file of fs.readdirSync(dist, { recursive: true }) as string[]) {
      if (!file.endsWith('.d.ts')) continue;
      for (const match of fs.readFileSync(path.join(dist, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) imported.add(match[1]!);
    }
    expect([...imported].filter((id) => !id.startsWith('.'))).toEqual(['adminforth']);
  });

  it('tsup index.ts --format esm, then node dist/index.js: the example job reaches DONE', async () => {
    const tsup = path.join(REPO, 'node_modules/tsup/dist/cli-default.js');
    await run(process.execPath, [tsup, 'index.ts', '--format', 'esm']);
    const built = fs.readFileSync(path.join(appDir, 'dist/index.js'), 'utf8');
    expect(built).toMatch(/from ["']@adminforth\/background-jobs["']/); // the installed package, not bundled sources

    const dbFile = path.join(appDir, 'app.sqlite');
    const db = new Database(dbFile);
    db.exec(ADMINUSER_TABLE_SQL.sqlite);
    db.exec(fs.readFileSync(path.join(appDir, 'migrations/create_jobs.sql'), 'utf8'));
    db.close();

    const port = await freePort();
    const app = execa(process.execPath, ['--import', NO_TYPESCRIPT, 'dist/index.js'], {
      cwd: appDir,
      env: plainEnv({ DATABASE_URL: 'sqlite://app.sqlite', PORT: String(port), ADMINFORTH_SECRET: 'packaging-secret', NODE_ENV: 'production' }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    appRunning.push(app);
    const output: string[] = [];
    app.all?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    try {
      const row = await runExampleJob(`http://127.0.0.1:${port}`, dbFile, app);
      expect(row).toMatchObject({ name: 'Example Job', job_handler_name: 'example_job_handler', progress: '100' });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- app output ---\n${output.join('')}`, { cause: error });
    } finally {
      app.kill('SIGTERM');
      await app;
    }
    expect(output.join('')).not.toMatch(/TypeScript file reached run time|ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
