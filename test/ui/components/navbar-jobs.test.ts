import { describe, expect, it } from 'vitest';
import NavbarJobs from '../../../plugin/custom/NavbarJobs.vue';
import { emit, listenerCount } from '../stand-ins/websocket';
import { alerts } from '../stand-ins/adminforth';
import { fakeApi, instancesAnswer, meta, mountWithI18n, settle, until } from '../helpers';
import { details, info, summary } from '../fixtures';

const JOB_TOPIC = '/background-jobs-job-update';

function listApi(jobs: ReturnType<typeof summary>[]) {
  return fakeApi({
    'jobs/list': (body) => ({
      jobs: body.status ? jobs.filter((j) => body.status.includes(j.status)) : jobs.slice(0, body.limit),
      nextCursor: null,
    }),
    'jobs/get': (body) => ({ job: details(jobs.find((j) => j.id === body.jobId)) }),
    '/plugin/get-background-job-info': (body) => info(jobs.find((j) => j.id === body.jobId)!),
    '/plugin/background-jobs/instances': () => instancesAnswer('1'),
    'jobs/tasks': () => ({ tasks: [], total: 0, limit: 10, offset: 0 }),
  });
}

const badge = (wrapper: ReturnType<typeof mountWithI18n>) => wrapper.find('[data-testid="navbar-jobs-count"]');

describe('NavbarJobs', () => {
  it("counts the user's running and queued jobs and lists recent jobs with status, progress and time", async () => {
    const api = listApi([
      summary({ id: 'a', name: 'Send emails', status: 'IN_PROGRESS', progress: 40, createdAt: new Date(Date.now() - 60_000).toISOString() }),
      summary({ id: 'b', name: 'Resize images', status: 'QUEUED', progress: 0, createdAt: new Date(Date.now() - 120_000).toISOString() }),
      summary({ id: 'c', name: 'Old export', status: 'DONE', progress: 100, createdAt: new Date(Date.now() - 3 * 3600_000).toISOString() }),
    ]);
    const wrapper = mountWithI18n(NavbarJobs, { props: { meta, adminUser: { pk: '1', username: 'adminforth' } } });
    await settle();

    expect(badge(wrapper).text()).toBe('2');
    // Only the caller's own jobs: both list requests say `mine`.
    expect(api.callsTo('jobs/list').map((c) => c.body)).toEqual(expect.arrayContaining([
      { mine: true, limit: 20 },
      { mine: true, status: ['IN_PROGRESS', 'QUEUED'], limit: 100 },
    ]));

    await wrapper.find('[data-testid="navbar-jobs-button"]').trigger('click');
    await settle();
    const items = wrapper.findAll('[data-testid="jobs-list-item"]');
    expect(items.map((i) => i.find('[data-testid="jobs-list-name"]').text())).toEqual(['Send emails', 'Resize images', 'Old export']);
    expect(items[0].text()).toContain('In progress');
    expect(items[0].find('[data-testid="jobs-list-progress"]').text()).toBe('40%');
    expect(items[0].find('[data-testid="job-progress-fill"]').attributes('style')).toContain('width: 40%');
    expect(items[0].find('[role="progressbar"]').attributes('aria-valuenow')).toBe('40');
    // Bars take the colour of the job's status, as its badge does.
    expect(items[0].find('[data-testid="job-progress-fill"]').classes()).toContain('bg-blue-600');
    expect(items[2].find('[data-testid="job-progress-fill"]').classes()).toContain('bg-green-600');
    expect(items[2].text()).toContain('Done');
    expect(items[2].find('time').text()).toBe('3 hours ago');
  });

  it('follows the job topic: progress, finish, errors and new jobs', async () => {
    const jobs = [summary({ id: 'a', name: 'Send emails', status: 'IN_PROGRESS', progress: 10 })];
    const api = listApi(jobs);
    const wrapper = mountWithI18n(NavbarJobs, { props: { meta } });
    await settle();
    await wrapper.find('[data-testid="navbar-jobs-button"]').trigger('click');
    await settle();
    expect(listenerCount(JOB_TOPIC)).toBe(1);

    emit(JOB_TOPIC, { jobId: 'a', progress: 55 });
    await settle();
    expect(wrapper.find('[data-testid="jobs-list-progress"]').text()).toBe('55%');

    // A job the list does not know yet: the list is read again (the topic carries other users' jobs too).
    jobs.unshift(summary({ id: 'n', name: 'New job', status: 'IN_PROGRESS', progress: 0 }));
    const before = api.callsTo('jobs/list').length;
    emit(JOB_TOPIC, { jobId: 'n', status: 'IN_PROGRESS', name: 'New job', progress: 0, createdAt: new Date().toISOString() });
    await until(() => expect(wrapper.findAll('[data-testid="jobs-list-item"]')).toHaveLength(2));
    expect(api.callsTo('jobs/list').length).toBeGreaterThan(before);
    expect(badge(wrapper).text()).toBe('2');

    emit(JOB_TOPIC, { jobId: 'a', progress: 100 });
    emit(JOB_TOPIC, { jobId: 'a', status: 'DONE_WITH_ERRORS', finishedAt: new Date().toISOString(), error: 'Task 3 failed' });
    await settle();
    expect(badge(wrapper).text()).toBe('1');
    expect(wrapper.find('[data-job-id="a"]').text()).toContain('Done with errors');
    // A toast that goes by itself (AdminForth's `timeout`, in seconds), not one that lingers.
    expect(alerts).toEqual([expect.objectContaining({ variant: 'danger', message: expect.stringContaining('Task 3 failed'), timeout: 6 })]);

    // A cancelled job keeps the progress of what ran (the finish carries it), its bar grey.
    emit(JOB_TOPIC, { jobId: 'n', progress: 40 });
    emit(JOB_TOPIC, { jobId: 'n', status: 'CANCELLED', progress: 40 });
    await settle();
    expect(badge(wrapper).exists()).toBe(false);
    expect(wrapper.find('[data-job-id="n"] [data-testid="jobs-list-progress"]').text()).toBe('40%');
    expect(wrapper.find('[data-job-id="n"] [data-testid="job-progress-fill"]').classes()).toContain('bg-gray-500');

    wrapper.unmount();
    expect(listenerCount(JOB_TOPIC)).toBe(0);
  });

  it('ignores a duplicate or older numbered message; a jump in the numbers (task events) is applied without a read', async () => {
    const api = listApi([summary({ id: 'a', name: 'Send emails', status: 'IN_PROGRESS', progress: 10 })]);
    const wrapper = mountWithI18n(NavbarJobs, { props: { meta } });
    await settle();
    await wrapper.find('[data-testid="navbar-jobs-button"]').trigger('click');
    await settle();
    const progress = () => wrapper.find('[data-testid="jobs-list-progress"]').text();

    emit(JOB_TOPIC, { jobId: 'a', progress: 55, seq: 7 });
    emit(JOB_TOPIC, { jobId: 'a', progress: 30, seq: 6 });
    emit(JOB_TOPIC, { jobId: 'a', progress: 55, seq: 7 });
    await settle();
    expect(progress()).toBe('55%');

    // The job topic skips the numbers of task events: 20 after 7 is no lost message.
    const finishedAt = new Date().toISOString();
    emit(JOB_TOPIC, { jobId: 'a', status: 'DONE_WITH_ERRORS', finishedAt, error: 'Task 3 failed', seq: 20 });
    emit(JOB_TOPIC, { jobId: 'a', status: 'DONE_WITH_ERRORS', finishedAt, error: 'Task 3 failed', seq: 20 });
    await settle();
    expect(wrapper.find('[data-job-id="a"]').text()).toContain('Done with errors');
    expect(alerts).toHaveLength(1);
    expect(api.callsTo('jobs/events')).toHaveLength(0);
  });

  it('opens the job details from the list', async () => {
    listApi([summary({ id: 'a', name: 'Send emails' })]);
    const wrapper = mountWithI18n(NavbarJobs, { props: { meta } });
    await settle();
    await wrapper.find('[data-testid="navbar-jobs-button"]').trigger('click');
    await settle();
    await wrapper.find('[data-testid="jobs-list-item"]').trigger('click');
    await settle();
    expect(wrapper.find('[data-testid="navbar-jobs-dropdown"]').exists()).toBe(false);
    const dialog = document.body.querySelector('[data-testid="job-details"]');
    expect(dialog?.getAttribute('data-job-id')).toBe('a');
    expect(dialog?.querySelector('[data-testid="job-name"]')?.textContent).toBe('Send emails');

    (document.body.querySelector('[data-testid="job-details-close"]') as HTMLElement).click();
    await settle();
    expect(document.body.querySelector('[data-testid="job-details"]')).toBeNull();
  });

  it('shows an empty state', async () => {
    listApi([]);
    const wrapper = mountWithI18n(NavbarJobs, { props: { meta } });
    await settle();
    expect(badge(wrapper).exists()).toBe(false);
    await wrapper.find('[data-testid="navbar-jobs-button"]').trigger('click');
    await settle();
    expect(wrapper.find('[data-testid="navbar-jobs-empty"]').text()).toBe('You have no jobs yet');
  });
});
