/**
 * `POST /adminapi/v1/update_record` and `POST /adminapi/v1/delete_record`: the saves of
 * AdminForth's own edit page and delete button (`modules/restApi.ts`). Each loads the record
 * first (a missing one is refused before `allowedActions` is asked), checks `allowedActions`
 * (`edit` / `delete`), then runs `updateResourceRecord` / `deleteResourceRecord`
 * (`../record-operations.ts`, the resource's beforeSave/afterSave hooks). Refusals are HTTP 200
 * `{ error }` (some with `ok: false`); success is `{ ok: true, recordId }`.
 */
import { checkAccess, interpretResource } from '../allowed-actions.js';
import { deleteResourceRecord, updateResourceRecord } from '../record-operations.js';
import {
  ActionCheckSource,
  AdminForthDataTypes,
  AllowedActionsEnum,
  type AdminForthResource,
  type IAdminForth,
  type IAdminForthAuthenticatedEndpointHandlerInput,
  type IHttpServer,
} from '../types.js';
import { isBackendOnly, isShownOn, type RuleContext } from './column-rules.js';
import { primaryKeyOf, recordByPrimaryKey } from './resource-lookup.js';
import {
  deleteRecordRequestSchema,
  deleteRecordResponseSchema,
  updateRecordRequestSchema,
  updateRecordResponseSchema,
} from './resource-schemas.js';

type Input = IAdminForthAuthenticatedEndpointHandlerInput;

export function registerRecordEndpoints(server: IHttpServer, adminforth: IAdminForth): void {
  server.endpoint({
    method: 'POST',
    path: '/update_record',
    request_schema: updateRecordRequestSchema,
    response_schema: updateRecordResponseSchema,
    handler: (input) => updateRecord(adminforth, input),
  });
  server.endpoint({
    method: 'POST',
    path: '/delete_record',
    request_schema: deleteRecordRequestSchema,
    response_schema: deleteRecordResponseSchema,
    handler: (input) => deleteRecord(adminforth, input),
  });
}

function findResource(adminforth: IAdminForth, resourceId: unknown): AdminForthResource | undefined {
  return adminforth.config.resources.find((r) => r.resourceId == resourceId);
}

/**
 * The column checks of an edit: a field that is `backendOnly`, `editReadonly`, or hidden from
 * the edit page (unless `allowModifyWhenNotShowInEdit`) may not be sent. Returns the refusal.
 */
async function refuseRestrictedFields(resource: AdminForthResource, record: Record<string, any>, ctx: RuleContext): Promise<string | null> {
  for (const column of resource.columns) {
    if (!(column.name in record)) continue;
    const shown = await isShownOn(column, 'edit', ctx);
    const restriction = (await isBackendOnly(column, ctx)) ? 'backendOnly is true'
      : column.editReadonly ? 'editReadonly is true'
        : !shown && !column.allowModifyWhenNotShowInEdit ? 'showIn.edit is false'
          : null;
    if (!restriction) continue;
    const hint = restriction === 'showIn.edit is false'
      ? ' If you need to allow updating this hidden field during editing, set column.allowModifyWhenNotShowInEdit = true.'
      : '';
    return `Field "${column.name}" cannot be modified as it is restricted from editing (${restriction}).${hint}`;
  }
  return null;
}

/** A JSON column sent as a non-empty string is parsed (strict JSON here; see the README). */
function parseJsonColumns(resource: AdminForthResource, record: Record<string, any>): string | null {
  for (const column of resource.columns) {
    const value = record[column.name];
    if (column.type !== AdminForthDataTypes.JSON || column.isArray?.enabled || typeof value !== 'string' || value.trim() === '') continue;
    try {
      record[column.name] = JSON.parse(value);
    } catch (err) {
      return `Field "${column.name}" contains invalid JSON: ${(err as Error).message}`;
    }
  }
  return null;
}

/** `{ resourceId, recordId, record, meta? }` → `{ ok: true, recordId: record.id }` or `{ error, ok? }`. */
async function updateRecord(adminforth: IAdminForth, { body, adminUser, query, headers, cookies, requestUrl, response }: Input) {
  const resource = findResource(adminforth, body.resourceId);
  if (!resource) return { error: `Resource '${body.resourceId}' not found` };
  const { recordId, record } = body as { recordId: unknown; record: Record<string, any> };
  const pkName = primaryKeyOf(resource).name;
  const oldRecord = await recordByPrimaryKey(adminforth, resource, recordId);
  if (!oldRecord) return { error: `Record with ${pkName} ${recordId} not found` };

  const meta = { requestBody: body, newRecord: record, oldRecord, pk: recordId };
  const { allowedActions } = await interpretResource(adminUser, resource, meta, ActionCheckSource.EditRequest, adminforth);
  const access = checkAccess(AllowedActionsEnum.edit, allowedActions);
  if (!access.allowed) return { error: access.error };

  // A primary key in the changes may only name a free key.
  if (record[pkName] !== undefined && (await recordByPrimaryKey(adminforth, resource, record[pkName]))) {
    return { error: `Record with ${pkName} '${record[pkName]}' already exists`, ok: false };
  }
  const restricted = await refuseRestrictedFields(resource, record, { adminUser, resource, meta, source: ActionCheckSource.EditRequest, adminforth });
  if (restricted) return { error: restricted, ok: false };
  const jsonError = parseJsonColumns(resource, record);
  if (jsonError) return { error: jsonError, ok: false };

  const { error } = await updateResourceRecord(adminforth, {
    resource, updates: record, adminUser, oldRecord, recordId, response,
    extra: { body, query, headers, cookies, requestUrl, response },
  });
  if (error) return { error };
  // AdminForth answers the `id` field of the changes (usually absent), not the record's key.
  return { recordId: record.id, ok: true };
}

/** `{ resourceId, primaryKey }` → `{ ok: true, recordId: primaryKey }` or `{ error }`. */
async function deleteRecord(adminforth: IAdminForth, { body, adminUser, query, headers, cookies, requestUrl, response }: Input) {
  const resource = findResource(adminforth, body.resourceId);
  if (!resource) return { error: `Resource '${body.resourceId}' not found` };
  const record = await recordByPrimaryKey(adminforth, resource, body.primaryKey);
  if (!record) return { error: `Record with ${body.primaryKey} not found` };

  const { allowedActions } = await interpretResource(adminUser, resource, { requestBody: body, record }, ActionCheckSource.DeleteRequest, adminforth);
  const access = checkAccess(AllowedActionsEnum.delete, allowedActions);
  if (!access.allowed) return { error: access.error };

  const { error } = await deleteResourceRecord(adminforth, {
    resource, record, adminUser, recordId: body.primaryKey, response,
    extra: { body, query, headers, cookies, requestUrl, response },
  });
  if (error) return { error };
  return { ok: true, recordId: body.primaryKey };
}
