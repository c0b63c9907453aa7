/**
 * What a Wavix SIP trunk (seed 003, `/v1/trunks`) carries beyond the canonical connection.
 * Fields that have a canonical meaning live in the core (label -> description, name -> authUsername,
 * password -> authPassword, ip_restrict -> sourceIpCheck, call_recording_enabled -> recordAllCalls,
 * max_channels -> maxCallsOrig when channels_restrict, encrypted_media -> requireEncryptedAudio);
 * see docs/model.md. The rest is kept here so a Wavix client reads back exactly what it wrote.
 */
export interface WavixAllowedIp {
  id: number;
  ip: string;
}

export interface WavixTrunkExtension {
  callerid: string | null;
  multipleNumbers: boolean;
  /**
   * `ip_restrict` as the client sent it. For a digest trunk it equals the canonical `sourceIpCheck`; an IP-auth
   * trunk (`hostRequest` set) always has `sourceIpCheck` on (calls must come from its host or `allowedIps`),
   * so the Wavix flag is kept here. Absent on records written before it existed: read as `sourceIpCheck`.
   */
  ipRestrict?: boolean;
  allowedIps: WavixAllowedIp[];
  /** IP authentication (`host_request`); null = digest trunk. The host itself is the canonical `address`. */
  hostRequest: { host: string; status: string } | null;
  didinfoEnabled: boolean;
  callRestrict: boolean;
  callLimit: number | null;
  costLimit: boolean;
  /** Decimal string, as Wavix answers it. */
  maxCallCost: string | null;
  /** Informational: the canonical `maxCallsOrig` (non-null = restricted) is what the API reads and the edge enforces. */
  channelsRestrict: boolean;
  /** `max_channels` as sent, remembered while `channels_restrict` is off (then `maxCallsOrig` is null). */
  maxChannels: number | null;
  rewriteEnabled: boolean;
  rewritePrefix: string;
  rewriteCond: string;
  machineDetectionEnabled: boolean;
  transcriptionEnabled: boolean;
  transcriptionThreshold: number | null;
  passthrough: boolean;
}

/** Wavix's default `transcription_threshold` (seed 003). */
export const DEFAULT_TRANSCRIPTION_THRESHOLD = 6;

/** What a trunk created without any Wavix fields reads as (records created through another dialect). */
export const WAVIX_TRUNK_DEFAULTS: Readonly<WavixTrunkExtension> = Object.freeze({
  callerid: null,
  multipleNumbers: false,
  allowedIps: Object.freeze([]) as unknown as WavixAllowedIp[],
  hostRequest: null,
  didinfoEnabled: true,
  callRestrict: false,
  callLimit: null,
  costLimit: false,
  maxCallCost: null,
  channelsRestrict: false,
  maxChannels: null,
  rewriteEnabled: false,
  rewritePrefix: '',
  rewriteCond: '',
  machineDetectionEnabled: false,
  transcriptionEnabled: false,
  transcriptionThreshold: DEFAULT_TRANSCRIPTION_THRESHOLD,
  passthrough: false,
});
