/**
 * `filtersTools`, handed to `beforeDatasourceRequest` hooks (and exported from the package root,
 * as AdminForth's `modules/filtersTools.ts` is): helpers over the top level of `query.filters`
 * when it is an array. They change `query.filters` in place (or replace it), as a hook would.
 */
interface FilterLike {
  field?: string;
  operator?: string;
  value?: any;
}

export interface FiltersTools {
  /** Whether a top-level filter names `field` (false when `query.filters` is not an array). */
  checkTopFilterExists(field: string): boolean;
  /** Drops the top-level filters on `field`; throws when `query.filters` is no array or has none. */
  removeTopFilter(field: string): void;
  /** Drops the top-level filters on `field`, if any; does nothing when `query.filters` is no array. */
  removeTopFilterIfExists(field: string): void;
  /** Replaces the top-level filters on `filter.field` with `filter` (makes `query.filters` an array if needed). */
  replaceOrAddTopFilter(filter: { field: string; value: any; operator: string }): void;
}

function toolsFor(query: { filters?: unknown }): FiltersTools {
  const topLevel = (): FilterLike[] | null => (Array.isArray(query.filters) ? query.filters : null);
  const tools: FiltersTools = {
    checkTopFilterExists: (field) => topLevel()?.some((f) => f.field === field) ?? false,
    removeTopFilter(field) {
      if (!topLevel()) throw new Error('query.filters is not an array');
      if (!tools.checkTopFilterExists(field)) throw new Error(`Top-level filter for field "${field}" not found`);
      tools.removeTopFilterIfExists(field);
    },
    removeTopFilterIfExists(field) {
      const filters = topLevel();
      if (filters) query.filters = filters.filter((f) => f.field !== field);
    },
    replaceOrAddTopFilter(filter) {
      if (!topLevel()) query.filters = [];
      tools.removeTopFilterIfExists(filter.field);
      (query.filters as FilterLike[]).push(filter);
    },
  };
  return tools;
}

export const filtersTools = { get: toolsFor };
