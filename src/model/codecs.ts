/**
 * Codec identities: RTP payload formats as SDP names them, and the Enswitch (Asterisk) codec names of a
 * peer's `codecs` list.
 *
 * A format in an `m=` line is identified by its `a=rtpmap` when it has one, else by the static payload
 * table of RFC 3551 §6. Names compare case-insensitively (RFC 4855 §3: encoding names are
 * case-insensitive).
 */
import { ValidationError } from './errors.js';

export interface RtpEncoding {
  /** Encoding name as written (`PCMU`, `telephone-event`, `opus`). */
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number | undefined;
}

/** RFC 3551 static payload types (audio and video). */
export const STATIC_PAYLOAD_TYPES: Readonly<Record<number, RtpEncoding>> = {
  0: { name: 'PCMU', clockRate: 8000, channels: 1 },
  3: { name: 'GSM', clockRate: 8000, channels: 1 },
  4: { name: 'G723', clockRate: 8000, channels: 1 },
  5: { name: 'DVI4', clockRate: 8000, channels: 1 },
  6: { name: 'DVI4', clockRate: 16000, channels: 1 },
  7: { name: 'LPC', clockRate: 8000, channels: 1 },
  8: { name: 'PCMA', clockRate: 8000, channels: 1 },
  9: { name: 'G722', clockRate: 8000, channels: 1 },
  10: { name: 'L16', clockRate: 44100, channels: 2 },
  11: { name: 'L16', clockRate: 44100, channels: 1 },
  12: { name: 'QCELP', clockRate: 8000, channels: 1 },
  13: { name: 'CN', clockRate: 8000, channels: 1 },
  14: { name: 'MPA', clockRate: 90000, channels: undefined },
  15: { name: 'G728', clockRate: 8000, channels: 1 },
  16: { name: 'DVI4', clockRate: 11025, channels: 1 },
  17: { name: 'DVI4', clockRate: 22050, channels: 1 },
  18: { name: 'G729', clockRate: 8000, channels: 1 },
  25: { name: 'CelB', clockRate: 90000, channels: undefined },
  26: { name: 'JPEG', clockRate: 90000, channels: undefined },
  28: { name: 'nv', clockRate: 90000, channels: undefined },
  31: { name: 'H261', clockRate: 90000, channels: undefined },
  32: { name: 'MPV', clockRate: 90000, channels: undefined },
  33: { name: 'MP2T', clockRate: 90000, channels: undefined },
  34: { name: 'H263', clockRate: 90000, channels: undefined },
};

/** Parse the value of `a=rtpmap:` (`0 PCMU/8000`, `111 opus/48000/2`). */
export function parseRtpmap(value: string): { pt: string; encoding: RtpEncoding } | undefined {
  const m = /^(\d{1,3}) +([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(value);
  if (!m) return undefined;
  return {
    pt: m[1] as string,
    encoding: { name: m[2] as string, clockRate: Number(m[3]), channels: m[4] === undefined ? undefined : Number(m[4]) },
  };
}

/**
 * One Enswitch/Asterisk codec name: the RTP encodings it stands for. `clockRate` is compared only where the
 * name pins one (Speex and L16 exist at several rates); G.722 is listed at 8000, the RTP clock RFC 3551
 * gives it for historical reasons.
 */
export interface CodecDefinition {
  readonly kind: 'audio' | 'video' | 'text';
  readonly encodings: readonly { readonly name: string; readonly clockRate?: number }[];
}

export const ENSWITCH_CODECS = {
  ulaw: { kind: 'audio', encodings: [{ name: 'PCMU' }] },
  alaw: { kind: 'audio', encodings: [{ name: 'PCMA' }] },
  g722: { kind: 'audio', encodings: [{ name: 'G722' }] },
  g723: { kind: 'audio', encodings: [{ name: 'G723' }] },
  g726: { kind: 'audio', encodings: [{ name: 'G726-32' }] },
  g726aal2: { kind: 'audio', encodings: [{ name: 'AAL2-G726-32' }] },
  g729: { kind: 'audio', encodings: [{ name: 'G729' }, { name: 'G729A' }] },
  gsm: { kind: 'audio', encodings: [{ name: 'GSM' }] },
  ilbc: { kind: 'audio', encodings: [{ name: 'iLBC' }] },
  lpc10: { kind: 'audio', encodings: [{ name: 'LPC' }] },
  adpcm: { kind: 'audio', encodings: [{ name: 'DVI4', clockRate: 8000 }] },
  slin: { kind: 'audio', encodings: [{ name: 'L16', clockRate: 8000 }] },
  slin16: { kind: 'audio', encodings: [{ name: 'L16', clockRate: 16000 }] },
  speex: { kind: 'audio', encodings: [{ name: 'speex', clockRate: 8000 }] },
  speex16: { kind: 'audio', encodings: [{ name: 'speex', clockRate: 16000 }] },
  speex32: { kind: 'audio', encodings: [{ name: 'speex', clockRate: 32000 }] },
  siren7: { kind: 'audio', encodings: [{ name: 'G7221', clockRate: 16000 }] },
  siren14: { kind: 'audio', encodings: [{ name: 'G7221', clockRate: 32000 }] },
  g719: { kind: 'audio', encodings: [{ name: 'G719' }] },
  opus: { kind: 'audio', encodings: [{ name: 'opus' }] },
  h261: { kind: 'video', encodings: [{ name: 'H261' }] },
  h263: { kind: 'video', encodings: [{ name: 'H263' }] },
  h263p: { kind: 'video', encodings: [{ name: 'H263-1998' }, { name: 'H263-2000' }] },
  h264: { kind: 'video', encodings: [{ name: 'H264' }] },
  h265: { kind: 'video', encodings: [{ name: 'H265' }] },
  mpeg4: { kind: 'video', encodings: [{ name: 'MP4V-ES' }] },
  vp8: { kind: 'video', encodings: [{ name: 'VP8' }] },
  vp9: { kind: 'video', encodings: [{ name: 'VP9' }] },
  t140: { kind: 'text', encodings: [{ name: 't140' }] },
} as const satisfies Record<string, CodecDefinition>;

export type EnswitchCodecName = keyof typeof ENSWITCH_CODECS;

/** The vendor's default for `codecs`. */
export const ENSWITCH_DEFAULT_CODECS: readonly EnswitchCodecName[] = [
  'alaw', 'g722', 'g726', 'g729', 'gsm', 'ilbc', 'lpc10', 'slin', 'speex', 'ulaw',
];

/**
 * Formats that are not codecs but travel with them: DTMF events, comfort noise, retransmission and
 * redundancy/FEC. Codec filters keep them as long as a real codec remains in the stream (an `rtx` format
 * only while the format its `apt` names remains).
 */
export const AUXILIARY_ENCODINGS = ['telephone-event', 'CN', 'rtx', 'red', 'ulpfec', 'flexfec-03'] as const;

export function isAuxiliary(encoding: RtpEncoding): boolean {
  const n = encoding.name.toLowerCase();
  return AUXILIARY_ENCODINGS.some((a) => a.toLowerCase() === n);
}

export function encodingMatches(encoding: RtpEncoding, codec: CodecDefinition): boolean {
  const n = encoding.name.toLowerCase();
  return codec.encodings.some(
    (e) => e.name.toLowerCase() === n && ('clockRate' in e && e.clockRate !== undefined ? e.clockRate === encoding.clockRate : true),
  );
}

/**
 * Parse an Enswitch `codecs` value (a comma-separated string, or a list) into known names, in order and
 * without duplicates. Throws ValidationError('codecs') naming the first unknown codec.
 */
export function parseEnswitchCodecs(value: string | readonly string[], field = 'codecs'): EnswitchCodecName[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  const out: EnswitchCodecName[] = [];
  for (const item of items) {
    const name = item.trim().toLowerCase();
    if (name === '') continue;
    if (!Object.hasOwn(ENSWITCH_CODECS, name)) {
      throw new ValidationError(field, `"${item.trim()}" is not a known codec; known: ${Object.keys(ENSWITCH_CODECS).join(', ')}`);
    }
    if (!out.includes(name as EnswitchCodecName)) out.push(name as EnswitchCodecName);
  }
  return out;
}
