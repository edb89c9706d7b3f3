/**
 * The Jobs page (plugin/custom/JobsPage.vue and its children) against a fake of the plugin's API:
 * what it asks `jobs/list` for (filters, search, sort, cursor pages), live rows from the job topic,
 * bulk actions that confirm a count and send the dry run's selection, metrics for admins only,
 * keyboard use of the details dialog, and the task table's attempts and single-task retry.
 */
import { describe, expect, it } from 'vitest';
import JobsPage from '../../../plugin/custom/JobsPage.vue';
import TaskTable from '../../../plugin/custom/TaskTable.vue';
import { emit } from '../stand-ins/websocket';
import { PLUGIN_ID, answer, answerConfirm, fakeApi, instancesAnswer, meta, mountWithI18n, settle, until } from '../helpers';
import { details, info, summary } from '../fixtures';
import { forgetCaller } from '../../../plugin/custom/utils';

const JOB_TOPIC = '/background-jobs-job-update';

function metricsAnswer() {
  const sparkline = { tasks: Array.from({ length: 60 }, (_, i) => (i === 59 ? 12 : 0)), failed: Array.from({ length: 60 }, (_, i) => (i === 59 ? 2 : 0)) };
  return {
    generatedAt: new Date().toISOString(),
    window: { minutes: 60, rateMinutes: 5, since: new Date().toISOString(), countingSince: new Date().toISOString() },
    handlers: [{
      handler: 'demo_job', registered: true, now: { queued: 1, running: 2 }, perMinute: { jobs: 0.4, tasks: 12 }, failureRate: 2 / 12,
      durationMs: { p50: 40, p95: 1200, count: 12 },
      lastHour: { jobsCreated: 2, jobsFinished: 1, jobsWithErrors: 1, jobsCancelled: 0, tasksDone: 10, tasksFailed: 2, attemptsRetried: 0 },
      sparkline,
    }],
  };
}

function pageApi(jobs = [
  summary({ id: 'a', name: 'Import A', status: 'IN_PROGRESS', progress: 40, startedByName: 'alice' }),
  summary({ id: 'b', name: 'Import B', status: 'DONE_WITH_ERRORS', progress: 100, tasks: { total: 10, done: 9, failed: 1, cancelled: 0 }, startedByName: 'bob' }),
  summary({ id: 'c', name: 'Export C', status: 'DONE', progress: 100, tasks: { total: 10, done: 10, failed: 0, cancelled: 0 }, startedBy: null }),
], isAdmin = true) {
  return fakeApi({
    '/plugin/background-jobs/instances': () => ({ ...instancesAnswer('1', isAdmin), instances: [{ instanceId: PLUGIN_ID, resourceId: 'jobs', isAdmin, pageUrl: '/background-jobs' }] }),
    'jobs/facets': () => ({ handlers: ['demo_job', 'other'], statuses: [], users: [{ id: '1', name: 'alice' }, { id: '2', name: 'bob' }], usersComplete: true, isAdmin }),
    'jobs/list': (body) => ({ jobs: body.cursor ? [jobs[2]] : jobs.slice(0, 2), nextCursor: body.cursor ? null : 'CURSOR-2' }),
    'metrics/handlers': () => (isAdmin ? metricsAnswer() : answer(403, { error: { code: 'FORBIDDEN', message: 'admins only' } })),
    'jobs/get': (body) => ({ job: details(jobs.find((j) => j.id === body.jobId)) }),
    '/plugin/get-background-job-info': (body) => info(jobs.find((j) => j.id === body.jobId)!),
    'jobs/tasks': () => ({ tasks: [], total: 0, limit: 10, offset: 0 }),
    'jobs/retry-matching': (body) => (body.dryRun
      ? { action: 'retry', dryRun: true, matched: body.jobIds?.length ?? 3, count: 1, skipped: { notApplicable: (body.jobIds?.length ?? 3) - 1, forbidden: 0, notFound: 0 }, selection: 'f'.repeat(64), jobIds: ['b'], changed: 0, unchanged: 0, tasks: 0, failed: [], failedCount: 0 }
      : { action: 'retry', dryRun: false, matched: 2, count: 1, skipped: { notApplicable: 1, forbidden: 0, notFound: 0 }, selection: 'f'.repeat(64), jobIds: ['b'], changed: 1, unchanged: 0, tasks: 1, failed: [], failedCount: 0 }),
    'jobs/cancel-matching': (body) => (body.dryRun
      ? { action: 'cancel', dryRun: true, matched: 3, count: 1, skipped: { notApplicable: 2, forbidden: 0, notFound: 0 }, selection: 'e'.repeat(64), jobIds: ['a'], changed: 0, unchanged: 0, tasks: 0, failed: [], failedCount: 0 }
      : answer(409, { error: { code: 'INVALID_STATE', message: 'The jobs to cancel are not the ones counted any more (now 2).', field: 'expect' } })),
  });
}

const rows = (wrapper: ReturnType<typeof mountWithI18n>) => wrapper.findAll('[data-testid="jobs-row"]');

describe('JobsPage', () => {
  it('finds its plugin instance, lists jobs with the starter by name, and pages by cursor', async () => {
    const api = pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    expect(rows(wrapper).map((r) => r.attributes('data-job-id'))).toEqual(['a', 'b']);
    expect(rows(wrapper)[0].find('[data-testid="jobs-row-started-by"]').text()).toBe('alice');
    expect(rows(wrapper)[1].find('[data-testid="jobs-row-tasks"]').text()).toContain('10/10 tasks');
    expect(rows(wrapper)[1].find('[data-testid="jobs-row-tasks"]').text()).toContain('1 failed');
    expect(rows(wrapper)[1].find('[data-testid="job-progress-fill"]').classes()).toContain('bg-orange-500');
    expect(api.callsTo('jobs/list')[0].body).toEqual({ sort: { field: 'createdAt', direction: 'desc' }, limit: 25 });

    await wrapper.find('[data-testid="jobs-next"]').trigger('click');
    await until(() => expect(rows(wrapper).map((r) => r.attributes('data-job-id'))).toEqual(['c']));
    expect(api.callsTo('jobs/list').at(-1)!.body).toMatchObject({ cursor: 'CURSOR-2' });
    expect(rows(wrapper)[0].find('[data-testid="jobs-row-started-by"]').text()).toBe('System');
    expect(wrapper.find('[data-testid="jobs-page-number"]').text()).toBe('Page 2');
    await wrapper.find('[data-testid="jobs-prev"]').trigger('click');
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    expect(api.callsTo('jobs/list').at(-1)!.body.cursor).toBeUndefined();
  });

  it('sends its filters, name search and sort to jobs/list, from the first page again', async () => {
    const api = pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    await wrapper.find('[data-testid="filter-status"]').setValue('active');
    await wrapper.find('[data-testid="filter-handler"]').setValue('demo_job');
    await wrapper.find('[data-testid="filter-started-by"]').setValue('2');
    expect(wrapper.find('[data-testid="filter-started-by"]').text()).toContain('bob');
    await wrapper.find('[data-testid="filter-range"]').setValue('24h');
    await wrapper.find('[data-testid="filter-search"]').setValue('import');
    await until(() => expect(api.callsTo('jobs/list').at(-1)!.body.search).toBe('import'));
    const body = api.callsTo('jobs/list').at(-1)!.body;
    expect(body).toMatchObject({ status: ['QUEUED', 'IN_PROGRESS'], handler: 'demo_job', startedBy: '2', search: 'import', limit: 25 });
    expect(Date.now() - Date.parse(body.createdAfter)).toBeGreaterThan(86_000_000);

    await wrapper.find('[data-testid="sort-name"]').trigger('click');
    await until(() => expect(api.callsTo('jobs/list').at(-1)!.body.sort).toEqual({ field: 'name', direction: 'asc' }));
    expect(wrapper.find('th[aria-sort="ascending"]').text()).toContain('Name');
    await wrapper.find('[data-testid="sort-name"]').trigger('click');
    await until(() => expect(api.callsTo('jobs/list').at(-1)!.body.sort).toEqual({ field: 'name', direction: 'desc' }));

    await wrapper.find('[data-testid="filter-clear"]').trigger('click');
    await until(() => expect(api.callsTo('jobs/list').at(-1)!.body).toEqual({ sort: { field: 'name', direction: 'desc' }, limit: 25 }));
  });

  it('follows the job topic: a row takes the new progress and status', async () => {
    pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    emit(JOB_TOPIC, { jobId: 'a', progress: 75, seq: 9 });
    await settle();
    expect(rows(wrapper)[0].find('[data-testid="jobs-row-progress"]').text()).toBe('75%');
    emit(JOB_TOPIC, { jobId: 'a', status: 'CANCELLED', progress: 80, seq: 10 });
    await settle();
    expect(rows(wrapper)[0].find('[data-testid="job-progress-fill"]').classes()).toContain('bg-gray-500');
    expect(rows(wrapper)[0].text()).toContain('Cancelled');
  });

  it('retries the selected jobs after a confirmation that says how many, sending the counted selection', async () => {
    const api = pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    for (const row of rows(wrapper)) await row.find('[data-testid="jobs-row-select"]').setValue(true);
    expect(wrapper.find('[data-testid="jobs-selected-count"]').text()).toBe('2 selected');
    await wrapper.find('[data-testid="bulk-retry-selected"]').trigger('click');
    await until(() => expect(document.querySelector('[data-testid="confirm-dialog"]')).not.toBeNull());
    expect(api.callsTo('jobs/retry-matching')[0].body).toEqual({ jobIds: ['a', 'b'], dryRun: true });
    const message = document.querySelector('[data-testid="confirm-message"]')!.textContent!;
    expect(message).toContain('Retry the failed tasks of 1 job(s)?');
    expect(message).toContain('1 have no failed tasks to retry');
    expect(document.querySelector('[data-testid="confirm-yes"]')!.textContent).toContain('Retry 1 job(s)');
    await answerConfirm(true);
    await until(() => expect(api.callsTo('jobs/retry-matching')).toHaveLength(2));
    expect(api.callsTo('jobs/retry-matching')[1].body).toEqual({ jobIds: ['a', 'b'], expect: 'f'.repeat(64) });
    await until(() => expect(wrapper.find('[data-testid="jobs-notice"]').text()).toContain('1 job(s) retried: 1 task(s) scheduled again.'));
    expect(wrapper.find('[data-testid="jobs-selected-count"]').text()).not.toContain('selected');
  });

  it('cancels everything matching the filters only as counted: a changed set is reported, not acted on', async () => {
    const api = pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    await wrapper.find('[data-testid="filter-handler"]').setValue('demo_job');
    await settle();
    await wrapper.find('[data-testid="bulk-cancel-matching"]').trigger('click');
    await until(() => expect(document.querySelector('[data-testid="confirm-dialog"]')).not.toBeNull());
    expect(api.callsTo('jobs/cancel-matching')[0].body).toEqual({ handler: 'demo_job', dryRun: true });
    expect(document.querySelector('[data-testid="confirm-message"]')!.textContent).toContain('Cancel 1 job(s)?');
    expect(document.querySelector('[data-testid="confirm-yes"]')!.className).toContain('bg-red-700');
    await answerConfirm(true);
    await until(() => expect(wrapper.find('[data-testid="jobs-notice"]').attributes('data-variant')).toBe('danger'));
    expect(api.callsTo('jobs/cancel-matching')[1].body).toEqual({ handler: 'demo_job', expect: 'e'.repeat(64) });
    expect(wrapper.find('[data-testid="jobs-notice"]').text()).toContain('not the ones counted any more');
  });

  it('shows per-handler metrics to admins only', async () => {
    pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(wrapper.find('[data-testid="handler-card"]').exists()).toBe(true));
    const card = wrapper.find('[data-testid="handler-card"][data-handler="demo_job"]');
    const value = (key: string) => card.find(`[data-metric="${key}"] [data-testid="metric-value"]`).text();
    expect([value('queued'), value('running'), value('failureRate'), value('tasksPerMinute'), value('p50'), value('p95')])
      .toEqual(['1', '2', '16.7 %', '12', '40 ms', '1.2 s']);
    expect(card.find('[data-testid="sparkline"]').attributes('aria-label')).toContain('12 in all');

    // Another user: the page asks again who the caller is.
    wrapper.unmount();
    forgetCaller();
    const viewerApi = pageApi(undefined, false);
    const viewer = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(viewer.findAll('[data-testid="jobs-row"]')).toHaveLength(2));
    expect(viewer.find('[data-testid="handler-metrics"]').exists()).toBe(false);
    expect(viewerApi.callsTo('metrics/handlers')).toHaveLength(0);
  });

  it('opens job details from a row; Escape closes them and gives the focus back to the row', async () => {
    pageApi();
    const wrapper = mountWithI18n(JobsPage, { props: { meta, syncUrl: false } });
    await until(() => expect(rows(wrapper)).toHaveLength(2));
    const name = rows(wrapper)[1].find('[data-testid="jobs-row-name"]');
    (name.element as HTMLElement).focus();
    await name.trigger('click');
    await until(() => expect(document.querySelector('[data-testid="job-details"]')).not.toBeNull());
    await until(() => expect(document.activeElement?.getAttribute('data-testid')).toBe('job-details-close'));
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => expect(document.querySelector('[data-testid="job-details"]')).toBeNull());
    expect(document.activeElement).toBe(name.element);
  });
});

describe('TaskTable: a task\'s attempts and retrying one task', () => {
  it('shows the attempts of an opened task and retries just that task through jobs/retry', async () => {
    const api = fakeApi({
      'jobs/tasks': () => ({ tasks: [{ index: 4, status: 'FAILED', attempt: 2, error: 'boom', state: { email: 'a@example.com', error: 'boom' } }], total: 1, limit: 10, offset: 0 }),
      'jobs/task-attempts': () => ({
        taskIndex: 4, complete: true, attempts: [
          { attempt: 1, status: 'RETRIED', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), durationMs: 35, error: 'timeout' },
          { attempt: 2, status: 'FAILED', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), durationMs: 1500, error: 'boom' },
        ],
      }),
      'jobs/retry': () => ({ jobId: 'j1', status: 'IN_PROGRESS', tasks: 1, changed: true, message: 'ok' }),
    });
    const wrapper = mountWithI18n(TaskTable, { props: { jobId: 'j1', pluginInstanceId: PLUGIN_ID, jobStatus: 'DONE_WITH_ERRORS', canManage: true } });
    await until(() => expect(wrapper.find('[data-task-index="4"]').exists()).toBe(true));
    await wrapper.find('[data-testid="task-state"]').trigger('click');
    await until(() => expect(wrapper.findAll('[data-testid="task-attempt"]')).toHaveLength(2));
    const attempts = wrapper.findAll('[data-testid="task-attempt"]');
    expect(attempts[0].text()).toContain('Attempt 1');
    expect(attempts[0].text()).toContain('Failed, retried');
    expect(attempts[0].find('[data-testid="task-attempt-duration"]').text()).toBe('35 ms');
    expect(attempts[1].find('[data-testid="task-attempt-error"]').text()).toBe('boom');
    // The state, whole and without the error it repeats, as JSON to copy.
    expect(JSON.parse(wrapper.find('[data-testid="json-text"]').text())).toEqual({ email: 'a@example.com' });

    await wrapper.find('[data-testid="task-retry"]').trigger('click');
    await until(() => expect(api.callsTo('jobs/retry')).toHaveLength(1));
    expect(api.callsTo('jobs/retry')[0].body).toEqual({ jobId: 'j1', scope: [4] });
    await until(() => expect(wrapper.find('[data-testid="task-retry-notice"]').text()).toContain('Task 4 scheduled again'));
    expect(wrapper.emitted('retried')).toEqual([[1]]);
  });

  it('offers no single-task retry while the job runs or to a user who may not manage it', async () => {
    fakeApi({
      'jobs/tasks': () => ({ tasks: [{ index: 0, status: 'FAILED', attempt: 1, error: 'x', state: {} }], total: 1, limit: 10, offset: 0 }),
      'jobs/task-attempts': () => ({ taskIndex: 0, complete: false, attempts: [] }),
    });
    for (const props of [{ jobStatus: 'IN_PROGRESS', canManage: true }, { jobStatus: 'DONE_WITH_ERRORS', canManage: false }]) {
      const wrapper = mountWithI18n(TaskTable, { props: { jobId: 'j1', pluginInstanceId: PLUGIN_ID, ...props } });
      await until(() => expect(wrapper.find('[data-task-index="0"]').exists()).toBe(true));
      await wrapper.find('[data-testid="task-state"]').trigger('click');
      await until(() => expect(wrapper.find('[data-testid="task-attempts-note"]').exists()).toBe(true));
      expect(wrapper.find('[data-testid="task-retry"]').exists()).toBe(false);
      wrapper.unmount();
    }
  });
});
