/**
 * Public entry of the test host, shaped like the `adminforth` package root (contract §1.1, §2.1):
 * `import AdminForth, { AdminForthPlugin, Filters, Sorts, AdminForthDataTypes } from 'adminforth'`.
 */
import AdminForth from './admin-forth.js';

export default AdminForth;
export { default as AdminForthPlugin } from './base-plugin.js';
export { Filters, Sorts } from './filters.js';
export { ActionCheckSource, AdminForthDataTypes, AdminForthFilterOperators, AdminForthSortDirections, AllowedActionsEnum } from './types.js';
export { Utils, hookResponseError } from './utils.js';
export { interpretResource } from './allowed-actions.js';
export { rejectApiRawFilters } from './http/resource-data.js';
export { filtersTools } from './filters-tools.js';
export type * from './types.js';
export type { PluginHookError } from './admin-forth.js';
export type { DeleteResourceRecordParams, UpdateResourceRecordParams } from './record-operations.js';
