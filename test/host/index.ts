/**
 * Public entry of the test host, shaped like the `adminforth` package root (contract §1.1, §2.1):
 * `import AdminForth, { AdminForthPlugin, Filters, Sorts, AdminForthDataTypes } from 'adminforth'`.
 */
import AdminForth from './admin-forth.js';

export default AdminForth;
export { default as AdminForthPlugin } from './base-plugin.js';
export { Filters, Sorts } from './filters.js';
export { AdminForthDataTypes, AdminForthFilterOperators, AdminForthSortDirections } from './types.js';
export { Utils } from './utils.js';
export type * from './types.js';
export type { PluginHookError } from './admin-forth.js';
