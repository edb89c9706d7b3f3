/**
 * Edit of the app file: imports the jobs resource and lists it in `resources: [...]` of the
 * AdminForth config (as AdminForth's `injectResourceIntoIndex` does, contract §6).
 */
import { findAdminConfig, getProperty, unwrap } from '../ast/queries.js';
import { appendToList } from '../ast/insert.js';
import type { SourceFile } from '../ast/source-file.js';
import { addImport, findImported, type ImportSpec } from './add-import.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

export function addResource(file: SourceFile, resource: ImportSpec): EditOutcome {
  const admin = findAdminConfig(file);
  const list = admin?.config ? unwrap(getProperty(admin.config, 'resources')?.value) : null;
  const local = findImported(file, resource) ?? resource.local;
  const byHand = `import ${local} from '${resource.source}';\n// ...and in new AdminForth({ resources: [...] }):\n${local},`;
  if (!list || list.type !== 'ArrayExpression') {
    const why = list ? '`resources` is built by code, not written as an array literal' : 'the AdminForth config has no `resources: [...]` list';
    return manual(`${why}; import the jobs resource and add it to the resources`, byHand);
  }
  if (list.elements.some((element) => element?.type === 'Identifier' && element.name === local)) return PRESENT;
  const name = addImport(file, { ...resource, local });
  file.apply();
  // The import moved the list: find it again in the new tree.
  const fresh = unwrap(getProperty(findAdminConfig(file)!.config!, 'resources')!.value)!;
  appendToList(file, fresh as Parameters<typeof appendToList>[1], name);
  return ADDED;
}
