/**
 * `af-jobs add-component <handler>`: a custom task-details component for a handler's jobs
 * (paged tasks, live updates), registered in the app (issue 7).
 */
import path from 'node:path';
import type { Context } from '../context.js';
import { ManualStepsError } from '../errors.js';
import { detectApp } from '../scaffold/app-detection.js';
import { planComponent } from '../scaffold/component-plan.js';
import { FilePlan } from '../scaffold/file-plan.js';
import { handlerArgument } from '../scaffold/handler-argument.js';
import { handlerNames } from '../scaffold/names.js';
import { reportPlan } from '../scaffold/plan-report.js';

export interface AddComponentOptions {
  handler?: string;
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
}

export async function run(opts: AddComponentOptions, ctx: Context): Promise<void> {
  const root = path.resolve(ctx.cwd, opts.dir ?? '.');
  const app = detectApp(root, ctx.cwd);
  const names = handlerNames(await handlerArgument(opts.handler, ctx, 'af-jobs add-component <handler>, e.g. af-jobs add-component send-emails'), 'handler name');
  const plan = new FilePlan(root, opts.force);
  const result = planComponent(plan, app, names);

  reportPlan(plan, ctx, { dryRun: Boolean(opts.dryRun), upToDate: `the component of ${names.jobHandlerName} is already there and registered` });
  if (!result.handlerFound) {
    ctx.warn(ctx.color.yellow(`Note: no handler named ${names.jobHandlerName} found in ${path.posix.dirname(app.handlersIndex)}/; the component shows for jobs of that handler once it exists.`));
  }
  if (opts.dryRun) return;
  plan.write();
  if (plan.changes.length > 0) {
    ctx.info('');
    ctx.info(`The job popup now shows ${result.componentFile} for ${names.jobHandlerName} jobs; edit it to show what matters in their tasks.`);
  }
  if (plan.manualSteps.length > 0) {
    throw new ManualStepsError(`${plan.manualSteps.length} edit(s) left for you to make by hand (listed above); the rest is written.`);
  }
}
