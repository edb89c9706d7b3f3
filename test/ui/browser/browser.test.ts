/**
 * The admin UI in a real browser against the real demo app: the page of vite.config.ts (the
 * plugin's components, rendered as AdminForth renders header injections) is served from the demo's
 * origin through proxy.ts; the demo (examples/demo, SQLite) runs as a child process; Debian's
 * chromium is driven with playwright-core. Screenshots go to test-results/ui/.
 *
 *   npm run test:browser            (CHROMIUM_PATH=... to use another chromium binary)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { killDemoProcesses, startDemo, type DemoProcess } from '../../helpers/demo-process.js';
import { ROOT } from '../aliases.js';
import { OUT_DIR } from './vite.config.js';
import { startProxy, type Proxy } from './proxy.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'test-results', 'ui');
const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
/**
 * Console output that is not ours: the seed's JobCustomComponent.vue unsubscribes with the
 * deprecated `websocket.unsubscribe(topic)`, which warns in AdminForth (and in the stand-in).
 */
const ALLOWED_CONSOLE = [/This method is deprecated because it removes all subscriptions for the topic/];

let tmp: string;
let demo: DemoProcess;
let proxy: Proxy;
let browser: Browser;
let page: Page;
const consoleProblems: string[] = [];

/** A screenshot with CSS transitions (progress bars) run to their end. */
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
const listItem = (jobId: string) => page.locator(`[data-testid="jobs-list"] li[data-job-id="${jobId}"]`);
const details = () => page.locator('[data-testid="job-details"]');

async function startJob(body?: Record<string, unknown>): Promise<string> {
  const answer = await page.evaluate((b) => (window as any).__page.startJob(b), body);
  expect(answer).toMatchObject({ ok: true });
  return String(answer.jobId);
}

async function apiJob(jobId: string): Promise<any> {
  const pluginInstanceId = await page.evaluate(() => (window as any).__page.meta.pluginInstanceId);
  const response = await page.request.post(`${proxy.url}/adminapi/v1/plugin/${pluginInstanceId}/jobs/get`, { data: { jobId } });
  return (await response.json()).job;
}

async function openDropdown(): Promise<void> {
  if (!(await byTestId('navbar-jobs-dropdown').isVisible())) await byTestId('navbar-jobs-button').click();
  await byTestId('navbar-jobs-dropdown').waitFor();
}

async function closeDetails(): Promise<void> {
  await byTestId('job-details-close').click();
  await details().waitFor({ state: 'detached' });
  // Toasts of this step would cover the next step's screenshots.
  await page.evaluate(() => document.querySelectorAll('.af-toast').forEach((toast) => toast.remove()));
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  await build({ configFile: path.join(ROOT, 'test/ui/browser/vite.config.ts') });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-ui-'));
  demo = await startDemo({ DEMO_DB: path.join(tmp, 'demo.sqlite') });
  proxy = await startProxy({ target: demo.url, staticDir: OUT_DIR });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    if (ALLOWED_CONSOLE.some((re) => re.test(message.text()))) return;
    consoleProblems.push(`${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`page error: ${error.message}`));

  // Log in through AdminForth's endpoint; the browser context keeps the cookie.
  const login = await page.request.post(`${proxy.url}/adminapi/v1/login`, { data: { username: 'adminforth', password: 'adminforth' } });
  expect(login.status(), await login.text()).toBe(200);
  await page.goto(`${proxy.url}/ui/`);
  await byTestId('navbar-jobs-button').waitFor();
  await page.waitForFunction(() => (window as any).__page?.wsReady());
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await proxy?.close();
  await killDemoProcesses();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the admin UI in chromium against the demo app', () => {
  let jobA = '';

  it('counts a running job in the navbar and follows its progress to 100 in the list', async () => {
    await shot('00-page');
    jobA = await startJob({ handler: 'demo_job', tasks: 300, taskMs: 100, failTasks: [7] });
    await expect.poll(() => byTestId('navbar-jobs-count').textContent()).toBe('1');
    await openDropdown();
    const progress = listItem(jobA).locator('[data-testid="jobs-list-progress"]');
    await progress.waitFor();

    // Every value comes from the websocket: the list is not read again while it stays open.
    const seen: number[] = [];
    let shotTaken = false;
    for (const start = Date.now(); Date.now() - start < 60_000;) {
      const value = Number((await progress.textContent())!.replace('%', ''));
      if (seen.at(-1) !== value) seen.push(value);
      if (!shotTaken && value >= 20 && value <= 80) {
        await shot('01-navbar-indicator-and-list');
        await page.screenshot({ path: path.join(SHOTS, '02-navbar-indicator.png'), clip: { x: 940, y: 0, width: 500, height: 64 }, animations: 'disabled' });
        shotTaken = true;
      }
      if (value === 100) break;
      await page.waitForTimeout(50);
    }
    expect(seen.at(-1)).toBe(100);
    expect(seen.some((v) => v > 0 && v < 100), `progress seen: ${seen.join(', ')}`).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(shotTaken).toBe(true);

    await expect.poll(() => listItem(jobA).textContent()).toContain('Done with errors');
    await expect.poll(() => byTestId('navbar-jobs-count').count()).toBe(0);
    await shot('03-list-job-finished');
  });

  it('opens job details with timings, task counts, the last error and the default task table; retries the failed task', async () => {
    await listItem(jobA).locator('button').click();
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('demo_job × 300');
    await expect.poll(() => byTestId('job-progress').textContent()).toBe('100%');
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="FAILED"] [data-testid="task-count"]').textContent()).toBe('1');
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="DONE"] [data-testid="task-count"]').textContent()).toBe('299');
    await expect.poll(() => byTestId('job-last-error').textContent()).toContain('Task 7 failed on purpose');
    await expect.poll(() => page.locator('[data-testid="task-table"] tbody tr[data-task-index]').count()).toBe(10);
    expect(await byTestId('task-range').textContent()).toContain('of 300');
    await shot('04-job-details-task-table');

    await byTestId('task-status-filter').selectOption('FAILED');
    await expect.poll(() => page.locator('[data-testid="task-table"] tbody tr[data-task-index]').count()).toBe(1);
    const failedRow = page.locator('[data-testid="task-table"] tr[data-task-index="7"]');
    expect(await failedRow.locator('[data-testid="task-error"]').textContent()).toContain('Task 7 failed on purpose');
    await shot('05-job-details-failed-tasks');

    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await shot('06-job-details-dark');
    await page.evaluate(() => document.documentElement.classList.remove('dark'));

    // Retry the failed task: it runs again (and fails again: its state says so).
    await byTestId('job-retry').click();
    await page.locator('.af-toast', { hasText: '1 failed task(s) scheduled again' }).waitFor();
    await expect.poll(() => failedRow.locator('td').nth(2).textContent(), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => byTestId('job-status').textContent()).toContain('Done with errors');
    expect((await apiJob(jobA)).status).toBe('DONE_WITH_ERRORS');
    await closeDetails();
  });

  it('cancels a second job from its details, opened with window.OpenJobInfoPopup, after confirmation', async () => {
    const jobB = await startJob({ handler: 'demo_job', tasks: 1000, taskMs: 1000 });
    await expect.poll(() => byTestId('navbar-jobs-count').textContent()).toBe('1');
    await page.evaluate((id) => (window as any).OpenJobInfoPopup(id), jobB);
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('demo_job × 1000');
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="IN_PROGRESS"] [data-testid="task-count"]').textContent()).toBe('10');

    await byTestId('job-cancel').click();
    await page.locator('.af-confirm').waitFor();
    await shot('07-cancel-confirmation');
    await page.locator('.af-confirm [data-answer="yes"]').click();
    await expect.poll(() => byTestId('job-status').textContent()).toContain('Cancelled');
    await expect.poll(() => byTestId('job-cancel').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="CANCELLED"] [data-testid="task-count"]').textContent())
      .not.toBe('0');
    await shot('08-job-cancelled');
    expect((await apiJob(jobB)).status).toBe('CANCELLED');
    await expect.poll(() => byTestId('navbar-jobs-count').count()).toBe(0);
    await closeDetails();
  });

  it("mounts the seed's JobCustomComponent.vue for the documented example job and updates it from the task topic", async () => {
    const jobC = await startJob();
    await openDropdown();
    await listItem(jobC).locator('button').click();
    await details().waitFor();
    const seed = details().locator('.bg-gray-100', { hasText: 'Get Job Tasks' });
    await seed.waitFor();
    await expect.poll(() => seed.textContent()).toContain('"step": 6');
    expect(await page.locator('[data-testid="task-table"]').count()).toBe(0);
    // Loaded before the first step finished; "Step 1 completed" can only arrive over the websocket.
    await expect.poll(() => seed.textContent(), { timeout: 15_000 }).toContain('"1": "Step 1 completed"');
    await expect.poll(() => seed.textContent()).toMatch(/"status": "DONE"/);
    await shot('09-custom-component');
    await closeDetails();
  });

  it('logs no console errors or warnings', () => {
    expect(consoleProblems).toEqual([]);
  });
});
