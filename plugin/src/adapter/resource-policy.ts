/**
 * The plugin's view and manage rules (design D7: `isAdmin`, `canView`, `canManage`) on
 * AdminForth's own pages of the jobs resource, which the plugin owns. Core serves those pages
 * (`get_resource_data`, `update_record`, `delete_record`, bulk delete) applying only the
 * resource's hooks and `allowedActions` (contract §10), so the rules go there:
 * - list and show (edit loads through show): a user who is not an admin sees only the jobs they
 *   started, as a filter added before the query, so counts and pages stay exact. With a custom
 *   `canView` the rows it refuses are taken out after the query (a page may then come out short).
 * - edit and delete: `canManage` per record, both in `allowedActions` (core checks it with the
 *   record before it changes anything) and in the `beforeSave` hook that then does what the edit
 *   or delete means for the job (it runs for every record of a bulk delete too).
 * The resource's own `allowedActions` still apply: the plugin's rule is added to them, never
 * replaces them, so a resource file cannot undo it.
 */
import { Filters } from 'adminforth';
import type { AdminForthResource, AdminUser, IAdminForth } from 'adminforth';
import type { Engine } from '../engine/engine.js';
import type { JobsPolicy } from '../http/policy.js';
import { isActiveJobStatus } from '../statuses.js';
import type { JobAccessInfo, PluginOptions } from '../types.js';

/** A hook's answer in AdminForth's shape (`hookResponseError`, contract §2). */
type HookAnswer = { ok: boolean; error?: string };

export interface ResourcePolicyContext {
  policy: JobsPolicy;
  options: PluginOptions;
  /** The jobs resource's rows, by primary key (after discovery). */
  loadRow(id: unknown): Promise<Record<string, any> | null>;
  accessInfo(row: Record<string, any>): JobAccessInfo;
  /** The engine once it runs: what an allowed edit or delete of a row does to its job. */
  engine(): Engine | null;
}

/**
 * An allowed delete of a job's row: a finished job's tasks and events go with it; a job still
 * running or queued must be cancelled first (issue 20), so no delete stops work by surprise.
 */
async function deleteJob(engine: Engine | null, recordId: unknown): Promise<HookAnswer> {
  if (!engine) return { ok: true };
  const job = await engine.findJob(String(recordId));
  if (job && isActiveJobStatus(job.status)) {
    return { ok: false, error: `Job ${String(recordId)} is ${job.status}: cancel it first (its Cancel button, af-jobs cancel ${String(recordId)}, or plugin.cancelJob), then delete it.` };
  }
  await engine.deleteJob(String(recordId));
  return { ok: true };
}

/**
 * An allowed edit of a job's row: setting the status to CANCELLED cancels the job; other status
 * edits would contradict the engine's truth, so they are refused. Other columns are the app's.
 */
async function editJob(engine: Engine | null, statusField: string, args: { recordId: unknown; updates: Record<string, any>; oldRecord: Record<string, any> | undefined }): Promise<HookAnswer> {
  const status = args.updates[statusField];
  if (status === undefined || status === args.oldRecord?.[statusField]) return { ok: true };
  if (status !== 'CANCELLED') return { ok: false, error: 'The status of a job is set by its tasks; the only change you can make is to CANCELLED.' };
  if (engine) await engine.cancelJob(String(args.recordId)).catch(() => {});
  return { ok: true };
}

const NUMERIC_TYPES = new Set(['integer', 'float', 'decimal']);

export function applyResourcePolicy(resource: AdminForthResource, ctx: ResourcePolicyContext): void {
  const { policy, options } = ctx;
  const hooks = (resource.hooks ??= {}) as Record<string, any>;
  const hookList = (scope: string, name: string): unknown[] => ((hooks[scope] ??= {})[name] ??= []);

  const primaryKey = () => resource.columns.find((c) => c.primaryKey)?.name ?? 'id';
  const startedByValue = (pk: unknown) => {
    const column = resource.columns.find((c) => c.name === options.startedByField);
    return NUMERIC_TYPES.has(String(column?.type ?? '').toLowerCase()) ? Number(pk) : String(pk);
  };

  /** Before list and show: a non-admin's query gets `startedBy = <their pk>` under the default rule. */
  const restrictQuery = async ({ query, adminUser }: { query: any; adminUser?: AdminUser }): Promise<HookAnswer> => {
    if (!adminUser) return { ok: false, error: 'Not logged in.' };
    if (!policy.viewRuleIsDefault || (await policy.isAdmin(adminUser))) return { ok: true };
    // A user without a primary key started nothing: an empty primary key matches no row.
    const own = adminUser.pk === null ? Filters.IS_EMPTY(primaryKey())
      : Filters.EQ(options.startedByField, startedByValue(adminUser.pk));
    const given = query.filters;
    query.filters = [...(given === undefined || given === null ? [] : Array.isArray(given) ? given : [given]), own];
    return { ok: true };
  };

  /** After list and show, with a custom `canView`: drop the rows it refuses (`response` is the rows array). */
  const dropInvisible = async ({ response, adminUser }: { response: any; adminUser?: AdminUser }): Promise<HookAnswer> => {
    if (policy.viewRuleIsDefault || !Array.isArray(response)) return { ok: true };
    if (!adminUser) return { ok: false, error: 'Not logged in.' };
    const verdicts = await Promise.all(response.map((row: Record<string, any>) => policy.canView(adminUser, ctx.accessInfo(row))));
    for (let i = response.length - 1; i >= 0; i--) if (!verdicts[i]) response.splice(i, 1);
    return { ok: true };
  };

  for (const scope of ['list', 'show']) {
    hookList(scope, 'beforeDatasourceRequest').push(restrictQuery);
    hookList(scope, 'afterDatasourceResponse').push(dropInvisible);
  }

  /** Whether this user may edit or delete the job with this id; a job they may not see counts as missing. */
  const mayManage = async (adminUser: AdminUser | undefined, id: unknown, row?: Record<string, any> | null): Promise<boolean> => {
    if (!adminUser || id === undefined || id === null) return false;
    const job = row ?? await ctx.loadRow(id);
    return job !== null && job !== undefined && policy.canManage(adminUser, ctx.accessInfo(job));
  };

  // One hook each that checks, then acts: AdminForth's bulk "Delete checked" runs a record's
  // beforeSave hooks all at once (Promise.all) and a refusal stops none of the others, so the
  // permission cannot sit in a hook of its own ahead of the one that deletes the tasks.
  const refused = (verb: string): HookAnswer => ({ ok: false, error: `You may not ${verb} this job.` });
  hookList('delete', 'beforeSave').push(async (args: { recordId?: unknown; record?: Record<string, any>; adminUser?: AdminUser }): Promise<HookAnswer> => {
    if (!(await mayManage(args.adminUser, args.recordId, args.record))) return refused('delete');
    return deleteJob(ctx.engine(), args.recordId);
  });
  hookList('edit', 'beforeSave').push(async (args: { recordId?: unknown; updates?: Record<string, any>; record?: Record<string, any>; oldRecord?: Record<string, any>; adminUser?: AdminUser }): Promise<HookAnswer> => {
    if (!(await mayManage(args.adminUser, args.recordId, args.oldRecord))) return refused('edit');
    return editJob(ctx.engine(), options.statusField, { recordId: args.recordId, updates: args.updates ?? args.record ?? {}, oldRecord: args.oldRecord });
  });

  // allowedActions: the resource's own value AND the plugin's rule for the record in question.
  // Core passes the record as `meta.oldRecord` (edit) or `meta.record` (delete), or its id as
  // `meta.pk`. Without a record (buttons of the list page, the start of a bulk action) only the
  // resource's value counts; the hooks above then check each record.
  // AdminForth's types make both required; its validator fills them, the host may not.
  const resourceOptions = ((resource as { options?: Record<string, any> }).options ??= {});
  const allowed = (resourceOptions.allowedActions ??= {}) as Record<string, any>;
  for (const action of ['edit', 'delete'] as const) {
    const own = allowed[action] ?? true;
    if (own === false) continue;
    allowed[action] = async (args: { adminUser?: AdminUser; meta?: Record<string, any>; [key: string]: any }) => {
      const ownAllows = typeof own === 'function' ? await own(args) : Boolean(own);
      if (!ownAllows) return false;
      const row = args.meta?.oldRecord ?? args.meta?.record;
      const id = row ? row[primaryKey()] : args.meta?.pk;
      return id === undefined || id === null ? true : mayManage(args.adminUser, id, row);
    };
  }
}

/** The row of the jobs resource with this primary key, read through AdminForth's resource API. */
export function rowLoader(adminforth: () => IAdminForth, resource: AdminForthResource): (id: unknown) => Promise<Record<string, any> | null> {
  return async (id) => {
    const pk = resource.columns.find((c) => c.primaryKey);
    if (!pk) return null;
    const value = NUMERIC_TYPES.has(String(pk.type ?? '').toLowerCase()) ? Number(id) : String(id);
    return adminforth().resource(resource.resourceId).get(Filters.EQ(pk.name, value));
  };
}
