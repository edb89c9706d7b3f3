/**
 * Filter and sort validation plus their translation into SQL, shared by the SQL connectors.
 * Semantics follow contract §2 and §2.1: lowercase operators, array = AND, `undefined`/`[]` match
 * all, unknown fields throw, values are converted like writes, LIKE/ILIKE are substring matches,
 * NE with a non-null value also matches NULL, EQ null matches nothing, IN [] on a string column
 * matches nothing and throws on other types.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminForthDataTypes,
  type AdminForthResource,
  type AdminForthResourceColumn,
  type IAdminForthFilter,
  type IAdminForthFilterInput,
  type IAdminForthSingleFilter,
  type IAdminForthSort,
} from '../types.js';

/** What the SQL builder needs from a connector's dialect. */
export interface SqlBuilder {
  /** Quotes an identifier (`"x"` or `` `x` ``). */
  quote(identifier: string): string;
  /** Records a bound value and returns its placeholder (`?` or `$n`). */
  param(value: unknown): string;
  /** Converts a filter value the way a write would (throws on a wrong type). */
  convert(column: AdminForthResourceColumn, value: unknown): unknown;
  /** Case-insensitive LIKE for this dialect, given the quoted column and the placeholder. */
  ilike(columnSql: string, placeholder: string): string;
}

const COMPARISONS: Record<string, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const SINGLE_OPERATORS = new Set([...Object.keys(COMPARISONS), 'like', 'ilike', 'in', 'nin', 'isEmpty', 'isNotEmpty']);
const STRING_TYPES = new Set<string>([AdminForthDataTypes.STRING, AdminForthDataTypes.TEXT, AdminForthDataTypes.RICHTEXT]);

/** The non-virtual columns: what rows contain and what filters/sorts may name (contract §2). */
export function dataColumns(resource: AdminForthResource): AdminForthResourceColumn[] {
  return resource.dataSourceColumns ?? resource.columns.filter((c) => !c.virtual);
}

/** The primary-key column; a resource without one never gets past discovery (contract §5). */
export function primaryKeyColumn(resource: AdminForthResource): AdminForthResourceColumn {
  const pk = resource.columns.find((c) => c.primaryKey);
  if (!pk) throw new Error(`Resource '${resource.resourceId}' has no primary key column`);
  return pk;
}

/** Finds a filterable/sortable column or throws the message real AdminForth uses (§2.1). */
export function findColumn(resource: AdminForthResource, field: string): AdminForthResourceColumn {
  const column = dataColumns(resource).find((c) => c.name === field);
  if (!column) throw new Error(`Field '${field}' not found in resource '${resource.resourceId}'`);
  return column;
}

/**
 * Validates a filter input and returns the SQL condition, or `''` when it matches everything.
 * Throws on unknown fields/operators, missing values, non-array IN/NIN values and bad types.
 */
export function buildWhere(resource: AdminForthResource, input: IAdminForthFilterInput | null, sql: SqlBuilder): string {
  if (input === undefined || input === null) return '';
  if (Array.isArray(input)) return joinAll(resource, input, 'AND', sql);
  return buildNode(resource, input, sql);
}

function joinAll(resource: AdminForthResource, filters: IAdminForthFilter[], glue: 'AND' | 'OR', sql: SqlBuilder): string {
  const parts = filters.map((f) => buildNode(resource, f, sql));
  if (parts.some((p) => p === '')) {
    // A match-all member makes an OR match all and drops out of an AND.
    if (glue === 'OR') return '';
  }
  const kept = parts.filter((p) => p !== '');
  if (kept.length === 0) return filters.length === 0 && glue === 'OR' ? '1 = 0' : '';
  return kept.length === 1 ? kept[0] : `(${kept.join(` ${glue} `)})`;
}

function buildNode(resource: AdminForthResource, filter: IAdminForthFilter, sql: SqlBuilder): string {
  if (!filter || typeof filter !== 'object') throw new Error(`Invalid filter: ${JSON.stringify(filter)}`);
  if (filter.operator === 'and' || filter.operator === 'or') {
    const subFilters = (filter as { subFilters?: unknown }).subFilters;
    if (!Array.isArray(subFilters)) throw new Error(`Filter with operator '${filter.operator}' needs a subFilters array`);
    return joinAll(resource, subFilters, filter.operator === 'and' ? 'AND' : 'OR', sql);
  }
  return buildSingle(resource, filter as IAdminForthSingleFilter, sql);
}

function buildSingle(resource: AdminForthResource, filter: IAdminForthSingleFilter, sql: SqlBuilder): string {
  const { field, operator } = filter;
  if (!SINGLE_OPERATORS.has(operator)) {
    throw new Error(`Unknown filter operator '${operator}' (operators are lowercase: ${[...SINGLE_OPERATORS, 'and', 'or'].join(', ')})`);
  }
  const column = findColumn(resource, field);
  const left = sql.quote(column.name);
  if (operator === 'isEmpty') return `${left} IS NULL`;
  if (operator === 'isNotEmpty') return `${left} IS NOT NULL`;

  if (filter.rightField !== undefined) {
    if (!COMPARISONS[operator]) throw new Error(`Operator '${operator}' cannot compare field '${field}' to another field`);
    return `${left} ${COMPARISONS[operator]} ${sql.quote(findColumn(resource, filter.rightField).name)}`;
  }
  if (filter.value === undefined) throw new Error(`Filter on field '${field}' with operator '${operator}' has no value`);
  const value = filter.value;

  if (operator === 'like') return `${left} LIKE ${sql.param(`%${value}%`)}`;
  if (operator === 'ilike') return sql.ilike(left, sql.param(`%${value}%`));
  if (operator === 'in' || operator === 'nin') {
    if (!Array.isArray(value)) throw new Error(`Filter '${operator}' on field '${field}' needs an array value`);
    let values = value;
    if (values.length === 0) {
      if (operator === 'nin') return '';
      // §2.1: AdminForth rewrites IN [] to a random UUID on string columns (matches nothing).
      if (!STRING_TYPES.has(column.type)) throw new Error(`Filter 'in' on field '${field}' got an empty array`);
      values = [randomUUID()];
    }
    const list = values.map((v) => sql.param(sql.convert(column, v))).join(', ');
    return `${left} ${operator === 'in' ? 'IN' : 'NOT IN'} (${list})`;
  }
  const converted = value === null ? null : sql.convert(column, value);
  const condition = `${left} ${COMPARISONS[operator]} ${sql.param(converted)}`;
  // §2.1: NE with a non-null value also matches NULL rows; `= NULL` (EQ null) matches nothing.
  if (operator === 'ne' && converted !== null) return `(${condition} OR ${left} IS NULL)`;
  return condition;
}

/** Validates sorts (one or an array, lowercase directions) and returns `' ORDER BY ...'` or `''`. */
export function buildOrderBy(resource: AdminForthResource, sort: IAdminForthSort | IAdminForthSort[] | undefined | null, sql: SqlBuilder): string {
  const sorts = sort == null ? [] : Array.isArray(sort) ? sort : [sort];
  const parts = sorts.map((s) => {
    const column = findColumn(resource, s.field);
    if (s.direction !== 'asc' && s.direction !== 'desc') {
      throw new Error(`Sort direction '${s.direction}' for field '${s.field}' is not valid: use 'asc' or 'desc'`);
    }
    return `${sql.quote(column.name)} ${s.direction.toUpperCase()}`;
  });
  return parts.length ? ` ORDER BY ${parts.join(', ')}` : '';
}
