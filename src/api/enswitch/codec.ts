/**
 * Enswitch wire ↔ canonical conversion for peers, the response envelope and the error shape.
 *
 * Input: each parameter is checked for its type and allowed values (seed 004: Integer parameters as numbers or
 * numeric strings, 0/1 flags, enums, lengths) → 400 naming it in `key`; the given parameters are laid over the
 * defaults (create) or the peer as it is (update); the rules that span parameters are checked on that result
 * (`destination` for sip/pjsip/iax, `context` for context, `channel_group` for dahdi/zap); then the canonical
 * part goes to the model (`buildNewConnection`, `mergeSettings`), whose ValidationError names a canonical key
 * that `formatError` renames to the Enswitch parameter.
 */
import {
  ENSWITCH_SIP_TYPES,
  TrunklineError,
  ValidationError,
  coerceInteger,
  compileMatchPattern,
  type Connection,
  type ConnectionLive,
  type EnswitchPeerExtension,
  type EnswitchPeerType,
  type SettingsPatch,
} from '../../model/index.js';
import { parseEnswitchCodecs } from '../../model/codecs.js';
import { wireErrorMessage, type ParsedConnectionBody, type WireError } from '../shared/dialect.js';
import {
  AUTH_PASSWORD,
  AUTH_USERNAME,
  CODES,
  ENSWITCH_WIRE_BY_KEY,
  ID,
  PEER_FIELDS,
  PEER_FIELD_BY_WIRE,
  TYPES_NEEDING_CHANNEL_GROUP,
  TYPES_NEEDING_DESTINATION,
  VALIDATION,
  type PeerField,
} from './fields.js';
import type { Params } from './params.js';

/** A peer in wire terms: every seed-004 parameter, typed (lists as arrays). */
export type PeerWire = Record<string, string | number | string[]>;

export interface ParsedPeer extends ParsedConnectionBody {
  /** The peer after this call: defaults or the current peer, with the given parameters laid over. */
  wire: PeerWire;
  /** The peer parameters this call gave. */
  given: ReadonlySet<string>;
  /** Canonical settings this call sets (all of them on create, the given ones' on update). */
  patch: SettingsPatch;
  ext: { enswitch: EnswitchPeerExtension };
  /** `validation=1`: check only, store nothing. */
  validateOnly: boolean;
}

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const MAX_DESTINATIONS = 10;

export function isRoutableType(type: string): boolean {
  return (ENSWITCH_SIP_TYPES as readonly string[]).includes(type);
}

function bad(field: string, message: string): TrunklineError {
  return new TrunklineError('VALIDATION', message, { field });
}

/**
 * `host[:port]` of a destination or proxy: an optional scheme (`sip:`, `sips:`, `iax:`, `iax2:`), optional
 * `user[:secret]@`, the host (name, IPv4 or [IPv6]) and port, optional `;params`. The host must pass the
 * model's match-pattern host grammar (the edge identifies a peer's calls by it).
 */
export function destinationHostPort(entry: string, field: string): string {
  let rest = entry.trim();
  rest = rest.replace(/^(?:sips?|iax2?):/i, '');
  const at = rest.lastIndexOf('@');
  if (at !== -1) rest = rest.slice(at + 1);
  rest = rest.split(';')[0] ?? '';
  if (rest === '') throw bad(field, `${field} "${entry}" has no host`);
  try {
    compileMatchPattern(`sip*@${rest}`, field);
  } catch {
    throw bad(field, `${field} "${entry}" is not a host, host:port or SIP URI`);
  }
  return rest.toLowerCase();
}

function parseDestinations(text: string, field: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length > MAX_DESTINATIONS) throw bad(field, `${field} may list at most ${MAX_DESTINATIONS} destinations`);
  for (const item of items) destinationHostPort(item, field);
  return items;
}

function parseCodecs(text: string, field: string): string[] {
  const codecs = parseEnswitchCodecs(text, field);
  if (codecs.length === 0) throw bad(field, `${field} must list at least one codec`);
  return codecs;
}

function parseUrl(text: string, field: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(field, `${field} must be an http or https URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(field, `${field} must be an http or https URL`);
}

/** One given parameter → its typed wire value. Throws VALIDATION naming the parameter. */
function parseOne(f: PeerField, value: unknown): string | number | string[] {
  const p = f.param;
  const name = f.wire;
  switch (p.kind) {
    case 'int':
    case 'flag': {
      if (typeof value === 'string' && value.trim() === '') throw bad(name, `${name} must be an integer`);
      const n = coerceInteger(value, name);
      if (p.kind === 'flag') {
        if (n !== 0 && n !== 1) throw bad(name, `${name} must be 0 or 1`);
        return n;
      }
      if (n < p.min || n > p.max) throw bad(name, `${name} must be between ${p.min} and ${p.max}`);
      return n;
    }
    case 'enum': {
      if (typeof value !== 'string' || !p.values.includes(value.trim().toLowerCase())) {
        throw bad(name, `${name} must be one of ${p.values.map((v) => `"${v}"`).join(', ')}`);
      }
      return value.trim().toLowerCase();
    }
    case 'string':
    case 'list': {
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else throw bad(name, `${name} must be a string`);
      if (text.length > p.maxLength) throw bad(name, `${name} must be at most ${p.maxLength} characters`);
      if (CONTROL.test(text)) throw bad(name, `${name} must not contain control characters`);
      if (p.kind === 'list') return name === 'codecs' ? parseCodecs(text, name) : parseDestinations(text, name);
      if (p.kind === 'string' && p.pattern !== undefined && !p.pattern.test(text)) throw bad(name, `${name} ${p.patternText}`);
      if (name === 'proxy' && text.trim() !== '') destinationHostPort(text, name);
      if (name === 'url_costs' && text !== '') parseUrl(text, name);
      if (name === 'name' && text.trim() === '') throw bad(name, `${name} must not be empty`);
      return text;
    }
  }
}

function listDefault(f: PeerField): string[] {
  const d = f.param.default as string;
  return d === '' ? [] : d.split(',');
}

/** Every parameter at its seed-004 default. */
export function defaultWire(): PeerWire {
  const out: PeerWire = {};
  for (const f of PEER_FIELDS) out[f.wire] = f.param.kind === 'list' ? listDefault(f) : f.param.default;
  return out;
}

/** A stored peer in wire terms. Canonical fields are read from the core (another dialect may have changed them). */
export function peerWire(c: Connection): PeerWire {
  const x = c.ext.enswitch;
  const out = defaultWire();
  if (x !== undefined) {
    for (const f of PEER_FIELDS) {
      if (f.ext === undefined) continue;
      const v = x[f.ext];
      if (v === undefined) continue;
      out[f.wire] = typeof v === 'boolean' ? (v ? 1 : 0) : Array.isArray(v) ? [...v] : (v as string | number);
    }
  }
  out.description = c.description;
  out.destination = c.address === '' ? [] : [c.address, ...(x?.extraDestinations ?? [])];
  out.username = c.authUsername;
  out.password = c.authPassword;
  out.outmaximum = c.maxCallsTerm ?? -1;
  return out;
}

function toExt(w: PeerWire): EnswitchPeerExtension {
  const flag = (k: string): boolean => w[k] === 1;
  const s = (k: string): string => w[k] as string;
  const n = (k: string): number => w[k] as number;
  const destinations = w.destination as string[];
  return {
    name: s('name'),
    type: s('type') as EnswitchPeerType,
    extraDestinations: destinations.slice(1),
    calledPrefix: s('called_prefix'),
    calledStripHash: flag('called_strip_hash'),
    callerid: s('callerid'),
    calleridUnknown: s('callerid_unknown'),
    calleridWithheld: s('callerid_withheld'),
    channelGroup: n('channel_group'),
    charge: flag('charge'),
    codecs: [...(w.codecs as string[])],
    context: s('context'),
    costs: flag('costs'),
    currency: s('currency'),
    customer: n('customer'),
    dialplanCalled: s('dialplan_called'),
    dialplanCaller: s('dialplan_caller'),
    dtmfmode: s('dtmfmode') as EnswitchPeerExtension['dtmfmode'],
    failPercent: n('fail_percent'),
    planCustomer: n('plan_customer'),
    proxy: s('proxy'),
    sendAssertedIdentity: flag('send_asserted_identity'),
    sendPrivacy: flag('send_privacy'),
    sendRpid: flag('send_rpid'),
    urlCosts: s('url_costs'),
  };
}

function toPatch(w: PeerWire, given: ReadonlySet<string>, all: boolean): SettingsPatch {
  const patch: SettingsPatch = {};
  const has = (k: string): boolean => all || given.has(k);
  if (has('description')) patch.description = w.description;
  if (has('destination')) patch.address = (w.destination as string[])[0] ?? '';
  if (has('username')) {
    patch.authUsername = w.username;
    patch.authenticateAsClient = w.username !== '';
  }
  if (has('password')) patch.authPassword = w.password;
  if (has('outmaximum')) patch.maxCallsTerm = w.outmaximum === -1 ? null : w.outmaximum;
  if (has('type')) {
    const routable = isRoutableType(w.type as string);
    patch.origEnabled = routable;
    patch.termEnabled = routable;
  }
  return patch;
}

/** Names a call may carry besides peer parameters. */
const CONTROL_PARAMS = new Set([AUTH_USERNAME, AUTH_PASSWORD, VALIDATION]);

/** `validation` (0 or 1, default 0). */
export function validationFlag(params: Params): boolean {
  const v = params[VALIDATION];
  if (v === undefined) return false;
  if (typeof v === 'string' && v.trim() === '') throw bad(VALIDATION, `${VALIDATION} must be 0 or 1`);
  const n = coerceInteger(v, VALIDATION);
  if (n !== 0 && n !== 1) throw bad(VALIDATION, `${VALIDATION} must be 0 or 1`);
  return n === 1;
}

/** `id` of get/update/delete: required, a positive integer. */
export function idParam(params: Params): number {
  const v = params[ID];
  if (v === undefined || v === '') throw bad(ID, `${ID} is required`);
  const n = coerceInteger(v, ID);
  if (n < 1 || !Number.isSafeInteger(n)) throw bad(ID, `${ID} must be a positive integer`);
  return n;
}

/** Refuse parameters this action does not take (a typo is reported, never silently ignored). */
export function refuseUnknown(params: Params, allowed: (name: string) => boolean): void {
  for (const name of Object.keys(params)) {
    if (CONTROL_PARAMS.has(name) || allowed(name)) continue;
    throw bad(name, `${name} is not a parameter of this function`);
  }
}

/**
 * Parameters → the peer after this call. `current` is the stored peer on update (undefined on create).
 * Throws VALIDATION naming the parameter at fault.
 */
export function parsePeerParams(params: Params, mode: 'create' | 'update', current?: Connection): ParsedPeer {
  refuseUnknown(params, (name) => PEER_FIELD_BY_WIRE.has(name) || (mode === 'update' && name === ID));
  const validateOnly = validationFlag(params);
  const base = current === undefined ? defaultWire() : peerWire(current);
  const given = new Set<string>();
  const wire: PeerWire = { ...base };
  for (const f of PEER_FIELDS) {
    const value = params[f.wire];
    if (value === undefined) continue;
    wire[f.wire] = parseOne(f, value);
    given.add(f.wire);
  }

  // Required parameters and the rules that span parameters, on the peer as it will be.
  if (mode === 'create') {
    if (!given.has('name')) throw bad('name', 'name is required');
    if (!given.has('type')) throw bad('type', 'type is required');
  }
  const type = wire.type as string;
  if (TYPES_NEEDING_DESTINATION.includes(type) && (wire.destination as string[]).length === 0) {
    throw bad('destination', `destination is required when type is ${type}`);
  }
  if (type === 'context' && (wire.context as string) === '') {
    throw bad('context', 'context is required when type is context');
  }
  const previousType = base.type as string;
  const enteringChannelType =
    TYPES_NEEDING_CHANNEL_GROUP.includes(type) && (mode === 'create' || !TYPES_NEEDING_CHANNEL_GROUP.includes(previousType));
  if (enteringChannelType && !given.has('channel_group')) {
    throw bad('channel_group', `channel_group is required when type is ${type}`);
  }

  return {
    identity: { domain: '*' },
    wire,
    given,
    patch: toPatch(wire, given, mode === 'create'),
    ext: { enswitch: toExt(wire) },
    validateOnly,
  };
}

/** The `ApiDialect` entry point (parameters as an object). */
export function parseConnectionBody(body: unknown, mode: 'create' | 'update'): ParsedPeer {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TrunklineError('MALFORMED_BODY', 'Parameters must be given as name=value pairs');
  }
  return parsePeerParams(body as Params, mode);
}

/** A peer's data in get/list: every seed-004 parameter, plus `id` and `routable` (0 = the SIP edge cannot carry it). */
export function serializePeer(c: Connection, _live?: ConnectionLive): Record<string, string | number> {
  const w = peerWire(c);
  const out: Record<string, string | number> = { id: c.id };
  for (const f of PEER_FIELDS) {
    const v = w[f.wire]!;
    out[f.wire] = Array.isArray(v) ? v.join(',') : v;
    if (f.wire === 'type') out.routable = isRoutableType(v as string) && c.termEnabled ? 1 : 0;
  }
  return out;
}

export const serializeConnection = serializePeer;

// ---- envelope and errors ----------------------------------------------------------------------------------

export interface EnswitchResponse {
  code: string;
  key: string;
  message: string;
}

export interface Envelope {
  responses: EnswitchResponse[];
  data: unknown;
}

export function envelope(code: string, message: string, data: unknown = null, key = ''): Envelope {
  return { responses: [{ code, key, message }], data };
}

export const ok = (data: unknown): Envelope => envelope(CODES.ok.code, CODES.ok.message, data);
export const validated = (): Envelope => envelope(CODES.validated.code, CODES.validated.message);
export const done = (): Envelope => envelope(CODES.done.code, CODES.done.message);

/** Codes Enswitch itself answers with (HTTP 200, the outcome in the envelope); others keep their HTTP status. */
const ENSWITCH_CODES = new Set([400, 401, 402, 404]);

function enswitchCode(err: TrunklineError): number {
  switch (err.kind) {
    case 'VALIDATION':
    case 'MALFORMED_BODY':
    case 'UNPROCESSABLE':
    case 'CONFLICT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
    case 'READ_ONLY_KEY':
      return 402;
    default:
      return err.httpStatus;
  }
}

export function wireField(field: string): string {
  return ENSWITCH_WIRE_BY_KEY.get(field) ?? field;
}

/**
 * The Enswitch error shape: the envelope with a string code, `key` naming the parameter at fault, `data` null.
 * HTTP status 200 for Enswitch's own codes (400, 401, 402, 404), the real status for the rest (413, 415, 429,
 * 500, 503...); see docs/api-enswitch.md.
 */
export function formatError(err: TrunklineError): WireError {
  const code = enswitchCode(err);
  const key = err.field === undefined ? '' : wireField(err.field);
  const message = code === 402 && !(err instanceof ValidationError) ? 'Your role does not allow this.' : wireErrorMessage(err, wireField);
  return { status: ENSWITCH_CODES.has(code) ? 200 : err.httpStatus, body: envelope(String(code), message, null, key) };
}
