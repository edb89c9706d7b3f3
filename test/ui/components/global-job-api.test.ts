import { describe, expect, it } from 'vitest';
import GlobalJobApi from '../../../plugin/custom/GlobalJobApi.vue';
import JobStatusBadge from '../../../plugin/custom/JobStatusBadge.vue';
import { emit } from '../stand-ins/websocket';
import { fakeApi, instancesAnswer, meta, mountWithI18n, settle } from '../helpers';
import { details, info } from '../fixtures';

const host = window as Window & { OpenJobInfoPopup?: (jobId: string | number) => void };

describe('GlobalJobApi', () => {
  it('exposes window.OpenJobInfoPopup(jobId), which opens live job details', async () => {
    const job = details({ id: '17', name: 'Nightly export', progress: 10 });
    fakeApi({
      'jobs/get': () => ({ job }),
      '/plugin/get-background-job-info': () => info(job),
      '/plugin/background-jobs/instances': () => instancesAnswer('1'),
      'jobs/tasks': () => ({ tasks: [], total: 0 }),
    });
    // Mounted the way AdminForth renders a header injection: `meta` and `adminUser` props.
    const wrapper = mountWithI18n(GlobalJobApi, { props: { meta, adminUser: { pk: '1', username: 'adminforth' } } });
    expect(typeof host.OpenJobInfoPopup).toBe('function');
    expect(document.querySelector('[data-testid="job-details"]')).toBeNull();

    host.OpenJobInfoPopup!(17);
    await settle();
    expect(document.querySelector('[data-testid="job-name"]')?.textContent).toBe('Nightly export');

    emit('/background-jobs-job-update', { jobId: '17', progress: 80 });
    await settle();
    expect(document.querySelector('[data-testid="job-progress"]')?.textContent).toBe('80%');

    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await settle();
    expect(document.querySelector('[data-testid="job-details"]')).toBeNull();

    wrapper.unmount();
    expect(host.OpenJobInfoPopup).toBeUndefined();
  });
});

describe('JobStatusBadge', () => {
  it('labels every job and task status through i18n, with the official StateToIcon call shape too', () => {
    const labels = ['QUEUED', 'IN_PROGRESS', 'DONE', 'DONE_WITH_ERRORS', 'CANCELLED', 'SCHEDULED', 'FAILED']
      .map((status) => mountWithI18n(JobStatusBadge, { props: { status } }).text());
    expect(labels).toEqual(['Queued', 'In progress', 'Done', 'Done with errors', 'Cancelled', 'Scheduled', 'Failed']);
    expect(mountWithI18n(JobStatusBadge, { props: { job: { status: 'DONE' } } }).attributes('data-status')).toBe('DONE');
  });
});
