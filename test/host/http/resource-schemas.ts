/**
 * The JSON Schemas AdminForth checks the bodies of its resource endpoints against (and their
 * answers): same constraints as `modules/restApi.ts`, so a body it refuses with
 * 400 `Request body validation failed` is refused here too (contract §3.1). Written as plain
 * JSON Schema; `express-server.ts` compiles them with AJV as AdminForth does.
 */
import { AdminForthFilterOperators, AdminForthSortDirections } from '../types.js';

const anyObject = { type: 'object', additionalProperties: true };
const stringOrNumber = { anyOf: [{ type: 'string' }, { type: 'number' }] };
const errorAnswer = { type: 'object', required: ['error'], properties: { error: { type: 'string' } }, additionalProperties: true };

/** Either `{ error: string }` or the success shape. */
const errorOr = (success: object) => ({ anyOf: [errorAnswer, success] });

const singleOperators = Object.values(AdminForthFilterOperators).filter((op) => op !== 'and' && op !== 'or');

const definitions = {
  singleFilter: {
    type: 'object',
    properties: {
      field: { type: 'string' },
      operator: { type: 'string', enum: singleOperators },
      value: {},
      rightField: { type: 'string' },
    },
    additionalProperties: true,
  },
  filterGroup: {
    type: 'object',
    required: ['operator', 'subFilters'],
    properties: {
      operator: { type: 'string', enum: ['and', 'or'] },
      subFilters: { type: 'array', items: { $ref: '#/$defs/filterNode' } },
    },
    additionalProperties: true,
  },
  filterNode: { anyOf: [{ $ref: '#/$defs/singleFilter' }, { $ref: '#/$defs/filterGroup' }] },
  sortItem: {
    type: 'object',
    required: ['field', 'direction'],
    properties: { field: { type: 'string' }, direction: { type: 'string', enum: Object.values(AdminForthSortDirections) } },
    additionalProperties: true,
  },
};

/**
 * `POST /get_resource_data`: `{ resourceId, source: 'list'|'show'|'edit', limit, offset, filters?,
 * sort?, columns? }`; `filters` is one filter node or an array of them, and for show and edit an
 * array of single filters that each name a field.
 */
export const getResourceDataRequestSchema = {
  type: 'object',
  $defs: definitions,
  required: ['resourceId', 'source', 'limit', 'offset'],
  properties: {
    resourceId: { type: 'string' },
    source: { type: 'string', enum: ['show', 'list', 'edit'] },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
    sort: { type: 'array', items: { $ref: '#/$defs/sortItem' } },
    filters: { oneOf: [{ type: 'array', items: { $ref: '#/$defs/filterNode' } }, { $ref: '#/$defs/filterNode' }] },
    columns: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
  },
  additionalProperties: true,
  allOf: [{
    if: { properties: { source: { enum: ['show', 'edit'] } }, required: ['source'] },
    then: {
      properties: {
        filters: { type: 'array', items: { allOf: [{ $ref: '#/$defs/singleFilter' }, { type: 'object', required: ['field'] }] } },
      },
    },
  }],
};

export const getResourceDataResponseSchema = errorOr({
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'array', items: anyObject }, total: { type: 'number' }, recordIds: { type: 'array', items: {} }, options: anyObject },
  additionalProperties: true,
});

/** `POST /update_record`: `{ resourceId, recordId, record, meta? }`. */
export const updateRecordRequestSchema = {
  type: 'object',
  required: ['resourceId', 'recordId', 'record'],
  properties: { resourceId: { type: 'string' }, recordId: stringOrNumber, record: anyObject, meta: anyObject },
  additionalProperties: true,
};

export const updateRecordResponseSchema = errorOr({
  type: 'object',
  required: ['ok'],
  properties: { ok: { const: true }, recordId: stringOrNumber },
  additionalProperties: true,
});

/** `POST /delete_record`: `{ resourceId, primaryKey }`. */
export const deleteRecordRequestSchema = {
  type: 'object',
  required: ['resourceId', 'primaryKey'],
  properties: { resourceId: { type: 'string' }, primaryKey: stringOrNumber },
  additionalProperties: true,
};

export const deleteRecordResponseSchema = errorOr({
  type: 'object',
  required: ['ok', 'recordId'],
  properties: { ok: { const: true }, recordId: stringOrNumber },
  additionalProperties: true,
});
