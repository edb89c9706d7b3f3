/**
 * The plugin's Jobs page (docs/jobs-page.md) in chromium, as an operator uses it: reached from the
 * navbar popup's "All jobs", its table and per-handler metrics checked against the demo's SQLite
 * database, filters kept in the address, bulk retry and cancel acting on exactly the jobs the
 * confirmation counted, job details (attempts, a task's JSON, retry of one task) by keyboard
 * alone, the recurring schedules (pause, resume, run now) against the database, and every view in
 * light, dark and 360 px with an axe-core check and a screenshot (test-results/ui/2*.png, 3*.png).
 *
 * The demo runs with its schedule (DEMO_SCHEDULES on) on a cron that does not tick during the
 * tests, paused as soon as the demo listens, so no tick adds a job to what the tests count.
 *
 *   npm run test:browser            (CHROMIUM_PATH=... to use another chromium binary)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { createDemoJob, killDemoProcesses, loginTo, startDemo, type DemoProcess } from '../../helpers/demo-process.js';
import { until } from '../../helpers/wait.js';
import { buildAdminUi } from '../page/build.js';
import type { ScheduleInfo } from '../../../plugin/custom/utils.js';
import { axeViolations } from './a11y.js';
import { SHOTS, launchPage } from './chromium-page.js';

/** The demo's schedule (examples/demo/index.ts), of quick_job; here on the cron below. */
const SCHEDULE = 'demo-every-minute';
const YEARLY = '0 12 1 1 *';
/** The wrong password is not tried here; nothing else may log. */
const ALLOWED_CONSOLE: RegExp[] = [];

/** Tailwind's colours the bars are drawn with (JobProgressBar.vue), light and dark. */
const FILL: Record<string, { light: string; dark: string }> = {
  IN_PROGRESS: { light: 'rgb(37, 99, 235)', dark: 'rgb(59, 130, 246)' }, // blue-600 / blue-500
  DONE: { light: 'rgb(22, 163, 74)', dark: 'rgb(34, 197, 94)' }, // green-600 / green-500
  DONE_WITH_ERRORS: { light: 'rgb(249, 115, 22)', dark: 'rgb(251, 146, 60)' }, // orange-500 / orange-400
  CANCELLED: { light: 'rgb(107, 114, 128)', dark: 'rgb(156, 163, 175)' }, // gray-500 / gray-400
  QUEUED: { light: 'rgb(156, 163, 175)', dark: 'rgb(107, 114, 128)' }, // gray-400 / gray-500
};

interface DbJob {
  job_id: string;
  handler: string;
  name: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  started_by: string | null;
}

let tmp: string;
let dbFile: string;
let demo: DemoProcess;
let browser: Browser;
let page: Page;
let db: Database.Database;
const consoleProblems: string[] = [];

const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);
const row = (jobId: string) => page.locator(`[data-testid="jobs-row"][data-job-id="${jobId}"]`);
const rows = () => page.locator('[data-testid="jobs-row"]');
const details = () => page.locator('[data-testid="job-details"]');
const backgroundOf = (locator: Locator) => locator.evaluate((el) => getComputedStyle(el).backgroundColor);
/** A screenshot: the whole page, or (dialogs, which stay put while the page scrolls) the window. */
const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled', fullPage });
const setDark = (on: boolean) => page.evaluate((dark) => document.documentElement.classList.toggle('dark', dark), on);

/** The engine's own table (the truth the API and the page show) and the demo's users. */
function dbJobs(): DbJob[] {
  return db.prepare(`SELECT job_id, handler, name, status, total, done, failed, cancelled, started_by FROM af_bj_jobs WHERE job_id IS NOT NULL AND status != 'DRAFT'`).all() as DbJob[];
}
function dbJob(jobId: string): DbJob {
  return dbJobs().find((j) => j.job_id === jobId)!;
}
function emailOf(userId: string | null): string | null {
  if (userId === null) return null;
  return (db.prepare('SELECT email FROM adminuser WHERE id = ?').get(userId) as { email: string } | undefined)?.email ?? null;
}
function attemptsOf(jobId: string): Map<number, { status: string; attempt: number }> {
  const tasks = db.prepare('SELECT t.idx, t.status, t.attempt FROM af_bj_tasks t JOIN af_bj_jobs j ON j.job_key = t.job_key WHERE j.job_id = ?').all(jobId) as { idx: number; status: string; attempt: number }[];
  return new Map(tasks.map((t) => [t.idx, { status: t.status, attempt: t.attempt }]));
}
/** The progress every view shows (plugin/src/engine/progress.ts). */
function progressOf(job: DbJob): number {
  if (job.status === 'DONE' || job.status === 'DONE_WITH_ERRORS') return 100;
  if (job.total === 0) return job.status === 'CANCELLED' ? 0 : 100;
  return Math.min(99, Math.floor(((job.done + job.failed) / job.total) * 100));
}
const settled = () => dbJobs().every((j) => j.status !== 'IN_PROGRESS' && j.status !== 'QUEUED');
/** The schedule's durable row (paused: 0 or 1) and the jobs schedules started. */
function dbSchedule(name: string): { name: string; paused: number } {
  return db.prepare('SELECT name, paused FROM af_bj_schedules WHERE name = ?').get(name) as { name: string; paused: number };
}
function dbScheduledJobs(): { job_id: string; schedule_name: string; schedule_tick: number | null }[] {
  return db.prepare('SELECT job_id, schedule_name, schedule_tick FROM af_bj_jobs WHERE schedule_name IS NOT NULL').all() as { job_id: string; schedule_name: string; schedule_tick: number | null }[];
}

/** The plugin's HTTP API as the logged-in page calls it (docs/http-api.md). */
async function pluginApi<T = any>(action: string, body: Record<string, unknown> = {}): Promise<T> {
  return page.evaluate(async ({ action, body }) => {
    const id = (window as any).__page.meta.pluginInstanceId;
    const response = await fetch(`/adminapi/v1/plugin/${id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  }, { action, body });
}
async function listedSchedules(): Promise<ScheduleInfo[]> {
  return (await pluginApi<{ schedules: ScheduleInfo[] }>('schedules/list')).schedules;
}

async function startJob(body: Record<string, unknown>): Promise<string> {
  const answer = await page.evaluate((b) => (window as any).__page.startJob(b), body);
  expect(answer).toMatchObject({ ok: true });
  return String(answer.jobId);
}

/** No serious or critical axe violation in the view as shown. */
async function expectAccessible(view: string): Promise<void> {
  const { serious, minor } = await axeViolations(page);
  if (minor.length > 0) console.log(`axe, ${view}: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  expect(serious, `axe: serious or critical violations in ${view}`).toEqual([]);
}

/** Nothing wider than the window: no sideways scrolling of the page. */
async function expectNoSidewaysScroll(width: number): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

async function openJobsPage(query = ''): Promise<void> {
  await page.goto(`${demo.url}/background-jobs${query}`);
  await byTestId('jobs-page').waitFor();
  await rows().first().waitFor();
  await page.waitForFunction(() => (window as any).__page?.wsReady());
}

async function closeDetails(): Promise<void> {
  await page.keyboard.press('Escape');
  await details().waitFor({ state: 'detached' });
}

beforeAll(async () => {
  await buildAdminUi();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-page-'));
  dbFile = path.join(tmp, 'demo.sqlite');
  // The demo's schedule on a cron whose tick never comes in a test's time (noon on 1 January),
  // paused (below) as an operator would find it: none of its ticks adds a job to what is counted.
  demo = await startDemo({ DEMO_DB: dbFile, DEMO_UI: 'on', DEMO_SCHEDULES: 'on', DEMO_SCHEDULE_CRON: YEARLY });
  await pauseDemoSchedule(demo.url);
  db = new Database(dbFile, { readonly: true, fileMustExist: true });
  expect(dbSchedule(SCHEDULE).paused).toBe(1);
  expect(dbScheduledJobs(), 'a tick of the demo schedule fired before it was paused').toEqual([]);
  ({ browser, page } = await launchPage(ALLOWED_CONSOLE, consoleProblems));

  await page.goto(`${demo.url}/`);
  await byTestId('login-username').fill('adminforth');
  await byTestId('login-password').fill('adminforth');
  await byTestId('login-submit').click();
  await byTestId('navbar-jobs-button').waitFor();
  await page.waitForFunction(() => (window as any).__page?.wsReady());

  // Jobs of several handlers, outcomes and starters: failing ones to retry, a viewer's to filter by.
  for (let i = 0; i < 3; i++) await startJob({ handler: 'failing_job' });
  for (let i = 0; i < 2; i++) await startJob({ handler: 'quick_job' });
  await startJob({ handler: 'demo_job', tasks: 30, taskMs: 20, failTasks: [4] });
  const viewer = await loginTo(demo.url, 'viewer', 'viewer');
  await createDemoJob(demo.url, viewer, { handler: 'quick_job', tasks: 8 });
  await createDemoJob(demo.url, viewer, { handler: 'demo_job', tasks: 12, taskMs: 10 });
  await until('the demo jobs to finish', () => settled(), { timeoutMs: 60_000, intervalMs: 200 });
}, 240_000);

/** Pauses the demo's schedule through the HTTP API, as an admin. */
async function pauseDemoSchedule(url: string): Promise<void> {
  const cookie = await loginTo(url, 'adminforth', 'adminforth');
  const post = async (apiPath: string, body: unknown) => {
    const response = await fetch(`${url}/adminapi/v1${apiPath}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status, apiPath).toBe(200);
    return response.json() as Promise<any>;
  };
  const { instances } = await post('/plugin/background-jobs/instances', {});
  const { schedule } = await post(`/plugin/${instances[0].instanceId}/schedules/pause`, { name: SCHEDULE });
  expect(schedule).toMatchObject({ name: SCHEDULE, paused: true, nextRunAt: null });
}

afterAll(async () => {
  db?.close();
  await browser?.close().catch(() => {});
  await killDemoProcesses();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the Jobs page in chromium', () => {
  it("opens from the navbar popup's All jobs link, and its table says what the database says", async () => {
    await byTestId('navbar-jobs-button').click();
    const all = byTestId('navbar-jobs-all');
    expect(await all.getAttribute('href')).toBe('/background-jobs');
    await all.click();
    await byTestId('jobs-page').waitFor();
    await rows().first().waitFor();
    await page.waitForFunction(() => (window as any).__page?.wsReady());
    expect(new URL(page.url()).pathname).toBe('/background-jobs');
    expect(await byTestId('menu-jobs-page').getAttribute('aria-current')).toBe('page');

    const jobs = dbJobs();
    await expect.poll(() => rows().count()).toBe(Math.min(25, jobs.length));
    for (const job of jobs) {
      const r = row(job.job_id);
      expect(await r.getAttribute('data-status'), job.name).toBe(job.status);
      expect(await r.locator('[data-testid="jobs-row-name"]').textContent()).toBe(job.name);
      expect(await r.locator('[data-testid="jobs-row-progress"]').textContent()).toBe(`${progressOf(job)}%`);
      const tasks = await r.locator('[data-testid="jobs-row-tasks"]').textContent();
      expect(tasks).toContain(`${job.done + job.failed}/${job.total} tasks`);
      if (job.failed > 0) expect(tasks).toContain(`${job.failed} failed`);
      if (job.cancelled > 0) expect(tasks).toContain(`${job.cancelled} cancelled`);
      // Started by: the user's name (email here), not the id.
      expect(await r.locator('[data-testid="jobs-row-started-by"]').textContent()).toBe(emailOf(job.started_by));
      // Bars take the colour of the job's status.
      expect(await backgroundOf(r.locator('[data-testid="job-progress-fill"]'))).toBe(FILL[job.status].light);
    }
    await shot('20-jobs-page');
    await expectAccessible('the Jobs page');
    await expectNoSidewaysScroll(1440);
  });

  it("shows each handler's numbers as the database has them: tasks and failures of the hour, failure rate, running and queued now", async () => {
    const cardValue = (handler: string, metric: string) =>
      page.locator(`[data-testid="handler-card"][data-handler="${handler}"] [data-metric="${metric}"] [data-testid="metric-value"]`).textContent();
    for (const handler of ['failing_job', 'quick_job', 'demo_job']) {
      const mine = dbJobs().filter((j) => j.handler === handler);
      const done = mine.reduce((n, j) => n + j.done, 0);
      const failed = mine.reduce((n, j) => n + j.failed, 0);
      await expect.poll(() => cardValue(handler, 'tasksLastHour'), { timeout: 20_000 }).toBe(String(done + failed));
      expect(await cardValue(handler, 'failedLastHour')).toBe(String(failed));
      const rate = failed / (done + failed) * 100;
      expect(Number((await cardValue(handler, 'failureRate'))!.replace(/[^\d.]/g, ''))).toBeCloseTo(rate, 1);
      expect(await cardValue(handler, 'running')).toBe(String(mine.filter((j) => j.status === 'IN_PROGRESS').length));
      expect(await cardValue(handler, 'queued')).toBe(String(mine.filter((j) => j.status === 'QUEUED').length));
      expect(await cardValue(handler, 'p50')).toMatch(/^\d+(\.\d)? (ms|s)$/);
      expect(await cardValue(handler, 'p95')).toMatch(/^\d+(\.\d)? (ms|s)$/);
      const sparkline = page.locator(`[data-testid="handler-card"][data-handler="${handler}"] [data-testid="sparkline"]`);
      expect(await sparkline.getAttribute('aria-label')).toContain(`${done + failed} in all`);
    }
  });

  it('filters by status, name and starter, keeps the filters in the address, and sorts by name', async () => {
    await byTestId('filter-status').selectOption('DONE_WITH_ERRORS');
    const withErrors = dbJobs().filter((j) => j.status === 'DONE_WITH_ERRORS');
    await expect.poll(async () => (await rows().evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')))).sort())
      .toEqual(withErrors.map((j) => j.job_id).sort());
    expect(new URL(page.url()).searchParams.get('status')).toBe('DONE_WITH_ERRORS');

    // The address brings the same view back.
    await openJobsPage(new URL(page.url()).search);
    expect(await byTestId('filter-status').inputValue()).toBe('DONE_WITH_ERRORS');
    await expect.poll(() => rows().count()).toBe(withErrors.length);
    await byTestId('filter-clear').click();

    await byTestId('filter-search').fill('failing');
    await expect.poll(async () => (await rows().evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')))).sort())
      .toEqual(dbJobs().filter((j) => j.name.includes('failing')).map((j) => j.job_id).sort());
    await byTestId('filter-search').fill('');

    const viewerId = (db.prepare("SELECT id FROM adminuser WHERE email = 'viewer'").get() as { id: string }).id;
    await byTestId('filter-started-by').selectOption({ label: 'viewer' });
    await expect.poll(async () => (await rows().evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')))).sort())
      .toEqual(dbJobs().filter((j) => j.started_by === viewerId).map((j) => j.job_id).sort());
    await byTestId('filter-clear').click();

    await byTestId('sort-name').click();
    await expect.poll(() => page.locator('th[aria-sort="ascending"]').textContent()).toContain('Name');
    const names = dbJobs().map((j) => j.name).sort();
    await expect.poll(() => rows().locator('[data-testid="jobs-row-name"]').allTextContents()).toEqual(names);
    await byTestId('sort-createdAt').click();
    await expect.poll(() => page.locator('th[aria-sort="descending"]').textContent()).toContain('Created');
  });

  it('retries exactly the jobs the confirmation counted: every failing job of the filter, and nothing else', async () => {
    await openJobsPage();
    await byTestId('filter-handler').selectOption('failing_job');
    await expect.poll(() => rows().count()).toBe(dbJobs().filter((j) => j.handler === 'failing_job').length);
    const before = new Map(dbJobs().map((j) => [j.job_id, attemptsOf(j.job_id)]));
    const eligible = dbJobs().filter((j) => j.handler === 'failing_job' && j.failed > 0 && ['DONE_WITH_ERRORS', 'CANCELLED', 'DONE'].includes(j.status));

    await byTestId('bulk-retry-matching').click();
    await byTestId('confirm-dialog').waitFor();
    const message = (await byTestId('confirm-message').textContent())!;
    const counted = Number(/Retry the failed tasks of (\d+) job/.exec(message)![1]);
    expect(counted).toBe(eligible.length);
    expect(await byTestId('confirm-yes').textContent()).toContain(`Retry ${counted} job(s)`);
    await shot('27-bulk-retry-confirmation', false);
    await expectAccessible('the bulk retry confirmation');
    // Focus starts on the safe answer and stays in the dialog.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-no');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-yes');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-no');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('jobs-notice').textContent()).toContain(`${counted} job(s) retried`);

    await until('the retried jobs to finish', () => settled(), { timeoutMs: 60_000, intervalMs: 200 });
    // A job was retried when some task of it ran again: exactly the counted ones, each failed task once more.
    const retried = dbJobs().filter((j) => {
      const was = before.get(j.job_id)!;
      return [...attemptsOf(j.job_id)].some(([idx, t]) => t.attempt > (was.get(idx)?.attempt ?? 0));
    });
    expect(retried.map((j) => j.job_id).sort()).toEqual(eligible.map((j) => j.job_id).sort());
    for (const job of retried) {
      const was = before.get(job.job_id)!;
      for (const [idx, task] of attemptsOf(job.job_id)) {
        expect(task.attempt, `job ${job.name} task ${idx}`).toBe(was.get(idx)!.attempt + (was.get(idx)!.status === 'FAILED' ? 1 : 0));
      }
    }
  });

  it('cancels the selected running jobs after a confirmation that counts them; the finished one selected stays as it is', async () => {
    await openJobsPage();
    const slowA = await startJob({ handler: 'demo_job', tasks: 200, taskMs: 1000 });
    const slowB = await startJob({ handler: 'demo_job', tasks: 200, taskMs: 1000 });
    // New jobs appear on the first page by themselves (live).
    await row(slowA).waitFor();
    await row(slowB).waitFor();
    await expect.poll(() => row(slowA).getAttribute('data-status')).toBe('IN_PROGRESS');
    await expect.poll(async () => Number((await row(slowA).locator('[data-testid="jobs-row-progress"]').textContent())!.replace('%', '')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await backgroundOf(row(slowA).locator('[data-testid="job-progress-fill"]'))).toBe(FILL.IN_PROGRESS.light);
    const finished = dbJobs().find((j) => j.status === 'DONE')!;

    for (const id of [slowA, slowB, finished.job_id]) {
      // By keyboard: focus the row's box and press Space.
      await row(id).locator('[data-testid="jobs-row-select"]').focus();
      await page.keyboard.press('Space');
    }
    expect((await byTestId('jobs-selected-count').textContent())!.trim()).toBe('3 selected');
    await byTestId('bulk-cancel-selected').focus();
    await page.keyboard.press('Enter');
    await byTestId('confirm-dialog').waitFor();
    const message = (await byTestId('confirm-message').textContent())!;
    expect(message).toContain('Cancel 2 job(s)?');
    expect(message).toContain('1 already finished and stay as they are.');
    expect(await backgroundOf(byTestId('confirm-yes'))).toBe('rgb(185, 28, 28)'); // red-700, as the button that asked
    // Escape answers no: nothing changes.
    await page.keyboard.press('Escape');
    await byTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(dbJob(slowA).status).toBe('IN_PROGRESS');

    await byTestId('bulk-cancel-selected').click();
    await byTestId('confirm-yes').click();
    await expect.poll(() => byTestId('jobs-notice').textContent()).toContain('2 job(s) cancelled.');
    expect(dbJob(slowA).status).toBe('CANCELLED');
    expect(dbJob(slowB).status).toBe('CANCELLED');
    expect(dbJob(finished.job_id).status).toBe('DONE');
    await expect.poll(() => row(slowA).getAttribute('data-status')).toBe('CANCELLED');
    const cancelled = dbJob(slowA);
    await expect.poll(() => row(slowA).locator('[data-testid="jobs-row-progress"]').textContent()).toBe(`${progressOf(cancelled)}%`);
    expect(progressOf(cancelled)).toBeLessThan(100);
    expect(await row(slowA).locator('[data-testid="jobs-row-tasks"]').textContent())
      .toContain(`${cancelled.done + cancelled.failed}/${cancelled.total} tasks · ${cancelled.cancelled} cancelled`);
    await expect.poll(() => backgroundOf(row(slowA).locator('[data-testid="job-progress-fill"]'))).toBe(FILL.CANCELLED.light);
  });

  it("opens a job's details by keyboard: focus stays in the dialog, a task's attempts and JSON show, one task is retried, Escape goes back to the row", async () => {
    await openJobsPage('?handler=demo_job&status=DONE_WITH_ERRORS');
    const job = dbJobs().find((j) => j.handler === 'demo_job' && j.status === 'DONE_WITH_ERRORS' && j.started_by !== null && emailOf(j.started_by) === 'adminforth')!;
    const name = row(job.job_id).locator('[data-testid="jobs-row-name"]');
    await name.focus();
    await page.keyboard.press('Enter');
    await details().waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('job-details-close');
    await expect.poll(() => byTestId('job-progress-text').textContent()).toContain(`${job.done} of ${job.total} tasks done`);
    expect(await backgroundOf(details().locator('[data-testid="job-progress-fill"]'))).toBe(FILL.DONE_WITH_ERRORS.light);
    // Tab never leaves the dialog.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
    }

    await byTestId('task-status-filter').selectOption('FAILED');
    const failedRow = page.locator('[data-testid="task-table"] tr[data-task-index="4"]');
    await failedRow.waitFor();
    const attemptBefore = attemptsOf(job.job_id).get(4)!.attempt;
    await failedRow.locator('[data-testid="task-state"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="task-attempt"]').first().waitFor();
    const attempts = page.locator('[data-testid="task-attempt"]');
    expect(await attempts.count()).toBe(attemptBefore);
    expect(await attempts.last().locator('[data-testid="task-attempt-error"]').textContent()).toContain('Task 4 failed on purpose');
    expect(await attempts.last().locator('[data-testid="task-attempt-duration"]').textContent()).toMatch(/^\d+ ms$/);
    expect(JSON.parse((await page.locator('[data-testid="task-state-full"] [data-testid="json-text"]').textContent())!)).toEqual({ taskMs: 20, fail: true });
    await shot('24-job-details-task-attempts', false);
    await expectAccessible('job details with a task opened');

    await byTestId('task-retry').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('task-retry-notice').textContent()).toContain('Task 4 scheduled again');
    await until('the task to run again', () => attemptsOf(job.job_id).get(4)!.attempt === attemptBefore + 1 && settled(), { timeoutMs: 30_000, intervalMs: 100 });
    // Only that task ran again.
    for (const [idx, task] of attemptsOf(job.job_id)) if (idx !== 4) expect(task.attempt).toBe(1);

    await setDark(true);
    await shot('25-job-details-dark', false);
    await expectAccessible('job details, dark');
    await setDark(false);

    await closeDetails();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('jobs-row-name');
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="jobs-row"]')?.getAttribute('data-job-id'))).toBe(job.job_id);
  });

  it('works in dark mode and at 360 px: no sideways scrolling, no serious axe violation', async () => {
    await openJobsPage();
    await setDark(true);
    // Dark bars keep their status colours.
    const anyFinished = dbJobs().find((j) => j.status === 'DONE_WITH_ERRORS')!;
    await expect.poll(() => backgroundOf(row(anyFinished.job_id).locator('[data-testid="job-progress-fill"]'))).toBe(FILL.DONE_WITH_ERRORS.dark);
    await shot('21-jobs-page-dark');
    await expectAccessible('the Jobs page, dark');
    await setDark(false);

    await page.setViewportSize({ width: 360, height: 740 });
    await openJobsPage();
    await expectNoSidewaysScroll(360);
    await shot('22-jobs-page-360');
    await expectAccessible('the Jobs page at 360 px');
    await setDark(true);
    await shot('23-jobs-page-360-dark');
    await expectAccessible('the Jobs page at 360 px, dark');
    await setDark(false);
    // On a phone the handler cards fold away (by keyboard), leaving the jobs first.
    await byTestId('handler-metrics-toggle').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('handler-card').count()).toBe(0);
    expect(await byTestId('handler-metrics-toggle').getAttribute('aria-expanded')).toBe('false');
    await shot('28-jobs-page-360-handlers-folded', false);
    await expectAccessible('the Jobs page at 360 px, handlers folded');
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('handler-card').count()).toBeGreaterThan(0);

    // Details at 360 px.
    await rows().first().locator('[data-testid="jobs-row-name"]').click();
    await details().waitFor();
    await expect.poll(() => page.locator('[data-testid="task-table"] tbody tr[data-task-index]').count()).toBeGreaterThan(0);
    await expectNoSidewaysScroll(360);
    await shot('26-job-details-360', false);
    await expectAccessible('job details at 360 px');
    await closeDetails();
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('lists the schedules as schedules/list has them; Resume and Pause by keyboard flip the badge and the database', async () => {
    await openJobsPage();
    const section = byTestId('schedules');
    await section.waitFor();
    const listed = await listedSchedules();
    expect(listed.map((s) => s.name)).toEqual([SCHEDULE]);
    await expect.poll(() => byTestId('schedule-row').count()).toBe(listed.length);
    for (const s of listed) {
      const r = page.locator(`[data-testid="schedule-row"][data-schedule="${s.name}"]`);
      expect(await r.locator('[data-testid="schedule-name"]').textContent()).toBe(s.name);
      expect(await r.locator('[data-testid="schedule-cron"] code').textContent()).toBe(s.cron);
      expect(await r.locator('[data-testid="schedule-timezone"]').textContent()).toBe(s.timezone);
      expect(await r.locator('[data-testid="schedule-handler"]').textContent()).toBe(s.jobHandlerName);
      expect((await r.locator('[data-testid="schedule-state"]').textContent())!.trim()).toBe(s.paused ? 'Paused' : 'Active');
      const next = r.locator('[data-testid="schedule-next"] time');
      expect(await next.count()).toBe(s.nextRunAt ? 1 : 0);
      if (s.nextRunAt) expect(await next.getAttribute('datetime')).toBe(s.nextRunAt);
      expect(await r.locator('[data-testid="schedule-last"] time').count()).toBe(s.lastRunAt ? 1 : 0);
      expect(await r.locator('[data-testid="schedule-last-job"]').count()).toBe(s.lastJobId ? 1 : 0);
    }
    const r = page.locator(`[data-testid="schedule-row"][data-schedule="${SCHEDULE}"]`);
    const state = () => r.locator('[data-testid="schedule-state"]').textContent().then((text) => text!.trim());
    expect(await state()).toBe('Paused');
    expect(dbSchedule(SCHEDULE).paused).toBe(1);

    // Resume, by keyboard: the badge, the database and the API agree; the next tick shows.
    const toggle = r.locator('[data-testid="schedule-toggle"]');
    await toggle.focus();
    expect((await toggle.textContent())!.trim()).toBe(`Resume ${SCHEDULE}`);
    await page.keyboard.press('Enter');
    await expect.poll(state).toBe('Active');
    expect(dbSchedule(SCHEDULE).paused).toBe(0);
    const [resumed] = await listedSchedules();
    expect(resumed).toMatchObject({ paused: false });
    expect(resumed.nextRunAt).not.toBeNull();
    // The next tick as the API has it.
    const next = r.locator('[data-testid="schedule-next"] time');
    await expect.poll(async () => (await next.getAttribute('datetime')) === (await listedSchedules())[0].nextRunAt).toBe(true);
    expect(await next.getAttribute('title')).toBe(await page.evaluate((iso) => new Date(iso!).toLocaleString('en'), await next.getAttribute('datetime')));
    expect(await byTestId('schedules-notice').textContent()).toContain(`Schedule ${SCHEDULE} resumed.`);
    // The focus stays on the button, which now pauses.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('schedule-toggle');
    expect((await toggle.textContent())!.trim()).toBe(`Pause ${SCHEDULE}`);
    await shot('29-jobs-page-schedules');
    await expectAccessible('the Jobs page with its schedules');
    await expectNoSidewaysScroll(1440);

    // Pause again (Enter on the same button): no next run, paused in the database.
    await page.keyboard.press('Enter');
    await expect.poll(state).toBe('Paused');
    expect(dbSchedule(SCHEDULE).paused).toBe(1);
    expect((await listedSchedules())[0]).toMatchObject({ paused: true, nextRunAt: null });
    expect((await r.locator('[data-testid="schedule-next"]').textContent())!.trim()).toBe('—');
    expect(await byTestId('schedules-notice').textContent()).toContain(`Schedule ${SCHEDULE} paused`);
  });

  it('runs a schedule now after a confirmation: the job shows in the jobs table, and its details name the schedule', async () => {
    await openJobsPage();
    const r = page.locator(`[data-testid="schedule-row"][data-schedule="${SCHEDULE}"]`);
    const run = r.locator('[data-testid="schedule-run"]');
    const before = dbScheduledJobs().length;
    await run.focus();
    await page.keyboard.press('Enter');
    await byTestId('confirm-dialog').waitFor();
    expect(await byTestId('confirm-message').textContent()).toBe(`Start a job of the schedule ${SCHEDULE} now, outside its ticks? It runs the handler quick_job. The schedule stays paused.`);
    expect((await byTestId('confirm-yes').textContent())!.trim()).toBe('Run now');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-no');
    await shot('31-run-now-confirmation', false);
    await expectAccessible('the run now confirmation');
    // Escape answers no: nothing starts, the focus is back on the button.
    await page.keyboard.press('Escape');
    await byTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('schedule-run');
    expect(dbScheduledJobs()).toHaveLength(before);

    await page.keyboard.press('Enter');
    await byTestId('confirm-dialog').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-yes');
    await page.keyboard.press('Enter');
    const started = byTestId('schedules-started-job');
    await started.waitFor();
    expect(await byTestId('schedules-notice').textContent()).toContain(`Schedule ${SCHEDULE} started a job.`);
    const jobId = (await started.getAttribute('data-job-id'))!;
    // The engine's row: a job of the schedule with no tick (a run now), started by nobody.
    expect(dbScheduledJobs()).toHaveLength(before + 1);
    expect(dbScheduledJobs().find((j) => j.job_id === jobId)).toEqual({ job_id: jobId, schedule_name: SCHEDULE, schedule_tick: null });
    expect(dbJob(jobId)).toMatchObject({ handler: 'quick_job', name: 'Scheduled demo job', started_by: null });
    expect((await listedSchedules())[0]).toMatchObject({ lastJobId: jobId, paused: true });
    // It arrives in the jobs table by itself, and is the schedule's last job.
    await row(jobId).waitFor();
    await until('the run-now job to finish', () => settled(), { timeoutMs: 30_000, intervalMs: 200 });
    await expect.poll(() => row(jobId).getAttribute('data-status')).toBe(dbJob(jobId).status);
    await expect.poll(() => r.locator('[data-testid="schedule-last-job"]').getAttribute('data-job-id')).toBe(jobId);
    expect(await r.locator('[data-testid="schedule-last"] time').count()).toBe(1);

    // Its details, from the notice's link by keyboard, say which schedule started it.
    await started.focus();
    await page.keyboard.press('Enter');
    await details().waitFor();
    expect(await details().getAttribute('data-job-id')).toBe(jobId);
    await expect.poll(() => byTestId('job-schedule').textContent().then((t) => t!.trim())).toBe(`Started by schedule ${SCHEDULE} (run now)`);
    await closeDetails();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('schedules-started-job');
    // And from the jobs table's row.
    await row(jobId).locator('[data-testid="jobs-row-name"]').click();
    await expect.poll(() => byTestId('job-schedule').textContent().then((t) => t!.trim())).toBe(`Started by schedule ${SCHEDULE} (run now)`);
    await closeDetails();
  });

  it('shows the schedules at 360 px in dark mode as stacked rows: no sideways scrolling, no serious axe violation', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await openJobsPage();
    await setDark(true);
    const r = page.locator(`[data-testid="schedule-row"][data-schedule="${SCHEDULE}"]`);
    await r.waitFor();
    // The cron, state and runs move under the name; the buttons stay in reach.
    expect(await r.locator('[data-testid="schedule-cron"]').isVisible()).toBe(false);
    expect(await r.locator('td').first().innerText()).toContain(`${YEARLY} (UTC)`);
    expect(await r.locator('td').first().innerText()).toContain('Paused');
    expect(await r.locator('[data-testid="schedule-toggle"]').isVisible()).toBe(true);
    expect(await r.locator('[data-testid="schedule-run"]').isVisible()).toBe(true);
    await expectNoSidewaysScroll(360);
    await shot('30-jobs-page-schedules-360-dark');
    // The last job, under the name, is in reach (not cut off) and opens by keyboard.
    const cell = (await r.locator('td').first().boundingBox())!;
    const lastJob = r.locator('td').first().getByRole('button', { name: 'last job' });
    const box = (await lastJob.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(cell.x + cell.width);
    await lastJob.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('job-schedule').textContent().then((t) => t!.trim())).toBe(`Started by schedule ${SCHEDULE} (run now)`);
    await expectNoSidewaysScroll(360);
    await closeDetails();
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('last job');
    await expectAccessible('the schedules at 360 px, dark');
    await setDark(false);
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('logs no console errors or warnings', () => {
    expect(consoleProblems).toEqual([]);
  });
});
