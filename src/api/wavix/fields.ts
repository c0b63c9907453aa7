/**
 * Wavix `/v1/trunks` wire names, their canonical equivalents and the defaults a PUT reverts to.
 *
 * A Wavix trunk is a canonical connection (see docs/model.md) plus `ext.wavix`. The fields with a canonical
 * meaning are written to the core, so the NetSapiens view and the SIP edge see them:
 *
 *   label                    description
 *   name (generated)         authUsername            the numeric SIP login, unique in the store
 *   password                 authPassword
 *   host_request.host        address                 IP-auth trunk; a digest trunk has no address ("dynamic")
 *   (no host_request)        requireSipAuthentication  digest trunk
 *   ip_restrict              sourceIpCheck           always on for an IP-auth trunk (its host is the allowed source)
 *   max_channels             maxCallsOrig            when channels_restrict; null (no limit) otherwise
 *   call_recording_enabled   recordAllCalls
 *   encrypted_media          requireEncryptedAudio   true = "yes", false = "no"
 *
 * Everything else lives in `ext.wavix` (`WavixTrunkExtension`).
 */
import type { ConnectionSettingKey } from '../../model/index.js';

export const WAVIX_PREFIX = '/v1';

/** Request fields in the vendor's order (SIPTrunkCreateRequest, plus `passthrough` from seed 003). */
export const W = {
  label: 'label',
  password: 'password',
  hostRequest: 'host_request',
  callerid: 'callerid',
  multipleNumbers: 'multiple_numbers',
  ipRestrict: 'ip_restrict',
  allowedIps: 'allowed_ips',
  didinfoEnabled: 'didinfo_enabled',
  callRestrict: 'call_restrict',
  callLimit: 'call_limit',
  costLimit: 'cost_limit',
  maxCallCost: 'max_call_cost',
  channelsRestrict: 'channels_restrict',
  maxChannels: 'max_channels',
  rewriteEnabled: 'rewrite_enabled',
  rewritePrefix: 'rewrite_prefix',
  rewriteCond: 'rewrite_cond',
  callRecordingEnabled: 'call_recording_enabled',
  transcriptionEnabled: 'transcription_enabled',
  transcriptionThreshold: 'transcription_threshold',
  machineDetectionEnabled: 'machine_detection_enabled',
  encryptedMedia: 'encrypted_media',
  passthrough: 'passthrough',
} as const;

/** Fields SIPTrunkCreateRequest requires (create and the full-replacement PUT alike). */
export const WAVIX_REQUIRED: readonly string[] = [
  W.label,
  W.password,
  W.callerid,
  W.ipRestrict,
  W.didinfoEnabled,
  W.callRestrict,
  W.costLimit,
  W.channelsRestrict,
  W.rewriteEnabled,
  W.transcriptionEnabled,
  W.transcriptionThreshold,
];

/** Canonical key → the Wavix field named in error messages. */
export const WAVIX_WIRE_BY_KEY: ReadonlyMap<string, string> = new Map<ConnectionSettingKey | string, string>([
  ['description', W.label],
  ['authUsername', 'name'],
  ['authPassword', W.password],
  ['address', W.hostRequest],
  ['requireSipAuthentication', W.hostRequest],
  ['sourceIpCheck', W.ipRestrict],
  ['maxCallsOrig', W.maxChannels],
  ['recordAllCalls', W.callRecordingEnabled],
  ['requireEncryptedAudio', W.encryptedMedia],
  ['origMatchPattern', 'name'],
  ['domain', 'account'],
]);

/** What a trunk's `status` and an IP-auth `host_request.status` say: trunkline applies trunks at once, no review. */
export const WAVIX_STATUS_ACTIVE = 'active';
export const WAVIX_AUTH_DIGEST = 'Digest';
export const WAVIX_AUTH_IP = 'IP auth';
/** `host` of a digest trunk: the contact comes from REGISTER. */
export const WAVIX_DYNAMIC_HOST = 'dynamic';

/** Limits of the Wavix-only fields (the canonical ones take theirs from CONNECTION_FIELDS). */
export const WAVIX_LIMITS = {
  calleridMaxLength: 32,
  allowedIpsMaxItems: 50,
  ipMaxLength: 64,
  callLimitMax: 86_400,
  maxCallCostMax: 10_000,
  maxCallCostDecimals: 4,
  rewriteMaxLength: 16,
  transcriptionThresholdMax: 86_400,
  passwordMinLength: 8,
  perPageDefault: 25,
  perPageMax: 100,
} as const;

/** SIP login names are numeric, like Wavix's ("67758"); 6 digits, then 8 should the 6-digit space get crowded. */
export const LOGIN_DIGITS = [6, 6, 6, 6, 6, 8, 8, 8, 8, 8] as const;
