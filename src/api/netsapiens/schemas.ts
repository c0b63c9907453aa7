/**
 * The JSON Schemas of the NetSapiens dialect, generated from the field tables (`fields.ts`, `domain-fields.ts`)
 * and the canonical catalog (`CONNECTION_FIELDS`). Request schemas are compiled to validate every body; the
 * same objects make up trunkline's OpenAPI document (`openapi.ts`), so the document cannot drift from what is
 * enforced. Request schemas are coercion-friendly: an integer may be sent as a number or a numeric string
 * ("0"), as NetSapiens clients do; the dialect converts after validation.
 */
import { API_SCOPES, type FieldSpec } from '../../model/index.js';
import type { JsonSchema } from '../shared/schema.js';
import { NS_DOMAIN_ALIASES, NS_DOMAIN_ATTRS, NS_DOMAIN_READ_ONLY } from './domain-fields.js';
import {
  NS_CONNECTION_FIELDS,
  NS_DOMAIN,
  NS_LAST_MODIFIED,
  NS_LIVE_INT_FIELDS,
  NS_ORIG_PATTERN,
  NS_READ_ONLY_FIELDS,
  NS_REGISTERED_AT,
  NS_REGISTRATION_EXPIRES,
} from './fields.js';

const YES_NO = ['yes', 'no'] as const;

/** A request-side schema for one canonical field in its NetSapiens wire form. */
function inputFieldSchema(spec: FieldSpec): JsonSchema {
  switch (spec.kind) {
    case 'string':
      return { type: ['string', 'number'], maxLength: spec.maxLength, default: spec.default };
    case 'bool':
      return { type: 'string', enum: [...YES_NO], default: spec.default ? 'yes' : 'no' };
    case 'enum':
      return { type: 'string', enum: [...spec.values], default: spec.default };
    case 'int': {
      const nullable = spec.default === null;
      return {
        type: nullable ? ['integer', 'string', 'null'] : ['integer', 'string'],
        // Applies to the string form only: "0", " 30 ", and "" (= no limit) where the field may be empty.
        pattern: nullable ? '^\\s*(-?\\d{1,15})?\\s*$' : '^\\s*-?\\d{1,15}\\s*$',
        minimum: spec.min,
        maximum: spec.max,
        ...(nullable ? { description: 'Empty, null or absent: no limit.' } : { default: spec.default }),
      };
    }
    case 'json':
      return { description: 'Currently not supported in V2 API; stored and echoed as given.' };
  }
}

/** The response-side schema for one canonical field. */
function outputFieldSchema(spec: FieldSpec): JsonSchema {
  switch (spec.kind) {
    case 'string':
      return { type: 'string' };
    case 'bool':
      return { type: 'string', enum: [...YES_NO] };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    case 'int':
      return { type: 'integer' };
    case 'json':
      return {};
  }
}

const domainName: JsonSchema = { type: 'string', minLength: 1, maxLength: 64 };
const origPattern: JsonSchema = { type: 'string', minLength: 1, maxLength: 256 };
const readOnlyAny: JsonSchema = { readOnly: true, description: 'Read-only: ignored on input.' };

function connectionProperties(identity: boolean): JsonSchema {
  const props: JsonSchema = {};
  if (identity) {
    props[NS_ORIG_PATTERN] = { ...origPattern, description: "The connection's origination match pattern, e.g. sip*@carrier.example" };
    props[NS_DOMAIN] = { ...domainName, description: 'The domain; "~" = the key\'s own domain, "*" = system-wide (Super User, Reseller).' };
  }
  for (const f of NS_CONNECTION_FIELDS) {
    props[f.wire] = inputFieldSchema(f.spec);
    for (const alias of f.aliases) props[alias] = { ...inputFieldSchema(f.spec), deprecated: true, description: `Alias of ${f.wire}.` };
  }
  for (const wire of NS_READ_ONLY_FIELDS) props[wire] = readOnlyAny;
  return props;
}

/** POST /connections */
export const connectionCreateSchema: JsonSchema = {
  type: 'object',
  properties: connectionProperties(true),
  required: [NS_ORIG_PATTERN, NS_DOMAIN],
  additionalProperties: false,
};

/** PUT /domains/{domain}/connections/{pattern}: partial; identity fields may be repeated but not changed. */
export const connectionUpdateSchema: JsonSchema = {
  type: 'object',
  properties: connectionProperties(true),
  additionalProperties: false,
};

/** What GET answers for one connection. */
export const connectionSchema: JsonSchema = (() => {
  const props: JsonSchema = {
    [NS_DOMAIN]: { type: 'string' },
    [NS_ORIG_PATTERN]: { type: 'string' },
  };
  for (const f of NS_CONNECTION_FIELDS) props[f.wire] = outputFieldSchema(f.spec);
  for (const [wire] of NS_LIVE_INT_FIELDS) props[wire] = { type: 'integer', readOnly: true };
  props[NS_REGISTERED_AT] = { type: 'string', readOnly: true, description: 'Absent while not registered.' };
  props[NS_REGISTRATION_EXPIRES] = { type: 'string', readOnly: true, description: 'Absent while not registered.' };
  props[NS_LAST_MODIFIED] = { type: 'string', readOnly: true };
  return { type: 'object', properties: props, required: [NS_ORIG_PATTERN, NS_DOMAIN] };
})();

// ---- domains ---------------------------------------------------------------------------------------------

function domainProperties(create: boolean): JsonSchema {
  const props: JsonSchema = {};
  if (create) {
    props.synchronous = { type: 'string', enum: [...YES_NO], writeOnly: true, description: 'Accepted and ignored: trunkline always writes synchronously.' };
    props.domain = { ...domainName };
  }
  props.reseller = { type: 'string', minLength: 1, maxLength: 64 };
  props.description = { type: 'string', maxLength: 1024 };
  for (const a of NS_DOMAIN_ATTRS) props[a.wire] = a.schema;
  for (const [alias, target] of NS_DOMAIN_ALIASES) props[alias] = { ...(NS_DOMAIN_ATTRS.find((a) => a.wire === target)?.schema ?? {}), deprecated: true, description: `Alias of ${target}.` };
  for (const wire of NS_DOMAIN_READ_ONLY) props[wire] = readOnlyAny;
  return props;
}

export const domainCreateSchema: JsonSchema = {
  type: 'object',
  properties: domainProperties(true),
  // reseller: required from Super User keys; a Reseller key's own reseller is the default.
  required: ['domain'],
  additionalProperties: false,
};

export const domainUpdateSchema: JsonSchema = {
  type: 'object',
  properties: { ...domainProperties(false), domain: { ...domainName } },
  additionalProperties: false,
};

export const domainSchema: JsonSchema = {
  type: 'object',
  properties: {
    domain: { type: 'string' },
    reseller: { type: 'string' },
    description: { type: 'string' },
    ...Object.fromEntries(NS_DOMAIN_ATTRS.map((a) => [a.wire, a.kind === 'int' ? { type: 'integer' } : a.kind === 'number' ? { type: 'number' } : a.schema])),
  },
  required: ['domain', 'reseller', 'description'],
};

// ---- API keys --------------------------------------------------------------------------------------------

export const apiKeyCreateSchema: JsonSchema = {
  type: 'object',
  properties: {
    description: { type: 'string', minLength: 12, maxLength: 1024 },
    'user-scope': { type: 'string', enum: [...API_SCOPES] },
    domain: { ...domainName },
    reseller: { type: 'string', minLength: 1, maxLength: 64 },
    user: { type: ['string', 'integer'], maxLength: 64 },
    'ip-address': { type: 'string', maxLength: 1024, description: 'Comma-separated addresses and CIDR subnets the key may be used from; empty = any.' },
    readonly: { type: 'string', enum: [...YES_NO], default: 'no' },
    'can-create-keys': { type: 'string', enum: [...YES_NO], default: 'no' },
    'allowed-models': {
      anyOf: [
        { type: 'string', maxLength: 1024 },
        { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100 },
      ],
      default: '*',
    },
    'key-id': readOnlyAny,
    key: readOnlyAny,
    'created-datetime': readOnlyAny,
    'lastused-datetime': readOnlyAny,
  },
  required: ['user-scope'],
  additionalProperties: false,
};

export const apiKeySchema: JsonSchema = {
  type: 'object',
  properties: {
    'key-id': { type: 'string', minLength: 12, maxLength: 12 },
    key: { type: 'string', readOnly: true, description: 'Only in the answer to POST /apikeys; never shown again.' },
    description: { type: 'string' },
    'user-scope': { type: 'string', enum: [...API_SCOPES] },
    domain: { type: 'string' },
    reseller: { type: 'string' },
    user: { type: 'string' },
    'ip-address': { type: 'string' },
    readonly: { type: 'string', enum: [...YES_NO] },
    'can-create-keys': { type: 'string', enum: [...YES_NO] },
    'allowed-models': { type: 'string' },
    'created-datetime': { type: 'string', format: 'date-time' },
    'lastused-datetime': { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['description', 'key-id', 'reseller', 'domain'],
};

// ---- common ----------------------------------------------------------------------------------------------

export const errorSchema: JsonSchema = {
  type: 'object',
  properties: { code: { type: 'integer' }, message: { type: 'string' } },
  required: ['code', 'message'],
};

export const acceptedSchema: JsonSchema = {
  type: 'object',
  properties: { code: { type: 'integer', const: 202 }, message: { type: 'string', const: 'Accepted' } },
  required: ['code', 'message'],
};

export const countSchema: JsonSchema = {
  type: 'object',
  properties: { total: { type: 'integer' } },
  required: ['total'],
};

export const versionSchema: JsonSchema = {
  type: 'object',
  properties: {
    apiversion: { type: 'string' },
    hostname: { type: 'string' },
    'current-time': { type: 'string' },
  },
  required: ['apiversion', 'hostname', 'current-time'],
};
