/**
 * JSON Schema helpers shared by the dialects: one Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) that
 * compiles the request schemas each dialect generates from its field table, and a translation of Ajv's first
 * error into a message that names the wire field, e.g. `connection-sip-transport-protocol must be one of "UDP",
 * "TCP", "TLS"`. The same schema objects go into the dialect's OpenAPI document, so what is documented is what
 * is enforced.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { TrunklineError } from '../../model/index.js';

export type JsonSchema = { [key: string]: unknown };

const ajv = new Ajv2020({
  strict: false,
  allErrors: false,
  verbose: true,
  // Bodies are validated as sent; dialects convert wire types themselves after validation.
  coerceTypes: false,
  useDefaults: false,
});

function fieldOf(instancePath: string): string {
  const first = instancePath.split('/')[1] ?? '';
  return first.replace(/~1/g, '/').replace(/~0/g, '~');
}

function typeWords(types: string[]): string {
  if (types.includes('integer')) return 'an integer';
  if (types.includes('string')) return 'a string';
  if (types.includes('number')) return 'a number';
  if (types.includes('boolean')) return 'a boolean';
  if (types.includes('array')) return 'an array';
  if (types.includes('object')) return 'an object';
  return `of type ${types.join(' or ')}`;
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Ajv's first error → a sentence naming the wire field. */
export function describeSchemaError(err: ErrorObject): { field: string; message: string } {
  const field = fieldOf(err.instancePath);
  const parent = (err.parentSchema ?? {}) as JsonSchema;
  const types = ([] as string[]).concat((parent.type as string | string[] | undefined) ?? []);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { field: String(params.missingProperty), message: `${String(params.missingProperty)} is required` };
    case 'additionalProperties':
      return {
        field: String(params.additionalProperty),
        message: `${String(params.additionalProperty)} is not a known field`,
      };
    case 'enum':
      return { field, message: `${field} must be one of ${listValues(params.allowedValues as unknown[])}` };
    case 'type':
      if (field === '') return { field, message: 'Request body must be a JSON object' };
      if (Array.isArray(parent.enum)) return { field, message: `${field} must be one of ${listValues(parent.enum)}` };
      return { field, message: `${field} must be ${typeWords(([] as string[]).concat(params.type as string | string[]))}` };
    case 'pattern':
      if (types.includes('integer')) return { field, message: `${field} must be an integer` };
      return { field, message: `${field} has an invalid format` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      if (typeof parent.minimum === 'number' && typeof parent.maximum === 'number') {
        return { field, message: `${field} must be between ${parent.minimum} and ${parent.maximum}` };
      }
      return { field, message: `${field} must be ${String(params.comparison)} ${String(params.limit)}` };
    case 'maxLength':
      return { field, message: `${field} must be at most ${String(params.limit)} characters` };
    case 'minLength':
      return {
        field,
        message: params.limit === 1 ? `${field} must not be empty` : `${field} must be at least ${String(params.limit)} characters`,
      };
    case 'maxItems':
      return { field, message: `${field} must have at most ${String(params.limit)} items` };
    case 'format':
      return { field, message: `${field} must be a valid ${String(params.format)}` };
    default:
      return { field, message: `${field || 'Request body'} is invalid` };
  }
}

export type BodyValidator = (body: unknown) => asserts body is Record<string, unknown>;

/** Compile a request schema into a function that throws VALIDATION naming the wire field. */
export function compileBodyValidator(schema: JsonSchema): BodyValidator {
  const validate: ValidateFunction = ajv.compile(schema);
  return (body: unknown): asserts body is Record<string, unknown> => {
    if (body === undefined || body === null) {
      throw new TrunklineError('VALIDATION', 'Request body must be a JSON object');
    }
    if (validate(body)) return;
    const first = validate.errors?.[0];
    if (first === undefined) throw new TrunklineError('VALIDATION');
    const { field, message } = describeSchemaError(first);
    throw new TrunklineError('VALIDATION', message, field === '' ? undefined : { field });
  };
}
