/**
 * Test-only: a thin layer over `startApp()` (test/helpers/app.ts) for `http.test.ts` and
 * `websocket.test.ts`: the real host `AdminForth` on a fresh SQLite database with the create-app
 * `adminuser` resource, extra endpoints registered through a global plugin (after the core ones,
 * as a plugin's would be), and a few conveniences (users, the websocket URL, the cookie name).
 */
import express from 'express';
import type AdminForth from '../admin-forth.js';
import AdminForthPlugin from '../base-plugin.js';
import type { AdminForthInputConfig, IHttpServer } from '../types.js';
import { startApp } from '../../helpers/app.js';

/**
 * A content type that AdminForth's prefix check accepts as JSON (`startsWith('application/json')`)
 * but `express.json()` does not parse; with `stringBodies` such bodies reach handlers as strings.
 */
export const STRING_BODY_TYPE = 'application/json-text';

export interface HarnessOptions {
  baseUrl?: string;
  brandName?: string;
  auth?: Partial<NonNullable<AdminForthInputConfig['auth']>>;
  /** Registers extra endpoints, as a plugin's `setupEndpoints` would. */
  endpoints?: (server: IHttpServer) => void;
  /** Custom Express routes, added after the body parser and before `serve()`. */
  routes?: (app: express.Express, admin: AdminForth) => void;
  /** Installs `express.text({ type: STRING_BODY_TYPE })` so such bodies arrive as strings. */
  stringBodies?: boolean;
}

export interface Harness {
  admin: AdminForth;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `${origin}${baseUrl}/adminapi/v1` */
  api: string;
  /** `ws://127.0.0.1:<port>${baseUrl}/afws` */
  wsUrl: string;
  cookieName: string;
  /** Adds a user with a real AdminForth password hash; returns its pk. */
  createUser(email: string, password: string, role?: string): Promise<string>;
  deleteUser(pk: string): Promise<void>;
  /** Logs in and returns the `Cookie` header value `adminforth_<slug>_jwt=<jwt>`. */
  login(email: string, password: string): Promise<string>;
  /** Shuts the app down and drops its database. */
  close(): Promise<void>;
}

/** A global plugin whose only job is to register the test's endpoints. */
class TestEndpointsPlugin extends AdminForthPlugin {
  override pluginsScope = 'global' as const;

  constructor(private readonly register: (server: IHttpServer) => void) {
    super({}, import.meta.url);
  }

  override setupEndpoints(server: IHttpServer): void {
    this.register(server);
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const app = await startApp({
    users: [],
    globalPlugins: options.endpoints ? [new TestEndpointsPlugin(options.endpoints)] : [],
    config: (base) => ({
      ...base,
      baseUrl: options.baseUrl ?? '',
      customization: { brandName: options.brandName ?? 'Test Host' },
      auth: { ...base.auth!, ...options.auth },
    }),
    setupRoutes: (expressApp, admin) => {
      if (options.stringBodies) expressApp.use(express.text({ type: STRING_BODY_TYPE }));
      options.routes?.(expressApp, admin);
    },
  });
  const { admin } = app;
  const users = () => admin.resource('adminuser');
  return {
    admin,
    origin: app.url,
    api: app.apiUrl,
    wsUrl: `${app.baseUrl.replace(/^http/, 'ws')}/afws`,
    cookieName: admin.auth.getCookieName(),
    async createUser(email, password, role = 'superadmin') {
      const passwordHash = await (admin.constructor as typeof AdminForth).Utils.generatePasswordHash(password);
      const result = await users().create({ email, password_hash: passwordHash, role });
      if (!result.ok) throw new Error(`could not create user ${email}: ${result.error}`);
      return result.createdRecord.id;
    },
    async deleteUser(pk) {
      await users().delete(pk);
    },
    login: app.login,
    close: app.close,
  };
}
