/**
 * Message framing on stream transports (RFC 3261 §18.3, §7.5; RFC 5626 §3.5.1).
 *
 * A TCP/TLS read may hold part of a message, several messages, or keep-alives. The framer
 * accumulates octets and cuts them into whole messages:
 *   - CRLFs before a start line are ignored (§7.5); a double CRLF is an RFC 5626 "ping"
 *     which the transport answers with a single CRLF "pong";
 *   - the header section ends at the first empty line; Content-Length is then MANDATORY
 *     (§18.3 / §20.14: "MUST be used with stream-oriented transports"), missing or invalid
 *     → error (the transport answers 400 and closes: framing cannot be recovered);
 *   - messages larger than `maxMessageSize` → error (513 and close) without buffering more.
 *
 * Storage is a single growable buffer (amortised O(n) copying however small the reads).
 */
import { SipParseError } from '../errors.js';
import { headerKey } from '../message/headers.js';
import { DEFAULT_MAX_MESSAGE_SIZE, tryParseMessage } from '../message/parser.js';
import { rejectionForParseError, type Rejection } from '../message/rejection.js';

export type FramerEvent =
  | { type: 'message'; data: Buffer }
  /** RFC 5626 double-CRLF keep-alive: answer with a single CRLF. */
  | { type: 'ping' }
  /** Single CRLF (a pong, or stray line end between messages). */
  | { type: 'pong' }
  /** Framing is lost; `head` holds the header section when it was complete. */
  | { type: 'error'; error: SipParseError; head?: Buffer };

export interface StreamFramerOptions {
  maxMessageSize?: number;
}

export class StreamFramer {
  private store: Buffer = Buffer.allocUnsafe(4096);
  private start = 0;
  private end = 0;
  /** Where to resume searching for the end of the header section. */
  private scanFrom = 0;
  /** Total size of the message being collected once its header section is known. */
  private need = -1;
  private failed = false;
  private readonly max: number;

  constructor(options: StreamFramerOptions = {}) {
    this.max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Octets waiting for the rest of their message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Feed a chunk; returns what it completed, in order. After an error, input is ignored. */
  push(chunk: Uint8Array): FramerEvent[] {
    const events: FramerEvent[] = [];
    if (this.failed || chunk.length === 0) return events;
    this.append(chunk);
    while (!this.failed) {
      if (this.need < 0) {
        if (!this.skipKeepAlives(events)) break;
        if (this.start === this.end) break;
        const bodyStart = this.findHeaderEnd();
        if (bodyStart < 0) {
          if (this.end - this.start > this.max) {
            this.fail(events, new SipParseError('MESSAGE_TOO_LARGE', 'Message Too Large', { detail: 'header section too long' }));
          }
          break;
        }
        const head = this.store.subarray(this.start, bodyStart);
        const cl = contentLengthOf(head);
        if (typeof cl !== 'number') {
          this.fail(events, cl, Buffer.from(head));
          break;
        }
        const total = bodyStart - this.start + cl;
        if (total > this.max) {
          this.fail(events, new SipParseError('MESSAGE_TOO_LARGE', 'Message Too Large', { detail: `${total} > ${this.max} octets` }), Buffer.from(head));
          break;
        }
        this.need = total;
      }
      if (this.end - this.start < this.need) break;
      const data = Buffer.from(this.store.subarray(this.start, this.start + this.need));
      this.start += this.need;
      this.scanFrom = this.start;
      this.need = -1;
      events.push({ type: 'message', data });
    }
    if (this.start === this.end) {
      this.start = this.end = this.scanFrom = 0;
    }
    return events;
  }

  private append(chunk: Uint8Array): void {
    const len = chunk.length;
    if (this.end + len > this.store.length) {
      const live = this.end - this.start;
      if (live + len <= this.store.length && this.start > 0) {
        this.store.copy(this.store, 0, this.start, this.end);
      } else {
        let cap = this.store.length;
        while (cap < live + len) cap *= 2;
        const next = Buffer.allocUnsafe(cap);
        this.store.copy(next, 0, this.start, this.end);
        this.store = next;
      }
      this.scanFrom -= this.start;
      this.start = 0;
      this.end = live;
    }
    this.store.set(chunk, this.end);
    this.end += len;
  }

  /** Consume CRLF keep-alives before a start line. Returns false when more input is needed. */
  private skipKeepAlives(events: FramerEvent[]): boolean {
    const s = this.store;
    while (this.start < this.end) {
      const c = s[this.start];
      if (c !== 0x0d && c !== 0x0a) return true;
      const avail = this.end - this.start;
      if (c === 0x0d) {
        if (avail < 2) return false;
        if (s[this.start + 1] !== 0x0a) {
          this.start += 1; // lone CR: ignore
          continue;
        }
        if (avail < 3) return false; // "\r\n" could be the first half of a ping
        if (s[this.start + 2] === 0x0d) {
          if (avail < 4) return false;
          if (s[this.start + 3] === 0x0a) {
            events.push({ type: 'ping' });
            this.start += 4;
            continue;
          }
        }
        events.push({ type: 'pong' });
        this.start += 2;
        continue;
      }
      this.start += 1; // bare LF: ignore
    }
    this.scanFrom = this.start;
    return true;
  }

  /** Index of the first body octet, or -1 when the empty line has not arrived yet. */
  private findHeaderEnd(): number {
    const s = this.store;
    let p = Math.max(this.scanFrom, this.start);
    while (p < this.end) {
      const lf = s.indexOf(0x0a, p);
      if (lf < 0 || lf >= this.end) break;
      if (lf + 1 >= this.end) {
        p = lf;
        break;
      }
      if (s[lf + 1] === 0x0a) return lf + 2;
      if (s[lf + 1] === 0x0d) {
        if (lf + 2 >= this.end) {
          p = lf;
          break;
        }
        if (s[lf + 2] === 0x0a) return lf + 3;
      }
      p = lf + 1;
    }
    this.scanFrom = Math.max(this.start, Math.min(p, this.end));
    return -1;
  }

  private fail(events: FramerEvent[], error: SipParseError, head?: Buffer): void {
    this.failed = true;
    this.start = this.end = 0;
    events.push(head ? { type: 'error', error, head } : { type: 'error', error });
  }
}

/** Content-Length of a header section, or the framing error. */
function contentLengthOf(head: Buffer): number | SipParseError {
  const text = head.toString('latin1');
  let value: number | undefined;
  let pos = text.indexOf('\n') + 1; // skip the start line
  while (pos > 0 && pos < text.length) {
    let e = text.indexOf('\n', pos);
    if (e < 0) e = text.length;
    let line = text.slice(pos, e);
    pos = e + 1;
    // Unfold continuation lines of this field.
    while (pos < text.length && (text.charCodeAt(pos) === 0x20 || text.charCodeAt(pos) === 0x09)) {
      let e2 = text.indexOf('\n', pos);
      if (e2 < 0) e2 = text.length;
      line += ' ' + text.slice(pos, e2);
      pos = e2 + 1;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (headerKey(line.slice(0, colon).trim()) !== 'content-length') continue;
    const v = line.slice(colon + 1).trim();
    if (!/^[0-9]{1,10}$/.test(v)) {
      return new SipParseError('INVALID_CONTENT_LENGTH', 'Invalid Content-Length', { header: 'content-length', detail: v.slice(0, 20) });
    }
    const n = Number(v);
    if (value !== undefined && value !== n) {
      return new SipParseError('MULTIPLE_CONTENT_LENGTH', 'Multiple Content-Length Values', { header: 'content-length' });
    }
    value = n;
  }
  if (value === undefined) return new SipParseError('MISSING_CONTENT_LENGTH', 'Missing Content-Length', { header: 'content-length' });
  return value;
}

/**
 * What to answer when framing fails: the header section (if complete) is parsed only to
 * recover Via/From/To/Call-ID/CSeq for the 400 (or 513).
 */
export function rejectionForFramingError(error: SipParseError, head?: Buffer): Rejection {
  if (head && !error.partial) {
    const r = tryParseMessage(head, { framing: 'datagram', maxMessageSize: Number.MAX_SAFE_INTEGER });
    if (r.ok) {
      const m = r.message;
      error.partial = { kind: m.kind, ...(m.kind === 'request' ? { method: m.method } : {}), headers: m.headers };
    } else if (r.error.partial) {
      error.partial = r.error.partial;
    }
  }
  return rejectionForParseError(error);
}
