/**
 * `request_schema` / `response_schema` checking the way AdminForth does it (contract §3.1,
 * `servers/openapi.ts`): a Zod schema is turned into draft-07 JSON Schema with
 * `z.toJSONSchema` and checked by AJV with `allErrors`, so the error details are AJV's own
 * `{ instancePath, schemaPath, keyword, message, params }`. A side effect worth knowing: Zod 4
 * emits `additionalProperties: false` for every `z.object`, strict or not, so extra keys are
 * rejected either way. The body handed to the handler is the original, never Zod's parse.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';

/** One AJV error as AdminForth returns it in `details`. */
export interface SchemaErrorDetail {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
  params: Record<string, any>;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

function isZodSchema(schema: any): boolean {
  return Boolean(schema && typeof schema === 'object' && '_zod' in schema);
}

function compile(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const jsonSchema = isZodSchema(schema) ? z.toJSONSchema(schema as z.ZodType, { target: 'draft-07' }) : schema;
    validate = ajv.compile(jsonSchema as object);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Checks `value` against a Zod schema (or a plain JSON Schema); null when valid, else the details. */
export function validateAgainstSchema(schema: object, value: unknown): SchemaErrorDetail[] | null {
  const validate = compile(schema);
  if (validate(value)) return null;
  return (validate.errors ?? []).map((e: ErrorObject) => ({
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    message: e.message,
    params: e.params as Record<string, any>,
  }));
}
