/**
 * `Filters` and `Sorts` builders with AdminForth's lowercase shapes (contract §2.1). They only
 * build plain objects; the connectors check fields and values.
 */
import {
  AdminForthFilterOperators,
  AdminForthSortDirections,
  type IAdminForthAndOrFilter,
  type IAdminForthFilter,
  type IAdminForthSingleFilter,
  type IAdminForthSort,
} from './types.js';

type FieldComparison = IAdminForthSingleFilter & { rightField: string };

function single(field: string, operator: AdminForthFilterOperators, value: any): IAdminForthSingleFilter {
  return { field, operator, value };
}

function fieldComparison(left: string, operator: AdminForthFilterOperators, right: string): FieldComparison {
  return { field: left, operator, rightField: right };
}

/** `AND(a, b)` and `AND([a, b])` are the same (contract §2.1). */
function flatten(filters: (IAdminForthFilter | IAdminForthFilter[])[]): IAdminForthFilter[] {
  return filters.length === 1 && Array.isArray(filters[0]) ? filters[0] : (filters as IAdminForthFilter[]);
}

export class Filters {
  static EQ(field: string, value: any) { return single(field, AdminForthFilterOperators.EQ, value); }
  static NEQ(field: string, value: any) { return single(field, AdminForthFilterOperators.NE, value); }
  static GT(field: string, value: any) { return single(field, AdminForthFilterOperators.GT, value); }
  static GTE(field: string, value: any) { return single(field, AdminForthFilterOperators.GTE, value); }
  static LT(field: string, value: any) { return single(field, AdminForthFilterOperators.LT, value); }
  static LTE(field: string, value: any) { return single(field, AdminForthFilterOperators.LTE, value); }
  static IN(field: string, values: any[]) { return single(field, AdminForthFilterOperators.IN, values); }
  static NOT_IN(field: string, values: any[]) { return single(field, AdminForthFilterOperators.NIN, values); }
  /** Substring match in every connector (`%value%`). */
  static LIKE(field: string, value: any) { return single(field, AdminForthFilterOperators.LIKE, value); }
  static ILIKE(field: string, value: any) { return single(field, AdminForthFilterOperators.ILIKE, value); }
  static IS_EMPTY(field: string) { return single(field, AdminForthFilterOperators.IS_EMPTY, null); }
  static IS_NOT_EMPTY(field: string) { return single(field, AdminForthFilterOperators.IS_NOT_EMPTY, null); }
  static GT_FIELD(left: string, right: string) { return fieldComparison(left, AdminForthFilterOperators.GT, right); }
  static GTE_FIELD(left: string, right: string) { return fieldComparison(left, AdminForthFilterOperators.GTE, right); }
  static LT_FIELD(left: string, right: string) { return fieldComparison(left, AdminForthFilterOperators.LT, right); }
  static LTE_FIELD(left: string, right: string) { return fieldComparison(left, AdminForthFilterOperators.LTE, right); }

  static AND(...filters: (IAdminForthFilter | IAdminForthFilter[])[]): IAdminForthAndOrFilter {
    return { operator: AdminForthFilterOperators.AND, subFilters: flatten(filters) };
  }

  static OR(...filters: (IAdminForthFilter | IAdminForthFilter[])[]): IAdminForthAndOrFilter {
    return { operator: AdminForthFilterOperators.OR, subFilters: flatten(filters) };
  }
}

export class Sorts {
  static ASC(field: string): IAdminForthSort { return { field, direction: AdminForthSortDirections.asc }; }
  static DESC(field: string): IAdminForthSort { return { field, direction: AdminForthSortDirections.desc }; }
}
