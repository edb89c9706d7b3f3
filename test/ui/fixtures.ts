/** Answers of the plugin's HTTP API as docs/http-api.md and plugin/src/http describe them. */
import type { JobDetails, JobSummary, ScheduleInfo } from '../../plugin/custom/utils';

export function summary(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: 'job-1',
    name: 'Import customers',
    handler: 'demo_job',
    status: 'IN_PROGRESS',
    progress: 40,
    startedBy: '1',
    createdAt: new Date(Date.now() - 90_000).toISOString(),
    finishedAt: null,
    tasks: { total: 10, done: 4, failed: 0, cancelled: 0 },
    lastError: null,
    ...overrides,
  };
}

export function details(overrides: Partial<JobDetails> = {}): JobDetails {
  return {
    ...summary(),
    state: {},
    taskCounts: { SCHEDULED: 5, IN_PROGRESS: 1, DONE: 4, FAILED: 0, CANCELLED: 0 },
    ...overrides,
  };
}

/** `get-background-job-info`'s answer for a job. */
export function info(job: { id: string; name: string; status: string; progress: number; createdAt: string | null }, customComponent?: { file: string; meta?: any }) {
  return {
    ok: true,
    job: { id: job.id, name: job.name, createdAt: job.createdAt, finishedAt: null, status: job.status, state: {}, progress: String(job.progress), customComponent },
  };
}

export function tasks(count: number, from = 0, status = 'DONE') {
  return Array.from({ length: count }, (_, i) => ({
    index: from + i, status, attempt: 1, error: null as string | null, state: { n: from + i },
  }));
}

/** A schedule as `schedules/list` answers it (docs/http-api.md "Schedules"). */
export function schedule(overrides: Partial<ScheduleInfo> = {}): ScheduleInfo {
  return {
    name: 'nightly-export',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    jobHandlerName: 'export_orders',
    jobName: 'Nightly export',
    overlap: 'skip',
    catchUp: 'last',
    paused: false,
    nextRunAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
    lastRunAt: new Date(Date.now() - 21 * 3600_000).toISOString(),
    lastTick: new Date(Date.now() - 21 * 3600_000).toISOString(),
    lastJobId: 'job-1',
    ...overrides,
  };
}
