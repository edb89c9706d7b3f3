/**
 * The host's HTTP surface over real HTTP (contract §3, §9.5–9.6, §10): login and the auth cookie,
 * `server.endpoint()`'s order of checks and outputs, and `authorize()` for custom routes.
 */
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IHttpServer } from './types.js';
import { startHarness, STRING_BODY_TYPE, type Harness } from './http/test-harness.js';

const PASSWORD = 'correct horse battery staple';
const DAY = 86_400;

function postJson(url: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

/** The Set-Cookie for the auth cookie, split into its name=value and attributes. */
function authSetCookie(res: Response, cookieName: string): { value: string; attributes: Record<string, string> } {
  const header = res.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`));
  expect(header, `Set-Cookie for ${cookieName}`).toBeDefined();
  const [pair, ...rest] = header!.split('; ');
  const attributes: Record<string, string> = {};
  for (const attribute of rest) {
    const [key, value = ''] = attribute.split('=');
    attributes[key] = value;
  }
  return { value: pair.slice(cookieName.length + 1), attributes };
}

/** Endpoints a plugin might register, to pin `server.endpoint()` (contract §3.1). */
function testEndpoints(server: IHttpServer): void {
  server.endpoint({
    method: 'POST',
    path: '/plugin/test/echo',
    request_schema: z.object({ jobId: z.union([z.string(), z.number()]) }).strict(),
    handler: async ({ body, query, headers, cookies, adminUser, requestUrl, tr, abortSignal }) => ({
      body,
      query,
      contentType: headers['content-type'],
      cookieKeys: cookies.map((c) => c.key),
      adminUser,
      requestUrl,
      translated: await tr('Job {jobId} of {total}', 'background-jobs', { jobId: body.jobId, total: 3 }),
      aborted: abortSignal.aborted,
    }),
  });
  server.endpoint({ method: 'POST', path: '/plugin/test/throw', handler: async () => { throw new Error('handler exploded'); } });
  server.endpoint({
    method: 'POST',
    path: '/plugin/test/teapot',
    handler: async ({ response }) => {
      response.setHeader('x-test', 'yes');
      response.setStatus(418, 'I am a teapot');
      return { ignored: true };
    },
  });
  server.endpoint({
    method: 'POST',
    path: '/plugin/test/business-error',
    handler: async ({ response }) => {
      response.setStatus(409);
      return { ok: false, message: 'Cannot cancel a job with status DONE.' };
    },
  });
  server.endpoint({
    method: 'GET',
    path: '/plugin/test/raw',
    handler: async ({ _raw_express_res }) => {
      _raw_express_res.setHeader('content-type', 'text/plain');
      _raw_express_res.end('written by hand');
      return null;
    },
  });
  server.endpoint({ method: 'GET', path: '/plugin/test/public', noAuth: true, handler: async ({ adminUser }) => ({ adminUser: adminUser ?? null }) });
}

describe('contract §3.2 login, check_auth, logout, get_config', () => {
  let h: Harness;
  let userPk: string;

  beforeAll(async () => {
    h = await startHarness({ brandName: 'My App', auth: { rememberMeDuration: '7d' } });
    userPk = await h.createUser('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('names the cookie after the brand slug', () => {
    expect(h.cookieName).toBe('adminforth_my-app_jwt');
  });

  it('logs in: 200 {allowedLogin:true}, the cookie attributes, and a 1-day HS256 JWT {username, pk, t:"auth"}', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ allowedLogin: true });

    const { value, attributes } = authSetCookie(res, h.cookieName);
    expect(Object.keys(attributes).sort()).toEqual(['Expires', 'HttpOnly', 'Path', 'SameSite']);
    expect(attributes).toMatchObject({ Path: '/', HttpOnly: '', SameSite: 'Strict' });
    const expiresAt = Date.parse(attributes.Expires) / 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + DAY - 5);
    expect(expiresAt).toBeLessThanOrEqual(before + DAY + 5);

    const decoded = jwt.verify(value, process.env.ADMINFORTH_SECRET!, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(jwt.decode(value, { complete: true })!.header.alg).toBe('HS256');
    expect(Object.keys(decoded).sort()).toEqual(['exp', 'iat', 'pk', 't', 'username']);
    expect(decoded).toMatchObject({ username: 'admin@example.com', pk: userPk, t: 'auth' });
    expect(decoded.exp! - decoded.iat!).toBe(DAY);
  });

  it('with rememberMe uses auth.rememberMeDuration for the JWT and the cookie', async () => {
    const res = await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD, rememberMe: true });
    expect(res.status).toBe(200);
    const { value, attributes } = authSetCookie(res, h.cookieName);
    const decoded = jwt.decode(value) as jwt.JwtPayload;
    expect(decoded.exp! - decoded.iat!).toBe(7 * DAY);
    expect(Math.abs(Date.parse(attributes.Expires) / 1000 - (decoded.iat! + 7 * DAY))).toBeLessThanOrEqual(2);
  });

  it("normalises the username with the username column's normalize", async () => {
    const res = await postJson(`${h.api}/login`, { username: '  Admin@Example.COM ', password: PASSWORD });
    expect(res.status).toBe(200);
    expect((jwt.decode(authSetCookie(res, h.cookieName).value) as jwt.JwtPayload).username).toBe('admin@example.com');
  });

  it('answers 401 {error} for a wrong password, an unknown user and a missing password, without a cookie', async () => {
    for (const body of [
      { username: 'admin@example.com', password: 'wrong' },
      { username: 'nobody@example.com', password: PASSWORD },
      { username: 'admin@example.com' },
    ]) {
      const res = await postJson(`${h.api}/login`, body);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Invalid username or password' });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('check_auth answers {ok:true} with the cookie and 401 text/html without it', async () => {
    const cookie = await h.login('admin@example.com', PASSWORD);
    const ok = await postJson(`${h.api}/check_auth`, {}, cookie);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });

    const anonymous = await postJson(`${h.api}/check_auth`, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await anonymous.text()).toBe('Unauthorized by AdminForth');
  });

  it('logout needs no login, clears the cookie, and leaves the old JWT valid (nothing is revoked, §10)', async () => {
    const cookie = await h.login('admin@example.com', PASSWORD);
    const res = await postJson(`${h.api}/logout`, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const { value, attributes } = authSetCookie(res, h.cookieName);
    expect(value).toBe('');
    expect(attributes).toMatchObject({ Path: '/', HttpOnly: '', SameSite: 'Strict' });
    expect(Date.parse(attributes.Expires)).toBeLessThan(Date.now());

    expect((await postJson(`${h.api}/check_auth`, {}, cookie)).status).toBe(200);
  });

  it('get_config answers logged out and logged in', async () => {
    const anonymous = await fetch(`${h.api}/get_config`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({
      loggedIn: false,
      config: { brandName: 'My App', brandNameSlug: 'my-app', baseUrl: '' },
    });

    const cookie = await h.login('admin@example.com', PASSWORD);
    const res = await fetch(`${h.api}/get_config`, { headers: { cookie } });
    const body: any = await res.json();
    expect(body).toMatchObject({
      loggedIn: true,
      user: { pk: userPk, username: 'admin@example.com' },
      config: { brandName: 'My App', brandNameSlug: 'my-app', baseUrl: '' },
    });
    expect(body.config.resources).toContainEqual({ resourceId: 'adminuser', label: expect.any(String) });
    expect(Array.isArray(body.config.plugins)).toBe(true);
    expect(JSON.stringify(body)).not.toContain('password_hash');
  });

  it('a token for a deleted user, of another type, or signed with another secret is refused', async () => {
    const pk = await h.createUser('gone@example.com', PASSWORD);
    const cookie = await h.login('gone@example.com', PASSWORD);
    expect((await postJson(`${h.api}/check_auth`, {}, cookie)).status).toBe(200);
    await h.deleteUser(pk);
    expect((await postJson(`${h.api}/check_auth`, {}, cookie)).status).toBe(401);

    const otherType = h.admin.auth.issueJWT({ username: 'admin@example.com', pk: userPk }, 'tempLoginPassed', '1h');
    expect((await postJson(`${h.api}/check_auth`, {}, `${h.cookieName}=${otherType}`)).status).toBe(401);

    const forged = jwt.sign({ username: 'admin@example.com', pk: userPk, t: 'auth' }, 'another-secret', { expiresIn: 60 });
    expect((await postJson(`${h.api}/check_auth`, {}, `${h.cookieName}=${forged}`)).status).toBe(401);

    const expired = jwt.sign({ username: 'admin@example.com', pk: userPk, t: 'auth' }, process.env.ADMINFORTH_SECRET!, { expiresIn: -10 });
    expect((await postJson(`${h.api}/check_auth`, {}, `${h.cookieName}=${expired}`)).status).toBe(401);
  });

  it('reads the cookie naively: pairs must be separated by "; "', async () => {
    const cookie = await h.login('admin@example.com', PASSWORD);
    expect((await postJson(`${h.api}/check_auth`, {}, `theme=dark; ${cookie}; lang=en`)).status).toBe(200);
    expect((await postJson(`${h.api}/check_auth`, {}, `theme=dark;${cookie}`)).status).toBe(401);
  });
});

describe('contract §3.2 login rate limit and rememberMe default', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ auth: { loginRateLimits: ['3/1m'] } });
    await h.createUser('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('uses 30 days for rememberMe when auth.rememberMeDuration is not set, and the default brand cookie name', async () => {
    expect(h.cookieName).toBe('adminforth_test-host_jwt');
    const res = await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD, rememberMe: true });
    const decoded = jwt.decode(authSetCookie(res, h.cookieName).value) as jwt.JwtPayload;
    expect(decoded.exp! - decoded.iat!).toBe(30 * DAY);
  });

  it('counts every attempt, then answers 429 before checking the password', async () => {
    // One attempt was used above; two more are allowed, then even the right password is refused.
    expect((await postJson(`${h.api}/login`, { username: 'admin@example.com', password: 'wrong' })).status).toBe(401);
    expect((await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD })).status).toBe(200);
    const limited = await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'Too many login attempts, please try again later' });
    expect(limited.headers.getSetCookie()).toEqual([]);
  });
});

describe('contract §3.1 server.endpoint()', () => {
  let h: Harness;
  let cookie: string;
  let userPk: string;

  beforeAll(async () => {
    h = await startHarness({ endpoints: testEndpoints });
    userPk = await h.createUser('admin@example.com', PASSWORD);
    cookie = await h.login('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('answers 401 text/html before the content-type, body and schema checks', async () => {
    const attempts: { headers: Record<string, string>; body: string }[] = [
      { headers: { 'content-type': 'text/plain' }, body: '{not json' },
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extra: 1 }) },
      { headers: { 'content-type': 'application/json', cookie: `${h.cookieName}=garbage` }, body: '{}' },
    ];
    for (const init of attempts) {
      const res = await fetch(`${h.api}/plugin/test/echo`, { method: 'POST', ...init });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toBe('Unauthorized by AdminForth');
    }
  });

  it('answers 415 text for a non-JSON content type', async () => {
    const res = await fetch(`${h.api}/plugin/test/echo`, { method: 'POST', headers: { 'content-type': 'text/plain', cookie }, body: 'jobId=1' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/application\/json/);
  });

  it('answers 400 with AJV-shaped details when request_schema fails', async () => {
    const extraKey = await postJson(`${h.api}/plugin/test/echo`, { jobId: 1, extra: true }, cookie);
    expect(extraKey.status).toBe(400);
    expect(await extraKey.json()).toEqual({
      error: 'Request body validation failed',
      details: [{
        instancePath: '',
        schemaPath: '#/additionalProperties',
        keyword: 'additionalProperties',
        message: 'must NOT have additional properties',
        params: { additionalProperty: 'extra' },
      }],
    });

    const wrongType = await postJson(`${h.api}/plugin/test/echo`, { jobId: true }, cookie);
    expect(wrongType.status).toBe(400);
    const { details }: any = await wrongType.json();
    expect(details).toContainEqual({
      instancePath: '/jobId',
      schemaPath: '#/properties/jobId/type',
      keyword: 'type',
      message: 'must be string,number',
      params: { type: ['string', 'number'] },
    });

    const missing = await postJson(`${h.api}/plugin/test/echo`, {}, cookie);
    expect(((await missing.json()) as any).details).toEqual([expect.objectContaining({ keyword: 'required', params: { missingProperty: 'jobId' } })]);
  });

  it('gives the handler its input fields and sends the output with res.json', async () => {
    const res = await fetch(`${h.api}/plugin/test/echo?page=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', cookie: `theme=dark; ${cookie}` },
      body: JSON.stringify({ jobId: 'j-1' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const out: any = await res.json();
    expect(out).toMatchObject({
      body: { jobId: 'j-1' },
      query: { page: '2' },
      contentType: 'application/json; charset=utf-8',
      cookieKeys: ['theme', h.cookieName],
      requestUrl: '/adminapi/v1/plugin/test/echo?page=2',
      translated: 'Job j-1 of 3',
      aborted: false,
    });
    expect(Object.keys(out.adminUser).sort()).toEqual(['dbUser', 'exp', 'iat', 'pk', 't', 'username']);
    expect(out.adminUser).toMatchObject({ username: 'admin@example.com', pk: userPk, t: 'auth', dbUser: { id: userPk, email: 'admin@example.com', role: 'superadmin' } });
  });

  it('lets a thrown error reach Express 5, which answers 500 HTML', async () => {
    const res = await postJson(`${h.api}/plugin/test/throw`, {}, cookie);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/handler exploded|Internal Server Error/);
  });

  it('setStatus(code, message) sends the message as text with the collected headers', async () => {
    const res = await postJson(`${h.api}/plugin/test/teapot`, {}, cookie);
    expect(res.status).toBe(418);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(await res.text()).toBe('I am a teapot');
  });

  it('setStatus(code) without a message still sends the returned JSON', async () => {
    const res = await postJson(`${h.api}/plugin/test/business-error`, {}, cookie);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ ok: false, message: 'Cannot cancel a job with status DONE.' });
  });

  it('sends nothing itself when the handler returns null', async () => {
    const res = await fetch(`${h.api}/plugin/test/raw`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('written by hand');
  });

  it('needs no cookie on noAuth routes, where adminUser is undefined', async () => {
    const res = await fetch(`${h.api}/plugin/test/public`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ adminUser: null });
  });

  it('refuses a path that does not start with "/"', () => {
    expect(() => h.admin.express.endpoint({ path: 'plugin/x', handler: async () => ({}) })).toThrow(/must start with "\/"/);
  });
});

describe('contract §3.1 body handling: string bodies and bad JSON', () => {
  let h: Harness;
  let cookie: string;
  // A body parser that leaves bodies as strings (here express.text for a JSON-prefixed type).
  const postString = (url: string, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': STRING_BODY_TYPE, cookie }, body });

  beforeAll(async () => {
    h = await startHarness({
      stringBodies: true,
      endpoints: (server) => server.endpoint({ method: 'POST', path: '/plugin/test/echo', handler: async ({ body }) => ({ body }) }),
    });
    await h.createUser('admin@example.com', PASSWORD);
    cookie = await h.login('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('JSON-parses a string body', async () => {
    const res = await postString(`${h.api}/plugin/test/echo`, '{"a":1}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { a: 1 } });
  });

  it('answers 400 text "Invalid JSON body" when a string body is not JSON', async () => {
    const res = await postString(`${h.api}/plugin/test/echo`, '{not json');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Invalid JSON body');
  });

  it('with express.json(), malformed JSON is refused by the body parser before AdminForth runs', async () => {
    const res = await fetch(`${h.api}/plugin/test/echo`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).not.toBe('Invalid JSON body');
  });

  it('uses {} when there is no body', async () => {
    const res = await fetch(`${h.api}/plugin/test/echo`, { method: 'POST', headers: { 'content-type': 'application/json', cookie } });
    expect(await res.json()).toEqual({ body: {} });
  });
});

describe('contract §3.3 authorize() on custom Express routes, and baseUrl', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      baseUrl: '/admin',
      routes: (app, admin) => {
        app.get('/api/whoami', admin.express.authorize(async (req: any, res: any) => {
          res.json({ username: req.adminUser.username, pk: req.adminUser.pk, hasDbUser: Boolean(req.adminUser.dbUser) });
        }));
      },
    });
    await h.createUser('admin@example.com', PASSWORD);
  });
  afterAll(() => h.close());

  it('serves the API under <baseUrl>/adminapi/v1 and sets the cookie Path to baseUrl', async () => {
    expect(h.api).toMatch(/\/admin\/adminapi\/v1$/);
    const res = await postJson(`${h.api}/login`, { username: 'admin@example.com', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(authSetCookie(res, h.cookieName).attributes.Path).toBe('/admin');
    expect((await postJson(`${h.origin}/adminapi/v1/login`, {})).status).toBe(404);
  });

  it('sets req.adminUser with the cookie and answers 401 text/html without it', async () => {
    const cookie = await h.login('admin@example.com', PASSWORD);
    const ok = await fetch(`${h.origin}/api/whoami`, { headers: { cookie } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ username: 'admin@example.com', pk: expect.any(String), hasDbUser: true });

    const anonymous = await fetch(`${h.origin}/api/whoami`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await anonymous.text()).toBe('Unauthorized by AdminForth');
  });
});
