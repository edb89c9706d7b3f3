/**
 * `startApp()`: a whole AdminForth app on the test host, started the way a create-app project
 * starts (contract §1.3, §6): fresh database + `adminuser` table, `new AdminForth(config)`,
 * `express()` + `express.json()` + custom routes, `admin.express.serve(app)`,
 * `await admin.discoverDatabases()`, seed users, listen on 127.0.0.1:0.
 *
 * ```ts
 * const app = await startApp({ kind, resources: [jobsResource], tables: { sqlite: JOBS_SQL } });
 * const cookie = await app.login('adminforth', 'adminforth');
 * await fetch(`${app.apiUrl}/check_auth`, { method: 'POST', headers: { cookie } });
 * await app.close();
 * ```
 * Every app is tracked; `test/helpers/leaks.ts` fails a test file that does not close its apps.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import AdminForth, {
  AdminForthDataTypes,
  type AdminForthInputConfig,
  type AdminForthPluginLike,
  type AdminForthResourceInput,
} from 'adminforth';
import { expect } from 'vitest';
import { freshDatabase, type DbKind, type FreshDatabase } from './databases.js';

/** Shape of an entry in the open-app registry that `leaks.ts` checks (same `globalThis` key). */
interface TrackedApp {
  label: string;
  close(): Promise<void>;
}

/** The registry `leaks.ts` reads; shared through `globalThis` so neither module imports the other. */
function openApps(): Set<TrackedApp> {
  const holder = globalThis as unknown as Record<symbol, Set<TrackedApp> | undefined>;
  return (holder[Symbol.for('af-jobs.test.openApps')] ??= new Set());
}

export { ADMINUSER_TABLE_SQL, adminUserResource } from './adminuser.js';
import { ADMINUSER_TABLE_SQL, adminUserResource } from './adminuser.js';

/** A user `startApp` creates after discovery. */
export interface SeedUser {
  username: string;
  password: string;
  role: string;
}

/** `adminforth`/`adminforth` (superadmin, as create-app seeds) and `viewer`/`viewer` (role `user`). */
export const DEFAULT_USERS: SeedUser[] = [
  { username: 'adminforth', password: 'adminforth', role: 'superadmin' },
  { username: 'viewer', password: 'viewer', role: 'user' },
];

export interface StartAppOptions {
  /** Database kind; default `sqlite`. */
  kind?: DbKind;
  /**
   * Extra SQL run after the `adminuser` table is created: per kind (`{ sqlite: '...', postgres: [...] }`)
   * or a function of the kind. Several `;`-separated statements per string are fine.
   */
  tables?: Partial<Record<DbKind, string | string[]>> | ((kind: DbKind) => string | string[] | undefined);
  /** Resources besides `adminuser` (data source id `maindb`). */
  resources?: AdminForthResourceInput[];
  globalPlugins?: AdminForthPluginLike[];
  /**
   * Overrides of the built config: an object is shallow-merged over it; a function receives the
   * built config and returns the one to use.
   */
  config?: Partial<AdminForthInputConfig> | ((config: AdminForthInputConfig) => AdminForthInputConfig);
  /** Custom routes, registered after `express.json()` and before `admin.express.serve(app)`. */
  setupRoutes?: (app: Express, admin: AdminForth) => void | Promise<void>;
  /** Users to seed; default {@link DEFAULT_USERS}. */
  users?: SeedUser[];
}

export interface TestApp {
  admin: AdminForth;
  db: FreshDatabase;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `url` + `config.baseUrl`: where the admin lives. */
  baseUrl: string;
  /** `baseUrl` + `/adminapi/v1`: prefix of every endpoint (contract §3.1). */
  apiUrl: string;
  /** Logs in through `POST /login`; returns the `Cookie` header value `adminforth_<slug>_jwt=<jwt>`. */
  login(username: string, password: string): Promise<string>;
  /** Shuts the admin down (server, websocket, connectors) and drops the database. Idempotent. */
  close(): Promise<void>;
}

function extraSql(tables: StartAppOptions['tables'], kind: DbKind): string[] {
  const value = typeof tables === 'function' ? tables(kind) : tables?.[kind];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function buildConfig(db: FreshDatabase, options: StartAppOptions): AdminForthInputConfig {
  const base: AdminForthInputConfig = {
    baseUrl: '',
    auth: { usersResourceId: 'adminuser', usernameField: 'email', passwordHashField: 'password_hash' },
    dataSources: [{ id: 'maindb', url: db.url }],
    resources: [adminUserResource(), ...(options.resources ?? [])],
    globalPlugins: options.globalPlugins ?? [],
  };
  if (typeof options.config === 'function') return options.config(base);
  return { ...base, ...options.config };
}

async function listen(admin: AdminForth): Promise<number> {
  const server = admin.express.listen(0, '127.0.0.1');
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }
  return (server.address() as AddressInfo).port;
}

/** Starts an app (see the module comment); always `close()` it. */
export async function startApp(options: StartAppOptions = {}): Promise<TestApp> {
  const kind = options.kind ?? 'sqlite';
  process.env.ADMINFORTH_SECRET ??= 'af-jobs-test-secret';

  const db = await freshDatabase(kind);
  let admin: AdminForth | undefined;
  let closing: Promise<void> | undefined;
  const tracked: TrackedApp = {
    label: `${kind} app started by "${expectStateName()}"\n${callerFrames()}`,
    close: () => {
      closing ??= (async () => {
        openApps().delete(tracked);
        try {
          await admin?.shutdown();
        } finally {
          await db.drop();
        }
      })();
      return closing;
    },
  };
  openApps().add(tracked);

  try {
    for (const sql of [ADMINUSER_TABLE_SQL[kind], ...extraSql(options.tables, kind)]) await db.exec(sql);
    admin = new AdminForth(buildConfig(db, options));
    const app = express();
    app.use(express.json());
    await options.setupRoutes?.(app, admin);
    admin.express.serve(app);
    await admin.discoverDatabases();

    const users = admin.resource(admin.config.auth?.usersResourceId ?? 'adminuser');
    for (const user of options.users ?? DEFAULT_USERS) {
      const result = await users.create({
        email: user.username,
        password_hash: await AdminForth.Utils.generatePasswordHash(user.password),
        role: user.role,
      });
      if (!result.ok) throw new Error(`startApp: seeding user "${user.username}" failed: ${result.error}`);
    }

    const port = await listen(admin);
    const url = `http://127.0.0.1:${port}`;
    const baseUrl = `${url}${(admin.config.baseUrl || '').replace(/\/+$/, '')}`;
    const apiUrl = `${baseUrl}/adminapi/v1`;
    const started = admin;

    return {
      admin: started,
      db,
      url,
      baseUrl,
      apiUrl,
      async login(username, password) {
        const response = await fetch(`${apiUrl}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
        const body = await response.text();
        if (response.status !== 200) throw new Error(`login as "${username}" failed: HTTP ${response.status} ${body}`);
        const name = started.auth.getCookieName();
        const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
        if (!cookie) throw new Error(`login as "${username}" answered ${body} without a ${name} cookie`);
        return cookie.split(';')[0];
      },
      close: tracked.close,
    };
  } catch (err) {
    await tracked.close().catch((closeErr) => console.error('startApp: cleanup after a failed start failed:', closeErr));
    throw err;
  }
}

/** The stack frames of the `startApp` caller, without node internals and dependencies. */
function callerFrames(): string {
  const frames = new Error().stack?.split('\n').slice(3) ?? [];
  return frames.filter((line) => !line.includes('node:internal') && !line.includes('node_modules')).slice(0, 3).join('\n');
}

/** The current test's name (or file), for leak reports; outside vitest (the bench's app process) a placeholder. */
function expectStateName(): string {
  try {
    const state = expect.getState();
    return state.currentTestName ?? state.testPath ?? 'unknown test';
  } catch {
    // vitest throws when its worker state is missing: imported by a plain node process.
    return 'outside vitest';
  }
}
