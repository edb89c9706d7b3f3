/**
 * `POST /adminapi/v1/get_resource_data`: what AdminForth's own list, show and edit pages load
 * their rows with (`modules/restApi.ts`). Order of steps, each refusal an HTTP 200 `{ error }`:
 * source → discovery → resource → raw-SQL filters → `allowedActions` (list: `list`; show and
 * edit: `show`) → `beforeDatasourceRequest` hooks (edit uses show's) → columns → query through
 * the connector → foreign keys as `{ label, pk }` → backendOnly columns out, `_label` in →
 * `afterDatasourceResponse` hooks → the rows, `total` and `recordIds` (list only).
 */
import { checkAccess, interpretResource } from '../allowed-actions.js';
import { filtersTools } from '../filters-tools.js';
import {
  ActionCheckSource,
  AdminForthFilterOperators,
  AllowedActionsEnum,
  type AdminForthResource,
  type AdminForthResourceColumn,
  type IAdminForth,
  type IAdminForthAndOrFilter,
  type IAdminForthAuthenticatedEndpointHandlerInput,
  type IAdminForthSort,
  type IHttpServer,
} from '../types.js';
import { hookResponseError } from '../utils.js';
import { isBackendOnly, type RuleContext } from './column-rules.js';
import { attachForeignLabels } from './foreign-labels.js';
import { connectorOf, primaryKeyOf } from './resource-lookup.js';
import { getResourceDataRequestSchema, getResourceDataResponseSchema } from './resource-schemas.js';

type Source = 'list' | 'show' | 'edit';
type Row = Record<string, any>;

const CHECK_SOURCE: Record<Source, ActionCheckSource> = {
  list: ActionCheckSource.ListRequest,
  show: ActionCheckSource.ShowRequest,
  edit: ActionCheckSource.EditLoadRequest,
};

/** Raw-SQL filters may come from hooks, never from the client (`rejectApiRawFilters`). */
function hasRawFilter(filters: any): boolean {
  if (!filters || typeof filters !== 'object') return false;
  if (Array.isArray(filters)) return filters.some(hasRawFilter);
  if (Object.hasOwn(filters, 'insecureRawSQL') || Object.hasOwn(filters, 'insecureRawNoSQL')) return true;
  return Array.isArray(filters.subFilters) && filters.subFilters.some(hasRawFilter);
}

/** `{ error }` when a client-given filter (at any depth) carries `insecureRawSQL`/`insecureRawNoSQL`. */
export function rejectApiRawFilters(filters: unknown): { error: string } | undefined {
  if (hasRawFilter(filters)) return { error: 'insecureRawSQL and insecureRawNoSQL filters are not allowed in API requests' };
  return undefined;
}

/** The `{ error }` core answers while discovery has not finished, or null. */
export function discoveryError(adminforth: IAdminForth): { error: string } | null {
  if (!adminforth.statuses.dbDiscover) return { error: 'Database discovery not started' };
  if (adminforth.statuses.dbDiscover !== 'done') return { error: 'Database discovery is still in progress, please try later' };
  return null;
}

/**
 * Whatever the hooks left in `query.filters`, as one AND/OR node: an array is ANDed, a single
 * filter wrapped, an AND/OR node kept. Anything else throws (a 500), as in AdminForth.
 */
function toAndOrFilter(filters: unknown): IAdminForthAndOrFilter {
  if (!filters) return { operator: AdminForthFilterOperators.AND, subFilters: [] };
  if (typeof filters !== 'object') throw new Error('Filter should be an array or an object');
  if (Array.isArray(filters)) return { operator: AdminForthFilterOperators.AND, subFilters: filters };
  const node = filters as Record<string, any>;
  if (node.field) return { operator: AdminForthFilterOperators.AND, subFilters: [node as any] };
  if (node.subFilters) return { operator: node.operator, subFilters: node.subFilters };
  throw new Error(`Wrong filter object value: ${JSON.stringify(filters)}`);
}

/**
 * The data-source columns a show/edit request with `columns` reads: the selected ones (plus the
 * `polymorphicOn` column of a selected polymorphic foreign key), else the primary key and the
 * first column. A list request always reads every column.
 */
function columnsToRead(resource: AdminForthResource, selected: Set<string>): AdminForthResourceColumn[] {
  const names = new Set([...selected].filter((name) => resource.dataSourceColumns.some((c) => c.name === name)));
  for (const column of resource.columns) {
    if (selected.has(column.name) && column.foreignResource?.polymorphicOn) names.add(column.foreignResource.polymorphicOn);
  }
  const chosen = resource.dataSourceColumns.filter((c) => names.has(c.name));
  if (chosen.length) return chosen;
  const first = resource.dataSourceColumns[0]?.name;
  return resource.dataSourceColumns.filter((c) => c.primaryKey || c.name === first);
}

function keepOnly(rows: Row[], keep: (key: string) => boolean): void {
  for (const row of rows) for (const key of Object.keys(row)) if (!keep(key)) delete row[key];
}

export function registerResourceDataEndpoint(server: IHttpServer, adminforth: IAdminForth): void {
  server.endpoint({
    method: 'POST',
    path: '/get_resource_data',
    request_schema: getResourceDataRequestSchema,
    response_schema: getResourceDataResponseSchema,
    handler: (input) => getResourceData(adminforth, input),
  });
}

async function getResourceData(adminforth: IAdminForth, input: IAdminForthAuthenticatedEndpointHandlerInput): Promise<Record<string, any>> {
  const { body, adminUser, headers, query, cookies, requestUrl, abortSignal } = input;
  const source = body.source as Source;
  if (!['show', 'list', 'edit'].includes(source)) return { error: 'Invalid source, should be list or show' };
  const notReady = discoveryError(adminforth);
  if (notReady) return notReady;
  const resource = adminforth.config.resources.find((r) => r.resourceId == body.resourceId);
  if (!resource) return { error: `Resource ${body.resourceId} not found` };
  const rawFilterError = rejectApiRawFilters(body.filters);
  if (rawFilterError) return rawFilterError;

  const pkName = primaryKeyOf(resource).name;
  // `meta.pk`: the value of the client's filter on the primary key (show and edit only), read
  // before any hook changes the filters.
  const meta: { requestBody: any; pk: unknown } = { requestBody: body, pk: undefined };
  if (source !== 'list' && Array.isArray(body.filters)) meta.pk = body.filters.find((f: any) => f?.field === pkName)?.value;

  const checkSource = CHECK_SOURCE[source];
  const { allowedActions } = await interpretResource(adminUser, resource, meta, checkSource, adminforth);
  // Edit loads its record through a show request: the `show` action decides.
  const { allowed, error } = checkAccess(source === 'list' ? AllowedActionsEnum.list : AllowedActionsEnum.show, allowedActions);
  if (!allowed) return { error };
  const aborted = () => (abortSignal.aborted ? { error: 'Request aborted' } : null);
  if (aborted()) return aborted()!;

  const hookScope = source === 'list' ? 'list' : 'show';
  const extra = { body, query, headers, cookies, requestUrl };
  // `query` in the hooks is the request body itself: what they change is what runs.
  for (const hook of resource.hooks?.[hookScope]?.beforeDatasourceRequest ?? []) {
    const tools = filtersTools.get(body);
    body.filtersTools = tools;
    if (aborted()) return aborted()!;
    const refusal = hookResponseError(await hook({ resource, query: body, adminUser, filtersTools: tools, extra, adminforth }));
    if (refusal) return refusal;
  }

  const { limit, offset, filters, sort } = body;
  const selected = body.columns ? new Set<string>(body.columns) : undefined;
  const unknownColumn = selected && [...selected].find((name) => !resource.columns.some((c) => c.name === name));
  if (unknownColumn) return { error: `Column ${unknownColumn} not found in resource ${body.resourceId}` };
  const isList = source === 'list';
  // Sorts on virtual or unknown columns (a hook may have added them) are dropped.
  const sortable = ((sort || []) as IAdminForthSort[]).filter((s) => {
    const column = resource.columns.find((c) => c.name === s.field);
    return column && !column.virtual;
  });
  const where = toAndOrFilter(filters);
  if (aborted()) return aborted()!;

  const connector = connectorOf(adminforth, resource);
  const [rows, total] = await Promise.all([
    connector.getData({ resource, filters: where, limit, offset, sort: sortable }),
    isList ? connector.getCount({ resource, filters: where }) : Promise.resolve(undefined),
  ]);
  if (selected && !isList) {
    const read = new Set(columnsToRead(resource, selected).map((c) => c.name));
    keepOnly(rows, (key) => read.has(key));
  }

  await attachForeignLabels(adminforth, resource, rows, (column) => !selected || isList || selected.has(column.name));

  const ctx: RuleContext = { adminUser, resource, meta, source: checkSource, adminforth };
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      const column = resource.columns.find((c) => c.name === key);
      if (!column || (await isBackendOnly(column, ctx))) delete row[key];
    }
    if (!selected || isList) row._label = resource.recordLabel?.(row);
  }
  if (isList && typeof resource.options.listTableClickUrl === 'function') {
    await Promise.all(rows.map(async (row) => {
      row._clickUrl = await resource.options.listTableClickUrl(row, adminUser, resource);
    }));
  }

  // `response` is the rows array: a hook edits it in place (e.g. `splice`) to change the answer.
  for (const hook of resource.hooks?.[hookScope]?.afterDatasourceResponse ?? []) {
    if (aborted()) return aborted()!;
    const refusal = hookResponseError(await hook({ resource, query: body, response: rows, adminUser, extra, adminforth }));
    if (refusal) return refusal;
  }

  if (selected) keepOnly(rows, (key) => selected.has(key) || key === '_label' || key === '_clickUrl');
  // `total` counts what the query matched; rows a hook removed afterwards still count.
  const answer: Record<string, any> = { data: rows, total };
  if (isList) answer.recordIds = rows.map((row) => row[pkName]);
  return answer;
}
