/**
 * Job names the database cannot store (issue 17 §8): a 300-character name (MariaDB's
 * ER_DATA_TOO_LONG) and a NUL (PostgreSQL 22021) reached the caller as the driver's raw error.
 * Now they are refused before anything is written, with a message that names the fix; what the
 * database still refuses comes back naming the job and the resource, with the database's words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));

let app: JobsApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe.each(kinds)('job names (%s)', (kind) => {
  it('refuses a name over 255 characters or with a NUL before writing anything; takes 255 emoji', async () => {
    const a = (app = await startJobsApp({ kind }));
    a.plugin.registerTaskHandler({ jobHandlerName: 'noop', handler: async () => {} });
    await expect(a.plugin.startNewJob('x'.repeat(300), null, [{ state: {} }], 'noop'))
      .rejects.toThrow('The job name is 300 characters long; at most 255 are accepted: shorten it.');
    await expect(a.plugin.startNewJob('a\u0000b', null, [{ state: {} }], 'noop'))
      .rejects.toThrow('The job name contains a NUL character (\\u0000), which PostgreSQL cannot store: remove it.');
    expect(await a.admin.resource('jobs').count()).toBe(0);

    const longest = '🙂'.repeat(255);
    const id = String(await a.plugin.startNewJob(longest, null, [{ state: {} }], 'noop'));
    expect((await a.admin.resource('jobs').get([{ field: 'id', operator: 'eq', value: id }]))!.name).toBe(longest);
  });
});

describe.skipIf(!kinds.includes('mysql'))('what the database still refuses (mysql)', () => {
  it('comes back naming the job and the resource, with the database\'s message, and nothing is left half-written', async () => {
    const a = (app = await startJobsApp({ kind: 'mysql' }));
    a.plugin.registerTaskHandler({ jobHandlerName: 'noop', handler: async () => {} });
    // started_by is VARCHAR(191) in this jobs table; this user's primary key is longer.
    const error = await a.plugin.startNewJob('report', { pk: 'u'.repeat(200) }, [{ state: {} }], 'noop').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Could not create the row of job 'report' in resource 'jobs': Data too long for column 'started_by'/);
    expect(await a.admin.resource('jobs').count()).toBe(0);
    const client = a.admin.resource('jobs').dataConnector.client;
    const [[{ n }]] = await client.query('SELECT COUNT(*) AS n FROM af_bj_tasks');
    expect(Number(n)).toBe(0);
  });
});
