import { describe, expect, it } from 'vitest';
import JobDetails from '../../../plugin/custom/JobDetails.vue';
import { emit, listenerCount } from '../stand-ins/websocket';
import { alerts } from '../stand-ins/adminforth';
import { answer, answerConfirm, fakeApi, instancesAnswer, meta, mountWithI18n, settle, until } from '../helpers';
import { details, info, tasks } from '../fixtures';
import type { JobDetails as Job, LoggedEvent } from '../../../plugin/custom/utils';

const JOB_TOPIC = '/background-jobs-job-update';
const TASK_TOPIC = '/background-jobs-task-update/j1';

/** An event of job j1 as `jobs/events` answers it. */
const logged = (seq: number, type: string, fields: Record<string, unknown> = {}): LoggedEvent =>
  ({ seq, at: new Date(1_700_000_000_000 + seq).toISOString(), type, jobId: 'j1', handler: 'demo_job', ...fields });

/** A fake API around one job; `jobs/tasks` pages through `all` with the status filter; `jobs/events` answers from `log`. */
function jobApi(job: Job, opts: { caller?: ReturnType<typeof instancesAnswer>; all?: ReturnType<typeof tasks>; log?: LoggedEvent[]; truncated?: boolean } = {}) {
  const all = opts.all ?? tasks(3);
  return fakeApi({
    'jobs/events': (body) => {
      const events = (opts.log ?? []).filter((e) => e.seq > body.after);
      return { events, lastSeq: opts.log?.at(-1)?.seq ?? 0, finished: false, truncated: opts.truncated ?? false, reset: false, durable: true };
    },
    'jobs/get': (body) => (body.jobId === job.id ? { job } : answer(404, { error: { code: 'NOT_FOUND', message: `Job ${body.jobId} not found.`, field: 'jobId' } })),
    '/plugin/get-background-job-info': (body) => (body.jobId === job.id ? info(job) : { ok: false, message: `Job with id ${body.jobId} not found.` }),
    '/plugin/background-jobs/instances': () => opts.caller ?? instancesAnswer('1'),
    'jobs/tasks': (body) => {
      const matching = body.status ? all.filter((t) => body.status.includes(t.status)) : all;
      return { tasks: matching.slice(body.offset, body.offset + body.limit), total: matching.length, limit: body.limit, offset: body.offset };
    },
    'jobs/cancel': () => ({ jobId: job.id, status: 'CANCELLED', changed: true, message: `Job ${job.id} was cancelled.` }),
    'jobs/retry': () => ({ jobId: job.id, status: 'IN_PROGRESS', tasks: 2, changed: true, message: `Job ${job.id}: 2 task(s) scheduled again.` }),
  });
}

const text = (wrapper: ReturnType<typeof mountWithI18n>, id: string) => wrapper.find(`[data-testid="${id}"]`).text();

describe('JobDetails', () => {
  it('shows name, status, progress, timings, task counts by status and the last error', async () => {
    const created = new Date(Date.now() - 125_000).toISOString();
    const job = details({
      id: 'j1', name: 'Import customers', status: 'DONE_WITH_ERRORS', progress: 100, createdAt: created,
      finishedAt: new Date(Date.now() - 5_000).toISOString(), lastError: 'Row 7: invalid email',
      tasks: { total: 10, done: 8, failed: 2, cancelled: 0 },
      taskCounts: { SCHEDULED: 0, IN_PROGRESS: 0, DONE: 8, FAILED: 2, CANCELLED: 0 },
    });
    jobApi(job);
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();

    expect(text(wrapper, 'job-name')).toBe('Import customers');
    expect(text(wrapper, 'job-status')).toBe('Done with errors');
    expect(text(wrapper, 'job-progress')).toBe('100%');
    expect(text(wrapper, 'job-progress-text')).toBe('8 of 10 tasks done, 2 failed');
    expect(wrapper.text()).toMatch(/Handler:\s+demo_job/);
    expect(wrapper.text()).toContain('2 min 0 s');
    const counts = Object.fromEntries(wrapper.findAll('[data-testid="task-counts"] > div').map((d) => [d.attributes('data-status'), d.find('[data-testid="task-count"]').text()]));
    expect(counts).toEqual({ SCHEDULED: '0', IN_PROGRESS: '0', DONE: '8', FAILED: '2', CANCELLED: '0' });
    expect(text(wrapper, 'job-last-error')).toContain('Row 7: invalid email');
  });

  it('pages the default task table, filters it by status and shows each task\'s error', async () => {
    const all = tasks(25);
    all[3] = { ...all[3], status: 'FAILED', error: 'Timeout after 30 s' };
    all[14] = { ...all[14], status: 'FAILED', error: 'Boom' };
    const api = jobApi(details({ id: 'j1' }), { all });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();

    const rows = () => wrapper.findAll('[data-testid="task-table"] tbody tr[data-task-index]');
    expect(rows()).toHaveLength(10);
    expect(rows()[3].find('[data-testid="task-error"]').text()).toBe('Timeout after 30 s');
    expect(text(wrapper, 'task-range')).toBe('Showing 1–10 of 25');
    expect(wrapper.find('[data-testid="task-prev"]').attributes('disabled')).toBeDefined();

    await wrapper.find('[data-testid="task-next"]').trigger('click');
    await settle();
    expect(api.callsTo('jobs/tasks').at(-1)!.body).toEqual({ jobId: 'j1', limit: 10, offset: 10 });
    expect(rows()[0].attributes('data-task-index')).toBe('10');
    await wrapper.find('[data-testid="task-next"]').trigger('click');
    await settle();
    expect(rows()).toHaveLength(5);
    expect(wrapper.find('[data-testid="task-next"]').attributes('disabled')).toBeDefined();

    await wrapper.find('[data-testid="task-status-filter"]').setValue('FAILED');
    await settle();
    expect(api.callsTo('jobs/tasks').at(-1)!.body).toEqual({ jobId: 'j1', status: ['FAILED'], limit: 10, offset: 0 });
    expect(rows().map((r) => r.find('[data-testid="task-error"]').text())).toEqual(['Timeout after 30 s', 'Boom']);
    expect(text(wrapper, 'task-range')).toBe('Showing 1–2 of 2');
  });

  it('updates live from the job and task topics', async () => {
    const job = details({ id: 'j1', progress: 40 });
    const api = jobApi(job, { all: tasks(3, 0, 'SCHEDULED') });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    // The details and the task table both follow both topics: the log numbers the events of both.
    expect(listenerCount(JOB_TOPIC)).toBe(2);
    expect(listenerCount('/background-jobs-task-update/j1')).toBe(2);

    emit(JOB_TOPIC, { jobId: 'other', progress: 99 });
    emit(JOB_TOPIC, { jobId: 'j1', progress: 70 });
    await settle();
    expect(text(wrapper, 'job-progress')).toBe('70%');

    emit('/background-jobs-task-update/j1', { taskIndex: 1, status: 'FAILED', error: 'Disk full' });
    await settle();
    // The counts move at once; the server's counts follow (below).
    const count = (status: string) => wrapper.find(`[data-testid="task-counts"] [data-status="${status}"] [data-testid="task-count"]`).text();
    expect([count('IN_PROGRESS'), count('FAILED')]).toEqual(['0', '1']);
    const row = wrapper.find('[data-task-index="1"]');
    expect(row.text()).toContain('Failed');
    expect(row.find('[data-testid="task-error"]').text()).toBe('Disk full');
    emit('/background-jobs-task-update/j1', { taskIndex: 2, state: { n: 2, sentAt: 'now' } });
    await settle();
    expect(wrapper.find('[data-task-index="2"]').text()).toContain('"sentAt":"now"');

    // Task events refresh the counts (throttled).
    const gets = api.callsTo('jobs/get').length;
    await until(() => expect(api.callsTo('jobs/get').length).toBeGreaterThan(gets));

    Object.assign(job, { status: 'DONE', progress: 100, finishedAt: new Date().toISOString() });
    emit(JOB_TOPIC, { jobId: 'j1', status: 'DONE', finishedAt: job.finishedAt });
    await settle();
    expect(text(wrapper, 'job-status')).toBe('Done');
    expect(text(wrapper, 'job-finished')).not.toBe('—');

    wrapper.unmount();
    expect(listenerCount(JOB_TOPIC)).toBe(0);
    expect(listenerCount('/background-jobs-task-update/j1')).toBe(0);
  });

  it('fills a gap in the websocket numbers from jobs/events, in order, and ignores a duplicate', async () => {
    const job = details({
      id: 'j1', progress: 0, tasks: { total: 3, done: 0, failed: 0, cancelled: 0 },
      taskCounts: { SCHEDULED: 3, IN_PROGRESS: 0, DONE: 0, FAILED: 0, CANCELLED: 0 },
    });
    // The server's jobs/get and jobs/tasks keep answering what they did at mount: what changes on
    // screen below comes from the socket and the log, not from a re-read.
    const log = [
      logged(1, 'task:started', { taskIndex: 0, attempt: 1 }),
      logged(2, 'task:done', { taskIndex: 0, attempt: 1 }),
      logged(3, 'task:started', { taskIndex: 1, attempt: 1 }),
      logged(4, 'task:failed', { taskIndex: 1, attempt: 1, error: 'Disk full', willRetry: false }),
      logged(5, 'job:progress', { progress: 66, total: 3, done: 1, failed: 1, cancelled: 0 }),
    ];
    const api = jobApi(job, { all: tasks(3, 0, 'SCHEDULED'), log });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    const count = (status: string) => wrapper.find(`[data-testid="task-counts"] [data-status="${status}"] [data-testid="task-count"]`).text();
    const row = (index: number) => wrapper.find(`[data-task-index="${index}"]`);

    emit(TASK_TOPIC, { taskIndex: 0, status: 'IN_PROGRESS', seq: 1 });
    emit(TASK_TOPIC, { taskIndex: 0, status: 'DONE', seq: 2 });
    // 3 and 4 were lost (the socket was reconnecting): 5 shows the gap.
    emit(JOB_TOPIC, { jobId: 'j1', progress: 66, seq: 5 });
    await settle();

    // One read for the details and the task table, from the last number both applied.
    expect(api.callsTo('jobs/events').map((c) => c.body)).toEqual([{ jobId: 'j1', after: 2, timeoutMs: 0 }]);
    expect(text(wrapper, 'job-progress')).toBe('66%');
    expect([count('SCHEDULED'), count('IN_PROGRESS'), count('DONE'), count('FAILED')]).toEqual(['1', '0', '1', '1']);
    expect(row(0).text()).toContain('Done');
    expect(row(1).text()).toContain('Failed');
    expect(row(1).find('[data-testid="task-error"]').text()).toBe('Disk full');

    // A duplicate (here of 3, "task 1 started") changes nothing; nor does an older progress.
    emit(TASK_TOPIC, { taskIndex: 1, status: 'IN_PROGRESS', seq: 3 });
    emit(JOB_TOPIC, { jobId: 'j1', progress: 33, seq: 4 });
    await settle();
    expect(row(1).text()).toContain('Failed');
    expect([count('IN_PROGRESS'), count('FAILED')]).toEqual(['0', '1']);
    expect(text(wrapper, 'job-progress')).toBe('66%');

    // The next number applies as it comes, without a read.
    emit(TASK_TOPIC, { taskIndex: 2, status: 'IN_PROGRESS', seq: 6 });
    await settle();
    expect(row(2).text()).toContain('In progress');
    expect(api.callsTo('jobs/events')).toHaveLength(1);
  });

  it('re-reads the job and its tasks when the log no longer holds the missed events', async () => {
    const job = details({ id: 'j1', progress: 10 });
    const api = jobApi(job, { all: tasks(3, 0, 'SCHEDULED'), log: [logged(40, 'job:progress', { progress: 80 })], truncated: true });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    const gets = api.callsTo('jobs/get').length;
    const taskReads = api.callsTo('jobs/tasks').length;

    emit(JOB_TOPIC, { jobId: 'j1', progress: 20, seq: 1 });
    job.progress = 80;
    emit(JOB_TOPIC, { jobId: 'j1', progress: 80, seq: 40 });
    await settle();
    expect(api.callsTo('jobs/events').map((c) => c.body)).toEqual([{ jobId: 'j1', after: 1, timeoutMs: 0 }]);
    // At once, not on the throttled reload a task update would bring.
    expect(api.callsTo('jobs/get').length).toBeGreaterThan(gets);
    expect(api.callsTo('jobs/tasks').length).toBeGreaterThan(taskReads);
    expect(text(wrapper, 'job-progress')).toBe('80%');
  });

  it('cancels after confirmation through jobs/cancel', async () => {
    const job = details({ id: 'j1', status: 'IN_PROGRESS', startedBy: '1' });
    const api = jobApi(job, { caller: instancesAnswer('1') });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    expect(wrapper.find('[data-testid="job-retry"]').exists()).toBe(false);

    await wrapper.find('[data-testid="job-cancel"]').trigger('click');
    expect(document.querySelector('[data-testid="confirm-message"]')?.textContent).toContain('Cancel the job "Import customers"?');
    // The destructive answer is drawn like the button that asked (danger: red), not as a primary button.
    expect(document.querySelector('[data-testid="confirm-yes"]')?.className).toContain('bg-red-700');
    expect(wrapper.find('[data-testid="job-cancel"]').classes()).toContain('bg-red-700');
    await answerConfirm(false);
    expect(api.callsTo('jobs/cancel')).toHaveLength(0);

    await wrapper.find('[data-testid="job-cancel"]').trigger('click');
    job.status = 'CANCELLED';
    await answerConfirm(true);
    expect(api.callsTo('jobs/cancel').map((c) => c.body)).toEqual([{ jobId: 'j1' }]);
    // Reported beside the buttons, not in a toast over the task table.
    expect(alerts).toEqual([]);
    expect(text(wrapper, 'job-action-notice')).toBe('Job cancelled');
    await settle();
    expect(text(wrapper, 'job-status')).toBe('Cancelled');
    expect(wrapper.find('[data-testid="job-cancel"]').exists()).toBe(false);
  });

  it('shows the server\'s reason when cancelling fails', async () => {
    const job = details({ id: 'j1', status: 'IN_PROGRESS' });
    fakeApi({
      'jobs/get': () => ({ job }),
      '/plugin/get-background-job-info': () => info(job),
      '/plugin/background-jobs/instances': () => instancesAnswer('1'),
      'jobs/tasks': () => ({ tasks: [], total: 0 }),
      'jobs/cancel': () => answer(409, { error: { code: 'INVALID_STATE', message: 'Job j1 already finished as DONE: there is nothing to cancel.' } }),
    });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    await wrapper.find('[data-testid="job-cancel"]').trigger('click');
    await answerConfirm(true);
    expect(wrapper.find('[data-testid="job-action-notice"]').attributes('data-variant')).toBe('danger');
    expect(text(wrapper, 'job-action-notice')).toContain('already finished as DONE');
  });

  it('retries the failed tasks of a finished job through jobs/retry', async () => {
    const job = details({
      id: 'j1', status: 'DONE_WITH_ERRORS', progress: 100, finishedAt: new Date().toISOString(),
      taskCounts: { SCHEDULED: 0, IN_PROGRESS: 0, DONE: 8, FAILED: 2, CANCELLED: 0 },
    });
    const api = jobApi(job);
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    expect(wrapper.find('[data-testid="job-cancel"]').exists()).toBe(false);
    Object.assign(job, { status: 'IN_PROGRESS', finishedAt: null, taskCounts: { ...job.taskCounts, FAILED: 0, SCHEDULED: 2 } });
    await wrapper.find('[data-testid="job-retry"]').trigger('click');
    await settle();
    expect(api.callsTo('jobs/retry').map((c) => c.body)).toEqual([{ jobId: 'j1', scope: 'failed' }]);
    expect(text(wrapper, 'job-action-notice')).toContain('2 failed task(s) scheduled again');
    expect(alerts).toEqual([]);
    expect(text(wrapper, 'job-status')).toBe('In progress');
    expect(wrapper.find('[data-testid="job-retry"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="job-cancel"]').exists()).toBe(true);
  });

  it('shows cancel and retry only to users who may manage the job', async () => {
    const running = details({ id: 'j1', status: 'IN_PROGRESS', startedBy: '7' });
    const cases: { caller: ReturnType<typeof instancesAnswer>; job: Job; buttons: boolean }[] = [
      { caller: instancesAnswer('1', false), job: running, buttons: false },       // another user's job
      { caller: instancesAnswer('1', true), job: running, buttons: true },         // an admin
      { caller: instancesAnswer('7', false), job: running, buttons: true },        // its starter
      { caller: instancesAnswer('1', true), job: { ...running, canManage: false }, buttons: false }, // the API's word wins
    ];
    for (const c of cases) {
      jobApi(c.job, { caller: c.caller });
      const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
      await settle();
      expect(wrapper.find('[data-testid="job-cancel"]').exists(), JSON.stringify(c.caller)).toBe(c.buttons);
      wrapper.unmount();
      const { forgetCaller } = await import('../../../plugin/custom/utils');
      forgetCaller();
    }
  });

  it('says when the job does not exist (or may not be seen)', async () => {
    jobApi(details({ id: 'j1' }));
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'missing', meta } });
    await settle();
    expect(text(wrapper, 'job-details-error')).toBe('Job missing not found.');
  });

  it('reports a lost session instead of failing silently', async () => {
    fakeApi({
      'jobs/get': () => answer(401, 'Unauthorized by AdminForth'),
      '/plugin/get-background-job-info': () => answer(401, ''),
      '/plugin/background-jobs/instances': () => answer(401, ''),
    });
    const wrapper = mountWithI18n(JobDetails, { props: { jobId: 'j1', meta } });
    await settle();
    expect(text(wrapper, 'job-details-error')).toContain('not logged in');
  });
});
