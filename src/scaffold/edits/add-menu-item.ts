/**
 * Edit of the app file: a menu item for the jobs resource at the end of `menu: [...]`, unless an
 * item (or a nested child) already points at it.
 */
import type * as t from '@babel/types';
import { findAdminConfig, getProperty, stringProperty, unwrap } from '../ast/queries.js';
import { appendToList } from '../ast/insert.js';
import { expressionCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';
import { ADDED, manual, PRESENT, type EditOutcome } from './edit-outcome.js';

function mentions(list: t.ArrayExpression, resourceId: string): boolean {
  return list.elements.some((element) => {
    const item = unwrap(element);
    if (!item || item.type !== 'ObjectExpression') return false;
    if (stringProperty(item, 'resourceId') === resourceId) return true;
    const children = unwrap(getProperty(item, 'children')?.value);
    return children?.type === 'ArrayExpression' && mentions(children, resourceId);
  });
}

export function addMenuItem(file: SourceFile, item: { label: string; icon: string; resourceId: string }): EditOutcome {
  const code = expressionCode(`{ label: ${JSON.stringify(item.label)}, icon: ${JSON.stringify(item.icon)}, resourceId: ${JSON.stringify(item.resourceId)} }`, file.style);
  const admin = findAdminConfig(file);
  const menu = admin?.config ? unwrap(getProperty(admin.config, 'menu')?.value) : null;
  if (!menu || menu.type !== 'ArrayExpression') {
    const why = menu ? '`menu` is built by code, not written as an array literal' : 'the AdminForth config has no `menu: [...]` list';
    return manual(`${why}; add a menu item for the jobs resource`, `${code},`);
  }
  if (mentions(menu, item.resourceId)) return PRESENT;
  appendToList(file, menu, code);
  return ADDED;
}
