/**
 * The connection settings that act on SDP, as pure functions over a parsed description.
 *
 *   pcmuOnly        (NetSapiens `pcmuOnly`)         keep PCMU (PT 0) and telephone-event/8000 in audio
 *   blockVideo      (NetSapiens `blockVideoInSdp`)  video streams get port 0 (RFC 3264 §6/§8.2), not deleted
 *   filterCodecs    (Enswitch `codecs`)             keep the listed codecs (plus DTMF/CN/RTX/FEC helpers)
 *   checkEncryption (`requireEncryptedAudio`)       yes: every active audio stream must be SRTP-capable
 *   stripMedia      (`blockMediaIn180Ringing`)      a 180 Ringing goes out without its SDP body
 *
 * How codec filters treat a stream: only active RTP streams are touched (port != 0, a proto containing
 * `RTP/`); `m=image` (T.38), data channels and already-rejected streams are left alone. Formats that are
 * dropped lose their `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines; every other line is kept as it was.
 * A stream left without a codec is disabled (port 0, format list unchanged, as RFC 3264 asks of a rejected
 * stream) rather than deleted, so the m-line count stays aligned between offer and answer. When a
 * description had an active audio stream and has none after filtering, or had active streams and has none
 * left, the outcome is "not acceptable": the edge answers 488 with the warning given.
 */
import {
  ENSWITCH_CODECS,
  STATIC_PAYLOAD_TYPES,
  encodingMatches,
  isAuxiliary,
  parseRtpmap,
  type CodecDefinition,
  type EnswitchCodecName,
  type RtpEncoding,
} from '../../model/codecs.js';
import {
  attributes,
  parseSdp,
  serializeSdp,
  withMediaLine,
  type MediaSection,
  type SdpLine,
  type SdpMalformed,
  type SessionDescription,
} from './sdp.js';

export interface SdpNotAcceptable {
  readonly kind: 'not-acceptable';
  readonly reason: string;
  /** RFC 3261 §21.4.26 Not Acceptable Here. */
  readonly sipStatus: 488;
  /** For a `Warning:` header (RFC 3261 §20.43): 305 incompatible media format, 399 miscellaneous. */
  readonly warning: { readonly code: 305 | 399; readonly text: string };
}

export type SdpError = SdpMalformed | SdpNotAcceptable;

export type SdpRuleResult =
  | { readonly ok: true; readonly sdp: SessionDescription; readonly changed: boolean }
  | { readonly ok: false; readonly error: SdpNotAcceptable };

function notAcceptable(reason: string, code: 305 | 399 = 305, text = 'Incompatible media format'): { ok: false; error: SdpNotAcceptable } {
  return { ok: false, error: { kind: 'not-acceptable', reason, sipStatus: 488, warning: { code, text } } };
}

export function isRtpStream(section: MediaSection): boolean {
  return /(^|\/)RTP\//i.test(section.m.proto);
}

export function isActive(section: MediaSection): boolean {
  return section.m.port !== 0;
}

/** The encoding each format of a section stands for (rtpmap first, then the static table). */
export function sectionEncodings(section: MediaSection): Map<string, RtpEncoding | undefined> {
  const rtpmaps = new Map<string, RtpEncoding>();
  for (const a of attributes(section.lines, 'rtpmap')) {
    const parsed = a.value === undefined ? undefined : parseRtpmap(a.value);
    if (parsed !== undefined && !rtpmaps.has(parsed.pt)) rtpmaps.set(parsed.pt, parsed.encoding);
  }
  const out = new Map<string, RtpEncoding | undefined>();
  for (const fmt of section.m.formats) {
    out.set(fmt, rtpmaps.get(fmt) ?? (/^\d+$/.test(fmt) ? STATIC_PAYLOAD_TYPES[Number(fmt)] : undefined));
  }
  return out;
}

/** `apt=` of each format's fmtp (RFC 4588 rtx). */
function aptOf(section: MediaSection): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of attributes(section.lines, 'fmtp')) {
    const m = /^(\d+) +(?:.*;\s*)?apt=(\d+)/.exec(a.value ?? '');
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** Lines that belong to one payload type: `a=rtpmap:PT ...`, `a=fmtp:PT ...`, `a=rtcp-fb:PT ...`. */
function payloadLine(line: SdpLine, dropped: ReadonlySet<string>): boolean {
  if (line.type !== 'a') return false;
  const m = /^(rtpmap|fmtp|rtcp-fb):(\d+)(?: |$)/.exec(line.value);
  return m !== null && dropped.has(m[2] as string);
}

type Verdict = 'codec' | 'auxiliary' | 'drop';

interface FilterOutcome {
  section: MediaSection;
  changed: boolean;
}

/** Apply a per-format verdict to one active RTP section. */
function filterSection(section: MediaSection, verdict: (enc: RtpEncoding | undefined) => Verdict): FilterOutcome {
  const encodings = sectionEncodings(section);
  const apt = aptOf(section);
  const codecs = new Set<string>();
  const aux: string[] = [];
  for (const fmt of section.m.formats) {
    const v = verdict(encodings.get(fmt));
    if (v === 'codec') codecs.add(fmt);
    else if (v === 'auxiliary') aux.push(fmt);
  }
  if (codecs.size === 0) {
    // Nothing usable: reject the stream in place.
    return { section: withMediaLine(section, { ...section.m, port: 0, portCount: undefined }), changed: true };
  }
  const kept = new Set(codecs);
  for (const fmt of aux) {
    const isRtx = encodings.get(fmt)?.name.toLowerCase() === 'rtx';
    const target = apt.get(fmt);
    if (!isRtx || (target !== undefined && codecs.has(target))) kept.add(fmt);
  }
  const formats = section.m.formats.filter((f) => kept.has(f));
  if (formats.length === section.m.formats.length) return { section, changed: false };
  const dropped = new Set(section.m.formats.filter((f) => !kept.has(f)));
  return { section: withMediaLine(section, { ...section.m, formats }, (l) => payloadLine(l, dropped)), changed: true };
}

function applyFilter(
  sdp: SessionDescription,
  applies: (section: MediaSection) => boolean,
  verdict: (section: MediaSection, enc: RtpEncoding | undefined) => Verdict,
  what: string,
): SdpRuleResult {
  let changed = false;
  const media = sdp.media.map((section) => {
    if (!isActive(section) || !isRtpStream(section) || !applies(section)) return section;
    const r = filterSection(section, (enc) => verdict(section, enc));
    changed ||= r.changed;
    return r.section;
  });
  const out: SessionDescription = { ...sdp, media };
  const activeAudio = (d: SessionDescription) => d.media.some((s) => s.m.media === 'audio' && isActive(s));
  if (activeAudio(sdp) && !activeAudio(out)) return notAcceptable(`no audio stream offers ${what}`);
  if (sdp.media.some(isActive) && !out.media.some(isActive)) return notAcceptable(`no stream offers ${what}`);
  return { ok: true, sdp: changed ? out : sdp, changed };
}

function isPcmu(enc: RtpEncoding | undefined): boolean {
  return enc !== undefined && enc.name.toUpperCase() === 'PCMU' && enc.clockRate === 8000;
}

/**
 * `pcmuOnly`: every active audio stream keeps PCMU (PT 0, or a PT whose rtpmap says PCMU/8000) and
 * telephone-event/8000 and nothing else (comfort noise included). A stream without PCMU is disabled;
 * if no audio stream remains, the offer is not acceptable. Other media are untouched.
 */
export function pcmuOnly(sdp: SessionDescription): SdpRuleResult {
  return applyFilter(
    sdp,
    (s) => s.m.media === 'audio',
    (_s, enc) => {
      if (isPcmu(enc)) return 'codec';
      if (enc !== undefined && enc.name.toLowerCase() === 'telephone-event' && enc.clockRate === 8000) return 'auxiliary';
      return 'drop';
    },
    'PCMU',
  );
}

/**
 * `filterCodecs` for an Enswitch peer's `codecs` (names such as `ulaw`, `alaw`, `g722`, `g729`; see
 * `ENSWITCH_CODECS`). Applies to audio, video and text streams: a format stays when a listed codec of that
 * stream's kind names its encoding; DTMF, comfort noise, RTX (while its `apt` stays) and FEC stay with
 * any remaining codec. Unknown names match nothing (validate lists with `parseEnswitchCodecs` on write).
 */
export function filterCodecs(sdp: SessionDescription, names: readonly string[]): SdpRuleResult {
  const allowed: CodecDefinition[] = [];
  for (const n of names) {
    const key = n.trim().toLowerCase();
    if (Object.hasOwn(ENSWITCH_CODECS, key)) allowed.push(ENSWITCH_CODECS[key as EnswitchCodecName]);
  }
  return applyFilter(
    sdp,
    (s) => s.m.media === 'audio' || s.m.media === 'video' || s.m.media === 'text',
    (section, enc) => {
      if (enc === undefined) return 'drop';
      if (isAuxiliary(enc)) return 'auxiliary';
      return allowed.some((c) => c.kind === section.m.media && encodingMatches(enc, c)) ? 'codec' : 'drop';
    },
    `any of the codecs ${names.join(',') || '(none)'}`,
  );
}

/**
 * `blockVideoInSdp`: every active video stream gets port 0 (its port count dropped), every line kept, so
 * the far end sees a declined stream and answers it with port 0 too. Never fails.
 */
export function blockVideo(sdp: SessionDescription): SdpRuleResult {
  let changed = false;
  const media = sdp.media.map((section) => {
    if (section.m.media !== 'video' || !isActive(section)) return section;
    changed = true;
    return withMediaLine(section, { ...section.m, port: 0, portCount: undefined });
  });
  return { ok: true, sdp: changed ? { ...sdp, media } : sdp, changed };
}

export type EncryptionRequirement = 'yes' | 'optional' | 'no';

export type EncryptionCheck =
  | { readonly ok: true; /** Every active audio stream is SRTP-capable (vacuously true without audio). */ readonly secure: boolean }
  | { readonly ok: false; readonly error: SdpNotAcceptable };

/**
 * Whether an active audio stream can carry encrypted media: a secure profile (`RTP/SAVP`, `RTP/SAVPF`,
 * `UDP/TLS/RTP/SAVP[F]`), or SDES keys (`a=crypto`) on it, or a DTLS fingerprint (`a=fingerprint`) on it
 * or at session level.
 */
export function isEncryptedStream(sdp: SessionDescription, section: MediaSection): boolean {
  if (/SAVP/i.test(section.m.proto)) return true;
  if (attributes(section.lines, 'crypto').length > 0) return true;
  return attributes(section.lines, 'fingerprint').length > 0 || attributes(sdp.session, 'fingerprint').length > 0;
}

/**
 * `requireEncryptedAudio`: `yes` refuses a description with any active audio stream that cannot be
 * encrypted; `optional` and `no` accept either (`no` means "not required", so an SRTP offer still passes;
 * whether to offer SRTP onwards is the media relay's choice). `secure` is reported in every case.
 */
export function checkEncryption(sdp: SessionDescription, requirement: EncryptionRequirement): EncryptionCheck {
  const audio = sdp.media.filter((s) => s.m.media === 'audio' && isActive(s) && isRtpStream(s));
  const secure = audio.every((s) => isEncryptedStream(sdp, s));
  if (requirement === 'yes' && !secure) {
    return notAcceptable('encrypted audio is required (RTP/SAVP, a=crypto or a DTLS fingerprint)', 399, 'Encrypted audio required');
  }
  return { ok: true, secure };
}

export interface ProvisionalMessage {
  readonly statusCode: number;
  /** The Content-Type header value, if any. */
  readonly contentType: string | undefined;
  readonly body: string;
  /** Sent reliably (RFC 3262: `Require: 100rel` with `RSeq`). */
  readonly reliable?: boolean | undefined;
}

export interface StripMediaResult {
  readonly stripped: boolean;
  readonly body: string;
  readonly contentType: string | undefined;
  /** Headers the edge removes along with the body (Content-Length is the SIP library's to recompute). */
  readonly removeHeaders: readonly string[];
  /**
   * True when the 180 was to be sent reliably: an answer may not be held back from the first reliable
   * response (RFC 3262 §5), so without its SDP the 180 must go unreliably (no `Require: 100rel`, no RSeq).
   */
  readonly sendUnreliably: boolean;
}

function carriesSdp(contentType: string | undefined, body: string): boolean {
  if (contentType === undefined || contentType.trim() === '') return /^v=0\r?\n/.test(body);
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/sdp' || type.startsWith('multipart/');
}

/**
 * `blockMediaIn180Ringing`: a 180 Ringing loses its SDP (or a multipart body that may carry one), so the
 * caller plays local ringback instead of the far end's early media. Other responses, and bodies of other
 * types, pass unchanged; so does everything when the setting is off.
 */
export function stripMedia(message: ProvisionalMessage, blockMediaIn180Ringing: boolean): StripMediaResult {
  const keep: StripMediaResult = {
    stripped: false,
    body: message.body,
    contentType: message.contentType,
    removeHeaders: [],
    sendUnreliably: false,
  };
  if (!blockMediaIn180Ringing || message.statusCode !== 180 || message.body === '') return keep;
  if (!carriesSdp(message.contentType, message.body)) return keep;
  return {
    stripped: true,
    body: '',
    contentType: undefined,
    removeHeaders: ['Content-Type', 'Content-Disposition'],
    sendUnreliably: message.reliable === true,
  };
}

/** The SDP-affecting settings of a connection, in canonical form. */
export interface SdpPolicy {
  readonly pcmuOnly?: boolean | undefined;
  readonly blockVideo?: boolean | undefined;
  /** Enswitch codec names; undefined = no codec filter. */
  readonly codecs?: readonly string[] | undefined;
  readonly requireEncryptedAudio?: EncryptionRequirement | undefined;
}

/** Build the policy from a connection (and its Enswitch extension, if any). An empty codec list is "unset". */
export function sdpPolicyOf(connection: {
  readonly pcmuOnly: boolean;
  readonly blockVideoInSdp: boolean;
  readonly requireEncryptedAudio: EncryptionRequirement;
  readonly ext?: { readonly enswitch?: { readonly codecs: readonly string[] } | undefined } | undefined;
}): SdpPolicy {
  const codecs = connection.ext?.enswitch?.codecs;
  return {
    pcmuOnly: connection.pcmuOnly,
    blockVideo: connection.blockVideoInSdp,
    codecs: codecs !== undefined && codecs.length > 0 ? codecs : undefined,
    requireEncryptedAudio: connection.requireEncryptedAudio,
  };
}

export type SdpPolicyOutcome =
  | { readonly ok: true; readonly body: string; readonly changed: boolean; readonly applied: readonly string[] }
  | { readonly ok: false; readonly error: SdpError };

/**
 * Run a connection's SDP policy over a body, in this order: parse; encryption check (refuse before any
 * rewriting); blockVideo; pcmuOnly; Enswitch codecs (so both filters must agree: their intersection);
 * serialise. An unchanged body is returned as the same string. Never throws.
 */
export function applySdpPolicy(body: string, policy: SdpPolicy): SdpPolicyOutcome {
  try {
    const parsed = parseSdp(body);
    if (!parsed.ok) return parsed;
    let sdp = parsed.sdp;
    const applied: string[] = [];
    const enc = checkEncryption(sdp, policy.requireEncryptedAudio ?? 'no');
    if (!enc.ok) return enc;
    const steps: [string, boolean, (d: SessionDescription) => SdpRuleResult][] = [
      ['blockVideo', policy.blockVideo === true, blockVideo],
      ['pcmuOnly', policy.pcmuOnly === true, pcmuOnly],
      ['codecs', policy.codecs !== undefined, (d) => filterCodecs(d, policy.codecs ?? [])],
    ];
    for (const [name, on, rule] of steps) {
      if (!on) continue;
      const r = rule(sdp);
      if (!r.ok) return r;
      if (r.changed) applied.push(name);
      sdp = r.sdp;
    }
    return applied.length === 0 ? { ok: true, body, changed: false, applied } : { ok: true, body: serializeSdp(sdp), changed: true, applied };
  } catch (err) {
    // Defensive: the functions above do not throw on any string; a bug must still not crash a call.
    return { ok: false, error: { kind: 'malformed', line: 0, reason: `internal error: ${String(err)}`, sipStatus: 400 } };
  }
}

