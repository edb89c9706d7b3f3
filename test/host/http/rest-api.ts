/**
 * AdminForth's core endpoints that a plugin or a CLI touches (contract §3.2): `POST /login`,
 * `POST /check_auth`, `POST /logout`, `GET /get_config`, and the resource endpoints whose
 * `allowedActions` and hooks a plugin owning a resource relies on: `POST /get_resource_data`
 * (`resource-data.ts`), `POST /update_record` and `POST /delete_record` (`record-endpoints.ts`).
 * Registered by `AdminForth.setupEndpoints` before any plugin's endpoints. The SPA's other
 * endpoints (create, bulk actions, `get_resource`, ...) are not reproduced.
 */
import type { AdminUser, IAdminForth, IHttpServer } from '../types.js';
import { findCookie } from './cookies.js';
import { verifyPassword } from '../utils.js';
import { clientIpFromHeaders, DEFAULT_LOGIN_RATE_LIMITS, LoginRateLimiter } from './rate-limit.js';
import { registerRecordEndpoints } from './record-endpoints.js';
import { registerResourceDataEndpoint } from './resource-data.js';

/** Registers the core endpoints on `server` for `adminforth`; the login rate limiter lives in this closure. */
export function registerCoreEndpoints(server: IHttpServer, adminforth: IAdminForth): void {
  const limiter = new LoginRateLimiter(adminforth.config.auth?.loginRateLimits ?? DEFAULT_LOGIN_RATE_LIMITS);

  server.endpoint({
    method: 'POST',
    path: '/login',
    noAuth: true,
    handler: async ({ body, headers, response }) => {
      // The limit is checked before anything else, so failed and successful attempts both count.
      if (!limiter.consume(clientIpFromHeaders(headers) ?? 'unknown')) {
        response.setStatus(429);
        return { error: 'Too many login attempts, please try again later' };
      }
      const authConfig = requireAuthConfig(adminforth);
      const { username, password, rememberMe } = body ?? {};
      const user = typeof username === 'string' && typeof password === 'string' ? await findUser(adminforth, username) : null;
      if (!user || !(await verifyPassword(password, user[authConfig.passwordHashField]))) {
        response.setStatus(401);
        return { error: 'Invalid username or password' };
      }
      const pkColumn = usersResourceConfig(adminforth).columns.find((c) => c.primaryKey)?.name ?? 'id';
      adminforth.auth.setAuthCookie({
        response,
        username: user[authConfig.usernameField],
        pk: user[pkColumn],
        expireInDuration: rememberMe ? authConfig.rememberMeDuration || '30d' : '1d',
      });
      return { allowedLogin: true };
    },
  });

  server.endpoint({
    method: 'POST',
    path: '/check_auth',
    handler: async () => ({ ok: true }),
  });

  server.endpoint({
    method: 'POST',
    path: '/logout',
    noAuth: true,
    handler: async ({ response }) => {
      adminforth.auth.removeAuthCookie(response);
      return { ok: true };
    },
  });

  server.endpoint({
    method: 'GET',
    path: '/get_config',
    noAuth: true,
    handler: async ({ cookies }) => {
      const { customization, baseUrl } = adminforth.config;
      const publicConfig = { brandName: customization.brandName, brandNameSlug: customization.brandNameSlug, baseUrl };
      const token = findCookie(cookies, adminforth.auth.getCookieName());
      const adminUser: AdminUser | null = token ? await adminforth.auth.verify(token, 'auth') : null;
      if (!adminUser) return { loggedIn: false, config: publicConfig };
      return {
        loggedIn: true,
        // Only the identity: the row itself holds the password hash.
        user: { pk: adminUser.pk, username: adminUser.username },
        config: {
          ...publicConfig,
          resources: adminforth.config.resources.map((r) => ({ resourceId: r.resourceId, label: r.label })),
          plugins: (adminforth.activatedPlugins ?? []).map((p) => ({
            className: p.className,
            pluginInstanceId: p.pluginInstanceId,
            ...(p.pluginOptions?.id !== undefined ? { id: p.pluginOptions.id } : {}),
          })),
        },
      };
    },
  });

  registerResourceDataEndpoint(server, adminforth);
  registerRecordEndpoints(server, adminforth);
}

function requireAuthConfig(adminforth: IAdminForth) {
  const auth = adminforth.config.auth;
  if (!auth?.usersResourceId) throw new Error('config.auth.usersResourceId is not set: login needs a users resource');
  return auth;
}

function usersResourceConfig(adminforth: IAdminForth) {
  const { usersResourceId } = requireAuthConfig(adminforth);
  const resource = adminforth.config.resources.find((r) => r.resourceId === usersResourceId);
  if (!resource) throw new Error(`config.auth.usersResourceId "${usersResourceId}" names no resource`);
  return resource;
}

/** The user row for a login name, after the username column's `normalize` (contract §3.2). */
async function findUser(adminforth: IAdminForth, username: string): Promise<Record<string, any> | null> {
  const { usersResourceId, usernameField } = requireAuthConfig(adminforth);
  const column = usersResourceConfig(adminforth).columns.find((c) => c.name === usernameField);
  const value = column?.normalize ? column.normalize(username) : username;
  return adminforth.resource(usersResourceId).get([{ field: usernameField, operator: 'eq', value }]);
}
