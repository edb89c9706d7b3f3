/**
 * `init`, `add-handler` and `add-component` on temp copies of the fixture apps (issue 7):
 * every file a command writes or changes is snapshotted (test/cli/__snapshots__/<fixture>/), a
 * second run changes nothing and says so, and `--dry-run` prints the plan and touches nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { changedFiles, copyFixture, readTree, removeCopies, runBin, runInProcess, type FixtureName } from './helpers.js';

afterAll(removeCopies);

interface Scenario {
  fixture: FixtureName;
  steps: { name: string; argv: string[] }[];
}

const SCENARIOS: Scenario[] = [
  {
    fixture: 'sqlite-prisma',
    steps: [
      { name: '1-init', argv: ['init', '--yes'] },
      { name: '2-add-handler', argv: ['add-handler', 'send-emails', '--parallel-limit', '5', '--max-attempts', '3'] },
      { name: '3-add-component', argv: ['add-component', 'send-emails'] },
    ],
  },
  {
    fixture: 'postgres-plain',
    steps: [
      { name: '1-init', argv: ['init', '--table', 'background_jobs', '--resource-id', 'jobs', '--edit-access', 'all', '--example', '--data-source', 'maindb'] },
      { name: '2-add-handler', argv: ['add-handler', 'ImportProducts', '--concurrency-limit', '1', '--with-component'] },
      { name: '3-add-component', argv: ['add-component', 'example_job_handler'] },
    ],
  },
  {
    fixture: 'hand-edited',
    steps: [
      { name: '1-init', argv: ['init', '--yes', '--data-source', 'warehouse', '--no-example'] },
      { name: '2-add-handler', argv: ['add-handler', 'nightly_report'] },
      { name: '3-add-component', argv: ['add-component', 'nightly-report'] },
    ],
  },
];

describe.each(SCENARIOS)('$fixture', ({ fixture, steps }) => {
  const dir = copyFixture(fixture);

  it.each(steps)('$name writes the files of its snapshots', async ({ name, argv }) => {
    const before = readTree(dir);
    const result = await runInProcess([...argv, '--dir', dir]);
    expect(result.stderr, result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    const after = readTree(dir);
    const changed = changedFiles(before, after);
    expect(changed.length).toBeGreaterThan(0);
    await expect(result.stderr).toMatchFileSnapshot(`__snapshots__/${fixture}/${name}/output.txt.snap`);
    for (const file of changed) {
      await expect(after.get(file)).toMatchFileSnapshot(`__snapshots__/${fixture}/${name}/${file}.snap`);
    }
  });

  it('a second run of every command changes nothing and says so', async () => {
    const before = readTree(dir);
    for (const { argv } of steps) {
      const result = await runInProcess([...argv, '--dir', dir]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^Nothing to change: /m);
      expect(result.stderr).not.toMatch(/^(CREATE|UPDATE) /m);
    }
    expect(readTree(dir)).toEqual(before);
  });
});

describe('--dry-run', () => {
  it('init prints the plan with diffs and touches nothing', async () => {
    const dir = copyFixture('sqlite-prisma');
    const before = readTree(dir);
    const result = await runInProcess(['init', '--yes', '--dry-run', '--install', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(readTree(dir)).toEqual(before);
    expect(result.stdout).toContain('CREATE resources/jobs.ts');
    expect(result.stdout).toContain('UPDATE index.ts');
    expect(result.stdout).toContain('--- a/index.ts');
    expect(result.stdout).toMatch(/^\+import jobsResource from '\.\/resources\/jobs\.js';$/m);
    expect(result.stdout).toMatch(/^\+ {4}jobsResource$/m);
    expect(result.stderr).toContain('Dry run: nothing was written');
    expect(result.stderr).toContain('Would run: npm install');
  });

  it('add-handler and add-component touch nothing either', async () => {
    const dir = copyFixture('postgres-plain');
    expect((await runInProcess(['init', '--yes', '--dir', dir])).code).toBe(0);
    const before = readTree(dir);
    const handler = await runInProcess(['add-handler', 'sync-stock', '--with-component', '--dry-run', '--dir', dir]);
    expect(handler.code, handler.stderr).toBe(0);
    expect(handler.stdout).toContain('CREATE jobs/sync-stock.ts');
    expect(handler.stdout).toContain('+    backgroundJobsPlugin.registerTaskHandler(syncStockHandler);'.replace('    ', '  '));
    const component = await runInProcess(['add-component', 'sync-stock', '--dry-run', '--dir', dir]);
    expect(component.code, component.stderr).toBe(0);
    expect(component.stdout).toContain('CREATE custom/SyncStockTasks.vue');
    expect(readTree(dir)).toEqual(before);
  });
});

describe('issue 19 §8–9, through the binary without a terminal', () => {
  it('init --dry-run takes the defaults instead of refusing, and writes nothing; without --dry-run it still asks for flags', async () => {
    const dir = copyFixture('sqlite-prisma');
    const before = readTree(dir);
    const result = await runBin(['init', '--dry-run', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('No terminal to ask on: the dry run takes the default of every question no flag answers (as --yes does).');
    expect(result.stdout).toContain('CREATE resources/jobs.ts');
    expect(result.stdout).toContain('CREATE jobs/example-job-route.ts');
    expect(readTree(dir)).toEqual(before);
    const refused = await runBin(['init', '--dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--table <name>');
  });

  it("init on PostgreSQL: the table's next step loads the .env file that holds DATABASE_URL, and masks the password", async () => {
    const dir = copyFixture('postgres-plain');
    const result = await runBin(['init', '--yes', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Create the jobs table: (set -a; . ./.env.local; set +a; psql "$DATABASE_URL" -f migrations/create_jobs.sql) (postgres://postgres:***@localhost:5432/adminforth, DATABASE_URL in .env.local)');
    expect(result.stderr).not.toMatch(/: psql "\$DATABASE_URL"/);
  });
});

describe('add-handler: the start route (issue 19 §9)', () => {
  it('--no-route writes no route and leaves the app file alone; a later run without it adds the route', async () => {
    const dir = copyFixture('sqlite-prisma');
    expect((await runInProcess(['init', '--yes', '--no-example', '--dir', dir])).code).toBe(0);
    const before = readTree(dir);
    const result = await runInProcess(['add-handler', 'send-emails', '--no-route', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(changedFiles(before, readTree(dir))).toEqual(['jobs/index.ts', 'jobs/send-emails.test.ts', 'jobs/send-emails.ts']);
    expect(result.stderr).toContain("3. Start jobs with backgroundJobsPlugin.startNewJob(name, adminUser, tasks, 'send_emails') (without --no-route, add-handler also adds a start route).");
    expect(result.stderr).not.toContain('curl');

    const withRoute = await runInProcess(['add-handler', 'send-emails', '--dir', dir]);
    expect(withRoute.code, withRoute.stderr).toBe(0);
    expect(withRoute.stderr).toMatch(/^CREATE jobs\/send-emails-route\.ts$/m);
    expect(withRoute.stderr).toMatch(/^UPDATE index\.ts$/m);
    expect(withRoute.stderr).toContain("curl -b cookies.txt -H 'Content-Type: application/json' -d '{\"tasks\":[{\"state\":{\"item\":1}},{\"state\":{\"item\":2}}]}' http://localhost:3500/api/jobs/send-emails/start");
    expect(withRoute.stderr).toContain('(add-handler --no-route leaves the route out.)');
  });

  it('an app file it cannot place the route in: the exact lines to add by hand, exit 8, the rest written', async () => {
    const dir = copyFixture('sqlite-prisma');
    expect((await runInProcess(['init', '--yes', '--no-example', '--dir', dir])).code).toBe(0);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const appFile = `${dir}/index.ts`;
    writeFileSync(appFile, readFileSync(appFile, 'utf8').replace('  app.use(express.json());\n', '').replace('  admin.express.serve(app);\n', '  serveSomehow(app);\n'));
    const result = await runInProcess(['add-handler', 'send-emails', '--dir', dir]);
    expect(result.code, result.stderr).toBe(8);
    expect(result.stderr).toContain("import { createSendEmailsHandlerRoute } from './jobs/send-emails-route.js';");
    expect(result.stderr).toContain('app.post(`${ADMIN_BASE_URL}/api/jobs/send-emails/start`, admin.express.authorize(createSendEmailsHandlerRoute(admin)));');
    expect(readTree(dir).has('jobs/send-emails-route.ts')).toBe(true);
    expect(readFileSync(`${dir}/jobs/index.ts`, 'utf8')).toContain('registerTaskHandler(sendEmailsHandler)');
  });

  it("refuses to take over another route's file (add-handler example-job next to init's example route)", async () => {
    const dir = copyFixture('sqlite-prisma');
    expect((await runInProcess(['init', '--yes', '--dir', dir])).code).toBe(0);
    const before = readTree(dir);
    const result = await runInProcess(['add-handler', 'example-job', '--dir', dir]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('jobs/example-job-route.ts exists and does not export createExampleJobHandlerRoute');
    expect(readTree(dir)).toEqual(before);
  });
});

describe('--force', () => {
  it('overwrites a generated file the user changed, and only with --force', async () => {
    const dir = copyFixture('sqlite-prisma');
    expect((await runInProcess(['init', '--yes', '--dir', dir])).code).toBe(0);
    const { writeFileSync, readFileSync } = await import('node:fs');
    const resource = `${dir}/resources/jobs.ts`;
    const generated = readFileSync(resource, 'utf8');
    writeFileSync(resource, `${generated}// my change\n`);

    const kept = await runInProcess(['init', '--yes', '--dir', dir]);
    expect(kept.stderr).toContain('SKIP   resources/jobs.ts (exists with other content; kept (--force overwrites it))');
    expect(readFileSync(resource, 'utf8')).toContain('// my change');

    const forced = await runInProcess(['init', '--yes', '--force', '--dir', dir]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('UPDATE resources/jobs.ts (overwritten (--force))');
    expect(readFileSync(resource, 'utf8')).toBe(generated);
    // The handlers index is the app's list of handlers: never overwritten.
    expect(forced.stderr).toMatch(/SKIP {3}jobs\/index\.ts/);
  });
});
