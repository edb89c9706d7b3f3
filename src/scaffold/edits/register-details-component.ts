/**
 * Edit of the handlers index: `<plugin>.registerTaskDetailsComponent({ jobHandlerName, component })`
 * (seed docs, "Custom job state renderer"), after the handler registrations.
 */
import { getProperty, methodCalls, stringProperty, unwrap } from '../ast/queries.js';
import { insertAfterStatement } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';
import { ensurePluginLookup, findRegistrationFunction, lastCallStatement, PLUGIN_VARIABLE } from './handlers-index.js';

export function registerDetailsComponent(file: SourceFile, options: { jobHandlerName: string; componentFile: string }): EditOutcome {
  const registered = methodCalls(file, 'registerTaskDetailsComponent').some((call) => {
    const argument = unwrap(call.arguments[0]);
    return argument?.type === 'ObjectExpression' && stringProperty(argument, 'jobHandlerName') === options.jobHandlerName &&
      getProperty(argument, 'component') !== null;
  });
  if (registered) return PRESENT;
  const call = (plugin: string) =>
    statementCode(
      `${plugin}.registerTaskDetailsComponent({\n  jobHandlerName: ${JSON.stringify(options.jobHandlerName)},\n  component: { file: ${JSON.stringify(options.componentFile)} },\n});`,
      file.style,
    );
  const found = findRegistrationFunction(file);
  if (!found || (found.plugin === null && found.admin === null)) {
    return manual('no `registerJobHandlers(admin)` function that gets the plugin with `admin.getPluginByClassName(...)` was found; register the component yourself', call(PLUGIN_VARIABLE));
  }
  const registration = ensurePluginLookup(file)!;
  const after = lastCallStatement(registration, ['registerTaskDetailsComponent', 'registerTaskHandler']) ?? registration.pluginDeclaration;
  insertAfterStatement(file, after, call(registration.plugin));
  return ADDED;
}
