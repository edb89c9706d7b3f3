/**
 * Handler registration, done at start-up as the plugin's docs say.
 */
import type AdminForth from 'adminforth';
import type BackgroundJobsPlugin from '@adminforth/background-jobs';
import { demoJobHandler } from './demo-job.js';
import { DEMO_PRESETS } from './presets.js';

export function registerJobHandlers(admin: AdminForth): void {
  const backgroundJobsPlugin = admin.getPluginByClassName<BackgroundJobsPlugin>('BackgroundJobsPlugin');

  // The documentation's example handler, unchanged.
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
  });

  // The documentation registers the renderer through the name an anonymous class has.
  admin.getPluginByClassName<BackgroundJobsPlugin>('default').registerTaskDetailsComponent({
    jobHandlerName: 'example_job_handler', // Handler name
    component: {
      file: '@@/JobCustomComponent.vue'  //custom component for the job details
    },
  });

  backgroundJobsPlugin.registerTaskHandler({
    jobHandlerName: 'demo_job',
    handler: demoJobHandler,
    parallelLimit: 10,
  });

  // The page's "Start some jobs" form: quick, slow, failing and huge jobs (presets.ts).
  for (const [jobHandlerName, preset] of Object.entries(DEMO_PRESETS)) {
    backgroundJobsPlugin.registerTaskHandler({
      jobHandlerName,
      handler: demoJobHandler,
      parallelLimit: preset.parallelLimit,
      maxAttempts: preset.maxAttempts,
      backoff: { baseMs: 300, maxMs: 1000, jitter: 0 },
    });
  }
}
