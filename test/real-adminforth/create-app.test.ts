/**
 * `af-jobs init`, `add-handler` and `add-component` on what real AdminForth's `create-app` makes
 * (issue 16), then the app started and jobs of the generated handlers run to DONE.
 *
 * Steps, each a documented stand-in for what cannot happen on these machines:
 * 1. AdminForth's CLI is installed from the built package (with `@adminforth/connector-mysql`,
 *    which create-app imports to see whether the database is empty) and runs
 *    `create-app --app-name myapp --db mysql://… --use-npm`, answering its one prompt (Prisma
 *    migrations) with the default. Its own `npm install` fails — `adminforth` is not in the
 *    registry — after it has written the project; that failure is expected.
 * 2. The template's two faults are patched (../../../shared/real-adminforth.md): the missing comma
 *    before `enum:` in resources/adminuser.ts, and `AdminUser` used without an import in index.ts.
 *    Its fixed port 3500 is read from PORT instead.
 * 3. `af-jobs init --yes --migration sql` (Prisma cannot download its engines here, so the SQL
 *    flavour), `af-jobs add-handler greet-users`, `af-jobs add-component greet_users`.
 * 4. `adminforth` and `@adminforth/background-jobs` (neither is in the registry) point at the
 *    built package and the packed plugin; Prisma's packages and prisma.config.ts are dropped
 *    (migrations are applied by hand: the adminuser table as Prisma would create it from create-app's schema.prisma, the jobs
 *    table from the file init wrote); `npm install`.
 * 5. The job of `greet_users` is started through the route `add-handler` generated
 *    (`POST /api/jobs/greet-users/start`), with no code of the test's own.
 * 6. `node --import tsx index.ts` (one process; create-app's `npm run dev` would add dotenvx and a
 *    watcher), with DATABASE_URL, ADMINFORTH_SECRET, PORT and TMPDIR in its environment. It calls
 *    `bundleNow` as create-app wrote it; the API answers before that build is done.
 * 7. `tsc --noEmit` with create-app's strict tsconfig and the TypeScript it pins.
 *
 * Needs `AF_JOBS_REAL_ADMINFORTH` (README.md here), MariaDB/MySQL and the registry (or a warm npm
 * cache); skipped, loudly, without the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/demo-process.js';
import { eventually } from '../helpers/example-job.js';
import { execa } from 'execa';
import { pack, plainEnv, runPlain } from '../helpers/scratch-install.js';
import { INSTANCE_ID, REAL_ADMINFORTH, REPO, afJobs, getJob, login, post, warnIfSkipped } from './real-app.js';
import { CONNECTOR_MYSQL, startAppProcess, type RunningApp } from './scratch-app.js';

warnIfSkipped('create-app + af-jobs init');

const APP_NAME = 'myapp';
/** create-app's brand slug is its app name. */
const COOKIE_NAME = `adminforth_${APP_NAME}_jwt`;
/** What `prisma migrate` would create on MySQL for create-app's `model adminuser`. */
const ADMINUSER_SQL = `CREATE TABLE adminuser (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  email VARCHAR(191) NOT NULL UNIQUE,
  password_hash VARCHAR(191) NOT NULL,
  role VARCHAR(191) NOT NULL,
  created_at DATETIME(3) NOT NULL
)`;

const read = (file: string) => fs.readFileSync(file, 'utf8');
const write = (file: string, text: string) => fs.writeFileSync(file, text);

/** Replaces `from` by `to` in `file`, which must contain it. */
function patch(file: string, from: string | RegExp, to: string, why: string): void {
  const text = read(file);
  const patched = text.replace(from, to);
  if (patched === text) throw new Error(`${path.basename(file)}: ${why}: expected ${String(from)} in\n${text}`);
  write(file, patched);
}

describe.skipIf(!REAL_ADMINFORTH)('init + add-handler + add-component on adminforth create-app\'s output (MySQL)', () => {
  let scratch: string;
  let appDir: string;
  let db: FreshDatabase | undefined;
  let app: RunningApp | undefined;
  let base = '';
  const config = () => path.join(scratch, 'af-jobs-config');
  const af = (args: string[]) => afJobs(args, { config: config(), cwd: appDir });

  beforeAll(async () => {
    db = await freshDatabase('mysql').catch((error: Error) => {
      throw new Error(`MariaDB/MySQL at ${MYSQL_URL} (AF_JOBS_MYSQL_URL) is unreachable: ${error.message}.`, { cause: error });
    });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-real-create-app-'));
    appDir = path.join(scratch, APP_NAME);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('create-app writes the project (its own npm install fails: adminforth is not in the registry)', async () => {
    const cliDir = path.join(scratch, 'adminforth-cli');
    fs.mkdirSync(cliDir);
    write(path.join(cliDir, 'package.json'), '{ "name": "adminforth-cli", "private": true, "type": "module" }\n');
    await runPlain('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.resolve(REAL_ADMINFORTH!), CONNECTOR_MYSQL], cliDir);
    // '\n' takes the default of create-app's one prompt (Prisma migrations: yes).
    const created = await execa(process.execPath, [path.join(cliDir, 'node_modules/adminforth/commands/cli.js'), 'create-app', '--app-name', APP_NAME, '--db', db!.url, '--use-npm'], {
      cwd: scratch, input: '\n', reject: false, all: true, env: plainEnv({ NO_COLOR: '1' }), extendEnv: false, timeout: 300_000,
    });
    for (const file of ['index.ts', 'api.ts', 'resources/adminuser.ts', 'package.json', 'schema.prisma', 'custom/package.json']) {
      expect(fs.existsSync(path.join(appDir, file)), `${file} missing; create-app said:\n${created.all}`).toBe(true);
    }
    if (created.exitCode !== 0) expect(created.all).toMatch(/npm install|ERESOLVE|E404/);
    expect(read(path.join(appDir, 'schema.prisma'))).toMatch(/model adminuser \{[^}]*password_hash\s+String[^}]*created_at\s+DateTime/);
  }, 600_000);

  it('af-jobs init, add-handler and add-component succeed on it (after the template faults are patched)', async () => {
    patch(path.join(appDir, 'resources/adminuser.ts'), /required: true(\s*\n\s*enum:)/, 'required: true,$1', "create-app's missing comma before enum");
    const index = path.join(appDir, 'index.ts');
    if (!/import[^;]*\bAdminUser\b[^;]*from 'adminforth'/.test(read(index))) write(index, `import type { AdminUser } from 'adminforth';\n${read(index)}`);
    patch(index, 'const port = 3500;', 'const port = Number(process.env.PORT ?? 3500);', 'the fixed port');

    const init = await af(['init', '--yes', '--migration', 'sql']);
    expect(init.code, `${init.stdout}\n${init.stderr}`).toBe(0);
    const handler = await af(['add-handler', 'greet-users']);
    expect(handler.code, `${handler.stdout}\n${handler.stderr}`).toBe(0);
    const component = await af(['add-component', 'greet_users']);
    expect(component.code, `${component.stdout}\n${component.stderr}`).toBe(0);
    for (const file of ['resources/jobs.ts', 'migrations/create_jobs.sql', 'jobs/index.ts', 'jobs/example-job-route.ts', 'jobs/greet-users.ts', 'jobs/greet-users-route.ts', 'custom/GreetUsersTasks.vue']) {
      expect(fs.existsSync(path.join(appDir, file)), file).toBe(true);
    }
    expect(read(index)).toContain('@@/GreetUsersTasks.vue');
    expect(read(path.join(appDir, 'jobs/index.ts'))).toContain('registerTaskDetailsComponent');
    const again = await af(['add-component', 'greet_users']);
    expect([again.code, again.stdout]).toEqual([0, expect.not.stringMatching(/^(CREATE|UPDATE) /m)]);
  }, 120_000);

  it('the app starts with node --import tsx index.ts; the example route\'s job and a greet_users job reach DONE', async () => {
    // Packages the registry lacks, and Prisma (its migrations are applied by hand below).
    const packageFile = path.join(appDir, 'package.json');
    const manifest = JSON.parse(read(packageFile));
    expect(manifest.dependencies['@adminforth/background-jobs'], 'init adds the plugin').toBeTruthy();
    const plugin = (await pack(path.join(REPO, 'plugin'), scratch)).file;
    manifest.dependencies.adminforth = `file:${path.resolve(REAL_ADMINFORTH!)}`;
    manifest.dependencies['@adminforth/background-jobs'] = `file:${plugin}`;
    delete manifest.devDependencies?.prisma;
    delete manifest.devDependencies?.['@prisma/client'];
    write(packageFile, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(path.join(appDir, 'prisma.config.ts')); // it imports 'prisma/config'
    await runPlain('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], appDir);

    await db!.exec(ADMINUSER_SQL);
    await db!.exec(read(path.join(appDir, 'migrations/create_jobs.sql')));

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const tmpDir = path.join(scratch, 'tmp');
    fs.mkdirSync(tmpDir);
    app = startAppProcess(appDir, process.execPath, ['--import', 'tsx', 'index.ts'], { DATABASE_URL: db!.url, ADMINFORTH_SECRET: 'real-adminforth-create-app', PORT: String(port), TMPDIR: tmpDir });
    const running = app;
    const cookie = await eventually('login as adminforth (seeded after discovery)', () => login(base, 'adminforth', 'adminforth', COOKIE_NAME).catch(() => undefined), running.process, 120_000)
      .catch((error: Error) => { throw new Error(`${error.message}\n--- app output ---\n${running.output()}`); });

    const waitDone = (jobId: string) => eventually(`job ${jobId} DONE`, async () => {
      const job = await getJob(base, cookie, jobId);
      return job.status === 'DONE' ? job : undefined;
    }, running.process, 60_000);

    const example = await post(base, '/api/create-job/', {}, cookie);
    expect(example.status, `${example.text}\n${running.output()}`).toBe(200);
    expect(example.json).toMatchObject({ ok: true, jobId: expect.anything() });
    expect(await waitDone(String(example.json.jobId))).toMatchObject({ handler: 'example_job_handler', progress: 100 });

    const greet = await post(base, '/api/jobs/greet-users/start', { name: 'Greet users', tasks: [{ state: { item: 1 } }, { state: { item: 2 } }] }, cookie);
    expect(greet.status, `${greet.text}\n${running.output()}`).toBe(200);
    const greetId = String(greet.json.jobId);
    expect(await waitDone(greetId)).toMatchObject({ name: 'Greet users', handler: 'greet_users', progress: 100 });
    const tasks = await post(base, `/adminapi/v1/plugin/${INSTANCE_ID}/jobs/tasks`, { jobId: greetId }, cookie);
    expect(tasks.status, tasks.text).toBe(200);
    expect(tasks.json.tasks.map((task: { status: string; state: { result?: string } }) => [task.status, task.state.result]))
      .toEqual([['DONE', 'task 0 done with {"item":1}'], ['DONE', 'task 1 done with {"item":2}']]);
  }, 600_000);

  it("the app type-checks with create-app's strict tsconfig (tsc --noEmit, the TypeScript create-app pins)", async () => {
    expect(fs.existsSync(path.join(appDir, 'node_modules/typescript/bin/tsc')), 'the app was installed by the previous check').toBe(true);
    const tsc = await execa(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'], { cwd: appDir, reject: false, all: true, env: plainEnv(), extendEnv: false });
    expect(tsc.exitCode, tsc.all).toBe(0);
  }, 300_000);
});
