/**
 * The Jobs page's schedules (plugin/custom/SchedulesPanel.vue, in JobsPage.vue) against a fake of
 * the plugin's `schedules/*` API (docs/http-api.md "Schedules"): the table says what
 * `schedules/list` answers, Pause / Resume send the name and show the answer, Run now asks first
 * and then offers the started job, failures show inline, and the section stays out of the page for
 * an app without schedules, a user who is not an admin (403) and a plugin without the route (404).
 * And job details saying which schedule started a job.
 */
import { describe, expect, it, vi } from 'vitest';
import JobsPage from '../../../plugin/custom/JobsPage.vue';
import JobDetails from '../../../plugin/custom/JobDetails.vue';
import SchedulesPanel from '../../../plugin/custom/SchedulesPanel.vue';
import { emit } from '../stand-ins/websocket';
import { alerts } from '../stand-ins/adminforth';
import { PLUGIN_ID, allowConsole, answer, answerConfirm, fakeApi, instancesAnswer, meta, mountWithI18n, settle, until } from '../helpers';
import { details, info, schedule, summary } from '../fixtures';
import { formatDateTime, type ScheduleInfo } from '../../../plugin/custom/utils';

const JOB_TOPIC = '/background-jobs-job-update';

/** A fake `schedules/*` API over `list`, changed by pause, resume and run as the plugin does. */
function schedulesApi(list: ScheduleInfo[], extra: Record<string, (body: any) => unknown> = {}) {
  const find = (name: string) => list.find((s) => s.name === name);
  const missing = (name: string) => answer(404, { error: { code: 'NOT_FOUND', message: `No schedule named '${name}'.`, field: 'name' } });
  return fakeApi({
    'schedules/list': () => ({ schedules: list.map((s) => ({ ...s })) }),
    'schedules/pause': (body) => {
      const s = find(body.name);
      if (!s) return missing(body.name);
      Object.assign(s, { paused: true, nextRunAt: null });
      return { schedule: { ...s } };
    },
    'schedules/resume': (body) => {
      const s = find(body.name);
      if (!s) return missing(body.name);
      Object.assign(s, { paused: false, nextRunAt: new Date(Date.now() + 60_000).toISOString() });
      return { schedule: { ...s } };
    },
    'schedules/run': (body) => {
      const s = find(body.name);
      if (!s) return missing(body.name);
      Object.assign(s, { lastJobId: 'job-new', lastRunAt: new Date().toISOString() });
      return { schedule: { ...s }, jobId: 'job-new' };
    },
    ...extra,
  });
}

const rows = (wrapper: ReturnType<typeof mountWithI18n>) => wrapper.findAll('[data-testid="schedule-row"]');
const row = (wrapper: ReturnType<typeof mountWithI18n>, name: string) => wrapper.find(`[data-testid="schedule-row"][data-schedule="${name}"]`);

describe('SchedulesPanel', () => {
  it('shows what schedules/list answers: name, cron and time zone, handler, state, next and last run, the last job', async () => {
    const nightly = schedule();
    const hourly = schedule({ name: 'hourly-sync', cron: '0 * * * *', timezone: 'UTC', jobHandlerName: 'sync', paused: true, nextRunAt: null, lastRunAt: null, lastTick: null, lastJobId: null });
    const api = schedulesApi([nightly, hourly]);
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    expect(api.callsTo('schedules/list')[0].body).toEqual({});
    expect(wrapper.find('h2').text()).toContain('Schedules');

    const n = row(wrapper, 'nightly-export');
    expect(n.find('[data-testid="schedule-name"]').text()).toBe('nightly-export');
    expect(n.find('[data-testid="schedule-cron"] code').text()).toBe('30 2 * * *');
    expect(n.find('[data-testid="schedule-timezone"]').text()).toBe('Europe/Berlin');
    expect(n.find('[data-testid="schedule-handler"]').text()).toBe('export_orders');
    expect(n.find('[data-testid="schedule-state"]').text()).toBe('Active');
    expect(n.find('[data-testid="schedule-state"] [data-testid="schedule-badge"]').attributes('data-paused')).toBe('false');
    // Relative times as the rest of the page, the full date in the title.
    const next = n.find('[data-testid="schedule-next"] time');
    expect(next.text()).toBe('in 3 hours');
    expect(next.attributes('title')).toBe(formatDateTime(nightly.nextRunAt, 'en'));
    expect(next.attributes('datetime')).toBe(nightly.nextRunAt);
    const last = n.find('[data-testid="schedule-last"] time');
    expect(last.text()).toBe('21 hours ago');
    expect(last.attributes('title')).toBe(formatDateTime(nightly.lastRunAt, 'en'));
    expect(n.find('[data-testid="schedule-last-job"]').text()).toBe('job-1');
    expect(n.find('[data-testid="schedule-toggle"]').text()).toContain('Pause');

    const h = row(wrapper, 'hourly-sync');
    expect(h.attributes('data-paused')).toBe('true');
    expect(h.find('[data-testid="schedule-state"]').text()).toBe('Paused');
    expect(h.find('[data-testid="schedule-next"]').text()).toBe('—');
    expect(h.find('[data-testid="schedule-last"]').text()).toBe('—');
    expect(h.find('[data-testid="schedule-last-job"]').exists()).toBe(false);
    expect(h.find('[data-testid="schedule-toggle"]').text()).toContain('Resume');
    // Narrow screens: the hidden columns' values under the name.
    expect(h.text()).toContain('Next run: none while paused');
    expect(h.text()).toContain('Last run: never');

    // The last job opens like a row of the jobs table: the page is told which.
    await n.find('[data-testid="schedule-last-job"]').trigger('click');
    expect(wrapper.emitted('open')).toEqual([['job-1']]);
  });

  it('pauses and resumes by name: the badge follows the answer, the list is read again, and it says so', async () => {
    const api = schedulesApi([schedule()]);
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    const reads = api.callsTo('schedules/list').length;

    await row(wrapper, 'nightly-export').find('[data-testid="schedule-toggle"]').trigger('click');
    await until(() => expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-state"]').text()).toBe('Paused'));
    expect(api.callsTo('schedules/pause').map((c) => c.body)).toEqual([{ name: 'nightly-export' }]);
    expect(api.callsTo('schedules/list').length).toBe(reads + 1);
    expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-next"]').text()).toBe('—');
    expect(wrapper.find('[data-testid="schedules-notice"]').text()).toContain('Schedule nightly-export paused');
    expect(wrapper.find('[data-testid="schedules-notice"]').attributes('role')).toBe('status');

    await row(wrapper, 'nightly-export').find('[data-testid="schedule-toggle"]').trigger('click');
    await until(() => expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-state"]').text()).toBe('Active'));
    expect(api.callsTo('schedules/resume').map((c) => c.body)).toEqual([{ name: 'nightly-export' }]);
    expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-next"] time').text()).toMatch(/^in \d+ seconds?$|^in 1 minute$/);
    expect(wrapper.find('[data-testid="schedules-notice"]').text()).toContain('Schedule nightly-export resumed.');
  });

  it('runs now only after the confirmation, then offers the started job; Not now starts nothing', async () => {
    const api = schedulesApi([schedule({ paused: true, nextRunAt: null })]);
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    const run = row(wrapper, 'nightly-export').find('[data-testid="schedule-run"]');
    (run.element as HTMLElement).focus();

    await run.trigger('click');
    await until(() => expect(document.querySelector('[data-testid="confirm-dialog"]')).not.toBeNull());
    const message = document.querySelector('[data-testid="confirm-message"]')!.textContent!;
    expect(message).toContain('Start a job of the schedule nightly-export now, outside its ticks? It runs the handler export_orders.');
    expect(message).toContain('The schedule stays paused.');
    expect(document.querySelector('[data-testid="confirm-yes"]')!.textContent).toContain('Run now');
    // Focus on the safe answer; Escape answers no and gives the focus back.
    await until(() => expect(document.activeElement?.getAttribute('data-testid')).toBe('confirm-no'));
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => expect(document.querySelector('[data-testid="confirm-dialog"]')).toBeNull());
    expect(document.activeElement).toBe(run.element);
    await run.trigger('click');
    await answerConfirm(false);
    expect(api.callsTo('schedules/run')).toHaveLength(0);

    await run.trigger('click');
    await answerConfirm(true);
    await until(() => expect(api.callsTo('schedules/run')).toHaveLength(1));
    expect(api.callsTo('schedules/run')[0].body).toEqual({ name: 'nightly-export' });
    await until(() => expect(wrapper.find('[data-testid="schedules-notice"]').text()).toContain('Schedule nightly-export started a job.'));
    expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-last-job"]').text()).toBe('job-new');
    const link = wrapper.find('[data-testid="schedules-started-job"]');
    expect(link.attributes('data-job-id')).toBe('job-new');
    await link.trigger('click');
    expect(wrapper.emitted('open')).toEqual([['job-new']]);
  });

  it('shows a failed action inline, as an alert, and keeps the row as the server has it', async () => {
    schedulesApi([schedule()], {
      'schedules/run': () => answer(409, { error: { code: 'INVALID_STATE', message: "Schedule 'nightly-export' has no task to run." } }),
      'schedules/pause': () => answer(500, { error: { code: 'INTERNAL', message: 'database is locked' } }),
    });
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    await row(wrapper, 'nightly-export').find('[data-testid="schedule-toggle"]').trigger('click');
    await until(() => expect(wrapper.find('[data-testid="schedules-notice"]').attributes('data-variant')).toBe('danger'));
    expect(wrapper.find('[data-testid="schedules-notice"]').attributes('role')).toBe('alert');
    expect(wrapper.find('[data-testid="schedules-notice"]').text()).toBe('Could not pause the schedule nightly-export: database is locked');
    expect(row(wrapper, 'nightly-export').find('[data-testid="schedule-state"]').text()).toBe('Active');

    await row(wrapper, 'nightly-export').find('[data-testid="schedule-run"]').trigger('click');
    await answerConfirm(true);
    await until(() => expect(wrapper.find('[data-testid="schedules-notice"]').text()).toContain("Could not run the schedule nightly-export: Schedule 'nightly-export' has no task to run."));
    expect(wrapper.find('[data-testid="schedules-started-job"]').exists()).toBe(false);
    expect(alerts).toEqual([]);
  });

  it('stays out of the page without schedules, for a user who is not an admin (403), and without the route (404); other failures say so', async () => {
    const cases: [string, () => unknown][] = [
      ['no schedules', () => ({ schedules: [] })],
      ['403', () => answer(403, { error: { code: 'FORBIDDEN', message: 'Only admins may see and manage schedules.' } })],
      ['404 JSON', () => answer(404, { error: { code: 'NOT_FOUND', message: 'no such route' } })],
    ];
    for (const [label, list] of cases) {
      const api = fakeApi({ 'schedules/list': list });
      const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
      await until(() => expect(api.callsTo('schedules/list')).toHaveLength(1));
      await settle();
      expect(wrapper.find('[data-testid="schedules"]').exists(), label).toBe(false);
      expect(wrapper.text(), label).toBe('');
      wrapper.unmount();
    }

    // A plugin older than schedules behind a server that answers a missing route with a plain 404
    // page: AdminForth's callApi logs that the answer is not JSON; no alert, nothing shown.
    allowConsole(/error in callApi/);
    fakeApi({});
    const json = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => (String(input).endsWith('/schedules/list')
      ? new Response('<pre>Cannot POST</pre>', { status: 404, headers: { 'content-type': 'text/html' } })
      : json(input, init)));
    const old = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await settle();
    expect(old.find('[data-testid="schedules"]').exists()).toBe(false);
    expect(alerts).toEqual([]);
    old.unmount();

    fakeApi({ 'schedules/list': () => answer(503, { error: { code: 'NOT_READY', message: 'the jobs engine is not running' } }) });
    // Any other failure is said in the section, even before a schedule was seen.
    const failing = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(failing.find('[data-testid="schedules-error"]').exists()).toBe(true));
    expect(failing.find('[data-testid="schedules-error"]').text()).toBe('Could not load the schedules: the jobs engine is not running');
    expect(failing.find('[data-testid="schedules-error"]').attributes('role')).toBe('alert');
  });

  it('reads the list again when the page counts a job started or finished', async () => {
    const api = schedulesApi([schedule()]);
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID, jobEvents: 0 } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    expect(api.callsTo('schedules/list')).toHaveLength(1);
    await wrapper.setProps({ jobEvents: 1 });
    await wrapper.setProps({ jobEvents: 2 });
    // Throttled: one read for a burst of events.
    await until(() => expect(api.callsTo('schedules/list')).toHaveLength(2), 4000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.callsTo('schedules/list')).toHaveLength(2);
  });

  it('folds by keyboard and remembers it', async () => {
    schedulesApi([schedule()]);
    localStorage.removeItem('af-jobs-schedules-open');
    const wrapper = mountWithI18n(SchedulesPanel, { props: { pluginInstanceId: PLUGIN_ID } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    const toggle = wrapper.find('[data-testid="schedules-toggle"]');
    expect(toggle.attributes('aria-expanded')).toBe('true');
    expect(document.getElementById(toggle.attributes('aria-controls')!)).not.toBeNull();
    await toggle.trigger('click');
    expect(toggle.attributes('aria-expanded')).toBe('false');
    expect(rows(wrapper)).toHaveLength(0);
    expect(localStorage.getItem('af-jobs-schedules-open')).toBe('0');
    await toggle.trigger('click');
    expect(rows(wrapper)).toHaveLength(1);
    localStorage.removeItem('af-jobs-schedules-open');
  });
});

describe('the Jobs page with schedules', () => {
  function pageApi(isAdmin: boolean) {
    const jobs = [summary({ id: 'job-1', name: 'Nightly export', status: 'DONE', progress: 100, startedBy: null, schedule: { name: 'nightly-export', tick: '2026-03-02T01:30:00.000Z' } })];
    return schedulesApi([schedule()], {
      '/plugin/background-jobs/instances': () => ({ ...instancesAnswer('1', isAdmin), instances: [{ instanceId: PLUGIN_ID, resourceId: 'jobs', isAdmin, pageUrl: '/background-jobs' }] }),
      'jobs/facets': () => ({ handlers: ['export_orders'], statuses: [], users: [], usersComplete: true, isAdmin }),
      'jobs/list': () => ({ jobs, nextCursor: null }),
      'metrics/handlers': () => ({ generatedAt: new Date().toISOString(), window: { minutes: 60, rateMinutes: 5, since: new Date().toISOString(), countingSince: new Date().toISOString() }, handlers: [] }),
      'jobs/get': (body) => ({ job: details({ ...jobs.find((j) => j.id === body.jobId)!, taskCounts: { SCHEDULED: 0, IN_PROGRESS: 0, DONE: 10, FAILED: 0, CANCELLED: 0 } }) }),
      '/plugin/get-background-job-info': (body) => info(jobs.find((j) => j.id === body.jobId)!),
      'jobs/tasks': () => ({ tasks: [], total: 0, limit: 10, offset: 0 }),
    });
  }

  it('shows admins the schedules after the handlers; the last job opens its details; new jobs read the list again', async () => {
    const api = pageApi(true);
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(1));
    const sections = wrapper.findAll('section').map((s) => s.attributes('data-testid'));
    expect(sections.indexOf('schedules')).toBe(sections.indexOf('handler-metrics') + 1);

    const last = row(wrapper, 'nightly-export').find('[data-testid="schedule-last-job"]');
    (last.element as HTMLElement).focus();
    await last.trigger('click');
    await until(() => expect(document.querySelector('[data-testid="job-schedule"]')?.textContent?.trim())
      .toBe(`Started by schedule nightly-export (tick ${formatDateTime('2026-03-02T01:30:00.000Z', 'en')})`));
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => expect(document.querySelector('[data-testid="job-details"]')).toBeNull());
    expect(document.activeElement).toBe(last.element);

    const reads = api.callsTo('schedules/list').length;
    emit(JOB_TOPIC, { jobId: 'job-2', name: 'Nightly export', status: 'IN_PROGRESS', createdAt: new Date().toISOString() });
    await until(() => expect(api.callsTo('schedules/list').length).toBe(reads + 1), 4000);
  });

  it('asks nothing about schedules for a user who is not an admin', async () => {
    const api = pageApi(false);
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(wrapper.findAll('[data-testid="jobs-row"]')).toHaveLength(1));
    await settle();
    expect(wrapper.find('[data-testid="schedules"]').exists()).toBe(false);
    expect(api.callsTo('schedules/list')).toHaveLength(0);
  });
});

describe('JobDetails of a job a schedule started', () => {
  function detailsApi(job: ReturnType<typeof details>) {
    return fakeApi({
      'jobs/get': () => ({ job }),
      '/plugin/get-background-job-info': () => info(job),
      '/plugin/background-jobs/instances': () => instancesAnswer('1', true),
      'jobs/tasks': () => ({ tasks: [], total: 0, limit: 10, offset: 0 }),
    });
  }

  it('names the schedule and its tick, or says it was a run now; other jobs say nothing of schedules', async () => {
    const tick = '2026-03-02T01:30:00.000Z';
    detailsApi(details({ id: 'j1', startedBy: null, schedule: { name: 'nightly-export', tick } }));
    let wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await until(() => expect(wrapper.find('[data-testid="job-schedule"]').exists()).toBe(true));
    expect(wrapper.find('[data-testid="job-schedule"]').text()).toBe(`Started by schedule nightly-export (tick ${formatDateTime(tick, 'en')})`);
    wrapper.unmount();

    detailsApi(details({ id: 'j1', startedBy: null, schedule: { name: 'nightly-export', tick: null } }));
    wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await until(() => expect(wrapper.find('[data-testid="job-schedule"]').exists()).toBe(true));
    expect(wrapper.find('[data-testid="job-schedule"]').text()).toBe('Started by schedule nightly-export (run now)');
    wrapper.unmount();

    detailsApi(details({ id: 'j1', schedule: null }));
    wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await until(() => expect(wrapper.find('[data-testid="job-name"]').exists()).toBe(true));
    expect(wrapper.find('[data-testid="job-schedule"]').exists()).toBe(false);
  });
});
