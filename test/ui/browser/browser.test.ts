/**
 * The admin UI in a real browser, as a person uses it: the demo app (examples/demo, SQLite) runs
 * as a child process and serves the admin page (test/ui/page, built by the demo's start-up) at
 * `/` next to its API and websocket; Debian's chromium is driven with playwright-core. The test
 * logs in through the page's form, starts jobs from its "Start some jobs" form, and checks what a
 * person would look at. Screenshots go to test-results/ui/.
 *
 *   npm run test:browser            (CHROMIUM_PATH=... to use another chromium binary)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { killDemoProcesses, startDemo, type DemoProcess } from '../../helpers/demo-process.js';
import { buildAdminUi } from '../page/build.js';
import { axeViolations } from './a11y.js';
import { SHOTS, launchPage } from './chromium-page.js';

/**
 * Console output that is not ours: the seed's JobCustomComponent.vue unsubscribes with the
 * deprecated `websocket.unsubscribe(topic)`, which warns in AdminForth (and in the stand-in);
 * the wrong password of the login test answers 401, which chromium logs.
 */
const ALLOWED_CONSOLE = [
  /This method is deprecated because it removes all subscriptions for the topic/,
  /Failed to load resource: the server responded with a status of 401/,
];

/** Tailwind's colours the bars are drawn with (JobProgressBar.vue), as computed styles. */
const FILL = {
  IN_PROGRESS: 'rgb(37, 99, 235)', // blue-600
  DONE: 'rgb(22, 163, 74)', // green-600
  DONE_WITH_ERRORS: 'rgb(249, 115, 22)', // orange-500
  CANCELLED: 'rgb(107, 114, 128)', // gray-500
};

let tmp: string;
let demo: DemoProcess;
let browser: Browser;
let page: Page;
const consoleProblems: string[] = [];

/** No serious or critical axe-core violation in the view as shown (a11y.ts). */
async function expectAccessible(view: string): Promise<void> {
  const { serious, minor } = await axeViolations(page);
  if (minor.length > 0) console.log(`axe, ${view}: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  expect(serious, `axe: serious or critical violations in ${view}`).toEqual([]);
}

/** A screenshot with CSS transitions (progress bars) run to their end. */
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
const listItem = (jobId: string) => page.locator(`[data-testid="jobs-list"] li[data-job-id="${jobId}"]`);
const details = () => page.locator('[data-testid="job-details"]');
const backgroundOf = (locator: Locator) => locator.evaluate((el) => getComputedStyle(el).backgroundColor);
const detailsFill = () => details().locator('[data-testid="job-progress-fill"]');

async function startJob(body?: Record<string, unknown>): Promise<string> {
  const answer = await page.evaluate((b) => (window as any).__page.startJob(b), body);
  expect(answer).toMatchObject({ ok: true });
  return String(answer.jobId);
}

async function apiJob(jobId: string): Promise<any> {
  const pluginInstanceId = await page.evaluate(() => (window as any).__page.meta.pluginInstanceId);
  const response = await page.request.post(`${demo.url}/adminapi/v1/plugin/${pluginInstanceId}/jobs/get`, { data: { jobId } });
  return (await response.json()).job;
}

async function openDropdown(): Promise<void> {
  if (!(await byTestId('navbar-jobs-dropdown').isVisible())) await byTestId('navbar-jobs-button').click();
  await byTestId('navbar-jobs-dropdown').waitFor();
}

async function closeDropdown(): Promise<void> {
  if (await byTestId('navbar-jobs-dropdown').isVisible()) await byTestId('navbar-jobs-button').click();
  await byTestId('navbar-jobs-dropdown').waitFor({ state: 'detached' });
}

async function closeDetails(): Promise<void> {
  await byTestId('job-details-close').click();
  await details().waitFor({ state: 'detached' });
}

/** Whether a person clicking the middle of `locator` would hit it (nothing drawn over it). */
async function reachable(locator: Locator): Promise<boolean> {
  await locator.scrollIntoViewIfNeeded();
  return locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
}

beforeAll(async () => {
  // The demo's start-up builds the page too; building here first keeps that out of its 30 s start.
  await buildAdminUi();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-ui-'));
  demo = await startDemo({ DEMO_DB: path.join(tmp, 'demo.sqlite'), DEMO_UI: 'on' });
  ({ browser, page } = await launchPage(ALLOWED_CONSOLE, consoleProblems));
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await killDemoProcesses();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the demo at / in chromium', () => {
  let jobA = '';

  it('shows a login form at /, refuses a wrong password, and logs in through AdminForth\'s login endpoint', async () => {
    expect(demo.output()).toContain(`Open ${demo.url}/ in a browser`);
    await page.goto(`${demo.url}/`);
    await byTestId('login-form').waitFor();
    await shot('00-login');
    await expectAccessible('the login form');
    await page.setViewportSize({ width: 360, height: 740 });
    await shot('00-login-360');
    await expectAccessible('the login form at 360 px');
    await page.setViewportSize({ width: 1440, height: 960 });

    await byTestId('login-username').fill('adminforth');
    await byTestId('login-password').fill('wrong');
    await byTestId('login-submit').click();
    await expect.poll(() => byTestId('login-error').textContent()).toContain('Invalid username or password');

    await byTestId('login-password').fill('adminforth');
    await byTestId('login-password').press('Enter');
    await byTestId('navbar-jobs-button').waitFor();
    await byTestId('start-jobs-form').locator('[data-handler="huge_job"]').waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).toContain('adminforth_af-jobs-demo_jwt');
    await page.waitForFunction(() => (window as any).__page?.wsReady());
    await shot('01-page');
    await expectAccessible('the page after login');
  });

  it('counts a running job in the navbar and follows its progress to 100 in the list, its bar blue then orange', async () => {
    jobA = await startJob({ handler: 'demo_job', tasks: 300, taskMs: 100, failTasks: [7] });
    await expect.poll(() => byTestId('navbar-jobs-count').textContent()).toBe('1');
    await openDropdown();
    const progress = listItem(jobA).locator('[data-testid="jobs-list-progress"]');
    const fill = listItem(jobA).locator('[data-testid="job-progress-fill"]');
    await progress.waitFor();

    // Every value comes from the websocket: the list is not read again while it stays open.
    const seen: number[] = [];
    let shotTaken = false;
    for (const start = Date.now(); Date.now() - start < 60_000;) {
      const value = Number((await progress.textContent())!.replace('%', ''));
      if (seen.at(-1) !== value) seen.push(value);
      if (!shotTaken && value >= 20 && value <= 80) {
        expect(await backgroundOf(fill)).toBe(FILL.IN_PROGRESS);
        await shot('02-navbar-indicator-and-list');
        await expectAccessible('the navbar popup with a running job');
        await page.screenshot({ path: path.join(SHOTS, '02-navbar-indicator.png'), clip: { x: 940, y: 0, width: 500, height: 64 }, animations: 'disabled' });
        shotTaken = true;
      }
      if (value === 100) break;
    }
    expect(seen.at(-1)).toBe(100);
    expect(seen.some((v) => v > 0 && v < 100), `progress seen: ${seen.join(', ')}`).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(shotTaken).toBe(true);

    await expect.poll(() => listItem(jobA).textContent()).toContain('Done with errors');
    await expect.poll(() => backgroundOf(fill)).toBe(FILL.DONE_WITH_ERRORS);
    await expect.poll(() => byTestId('navbar-jobs-count').count()).toBe(0);
    await shot('03-list-job-finished');
    // Escape closes the popup and gives the focus back to its button.
    await page.keyboard.press('Escape');
    await byTestId('navbar-jobs-dropdown').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('navbar-jobs-button');
    await openDropdown();
  });

  it('opens job details: counts, the last error, the task table with a whole state; retry reports beside its button', async () => {
    await listItem(jobA).locator('button').click();
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('demo_job × 300');
    await expect.poll(() => byTestId('job-progress').textContent()).toBe(`${(await apiJob(jobA)).progress}%`);
    await expect.poll(() => byTestId('job-progress-text').textContent()).toContain('299 of 300 tasks done');
    expect(await byTestId('job-progress-text').textContent()).toContain('1 failed');
    expect(await backgroundOf(detailsFill())).toBe(FILL.DONE_WITH_ERRORS);
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="FAILED"] [data-testid="task-count"]').textContent()).toBe('1');
    await expect.poll(() => byTestId('job-last-error').textContent()).toContain('Task 7 failed on purpose');
    await expect.poll(() => page.locator('[data-testid="task-table"] tbody tr[data-task-index]').count()).toBe(10);
    expect(await byTestId('task-range').textContent()).toContain('of 300');

    // The job's "finished with errors" toast goes by itself, and nothing is left over the pager.
    await page.locator('.af-toast').first().waitFor({ state: 'detached', timeout: 10_000 });
    expect(await reachable(byTestId('task-next'))).toBe(true);
    await shot('04-job-details-task-table');
    await expectAccessible('job details');

    await byTestId('task-status-filter').selectOption('FAILED');
    await expect.poll(() => page.locator('[data-testid="task-table"] tbody tr[data-task-index]').count()).toBe(1);
    const failedRow = page.locator('[data-testid="task-table"] tr[data-task-index="7"]');
    expect(await failedRow.locator('[data-testid="task-error"]').textContent()).toContain('Task 7 failed on purpose');
    // STATE does not repeat the error, and opens in full.
    const state = failedRow.locator('[data-testid="task-state"]');
    expect(await state.textContent()).not.toContain('failed on purpose');
    await state.click();
    const full = byTestId('task-state-full');
    await full.waitFor();
    expect(JSON.parse((await full.locator('[data-testid="json-text"]').textContent())!)).toEqual({ taskMs: 100, fail: true });
    // Its attempts, with the error of each.
    await expect.poll(() => full.locator('[data-testid="task-attempt"]').count()).toBe(1);
    expect(await full.locator('[data-testid="task-attempt-error"]').textContent()).toContain('Task 7 failed on purpose');
    expect(await state.getAttribute('aria-expanded')).toBe('true');
    await shot('05-job-details-failed-tasks');

    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await shot('06-job-details-dark');
    await expectAccessible('job details, dark');
    await page.evaluate(() => document.documentElement.classList.remove('dark'));

    // Retry the failed task: it runs again (and fails again). The outcome shows beside the button, not in a toast.
    await byTestId('job-retry').click();
    await expect.poll(() => byTestId('job-action-notice').textContent()).toContain('1 failed task(s) scheduled again');
    expect(await page.locator('.af-toast', { hasText: 'scheduled again' }).count()).toBe(0);
    await expect.poll(() => failedRow.locator('td').nth(2).textContent(), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => byTestId('job-status').textContent()).toContain('Done with errors');
    expect((await apiJob(jobA)).status).toBe('DONE_WITH_ERRORS');
    await closeDetails();
  });

  it('cancels a job after a red confirmation; the cancelled job keeps the progress the API reports, its bar grey', async () => {
    const jobB = await startJob({ handler: 'demo_job', tasks: 1000, taskMs: 1000 });
    await expect.poll(() => byTestId('navbar-jobs-count').textContent()).toBe('1');
    await page.evaluate((id) => (window as any).OpenJobInfoPopup(id), jobB);
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('demo_job × 1000');
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="IN_PROGRESS"] [data-testid="task-count"]').textContent()).toBe('10');
    expect(await backgroundOf(detailsFill())).toBe(FILL.IN_PROGRESS);

    await byTestId('job-cancel').click();
    const dialog = byTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await byTestId('confirm-message').textContent()).toContain('Cancel the job "demo_job × 1000"?');
    // The destructive answer is as red as the button that asked; focus starts on the safe one.
    expect(await backgroundOf(byTestId('confirm-yes'))).toBe(await backgroundOf(byTestId('job-cancel')));
    expect(await backgroundOf(byTestId('confirm-yes'))).toBe('rgb(185, 28, 28)'); // red-700
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-no');
    await shot('07-cancel-confirmation');
    await expectAccessible('the cancel confirmation');
    // Escape answers "no" and leaves the details open.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await details().waitFor();

    await byTestId('job-cancel').click();
    await byTestId('confirm-yes').click();
    await expect.poll(() => byTestId('job-status').textContent()).toContain('Cancelled');
    await expect.poll(() => byTestId('job-cancel').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="CANCELLED"] [data-testid="task-count"]').textContent())
      .not.toBe('0');
    expect(await byTestId('job-action-notice').textContent()).toContain('Job cancelled');

    const api = await apiJob(jobB);
    expect(api.status).toBe('CANCELLED');
    expect(api.progress).toBeLessThan(100);
    await expect.poll(() => byTestId('job-progress').textContent()).toBe(`${api.progress}%`);
    expect(await details().locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe(String(api.progress));
    await expect.poll(() => backgroundOf(detailsFill())).toBe(FILL.CANCELLED);
    await shot('08-job-cancelled');
    await closeDetails();

    // The popup says the same.
    await openDropdown();
    await expect.poll(() => listItem(jobB).locator('[data-testid="jobs-list-progress"]').textContent()).toBe(`${api.progress}%`);
    expect(await backgroundOf(listItem(jobB).locator('[data-testid="job-progress-fill"]'))).toBe(FILL.CANCELLED);
    await closeDropdown();
    await expect.poll(() => byTestId('navbar-jobs-count').count()).toBe(0);
  });

  it('starts a job from the "Start some jobs" form; it appears in the navbar popup and opens there', async () => {
    await byTestId('start-jobs-form').locator('[data-handler="quick_job"] input').check();
    await byTestId('start-job').click();
    const started = byTestId('start-job-started');
    await started.waitFor();
    const jobId = (await started.getAttribute('data-job-id'))!;
    expect(await started.textContent()).toContain('quick_job × 20');

    await openDropdown();
    await listItem(jobId).waitFor();
    expect(await listItem(jobId).locator('[data-testid="jobs-list-name"]').textContent()).toBe('quick_job × 20');
    await listItem(jobId).locator('button').click();
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('quick_job × 20');
    await expect.poll(() => byTestId('job-status').textContent(), { timeout: 30_000 }).toContain('Done');
    await expect.poll(() => byTestId('job-progress').textContent()).toBe('100%');
    await expect.poll(() => backgroundOf(detailsFill())).toBe(FILL.DONE);
    await closeDetails();

    // The same through the form's own link to the details.
    await byTestId('start-jobs-form').locator('[data-handler="failing_job"] input').check();
    await byTestId('start-job').click();
    await expect.poll(() => started.textContent()).toContain('failing_job × 50');
    await byTestId('start-job-details').click();
    await details().waitFor();
    await expect.poll(() => byTestId('job-name').textContent()).toBe('failing_job × 50');
    await expect.poll(() => byTestId('job-status').textContent(), { timeout: 30_000 }).toContain('Done with errors');
    await expect.poll(() => page.locator('[data-testid="task-counts"] [data-status="FAILED"] [data-testid="task-count"]').textContent()).toBe('10');
    await closeDetails();
  });

  it('keeps the popup inside a 420 px and a 360 px window, with a link to all jobs and a sign that it scrolls', async () => {
    for (let i = 0; i < 3; i++) await startJob({ handler: 'quick_job' });
    await page.setViewportSize({ width: 420, height: 800 });
    await openDropdown();
    const within = async (width: number) => {
      const box = (await byTestId('navbar-jobs-dropdown').boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    };
    await within(420);
    // "All jobs" opens the plugin's Jobs page (jobs-page.test.ts follows it there).
    expect(await byTestId('navbar-jobs-all').getAttribute('href')).toBe('/background-jobs');
    // Seven jobs do not fit: the list scrolls, says so, and stops saying so at its end.
    const scroller = byTestId('navbar-jobs-scroller');
    await expect.poll(() => scroller.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await byTestId('navbar-jobs-more').waitFor();
    await shot('09-navbar-popup-420');
    await expectAccessible('the navbar popup at 420 px');
    await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await byTestId('navbar-jobs-more').waitFor({ state: 'detached' });

    await page.setViewportSize({ width: 360, height: 740 });
    await expect.poll(async () => {
      const box = (await byTestId('navbar-jobs-dropdown').boundingBox())!;
      return box.x >= 0 && box.x + box.width <= 360;
    }).toBe(true);
    await shot('10-navbar-popup-360');
    await expectAccessible('the navbar popup at 360 px');
    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await shot('11-navbar-popup-360-dark');
    await expectAccessible('the navbar popup at 360 px, dark');
    // Job details at 360 px, opened from the popup.
    await byTestId('jobs-list-item').first().click();
    await details().waitFor();
    await expect.poll(() => byTestId('job-status').count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await shot('15-job-details-360-dark');
    await expectAccessible('job details at 360 px, dark');
    await closeDetails();
    await shot('12-page-360-dark');
    await expectAccessible('the page at 360 px, dark');
    await page.evaluate(() => document.documentElement.classList.remove('dark'));
    await shot('12-page-360');
    await page.setViewportSize({ width: 1440, height: 960 });
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
    await shot('13-custom-component');
    await expectAccessible("the seed's custom component in job details");
    await closeDetails();
  });

  it('logs out from the avatar back to the login form', async () => {
    await byTestId('logout').click();
    await byTestId('login-form').waitFor();
    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await shot('14-login-dark');
    await expectAccessible('the login form, dark');
  });

  it('logs no console errors or warnings', () => {
    expect(consoleProblems).toEqual([]);
  });
});
