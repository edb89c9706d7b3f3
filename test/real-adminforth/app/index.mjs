// A create-app-shaped AdminForth app in plain ESM JavaScript (create-app's index.ts.hbs plus the
// seed page's additions, ../shared/seed/background-jobs-plugin-docs.md), run with `node index.mjs`
// by test/real-adminforth/conformance.test.ts. No SPA bundle: the API and /afws answer without it.
// DATABASE_URL, PORT and ADMINFORTH_SECRET come from the environment.
import express from 'express';
import AdminForth from 'adminforth';
import { fileURLToPath } from 'url';
import path from 'path';
import usersResource from './resources/adminuser.mjs';
import jobs_resource from './resources/jobs.mjs';

const ADMIN_BASE_URL = '';

export const admin = new AdminForth({
  baseUrl: ADMIN_BASE_URL,
  auth: {
    usersResourceId: 'adminuser',
    usernameField: 'email',
    passwordHashField: 'password_hash',
    websocketTopicAuth: async (topic, adminUser) => {
      if (!adminUser) {
        // don't allow anonymous users to subscribe
        return false;
      }
      return true;
    },
  },
  dataSources: [
    {
      id: 'maindb',
      url: `${process.env.DATABASE_URL}`,
    },
  ],
  resources: [
    usersResource,
    jobs_resource,
  ],
  menu: [
    { type: 'heading', label: 'SYSTEM' },
    { label: 'Users', icon: 'flowbite:user-solid', resourceId: 'adminuser' },
    { label: 'Jobs', icon: 'flowbite:user-solid', resourceId: 'jobs' },
  ],
});

/**
 * The seed's handler, with its 3 s sleep shortened to 50 ms so the suite runs quickly.
 * `registeredVia` (not in the seed) records which lookup registered the handler that ran.
 */
function exampleJobHandler(registeredVia) {
  return async ({ setTaskStateField, getTaskStateField }) => {
    const state = await getTaskStateField();
    console.log('State of the task at the beginning of the job handler:', state);
    await new Promise(resolve => setTimeout(resolve, 50));
    await setTaskStateField({ [state.step]: `Step ${state.step} completed`, registeredVia });
    const updatedState = await getTaskStateField();
    console.log('State of the task after setting the new state in the job handler:', updatedState);
  };
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const app = express();
  app.use(express.json());

  // The seed's route, verbatim but for the TypeScript types.
  app.post(`${ADMIN_BASE_URL}/api/create-job/`,
    admin.express.authorize(
      async (req, res) => {
        const backgroundJobsPlugin = admin.getPluginByClassName('default');
        if (!backgroundJobsPlugin) {
          res.status(404).json({ error: 'BackgroundJobsPlugin not found' });
          return;
        }
        backgroundJobsPlugin.startNewJob(
          'Example Job', //job name
          req.adminUser, // adminuser
          [
            { state: { step: 1 } },
            { state: { step: 2 } },
            { state: { step: 3 } },
            { state: { step: 4 } },
            { state: { step: 5 } },
            { state: { step: 6 } },
          ], //initial tasks
          'example_job_handler', //job handler name
        )
        res.json({ok: true, message: 'Job started' });
      }
    ),
  );

  const port = Number(process.env.PORT ?? 3500);

  admin.express.serve(app);

  admin.discoverDatabases().then(async () => {
    if ((await admin.resource('adminuser').count()) === 0) {
      await admin.resource('adminuser').create({
        email: 'adminforth',
        password_hash: await AdminForth.Utils.generatePasswordHash('adminforth'),
        role: 'superadmin',
      });
      await admin.resource('adminuser').create({
        email: 'viewer',
        password_hash: await AdminForth.Utils.generatePasswordHash('viewer'),
        role: 'user',
      });
    }
    console.log('[conformance] users seeded');
  });

  // The seed's "Usage" section: the handler registered through the class name...
  const backgroundJobsPlugin = admin.getPluginByClassName('BackgroundJobsPlugin');
  backgroundJobsPlugin.registerTaskHandler({
    jobHandlerName: 'example_job_handler',
    handler: exampleJobHandler('BackgroundJobsPlugin'),
    parallelLimit: 1,
  });

  // ...and the seed's "Custom job state renderer" section: the same handler registered again
  // through `getPluginByClassName('default')` (the later registration wins). Caught and logged,
  // not thrown, so that one failing lookup fails its own check instead of the whole suite.
  try {
    const defaultLookup = admin.getPluginByClassName('default');
    defaultLookup.registerTaskHandler({
      jobHandlerName: 'example_job_handler',
      handler: exampleJobHandler('default'),
      parallelLimit: 1,
    });
    console.log('[conformance] registered through the default lookup');
  } catch (error) {
    console.log(`[conformance] getPluginByClassName('default') failed: ${error?.message ?? error}`);
  }

  admin.express.listen(port, () => {
    console.log(`[conformance] listening on ${port}`);
  });
}
