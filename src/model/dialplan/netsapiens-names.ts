/**
 * NetSapiens ns-api v2 wire names for dial plans, dial rules, dial policies and permissions, and the
 * canonical keys they map to. The NetSapiens dialect serves `/domains/{domain}/dialplans`,
 * `/domains/{domain}/dialplans/{dialplan}/dialrules[/{dialrule}]`, `/dialplans`, `/dialpolicy[/{policy}]`
 * and `/[domains/{domain}/]dialpolicy/{policy}/permission[/{id}]` from these tables alone.
 *
 * Aliases are accepted on input and never written:
 * - `dail-rule-matching-to-uri`, `dail-rule-matching-from-uri`: the vendor's own typo, in its dialrule id
 *   description and its schema overrides.
 * - `enable`, `from_name`, `from_user`, `from_host`, `plan_description`: the names the vendor's own
 *   "Update a dial rule" example sends (the older API's field names).
 * - `responder`: the older API's name of the application, carrying a responder such as
 *   `sip:start@to-connection` (`applicationFromWire` maps it to the enum name).
 *
 * Wire types: `enabled` is `"yes"`/`"no"` (YesNoStringYesDefault); everything else is a string, except
 * `dialplan_id`, an integer. `synchronous` (yes/no, write-only) is a request option, not a field.
 */
import type { DialPlan, DialPolicy, DialRule, DialRuleKey, Permission } from './types.js';

/** Dial rule: wire name -> canonical key, in the vendor's property order. */
export const NETSAPIENS_DIAL_RULE_NAMES = {
  domain: 'domain',
  'dial-rule-dial-plan': 'dialPlan',
  'dial-rule-matching-to-uri': 'matchToUri',
  enabled: 'enabled',
  'dial-rule-matching-from-uri': 'matchFromUri',
  'dial-rule-matching-day-of-week': 'matchDayOfWeek',
  'dial-rule-matching-start-date': 'matchStartDate',
  'dial-rule-matching-end-date': 'matchEndDate',
  'dial-rule-matching-start-time': 'matchStartTime',
  'dial-rule-matching-end-time': 'matchEndTime',
  'dial-rule-application': 'application',
  'dial-rule-parameter': 'parameter',
  'dial-rule-translation-destination-scheme': 'destinationScheme',
  'dial-rule-translation-destination-user': 'destinationUser',
  'dial-rule-translation-destination-host': 'destinationHost',
  'dial-rule-translation-source-name': 'sourceName',
  'dial-rule-translation-source-scheme': 'sourceScheme',
  'dial-rule-translation-source-user': 'sourceUser',
  'dial-rule-translation-source-host': 'sourceHost',
  'dial-rule-description': 'description',
} as const satisfies Record<string, DialRuleKey>;

/** `dialrule`: the read-only id (`dialRuleId`), answered on every read, never stored. */
export const NETSAPIENS_DIAL_RULE_ID = 'dialrule';

/** Input-only aliases -> canonical key. */
export const NETSAPIENS_DIAL_RULE_ALIASES = {
  'dail-rule-matching-to-uri': 'matchToUri',
  'dail-rule-matching-from-uri': 'matchFromUri',
  enable: 'enabled',
  from_name: 'sourceName',
  from_user: 'sourceUser',
  from_host: 'sourceHost',
  plan_description: 'description',
  responder: 'application',
} as const satisfies Record<string, DialRuleKey>;

/** Dial plan (`Dialplan` schema). The plan reuses the rule's wire names for its name and description. */
export const NETSAPIENS_DIAL_PLAN_NAMES = {
  dialplan_id: 'id',
  domain: 'domain',
  'dial-rule-dial-plan': 'name',
  'dial-rule-description': 'description',
} as const satisfies Record<string, Exclude<keyof DialPlan, 'rules'>>;

/** Dial policy (`Dialpolicy` schema). */
export const NETSAPIENS_DIAL_POLICY_NAMES = {
  dialpolicy: 'name',
  domain: 'domain',
  description: 'description',
} as const satisfies Record<string, Exclude<keyof DialPolicy, 'permissions'>>;

/** Permission (`Permission` schema). `permission-id` is the read-only base64 of the match (`permissionId`). */
export const NETSAPIENS_PERMISSION_NAMES = {
  dialpolicy: 'dialPolicy',
  domain: 'domain',
  'permission-match': 'match',
  'permission-mode': 'mode',
  'permission-reason': 'reason',
  'created-datetime': 'createdAt',
} as const satisfies Record<string, keyof Permission>;

export const NETSAPIENS_PERMISSION_ID = 'permission-id';

type Names = Readonly<Record<string, string>>;

function invert(names: Names): Readonly<Record<string, string>> {
  return Object.fromEntries(Object.entries(names).map(([wire, key]) => [key, wire]));
}

/** Canonical key -> wire name, for renaming a ValidationError's field and for writing responses. */
export const DIAL_RULE_WIRE_NAMES = invert(NETSAPIENS_DIAL_RULE_NAMES) as { readonly [K in DialRuleKey]: string };
export const DIAL_PLAN_WIRE_NAMES = invert(NETSAPIENS_DIAL_PLAN_NAMES);
export const DIAL_POLICY_WIRE_NAMES = invert(NETSAPIENS_DIAL_POLICY_NAMES);
export const PERMISSION_WIRE_NAMES = invert(NETSAPIENS_PERMISSION_NAMES);

export interface WireConversion {
  /** Canonical keys with wire types converted (yes/no -> boolean). Values are not validated yet. */
  readonly patch: Record<string, unknown>;
  /** Wire names the table does not know: the dialect decides whether to ignore or refuse them. */
  readonly unknown: readonly string[];
}

/** Wire yes/no -> boolean; anything else is passed on for the validator to refuse with the field's name. */
function yesNo(value: unknown): unknown {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return value;
}

/**
 * Rename a NetSapiens dial rule body to canonical keys. Read-only and request-option names (`dialrule`,
 * `synchronous`) are dropped, as the connection dialect drops live fields clients PUT back.
 */
export function dialRuleFromWire(body: Readonly<Record<string, unknown>>): WireConversion {
  const patch: Record<string, unknown> = {};
  const unknown: string[] = [];
  const all: Names = { ...NETSAPIENS_DIAL_RULE_ALIASES, ...NETSAPIENS_DIAL_RULE_NAMES };
  for (const [wire, value] of Object.entries(body)) {
    if (wire === NETSAPIENS_DIAL_RULE_ID || wire === 'synchronous') continue;
    const key = all[wire];
    if (key === undefined) {
      unknown.push(wire);
      continue;
    }
    // The spec name wins over an alias when a body carries both.
    if (key in patch && !(wire in NETSAPIENS_DIAL_RULE_NAMES)) continue;
    patch[key] = key === 'enabled' ? yesNo(value) : value;
  }
  return { patch, unknown };
}

/** A rule as the vendor answers it, `dialrule` id included. */
export function dialRuleToWire(rule: DialRule, id: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [wire, key] of Object.entries(NETSAPIENS_DIAL_RULE_NAMES)) {
    const value = rule[key];
    out[wire] = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
    if (wire === 'dial-rule-matching-to-uri') out[NETSAPIENS_DIAL_RULE_ID] = id;
  }
  return out;
}

function renameFromWire(names: Names, body: Readonly<Record<string, unknown>>): WireConversion {
  const patch: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [wire, value] of Object.entries(body)) {
    if (wire === 'synchronous') continue;
    const key = names[wire];
    if (key === undefined) unknown.push(wire);
    else patch[key] = value;
  }
  return { patch, unknown };
}

export function dialPlanFromWire(body: Readonly<Record<string, unknown>>): WireConversion {
  return renameFromWire(NETSAPIENS_DIAL_PLAN_NAMES, body);
}

export function dialPolicyFromWire(body: Readonly<Record<string, unknown>>): WireConversion {
  return renameFromWire(NETSAPIENS_DIAL_POLICY_NAMES, body);
}

export function permissionFromWire(body: Readonly<Record<string, unknown>>): WireConversion {
  const { patch, unknown } = renameFromWire(NETSAPIENS_PERMISSION_NAMES, body);
  delete patch.createdAt; // set by the store
  return { patch, unknown: unknown.filter((u) => u !== NETSAPIENS_PERMISSION_ID) };
}
