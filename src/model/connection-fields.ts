/**
 * The canonical connection: every setting a trunk can carry, its type, default and allowed values.
 *
 * This catalog is the single source of truth. Validation (`validate-connection.ts`), the JSON Schemas the
 * HTTP dialects generate for requests and for trunkline's own OpenAPI document, the store's columns and
 * the SIP edge all read it. Canonical names are camelCase and vendor-neutral; each API dialect keeps its
 * own table from wire names to these keys (`src/api/<dialect>/fields.ts`). `docs/model.md` has the
 * field-by-field mapping across NetSapiens, Wavix and Enswitch.
 */

export type FieldSpec =
  | { readonly kind: 'string'; readonly default: string; readonly maxLength: number }
  | { readonly kind: 'bool'; readonly default: boolean }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] }
  | { readonly kind: 'int'; readonly default: number | null; readonly min: number; readonly max: number }
  | { readonly kind: 'json'; readonly default: unknown };

export const AUDIO_RELAY = ['yes', 'optional', 'no'] as const;
export const TRI_STATE_DEFAULT = ['yes', 'no', 'system-default'] as const;
export const DESTINATION_FROM = ['default-ip', 'contact-header', 'via-header'] as const;
export const ENCRYPTED_AUDIO = ['yes', 'optional', 'no'] as const;
export const TRANSPORTS = ['UDP', 'TCP', 'TLS'] as const;
export const ORIG_MATCH_HEADERS = ['from', 'to', 'request', 'contact'] as const;
export const REMOTE_RINGBACK = ['allowed', 'no-ringback', 'local-only'] as const;

export type AudioRelay = (typeof AUDIO_RELAY)[number];
export type TriStateDefault = (typeof TRI_STATE_DEFAULT)[number];
export type DestinationFrom = (typeof DESTINATION_FROM)[number];
export type EncryptedAudio = (typeof ENCRYPTED_AUDIO)[number];
export type SipTransport = (typeof TRANSPORTS)[number];
export type OrigMatchHeader = (typeof ORIG_MATCH_HEADERS)[number];
export type RemoteRingback = (typeof REMOTE_RINGBACK)[number];

/** Everything a client may set on a connection (identity fields `domain` and `origMatchPattern` aside). */
export interface ConnectionSettings {
  description: string;
  /** Defaults to the orig match pattern when left empty. */
  termMatchPattern: string;
  audioRelay: AudioRelay;
  /** Where calls to this connection go: a SIP URI or host[:port]. Also the source address checked by sourceIpCheck. */
  address: string;
  dialPlan: string;
  dialPolicy: string;
  /** null = no limit. */
  maxCallsOrig: number | null;
  maxCallsTerm: number | null;
  maxCallsTotal: number | null;
  linkedBillingUser: string;
  authUsername: string;
  authPassword: string;
  authRealm: string;
  origEnabled: boolean;
  termEnabled: boolean;
  translationRequestHost: string;
  translationDestinationHost: string;
  translationRequestUser: string;
  translationDestinationUser: string;
  translationSourceUser: string;
  translationSourceHost: string;
  sourceIpCheck: boolean;
  includeServerHeader: boolean;
  relayComfortNoise: TriStateDefault;
  pcmuOnly: boolean;
  enforceMinimumDuration: boolean;
  bindToAlternateInterface: boolean;
  blockVideoInSdp: boolean;
  newDialogDestinationFrom: DestinationFrom;
  responseDestinationFrom: DestinationFrom;
  requireEncryptedAudio: EncryptedAudio;
  transport: SipTransport;
  origMatchHeader: OrigMatchHeader;
  sessionTimer: TriStateDefault;
  preventRtpPortChange: boolean;
  hidePostDialDelayWithRingback: boolean;
  remoteRingback: RemoteRingback;
  blockMediaIn180Ringing: boolean;
  allowMidCallUriUpdates: boolean;
  recordAllCalls: boolean;
  redirectAllCalls: boolean;
  customPAssertedIdFormat: string;
  requireSipAuthentication: boolean;
  utcOffset: string;
  timeZone: string;
  minimumCallDurationSeconds: number;
  authenticateAsClient: boolean;
  isCarrierTrunk: boolean;
  /** "Currently not supported in V2 API" per the vendor; stored and echoed as given. */
  callRouting: unknown;
}

export type ConnectionSettingKey = keyof ConnectionSettings;

const str = (maxLength = 255, def = ''): FieldSpec => ({ kind: 'string', default: def, maxLength });
const bool = (def: boolean): FieldSpec => ({ kind: 'bool', default: def });
const oneOf = (values: readonly string[], def: string): FieldSpec => ({ kind: 'enum', default: def, values });
const int = (def: number | null, min = 0, max = 2_147_483_647): FieldSpec => ({ kind: 'int', default: def, min, max });

export const CONNECTION_FIELDS: { readonly [K in ConnectionSettingKey]: FieldSpec } = {
  description: str(1024),
  termMatchPattern: str(256),
  audioRelay: oneOf(AUDIO_RELAY, 'yes'),
  address: str(512),
  dialPlan: str(128),
  dialPolicy: str(128),
  maxCallsOrig: int(null),
  maxCallsTerm: int(null),
  maxCallsTotal: int(null),
  linkedBillingUser: str(128),
  authUsername: str(128),
  authPassword: str(128),
  authRealm: str(128),
  origEnabled: bool(true),
  termEnabled: bool(true),
  translationRequestHost: str(128),
  translationDestinationHost: str(128),
  translationRequestUser: str(128),
  translationDestinationUser: str(128),
  translationSourceUser: str(128),
  translationSourceHost: str(128),
  sourceIpCheck: bool(false),
  includeServerHeader: bool(false),
  relayComfortNoise: oneOf(TRI_STATE_DEFAULT, 'system-default'),
  pcmuOnly: bool(false),
  enforceMinimumDuration: bool(false),
  bindToAlternateInterface: bool(false),
  blockVideoInSdp: bool(false),
  newDialogDestinationFrom: oneOf(DESTINATION_FROM, 'default-ip'),
  responseDestinationFrom: oneOf(DESTINATION_FROM, 'default-ip'),
  requireEncryptedAudio: oneOf(ENCRYPTED_AUDIO, 'no'),
  transport: oneOf(TRANSPORTS, 'UDP'),
  origMatchHeader: oneOf(ORIG_MATCH_HEADERS, 'from'),
  sessionTimer: oneOf(TRI_STATE_DEFAULT, 'system-default'),
  preventRtpPortChange: bool(false),
  hidePostDialDelayWithRingback: bool(false),
  remoteRingback: oneOf(REMOTE_RINGBACK, 'allowed'),
  blockMediaIn180Ringing: bool(false),
  allowMidCallUriUpdates: bool(false),
  recordAllCalls: bool(false),
  redirectAllCalls: bool(false),
  customPAssertedIdFormat: str(256),
  requireSipAuthentication: bool(false),
  utcOffset: str(8),
  timeZone: str(64),
  minimumCallDurationSeconds: int(0, 0, 86_400),
  authenticateAsClient: bool(false),
  isCarrierTrunk: bool(false),
  callRouting: { kind: 'json', default: null },
};

export const CONNECTION_SETTING_KEYS = Object.keys(CONNECTION_FIELDS) as ConnectionSettingKey[];
