/**
 * What `af-jobs add-component <handler>` adds (also `add-handler --with-component`): a Vue
 * component in the app's custom folder showing the handler's tasks, listed in
 * `componentsToExplicitRegister`, and registered with `registerTaskDetailsComponent`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AppInfo } from './app-detection.js';
import { editFile } from './edit-file.js';
import { addExplicitComponent } from './edits/add-explicit-component.js';
import { registerDetailsComponent } from './edits/register-details-component.js';
import type { FilePlan } from './file-plan.js';
import type { HandlerNames } from './names.js';
import { renderTemplate } from './templates.js';

export interface ComponentResult {
  /** `@@/SendEmailsTasks.vue` */
  componentFile: string;
  /** Whether a handler of that name was found in the handlers folder. */
  handlerFound: boolean;
}

/** Whether a module of the handlers folder (as planned) declares `jobHandlerName: '<name>'`. */
function handlerDeclared(plan: FilePlan, app: AppInfo, jobHandlerName: string, extraFiles: string[]): boolean {
  const dir = path.posix.dirname(app.handlersIndex);
  let files: string[] = [];
  try {
    files = fs.readdirSync(path.join(app.root, dir)).filter((name) => name.endsWith('.ts')).map((name) => path.posix.join(dir, name));
  } catch {
    // no handlers folder yet
  }
  const pattern = new RegExp(`jobHandlerName\\s*:\\s*['"\`]${jobHandlerName}['"\`]`);
  return [...new Set([...files, ...extraFiles])].some((file) => pattern.test(plan.read(file) ?? ''));
}

export function planComponent(plan: FilePlan, app: AppInfo, names: HandlerNames, plannedHandlerFiles: string[] = []): ComponentResult {
  const vueFile = path.posix.join(app.customDir, `${names.componentName}.vue`);
  const componentFile = `@@/${names.componentName}.vue`;
  plan.generate(vueFile, renderTemplate('add-component/custom/Tasks.vue.ejs', { jobHandlerName: names.jobHandlerName }));

  editFile(plan, app.appFile, [(file) => addExplicitComponent(file, componentFile)]);
  if (plan.exists(app.handlersIndex)) {
    editFile(plan, app.handlersIndex, [(file) => registerDetailsComponent(file, { jobHandlerName: names.jobHandlerName, componentFile })]);
  } else {
    plan.manual({
      file: app.handlersIndex,
      reason: 'there is no handlers index (run `af-jobs init` to create it); register the component where you register the handler',
      code: `backgroundJobsPlugin.registerTaskDetailsComponent({\n  jobHandlerName: '${names.jobHandlerName}',\n  component: { file: '${componentFile}' },\n});`,
    });
  }
  return { componentFile, handlerFound: handlerDeclared(plan, app, names.jobHandlerName, plannedHandlerFiles) };
}
