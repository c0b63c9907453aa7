/**
 * The JSON Schemas of the NetSapiens dialect, generated from the field tables (`fields.ts`, `domain-fields.ts`)
 * and the canonical catalog (`CONNECTION_FIELDS`). Request schemas are compiled to validate every body; the
 * same objects make up trunkline's OpenAPI document (`openapi.ts`), so the document cannot drift from what is
 * enforced. Request schemas are coercion-friendly: an integer may be sent as a number or a numeric string
 * ("0"), as NetSapiens clients do; the dialect converts after validation.
 *
 * Dial plans, dial rules, dial policies, permissions and call records are validated by code (the model's
 * catalogs `DIAL_*_FIELDS`/`PERMISSION_FIELDS` and grammars, see `dialplans.ts`, `dialpolicy.ts`, `cdrs.ts`),
 * not by these schemas; their schemas below are generated from the same catalogs and wire-name tables, with
 * the grammar the model checks written as patterns, so they describe what the code enforces.
 */
import { API_SCOPES, CALL_DISPOSITIONS, CALL_ENDERS, type FieldSpec } from '../../model/index.js';
import {
  DIAL_PLAN_FIELDS,
  DIAL_POLICY_FIELDS,
  DIAL_RULE_APPLICATIONS,
  DIAL_RULE_FIELDS,
  DIAL_RULE_RESPONDERS,
  DIAL_RULE_TOKENS,
  NETSAPIENS_DIAL_PLAN_NAMES,
  NETSAPIENS_DIAL_POLICY_NAMES,
  NETSAPIENS_DIAL_RULE_ALIASES,
  NETSAPIENS_DIAL_RULE_ID,
  NETSAPIENS_DIAL_RULE_NAMES,
  NETSAPIENS_PERMISSION_ID,
  NETSAPIENS_PERMISSION_NAMES,
  PERMISSION_FIELDS,
  type DialFieldSpec,
  type DialRuleKey,
} from '../../model/dialplan/index.js';
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

// ---- dial plans, dial rules, dial policies, permissions ---------------------------------------------------

const SYNCHRONOUS: JsonSchema = { writeOnly: true, description: 'Accepted and ignored (any value): trunkline always writes synchronously.' };
/** Characters the model refuses in every string field (`validate.ts`: C0 controls but tab, and DEL). */
const NO_CONTROL = '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$';
/** `validateName`: not empty, no leading or trailing spaces, no "/". */
const NAME_GRAMMAR: JsonSchema = {
  minLength: 1,
  allOf: [{ pattern: NO_CONTROL }, { pattern: '^[^\\s/](?:[^/]*[^\\s/])?$' }],
  description: 'Not empty, no leading or trailing spaces, no "/".',
};
/** `compileDialPattern`: a dial pattern (`*`, `?`, `[...]`; optional `sip:` scheme and `@host`). */
const DIAL_PATTERN_GRAMMAR: JsonSchema = {
  minLength: 1,
  pattern: '^[^\\s\\u0000-\\u001f\\u007f<>"]+$',
  description: 'A dial pattern (docs/edge-rules.md): `*` any run, `?` one character, `[...]` a class, e.g. `sip:1??????????@*`; no spaces, control characters or <>".',
};
const TEMPLATE_TOKENS = DIAL_RULE_TOKENS.join(', ');
const templateGrammar = (what: string): JsonSchema => ({
  description: `Template for the new ${what}: \`[*]\` = the original value, literal text around it, tokens ${TEMPLATE_TOKENS}; empty = unchanged.`,
});

/**
 * What the model checks beyond type and length (`checkDialRuleGrammar`, `timeframe.ts`, `templates.ts`), as
 * far as a pattern can say it. A number is accepted wherever a string is (the model converts it), except where
 * no number can be valid (dates, times).
 */
const DIAL_RULE_GRAMMAR: Partial<Record<DialRuleKey, JsonSchema>> = {
  matchToUri: DIAL_PATTERN_GRAMMAR,
  matchFromUri: DIAL_PATTERN_GRAMMAR,
  matchDayOfWeek: {
    pattern: '^\\s*(?:\\*|[0-6]|\\[(?:[0-6](?:-[0-6])?)+\\])?\\s*$',
    description: '`*` (or empty) = every day, one day 0-6 (0 = Sunday), or a class such as `[1-5]` or `[06]` (ranges run forwards).',
  },
  matchStartDate: {
    type: 'string',
    pattern: '^\\s*(?:\\*|\\d{4}-\\d{2}-\\d{2})?\\s*$',
    description: '`*` (or empty) = no limit, or a calendar date YYYY-MM-DD (inclusive, in the connection\'s time zone).',
  },
  matchEndDate: {
    type: 'string',
    pattern: '^\\s*(?:\\*|\\d{4}-\\d{2}-\\d{2})?\\s*$',
    description: '`*` (or empty) = no limit, or a calendar date YYYY-MM-DD (inclusive), not before the start date.',
  },
  matchStartTime: {
    type: 'string',
    pattern: '^\\s*(?:\\*|(?:[01]\\d|2[0-3]):[0-5]\\d)?\\s*$',
    description: '`*` (or empty) = from midnight, or HH:MM (00:00-23:59).',
  },
  matchEndTime: {
    type: 'string',
    pattern: '^\\s*(?:\\*|(?:[01]\\d|2[0-3]):[0-5]\\d)?\\s*$',
    description: '`*` (or empty) = to midnight, or HH:MM (00:00-23:59), the minute included.',
  },
  destinationUser: templateGrammar('destination user'),
  destinationHost: templateGrammar('destination host'),
  sourceName: templateGrammar('caller display name'),
  sourceUser: templateGrammar('caller user'),
  sourceHost: templateGrammar('caller host'),
};

/** A request-side schema for one dial field (the model's `coerce`: strings also take numbers). */
function dialInputSchema(spec: DialFieldSpec): JsonSchema {
  const def = spec.required ? {} : { default: spec.kind === 'bool' ? (spec.default ? 'yes' : 'no') : spec.default };
  switch (spec.kind) {
    case 'string':
      return { type: ['string', 'number'], maxLength: spec.maxLength, ...def, allOf: [{ pattern: NO_CONTROL }] };
    case 'bool':
      return { type: 'string', enum: [...YES_NO], ...def };
    case 'enum':
      return { type: 'string', enum: [...spec.values], ...def };
    default:
      return {};
  }
}

/** The response-side schema for one dial field: every value is answered as a string. */
function dialOutputSchema(spec: DialFieldSpec): JsonSchema {
  switch (spec.kind) {
    case 'bool':
      return { type: 'string', enum: [...YES_NO] };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    default:
      return { type: 'string' };
  }
}

/** Merge schema fragments: later keywords win, `allOf` lists are joined (without repeats), descriptions too. */
function merge(...parts: JsonSchema[]): JsonSchema {
  const out: JsonSchema = {};
  const descriptions: string[] = [];
  const allOf: JsonSchema[] = [];
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined) continue;
      if (k === 'description') descriptions.push(String(v));
      else if (k === 'allOf') {
        for (const sub of v as JsonSchema[]) if (!allOf.some((a) => JSON.stringify(a) === JSON.stringify(sub))) allOf.push(sub);
      } else out[k] = v;
    }
  }
  if (allOf.length > 0) out.allOf = allOf;
  if (descriptions.length > 0) out.description = descriptions.join(' ');
  return out;
}

/** A body field that repeats the path's record: it must be a string equal to the path's value. */
const samePath = (what: string, extra: JsonSchema = {}): JsonSchema =>
  merge({ type: 'string' }, extra, { description: `Optional; must equal the ${what}${what === 'domain' ? ' in the path ("~" = the key\'s own domain)' : ' in the path'}.` });

/** `dial-rule-application`: an application name, or the responder it stands for (older API, stored rules). */
const applicationInput: JsonSchema = {
  type: 'string',
  anyOf: [
    { enum: [...DIAL_RULE_APPLICATIONS] },
    { enum: DIAL_RULE_APPLICATIONS.flatMap((a) => [...DIAL_RULE_RESPONDERS[a]]), description: 'The responder an application stands for (e.g. `sip:start@to-connection`); answered as the application name.' },
  ],
  default: DIAL_RULE_FIELDS.application.default,
};

const IMMUTABLE_RULE = 'Identifies the rule; cannot change on update (send the same value back or leave it out).';

function dialRuleProperties(update: boolean): JsonSchema {
  const props: JsonSchema = {};
  const fieldSchema = (key: DialRuleKey): JsonSchema => {
    const spec = DIAL_RULE_FIELDS[key];
    if (key === 'domain') return samePath('domain', { maxLength: spec.kind === 'string' ? spec.maxLength : undefined });
    if (key === 'dialPlan') return samePath('dial plan');
    if (key === 'application') {
      const { default: appDefault, ...app } = applicationInput;
      return update ? app : { ...app, default: appDefault };
    }
    const { default: def, ...base } = dialInputSchema(spec);
    const grammar = DIAL_RULE_GRAMMAR[key] ?? {};
    // A dial pattern's own pattern already refuses every control character.
    if (grammar === DIAL_PATTERN_GRAMMAR) delete base.allOf;
    return merge(base, update ? {} : { default: def }, grammar, spec.immutable ? { description: IMMUTABLE_RULE } : {});
  };
  for (const [wire, key] of Object.entries(NETSAPIENS_DIAL_RULE_NAMES) as [string, DialRuleKey][]) props[wire] = fieldSchema(key);
  for (const [alias, key] of Object.entries(NETSAPIENS_DIAL_RULE_ALIASES) as [string, DialRuleKey][]) {
    const wire = Object.entries(NETSAPIENS_DIAL_RULE_NAMES).find(([, k]) => k === key)![0];
    const { default: _unused, ...schema } = fieldSchema(key);
    props[alias] = merge(schema, { deprecated: true, description: `Alias of ${wire} (input only; ${wire} wins when both are sent).` });
  }
  props[NETSAPIENS_DIAL_RULE_ID] = readOnlyAny;
  props.synchronous = SYNCHRONOUS;
  return props;
}

/** `required` for the given canonical keys: a key with aliases may be sent under any of its names. */
function requiredOf(keys: readonly DialRuleKey[]): JsonSchema {
  const required: string[] = [];
  const alternatives: JsonSchema[] = [];
  for (const key of keys) {
    const names = [...Object.entries(NETSAPIENS_DIAL_RULE_NAMES), ...Object.entries(NETSAPIENS_DIAL_RULE_ALIASES)]
      .filter(([, k]) => k === key)
      .map(([wire]) => wire);
    if (names.length === 1) required.push(names[0]!);
    else alternatives.push({ anyOf: names.map((n) => ({ required: [n] })) });
  }
  return { required, ...(alternatives.length === 0 ? {} : { allOf: alternatives }) };
}

/** POST /domains/{domain}/dialplans/{dialplan}/dialrules: defaults fill what is not sent. */
export const dialRuleCreateSchema: JsonSchema = {
  type: 'object',
  properties: dialRuleProperties(false),
  // domain and dial-rule-dial-plan come from the path.
  ...requiredOf(
    (Object.entries(DIAL_RULE_FIELDS) as [DialRuleKey, DialFieldSpec][])
      .filter(([key, spec]) => spec.required && key !== 'domain' && key !== 'dialPlan')
      .map(([key]) => key),
  ),
  additionalProperties: false,
};

/** PUT .../dialrules/{dialrule}: partial; the matching fields may be repeated but not changed. */
export const dialRuleUpdateSchema: JsonSchema = {
  type: 'object',
  properties: dialRuleProperties(true),
  additionalProperties: false,
};

/** A rule as answered (`dialRuleJson`): every field a string; a `*` date is left out. */
export const dialRuleSchema: JsonSchema = (() => {
  const props: JsonSchema = {};
  const required: string[] = [];
  for (const [wire, key] of Object.entries(NETSAPIENS_DIAL_RULE_NAMES) as [string, DialRuleKey][]) {
    const dateField = key === 'matchStartDate' || key === 'matchEndDate';
    props[wire] = dateField
      ? { type: 'string', description: 'YYYY-MM-DD; left out when the rule has no date limit (`*`, the default).' }
      : dialOutputSchema(DIAL_RULE_FIELDS[key]);
    if (!dateField) required.push(wire);
    if (wire === 'dial-rule-matching-to-uri') {
      props[NETSAPIENS_DIAL_RULE_ID] = {
        type: 'string',
        readOnly: true,
        description: 'The rule\'s id for the path: base64 of the seven matching fields joined with "||".',
      };
      required.push(NETSAPIENS_DIAL_RULE_ID);
    }
  }
  return { type: 'object', properties: props, required };
})();

function dialPlanProperties(update: boolean): JsonSchema {
  const names = NETSAPIENS_DIAL_PLAN_NAMES;
  const f = DIAL_PLAN_FIELDS;
  const wire = (key: keyof typeof f) => Object.entries(names).find(([, k]) => k === key)![0];
  return {
    [Object.entries(names).find(([, k]) => k === 'id')![0]]: readOnlyAny,
    [wire('domain')]: update
      ? samePath('domain')
      : { ...domainName, description: 'POST /dialplans: required, the plan\'s domain ("~" = the key\'s own, "*" = system-wide). POST /domains/{domain}/dialplans: optional, must equal the path.' },
    [wire('name')]: update
      ? samePath('dial plan')
      : merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.name) }, NAME_GRAMMAR, { description: 'The plan\'s name, unique in its domain.' }),
    [wire('description')]: merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.description) }, { allOf: [{ pattern: NO_CONTROL }] }),
    synchronous: SYNCHRONOUS,
  };
}

function maxLengthOf(spec: DialFieldSpec): number | undefined {
  return spec.kind === 'string' ? spec.maxLength : undefined;
}

/** POST /domains/{domain}/dialplans (and POST /dialplans, which also requires `domain`). */
export const dialPlanCreateSchema: JsonSchema = {
  type: 'object',
  properties: dialPlanProperties(false),
  required: ['dial-rule-dial-plan', 'dial-rule-description'],
  additionalProperties: false,
};

/** PUT /domains/{domain}/dialplans/{dialplan}: only the description changes. */
export const dialPlanUpdateSchema: JsonSchema = {
  type: 'object',
  properties: dialPlanProperties(true),
  additionalProperties: false,
};

export const dialPlanSchema: JsonSchema = {
  type: 'object',
  properties: {
    dialplan_id: { type: 'integer', readOnly: true },
    domain: { type: 'string' },
    'dial-rule-dial-plan': { type: 'string' },
    'dial-rule-description': { type: 'string' },
  },
  required: Object.keys(NETSAPIENS_DIAL_PLAN_NAMES),
};

function dialPolicyProperties(update: boolean): JsonSchema {
  const f = DIAL_POLICY_FIELDS;
  const wire = (key: keyof typeof f) => Object.entries(NETSAPIENS_DIAL_POLICY_NAMES).find(([, k]) => k === key)![0];
  return {
    [wire('name')]: update
      ? samePath('dial policy')
      : merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.name) }, NAME_GRAMMAR, { description: 'The policy\'s name, unique in its domain.' }),
    [wire('domain')]: update
      ? samePath('domain')
      : { ...domainName, description: 'POST /dialpolicy: required, the policy\'s domain ("~" = the key\'s own, "*" = system-wide). POST /domains/{domain}/dialpolicy: optional, must equal the path.' },
    [wire('description')]: merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.description) }, { allOf: [{ pattern: NO_CONTROL }] }),
    synchronous: SYNCHRONOUS,
  };
}

/** POST /domains/{domain}/dialpolicy (and POST /dialpolicy, which also requires `domain`). */
export const dialPolicyCreateSchema: JsonSchema = {
  type: 'object',
  properties: dialPolicyProperties(false),
  required: ['dialpolicy', 'description'],
  additionalProperties: false,
};

/** PUT [/domains/{domain}]/dialpolicy/{policy}: only the description changes. */
export const dialPolicyUpdateSchema: JsonSchema = {
  type: 'object',
  properties: dialPolicyProperties(true),
  additionalProperties: false,
};

export const dialPolicySchema: JsonSchema = {
  type: 'object',
  properties: Object.fromEntries(Object.keys(NETSAPIENS_DIAL_POLICY_NAMES).map((wire) => [wire, { type: 'string' }])),
  required: Object.keys(NETSAPIENS_DIAL_POLICY_NAMES),
};

function permissionProperties(update: boolean): JsonSchema {
  const f = PERMISSION_FIELDS;
  const modes = f.mode.kind === 'enum' ? [...f.mode.values] : [];
  return {
    dialpolicy: samePath('dial policy'),
    domain: samePath('domain'),
    'permission-match': update
      ? { type: 'string', description: 'Optional; must equal the permission\'s match, which is its identity and cannot change.' }
      : merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.match) }, DIAL_PATTERN_GRAMMAR, { description: 'Unique in the policy.' }),
    'permission-mode': { type: 'string', enum: modes },
    'permission-reason': merge({ type: ['string', 'number'], maxLength: maxLengthOf(f.reason) }, { allOf: [{ pattern: NO_CONTROL }] }),
    'created-datetime': readOnlyAny,
    [NETSAPIENS_PERMISSION_ID]: readOnlyAny,
    synchronous: SYNCHRONOUS,
  };
}

/** POST [/domains/{domain}]/dialpolicy/{policy}/permission */
export const permissionCreateSchema: JsonSchema = {
  type: 'object',
  properties: permissionProperties(false),
  required: (Object.entries(PERMISSION_FIELDS) as [keyof typeof PERMISSION_FIELDS, DialFieldSpec][])
    .filter(([key, spec]) => spec.required && key !== 'dialPolicy')
    .map(([key]) => Object.entries(NETSAPIENS_PERMISSION_NAMES).find(([, k]) => k === key)![0]),
  additionalProperties: false,
};

/** PUT [/domains/{domain}]/dialpolicy/{policy}/permission/{id}: mode and reason. */
export const permissionUpdateSchema: JsonSchema = {
  type: 'object',
  properties: permissionProperties(true),
  additionalProperties: false,
};

export const permissionSchema: JsonSchema = {
  type: 'object',
  properties: {
    dialpolicy: { type: 'string' },
    domain: { type: 'string' },
    'permission-match': { type: 'string' },
    'permission-mode': { type: 'string', enum: PERMISSION_FIELDS.mode.kind === 'enum' ? [...PERMISSION_FIELDS.mode.values] : [] },
    'permission-reason': { type: 'string' },
    'created-datetime': { type: 'string', readOnly: true, description: 'YYYY-MM-DD HH:MM:SS (UTC), set by trunkline.' },
    [NETSAPIENS_PERMISSION_ID]: { type: 'string', readOnly: true, description: 'Base64 of permission-match: the {id} of the permission\'s path.' },
  },
  required: ['dialpolicy', 'domain', 'permission-match', 'permission-mode', 'permission-reason', NETSAPIENS_PERMISSION_ID],
};

// ---- call records ----------------------------------------------------------------------------------------

const nsDateTimeText = (what: string): JsonSchema => ({ type: 'string', description: `${what}: YYYY-MM-DD HH:MM:SS (UTC).` });
const emptyWhenNoTerm = (what: string): JsonSchema => ({ type: 'string', description: `${what}; empty when the call never left.` });

/** One call record as `cdrJson` (cdrs.ts) answers it: the vendor's CdrD fields trunkline has, plus its own. */
export const cdrSchema: JsonSchema = (() => {
  const props: JsonSchema = {
    id: { type: 'string' },
    domain: { type: 'string', description: 'The originating connection\'s domain ("*" for system-wide connections).' },
    reseller: { type: 'string' },
    'call-orig-call-id': { type: 'string' },
    'call-term-call-id': emptyWhenNoTerm('Call-ID of the outgoing leg'),
    'call-start-datetime': nsDateTimeText('When the INVITE arrived'),
    'call-ringing-datetime': { type: ['string', 'null'], description: 'YYYY-MM-DD HH:MM:SS (UTC); null when it never rang.' },
    'call-answer-datetime': { type: 'string', description: 'YYYY-MM-DD HH:MM:SS (UTC); empty when not answered.' },
    'call-disconnect-datetime': nsDateTimeText('When the call ended'),
    'call-record-creation-datetime': { type: ['string', 'null'], description: 'YYYY-MM-DD HH:MM:SS (UTC): when the call ended.' },
    'call-total-duration-seconds': { type: 'integer', minimum: 0 },
    'call-talking-duration-seconds': { type: 'integer', minimum: 0 },
    'call-disconnect-reason-text': { type: 'string', description: 'The final SIP status and reason, e.g. "486 Busy Here".' },
    'call-direction': { type: 'integer', description: 'Always 1.' },
    'call-orig-domain': { type: 'string' },
    'call-orig-ip-address': { type: 'string' },
    'call-orig-from-uri': { type: 'string' },
    'call-orig-from-user': { type: 'string' },
    'call-orig-from-host': { type: 'string' },
    'call-orig-from-name': { type: 'string', description: 'Always empty.' },
    'call-orig-caller-id': { type: 'integer', description: 'The From user as a number; 0 when it is not one.' },
    'call-orig-to-uri': { type: 'string' },
    'call-orig-to-user': { type: 'string' },
    'call-orig-to-host': { type: 'string' },
    'call-orig-request-uri': { type: 'string' },
    'call-orig-request-user': { type: 'string' },
    'call-orig-request-host': { type: 'string' },
    'call-orig-pre-routing-uri': { type: 'string', description: 'The incoming Request-URI.' },
    'call-orig-match-uri': { type: 'string', description: 'The incoming From URI.' },
    'call-term-domain': { type: 'string', description: 'The terminating connection\'s domain; empty when the call never left.' },
    'call-term-ip-address': emptyWhenNoTerm('Where the outgoing INVITE went'),
    'call-term-to-uri': emptyWhenNoTerm('The outgoing To URI'),
    'call-term-pre-reouting-uri': emptyWhenNoTerm('The outgoing Request-URI (the vendor\'s spelling)'),
    'call-term-match-uri': emptyWhenNoTerm('The outgoing Request-URI'),
    'call-term-caller-id': emptyWhenNoTerm('The outgoing From user'),
    'call-routing-match-uri': emptyWhenNoTerm('The outgoing Request-URI'),
    'call-leg-ordinal-index': { type: 'integer', description: 'Always 0.' },
    'hide-from-results': { type: 'integer', description: 'Always 0.' },
    'trunkline-disposition': { type: 'string', enum: [...CALL_DISPOSITIONS] },
    'trunkline-status': { type: 'integer', description: 'The final SIP status the caller got.' },
    'trunkline-ended-by': { type: 'string', enum: [...CALL_ENDERS] },
    'trunkline-orig-connection-id': { type: ['integer', 'null'] },
    'trunkline-term-connection-id': { type: ['integer', 'null'] },
    'trunkline-term-request-uri': emptyWhenNoTerm('The outgoing Request-URI after translation'),
    'trunkline-term-from-uri': emptyWhenNoTerm('The outgoing From URI after translation'),
  };
  return { type: 'object', properties: props, required: Object.keys(props) };
})();

export const cdrCountSchema: JsonSchema = {
  type: 'object',
  properties: {
    total: { type: 'integer', minimum: 0 },
    minutes: { type: 'integer', minimum: 0, description: 'Talk time in whole minutes (rounded down).' },
    seconds: { type: 'integer', minimum: 0, description: 'Talk time in seconds.' },
  },
  required: ['total', 'minutes', 'seconds'],
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
