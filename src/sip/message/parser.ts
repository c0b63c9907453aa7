/**
 * SIP message parser (RFC 3261 §7, §7.3.1 folding, §7.5 framing, §18.3, grammar §25).
 *
 * Design:
 * - Works on bytes: the body is a view into the input (Content-Length counts octets and
 *   bodies may be binary, RFC 4475 §3.1.1.11 "mpart01").
 * - The header section is decoded once (ASCII/UTF-8, or latin1 when it is not valid UTF-8 so
 *   every octet survives) and split into fields by a single forward scan; there are no
 *   backtracking regular expressions. Structured header values are parsed lazily by the
 *   message getters.
 * - Errors: the only thing that ever leaves this module is {@link SipParseError}
 *   (`tryParseMessage` does not throw at all). When the start line or a header line is
 *   broken, parsing continues so that the error carries the usable headers (`partial`) and
 *   the caller can still answer with a 400 (see rejection.ts).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { SipParseError, asParseError } from '../errors.js';
import { TOKEN, isDigits } from './charset.js';
import { Headers, headerKey, type HeaderField } from './headers.js';
import { SipRequest, SipResponse, type SipMessage } from './message.js';

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;
export const DEFAULT_MAX_HEADERS = 200;

export interface ParseOptions {
  /** Largest accepted message in octets (default 64 KiB). */
  maxMessageSize?: number;
  /** Largest accepted number of header lines (default 200). */
  maxHeaders?: number;
  /**
   * `datagram` (default): Content-Length is optional and octets past it are ignored
   * (§18.3: "the remainder of the datagram ... MUST be discarded"); a Content-Length larger
   * than the datagram is an error. `stream`: the input is exactly one framed message (see
   * stream-framer.ts) and Content-Length is mandatory and must match.
   */
  framing?: 'datagram' | 'stream';
}

export type ParseResult =
  | { ok: true; message: SipMessage; /** octets consumed from the input */ consumed: number }
  | { ok: false; error: SipParseError };

function toBuffer(input: Uint8Array | string): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** Parse one message. Never throws; the error is always a {@link SipParseError}. */
export function tryParseMessage(input: Uint8Array | string, options: ParseOptions = {}): ParseResult {
  try {
    return parseInternal(toBuffer(input), options);
  } catch (e) {
    return { ok: false, error: asParseError(e) };
  }
}

/** Parse one message. @throws SipParseError — and nothing else. */
export function parseMessage(input: Uint8Array | string, options: ParseOptions = {}): SipMessage {
  const r = tryParseMessage(input, options);
  if (!r.ok) throw r.error;
  return r.message;
}

/** Parse a message that must be a request. @throws SipParseError */
export function parseRequest(input: Uint8Array | string, options: ParseOptions = {}): SipRequest {
  const m = parseMessage(input, options);
  if (m.kind !== 'request') throw new SipParseError('MALFORMED_START_LINE', 'Not a request');
  return m;
}

/** Parse a message that must be a response. @throws SipParseError */
export function parseResponse(input: Uint8Array | string, options: ParseOptions = {}): SipResponse {
  const m = parseMessage(input, options);
  if (m.kind !== 'response') throw new SipParseError('MALFORMED_START_LINE', 'Not a response');
  return m;
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trim SP / HTAB / CR / LF only (String#trim would also eat U+00A0 from latin1 text). */
function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b) {
    const c = s.charCodeAt(a);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    a++;
  }
  while (b > a) {
    const c = s.charCodeAt(b - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    b--;
  }
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const FOLD = /\r?\n[ \t]*/g;

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; returns "2.0" or undefined. */
function parseVersion(s: string): string | undefined {
  if (s.length < 7) return undefined;
  if ((s.charCodeAt(0) | 0x20) !== 0x73 || (s.charCodeAt(1) | 0x20) !== 0x69 || (s.charCodeAt(2) | 0x20) !== 0x70 || s.charCodeAt(3) !== 0x2f) {
    return undefined;
  }
  const v = s.slice(4);
  const dot = v.indexOf('.');
  if (dot <= 0 || dot === v.length - 1) return undefined;
  if (!isDigits(v.slice(0, dot)) || !isDigits(v.slice(dot + 1))) return undefined;
  return v;
}

interface StartLine {
  kind: 'request' | 'response';
  method?: string;
  uri?: string;
  version?: string;
  status?: number;
  reason?: string;
  error?: SipParseError;
}

function parseStartLine(line: string): StartLine {
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2)
    const sp1 = line.indexOf(' ');
    const version = parseVersion(sp1 < 0 ? line : line.slice(0, sp1));
    if (sp1 < 0 || version === undefined) {
      return { kind: 'response', error: new SipParseError('MALFORMED_STATUS_LINE', 'Malformed Status-Line') };
    }
    let sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0) sp2 = line.length; // tolerate a missing SP before an empty reason
    const code = line.slice(sp1 + 1, sp2);
    if (code.length !== 3 || !isDigits(code) || code < '100' || code > '699') {
      return { kind: 'response', version, error: new SipParseError('INVALID_STATUS_CODE', 'Invalid Status-Code', { detail: code.slice(0, 20) }) };
    }
    const reason = sp2 < line.length ? line.slice(sp2 + 1) : '';
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        return { kind: 'response', version, error: new SipParseError('MALFORMED_STATUS_LINE', 'Malformed Status-Line', { detail: 'control character in reason phrase' }) };
      }
    }
    return { kind: 'response', version, status: Number(code), reason };
  }

  // Request-Line = Method SP Request-URI SP SIP-Version (§7.1): exactly single spaces,
  // no leading/trailing white space (RFC 4475 §3.1.2.9 "lwsstart", §3.1.2.10 "trws").
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) {
    return { kind: 'request', error: new SipParseError('MALFORMED_REQUEST_LINE', 'Malformed Request-Line') };
  }
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) {
      return { kind: 'request', error: new SipParseError('INVALID_METHOD', 'Invalid Method') };
    }
  }
  const sp2 = line.lastIndexOf(' ');
  const version = sp2 > sp1 ? parseVersion(line.slice(sp2 + 1)) : undefined;
  if (version === undefined) {
    return { kind: 'request', method, error: new SipParseError('MALFORMED_REQUEST_LINE', 'Malformed Request-Line', { detail: 'bad SIP-Version' }) };
  }
  const uri = line.slice(sp1 + 1, sp2);
  if (uri.length === 0 || isWsCode(uri.charCodeAt(0)) || isWsCode(uri.charCodeAt(uri.length - 1)) || line.indexOf('\t') >= 0) {
    return { kind: 'request', method, version, error: new SipParseError('MALFORMED_REQUEST_LINE', 'Malformed Request-Line', { detail: 'extra white space' }) };
  }
  if (uri.indexOf(' ') >= 0) {
    // RFC 4475 §3.1.2.8 "lwsruri": white space inside the Request-URI.
    return { kind: 'request', method, version, error: new SipParseError('INVALID_REQUEST_URI', 'Invalid Request-URI', { detail: 'white space in Request-URI' }) };
  }
  return { kind: 'request', method, uri, version };
}

function parseInternal(buf: Buffer, options: ParseOptions): ParseResult {
  const maxSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const maxHeaders = options.maxHeaders ?? DEFAULT_MAX_HEADERS;
  const stream = options.framing === 'stream';
  const len = buf.length;

  // §7.5: CRLFs before the start line are ignored (keep-alives on streams).
  let start = 0;
  while (start < len && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= len) throw new SipParseError('EMPTY_MESSAGE', 'Empty Message');

  let firstError: SipParseError | undefined;
  if (len - start > maxSize) {
    firstError = new SipParseError('MESSAGE_TOO_LARGE', 'Message Too Large', { detail: `${len - start} > ${maxSize} octets` });
  }

  // Locate the empty line ending the header section. Bare LF line ends are tolerated.
  let headEnd = -1; // end (exclusive) of the last header line's text
  let bodyStart = len;
  for (let p = buf.indexOf(0x0a, start); p >= 0; p = buf.indexOf(0x0a, p + 1)) {
    const next = buf[p + 1];
    if (next === 0x0a) {
      headEnd = p;
      bodyStart = p + 2;
      break;
    }
    if (next === 0x0d && buf[p + 2] === 0x0a) {
      headEnd = p;
      bodyStart = p + 3;
      break;
    }
  }
  if (headEnd < 0) {
    // No empty line: tolerated on datagrams (the whole datagram is the header section).
    headEnd = len;
    while (headEnd > start && (buf[headEnd - 1] === 0x0a || buf[headEnd - 1] === 0x0d)) headEnd--;
  } else if (headEnd > start && buf[headEnd - 1] === 0x0d) {
    headEnd--;
  }

  const head = buf.subarray(start, headEnd);
  let encoding: 'utf8' | 'latin1' = 'utf8';
  let text: string;
  if (isAscii(head)) text = head.toString('latin1');
  else if (isUtf8(head)) text = head.toString('utf8');
  else {
    encoding = 'latin1';
    text = head.toString('latin1');
  }

  // Start line.
  const n = text.length;
  let eol = text.indexOf('\n');
  if (eol < 0) eol = n;
  const startLineText = text.slice(0, eol > 0 && text.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol);
  const sl = parseStartLine(startLineText);
  if (sl.error && !firstError) firstError = sl.error;

  // Header fields, with continuation lines (§7.3.1).
  const fields: HeaderField[] = [];
  let pos = eol + 1;
  while (pos < n) {
    const fieldStart = pos;
    let e = text.indexOf('\n', pos);
    if (e < 0) e = n;
    let fieldEnd = e > pos && text.charCodeAt(e - 1) === 0x0d ? e - 1 : e;
    pos = e + 1;
    if (isWsCode(text.charCodeAt(fieldStart))) {
      firstError ??= new SipParseError('MALFORMED_HEADER', 'Malformed Header', { detail: 'continuation line without header' });
      continue;
    }
    let folded = false;
    while (pos < n && isWsCode(text.charCodeAt(pos))) {
      e = text.indexOf('\n', pos);
      if (e < 0) e = n;
      fieldEnd = e > pos && text.charCodeAt(e - 1) === 0x0d ? e - 1 : e;
      pos = e + 1;
      folded = true;
    }
    const raw = text.slice(fieldStart, fieldEnd);
    const colon = raw.indexOf(':');
    let nameEnd = colon;
    while (nameEnd > 0 && isWsCode(raw.charCodeAt(nameEnd - 1))) nameEnd--;
    let validName = nameEnd > 0;
    for (let i = 0; validName && i < nameEnd; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 128 || TOKEN[c] === 0) validName = false;
    }
    if (!validName) {
      firstError ??= new SipParseError('MALFORMED_HEADER', 'Malformed Header', { detail: raw.slice(0, 40) });
      continue;
    }
    const name = raw.slice(0, nameEnd);
    let value = raw.slice(colon + 1);
    if (folded) value = value.replace(FOLD, ' ');
    fields.push({ name, key: headerKey(name), value: trimLws(value), raw });
    if (fields.length > maxHeaders) {
      firstError ??= new SipParseError('TOO_MANY_HEADERS', 'Too Many Headers', { detail: `more than ${maxHeaders}` });
      break;
    }
  }

  // Content-Length (§20.14) and body (§7.4, §18.3).
  let contentLength: number | undefined;
  for (const f of fields) {
    if (f.key !== 'content-length') continue;
    if (!isDigits(f.value) || f.value.length > 10) {
      firstError ??= new SipParseError('INVALID_CONTENT_LENGTH', 'Invalid Content-Length', { header: 'content-length', detail: f.value.slice(0, 20) });
      contentLength = undefined;
      break;
    }
    const v = Number(f.value);
    if (contentLength !== undefined && contentLength !== v) {
      // RFC 4475 §3.2.9 "mcl01": conflicting values make framing ambiguous.
      firstError ??= new SipParseError('MULTIPLE_CONTENT_LENGTH', 'Multiple Content-Length Values', { header: 'content-length' });
      break;
    }
    contentLength = v;
  }

  const available = len - bodyStart;
  let bodyLength = 0;
  if (stream) {
    if (contentLength === undefined) {
      firstError ??= new SipParseError('MISSING_CONTENT_LENGTH', 'Missing Content-Length', { header: 'content-length' });
    } else if (contentLength !== available) {
      firstError ??= new SipParseError('CONTENT_LENGTH_MISMATCH', 'Content-Length Mismatch', { header: 'content-length' });
    } else bodyLength = contentLength;
  } else if (contentLength === undefined) {
    bodyLength = available;
  } else if (contentLength > available) {
    // RFC 4475 §3.1.2.2 "clerr": the datagram ends before the announced body does.
    firstError ??= new SipParseError('CONTENT_LENGTH_MISMATCH', 'Content-Length Mismatch', { header: 'content-length', detail: `${contentLength} > ${available}` });
  } else bodyLength = contentLength;

  if (firstError) {
    firstError.partial = {
      kind: sl.kind,
      ...(sl.method !== undefined ? { method: sl.method } : {}),
      headers: new Headers(fields),
    };
    throw firstError;
  }

  const headers = new Headers(fields);
  const body = buf.subarray(bodyStart, bodyStart + bodyLength);
  const consumed = bodyStart + bodyLength;
  let message: SipMessage;
  if (sl.kind === 'request') {
    const req = new SipRequest({ method: sl.method!, uri: sl.uri!, headers, body, version: sl.version! });
    try {
      req.markUriParsed();
    } catch (e) {
      const err = asParseError(e);
      err.partial = { kind: 'request', method: sl.method!, headers };
      throw err;
    }
    message = req;
  } else {
    message = new SipResponse({ status: sl.status!, reason: sl.reason!, headers, body, version: sl.version! });
  }
  message.headerEncoding = encoding;
  message.raw = buf.subarray(start, consumed);
  return { ok: true, message, consumed };
}
