/**
 * Edit of the app file: `{ file: '@@/X.vue' }` in `componentsToExplicitRegister` of the
 * AdminForth config (created when missing), so the SPA can resolve the component by name at
 * run time (contract §7).
 */
import { findAdminConfig, getProperty, stringProperty, unwrap } from '../ast/queries.js';
import { appendToList } from '../ast/insert.js';
import { expressionCode, propertyCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

export function addExplicitComponent(file: SourceFile, componentFile: string): EditOutcome {
  const item = expressionCode(`{ file: ${JSON.stringify(componentFile)} }`, file.style);
  const admin = findAdminConfig(file);
  if (!admin?.config) {
    return manual('no `new AdminForth({...})` config found', `componentsToExplicitRegister: [\n  ${item},\n],`);
  }
  const property = getProperty(admin.config, 'componentsToExplicitRegister');
  if (!property) {
    appendToList(file, admin.config, propertyCode(`componentsToExplicitRegister: [\n  ${item},\n]`, file.style));
    return ADDED;
  }
  const list = unwrap(property.value);
  if (!list || list.type !== 'ArrayExpression') {
    return manual('`componentsToExplicitRegister` is built by code, not written as an array literal; add the component to it', `${item},`);
  }
  const listed = list.elements.some((element) => {
    const entry = unwrap(element);
    return entry?.type === 'ObjectExpression' && stringProperty(entry, 'file') === componentFile;
  });
  if (listed) return PRESENT;
  appendToList(file, list, item);
  return ADDED;
}
