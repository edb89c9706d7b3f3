/**
 * The real SPA against real AdminForth (issue 16): the scratch app (app/index.mjs on the installed
 * adminforth, MySQL) calls `admin.bundleNow({ hotReload: false })`, as create-app's index.ts does,
 * so AdminForth's own vite build compiles the plugin's components (its header injections
 * NavbarJobs.vue and GlobalJobApi.vue, JobStatusBadge.vue, and what they import) and a component
 * `af-jobs add-component` generated, registered for `example_job_handler` with
 * `registerTaskDetailsComponent`. Then headless chromium logs in through the login page, opens the
 * navbar's jobs popup and a job's details, which show the generated component, and closes them:
 * no console error, no page error.
 *
 * Needs `AF_JOBS_REAL_ADMINFORTH` (README.md here), chromium (`CHROMIUM_PATH`, default
 * /usr/bin/chromium) and the registry (or a warm npm cache) for the SPA's own dependencies, which
 * AdminForth installs when it bundles; skipped, loudly, without the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_ADMINFORTH, REPO, afJobs, warnIfSkipped, type MysqlScratchApp, startMysqlScratchApp } from './real-app.js';

warnIfSkipped('the real SPA build');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** AdminForth's vite build plus its `npm install` of the SPA: 1–3 minutes on 2 cores, more on a cold cache. */
const BUNDLE_MS = 15 * 60_000;
/** The page waits for what the SPA fetches and renders, on a machine also busy building. */
const POLL = { timeout: 30_000 };
const EXAMPLE_TASKS = [1, 2, 3, 4, 5, 6].map((step) => ({ state: { step } }));

/**
 * Runs `af-jobs init` and `af-jobs add-component example_job_handler` on a copy of the
 * sqlite-prisma fixture and returns the generated component (its file name and text).
 */
async function generateTasksComponent(): Promise<{ name: string; text: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-real-spa-fixture-'));
  const config = path.join(dir, 'af-jobs-config');
  try {
    const appDir = path.join(dir, 'app');
    fs.cpSync(path.join(REPO, 'test/fixtures/sqlite-prisma'), appDir, { recursive: true });
    for (const args of [['init', '--yes', '--migration', 'sql'], ['add-component', 'example_job_handler']]) {
      const result = await afJobs(args, { config, cwd: appDir });
      if (result.code !== 0) throw new Error(`af-jobs ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    }
    const [name] = fs.readdirSync(path.join(appDir, 'custom')).filter((file) => file.endsWith('Tasks.vue'));
    if (!name) throw new Error(`af-jobs add-component wrote no custom/*Tasks.vue in ${appDir}`);
    return { name, text: fs.readFileSync(path.join(appDir, 'custom', name), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!REAL_ADMINFORTH)('the real SPA, built by real AdminForth, in chromium', () => {
  let real: MysqlScratchApp | undefined;
  let component: { name: string; text: string };
  let browser: Browser | undefined;
  let page: Page | undefined;
  const consoleErrors: string[] = [];
  const consoleWarnings: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    component = await generateTasksComponent();
    real = await startMysqlScratchApp({
      env: { AF_CONFORMANCE_BUNDLE: '1', AF_CONFORMANCE_TASKS_COMPONENT: component.name },
      prepare: (appDir) => {
        fs.mkdirSync(path.join(appDir, 'custom'), { recursive: true });
        fs.writeFileSync(path.join(appDir, 'custom', component.name), component.text);
      },
    });
    await real.app.waitForOutput(/\[conformance\] bund(led|le failed)/, BUNDLE_MS);
  }, BUNDLE_MS + 600_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await real?.close();
  }, 60_000);

  it('bundleNow({ hotReload: false }) builds the SPA with the plugin\'s components and the generated one', () => {
    const output = real!.app.output();
    expect(output, output).toContain('[conformance] bundled');
    expect(output).not.toContain('[conformance] bundle failed');
  });

  it('chromium: log in, the navbar jobs popup, a job\'s details with the generated component; no console error, no page error', async () => {
    if (!real!.app.output().includes('[conformance] bundled')) throw new Error('no SPA to open: its build failed (see the first check)');
    const { base } = real!;
    const jobId = await real!.startJob('example_job_handler', EXAMPLE_TASKS, 'SPA job');
    await real!.waitForStatus(jobId, 'DONE');

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 960 } })).newPage();
    page.on('console', (message) => {
      const line = `${message.type()}: ${message.text()} (${message.location().url})`;
      if (message.type() === 'error') consoleErrors.push(line);
      if (message.type() === 'warning') consoleWarnings.push(line);
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.stack ?? error.message}`));

    await page.goto(`${base}/login`);
    await page.locator('input#username').fill('adminforth');
    await page.locator('input#password').fill('adminforth');
    await page.getByRole('button', { name: 'Login to your account' }).click();

    await page.locator('[data-testid="navbar-jobs-button"]').click();
    await page.locator('[data-testid="navbar-jobs-dropdown"]').waitFor();
    const item = page.locator(`[data-testid="jobs-list"] li[data-job-id="${jobId}"]`);
    await expect.poll(() => item.locator('[data-testid="jobs-list-name"]').textContent(), POLL).toBe('SPA job');
    await item.locator('[data-testid="jobs-list-item"]').click();

    const details = page.locator('[data-testid="job-details"]');
    await details.waitFor();
    await expect.poll(() => details.locator('[data-testid="job-name"]').textContent(), POLL).toBe('SPA job');
    await expect.poll(() => details.locator('[data-testid="job-progress"]').textContent(), POLL).toBe('100%');
    // The generated component: its six task rows and its page footer.
    await expect.poll(() => details.locator('tbody tr').count(), POLL).toBe(6);
    await expect.poll(() => details.getByText('tasks 1–6').count(), POLL).toBe(1);

    await page.locator('[data-testid="job-details-close"]').click();
    await details.waitFor({ state: 'detached' });
    // Closing the popup unsubscribes; the SPA's deprecated unsubscribe(topic) would warn (issue 16 §3).
    await page.locator('[data-testid="navbar-jobs-button"]').waitFor();

    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
    expect(consoleWarnings.filter((line) => /deprecated/i.test(line)), consoleWarnings.join('\n')).toEqual([]);
  });

  it('the Jobs page from its menu entry: the job in its table, handler cards, details from a row; no console error', async () => {
    if (!page) throw new Error('no browser page: the check before failed');
    const jobId = await real!.startJob('example_job_handler', EXAMPLE_TASKS, 'Jobs page job');
    await real!.waitForStatus(jobId, 'DONE');
    // The plugin's menu entry (registerMenuContribution on this AdminForth) opens its custom page.
    await page.getByRole('link', { name: 'Background jobs' }).first().click();
    await page.locator('[data-testid="jobs-page"]').waitFor();
    expect(new URL(page.url()).pathname).toBe('/background-jobs');
    const row = page.locator('[data-testid="jobs-row"]', { hasText: 'Jobs page job' });
    await expect.poll(() => row.count(), POLL).toBe(1);
    await expect.poll(() => row.locator('[data-testid="jobs-row-status"]').textContent(), POLL).toMatch(/Done/);
    await expect.poll(() => page!.locator('[data-testid="handler-card"]').count(), POLL).toBeGreaterThan(0);
    await row.locator('[data-testid="jobs-row-name"]').click();
    const details = page.locator('[data-testid="job-details"]');
    await details.waitFor();
    await expect.poll(() => details.locator('[data-testid="job-name"]').textContent(), POLL).toBe('Jobs page job');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });
});
