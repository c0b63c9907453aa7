/**
 * trunkline's own OpenAPI 3.1 document for the NetSapiens dialect (`GET /ns-api/openapi.json`), generated from
 * the very schema objects that validate requests (`schemas.ts`), so it describes what is enforced.
 */
import type { JsonSchema } from '../shared/schema.js';
import {
  acceptedSchema,
  apiKeyCreateSchema,
  apiKeySchema,
  connectionCreateSchema,
  connectionSchema,
  connectionUpdateSchema,
  countSchema,
  domainCreateSchema,
  domainSchema,
  domainUpdateSchema,
  errorSchema,
  versionSchema,
} from './schemas.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const ok = (description: string, schema: JsonSchema) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(ref('Error')) });
const arrayOf = (name: string): JsonSchema => ({ type: 'array', items: ref(name) });

const ERRORS = {
  '400': err('Invalid input; the message names the field'),
  '401': err('Missing or invalid API key'),
  '403': err('The key may not do this (scope, tenancy or read-only)'),
  '404': err('Record not found'),
};
const WRITE_ERRORS = { ...ERRORS, '409': err('Conflict'), '413': err('Request body too large') };
const ACCEPTED = { '202': ok('Accepted', ref('Accepted')) };

const param = (name: string, where: 'path' | 'query', description: string, schema: JsonSchema = { type: 'string' }) => ({
  name,
  in: where,
  required: where === 'path',
  description,
  schema,
});
const domainPath = param('domain', 'path', 'Domain name; "~" = the key\'s own domain; "*" = system-wide connections.');
const patternPath = param(
  'connection-orig-match-pattern',
  'path',
  'The orig match pattern, percent-encoded, or its base64 (standard or URL-safe). The raw form is tried first.',
);
const page = [
  param('start', 'query', 'Zero-based offset.', { type: ['integer', 'string'], minimum: 0 }),
  param('limit', 'query', 'Page size (1-10000).', { type: ['integer', 'string'], minimum: 1, maximum: 10000 }),
];
const connectionFilters = [
  param('domain', 'query', 'Only this domain.'),
  param('reseller', 'query', 'Only domains of this reseller.'),
  param('termination-match', 'query', 'Only connections with this term match pattern.'),
  ...page,
];

export function buildOpenApiDocument(version: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'trunkline: NetSapiens ns-api v2 compatible API',
      version,
      description:
        'Connections (SIP trunks), domains and API keys, compatible with NetSapiens ns-api v2. Generated from the JSON Schemas trunkline validates requests with.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/ns-api/v2' }],
    security: [{ bearer: [] }],
    paths: {
      '/version': {
        get: { summary: 'API version (no authentication)', security: [], responses: { '200': ok('Version', ref('Version')) } },
      },
      '/connections': {
        get: { summary: 'List connections', parameters: connectionFilters, responses: { '200': ok('Connections', arrayOf('Connection')), ...ERRORS } },
        post: {
          summary: 'Create a connection',
          requestBody: { required: true, content: json(ref('ConnectionCreate')) },
          responses: { ...ACCEPTED, ...WRITE_ERRORS },
        },
      },
      '/connections/count': {
        get: { summary: 'Count connections', parameters: connectionFilters.slice(0, 3), responses: { '200': ok('Count', ref('Count')), ...ERRORS } },
      },
      '/domains/{domain}/connections': {
        get: { summary: 'List the connections of a domain', parameters: [domainPath, ...page], responses: { '200': ok('Connections', arrayOf('Connection')), ...ERRORS } },
      },
      '/domains/{domain}/connections/{connection-orig-match-pattern}': {
        get: { summary: 'Get one connection (an array with one element)', parameters: [domainPath, patternPath], responses: { '200': ok('Connection', arrayOf('Connection')), ...ERRORS } },
        put: {
          summary: 'Update a connection (partial: fields left out keep their values)',
          parameters: [domainPath, patternPath],
          requestBody: { required: true, content: json(ref('ConnectionUpdate')) },
          responses: { ...ACCEPTED, ...WRITE_ERRORS },
        },
        delete: { summary: 'Delete a connection', parameters: [domainPath, patternPath], responses: { ...ACCEPTED, ...ERRORS } },
      },
      '/domains': {
        get: { summary: 'List domains', parameters: page, responses: { '200': ok('Domains', arrayOf('Domain')), ...ERRORS } },
        post: { summary: 'Create a domain', requestBody: { required: true, content: json(ref('DomainCreate')) }, responses: { ...ACCEPTED, ...WRITE_ERRORS } },
      },
      '/domains/count': { get: { summary: 'Count domains', responses: { '200': ok('Count', ref('Count')), ...ERRORS } } },
      '/domains/{domain}': {
        get: { summary: 'Get a domain', parameters: [domainPath], responses: { '200': ok('Domain', ref('Domain')), ...ERRORS } },
        put: {
          summary: 'Update a domain (partial)',
          parameters: [domainPath],
          requestBody: { required: true, content: json(ref('DomainUpdate')) },
          responses: { ...ACCEPTED, ...WRITE_ERRORS },
        },
        delete: {
          summary: 'Delete a domain (409 while it still has connections)',
          parameters: [domainPath],
          responses: { ...ACCEPTED, ...ERRORS, '409': err('The domain still has connections') },
        },
      },
      '/apikeys': {
        get: { summary: 'List the API keys the caller may see', parameters: page, responses: { '200': ok('API keys', arrayOf('ApiKey')), ...ERRORS } },
        post: {
          summary: 'Create an API key (the key is shown once)',
          requestBody: { required: true, content: json(ref('ApiKeyCreate')) },
          responses: { '200': ok('The new key, with `key`', ref('ApiKey')), ...WRITE_ERRORS },
        },
      },
      '/apikeys/~': { get: { summary: "The caller's own key", responses: { '200': ok('API key', ref('ApiKey')), ...ERRORS } } },
      '/apikeys/{key_id}': {
        get: { summary: 'Get an API key (an array with one element)', parameters: [param('key_id', 'path', 'Key id (first 12 characters)')], responses: { '200': ok('API key', arrayOf('ApiKey')), ...ERRORS } },
        delete: { summary: 'Revoke an API key', parameters: [param('key_id', 'path', 'Key id')], responses: { ...ACCEPTED, ...ERRORS } },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A NetSapiens-format API key (60 characters).' } },
      schemas: {
        ConnectionCreate: connectionCreateSchema,
        ConnectionUpdate: connectionUpdateSchema,
        Connection: connectionSchema,
        DomainCreate: domainCreateSchema,
        DomainUpdate: domainUpdateSchema,
        Domain: domainSchema,
        ApiKeyCreate: apiKeyCreateSchema,
        ApiKey: apiKeySchema,
        Error: errorSchema,
        Accepted: acceptedSchema,
        Count: countSchema,
        Version: versionSchema,
      },
    },
  };
}
