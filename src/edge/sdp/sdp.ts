/**
 * SDP (RFC 4566) as the edge needs it: parse a body into lines grouped by media section, change what a rule
 * changes, and write everything else back exactly as it came.
 *
 * Every line is kept as `type`, `value` and its own line ending, so serialising an unmodified description
 * gives back the input byte for byte (CRLF, bare LF, a missing final line break, trailing blank lines and
 * lines trunkline does not understand included). Rules replace or drop whole lines and never re-format the
 * others; a replaced line keeps the line ending of the line it replaces.
 *
 * Strictness: a body is malformed when it is empty, does not start with `v=0`, has a line that is not
 * `<letter>=<value>`, a blank line before the end, a NUL or bare CR, no `o=` line, or an `m=` line that is
 * not `m=<media> <port>[/<count>] <proto> <fmt> ...` with a port 0-65535. Missing `s=`/`t=` lines are
 * tolerated: RFC 4566 requires them, but deployed user agents omit them and refusing such calls helps no one.
 * Public functions never throw on malformed input; they return `{ ok: false, error }`.
 */

export type LineEnding = '\r\n' | '\n' | '';

export interface SdpLine {
  /** The single letter before `=`. */
  readonly type: string;
  /** Everything after `=`, unmodified. */
  readonly value: string;
  readonly eol: LineEnding;
}

export interface MediaLine {
  readonly media: string;
  readonly port: number;
  readonly portCount: number | undefined;
  readonly proto: string;
  readonly formats: readonly string[];
}

export interface MediaSection {
  /** The parsed `m=` line. */
  readonly m: MediaLine;
  /** All lines of the section, the `m=` line first. */
  readonly lines: readonly SdpLine[];
}

export interface SessionDescription {
  /** Lines before the first `m=`. */
  readonly session: readonly SdpLine[];
  readonly media: readonly MediaSection[];
  /** Blank lines after the last line, kept as they were. */
  readonly trailer: string;
}

export interface SdpMalformed {
  readonly kind: 'malformed';
  /** 1-based line number, 0 when the body as a whole is at fault. */
  readonly line: number;
  readonly reason: string;
  /** What the edge answers an offer it cannot read with (RFC 3261 §21.4.1). */
  readonly sipStatus: 400;
}

export type ParseResult = { readonly ok: true; readonly sdp: SessionDescription } | { readonly ok: false; readonly error: SdpMalformed };

const MEDIA_LINE = /^(\S+) (\d+)(?:\/(\d+))? (\S+)((?: +\S+)+) *$/;
const MAX_SDP = 65_536;

function malformed(line: number, reason: string): { ok: false; error: SdpMalformed } {
  return { ok: false, error: { kind: 'malformed', line, reason, sipStatus: 400 } };
}

/** Parse the value of an `m=` line; undefined when it is not one. */
export function parseMediaLine(value: string): MediaLine | undefined {
  const m = MEDIA_LINE.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  const portCount = m[3] === undefined ? undefined : Number(m[3]);
  if (port > 65_535 || (portCount !== undefined && portCount < 1)) return undefined;
  return {
    media: m[1] as string,
    port,
    portCount,
    proto: m[4] as string,
    formats: (m[5] as string).trim().split(/ +/),
  };
}

export function formatMediaLine(m: MediaLine): string {
  const count = m.portCount === undefined ? '' : `/${m.portCount}`;
  return `${m.media} ${m.port}${count} ${m.proto} ${m.formats.join(' ')}`;
}

/** Parse an SDP body. Never throws. */
export function parseSdp(body: string): ParseResult {
  if (typeof body !== 'string') return malformed(0, 'the body is not text');
  if (body.length > MAX_SDP) return malformed(0, `the body is larger than ${MAX_SDP} characters`);
  const raw: { text: string; eol: LineEnding }[] = [];
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf('\n', pos);
    if (nl === -1) {
      raw.push({ text: body.slice(pos), eol: '' });
      break;
    }
    const crlf = nl > pos && body[nl - 1] === '\r';
    raw.push({ text: body.slice(pos, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    pos = nl + 1;
  }
  let last = raw.length - 1;
  while (last >= 0 && (raw[last] as { text: string }).text === '') last--;
  if (last < 0) return malformed(0, 'the body is empty');
  const trailer = raw
    .slice(last + 1)
    .map((r) => r.eol)
    .join('');

  const session: SdpLine[] = [];
  const media: { m: MediaLine; lines: SdpLine[] }[] = [];
  let sawOrigin = false;
  for (let i = 0; i <= last; i++) {
    const { text, eol } = raw[i] as { text: string; eol: LineEnding };
    const n = i + 1;
    if (text === '') return malformed(n, 'blank line inside the description');
    if (/[\u0000\r]/.test(text)) return malformed(n, 'NUL or bare CR in a line');
    if (!/^[A-Za-z]=/.test(text)) return malformed(n, `"${text.slice(0, 20)}" is not <type>=<value>`);
    const line: SdpLine = { type: text[0] as string, value: text.slice(2), eol };
    if (i === 0) {
      if (line.type !== 'v' || line.value !== '0') return malformed(n, 'the first line must be v=0');
    }
    if (line.type === 'm') {
      const parsed = parseMediaLine(line.value);
      if (parsed === undefined) return malformed(n, 'm= must be <media> <port>[/<count>] <proto> <fmt> ...');
      media.push({ m: parsed, lines: [line] });
    } else if (media.length === 0) {
      if (line.type === 'o') {
        if (line.value.split(' ').length !== 6) return malformed(n, 'o= must have six fields');
        sawOrigin = true;
      }
      session.push(line);
    } else {
      (media[media.length - 1] as { lines: SdpLine[] }).lines.push(line);
    }
  }
  if (!sawOrigin) return malformed(0, 'there is no o= line');
  return { ok: true, sdp: { session, media, trailer } };
}

function lineText(l: SdpLine): string {
  return `${l.type}=${l.value}${l.eol}`;
}

export function serializeSdp(sdp: SessionDescription): string {
  let out = '';
  for (const l of sdp.session) out += lineText(l);
  for (const s of sdp.media) for (const l of s.lines) out += lineText(l);
  return out + sdp.trailer;
}

/** Attribute lines (`a=name[:value]`) of a section, optionally only one name. */
export function attributes(lines: readonly SdpLine[], name?: string): { name: string; value: string | undefined }[] {
  const out: { name: string; value: string | undefined }[] = [];
  for (const l of lines) {
    if (l.type !== 'a') continue;
    const colon = l.value.indexOf(':');
    const n = colon === -1 ? l.value : l.value.slice(0, colon);
    if (name !== undefined && n !== name) continue;
    out.push({ name: n, value: colon === -1 ? undefined : l.value.slice(colon + 1) });
  }
  return out;
}

/** A section with its `m=` line replaced (same line ending) and, optionally, some lines dropped. */
export function withMediaLine(section: MediaSection, m: MediaLine, drop?: (line: SdpLine) => boolean): MediaSection {
  const first = section.lines[0] as SdpLine;
  const rest = section.lines.slice(1).filter((l) => !(drop?.(l) ?? false));
  return { m, lines: [{ type: 'm', value: formatMediaLine(m), eol: first.eol }, ...rest] };
}
