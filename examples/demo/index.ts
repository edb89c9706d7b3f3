/**
 * The af-jobs demo: an AdminForth app written as a user writes one (create-app's layout, the
 * plugin's documented samples), running on SQLite.
 *
 *   npm run demo                      # http://127.0.0.1:3500, database ./demo.sqlite
 *   PORT=4000 DEMO_DB=/tmp/x.sqlite npm run demo
 *   DEMO_UI=off npm run demo          # without the admin UI at / (admin-ui.ts)
 *   DEMO_SCHEDULES=off npm run demo   # without the schedule that starts a job every minute
 *   DEMO_SCHEDULE_CRON='0 3 * * *' npm run demo   # that schedule on another cron
 */
import express from 'express';
import path from 'path';
import fs from 'fs';
import { randomBytes } from 'crypto';
import { fileURLToPath } from 'url';
import Database from 'better-sqlite3';
import AdminForth, { Filters } from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import adminuserResource from './resources/adminuser.js';
import jobs_resource from './resources/jobs.js';
import { registerJobHandlers } from './jobs/index.js';
import { createJobRoute, demoHandlersRoute } from './api.js';
import { adminUi } from './admin-ui.js';

export const ADMIN_BASE_URL = '';
const DEMO_DB = path.resolve(process.env.DEMO_DB ?? './demo.sqlite');

export const admin = new AdminForth({
  baseUrl: ADMIN_BASE_URL,
  auth: {
    usersResourceId: 'adminuser',
    usernameField: 'email',
    passwordHashField: 'password_hash',
    rememberMeDuration: '30d',
    loginPromptHTML: async () => {
      const adminforthUserExists = await admin.resource('adminuser').count(Filters.EQ('email', 'adminforth')) > 0;
      if (adminforthUserExists) {
        return 'Please use <b>adminforth</b> as username and <b>adminforth</b> as password';
      }
    },
  },
  customization: {
    brandName: 'af-jobs demo',
  },
  componentsToExplicitRegister: [
    {
      file: '@@/JobCustomComponent.vue',
      meta: {
        label: 'Job Custom Component',
      },
    },
  ],
  dataSources: [{ id: 'maindb', url: `sqlite://${DEMO_DB}` }],
  resources: [adminuserResource, jobs_resource],
  menu: [
    { label: 'Jobs', icon: 'flowbite:list-outline', resourceId: 'jobs' },
    { label: 'Admin Users', icon: 'flowbite:user-solid', resourceId: 'adminuser' },
  ],
});

// Handlers are registered at start, before discovery: unfinished jobs resume once it is done.
registerJobHandlers(admin);

// A recurring schedule (docs/retention.md): every minute a small job of the quick
// demo handler starts, on one replica however many run, so the Jobs page shows one arriving.
// DEMO_SCHEDULES=off leaves it out (the tests that count the demo's jobs run it so);
// DEMO_SCHEDULE_CRON gives it another cron (a test that must see no tick uses one that never comes).
if (process.env.DEMO_SCHEDULES !== 'off') {
  admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin').registerSchedule({
    name: 'demo-every-minute',
    cron: process.env.DEMO_SCHEDULE_CRON ?? '* * * * *',
    jobHandlerName: 'quick_job',
    jobName: 'Scheduled demo job',
    tasks: () => Array.from({ length: 5 }, (_, i) => ({ state: { step: i + 1, taskMs: 200 } })),
  });
}

/** Creates the demo's own tables (an app made with create-app has them from its migrations). */
function createTables(file: string): void {
  const db = new Database(file);
  db.exec(fs.readFileSync(fileURLToPath(new URL('./schema.sql', import.meta.url)), 'utf8'));
  db.close();
}

async function seedUsers(): Promise<void> {
  const users = admin.resource('adminuser');
  for (const [email, password, role] of [['adminforth', 'adminforth', 'superadmin'], ['viewer', 'viewer', 'user']]) {
    if (await users.count(Filters.EQ('email', email)) === 0) {
      await users.create({ email, password_hash: await AdminForth.Utils.generatePasswordHash(password), role });
    }
  }
}

/**
 * The secret that signs the demo's login cookies when ADMINFORTH_SECRET is not set: random, made
 * once and kept beside the database (mode 0600), so logins survive a restart of the demo and
 * nobody can mint a superadmin's cookie from a secret printed in this file.
 */
function demoSecret(dbFile: string): string {
  const file = `${dbFile}.secret`;
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (!process.env.ADMINFORTH_SECRET) process.env.ADMINFORTH_SECRET = demoSecret(DEMO_DB);
  const port = Number(process.env.PORT ?? 3500);
  const host = process.env.HOST ?? '127.0.0.1';
  createTables(DEMO_DB);
  const ui = await adminUi();

  const app = express();
  app.use(express.json());
  app.post(`${ADMIN_BASE_URL}/api/create-job/`, admin.express.authorize(createJobRoute(admin)));
  app.get(`${ADMIN_BASE_URL}/api/demo-handlers`, admin.express.authorize(demoHandlersRoute()));
  if (ui) app.use(`${ADMIN_BASE_URL}/`, ui.middleware);

  admin.express.serve(app);
  await admin.discoverDatabases();
  await seedUsers();

  const plugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: letting running tasks finish (up to 5 s)...`);
    await plugin.stop({ graceMs: 5000 });
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  admin.express.listen(port, host, () => {
    const url = `http://${host}:${port}${ADMIN_BASE_URL}`;
    console.log(`
af-jobs demo is running at ${url}  (database: ${DEMO_DB})

  ${ui ? `Open ${url}/ in a browser: ${ui.summary}; up ${process.uptime().toFixed(1)} s after start.` : 'Admin UI off (DEMO_UI=off): the API and websocket only.'}
  Log in as adminforth / adminforth (superadmin) or viewer / viewer (user).

  Try next:
    curl -s -c /tmp/af.cookies -H 'content-type: application/json' \\
      -d '{"username":"adminforth","password":"adminforth"}' ${url}/adminapi/v1/login
    curl -s -b /tmp/af.cookies -H 'content-type: application/json' -X POST ${url}/api/create-job/
    curl -s -b /tmp/af.cookies -H 'content-type: application/json' \\
      -d '{"handler":"demo_job","tasks":1000,"taskMs":20,"failTasks":[3]}' ${url}/api/create-job/

  The first job runs the documentation's example handler (6 steps, 3 s each); the second runs
  1,000 demo tasks, one of them failing. Stop with Ctrl-C: running tasks finish, the rest resume
  on the next start.
`);
  });
}
