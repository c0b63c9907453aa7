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
  allowedIps: WavixAllowedIp[];
  hostRequest: { host: string; status: string } | null;
  didinfoEnabled: boolean;
  callRestrict: boolean;
  callLimit: number | null;
  costLimit: boolean;
  /** Decimal string, as Wavix answers it. */
  maxCallCost: string | null;
  channelsRestrict: boolean;
  maxChannels: number | null;
  rewriteEnabled: boolean;
  rewritePrefix: string;
  rewriteCond: string;
  machineDetectionEnabled: boolean;
  transcriptionEnabled: boolean;
  transcriptionThreshold: number | null;
  passthrough: boolean;
}
