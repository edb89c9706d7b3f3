/**
 * Turns the config the app passes to `new AdminForth(...)` into the normalised shape plugins see
 * (contract §9.3, §4 for `websocketTopicAuth`, §3.2 for the brand slug). Anything a plugin adds
 * later is not re-validated, as in AdminForth (contract §1.3 step 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  AdminForthComponentDeclaration,
  AdminForthComponentDeclarationFull,
  AdminForthConfig,
  AdminForthInputConfig,
  AdminForthResource,
  AdminForthResourceColumn,
  AdminForthResourceInput,
  AdminUser,
  ResourceHooks,
} from './types.js';
import { slugifyString } from './utils.js';
import { normaliseAllowedActions } from './allowed-actions.js';

export const GLOBAL_INJECTION_KEYS = ['userMenu', 'header', 'sidebar', 'sidebarTop', 'everyPageBottom'] as const;
const SAVE_HOOK_ACTIONS = ['create', 'edit', 'delete'] as const;
const DATA_SOURCE_HOOK_ACTIONS = ['show', 'list'] as const;
const DEFAULT_LOGIN_RATE_LIMITS = ['500/5m', '5000/1h', '10000/1d'];

function configError(message: string): Error {
  return new Error(`AdminForth config error: ${message}`);
}

function toComponent(declaration: AdminForthComponentDeclaration): AdminForthComponentDeclarationFull {
  if (typeof declaration === 'string') return { file: declaration, meta: {} };
  if (!declaration || typeof declaration.file !== 'string') {
    throw configError(`a component declaration needs a "file" string, got ${JSON.stringify(declaration)}`);
  }
  return { ...declaration, meta: declaration.meta ?? {} };
}

function toComponentList(value: AdminForthComponentDeclaration | AdminForthComponentDeclaration[] | undefined) {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(toComponent);
}

/** A hook slot may be given as one function or an array; stored as an array. */
function toHookList(value: unknown, where: string): any[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const hook of list) {
    if (typeof hook !== 'function') throw configError(`${where} must be a function or an array of functions`);
  }
  return [...list];
}

function normaliseHooks(input: AdminForthResourceInput['hooks'], resourceId: string): ResourceHooks {
  const hooks: Record<string, Record<string, any[]>> = {};
  for (const [action, slots] of Object.entries(input ?? {})) {
    hooks[action] = {};
    for (const [slot, value] of Object.entries(slots ?? {})) {
      hooks[action][slot] = toHookList(value, `resource "${resourceId}" hooks.${action}.${slot}`);
    }
  }
  // AdminForth's validator fills these arrays for every resource.
  for (const action of DATA_SOURCE_HOOK_ACTIONS) {
    hooks[action] ??= {};
    hooks[action].beforeDatasourceRequest ??= [];
    hooks[action].afterDatasourceResponse ??= [];
  }
  for (const action of SAVE_HOOK_ACTIONS) {
    hooks[action] ??= {};
    hooks[action].beforeSave ??= [];
    hooks[action].afterSave ??= [];
  }
  return hooks as ResourceHooks;
}

function labelFrom(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Non-virtual columns: what a row read through the resource API contains (contract §2). */
export function dataSourceColumnsOf(resource: { columns: AdminForthResourceColumn[] }): AdminForthResourceColumn[] {
  return resource.columns.filter((column) => !column.virtual);
}

function normaliseResource(input: AdminForthResourceInput, dataSourceIds: Set<string>): AdminForthResource {
  if (!input || typeof input !== 'object') throw configError(`every resource must be an object, got ${String(input)}`);
  const resourceId = input.resourceId ?? input.table;
  if (!input.table || typeof input.table !== 'string') {
    throw configError(`resource ${resourceId ? `"${resourceId}" ` : ''}needs a "table"`);
  }
  if (!dataSourceIds.has(input.dataSource)) {
    throw configError(
      `resource "${resourceId}" uses dataSource "${input.dataSource}", which is not in dataSources ` +
      `(${[...dataSourceIds].map((id) => `"${id}"`).join(', ') || 'none'})`,
    );
  }
  if (!Array.isArray(input.columns)) {
    throw configError(`resource "${resourceId}" needs a "columns" array (AdminForth does not infer columns)`);
  }
  const seen = new Set<string>();
  const columns = input.columns.map((column) => {
    if (!column || typeof column.name !== 'string' || !column.name) {
      throw configError(`resource "${resourceId}" has a column without a "name"`);
    }
    if (seen.has(column.name)) throw configError(`resource "${resourceId}" declares column "${column.name}" twice`);
    seen.add(column.name);
    return { ...column, label: column.label ?? labelFrom(column.name) } as AdminForthResourceColumn;
  });
  const plugins = input.plugins ?? [];
  if (!Array.isArray(plugins)) throw configError(`resource "${resourceId}" plugins must be an array`);
  if (input.recordLabel !== undefined && typeof input.recordLabel !== 'function') {
    throw configError(`Resource "${resourceId}" recordLabel is not a function`);
  }
  const { allowedActions, problem } = normaliseAllowedActions(resourceId, input.options?.allowedActions);
  if (problem) throw configError(problem);
  const resource: AdminForthResource = {
    ...input,
    resourceId,
    label: input.label ?? labelFrom(input.table),
    columns,
    dataSourceColumns: [],
    hooks: normaliseHooks(input.hooks, resourceId),
    plugins: [...plugins],
    options: { ...(input.options ?? {}), allowedActions },
  };
  // AdminForth's default label: the resource's label and the record's primary key.
  resource.recordLabel = input.recordLabel ?? ((record: any) => `${resource.label} ${record[resource.columns.find((c) => c.primaryKey)?.name ?? 'id']}`);
  resource.dataSourceColumns = dataSourceColumnsOf(resource);
  return resource;
}

/** Default topic check when the app sets none: deny anonymous sockets, allow any logged-in user (contract §4). */
async function defaultWebsocketTopicAuth(_topic: string, adminUser: AdminUser | null): Promise<boolean> {
  return adminUser != null;
}

/** Validates and normalises the app's config; throws `AdminForth config error: ...` on bad input. */
export function validateConfig(input: AdminForthInputConfig): AdminForthConfig {
  if (!input || typeof input !== 'object') throw configError('new AdminForth(config) needs a config object');

  const dataSources = input.dataSources ?? [];
  if (!Array.isArray(dataSources)) throw configError('"dataSources" must be an array');
  const dataSourceIds = new Set<string>();
  for (const source of dataSources) {
    if (!source?.id || typeof source.url !== 'string') {
      throw configError(`every data source needs an "id" and a "url" string, got ${JSON.stringify(source)}`);
    }
    if (dataSourceIds.has(source.id)) throw configError(`data source id "${source.id}" is used twice`);
    dataSourceIds.add(source.id);
  }

  if (!Array.isArray(input.resources)) throw configError('"resources" must be an array');
  const resources = input.resources.map((resource) => normaliseResource(resource, dataSourceIds));
  const resourceIds = new Set<string>();
  for (const { resourceId } of resources) {
    if (resourceIds.has(resourceId)) throw configError(`resourceId "${resourceId}" is used by two resources`);
    resourceIds.add(resourceId);
  }

  const customizationInput = input.customization ?? {};
  const brandName = customizationInput.brandName || 'AdminForth';
  const injectionsInput = customizationInput.globalInjections ?? {};
  const globalInjections = { ...injectionsInput } as AdminForthConfig['customization']['globalInjections'];
  for (const key of GLOBAL_INJECTION_KEYS) globalInjections[key] = toComponentList(injectionsInput[key]);
  let customComponentsDir = customizationInput.customComponentsDir;
  if (customComponentsDir === undefined && fs.existsSync(path.resolve('custom'))) customComponentsDir = './custom';

  const auth = input.auth
    ? { ...input.auth }
    : ({} as NonNullable<AdminForthInputConfig['auth']>);
  if (input.auth?.usersResourceId && !resourceIds.has(input.auth.usersResourceId)) {
    throw configError(`auth.usersResourceId "${input.auth.usersResourceId}" is not a resourceId of any resource`);
  }
  const globalPlugins = input.globalPlugins ?? [];
  if (!Array.isArray(globalPlugins)) throw configError('"globalPlugins" must be an array');

  return {
    ...input,
    baseUrl: input.baseUrl ?? '',
    dataSources: [...dataSources],
    resources,
    menu: input.menu ?? [],
    globalPlugins: [...globalPlugins],
    customization: {
      ...customizationInput,
      brandName,
      brandNameSlug: slugifyString(brandName),
      customComponentsDir,
      globalInjections,
    },
    auth: {
      ...auth,
      loginRateLimits: auth.loginRateLimits ?? DEFAULT_LOGIN_RATE_LIMITS,
      websocketTopicAuth: auth.websocketTopicAuth ?? defaultWebsocketTopicAuth,
    } as AdminForthConfig['auth'],
  };
}
