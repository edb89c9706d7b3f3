// A create-app-shaped AdminForth app in plain ESM JavaScript (create-app's index.ts.hbs plus the
// seed page's additions, ../shared/seed/background-jobs-plugin-docs.md), run with `node index.mjs`
// by test/real-adminforth/*.test.ts. No SPA bundle unless AF_CONFORMANCE_BUNDLE=1 (spa.test.ts):
// the API and /afws answer without it. DATABASE_URL, PORT and ADMINFORTH_SECRET come from the
// environment; AF_CONFORMANCE_TASKS_COMPONENT names a component in ./custom (one `af-jobs
// add-component` generated) registered for example_job_handler (spa.test.ts).
import express from 'express';
import AdminForth from 'adminforth';
import { fileURLToPath } from 'url';
import path from 'path';
import usersResource from './resources/adminuser.mjs';
import jobs_resource from './resources/jobs.mjs';

const ADMIN_BASE_URL = '';
const TASKS_COMPONENT = process.env.AF_CONFORMANCE_TASKS_COMPONENT;

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
  // The seed's "Custom job state renderer" section (custom/JobCustomComponent.vue is its file).
  componentsToExplicitRegister: [
    {
      file: '@@/JobCustomComponent.vue',
      meta: {
        label: 'Job Custom Component',
      }
    },
    ...(TASKS_COMPONENT ? [{ file: `@@/${TASKS_COMPONENT}` }] : []),
  ],
  menu: [
    { type: 'heading', label: 'SYSTEM' },
    { label: 'Users', icon: 'flowbite:user-solid', resourceId: 'adminuser' },
    { label: 'Jobs', icon: 'flowbite:user-solid', resourceId: 'jobs' },
  ],
});

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

  // Not in the seed: a route starting a job of any handler and answering its id, for the
  // CLI's flows (cli-flows.test.ts) and the SPA check.
  app.post(`${ADMIN_BASE_URL}/api/conformance/start-job/`,
    admin.express.authorize(
      async (req, res) => {
        const { name, handler, tasks } = req.body ?? {};
        const jobId = await admin.getPluginByClassName('BackgroundJobsPlugin')
          .startNewJob(name ?? 'Conformance job', req.adminUser, tasks, handler);
        res.json({ ok: true, jobId });
      }
    ),
  );

  const port = Number(process.env.PORT ?? 3500);

  if (process.env.AF_CONFORMANCE_BUNDLE === '1') {
    // What create-app's index.ts does (without awaiting): the real SPA, built by vite.
    admin.bundleNow({ hotReload: false }).then(
      () => console.log('[conformance] bundled'),
      (error) => console.log(`[conformance] bundle failed: ${error?.stack ?? error}`),
    );
  }

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

  // The seed's "Usage" section, verbatim but for the TypeScript types and the diff markers: the
  // handler registered through the class name...
  const backgroundJobsPlugin = admin.getPluginByClassName('BackgroundJobsPlugin');
  backgroundJobsPlugin.registerTaskHandler({
    // job handler name
    jobHandlerName: 'example_job_handler',
    //handler function
    handler: async ({ setTaskStateField, getTaskStateField }) => {
      const state = await getTaskStateField();
      console.log('State of the task at the beginning of the job handler:', state);
      await new Promise(resolve => setTimeout(resolve, 3000));
      await setTaskStateField({[state.step]: `Step ${state.step} completed`});
      const updatedState = await getTaskStateField();
      console.log('State of the task after setting the new state in the job handler:', updatedState);
    },
    //limit of tasks, that are running in parallel
    parallelLimit: 1
  })

  // Not in the seed, for the CLI's flows: a handler whose tasks run until cancelled (or for
  // `state.ms`), and one whose tasks marked `failFirst` fail on their first attempt only.
  backgroundJobsPlugin.registerTaskHandler({
    jobHandlerName: 'slow_job_handler',
    parallelLimit: 2,
    handler: async ({ signal, getTaskStateField }) => {
      const { ms = 600_000 } = await getTaskStateField();
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    },
  });
  backgroundJobsPlugin.registerTaskHandler({
    jobHandlerName: 'flaky_job_handler',
    parallelLimit: 2,
    handler: async ({ attempt, getTaskStateField, setTaskStateField }) => {
      const { failFirst } = await getTaskStateField();
      if (failFirst && attempt === 1) throw new Error('flaky: fails on its first attempt');
      await setTaskStateField({ ranOnAttempt: attempt });
    },
  });
  // Not in the seed: a recurring schedule (2.x) whose cron never comes in a test's time (noon on
  // 1 January), for the schedules endpoints and the Jobs page; the tests run it now.
  backgroundJobsPlugin.registerSchedule({
    name: 'conformance-yearly', cron: '0 12 1 1 *', jobHandlerName: 'slow_job_handler', jobName: 'Scheduled conformance job',
    tasks: () => [{ state: { ms: 100 } }],
  });
  // ...and the seed's "Custom job state renderer" section, verbatim but for the types: the same
  // handler registered again through `getPluginByClassName('default')` (the later registration
  // wins), with the seed's component. Caught and logged, not thrown, so that a failing lookup
  // fails its own check instead of the whole suite.
  try {
    const backgroundJobsPlugin = admin.getPluginByClassName('default');

    backgroundJobsPlugin.registerTaskHandler({
      jobHandlerName: 'example_job_handler', // Handler name
      handler: async ({ setTaskStateField, getTaskStateField }) => { //handler function
        const state = await getTaskStateField();
        console.log('State of the task at the beginning of the job handler:', state);
        await new Promise(resolve => setTimeout(resolve, 3000));
        await setTaskStateField({[state.step]: `Step ${state.step} completed`});
        const updatedState = await getTaskStateField();
        console.log('State of the task after setting the new state in the job handler:', updatedState);
      },
      parallelLimit: 1 //parallel tasks limit
    })

    backgroundJobsPlugin.registerTaskDetailsComponent({
      jobHandlerName: 'example_job_handler', // Handler name
      component: {
        file: '@@/JobCustomComponent.vue'  //custom component for the job details
      },
    })
    console.log('[conformance] registered through the default lookup');
  } catch (error) {
    console.log(`[conformance] getPluginByClassName('default') failed: ${error?.message ?? error}`);
  }
  // spa.test.ts: a component `af-jobs add-component` generated, registered last so it is the one
  // the job details mount (the seed's own component still uses the deprecated unsubscribe).
  if (TASKS_COMPONENT) {
    backgroundJobsPlugin.registerTaskDetailsComponent({ jobHandlerName: 'example_job_handler', component: { file: `@@/${TASKS_COMPONENT}` } });
  }

  admin.express.listen(port, () => {
    console.log(`[conformance] listening on ${port}`);
  });
}
