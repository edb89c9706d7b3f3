/**
 * `af-jobs add-handler <name>`: a handler module from a template (its context documented
 * inline), registered in the handlers index, with a test beside it that runs the handler over
 * sample tasks with `@adminforth/background-jobs/testing` (issue 7), and a route that starts a job
 * of it, `POST <baseUrl>/api/jobs/<name>/start`, registered in the app file (issue 19 §9;
 * `--no-route` leaves it out).
 */
import path from 'node:path';
import type { Context } from '../context.js';
import { ManualStepsError, ProjectError } from '../errors.js';
import { detectApp, importPath } from '../scaffold/app-detection.js';
import { planComponent } from '../scaffold/component-plan.js';
import { editFile } from '../scaffold/edit-file.js';
import { addStartRoute } from '../scaffold/edits/add-start-route.js';
import { registerHandler } from '../scaffold/edits/register-handler.js';
import { FilePlan } from '../scaffold/file-plan.js';
import { handlerArgument } from '../scaffold/handler-argument.js';
import { handlerNames, type HandlerNames } from '../scaffold/names.js';
import { reportPlan } from '../scaffold/plan-report.js';
import { renderTemplate } from '../scaffold/templates.js';

export interface AddHandlerOptions {
  name?: string;
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
  parallelLimit?: number;
  concurrencyLimit?: number;
  maxAttempts?: number;
  withComponent?: boolean;
  /** Add the start route (default); `--no-route` sets it to false. */
  route?: boolean;
}

/** How to start a job through the route, for the next steps: AdminForth's cookie login, then the route. */
function curlSteps(baseUrl: string, names: HandlerNames): string[] {
  const origin = `http://localhost:3500${baseUrl}`;
  return [
    `curl -c cookies.txt -H 'Content-Type: application/json' -d '{"username":"<user>","password":"<password>"}' ${origin}/adminapi/v1/login`,
    `curl -b cookies.txt -H 'Content-Type: application/json' -d '{"tasks":[{"state":{"item":1}},{"state":{"item":2}}]}' ${origin}${names.startPath}`,
  ];
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
  const withRoute = opts.route !== false;
  const routeFile = path.posix.join(dir, `${names.fileBase}-route.ts`);
  const baseUrlHint = app.baseUrl ?? '<baseUrl>';
  if (withRoute) {
    // `add-handler example-job` would make init's example route file: not this handler's route.
    const existing = plan.read(routeFile);
    if (existing !== null && !existing.includes(names.routeFactory)) {
      throw new ProjectError(
        `${routeFile} exists and does not export ${names.routeFactory} (is it another route, such as init's example?): ` +
          'rename that file, or pass --no-route and start jobs of the handler from your own code.',
      );
    }
    plan.generate(routeFile, renderTemplate('add-handler/jobs/handler-route.ts.ejs', { ...data, baseUrlHint }));
    editFile(plan, app.appFile, [
      (file) => addStartRoute(file, {
        path: names.startPath,
        factory: names.routeFactory,
        module: importPath(app.appFile, routeFile, app.importSuffix),
        description: `Starts a job of ${names.jobHandlerName}`,
      }),
    ]);
  }
  if (opts.withComponent) planComponent(plan, app, names, [handlerFile]);

  reportPlan(plan, ctx, { dryRun: Boolean(opts.dryRun), upToDate: `handler ${names.jobHandlerName} is already there and registered` });
  if (opts.dryRun) return;
  plan.write();
  if (plan.changes.length > 0) {
    ctx.info('');
    ctx.info(ctx.color.bold('Next steps:'));
    ctx.info(`  1. Write the work of one task in ${handlerFile}.`);
    ctx.info(`  2. Run its test: npx tsx --test ${testFile}`);
    const fromCode = `backgroundJobsPlugin.startNewJob(name, adminUser, tasks, '${names.jobHandlerName}')`;
    if (withRoute) {
      ctx.info(`  3. Start a job through its route, POST ${baseUrlHint}${names.startPath} (${routeFile}), logged in with AdminForth's cookie:`);
      for (const line of curlSteps(baseUrlHint, names)) ctx.info(`       ${line}`);
      ctx.info(`     From your code: ${fromCode}. (add-handler --no-route leaves the route out.)`);
    } else {
      ctx.info(`  3. Start jobs with ${fromCode} (without --no-route, add-handler also adds a start route).`);
    }
  }
  if (plan.manualSteps.length > 0) {
    throw new ManualStepsError(`${plan.manualSteps.length} edit(s) left for you to make by hand (listed above); the rest is written.`);
  }
}
