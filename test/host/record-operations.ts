/**
 * The hook-running record operations of `IAdminForth` (contract §2: `updateResourceRecord`,
 * `deleteResourceRecord`), which AdminForth's built-in edit and delete endpoints use: the
 * resource's `hooks.edit|delete.beforeSave` run first (any `{ ok: false, error }` stops the
 * operation and is returned), then the connector write, then `afterSave`. Argument names follow
 * the contract; the host has no SPA, so tests call these as the admin UI's endpoints would.
 */
import type { AdminForthResource, AdminUser, IOperationalResource } from './types.js';

type Hook = (args: Record<string, any>) => Promise<{ ok: boolean; error?: string | null }> | { ok: boolean; error?: string | null };

async function runHooks(hooks: Hook[] | undefined = [], args: Record<string, any>): Promise<string | null> {
  for (const hook of hooks) {
    const result = await hook(args);
    if (!result || result.ok === false) return result?.error ?? 'Operation aborted by hook';
  }
  return null;
}

export async function updateResourceRecord(
  data: IOperationalResource,
  args: { resource: AdminForthResource; recordId: any; updates: Record<string, any>; oldRecord: Record<string, any>; adminUser: AdminUser; extra?: any },
): Promise<{ error: string | null }> {
  const hookArgs = { ...args, record: args.updates };
  const error = await runHooks(args.resource.hooks?.edit?.beforeSave as Hook[] | undefined, hookArgs);
  if (error) return { error };
  const result = await data.update(args.recordId, args.updates);
  if (result?.ok === false) return { error: result.error };
  const afterError = await runHooks(args.resource.hooks?.edit?.afterSave as Hook[] | undefined, hookArgs);
  return { error: afterError };
}

export async function deleteResourceRecord(
  data: IOperationalResource,
  args: { resource: AdminForthResource; recordId: any; record: Record<string, any>; adminUser: AdminUser; extra?: any },
): Promise<{ error: string | null }> {
  const error = await runHooks(args.resource.hooks?.delete?.beforeSave as Hook[] | undefined, args);
  if (error) return { error };
  await data.delete(args.recordId);
  const afterError = await runHooks(args.resource.hooks?.delete?.afterSave as Hook[] | undefined, args);
  return { error: afterError };
}
