/**
 * `options.allowedActions`: how the config validator completes it and how core resolves it for
 * one request (`modules/configValidator.ts` `validateAndNormalizeAllowedActions`,
 * `modules/restApi.ts` `interpretResource` / `checkAccess`). The core endpoints
 * (`http/resource-data.ts`, `http/record-endpoints.ts`) check it before anything else runs.
 */
import {
  ActionCheckSource,
  AllowedActionsEnum,
  type AdminForthResource,
  type AdminUser,
  type AllowedActions,
  type AllowedActionsInput,
  type AllowedActionsResolved,
  type AllowedActionValue,
  type IAdminForth,
} from './types.js';

const ACTIONS = Object.values(AllowedActionsEnum);

/** The actions AdminForth computes for each check source; every other key resolves to `false`. */
const NEEDED_ACTIONS: Record<ActionCheckSource, readonly AllowedActionsEnum[]> = {
  [ActionCheckSource.ShowRequest]: [AllowedActionsEnum.show],
  [ActionCheckSource.EditLoadRequest]: [AllowedActionsEnum.show],
  [ActionCheckSource.EditRequest]: [AllowedActionsEnum.edit],
  [ActionCheckSource.DeleteRequest]: [AllowedActionsEnum.delete],
  [ActionCheckSource.ListRequest]: [AllowedActionsEnum.list],
  [ActionCheckSource.CreateRequest]: [AllowedActionsEnum.create],
  [ActionCheckSource.DisplayButtons]: ['show', 'edit', 'delete', 'create', 'filter'] as AllowedActionsEnum[],
  [ActionCheckSource.BulkActionRequest]: ['show', 'edit', 'delete', 'create', 'filter'] as AllowedActionsEnum[],
  [ActionCheckSource.CustomActionRequest]: ['show', 'edit', 'delete', 'create', 'filter'] as AllowedActionsEnum[],
};

/**
 * Completes `allowedActions` as AdminForth's validator does: none given means `{ all: true }`;
 * `all` stands for every key (a function stays a function) and may not be combined with other
 * keys; otherwise each missing key is `true`. Returns a new object; `problem` is the validator's
 * message when `all` comes with other keys (the caller throws it).
 */
export function normaliseAllowedActions(resourceName: string, input: AllowedActionsInput | undefined): { allowedActions: AllowedActions; problem?: string } {
  const given: Record<string, AllowedActionValue | undefined> = { ...(input || { all: true }) };
  const keys = Object.keys(given);
  if (!keys.includes('all')) {
    for (const action of ACTIONS) if (!keys.includes(action)) given[action] = true;
    return { allowedActions: given as AllowedActions };
  }
  const problem = keys.length > 1
    ? `Resource "${resourceName}" allowedActions cannot have "all" and other keys at same time: ${keys.join(', ')}`
    : undefined;
  const all = given.all;
  delete given.all;
  for (const action of ACTIONS) given[action] = all;
  return { allowedActions: given as AllowedActions, problem };
}

/**
 * Resolves the resource's `allowedActions` for one check: the actions `source` needs are
 * evaluated (functions called, concurrently, with `{ adminUser, resource, meta, source, adminforth }`),
 * every other key is `false`. A function may answer a string: a refusal with that message.
 */
export async function interpretResource(
  adminUser: AdminUser,
  resource: AdminForthResource,
  meta: any,
  source: ActionCheckSource,
  adminforth: IAdminForth,
): Promise<{ allowedActions: AllowedActionsResolved }> {
  const needed = NEEDED_ACTIONS[source];
  const resolved: Record<string, boolean | string> = {};
  const configured = (resource.options?.allowedActions ?? {}) as Record<string, AllowedActionValue>;
  await Promise.all(Object.entries(configured).map(async ([action, value]) => {
    if (!needed.includes(action as AllowedActionsEnum)) {
      resolved[action] = false;
      return;
    }
    resolved[action] = typeof value === 'function'
      ? await value({ adminUser, resource, meta, source, adminforth })
      : value;
  }));
  return { allowedActions: resolved as AllowedActionsResolved };
}

/**
 * Only `true` allows (not merely truthy); a string refusal becomes the error, anything else
 * `'Action is not allowed'`.
 */
export function checkAccess(action: AllowedActionsEnum, allowedActions: AllowedActionsResolved): { allowed: boolean; error?: string } {
  const answer = allowedActions[action] as unknown;
  if (answer === true) return { allowed: true };
  return { allowed: false, error: typeof answer === 'string' ? answer : 'Action is not allowed' };
}
