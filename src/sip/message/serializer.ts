/**
 * Message serialiser (RFC 3261 §7).
 *
 * - Fields that came from the wire and were not touched are written from their `raw` text,
 *   so a proxy passes them on byte for byte (folding, compact names and spacing included).
 * - Content-Length is always emitted and always equals the body length (§18.3 makes it
 *   mandatory on streams; on datagrams it is harmless and lets the receiver detect
 *   truncation). An existing, correct Content-Length line is kept as is.
 */
import type { HeaderField } from './headers.js';
import type { SipMessage } from './message.js';

function fieldText(f: HeaderField): string {
  return f.raw ?? `${f.name}: ${f.value}`;
}

function contentLengthMatches(f: HeaderField, length: number): boolean {
  const v = f.value;
  if (v.length === 0 || v.length > 10) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(v) === length;
}

/** Header section (start line, fields, empty line) as a string. */
export function serializeHead(msg: SipMessage): string {
  const bodyLength = msg.body.length;
  const latin1 = msg.headerEncoding === 'latin1';
  let out = msg.startLine + '\r\n';
  let clDone = false;
  for (const f of msg.headers) {
    if (f.key === 'content-length') {
      if (clDone) continue; // duplicates collapse into one correct line
      clDone = true;
      out += (f.raw !== undefined && contentLengthMatches(f, bodyLength) ? f.raw : `${f.name}: ${bodyLength}`) + '\r\n';
      continue;
    }
    // In latin1 mode raw fields are octet strings; code-built fields are JS text that must
    // become UTF-8 octets first.
    out += (latin1 && f.raw === undefined ? Buffer.from(fieldText(f), 'utf8').toString('latin1') : fieldText(f)) + '\r\n';
  }
  if (!clDone) out += `Content-Length: ${bodyLength}\r\n`;
  return out + '\r\n';
}

/** Serialise a request or response to the octets that go on the wire. */
export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  const encoding = msg.headerEncoding === 'latin1' ? 'latin1' : 'utf8';
  const headLength = Buffer.byteLength(head, encoding);
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, encoding);
  msg.body.copy(out, headLength);
  return out;
}

/** Human-readable form for logs (body decoded as UTF-8). */
export function messageToString(msg: SipMessage): string {
  return serializeMessage(msg).toString('utf8');
}
