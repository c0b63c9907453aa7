/**
 * The canonical model of NetSapiens dial plans, dial rules and dial policies.
 *
 * A dial plan (NetSapiens "dial translation table") is a named list of dial rules owned by a domain (`*` for
 * system-wide tables). A connection names one in `dialPlan`; the edge runs `routeCall` over it to pick a
 * responder application and to rewrite the destination and source of the call. A dial policy is a named list
 * of permit/deny permissions that `policyPermits` checks a dialled destination against (connection field
 * `dialPolicy`).
 *
 * Canonical keys are camelCase; `netsapiens-names.ts` maps the vendor's kebab-case wire names to them.
 * Every field of the vendor schemas (`Dialplan`, `DialRule`, `DialruleApplication`, `Dialpolicy`,
 * `Permission`) is here, with the vendor's defaults. Where the vendor gives no default we chose one and say so.
 */
import type { FieldSpec } from '../connection-fields.js';

/**
 * `dial-rule-application`: the responder the call is handed to. The vendor enum, in the vendor's order.
 * The responder each name stands for is in `DIAL_RULE_RESPONDERS`.
 */
export const DIAL_RULE_APPLICATIONS = [
  'available-number',
  'to-voicemail-residential',
  'to-callqueue',
  'to-callqueue-announce-count-callers-ahead',
  'to-callqueue-announce-expected-wait-time',
  'to-connection',
  'to-connection-or-user-no-failover',
  'to-single-device',
  'to-user',
  'to-user-residential',
  'to-voicemail',
  'spam-screening',
  'to-connection-block-caller-id',
  'to-connection-no-timeout',
  'to-connection-add-header-force-caller-id',
  'to-connection-add-header-no-timeout',
  'to-connection-add-header',
  'to-single-device-add-header-allow-voicemail',
  'to-single-device-add-header-allow-voicemail-residential',
  'to-single-device-add-header',
  'to-user-add-header',
  'to-user-residential-add-header',
  'to-user-notify-of-recording',
  'hangup',
  'to-user-answer-and-fake-ringback',
  'toggle-timeframe',
] as const;
export type DialRuleApplication = (typeof DIAL_RULE_APPLICATIONS)[number];

/**
 * The vendor's responder for each application (the spec's enum descriptions; the older v1 API and stored
 * rules carry these in the `responder` field). The first entry is the canonical one; `to-callqueue` has two
 * spellings in the vendor's own text, both accepted.
 */
export const DIAL_RULE_RESPONDERS: { readonly [A in DialRuleApplication]: readonly [string, ...string[]] } = {
  'available-number': ['AvailableDID'],
  'to-voicemail-residential': ['Residential VMail'],
  'to-callqueue': ['sip:start@call-queuing', 'sip:start@call-queueing'],
  'to-callqueue-announce-count-callers-ahead': ['sip:say-que-size@call-queuing'],
  'to-callqueue-announce-expected-wait-time': ['sip:say-que-time@call-queuing'],
  'to-connection': ['sip:start@to-connection'],
  'to-connection-or-user-no-failover': ['sip:start@one-shot'],
  'to-single-device': ['sip:start@to-owned-device'],
  'to-user': ['sip:start@to-user'],
  'to-user-residential': ['sip:start@to-user-resi'],
  'to-voicemail': ['sip:start@to-vmail'],
  'spam-screening': ['SPAM-Screen'],
  'to-connection-block-caller-id': ['sip:no-rna@to-connection'],
  'to-connection-no-timeout': ['sip:privacy@to-connection'],
  'to-connection-add-header-force-caller-id': ['To-Conn-For-DNIS-Add-Header'],
  'to-connection-add-header-no-timeout': ['To-Conn-No-RNA-Add-Header'],
  'to-connection-add-header': ['To-Connection-Add-Header'],
  'to-single-device-add-header-allow-voicemail': ['To-Device-wVM-Add-Header'],
  'to-single-device-add-header-allow-voicemail-residential': ['To-DevResi-wVM-Add-Header'],
  'to-single-device-add-header': ['To-Owned-Device-Add-Header'],
  'to-user-add-header': ['To-User-Add-Header'],
  'to-user-residential-add-header': ['To-UserResi-Add-Header'],
  'to-user-notify-of-recording': ['ToUserRecordingNotice'],
  hangup: ['Hangup'],
  'to-user-answer-and-fake-ringback': ['ToUserRingback'],
  'toggle-timeframe': ['Toggle-Timeframe'],
};

/**
 * `dial-rule-translation-{destination,source}-scheme`: `[*]` keeps the scheme of the incoming URI, `sip:`
 * forces sip, `<Null>` writes the URI without a scheme (vendor enum and default `[*]`).
 */
export const DIAL_RULE_SCHEMES = ['[*]', 'sip:', '<Null>'] as const;
export type DialRuleScheme = (typeof DIAL_RULE_SCHEMES)[number];

export const PERMISSION_MODES = ['permit', 'deny'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/**
 * The matching half of a rule. Together these fields identify a rule inside its plan (the vendor's
 * `dialrule` id is their base64 concatenation, see `ids.ts`), and the vendor forbids changing them on update.
 */
export interface DialRuleMatching {
  /** `dial-rule-matching-to-uri`: the destination pattern, e.g. `sip:611@*`, `sip:1??????????@*`. Required. */
  matchToUri: string;
  /** `dial-rule-matching-from-uri`: the caller pattern; `*` (default) matches every caller. */
  matchFromUri: string;
  /** `dial-rule-matching-day-of-week`: `*`, one day `0`-`6` (Sunday = 0) or a bracket class like `[1-5]`. */
  matchDayOfWeek: string;
  /** `dial-rule-matching-start-date` / `-end-date`: `*` or `YYYY-MM-DD`, inclusive, local to the time zone. */
  matchStartDate: string;
  matchEndDate: string;
  /** `dial-rule-matching-start-time` / `-end-time`: `*` or `HH:MM` (00:00-23:59), end minute inclusive. */
  matchStartTime: string;
  matchEndTime: string;
}

/** What a rule does once it matched. */
export interface DialRuleAction {
  /** `enabled`: a disabled rule is kept but never matches. */
  enabled: boolean;
  /** `dial-rule-application`. */
  application: DialRuleApplication;
  /** `dial-rule-parameter`: extra setting for the application (e.g. a header to add); default empty. */
  parameter: string;
  /** `dial-rule-translation-destination-scheme`. */
  destinationScheme: DialRuleScheme;
  /** `dial-rule-translation-destination-user`: template for the new destination user. Required. */
  destinationUser: string;
  /** `dial-rule-translation-destination-host`: template for the new destination host (default `[*]`). */
  destinationHost: string;
  /** `dial-rule-translation-source-name`: template for the caller's display name (default `[*]`). */
  sourceName: string;
  /** `dial-rule-translation-source-scheme`. */
  sourceScheme: DialRuleScheme;
  /** `dial-rule-translation-source-user`: template for the caller's user (default `[*]`). */
  sourceUser: string;
  /** `dial-rule-translation-source-host`: template for the caller's host (default `[*]`). */
  sourceHost: string;
  /** `dial-rule-description`. */
  description: string;
}

export interface DialRule extends DialRuleMatching, DialRuleAction {
  /** `domain`: owner of the plan (`*` = system-wide). */
  domain: string;
  /** `dial-rule-dial-plan`: name of the plan the rule belongs to. */
  dialPlan: string;
}

export type DialRuleKey = keyof DialRule;

/** A dial plan with its rules. `rules` is kept in the order the store holds them (insertion order). */
export interface DialPlan {
  /** `dialplan_id`: store-assigned integer; null before the store assigns it. */
  id: number | null;
  /** `domain`. */
  domain: string;
  /** `dial-rule-dial-plan`: the plan's name, unique per domain. */
  name: string;
  /** `dial-rule-description`: the plan's description. */
  description: string;
  rules: readonly DialRule[];
}

/** One permit/deny line of a dial policy (`Permission` schema). Identity is `(dialPolicy, match)`. */
export interface Permission {
  /** `dialpolicy`. */
  dialPolicy: string;
  /** `domain`. */
  domain: string;
  /** `permission-match`: a destination pattern in the same grammar as `matchToUri`. */
  match: string;
  /** `permission-mode`. */
  mode: PermissionMode;
  /** `permission-reason`: free text. */
  reason: string;
  /** `created-datetime`: set by the store; null before. */
  createdAt: string | null;
}

/** A dial policy with its permissions (`Dialpolicy` schema). */
export interface DialPolicy {
  /** `dialpolicy`: the policy's name. */
  name: string;
  /** `domain`. */
  domain: string;
  /** `description`. */
  description: string;
  permissions: readonly Permission[];
}

/** Field catalog entry: the connection catalog's `FieldSpec` plus the dial-plan specifics. */
export type DialFieldSpec = FieldSpec & {
  /** Must be given on create (vendor `required`). */
  readonly required?: true;
  /** Cannot change on update ("delete and create new", per the vendor). */
  readonly immutable?: true;
};

const str = (maxLength: number, def = '', extra: { required?: true; immutable?: true } = {}): DialFieldSpec => ({
  kind: 'string',
  default: def,
  maxLength,
  ...extra,
});

/**
 * Types, defaults and limits of every dial rule field. Lengths are trunkline's (the vendor states none)
 * and match the connection catalog's sizes for comparable fields.
 *
 * `application` has no vendor default; trunkline uses `to-user`, the plain "deliver to this user"
 * responder, so a rule created with only a pattern and a destination does the obvious thing.
 */
export const DIAL_RULE_FIELDS: { readonly [K in DialRuleKey]: DialFieldSpec } = {
  domain: str(64, '', { required: true, immutable: true }),
  dialPlan: str(128, '', { required: true, immutable: true }),
  matchToUri: str(256, '', { required: true, immutable: true }),
  matchFromUri: str(256, '*', { immutable: true }),
  matchDayOfWeek: str(32, '*', { immutable: true }),
  matchStartDate: str(10, '*', { immutable: true }),
  matchEndDate: str(10, '*', { immutable: true }),
  matchStartTime: str(5, '*', { immutable: true }),
  matchEndTime: str(5, '*', { immutable: true }),
  enabled: { kind: 'bool', default: true },
  application: { kind: 'enum', default: 'to-user', values: DIAL_RULE_APPLICATIONS },
  parameter: str(256),
  destinationScheme: { kind: 'enum', default: '[*]', values: DIAL_RULE_SCHEMES },
  destinationUser: str(128, '', { required: true }),
  destinationHost: str(128, '[*]'),
  sourceName: str(128, '[*]'),
  sourceScheme: { kind: 'enum', default: '[*]', values: DIAL_RULE_SCHEMES },
  sourceUser: str(128, '[*]'),
  sourceHost: str(128, '[*]'),
  description: str(1024),
};

export const DIAL_RULE_KEYS = Object.keys(DIAL_RULE_FIELDS) as DialRuleKey[];

export const DIAL_RULE_MATCHING_KEYS = [
  'matchToUri',
  'matchFromUri',
  'matchDayOfWeek',
  'matchStartDate',
  'matchEndDate',
  'matchStartTime',
  'matchEndTime',
] as const satisfies readonly (keyof DialRuleMatching)[];

export const DIAL_PLAN_FIELDS: { readonly [K in Exclude<keyof DialPlan, 'rules' | 'id'>]: DialFieldSpec } = {
  domain: str(64, '', { required: true, immutable: true }),
  name: str(128, '', { required: true, immutable: true }),
  description: str(1024, '', { required: true }),
};

export const DIAL_POLICY_FIELDS: { readonly [K in Exclude<keyof DialPolicy, 'permissions'>]: DialFieldSpec } = {
  domain: str(64, '', { required: true, immutable: true }),
  name: str(128, '', { required: true, immutable: true }),
  description: str(1024, '', { required: true }),
};

export const PERMISSION_FIELDS: { readonly [K in Exclude<keyof Permission, 'createdAt'>]: DialFieldSpec } = {
  dialPolicy: str(128, '', { required: true, immutable: true }),
  domain: str(64, '', { immutable: true }),
  match: str(256, '', { required: true, immutable: true }),
  // Required on create (no vendor default); `default` only satisfies the catalog's shape and is never used.
  mode: { kind: 'enum', default: 'permit', values: PERMISSION_MODES, required: true },
  reason: str(1024, '', { required: true }),
};

/** Tokens the vendor allows inside translation templates besides `[*]`, and what they stand for. */
export const DIAL_RULE_TOKENS = ['<OwnDomain>', '<OwnCidNmbr>', '<OwnCidName>'] as const;
export type DialRuleToken = (typeof DIAL_RULE_TOKENS)[number];
