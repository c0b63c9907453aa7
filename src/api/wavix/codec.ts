/**
 * Wavix wire ↔ canonical conversion for trunks, and the dialect's error shape.
 *
 * Input, in three steps: the body is checked against the request schema (`schemas.ts`: shape, types, ranges,
 * unknown fields → 400 naming the field); then the Wavix rules that span fields or need a grammar (`ip_restrict`
 * without `allowed_ips`, a `*_restrict` flag without its limit, IP addresses, caller ID and rewrite digits,
 * `max_call_cost` decimals → 422); then the canonical patch goes to the model (`buildNewConnection`,
 * `mergeSettings`), whose ValidationError names a canonical key that `formatError` renames to the Wavix field.
 *
 * A Wavix body is always complete (POST, and PUT is a full replacement), so parsing yields every Wavix-known
 * canonical setting and a whole `ext.wavix`; omitted optional fields take their defaults.
 */
import { isIP } from 'node:net';
import {
  DEFAULT_TRANSCRIPTION_THRESHOLD,
  TrunklineError,
  WAVIX_TRUNK_DEFAULTS,
  type Connection,
  type ConnectionLive,
  type SettingsPatch,
  type WavixAllowedIp,
  type WavixTrunkExtension,
} from '../../model/index.js';
import { wireErrorMessage, type ParsedConnectionBody, type WireError } from '../shared/dialect.js';
import { compileBodyValidator, type BodyValidator } from '../shared/schema.js';
import {
  W,
  WAVIX_AUTH_DIGEST,
  WAVIX_AUTH_IP,
  WAVIX_DYNAMIC_HOST,
  WAVIX_LIMITS,
  WAVIX_STATUS_ACTIVE,
  WAVIX_WIRE_BY_KEY,
} from './fields.js';
import { trunkRequestSchema } from './schemas.js';

const validateBody: BodyValidator = compileBodyValidator(trunkRequestSchema);

/** What a Wavix body becomes: every Wavix-known canonical setting, and the whole Wavix extension. */
export interface WavixParsedBody extends ParsedConnectionBody {
  patch: SettingsPatch;
  ext: { wavix: WavixTrunkExtension };
}

/** The SIPTrunkResponse body (GET one, POST, PUT). */
export interface WavixTrunk {
  id: number;
  name: string;
  callerid: string | null;
  label: string;
  ip_restrict: boolean;
  allowed_ips: WavixAllowedIp[];
  channels_restrict: boolean;
  max_channels: number | null;
  cost_limit: boolean;
  max_call_cost: string | null;
  call_restrict: boolean;
  call_limit: number | null;
  didinfo_enabled: boolean;
  rewrite_enabled: boolean;
  rewrite_prefix: string;
  rewrite_cond: string;
  call_recording_enabled: boolean;
  machine_detection_enabled: boolean;
  transcription_enabled: boolean;
  transcription_threshold: number;
  created_at: string;
  host: string;
  multiple_numbers: boolean;
  encrypted_media: boolean;
  passthrough: boolean;
  access_token: string | null;
}

/** The SIPTrunkSummary body (one item of the list). */
export interface WavixTrunkSummary {
  id: number;
  label: string;
  name: string;
  auth_method: string;
  callerid: string | null;
  host_request: { host: string; status: string } | null;
  encrypted_media: boolean;
  passthrough: boolean;
  multiple_numbers: boolean;
  status: string;
  charge: string;
  talk_time: number;
  machine_detection_enabled: boolean;
  call_recording_enabled: boolean;
  transcription_enabled: boolean;
  transcription_threshold: number;
  access_token: string | null;
}

/** Vendor default of `transcription_threshold` (SIPTrunkResponse). */

function rule(field: string, message: string): TrunklineError {
  return new TrunklineError('UNPROCESSABLE', message, { field });
}

const CALLERID = /^\+?\d{1,15}$/;
const DIGITS = /^\+?\d*$/;

/** `0.18` → `"0.18"`; refuses more decimals than a cost is kept with (and exponent forms such as 1e-7). */
export function decimalString(value: number, field: string): string {
  const text = String(value);
  const decimals = WAVIX_LIMITS.maxCallCostDecimals;
  if (!new RegExp(`^\\d+(?:\\.\\d{1,${decimals}})?$`).test(text)) {
    throw rule(field, `${field} must be an amount in USD with at most ${decimals} decimal places`);
  }
  return text;
}

/**
 * The allowed IPs with their ids: an address the trunk already had keeps its id (a PUT that repeats it does
 * not renumber it); a new one gets the next id of this trunk.
 */
function allowedIpsWithIds(ips: readonly string[], previous: readonly WavixAllowedIp[]): WavixAllowedIp[] {
  const known = new Map(previous.map((a) => [a.ip, a.id]));
  let next = previous.reduce((max, a) => Math.max(max, a.id), 0) + 1;
  return ips.map((ip) => {
    const id = known.get(ip);
    if (id !== undefined) return { id, ip };
    return { id: next++, ip };
  });
}

function normalizeIp(text: string, field: string): string {
  const ip = text.trim();
  if (isIP(ip) === 0) throw rule(field, `${field}: "${text}" is not an IPv4 or IPv6 address`);
  return ip.toLowerCase();
}

/**
 * Wire body → canonical patch + `ext.wavix`. `previous` (on PUT) is the trunk's current extension, so the ids
 * of allowed IPs it repeats survive. Throws VALIDATION (400) for schema errors and UNPROCESSABLE (422) for rules.
 */
export function parseTrunkBody(body: unknown, previous?: WavixTrunkExtension): WavixParsedBody {
  validateBody(body);
  const b = body as Record<string, unknown>;
  const bool = (name: string): boolean => b[name] === true;
  const optInt = (name: string): number | null => (typeof b[name] === 'number' ? (b[name] as number) : null);

  // --- rules that span fields (422) ---
  const hostRequest = b[W.hostRequest] as { host: string } | undefined;
  const host = hostRequest === undefined ? undefined : normalizeIp(hostRequest.host, W.hostRequest);

  const rawIps = (b[W.allowedIps] as { ip: string }[] | null | undefined) ?? [];
  const ips: string[] = [];
  for (const item of rawIps) {
    const ip = normalizeIp(item.ip, W.allowedIps);
    if (ips.includes(ip)) throw rule(W.allowedIps, `${W.allowedIps} lists ${ip} more than once`);
    ips.push(ip);
  }
  const ipRestrict = bool(W.ipRestrict);
  if (ipRestrict && ips.length === 0) {
    throw rule(W.allowedIps, `${W.allowedIps} is required when ${W.ipRestrict} is true`);
  }

  const callRestrict = bool(W.callRestrict);
  const callLimit = optInt(W.callLimit);
  if (callRestrict && callLimit === null) throw rule(W.callLimit, `${W.callLimit} is required when ${W.callRestrict} is true`);

  const costLimit = bool(W.costLimit);
  const cost = b[W.maxCallCost];
  const maxCallCost = typeof cost === 'number' ? decimalString(cost, W.maxCallCost) : null;
  if (costLimit && maxCallCost === null) throw rule(W.maxCallCost, `${W.maxCallCost} is required when ${W.costLimit} is true`);

  const channelsRestrict = bool(W.channelsRestrict);
  const maxChannels = optInt(W.maxChannels);
  if (channelsRestrict && maxChannels === null) {
    throw rule(W.maxChannels, `${W.maxChannels} is required when ${W.channelsRestrict} is true`);
  }

  const callerid = (b[W.callerid] as string).trim();
  if (callerid !== '' && !CALLERID.test(callerid)) {
    throw rule(W.callerid, `${W.callerid} must be a phone number in international format (digits only, at most 15)`);
  }

  const rewriteEnabled = bool(W.rewriteEnabled);
  const rewritePrefix = (b[W.rewritePrefix] as string | undefined) ?? '';
  const rewriteCond = (b[W.rewriteCond] as string | undefined) ?? '';
  if (!DIGITS.test(rewritePrefix)) throw rule(W.rewritePrefix, `${W.rewritePrefix} must be digits (optionally after a leading +)`);
  if (!DIGITS.test(rewriteCond)) throw rule(W.rewriteCond, `${W.rewriteCond} must be digits (optionally after a leading +)`);
  if (rewriteEnabled && rewritePrefix === '' && rewriteCond === '') {
    throw rule(W.rewritePrefix, `${W.rewriteEnabled} needs ${W.rewritePrefix} or ${W.rewriteCond}`);
  }

  // --- canonical settings (validated by the model) ---
  const patch: SettingsPatch = {
    description: b[W.label],
    authPassword: b[W.password],
    requireSipAuthentication: host === undefined,
    address: host ?? '',
    // An IP-auth trunk only takes calls from its host (and allowed IPs): the source check is always on.
    sourceIpCheck: ipRestrict || host !== undefined,
    maxCallsOrig: channelsRestrict ? maxChannels : null,
    recordAllCalls: bool(W.callRecordingEnabled),
    requireEncryptedAudio: bool(W.encryptedMedia) ? 'yes' : 'no',
  };

  const ext: WavixTrunkExtension = {
    callerid,
    multipleNumbers: bool(W.multipleNumbers),
    ipRestrict,
    allowedIps: allowedIpsWithIds(ips, previous?.allowedIps ?? []),
    hostRequest: host === undefined ? null : { host, status: WAVIX_STATUS_ACTIVE },
    didinfoEnabled: bool(W.didinfoEnabled),
    callRestrict,
    callLimit,
    costLimit,
    maxCallCost,
    channelsRestrict,
    maxChannels,
    rewriteEnabled,
    rewritePrefix,
    rewriteCond,
    machineDetectionEnabled: bool(W.machineDetectionEnabled),
    transcriptionEnabled: bool(W.transcriptionEnabled),
    transcriptionThreshold: b[W.transcriptionThreshold] as number,
    passthrough: bool(W.passthrough),
  };
  return { identity: {}, patch, ext: { wavix: ext } };
}

/** The `ApiDialect` entry point: Wavix create and update bodies are the same full document. */
export function parseConnectionBody(body: unknown, _mode: 'create' | 'update'): WavixParsedBody {
  return parseTrunkBody(body);
}

/** The extension of a record, or the defaults a trunk would have had (for records without one). */
function extOf(c: Connection): Readonly<WavixTrunkExtension> {
  return c.ext.wavix ?? WAVIX_TRUNK_DEFAULTS;
}

/** Null when no caller ID is set, '' when any number of the account may be used (multiple_numbers). */
function calleridOut(x: WavixTrunkExtension): string | null {
  if (x.multipleNumbers) return '';
  return x.callerid === null || x.callerid === '' ? null : x.callerid;
}

function isIpAuth(x: WavixTrunkExtension): boolean {
  return x.hostRequest !== null;
}

/** `host`: "dynamic" for a digest trunk, the (canonical) address for an IP-auth trunk. */
function hostOut(c: Connection, x: WavixTrunkExtension): string {
  if (!isIpAuth(x)) return WAVIX_DYNAMIC_HOST;
  return c.address === '' ? WAVIX_DYNAMIC_HOST : c.address;
}

/** Canonical connection → SIPTrunkResponse. Canonical fields win over ext copies (another dialect may have changed them). */
export function serializeTrunk(c: Connection, _live?: ConnectionLive): WavixTrunk {
  const x = extOf(c);
  return {
    id: c.id,
    name: c.authUsername,
    callerid: calleridOut(x),
    label: c.description,
    ip_restrict: isIpAuth(x) ? (x.ipRestrict ?? c.sourceIpCheck) : c.sourceIpCheck,
    allowed_ips: x.allowedIps.map((a) => ({ id: a.id, ip: a.ip })),
    channels_restrict: c.maxCallsOrig !== null,
    max_channels: c.maxCallsOrig ?? x.maxChannels,
    cost_limit: x.costLimit,
    max_call_cost: x.maxCallCost,
    call_restrict: x.callRestrict,
    call_limit: x.callLimit,
    didinfo_enabled: x.didinfoEnabled,
    rewrite_enabled: x.rewriteEnabled,
    rewrite_prefix: x.rewritePrefix,
    rewrite_cond: x.rewriteCond,
    call_recording_enabled: c.recordAllCalls,
    machine_detection_enabled: x.machineDetectionEnabled,
    transcription_enabled: x.transcriptionEnabled,
    transcription_threshold: x.transcriptionThreshold ?? DEFAULT_TRANSCRIPTION_THRESHOLD,
    created_at: c.createdAt,
    host: hostOut(c, x),
    multiple_numbers: x.multipleNumbers,
    encrypted_media: c.requireEncryptedAudio === 'yes',
    passthrough: x.passthrough,
    // trunkline authenticates trunks by digest or source address only; it issues no static trunk tokens.
    access_token: null,
  };
}

/** Canonical connection + live figures → SIPTrunkSummary. */
export function serializeSummary(c: Connection, live: ConnectionLive): WavixTrunkSummary {
  const x = extOf(c);
  const ipAuth = isIpAuth(x);
  return {
    id: c.id,
    label: c.description,
    name: c.authUsername,
    auth_method: ipAuth ? WAVIX_AUTH_IP : WAVIX_AUTH_DIGEST,
    callerid: calleridOut(x),
    host_request: ipAuth ? { host: hostOut(c, x), status: x.hostRequest?.status ?? WAVIX_STATUS_ACTIVE } : null,
    encrypted_media: c.requireEncryptedAudio === 'yes',
    passthrough: x.passthrough,
    multiple_numbers: x.multipleNumbers,
    status: WAVIX_STATUS_ACTIVE,
    // trunkline does not rate calls: no charges accrue.
    charge: '0',
    talk_time: live.talkTimeThisMonth,
    machine_detection_enabled: x.machineDetectionEnabled,
    call_recording_enabled: c.recordAllCalls,
    transcription_enabled: x.transcriptionEnabled,
    transcription_threshold: x.transcriptionThreshold ?? DEFAULT_TRANSCRIPTION_THRESHOLD,
    access_token: null,
  };
}

export function serializeConnection(c: Connection, live: ConnectionLive): WavixTrunk {
  return serializeTrunk(c, live);
}

/** Rename a canonical field to its Wavix name. */
export function wireField(field: string): string {
  return WAVIX_WIRE_BY_KEY.get(field) ?? field;
}

/** The Wavix error shape: `{"success":false,"message":"..."}`, plus `"error":true` on 401. */
export function formatError(err: TrunklineError): WireError {
  const status = err.httpStatus;
  const message = wireErrorMessage(err, wireField);
  if (err.kind === 'UNAUTHENTICATED') return { status, body: { success: false, error: true, message } };
  return { status, body: { success: false, message } };
}
