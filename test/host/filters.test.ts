import { describe, expect, it } from 'vitest';
import { AdminForthFilterOperators, AdminForthSortDirections, Filters, Sorts } from 'adminforth';

describe('contract §2.1: Filters builders', () => {
  it('builds single-field filters with lowercase operators', () => {
    expect(Filters.EQ('status', 'DONE')).toEqual({ field: 'status', operator: 'eq', value: 'DONE' });
    expect(Filters.NEQ('status', 'DONE')).toEqual({ field: 'status', operator: 'ne', value: 'DONE' });
    expect(Filters.GT('n', 1)).toEqual({ field: 'n', operator: 'gt', value: 1 });
    expect(Filters.GTE('n', 1)).toEqual({ field: 'n', operator: 'gte', value: 1 });
    expect(Filters.LT('n', 1)).toEqual({ field: 'n', operator: 'lt', value: 1 });
    expect(Filters.LTE('n', 1)).toEqual({ field: 'n', operator: 'lte', value: 1 });
    expect(Filters.IN('n', [1, 2])).toEqual({ field: 'n', operator: 'in', value: [1, 2] });
    expect(Filters.NOT_IN('n', [1, 2])).toEqual({ field: 'n', operator: 'nin', value: [1, 2] });
    expect(Filters.LIKE('name', 'ab')).toEqual({ field: 'name', operator: 'like', value: 'ab' });
    expect(Filters.ILIKE('name', 'ab')).toEqual({ field: 'name', operator: 'ilike', value: 'ab' });
  });

  it('IS_EMPTY / IS_NOT_EMPTY carry value null', () => {
    expect(Filters.IS_EMPTY('finished_at')).toEqual({ field: 'finished_at', operator: 'isEmpty', value: null });
    expect(Filters.IS_NOT_EMPTY('finished_at')).toEqual({ field: 'finished_at', operator: 'isNotEmpty', value: null });
  });

  it('field-to-field comparisons use rightField and no value', () => {
    expect(Filters.GT_FIELD('a', 'b')).toEqual({ field: 'a', operator: 'gt', rightField: 'b' });
    expect(Filters.GTE_FIELD('a', 'b')).toEqual({ field: 'a', operator: 'gte', rightField: 'b' });
    expect(Filters.LT_FIELD('a', 'b')).toEqual({ field: 'a', operator: 'lt', rightField: 'b' });
    expect(Filters.LTE_FIELD('a', 'b')).toEqual({ field: 'a', operator: 'lte', rightField: 'b' });
    expect(Filters.GT_FIELD('a', 'b')).not.toHaveProperty('value');
  });

  it('AND / OR take varargs or one array and nest', () => {
    const a = Filters.EQ('handler', 'h');
    const b = Filters.EQ('status', 'QUEUED');
    expect(Filters.AND(a, b)).toEqual({ operator: 'and', subFilters: [a, b] });
    expect(Filters.AND([a, b])).toEqual({ operator: 'and', subFilters: [a, b] });
    expect(Filters.OR(a, b)).toEqual({ operator: 'or', subFilters: [a, b] });
    expect(Filters.OR([a])).toEqual({ operator: 'or', subFilters: [a] });
    expect(Filters.AND()).toEqual({ operator: 'and', subFilters: [] });
    expect(Filters.OR(Filters.AND(a, b), a)).toEqual({
      operator: 'or',
      subFilters: [{ operator: 'and', subFilters: [a, b] }, a],
    });
  });

  it('operator strings match the exported AdminForthFilterOperators enum', () => {
    expect(Object.values(AdminForthFilterOperators).sort()).toEqual(
      ['and', 'eq', 'gt', 'gte', 'ilike', 'in', 'isEmpty', 'isNotEmpty', 'like', 'lt', 'lte', 'ne', 'nin', 'or'],
    );
  });
});

describe('contract §2.1: Sorts builders', () => {
  it('ASC / DESC give {field, direction} with lowercase directions', () => {
    expect(Sorts.ASC('created_at')).toEqual({ field: 'created_at', direction: 'asc' });
    expect(Sorts.DESC('created_at')).toEqual({ field: 'created_at', direction: 'desc' });
    expect(Object.values(AdminForthSortDirections)).toEqual(['asc', 'desc']);
  });
});
