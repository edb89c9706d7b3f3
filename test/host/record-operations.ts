/**
 * The hook-running record operations of `IAdminForth` (contract §2: `updateResourceRecord`,
 * `deleteResourceRecord`, AdminForth `index.ts`), which core's `update_record` and `delete_record`
 * endpoints call after their own checks (`http/record-endpoints.ts`): the resource's
 * `hooks.edit|delete.beforeSave` run first, each answer read by `hookResponseError` (a refusal
 * stops the operation and is returned, a malformed answer throws), then the connector write,
 * then `afterSave`, read the same way.
 */
import { connectorOf } from './http/resource-lookup.js';
import type { AdminForthResource, AdminUser, IAdminForth } from './types.js';
import { hookResponseError } from './utils.js';

type Hook = (args: Record<string, any>) => unknown;

/** Arguments of {@link updateResourceRecord}, named as AdminForth's `UpdateResourceRecordParams`. */
export interface UpdateResourceRecordParams {
  resource: AdminForthResource;
  recordId: any;
  /** Only the changed fields. */
  updates?: Record<string, any>;
  /** Deprecated name of `updates` (used when `updates` is absent). */
  record?: Record<string, any>;
  oldRecord: Record<string, any>;
  adminUser: AdminUser;
  /** The endpoint's `response` object, passed on to the hooks. */
  response?: any;
  /** `{ body, query, headers, cookies, requestUrl, response }` when called by an endpoint. */
  extra?: any;
}

/** Arguments of {@link deleteResourceRecord}, named as AdminForth's `DeleteResourceRecordParams`. */
export interface DeleteResourceRecordParams {
  resource: AdminForthResource;
  recordId: any;
  record: Record<string, any>;
  adminUser: AdminUser;
  response?: any;
  extra?: any;
}

/** Runs hooks in order; the first refusal is returned, a malformed answer throws. */
async function runHooks(hooks: unknown, args: Record<string, any>): Promise<{ error: any } | null> {
  for (const hook of (hooks ?? []) as Hook[]) {
    const refusal = hookResponseError(await hook(args));
    if (refusal) return refusal;
  }
  return null;
}

/**
 * Applies the columns' `normalize` and drops `editReadonly` columns from the updates (in place, as
 * AdminForth does), runs `hooks.edit.beforeSave` with
 * `{ recordId, resource, record, updates, oldRecord, adminUser, adminforth, response, extra }`
 * (`record` and `updates` are the same object), writes only the fields that differ from
 * `oldRecord` (`!==`) and are not virtual (nothing when none does), then `hooks.edit.afterSave`
 * with the same arguments. `{ error: null }` on success.
 */
export async function updateResourceRecord(adminforth: IAdminForth, params: UpdateResourceRecordParams): Promise<{ error: any }> {
  const { resource, recordId, oldRecord, adminUser, response, extra } = params;
  const updates = params.updates || params.record || {};
  for (const column of resource.columns) {
    if (column.name in updates && column.normalize) updates[column.name] = column.normalize(updates[column.name]);
  }
  for (const column of resource.columns) {
    if (column.editReadonly && column.name in updates) delete updates[column.name];
  }
  const hookArgs = () => ({ recordId, resource, record: updates, updates, oldRecord, adminUser, adminforth, response, extra });

  const refused = await runHooks(resource.hooks?.edit?.beforeSave, hookArgs());
  if (refused) return refused;

  const changed: Record<string, any> = {};
  for (const [field, value] of Object.entries(updates)) {
    if (value === oldRecord[field]) continue;
    if (resource.columns.find((c) => c.name === field)?.virtual) continue;
    changed[field] = value;
  }
  if (Object.keys(changed).length > 0) {
    const result = await connectorOf(adminforth, resource).updateRecord({ resource, recordId, newValues: changed });
    if (result.ok === false) return { error: result.error };
  }

  const afterError = await runHooks(resource.hooks?.edit?.afterSave, hookArgs());
  return afterError ?? { error: null };
}

/**
 * Runs `hooks.delete.beforeSave` with `{ resource, record, adminUser, recordId, adminforth, response, extra }`,
 * deletes the row by primary key, then `hooks.delete.afterSave` with the same arguments.
 * `{ error: null }` on success (also when no row had that key).
 */
export async function deleteResourceRecord(adminforth: IAdminForth, params: DeleteResourceRecordParams): Promise<{ error: any }> {
  const { resource, recordId, record, adminUser, response, extra } = params;
  const hookArgs = () => ({ resource, record, adminUser, recordId, adminforth, response, extra });

  const refused = await runHooks(resource.hooks?.delete?.beforeSave, hookArgs());
  if (refused) return refused;
  await connectorOf(adminforth, resource).deleteRecord({ resource, recordId });
  const afterError = await runHooks(resource.hooks?.delete?.afterSave, hookArgs());
  return afterError ?? { error: null };
}
