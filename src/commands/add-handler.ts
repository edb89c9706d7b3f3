/**
 * `af-jobs add-handler <name>`: a handler module from a template (its context documented
 * inline), registered in the handlers index, with a test beside it that runs the handler over
 * sample tasks with `@adminforth/background-jobs/testing` (issue 7).
 */
import path from 'node:path';
import type { Context } from '../context.js';
import { ManualStepsError, ProjectError } from '../errors.js';
import { detectApp, importPath } from '../scaffold/app-detection.js';
import { planComponent } from '../scaffold/component-plan.js';
import { editFile } from '../scaffold/edit-file.js';
import { registerHandler } from '../scaffold/edits/register-handler.js';
import { FilePlan } from '../scaffold/file-plan.js';
import { handlerNames } from '../scaffold/names.js';
import { reportPlan } from '../scaffold/plan-report.js';
import { renderTemplate } from '../scaffold/templates.js';
import { handlerArgument } from './add-component.js';

export interface AddHandlerOptions {
  name?: string;
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
  parallelLimit?: number;
  concurrencyLimit?: number;
  maxAttempts?: number;
  withComponent?: boolean;
}

export async function run(opts: AddHandlerOptions, ctx: Context): Promise<void> {
  const root = path.resolve(ctx.cwd, opts.dir ?? '.');
  const app = detectApp(root, ctx.cwd);
  const names = handlerNames(await handlerArgument(opts.name, ctx, 'af-jobs add-handler <name>, e.g. af-jobs add-handler send-emails'));
  const plan = new FilePlan(root, opts.force);
  if (!plan.exists(app.handlersIndex)) {
    throw new ProjectError(`${app.handlersIndex} not found: run \`af-jobs init\` first (it creates the handlers folder and registers it in ${app.appFile}).`);
  }

  const dir = path.posix.dirname(app.handlersIndex);
  const handlerFile = path.posix.join(dir, `${names.fileBase}.ts`);
  const testFile = path.posix.join(dir, `${names.fileBase}.test.ts`);
  const data = {
    ...names,
    importSuffix: app.importSuffix,
    testSuffix: app.importSuffix === '' ? '' : '.ts',
    handlerDir: dir,
    parallelLimit: opts.parallelLimit,
    concurrencyLimit: opts.concurrencyLimit,
    maxAttempts: opts.maxAttempts,
  };
  plan.generate(handlerFile, renderTemplate('add-handler/jobs/handler.ts.ejs', data));
  plan.generate(testFile, renderTemplate('add-handler/jobs/handler.test.ts.ejs', data));
  editFile(plan, app.handlersIndex, [
    (file) => registerHandler(file, { identifier: names.identifier, module: importPath(app.handlersIndex, handlerFile, app.importSuffix) }),
  ]);
  if (opts.withComponent) planComponent(plan, app, names, [handlerFile]);

  reportPlan(plan, ctx, { dryRun: Boolean(opts.dryRun), upToDate: `handler ${names.jobHandlerName} is already there and registered` });
  if (opts.dryRun) return;
  plan.write();
  if (plan.changes.length > 0) {
    ctx.info('');
    ctx.info(ctx.color.bold('Next steps:'));
    ctx.info(`  1. Write the work of one task in ${handlerFile}.`);
    ctx.info(`  2. Run its test: npx tsx --test ${testFile}`);
    ctx.info(`  3. Start jobs with backgroundJobsPlugin.startNewJob(name, adminUser, tasks, '${names.jobHandlerName}').`);
  }
  if (plan.manualSteps.length > 0) {
    throw new ManualStepsError(`${plan.manualSteps.length} edit(s) left for you to make by hand (listed above); the rest is written.`);
  }
}
