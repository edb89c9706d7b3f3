/**
 * The demo started without ADMINFORTH_SECRET (issue 17 §9): it used to fall back to a secret
 * written in its source, so anyone could mint a superadmin's cookie. Now it makes a random one,
 * kept beside its database with mode 0600: a cookie signed with the old fallback is refused, and
 * a login survives a restart of the demo.
 */
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { afterEach, expect, it } from 'vitest';
import { killDemoProcesses, loginTo, startDemo } from '../helpers/demo-process.js';

const dirs: string[] = [];
afterEach(async () => {
  await killDemoProcesses();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('makes its own random secret, refuses cookies signed with the old fixed one, and keeps logins across a restart', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'af-jobs-demo-secret-'));
  dirs.push(dir);
  const dbFile = path.join(dir, 'demo.sqlite');
  // `undefined` leaves the variable out of the child's environment.
  const env = { DEMO_DB: dbFile, ADMINFORTH_SECRET: undefined as unknown as string };
  const first = await startDemo(env);

  const secretFile = `${dbFile}.secret`;
  expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  expect(readFileSync(secretFile, 'utf8')).toMatch(/^[0-9a-f]{64}$/);

  const checkAuth = (url: string, cookie: string) => fetch(`${url}/adminapi/v1/check_auth`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
  const users = await fetch(`${first.url}/adminapi/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'adminforth', password: 'adminforth' }) });
  const jwtCookie = users.headers.getSetCookie().find((c) => c.includes('_jwt='))!.split(';')[0]!;
  const [name] = jwtCookie.split('=');
  const { pk } = jwt.decode(jwtCookie.slice(name!.length + 1)) as { pk: string };
  const forged = jwt.sign({ username: 'adminforth', pk, t: 'auth' }, 'af-jobs-demo-secret-change-me', { expiresIn: 3600 });
  expect((await checkAuth(first.url, `${name}=${forged}`)).status).toBe(401);
  expect((await checkAuth(first.url, jwtCookie)).status).toBe(200);

  first.child.kill('SIGTERM');
  await first.exited;
  const second = await startDemo(env);
  expect((await checkAuth(second.url, jwtCookie)).status).toBe(200);
  expect((await checkAuth(second.url, await loginTo(second.url, 'viewer', 'viewer'))).status).toBe(200);
});
