/**
 * NetSapiens wire names ↔ canonical connection keys.
 *
 * Every canonical setting has exactly one NetSapiens name (the one in the vendor's OpenAPI `Connection`
 * schema, or in the vendor's example response for `connection-redirect-all-calls-enabled`, which the schema
 * lacks). A few names the vendor's own pages misspell are accepted on input as aliases and never written.
 * Wire types follow the vendor: booleans are "yes"/"no", integers are numbers on output and numbers or numeric
 * strings ("0") on input, enums are strings.
 *
 * Read-only fields (live call figures, registration times, last modification) are filled from the store on
 * output and ignored on input, so a client can PUT back what it GOT.
 */
import { CONNECTION_FIELDS, type ConnectionLive, type ConnectionSettingKey, type FieldSpec } from '../../model/index.js';

export interface NsConnectionField {
  /** The NetSapiens name, as written on output. */
  readonly wire: string;
  readonly key: ConnectionSettingKey;
  readonly spec: FieldSpec;
  /** Misspellings seen in vendor material, accepted on input only. */
  readonly aliases: readonly string[];
}

const TABLE: ReadonlyArray<readonly [wire: string, key: ConnectionSettingKey, aliases?: readonly string[]]> = [
  ['description', 'description'],
  ['connection-term-match-pattern', 'termMatchPattern'],
  ['connection-audio-relay-enabled', 'audioRelay'],
  ['connection-address', 'address'],
  ['dial-plan', 'dialPlan'],
  ['dial-policy', 'dialPolicy'],
  ['limits-max-active-calls-orig', 'maxCallsOrig'],
  ['limits-max-active-calls-term', 'maxCallsTerm'],
  ['limits-max-active-calls-total', 'maxCallsTotal'],
  ['connection-linked-billing-user', 'linkedBillingUser'],
  ['connection-sip-registration-username', 'authUsername'],
  ['connection-sip-registration-password', 'authPassword'],
  ['connection-sip-registration-realm', 'authRealm'],
  ['connection-orig-enabled', 'origEnabled'],
  ['connection-term-enabled', 'termEnabled'],
  ['connection-translation-request-host', 'translationRequestHost'],
  ['connection-translation-destination-host', 'translationDestinationHost'],
  ['connection-translation-request-user', 'translationRequestUser'],
  ['connection-translation-destination-user', 'translationDestinationUser'],
  ['connection-translation-source-user', 'translationSourceUser'],
  ['connection-translation-source-host', 'translationSourceHost'],
  ['connection-source-ip-checking-enabled', 'sourceIpCheck'],
  ['connection-include-server-header-enabled', 'includeServerHeader'],
  ['connection-relay-comfort-noise-enabled', 'relayComfortNoise'],
  ['connection-pcmu-only-enabled', 'pcmuOnly'],
  ['connection-enforce-minimum-duration-enabled', 'enforceMinimumDuration'],
  ['connection-bind-to-alternate-interface-enabled', 'bindToAlternateInterface'],
  ['connection-block-video-in-sdp-enabled', 'blockVideoInSdp'],
  ['connection-sip-get-new-dialog-destination-from', 'newDialogDestinationFrom'],
  ['connection-sip-get-response-destination-from', 'responseDestinationFrom'],
  ['connection-require-encrypted-audio-enabled', 'requireEncryptedAudio'],
  ['connection-sip-transport-protocol', 'transport'],
  ['connection-check-orig-matching-sip-header', 'origMatchHeader'],
  ['connection-sip-session-timer-enabled', 'sessionTimer'],
  ['connection-prevent-rtp-port-change-enabled', 'preventRtpPortChange'],
  // Seed 002 (the vendor's example response) spells it "pingback".
  ['connection-hide-post-dial-delay-with-ringback-enabled', 'hidePostDialDelayWithRingback', ['connection-hide-post-dial-delay-with-pingback-enabled']],
  ['connection-remote-ringback-handling', 'remoteRingback'],
  // Seed 002 spells it "ringling".
  ['connection-block-media-in-sip-180-ringing', 'blockMediaIn180Ringing', ['connection-block-media-in-sip-180-ringling']],
  ['connection-allow-mid-call-uri-updates-enabled', 'allowMidCallUriUpdates'],
  ['connection-record-all-calls-enabled', 'recordAllCalls'],
  // Not in the vendor schema; present in the vendor's example response (seed 002).
  ['connection-redirect-all-calls-enabled', 'redirectAllCalls'],
  ['connection-custom-p-asserted-id-format', 'customPAssertedIdFormat'],
  ['connection-require-sip-authentication-enabled', 'requireSipAuthentication'],
  ['utc-offset', 'utcOffset'],
  ['time-zone', 'timeZone'],
  // The vendor's own POST example sends "minimum-call-duration-second".
  ['minimum-call-duration-seconds', 'minimumCallDurationSeconds', ['minimum-call-duration-second']],
  ['connection-sip-authenticate-as-client-enabled', 'authenticateAsClient'],
  ['connection-is-carrier-trunk', 'isCarrierTrunk'],
  ['call-routing', 'callRouting'],
];

export const NS_CONNECTION_FIELDS: readonly NsConnectionField[] = TABLE.map(([wire, key, aliases]) => ({
  wire,
  key,
  spec: CONNECTION_FIELDS[key],
  aliases: aliases ?? [],
}));

/** Identity fields: the connection's key, set on create, never changed by PUT. */
export const NS_DOMAIN = 'domain';
export const NS_ORIG_PATTERN = 'connection-orig-match-pattern';

/** Read-only fields, filled on output from the live figures and the record, ignored on input. */
export const NS_LIVE_INT_FIELDS: ReadonlyArray<readonly [wire: string, live: keyof ConnectionLive]> = [
  ['active-calls-max-last-month', 'maxLastMonth'],
  ['active-calls-max-this-month', 'maxThisMonth'],
  ['active-calls-orig-current', 'activeOrig'],
  ['active-calls-orig-since-startup', 'origSinceStartup'],
  ['active-calls-term-current', 'activeTerm'],
  ['active-calls-term-since-startup', 'termSinceStartup'],
];
export const NS_REGISTERED_AT = 'connection-sip-registration-datetime';
export const NS_REGISTRATION_EXPIRES = 'connection-sip-registration-expires-datetime';
export const NS_LAST_MODIFIED = 'last-modified-datetime';

export const NS_READ_ONLY_FIELDS: readonly string[] = [
  ...NS_LIVE_INT_FIELDS.map(([wire]) => wire),
  NS_REGISTERED_AT,
  NS_REGISTRATION_EXPIRES,
  NS_LAST_MODIFIED,
];

/** Wire name (spec name or alias) → field. */
export const NS_FIELD_BY_WIRE: ReadonlyMap<string, NsConnectionField> = new Map(
  NS_CONNECTION_FIELDS.flatMap((f) => [[f.wire, f] as const, ...f.aliases.map((a) => [a, f] as const)]),
);

/** Canonical key → the wire name trunkline writes (and names in error messages). */
export const NS_WIRE_BY_KEY: ReadonlyMap<string, string> = new Map<string, string>([
  ...NS_CONNECTION_FIELDS.map((f) => [f.key, f.wire] as const),
  ['domain', NS_DOMAIN],
  ['origMatchPattern', NS_ORIG_PATTERN],
]);

/** "2025-05-19 02:41:11" (UTC), the vendor's datetime format. */
export function nsDateTime(iso: string | null): string | undefined {
  if (iso === null || iso === '') return undefined;
  // The store keeps toISOString() form (2025-05-19T02:41:11.000Z): cut it without parsing.
  if (iso.length === 24 && iso.charCodeAt(10) === 84 /* T */ && iso.charCodeAt(23) === 90 /* Z */) {
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
