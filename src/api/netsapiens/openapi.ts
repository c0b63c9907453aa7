/**
 * trunkline's own OpenAPI 3.1 document for the NetSapiens dialect (`GET /ns-api/openapi.json`), generated from
 * the very schema objects that validate requests (`schemas.ts`), so it describes what is enforced. Dial plans,
 * dial policies and call records validate by code; their schemas are generated from the model catalogs that
 * code validates with. `test/api/ns-openapi.test.ts` fails when a route under /ns-api/v2 is not documented here.
 */
import type { JsonSchema } from '../shared/schema.js';
import {
  acceptedSchema,
  apiKeyCreateSchema,
  apiKeySchema,
  cdrCountSchema,
  cdrSchema,
  connectionCreateSchema,
  connectionSchema,
  connectionUpdateSchema,
  countSchema,
  dialPlanCreateSchema,
  dialPlanSchema,
  dialPlanUpdateSchema,
  dialPolicyCreateSchema,
  dialPolicySchema,
  dialPolicyUpdateSchema,
  dialRuleCreateSchema,
  dialRuleSchema,
  dialRuleUpdateSchema,
  domainCreateSchema,
  domainSchema,
  domainUpdateSchema,
  errorSchema,
  permissionCreateSchema,
  permissionSchema,
  permissionUpdateSchema,
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
const domainPath = param('domain', 'path', 'Domain name; "~" = the key\'s own domain; "*" = system-wide (Super User and Reseller keys).');
const patternPath = param(
  'connection-orig-match-pattern',
  'path',
  'The orig match pattern, percent-encoded, or its base64 (standard or URL-safe). The raw form is tried first.',
);
const page = [
  param('start', 'query', 'Zero-based offset.', { type: ['integer', 'string'], minimum: 0 }),
  param('limit', 'query', 'Page size (1-10000).', { type: ['integer', 'string'], minimum: 1, maximum: 10000 }),
];
/** A request body schema that also requires `domain` (POST /dialplans, POST /dialpolicy take it from the body). */
const withDomain = (name: string): JsonSchema => ({ allOf: [ref(name)], required: ['domain'] });

const cdrFilters = [
  param('datetime-start', 'query', 'Only calls that started at or after this instant: ISO 8601 or YYYY-MM-DD[ HH:MM[:SS]] (UTC); the vendor\'s "[Zone/Name]" suffix is ignored.', { type: 'string' }),
  param('datetime-end', 'query', 'Only calls that started before this instant (same forms as datetime-start).', { type: 'string' }),
  param('orig_callid', 'query', 'Only the call one of whose legs has this Call-ID.'),
  param('term_callid', 'query', 'As orig_callid (either leg); orig_callid wins when both are given.'),
  param('type', 'query', 'The vendor\'s call type filter (Inbound, Outbound, ...): accepted and ignored; trunkline records trunk-to-trunk calls.'),
];
const listFilters = [param('domain', 'query', 'Only this domain ("~" = the key\'s own).'), ...page];
const dialplanPath = param('dialplan', 'path', 'The dial plan\'s name (percent-encoded).');
const dialrulePath = param(
  'dialrule',
  'path',
  'The rule\'s `dialrule` id (base64 of its seven matching fields joined with "||"), the vendor\'s short form (base64 of dial-rule-matching-to-uri alone), or the raw dial-rule-matching-to-uri, percent-encoded (the other matching fields then being "*").',
);
const policyPath = param('policy', 'path', 'The dial policy\'s name (percent-encoded).');
const permissionPath = param('id', 'path', 'The permission\'s match, percent-encoded (tried first), or its `permission-id` (base64 of the match, standard or URL-safe).');
const CONFLICT = (what: string) => ({ '409': err(what) });

/** The dial policy operations, with and without `/domains/{domain}` in front (without: domain "*"). */
function dialPolicyPaths(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [prefix, where, lead] of [
    ['', 'system-wide (domain "*"; Super User and Reseller keys)', []],
    ['/domains/{domain}', 'in a domain', [domainPath]],
  ] as const) {
    const policy = [...lead, policyPath];
    const permission = [...policy, permissionPath];
    out[`${prefix}/dialpolicy/{policy}`] = {
      get: { summary: `Get a dial policy ${where}`, parameters: policy, responses: { '200': ok('Dial policy', ref('DialPolicy')), ...ERRORS } },
      put: {
        summary: `Update a dial policy ${where} (the description)`,
        parameters: policy,
        requestBody: { required: true, content: json(ref('DialPolicyUpdate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS },
      },
      delete: { summary: `Delete a dial policy ${where}, its permissions with it`, parameters: policy, responses: { ...ACCEPTED, ...ERRORS } },
    };
    out[`${prefix}/dialpolicy/{policy}/permission`] = {
      get: {
        summary: `List the permissions of a dial policy ${where}`,
        parameters: [...policy, ...page],
        responses: { '200': ok('Permissions', arrayOf('Permission')), ...ERRORS },
      },
      post: {
        summary: `Add a permission to a dial policy ${where}`,
        parameters: policy,
        requestBody: { required: true, content: json(ref('PermissionCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A permission with this match exists in the policy') },
      },
    };
    out[`${prefix}/dialpolicy/{policy}/permission/{id}`] = {
      get: { summary: `Get a permission of a dial policy ${where}`, parameters: permission, responses: { '200': ok('Permission', ref('Permission')), ...ERRORS } },
      put: {
        summary: `Update a permission of a dial policy ${where} (mode and reason; the match cannot change)`,
        parameters: permission,
        requestBody: { required: true, content: json(ref('PermissionUpdate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS },
      },
      delete: { summary: `Delete a permission of a dial policy ${where}`, parameters: permission, responses: { ...ACCEPTED, ...ERRORS } },
    };
  }
  return out;
}

/** Tag of an operation, from its path. */
function tagOf(path: string): string {
  if (path === '/version') return 'Version';
  if (path.includes('/cdrs')) return 'Call records';
  if (path.includes('/dialplans')) return 'Dial plans';
  if (path.includes('/dialpolicy')) return 'Dial policies';
  if (path.includes('/connections')) return 'Connections';
  if (path.startsWith('/apikeys')) return 'API keys';
  return 'Domains';
}

const connectionFilters = [
  param('domain', 'query', 'Only this domain.'),
  param('reseller', 'query', 'Only domains of this reseller.'),
  param('termination-match', 'query', 'Only connections with this term match pattern.'),
  ...page,
];

export function buildOpenApiDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {
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

    // ---- call records (cdrs.ts) --------------------------------------------------------------------------
    '/cdrs': {
      get: {
        summary: 'List the call records the key may see, newest first',
        parameters: [...cdrFilters, ...page],
        responses: { '200': ok('Call records', arrayOf('Cdr')), ...ERRORS },
      },
    },
    '/cdrs/count': {
      get: { summary: 'Count call records and their talk time', parameters: cdrFilters, responses: { '200': ok('Count', ref('CdrCount')), ...ERRORS } },
    },
    '/domains/{domain}/cdrs': {
      get: {
        summary: 'List the call records of a domain, newest first',
        parameters: [domainPath, ...cdrFilters, ...page],
        responses: { '200': ok('Call records', arrayOf('Cdr')), ...ERRORS },
      },
    },
    '/domains/{domain}/cdrs/count': {
      get: {
        summary: 'Count the call records of a domain and their talk time',
        parameters: [domainPath, ...cdrFilters],
        responses: { '200': ok('Count', ref('CdrCount')), ...ERRORS },
      },
    },

    // ---- dial plans and dial rules (dialplans.ts) --------------------------------------------------------
    '/dialplans': {
      get: { summary: 'List the dial plans the key may see', parameters: listFilters, responses: { '200': ok('Dial plans', arrayOf('DialPlan')), ...ERRORS } },
      post: {
        summary: 'Create a dial plan (domain in the body)',
        requestBody: { required: true, content: json(withDomain('DialPlanCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A plan with this name exists in the domain') },
      },
    },
    '/domains/{domain}/dialplans': {
      get: { summary: 'List the dial plans of a domain', parameters: [domainPath, ...page], responses: { '200': ok('Dial plans', arrayOf('DialPlan')), ...ERRORS } },
      post: {
        summary: 'Create a dial plan in a domain',
        parameters: [domainPath],
        requestBody: { required: true, content: json(ref('DialPlanCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A plan with this name exists in the domain') },
      },
    },
    '/domains/{domain}/dialplans/{dialplan}': {
      get: { summary: 'Get a dial plan', parameters: [domainPath, dialplanPath], responses: { '200': ok('Dial plan', ref('DialPlan')), ...ERRORS } },
      put: {
        summary: 'Update a dial plan (the description; name and domain cannot change)',
        parameters: [domainPath, dialplanPath],
        requestBody: { required: true, content: json(ref('DialPlanUpdate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS },
      },
      delete: { summary: 'Delete a dial plan, its rules with it', parameters: [domainPath, dialplanPath], responses: { ...ACCEPTED, ...ERRORS } },
    },
    '/domains/{domain}/dialplans/{dialplan}/dialrules': {
      get: {
        summary: "List the rules of a dial plan, in the plan's order",
        parameters: [domainPath, dialplanPath, ...page],
        responses: { '200': ok('Dial rules', arrayOf('DialRule')), ...ERRORS },
      },
      post: {
        summary: 'Add a rule to a dial plan (defaults fill what is not sent)',
        parameters: [domainPath, dialplanPath],
        requestBody: { required: true, content: json(ref('DialRuleCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A rule with the same matching fields exists in the plan') },
      },
    },
    '/domains/{domain}/dialplans/{dialplan}/dialrules/count': {
      get: { summary: 'Count the rules of a dial plan', parameters: [domainPath, dialplanPath], responses: { '200': ok('Count', ref('Count')), ...ERRORS } },
    },
    '/domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}': {
      get: {
        summary: 'Get a dial rule (an object)',
        parameters: [domainPath, dialplanPath, dialrulePath],
        responses: { '200': ok('Dial rule', ref('DialRule')), ...ERRORS },
      },
      put: {
        summary: 'Update a dial rule (partial; the matching fields cannot change)',
        parameters: [domainPath, dialplanPath, dialrulePath],
        requestBody: { required: true, content: json(ref('DialRuleUpdate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS },
      },
      delete: { summary: 'Delete a dial rule', parameters: [domainPath, dialplanPath, dialrulePath], responses: { ...ACCEPTED, ...ERRORS } },
    },

    // ---- dial policies and permissions (dialpolicy.ts) ---------------------------------------------------
    '/dialpolicy': {
      get: { summary: 'List the dial policies the key may see', parameters: listFilters, responses: { '200': ok('Dial policies', arrayOf('DialPolicy')), ...ERRORS } },
      post: {
        summary: 'Create a dial policy (domain in the body)',
        requestBody: { required: true, content: json(withDomain('DialPolicyCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A policy with this name exists in the domain') },
      },
    },
    '/domains/{domain}/dialpolicy': {
      get: { summary: 'List the dial policies of a domain', parameters: [domainPath, ...page], responses: { '200': ok('Dial policies', arrayOf('DialPolicy')), ...ERRORS } },
      post: {
        summary: 'Create a dial policy in a domain',
        parameters: [domainPath],
        requestBody: { required: true, content: json(ref('DialPolicyCreate')) },
        responses: { ...ACCEPTED, ...WRITE_ERRORS, ...CONFLICT('A policy with this name exists in the domain') },
      },
    },
    ...dialPolicyPaths(),
  };
  for (const [path, item] of Object.entries(paths)) {
    for (const op of Object.values(item)) op.tags = [tagOf(path)];
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'trunkline: NetSapiens ns-api v2 compatible API',
      version,
      description:
        'Connections (SIP trunks), domains, API keys, call records, dial plans with their dial rules, and dial policies with their permissions, compatible with NetSapiens ns-api v2. Generated from the JSON Schemas trunkline validates requests with, and from the model catalogs where requests are validated by code.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/ns-api/v2' }],
    security: [{ bearer: [] }],
    tags: ['Connections', 'Domains', 'API keys', 'Call records', 'Dial plans', 'Dial policies', 'Version'].map((name) => ({ name })),
    paths,
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
        Cdr: cdrSchema,
        CdrCount: cdrCountSchema,
        DialPlanCreate: dialPlanCreateSchema,
        DialPlanUpdate: dialPlanUpdateSchema,
        DialPlan: dialPlanSchema,
        DialRuleCreate: dialRuleCreateSchema,
        DialRuleUpdate: dialRuleUpdateSchema,
        DialRule: dialRuleSchema,
        DialPolicyCreate: dialPolicyCreateSchema,
        DialPolicyUpdate: dialPolicyUpdateSchema,
        DialPolicy: dialPolicySchema,
        PermissionCreate: permissionCreateSchema,
        PermissionUpdate: permissionUpdateSchema,
        Permission: permissionSchema,
        Error: errorSchema,
        Accepted: acceptedSchema,
        Count: countSchema,
        Version: versionSchema,
      },
    },
  };
}
