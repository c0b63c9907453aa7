/**
 * NetSapiens domain (tenant) fields. `domain`, `reseller` and `description` are the tenant's own columns; every
 * other writable field is kept in `Tenant.attributes` under its wire name so a client reads back what it wrote
 * (trunkline does not act on music on hold, SMTP settings and the like).
 */
import type { JsonSchema } from '../shared/schema.js';

const yesNo: JsonSchema = { type: 'string', enum: ['yes', 'no'] };
const int: JsonSchema = { type: ['integer', 'string'], pattern: '^\\s*\\d{1,9}\\s*$', minimum: 0, maximum: 2_147_483_647 };
const anyScalar: JsonSchema = { type: ['string', 'integer', 'boolean', 'array', 'object', 'number', 'null'] };
const nullableString: JsonSchema = { type: ['string', 'null'], maxLength: 255 };

export type DomainAttrKind = 'yesno' | 'int' | 'number' | 'string' | 'any' | 'enum' | 'nullable-string' | 'time-zone';

export interface NsDomainAttr {
  readonly wire: string;
  readonly kind: DomainAttrKind;
  readonly schema: JsonSchema;
}

function attr(wire: string, kind: DomainAttrKind, schema: JsonSchema): NsDomainAttr {
  return { wire, kind, schema };
}

/** Writable domain attributes (beyond domain/reseller/description), in the vendor's order. */
export const NS_DOMAIN_ATTRS: readonly NsDomainAttr[] = [
  attr('music-on-hold-enabled', 'yesno', yesNo),
  attr('music-on-ring-enabled', 'yesno', yesNo),
  attr('music-on-hold-randomized-enabled', 'yesno', yesNo),
  attr('domain-type', 'enum', { type: 'string', enum: ['Standard', 'Residential', 'Hospitality'] }),
  attr('dial-plan', 'string', { type: 'string', maxLength: 128 }),
  attr('dial-policy', 'string', { type: 'string', maxLength: 128 }),
  attr('email-send-from-address', 'string', { type: 'string', maxLength: 255 }),
  attr('single-sign-on-enabled', 'yesno', yesNo),
  attr('area-code', 'number', { type: ['integer', 'string'], pattern: '^\\s*\\d{3}\\s*$', minimum: 100, maximum: 999 }),
  attr('caller-id-name', 'string', { type: 'string', maxLength: 255 }),
  attr('caller-id-number', 'any', anyScalar),
  attr('caller-id-number-emergency', 'any', anyScalar),
  attr('limits-max-subcriber-resources-total', 'int', int),
  attr('limits-max-active-calls-total', 'int', int),
  attr('limits-max-active-calls-offnet', 'int', int),
  attr('limits-max-call-queues', 'int', int),
  attr('limits-max-auto-attendants', 'int', int),
  attr('limits-max-conferences', 'int', int),
  attr('limits-max-departments', 'int', int),
  attr('limits-max-users', 'int', int),
  attr('limits-max-sites', 'int', int),
  attr('limits-max-fax-accounts', 'int', int),
  attr('time-zone', 'time-zone', { type: 'string', maxLength: 64 }),
  attr('email-send-smtp-hostname', 'nullable-string', nullableString),
  attr('email-send-smtp-port', 'nullable-string', { type: ['string', 'null', 'integer'], maxLength: 8 }),
  attr('email-send-smtp-username', 'nullable-string', nullableString),
  attr('email-send-smtp-password', 'nullable-string', nullableString),
  attr('emergency-address-id', 'nullable-string', nullableString),
  attr('voicemail-enabled', 'yesno', yesNo),
  attr('recording-configuration', 'enum', {
    type: 'string',
    enum: ['yes', 'yes-with-transcription', 'yes-with-transcription-and-sentiment', 'no'],
  }),
  attr('voicemail-transcription-enabled', 'enum', {
    type: 'string',
    enum: ['no', 'Deepgram', 'Google', 'Mutare', 'Voicebase'],
  }),
  attr('language-token', 'string', { type: 'string', maxLength: 16 }),
  attr('is-domain-locked', 'yesno', yesNo),
  attr('is-stir-enabled', 'yesno', yesNo),
  attr('is-ivr-forward-change-blocked', 'yesno', yesNo),
];

/** Input aliases: the vendor's own POST /domains example sends "language". */
export const NS_DOMAIN_ALIASES: ReadonlyMap<string, string> = new Map([['language', 'language-token']]);

/** Read-only live figures of a domain: accepted and ignored on input. */
export const NS_DOMAIN_READ_ONLY = [
  'active-calls-total-current',
  'active-calls-against-license-count',
  'active-calls-offnet-current',
  'count-subcriber-resources-total',
] as const;

export const NS_DOMAIN_ATTR_BY_WIRE: ReadonlyMap<string, NsDomainAttr> = new Map(NS_DOMAIN_ATTRS.map((a) => [a.wire, a]));
