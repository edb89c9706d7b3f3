/**
 * Personal API tokens (docs/http-api.md "Tokens"): minted from a login session and shown once,
 * stored hashed, listed without secrets, revocable; `Authorization: Bearer` acts as the token's
 * user under the same policy, on the plugin's own endpoints and on `jobs/events`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobsApp, type JobsApp } from './fixtures.js';
import { Gate, pluginCall, post, settle, type Credentials } from './http-helpers.js';
import { availableDbKinds } from '../helpers/databases.js';
import { SUPPORTED_DATABASES } from '../../plugin/src/adapter/options.js';

const kinds = (await availableDbKinds()).filter((k) => (SUPPORTED_DATABASES as readonly string[]).includes(k));
const UNAUTHORIZED = { status: 401, text: 'Unauthorized by AdminForth' };

describe.each(kinds)('personal tokens (%s)', (kind) => {
  let app: JobsApp;
  let adminCookie: Credentials;
  let viewerCookie: Credentials;
  let adminJob: string;
  let viewerJob: string;
  const gate = new Gate();

  beforeAll(async () => {
    app = await startJobsApp({ kind });
    adminCookie = { cookie: await app.login('adminforth', 'adminforth') };
    viewerCookie = { cookie: await app.login('viewer', 'viewer') };
    app.plugin.registerTaskHandler({ jobHandlerName: 'gated', handler: ({ signal }) => gate.wait(signal) });
    adminJob = String(await app.plugin.startNewJob('admin job', { pk: await app.userPk('adminforth') }, [{ state: {} }], 'gated'));
    viewerJob = String(await app.plugin.startNewJob('viewer job', { pk: await app.userPk('viewer') }, [{ state: {} }], 'gated'));
  });
  afterAll(async () => {
    if (app) await settle(app, [gate]);
    await app?.close();
  });

  const mint = async (credentials: Credentials, body: object = { name: 'ci' }) => {
    const answer = await pluginCall(app, credentials)('tokens/create', body);
    expect(answer.status).toBe(200);
    return answer.json;
  };
  const unauthorized = (answer: { status: number; text: string }) => ({ status: answer.status, text: answer.text });

  it('mints a token shown once, stores only its hash and lists it without the secret', async () => {
    const minted = await mint(adminCookie, { name: 'CI deploy', expiresInDays: 30 });
    expect(minted).toEqual({
      token: expect.stringMatching(/^afjobs_[A-Za-z0-9_-]{43}$/), id: expect.stringMatching(/^tok_[0-9a-f]{16}$/), name: 'CI deploy',
      prefix: minted.token.slice(0, 13), createdAt: expect.any(String), expiresAt: expect.any(String), lastUsedAt: null,
    });
    expect(Date.parse(minted.expiresAt) - Date.parse(minted.createdAt)).toBe(30 * 24 * 3600_000);

    const listed = await pluginCall(app, adminCookie)('tokens/list');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(minted.token);
    expect(listed.json.tokens).toContainEqual({ id: minted.id, name: 'CI deploy', prefix: minted.prefix, createdAt: minted.createdAt, expiresAt: minted.expiresAt, lastUsedAt: null });
    // The viewer does not see the admin's tokens.
    expect((await pluginCall(app, viewerCookie)('tokens/list')).json.tokens.map((t: any) => t.id)).not.toContain(minted.id);

    const rows = await rawTokens(app);
    const row = rows.find((r) => r.id === minted.id)!;
    expect(row.token_hash).toBe(createHash('sha256').update(minted.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(minted.token);
  });

  it('acts as its user under the same policy, on the API and on jobs/events', async () => {
    const adminToken = { token: (await mint(adminCookie)).token };
    const viewerToken = { token: (await mint(viewerCookie)).token };
    const who = await post(app, '/plugin/background-jobs/instances', {}, viewerToken);
    expect(who.json.user).toEqual({ pk: await app.userPk('viewer'), username: 'viewer', via: 'token' });

    const asViewer = pluginCall(app, viewerToken);
    expect((await asViewer('jobs/list', {})).json.jobs.map((j: any) => j.id)).toEqual([viewerJob]);
    expect((await asViewer('jobs/get', { jobId: adminJob })).status).toBe(404);
    expect((await asViewer('jobs/events', { jobId: adminJob, timeoutMs: 0 })).status).toBe(404);
    expect((await asViewer('jobs/events', { jobId: viewerJob, timeoutMs: 0 })).json.events[0]).toMatchObject({ type: 'job:created', jobId: viewerJob });

    const asAdmin = pluginCall(app, adminToken);
    expect((await asAdmin('jobs/get', { jobId: viewerJob })).json.job).toMatchObject({ id: viewerJob, status: 'IN_PROGRESS' });
    expect((await asAdmin('jobs/list', {})).json.jobs.map((j: any) => j.id).sort()).toEqual([adminJob, viewerJob].sort());
    await expect.poll(async () => (await pluginCall(app, adminCookie)('tokens/list')).json.tokens.find((t: any) => t.prefix === adminToken.token.slice(0, 13))?.lastUsedAt).toEqual(expect.any(String));
  });

  it('cannot mint tokens itself, nor call the cookie-only official endpoints', async () => {
    const token = { token: (await mint(viewerCookie)).token };
    const minted = await pluginCall(app, token)('tokens/create', { name: 'again' });
    expect(minted).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
    expect(unauthorized(await pluginCall(app, token)('get-list-of-jobs'))).toEqual(UNAUTHORIZED);
  });

  it('stops working once revoked or expired', async () => {
    const minted = await mint(viewerCookie);
    const token = { token: minted.token };
    expect((await pluginCall(app, token)('jobs/list', {})).status).toBe(200);
    // Another user cannot revoke it, and cannot tell it exists.
    expect(await pluginCall(app, adminCookie)('tokens/revoke', { id: minted.id })).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND', field: 'id' } } });
    expect(await pluginCall(app, viewerCookie)('tokens/revoke', { id: minted.id })).toMatchObject({ status: 200, json: { id: minted.id, revoked: true } });
    expect(unauthorized(await pluginCall(app, token)('jobs/list', {}))).toEqual(UNAUTHORIZED);
    expect((await pluginCall(app, viewerCookie)('tokens/revoke', { id: minted.id })).status).toBe(404);

    // A token can revoke itself (a CI job cleaning up after itself).
    const self = await mint(viewerCookie);
    expect((await pluginCall(app, { token: self.token })('tokens/revoke', { id: self.id })).json).toEqual({ id: self.id, revoked: true });
    expect(unauthorized(await pluginCall(app, { token: self.token })('tokens/list'))).toEqual(UNAUTHORIZED);

    const expiring = await mint(viewerCookie, { name: 'short', expiresInDays: 1 });
    expect((await pluginCall(app, { token: expiring.token })('jobs/list', {})).status).toBe(200);
    await expireToken(app, expiring.id);
    expect(unauthorized(await pluginCall(app, { token: expiring.token })('jobs/list', {}))).toEqual(UNAUTHORIZED);
  });

  it('answers 401 for a token whose user was deleted', async () => {
    const minted = await mint(viewerCookie);
    await runSql(app, 'UPDATE af_bj_tokens SET user_pk = ? WHERE id = ?', ['no-such-user', minted.id]);
    expect(unauthorized(await pluginCall(app, { token: minted.token })('jobs/list', {}))).toEqual(UNAUTHORIZED);
  });
});

/** Raw SQL on the app's database through the jobs resource's connector client. */
async function runSql(app: JobsApp, sql: string, params: unknown[]): Promise<any[]> {
  const client: any = app.admin.resource('jobs').dataConnector.client;
  switch (app.db.kind) {
    case 'sqlite': {
      const statement = client.prepare(sql);
      return statement.reader ? statement.all(...params) : (statement.run(...params), []);
    }
    case 'postgres': {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    }
    case 'mysql': {
      const [rows] = await client.query(sql, params);
      return Array.isArray(rows) ? rows : [];
    }
  }
}

function rawTokens(app: JobsApp): Promise<any[]> {
  return runSql(app, 'SELECT * FROM af_bj_tokens', []);
}

async function expireToken(app: JobsApp, id: string): Promise<void> {
  await runSql(app, 'UPDATE af_bj_tokens SET expires_at = ? WHERE id = ?', [Date.now() - 1000, id]);
}
