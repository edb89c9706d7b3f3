/**
 * Request limits of the plugin's HTTP API (issue 5 §5): unknown fields, wrong types, oversized
 * limits, malformed ids and oversized bodies answer 400 `INVALID_INPUT` / `BODY_TOO_LARGE` naming
 * the field, and nothing reaches the engine.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { Gate, pluginCall, post, settle, type Credentials } from './http-helpers.js';

let app: JobsApp;
let admin: Credentials;
let jobId: string;
const gate = new Gate();

beforeAll(async () => {
  app = await startJobsApp();
  admin = { cookie: await app.login('adminforth', 'adminforth') };
  app.plugin.registerTaskHandler({ jobHandlerName: 'gated', handler: ({ signal }) => gate.wait(signal) });
  jobId = String(await app.plugin.startNewJob('validation', { pk: await app.userPk('adminforth') }, [{ state: {} }], 'gated'));
});
afterAll(async () => {
  if (app) await settle(app, [gate]);
  await app?.close();
});

const cursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'x'])).toString('base64url');

/** [action, body, field]: each body is wrong in exactly the named field. */
const cases = (): [string, unknown, string | undefined][] => [
  ['jobs/list', { nope: 1 }, 'nope'],
  ['jobs/list', { limit: 501 }, 'limit'],
  ['jobs/list', { limit: 0 }, 'limit'],
  ['jobs/list', { limit: '10' }, 'limit'],
  ['jobs/list', { limit: 1.5 }, 'limit'],
  ['jobs/list', { offset: -1 }, 'offset'],
  ['jobs/list', { status: ['RUNNING'] }, 'status[0]'],
  ['jobs/list', { status: 'DONE' }, 'status'],
  ['jobs/list', { status: [] }, 'status'],
  ['jobs/list', { handler: 5 }, 'handler'],
  ['jobs/list', { handler: '' }, 'handler'],
  ['jobs/list', { startedBy: true }, 'startedBy'],
  ['jobs/list', { mine: 'yes' }, 'mine'],
  ['jobs/list', { createdAfter: 'yesterday' }, 'createdAfter'],
  ['jobs/list', { createdBefore: 1700000000 }, 'createdBefore'],
  ['jobs/list', { cursor: 'not-a-cursor' }, 'cursor'],
  // Well-formed cursors this API never gave: a date that is not one, an empty id.
  ['jobs/list', { cursor: Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url') }, 'cursor'],
  ['jobs/list', { cursor: Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', ''])).toString('base64url') }, 'cursor'],
  ['jobs/list', { cursor, offset: 1 }, 'cursor'],
  ['jobs/list', [], undefined],
  ['jobs/get', {}, 'jobId'],
  ['jobs/get', { jobId: 'a b' }, 'jobId'],
  ['jobs/get', { jobId: -1 }, 'jobId'],
  ['jobs/get', { jobId: 1.5 }, 'jobId'],
  ['jobs/get', { jobId: {} }, 'jobId'],
  ['jobs/get', { jobId: null }, 'jobId'],
  ['jobs/get', { jobId: 'x'.repeat(256) }, 'jobId'],
  ['jobs/get', { jobId, extra: 1 }, 'extra'],
  ['jobs/tasks', { jobId, limit: 1000 }, 'limit'],
  ['jobs/tasks', { jobId, offset: 'next' }, 'offset'],
  ['jobs/tasks', { jobId, status: ['QUEUED'] }, 'status[0]'],
  ['jobs/tasks', { jobId, fields: 'a' }, 'fields'],
  ['jobs/tasks', { jobId, fields: [''] }, 'fields[0]'],
  ['jobs/cancel', { jobId: ['x'] }, 'jobId'],
  ['jobs/cancel', { jobId, force: true }, 'force'],
  ['jobs/retry', { jobId, scope: 'all' }, 'scope'],
  ['jobs/retry', { jobId, scope: [] }, 'scope'],
  ['jobs/retry', { jobId, scope: [-1] }, 'scope[0]'],
  ['jobs/retry', { jobId, scope: Array.from({ length: 5001 }, (_, i) => i) }, 'scope'],
  ['jobs/retry', { scope: 'failed' }, 'jobId'],
  ['jobs/events', { jobId, timeoutMs: 30_001 }, 'timeoutMs'],
  ['jobs/events', { jobId, after: -1 }, 'after'],
  ['jobs/events', { jobId, after: '3' }, 'after'],
  ['jobs/events', { jobId, limit: 501 }, 'limit'],
  ['tokens/create', {}, 'name'],
  ['tokens/create', { name: '   ' }, 'name'],
  ['tokens/create', { name: 'x'.repeat(101) }, 'name'],
  ['tokens/create', { name: 'ci\u0000' }, 'name'],
  ['tokens/create', { name: 'deploy \u202Egnp.exe' }, 'name'],
  ['tokens/create', { name: 'ci\u200Bbot' }, 'name'],
  ['tokens/create', { name: 'ci', expiresInDays: 0 }, 'expiresInDays'],
  ['tokens/create', { name: 'ci', admin: true }, 'admin'],
  ['tokens/list', { all: true }, 'all'],
  ['tokens/revoke', { id: 'abc' }, 'id'],
  ['tokens/revoke', {}, 'id'],
];

describe('request validation', () => {
  it('answers 400 naming the field, and nothing reaches the engine', async () => {
    const spies = [
      vi.spyOn(app.plugin, 'cancelJob'), vi.spyOn(app.plugin, 'retryJob'), vi.spyOn(app.plugin, 'getJobTasks'),
    ];
    const call = pluginCall(app, admin);
    for (const [action, body, field] of cases()) {
      const answer = await call(action, body);
      expect({ action, body: JSON.stringify(body).slice(0, 80), status: answer.status, code: answer.json?.error?.code, field: answer.json?.error?.field }).toEqual({
        action, body: JSON.stringify(body).slice(0, 80), status: 400, code: 'INVALID_INPUT', field,
      });
      if (field) expect(answer.json.error.message).toContain(`'${field}'`);
    }
    const instances = await post(app, '/plugin/background-jobs/instances', { verbose: true }, admin);
    expect(instances).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT', field: 'verbose' } } });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect((await app.plugin.getJob(jobId)).status).toBe('IN_PROGRESS');
    vi.restoreAllMocks();
  });

  it('rejects an oversized body naming its largest field', async () => {
    const answer = await pluginCall(app, admin)('jobs/list', { handler: 'x'.repeat(70_000), limit: 5 });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toEqual({ code: 'BODY_TOO_LARGE', field: 'handler', message: expect.stringContaining("largest field: 'handler'") });
  });

  it('answers bodies that are not JSON, nested too deep, or beyond the app\'s parser limit in the documented JSON shape', async () => {
    const path = `/plugin/${app.plugin.pluginInstanceId}/jobs/list`;
    const malformed = await post(app, path, null, admin, { raw: '{"limit": 5,' });
    expect(malformed).toMatchObject({ status: 400, contentType: expect.stringContaining('application/json'), json: { error: { code: 'INVALID_INPUT', message: expect.stringContaining('not valid JSON') } } });
    const deep = await post(app, path, null, admin, { raw: `{"handler":${'['.repeat(5000)}${']'.repeat(5000)}}` });
    expect(deep).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT', message: expect.stringContaining('nested') } } });
    // express.json() stops at 100 kB before the plugin sees anything.
    const huge = await post(app, path, null, admin, { raw: JSON.stringify({ handler: 'x'.repeat(200_000) }) });
    expect(huge).toMatchObject({ status: 400, json: { error: { code: 'BODY_TOO_LARGE' } } });
    // The official plugin's endpoints keep their own shape for business errors; a body that is
    // not JSON gets the same JSON error there too, not an HTML page.
    const compat = await post(app, `/plugin/${app.plugin.pluginInstanceId}/cancel-job`, null, admin, { raw: '{' });
    expect(compat).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT' } } });
  });

  it("keeps AdminForth's 415 for a body that is not JSON", async () => {
    const answer = await post(app, `/plugin/${app.plugin.pluginInstanceId}/jobs/list`, null, admin, { raw: 'limit=5', contentType: 'text/plain' });
    expect(answer.status).toBe(415);
  });

  it('answers a well-formed but unknown job id with 404 NOT_FOUND', async () => {
    const missing = randomUUID();
    expect(await pluginCall(app, admin)('jobs/get', { jobId: missing })).toMatchObject({
      status: 404, json: { error: { code: 'NOT_FOUND', message: `Job ${missing} not found.`, field: 'jobId' } },
    });
  });
});
