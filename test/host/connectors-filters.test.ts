/** Filters and sorts through the operational resource API on every database (contract §2.1, §9.4). */
import { describe, expect, it } from 'vitest';
import { availableDbKinds } from '../helpers/databases.js';
import { useFixture } from './connectors/test-fixture.js';
import type { IAdminForthFilterInput } from './types.js';

const kinds = await availableDbKinds();

const ROWS = [
  { id: 'a', name: 'Alpha', attempts: 1, priority: 1, score: 1.5, active: true, email: 'a@x', created_at: '2024-01-01T10:00:00.000Z' },
  { id: 'b', name: 'beta', attempts: 2, priority: 2, score: null, active: false, email: null, created_at: '2024-01-02T10:00:00.000Z' },
  { id: 'c', name: 'Gamma', attempts: 3, priority: 1, score: 3.5, active: true, email: 'c@x', created_at: '2024-01-03T10:00:00.000Z' },
  { id: 'd', name: 'delta', attempts: 4, priority: 2, score: 4.5, active: null, email: 'd@x', created_at: '2024-01-04T10:00:00.000Z' },
  { id: 'e', name: 'ALPHABET', attempts: 5, priority: 1, score: 0.5, active: false, email: 'e@x', created_at: '2024-01-05T10:00:00.000Z' },
];

describe.each(kinds)('contract §2.1 filters and sorts (%s)', (kind) => {
  const fixture = useFixture(kind);
  /** Seeds ROWS and returns a helper listing the matching ids, in id order. */
  async function seeded() {
    const { api } = fixture();
    for (const row of ROWS) await api.create(row);
    return async (filter: IAdminForthFilterInput) => (await api.list(filter, null, null, { field: 'id', direction: 'asc' })).map((r) => r.id).join('');
  }

  it('undefined and [] match all; an array is ANDed; and/or nodes nest', async () => {
    const ids = await seeded();
    expect(await ids(undefined)).toBe('abcde');
    expect(await ids([])).toBe('abcde');
    expect(await ids({ field: 'priority', operator: 'eq', value: 1 })).toBe('ace');
    expect(await ids([{ field: 'priority', operator: 'eq', value: 1 }, { field: 'attempts', operator: 'gt', value: 1 }])).toBe('ce');
    expect(await ids({ operator: 'or', subFilters: [{ field: 'id', operator: 'eq', value: 'a' }, { operator: 'and', subFilters: [{ field: 'priority', operator: 'eq', value: 2 }, { field: 'attempts', operator: 'gte', value: 4 }] }] })).toBe('ad');
    expect(await ids({ operator: 'and', subFilters: [] })).toBe('abcde');
  });

  it('comparisons gt gte lt lte, and field-to-field with rightField', async () => {
    const ids = await seeded();
    expect(await ids({ field: 'attempts', operator: 'gt', value: 3 })).toBe('de');
    expect(await ids({ field: 'attempts', operator: 'gte', value: 3 })).toBe('cde');
    expect(await ids({ field: 'attempts', operator: 'lt', value: 3 })).toBe('ab');
    expect(await ids({ field: 'attempts', operator: 'lte', value: 3 })).toBe('abc');
    expect(await ids({ field: 'score', operator: 'gt', rightField: 'attempts' })).toBe('acd');
    expect(await ids({ field: 'priority', operator: 'gte', rightField: 'attempts' })).toBe('ab');
    expect(await ids({ field: 'priority', operator: 'lt', rightField: 'attempts' })).toBe('cde');
    expect(await ids({ field: 'attempts', operator: 'lte', rightField: 'priority' })).toBe('ab');
  });

  it('NE with a value also matches NULL; EQ null matches nothing; isEmpty / isNotEmpty', async () => {
    const ids = await seeded();
    expect(await ids({ field: 'score', operator: 'ne', value: 1.5 })).toBe('bcde');
    expect(await ids({ field: 'active', operator: 'ne', value: true })).toBe('bde');
    expect(await ids({ field: 'email', operator: 'eq', value: null })).toBe('');
    expect(await ids({ field: 'email', operator: 'isEmpty', value: null })).toBe('b');
    expect(await ids({ field: 'email', operator: 'isNotEmpty', value: null })).toBe('acde');
  });

  it('LIKE / ILIKE are substring matches; ILIKE ignores case', async () => {
    const ids = await seeded();
    expect(await ids({ field: 'name', operator: 'like', value: 'elt' })).toBe('d');
    expect(await ids({ field: 'name', operator: 'ilike', value: 'ALPHA' })).toBe('ae');
    expect(await ids({ field: 'name', operator: 'ilike', value: 'eta' })).toBe('b');
  });

  it('IN / NIN; IN [] on a string column matches nothing, on other types throws', async () => {
    const ids = await seeded();
    expect(await ids({ field: 'attempts', operator: 'in', value: [1, '3', 5] })).toBe('ace');
    expect(await ids({ field: 'id', operator: 'nin', value: ['a', 'b'] })).toBe('cde');
    expect(await ids({ field: 'name', operator: 'in', value: [] })).toBe('');
    await expect(ids({ field: 'attempts', operator: 'in', value: [] })).rejects.toThrow(/empty array/);
    await expect(ids({ field: 'attempts', operator: 'in', value: 1 })).rejects.toThrow(/needs an array/);
  });

  it('values are converted like writes: datetime, boolean, numeric strings; a non-numeric string on INTEGER throws', async () => {
    const ids = await seeded();
    expect(await ids({ field: 'created_at', operator: 'gte', value: '2024-01-03T10:00:00.000Z' })).toBe('cde');
    expect(await ids({ field: 'created_at', operator: 'lt', value: new Date('2024-01-02T12:00:00Z') })).toBe('ab');
    expect(await ids({ field: 'active', operator: 'eq', value: true })).toBe('ac');
    expect(await ids({ field: 'active', operator: 'eq', value: false })).toBe('be');
    expect(await ids({ field: 'attempts', operator: 'eq', value: '2' })).toBe('b');
    await expect(ids({ field: 'attempts', operator: 'eq', value: 'two' })).rejects.toThrow("Value 'two' is not a valid integer for column 'attempts'");
    await expect(ids({ field: 'created_at', operator: 'gt', value: 'yesterday' })).rejects.toThrow(/created_at/);
  });

  it('unknown field, unknown/uppercase operator and a missing value throw', async () => {
    const ids = await seeded();
    await expect(ids({ field: 'nope', operator: 'eq', value: 1 })).rejects.toThrow("Field 'nope' not found in resource 'jobs'");
    await expect(ids({ field: 'shown_label', operator: 'eq', value: 1 })).rejects.toThrow("Field 'shown_label' not found in resource 'jobs'");
    await expect(ids({ field: 'id', operator: 'EQ' as any, value: 'a' })).rejects.toThrow(/Unknown filter operator 'EQ'/);
    await expect(ids({ field: 'id', operator: 'eq' })).rejects.toThrow(/has no value/);
    await expect(ids({ field: 'score', operator: 'gt', rightField: 'nope' })).rejects.toThrow("Field 'nope' not found in resource 'jobs'");
  });

  it('sorts: one or an array, lowercase directions; unknown field or uppercase direction throws', async () => {
    await seeded();
    const { api } = fixture();
    const order = async (sort: any) => (await api.list([], null, null, sort)).map((r) => r.id).join('');
    expect(await order({ field: 'attempts', direction: 'desc' })).toBe('edcba');
    expect(await order([{ field: 'priority', direction: 'desc' }, { field: 'attempts', direction: 'asc' }])).toBe('bdace');
    expect(await order([{ field: 'created_at', direction: 'asc' }])).toBe('abcde');
    await expect(order({ field: 'attempts', direction: 'DESC' })).rejects.toThrow(/Sort direction 'DESC'/);
    await expect(order({ field: 'nope', direction: 'asc' })).rejects.toThrow("Field 'nope' not found in resource 'jobs'");
  });
});
