/**
 * Edit of the app file: `registerJobHandlers(admin);` right after `export const admin = new
 * AdminForth(...)`, with its import. Handlers must be registered at start-up, before discovery:
 * the plugin resumes unfinished jobs once the database is discovered (seed docs, "Usage").
 */
import { findAdminConfig, functionCalls } from '../ast/queries.js';
import { insertAfterStatement } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { addImport } from './add-import.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

export function addHandlersRegistration(file: SourceFile, handlersModule: string): EditOutcome {
  if (functionCalls(file, 'registerJobHandlers').length > 0) return PRESENT;
  const admin = findAdminConfig(file);
  if (!admin) {
    return manual('no `export const admin = new AdminForth(...)` found to register the job handlers after', `import { registerJobHandlers } from '${handlersModule}';\nregisterJobHandlers(admin);`);
  }
  const name = addImport(file, { source: handlersModule, imported: 'registerJobHandlers', local: 'registerJobHandlers' });
  file.apply();
  const declaration = findAdminConfig(file)!.declaration;
  const code = statementCode(
    `// Background job handlers (${handlersModule}): registered at start-up, so unfinished jobs resume.\n${name}(${admin.adminName});`,
    file.style,
  );
  insertAfterStatement(file, declaration, code, { blankLine: true });
  return ADDED;
}
