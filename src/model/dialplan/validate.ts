/**
 * Validation of canonical dial plan, dial rule, dial policy and permission values.
 *
 * As for connections, a dialect converts its wire types (NetSapiens `"yes"`/`"no"` -> boolean; see
 * `netsapiens-names.ts`) and hands canonical keys here; every ValidationError names the canonical field
 * and the dialect renames it back with the same table. Grammar checks compile what the edge will compile
 * (patterns, time conditions, templates), so a rule that validates is a rule `routeCall` can run.
 */
import { TrunklineError, ValidationError } from '../errors.js';
import { validateDomainName } from '../validate-connection.js';
import { dialRuleId } from './ids.js';
import { compileDialPattern } from './pattern.js';
import { compileDialTemplate } from './templates.js';
import { compileTimeFrame } from './timeframe.js';
import {
  DIAL_PLAN_FIELDS,
  DIAL_POLICY_FIELDS,
  DIAL_RULE_APPLICATIONS,
  DIAL_RULE_FIELDS,
  DIAL_RULE_MATCHING_KEYS,
  DIAL_RULE_RESPONDERS,
  PERMISSION_FIELDS,
  type DialFieldSpec,
  type DialPlan,
  type DialPolicy,
  type DialRule,
  type DialRuleApplication,
  type DialRuleKey,
  type Permission,
} from './types.js';

export type DialRulePatch = Partial<Record<DialRuleKey, unknown>>;

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The application a wire value names: one of the vendor's enum names, or a responder the enum stands for
 * (`sip:start@to-connection`, as older API versions and stored rules write it). Case-sensitive like the
 * vendor's enum; undefined when it is neither.
 */
export function applicationFromWire(value: string): DialRuleApplication | undefined {
  if ((DIAL_RULE_APPLICATIONS as readonly string[]).includes(value)) return value as DialRuleApplication;
  for (const app of DIAL_RULE_APPLICATIONS) {
    if (DIAL_RULE_RESPONDERS[app].includes(value)) return app;
  }
  return undefined;
}

function coerce(field: string, spec: DialFieldSpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'string':
      if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
      if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
      if (value.length > spec.maxLength) throw new ValidationError(field, `must be at most ${spec.maxLength} characters`);
      if (CONTROL.test(value)) throw new ValidationError(field, 'must not contain control characters');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new ValidationError(field, 'must be a boolean');
      return value;
    case 'enum': {
      if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
      if (field === 'application') {
        const app = applicationFromWire(value);
        if (app !== undefined) return app;
      } else if (spec.values.includes(value)) {
        return value;
      }
      throw new ValidationError(field, `must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}`);
    }
    default:
      throw new ValidationError(field, 'has an unsupported type');
  }
}

function coerceAll<K extends string>(
  catalog: { readonly [P in K]: DialFieldSpec },
  patch: Partial<Record<K, unknown>>,
  what: string,
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, raw] of Object.entries(patch) as [K, unknown][]) {
    if (raw === undefined) continue;
    const spec = catalog[key];
    if (spec === undefined) throw new ValidationError(key, `is not a ${what} field`);
    out[key] = coerce(key, spec, raw);
  }
  return out;
}

/** Required = present. An empty string is present (the grammar checks refuse it where it is meaningless). */
function requireFields<K extends string>(catalog: { readonly [P in K]: DialFieldSpec }, value: Partial<Record<K, unknown>>): void {
  for (const [key, spec] of Object.entries(catalog) as [K, DialFieldSpec][]) {
    if (spec.required && value[key] === undefined) throw new ValidationError(key, 'is required');
  }
}

function validateName(field: string, value: string): void {
  if (value.trim() === '') throw new ValidationError(field, 'must not be empty');
  if (value !== value.trim()) throw new ValidationError(field, 'must not start or end with spaces');
  if (value.includes('/')) throw new ValidationError(field, 'must not contain "/"');
}

/** The grammar checks of a complete rule; throws ValidationError naming the field. */
export function checkDialRuleGrammar(rule: DialRule): void {
  validateDomainName(rule.domain, 'domain');
  validateName('dialPlan', rule.dialPlan);
  compileDialPattern(rule.matchToUri, 'matchToUri');
  compileDialPattern(rule.matchFromUri, 'matchFromUri');
  compileTimeFrame(rule);
  compileDialTemplate(rule.destinationUser, 'user', 'destinationUser');
  compileDialTemplate(rule.destinationHost, 'host', 'destinationHost');
  compileDialTemplate(rule.sourceUser, 'user', 'sourceUser');
  compileDialTemplate(rule.sourceHost, 'host', 'sourceHost');
  compileDialTemplate(rule.sourceName, 'name', 'sourceName');
}

export function defaultDialRuleValues(): Omit<DialRule, 'domain' | 'dialPlan' | 'matchToUri' | 'destinationUser'> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(DIAL_RULE_FIELDS)) {
    if (!spec.required) out[key] = spec.default;
  }
  return out as Omit<DialRule, 'domain' | 'dialPlan' | 'matchToUri' | 'destinationUser'>;
}

/** Build a complete, valid rule from a create request; defaults fill what is not given. */
export function buildDialRule(patch: DialRulePatch): DialRule {
  const given = coerceAll(DIAL_RULE_FIELDS, patch, 'dial rule');
  requireFields(DIAL_RULE_FIELDS, given);
  const rule = { ...defaultDialRuleValues(), ...given } as DialRule;
  checkDialRuleGrammar(rule);
  return rule;
}

/**
 * Apply an update. The vendor refuses changes to the matching fields ("any modification there should be a
 * delete and create new"), and to the owner; sending the same value back is fine (clients PUT what they GET).
 */
export function mergeDialRule(existing: DialRule, patch: DialRulePatch): DialRule {
  const given = coerceAll(DIAL_RULE_FIELDS, patch, 'dial rule');
  for (const [key, value] of Object.entries(given) as [DialRuleKey, unknown][]) {
    if (DIAL_RULE_FIELDS[key].immutable && value !== existing[key]) {
      throw new ValidationError(key, 'cannot be changed; delete the rule and create a new one');
    }
  }
  const merged = { ...existing, ...given } as DialRule;
  checkDialRuleGrammar(merged);
  return merged;
}

/** Validate a whole plan: its own fields, every rule, and that no two rules share their matching fields. */
export function validateDialPlan(plan: DialPlan): DialPlan {
  coerceAll(DIAL_PLAN_FIELDS, { domain: plan.domain, name: plan.name, description: plan.description }, 'dial plan');
  validateDomainName(plan.domain, 'domain');
  validateName('name', plan.name);
  if (plan.id !== null && (!Number.isInteger(plan.id) || plan.id < 0)) throw new ValidationError('id', 'must be a non-negative integer');
  const seen = new Map<string, number>();
  plan.rules.forEach((rule, i) => {
    checkDialRuleGrammar(rule);
    if (rule.domain !== plan.domain) throw new ValidationError('domain', `rule ${i} belongs to domain "${rule.domain}", not "${plan.domain}"`);
    if (rule.dialPlan !== plan.name) throw new ValidationError('dialPlan', `rule ${i} belongs to plan "${rule.dialPlan}", not "${plan.name}"`);
    const id = dialRuleId(rule);
    const prior = seen.get(id);
    if (prior !== undefined) {
      throw new TrunklineError('CONFLICT', `rules ${prior} and ${i} have the same matching fields (${DIAL_RULE_MATCHING_KEYS.join(', ')})`, {
        field: 'matchToUri',
      });
    }
    seen.set(id, i);
  });
  return plan;
}

/** Build a plan record (no rules yet) from a create request. */
export function buildDialPlan(patch: Partial<Record<keyof typeof DIAL_PLAN_FIELDS, unknown>>): DialPlan {
  const given = coerceAll(DIAL_PLAN_FIELDS, patch, 'dial plan');
  requireFields(DIAL_PLAN_FIELDS, given);
  const plan: DialPlan = {
    id: null,
    domain: given.domain as string,
    name: given.name as string,
    description: given.description as string,
    rules: [],
  };
  return validateDialPlan(plan);
}

/** Build a complete, valid permission from a create request. */
export function buildPermission(patch: Partial<Record<keyof typeof PERMISSION_FIELDS, unknown>>): Permission {
  const given = coerceAll(PERMISSION_FIELDS, patch, 'permission');
  requireFields(PERMISSION_FIELDS, given);
  const permission: Permission = {
    dialPolicy: given.dialPolicy as string,
    domain: (given.domain as string | undefined) ?? '',
    match: given.match as string,
    mode: given.mode as Permission['mode'],
    reason: given.reason as string,
    createdAt: null,
  };
  checkPermission(permission);
  return permission;
}

function checkPermission(p: Permission): void {
  validateName('dialPolicy', p.dialPolicy);
  if (p.domain !== '') validateDomainName(p.domain, 'domain');
  compileDialPattern(p.match, 'match');
  if (p.mode !== 'permit' && p.mode !== 'deny') throw new ValidationError('mode', 'must be one of "permit", "deny"');
}

/** Validate a whole policy: its fields, every permission, and that no two permissions share a match. */
export function validateDialPolicy(policy: DialPolicy): DialPolicy {
  const given = coerceAll(DIAL_POLICY_FIELDS, { domain: policy.domain, name: policy.name, description: policy.description }, 'dial policy');
  requireFields(DIAL_POLICY_FIELDS, given);
  validateDomainName(policy.domain, 'domain');
  validateName('name', policy.name);
  const seen = new Set<string>();
  for (const p of policy.permissions) {
    checkPermission(p);
    if (p.dialPolicy !== policy.name) throw new ValidationError('dialPolicy', `permission "${p.match}" belongs to policy "${p.dialPolicy}"`);
    if (seen.has(p.match)) throw new TrunklineError('CONFLICT', `two permissions match "${p.match}"`, { field: 'match' });
    seen.add(p.match);
  }
  return policy;
}
