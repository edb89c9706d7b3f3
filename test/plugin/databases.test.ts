/**
 * One job end to end through the plugin on the host app, on each database the plugin supports
 * (SQLite always; PostgreSQL and MySQL/MariaDB when they answer): the store it picks for the
 * connector, the job's run, and the row mirrored into the user's jobs resource.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { availableDbKinds } from '../helpers/databases.js';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { databaseOf } from '../../plugin/src/adapter/options.js';

const kinds = await availableDbKinds();

let app: JobsApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe.each(kinds)('one job on %s', (kind) => {
  it('500 tasks, parallelLimit 5, one failing: DONE_WITH_ERRORS, row mirrored, task states kept', async () => {
    app = await startJobsApp({ kind });
    const { plugin } = app;
    let running = 0;
    let maxRunning = 0;
    plugin.registerTaskHandler({
      jobHandlerName: 'db_work',
      parallelLimit: 5,
      handler: async ({ taskIndex, setTaskStateField }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          await new Promise((resolve) => setImmediate(resolve));
          if (taskIndex === 137) throw new Error(`task ${taskIndex} failed on ${kind}`);
          await setTaskStateField('result', taskIndex * 2);
        } finally {
          running--;
        }
      },
    });
    const jobId = await plugin.startNewJob('on every database', null, Array.from({ length: 500 }, (_, i) => ({ state: { i } })), 'db_work');

    const row = async () => app!.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: jobId }]);
    await expect.poll(async () => (await row())?.status, { timeout: 60_000, interval: 100 }).toBe('DONE_WITH_ERRORS');
    const mirrored = await row();
    expect(mirrored).toMatchObject({ status: 'DONE_WITH_ERRORS', progress: '100', job_handler_name: 'db_work', name: 'on every database' });
    expect(Number.isNaN(Date.parse(mirrored!.finished_at))).toBe(false);

    const job = await plugin.getJob(jobId);
    expect(job).toMatchObject({ status: 'DONE_WITH_ERRORS', total: 500, done: 499, failed: 1, cancelled: 0 });
    expect(maxRunning).toBeLessThanOrEqual(5);

    const { tasks, total } = await plugin.getJobTasks(jobId, { limit: 500 });
    expect(total).toBe(500);
    expect(tasks.map((t) => t.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    for (const task of tasks) {
      if (task.index === 137) {
        expect(task).toMatchObject({ status: 'FAILED', attempt: 1, error: `task 137 failed on ${kind}`, state: { i: 137, error: `task 137 failed on ${kind}` } });
      } else {
        expect(task).toMatchObject({ status: 'DONE', attempt: 1, error: null, state: { i: task.index, result: task.index * 2 } });
      }
    }
  });
});

describe('the database of the jobs resource', () => {
  const resource = { resourceId: 'jobs', dataSource: 'maindb', columns: [] };
  const of = (url: string) => databaseOf([{ id: 'maindb', url }], resource);

  it('is picked from the data source URL', () => {
    expect(of('sqlite://./db.sqlite')).toBe('sqlite');
    expect(of('postgres://u@h:5432/db')).toBe('postgres');
    expect(of('postgresql://u@h/db')).toBe('postgres');
    expect(of('mysql://root@h:3306/db')).toBe('mysql');
  });

  it('fails start-up for any other connector, naming the supported ones', () => {
    expect(() => of('mongodb://h/db')).toThrow(/'mongodb:\/\/'.*SQLite \(sqlite:\/\/\), PostgreSQL \(postgres:\/\/ or postgresql:\/\/\) and MySQL\/MariaDB \(mysql:\/\/\)/);
  });
});
