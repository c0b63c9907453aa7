/**
 * Enswitch `peers/*` parameters (seed 004), their defaults and allowed values, and where each lives.
 *
 * Five parameters have a canonical meaning and are written to the core, so the NetSapiens view and the SIP
 * edge see them (their lengths and ranges are the model's, checked by the model):
 *
 *   description   description
 *   destination   address (the first destination; further ones in ext.extraDestinations)
 *   username      authUsername (credentials trunkline sends; authenticateAsClient = username is set)
 *   password      authPassword
 *   outmaximum    maxCallsTerm (-1 = null, no limit)
 *
 * and `type` decides whether the edge may use the peer (origEnabled/termEnabled, see `ENSWITCH_SIP_TYPES`).
 * Everything else is `ext.enswitch` (`EnswitchPeerExtension`), with the limits below (Enswitch publishes none;
 * these are trunkline's, documented in docs/api-enswitch.md).
 */
import {
  ENSWITCH_DTMF_MODES,
  ENSWITCH_PEER_TYPES,
  type ConnectionSettingKey,
  type EnswitchPeerExtension,
} from '../../model/index.js';

export const ENSWITCH_PREFIX = '/api/json';

/** Parameters every call may carry that are not peer fields. */
export const AUTH_USERNAME = 'auth_username';
export const AUTH_PASSWORD = 'auth_password';
export const VALIDATION = 'validation';
export const ID = 'id';

/** The seed's default codec list. */
export const DEFAULT_CODECS = 'alaw,g722,g726,g729,gsm,ilbc,lpc10,slin,speex,ulaw';

type ExtKey = keyof EnswitchPeerExtension;

export type PeerParam =
  | { readonly kind: 'string'; readonly default: string; readonly maxLength: number; readonly pattern?: RegExp; readonly patternText?: string }
  | { readonly kind: 'int'; readonly default: number; readonly min: number; readonly max: number }
  | { readonly kind: 'flag'; readonly default: 0 | 1 }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] }
  /** Checked by a dedicated parser in codec.ts (destination list, codec list). */
  | { readonly kind: 'list'; readonly default: string; readonly maxLength: number };

export interface PeerField {
  readonly wire: string;
  readonly param: PeerParam;
  /** Where the value lives: a canonical key, or an ext.enswitch key. */
  readonly canonical?: ConnectionSettingKey;
  readonly ext?: ExtKey;
}

const INT_MAX = 2_147_483_647;
const str = (maxLength: number, def = '', pattern?: RegExp, patternText?: string): PeerParam =>
  pattern === undefined ? { kind: 'string', default: def, maxLength } : { kind: 'string', default: def, maxLength, pattern, patternText: patternText ?? 'is not valid' };
const canonicalStr = (): PeerParam => ({ kind: 'string', default: '', maxLength: Number.POSITIVE_INFINITY });
const int = (def: number, min: number, max: number): PeerParam => ({ kind: 'int', default: def, min, max });
const flag = (def: 0 | 1): PeerParam => ({ kind: 'flag', default: def });

/** Seed 004's table, in its order (`name` and `type` first). */
export const PEER_FIELDS: readonly PeerField[] = [
  { wire: 'name', param: str(128), ext: 'name' },
  { wire: 'type', param: { kind: 'enum', default: 'sip', values: ENSWITCH_PEER_TYPES }, ext: 'type' },
  { wire: 'called_prefix', param: str(32, '', /^[0-9*#+]*$/, 'may contain digits, *, # and + only'), ext: 'calledPrefix' },
  { wire: 'called_strip_hash', param: flag(0), ext: 'calledStripHash' },
  { wire: 'callerid', param: str(128), ext: 'callerid' },
  { wire: 'callerid_unknown', param: str(128, 'Anonymous'), ext: 'calleridUnknown' },
  { wire: 'callerid_withheld', param: str(128, 'Anonymous'), ext: 'calleridWithheld' },
  { wire: 'channel_group', param: int(1, 0, 63), ext: 'channelGroup' },
  { wire: 'charge', param: flag(1), ext: 'charge' },
  { wire: 'codecs', param: { kind: 'list', default: DEFAULT_CODECS, maxLength: 512 }, ext: 'codecs' },
  { wire: 'context', param: str(80, '', /^[A-Za-z0-9_.+-]*$/, 'may contain letters, digits, "_", ".", "+" and "-" only'), ext: 'context' },
  { wire: 'costs', param: flag(0), ext: 'costs' },
  { wire: 'currency', param: str(3, '', /^(?:[A-Z]{3})?$/, 'must be a three-letter ISO 4217 code such as "USD" (empty: the default currency)'), ext: 'currency' },
  { wire: 'customer', param: int(0, -1, INT_MAX), ext: 'customer' },
  { wire: 'description', param: canonicalStr(), canonical: 'description' },
  { wire: 'destination', param: { kind: 'list', default: '', maxLength: 1024 }, canonical: 'address' },
  { wire: 'dialplan_called', param: str(64), ext: 'dialplanCalled' },
  { wire: 'dialplan_caller', param: str(64), ext: 'dialplanCaller' },
  { wire: 'dtmfmode', param: { kind: 'enum', default: 'rfc2833', values: ENSWITCH_DTMF_MODES }, ext: 'dtmfmode' },
  { wire: 'fail_percent', param: int(0, 0, 100), ext: 'failPercent' },
  // Range checked by the model (maxCallsTerm) after -1 becomes null.
  { wire: 'outmaximum', param: int(-1, -1, INT_MAX), canonical: 'maxCallsTerm' },
  { wire: 'password', param: canonicalStr(), canonical: 'authPassword' },
  { wire: 'plan_customer', param: int(-1, -1, INT_MAX), ext: 'planCustomer' },
  { wire: 'proxy', param: str(256), ext: 'proxy' },
  { wire: 'send_asserted_identity', param: flag(0), ext: 'sendAssertedIdentity' },
  { wire: 'send_privacy', param: flag(0), ext: 'sendPrivacy' },
  { wire: 'send_rpid', param: flag(0), ext: 'sendRpid' },
  { wire: 'url_costs', param: str(1024), ext: 'urlCosts' },
  { wire: 'username', param: canonicalStr(), canonical: 'authUsername' },
];

export const PEER_FIELD_BY_WIRE: ReadonlyMap<string, PeerField> = new Map(PEER_FIELDS.map((f) => [f.wire, f]));

/** Canonical key → the Enswitch parameter named in a 400's `key`. */
export const ENSWITCH_WIRE_BY_KEY: ReadonlyMap<string, string> = new Map<string, string>([
  ['description', 'description'],
  ['address', 'destination'],
  ['authUsername', 'username'],
  ['authPassword', 'password'],
  ['maxCallsTerm', 'outmaximum'],
  ['authenticateAsClient', 'username'],
  ['origEnabled', 'type'],
  ['termEnabled', 'type'],
  ['origMatchPattern', 'destination'],
]);

/** Types whose `destination` is required (seed 004: sip and iax; pjsip is SIP too, added in 4.2). */
export const TYPES_NEEDING_DESTINATION: readonly string[] = ['sip', 'pjsip', 'iax'];
/** Types whose `channel_group` is required. */
export const TYPES_NEEDING_CHANNEL_GROUP: readonly string[] = ['dahdi', 'zap'];

/** Host of the orig match pattern of a peer no SIP request can come from (RFC 2606 `.invalid`). */
export const UNROUTABLE_HOST_SUFFIX = 'enswitch.invalid';

/** Envelope codes (strings, as Enswitch sends them) and the messages trunkline uses with them. */
export const CODES = {
  ok: { code: '200', message: 'OK' },
  validated: { code: '201', message: 'Input passed validation.' },
  done: { code: '204', message: 'Done.' },
} as const;
