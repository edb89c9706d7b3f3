/**
 * Edit of the handlers index: imports a handler module's definition and registers it with
 * `<plugin>.registerTaskHandler(<definition>)` after the other registrations (getting the plugin
 * first when the index has no handler yet).
 */
import { methodCalls } from '../ast/queries.js';
import { insertAfterStatement } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { addImport, findImported } from './add-import.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';
import { ensurePluginLookup, findRegistrationFunction, lastCallStatement, PLUGIN_VARIABLE } from './handlers-index.js';

export function registerHandler(file: SourceFile, handler: { identifier: string; module: string }): EditOutcome {
  const spec = { source: handler.module, imported: handler.identifier, local: handler.identifier };
  const local = findImported(file, spec) ?? handler.identifier;
  const registered = methodCalls(file, 'registerTaskHandler').some((call) => {
    const argument = call.arguments[0];
    return argument?.type === 'Identifier' && argument.name === local;
  });
  if (registered) return PRESENT;
  const found = findRegistrationFunction(file);
  if (!found || (found.plugin === null && found.admin === null)) {
    return manual(
      'no `registerJobHandlers(admin)` function that gets the plugin with `admin.getPluginByClassName(...)` was found; register the handler yourself',
      `import { ${handler.identifier} } from '${handler.module}';\n${PLUGIN_VARIABLE}.registerTaskHandler(${handler.identifier});`,
    );
  }
  ensurePluginLookup(file);
  const name = addImport(file, spec);
  file.apply();
  const registration = ensurePluginLookup(file)!;
  const after = lastCallStatement(registration, ['registerTaskHandler']) ?? registration.pluginDeclaration;
  insertAfterStatement(file, after, statementCode(`${registration.plugin}.registerTaskHandler(${name});`, file.style));
  return ADDED;
}
