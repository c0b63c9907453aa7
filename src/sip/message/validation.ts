/**
 * Semantic checks run on a syntactically framed message before the transaction layer
 * trusts it (RFC 3261 §8.2.1–§8.2.2, §16.3, §18.1.2, §18.3; RFC 4475 §3.1.2 and §3.2).
 *
 * The parser only frames the message (start line, header lines, Content-Length). These
 * checks parse the headers the stack depends on and say what to answer when something is
 * wrong. Each failure names the problem in its reason phrase ("Invalid CSeq",
 * "Missing Call-ID Header", "CSeq Method Mismatch"...).
 */
import { SipParseError } from '../errors.js';
import { isDigits } from './charset.js';
import type { SipRequest, SipResponse } from './message.js';
import { displayHeader } from './params.js';
import { SipUri } from './uri.js';

export interface ValidationOptions {
  /** Request-URI schemes served; others get 416 (§8.2.2.1). Default sip, sips, tel. */
  supportedSchemes?: readonly string[];
  /** Max-Forwards: 0 gets 483 Too Many Hops (§16.3 item 2). Default true. */
  rejectZeroMaxForwards?: boolean;
  /** Reject a Date header that is not an RFC 1123 date in GMT (§20.17, RFC 4475 §3.1.2.12). Default true. */
  checkDate?: boolean;
}

export interface ValidationFailure {
  /** Status code to answer with (400, 416, 483, 505, ...). */
  status: number;
  /** Reason phrase naming the problem. */
  reason: string;
  /** Short machine-readable code. */
  code: string;
  /** The message cannot be answered (no usable Via, or it is an ACK): drop it. */
  drop?: boolean;
}

const SINGLE_VALUED = ['call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-type', 'expires'] as const;

function fromParseError(e: unknown, fallbackReason: string): ValidationFailure {
  if (e instanceof SipParseError) return { status: 400, reason: e.reason, code: e.code };
  return { status: 400, reason: fallbackReason, code: 'INTERNAL' };
}

/** `undefined` when the request is acceptable, otherwise what is wrong and the answer. */
export function validateRequest(req: SipRequest, options: ValidationOptions = {}): ValidationFailure | undefined {
  const h = req.headers;
  // A message we cannot route a response for cannot be answered (§18.2.2 needs the Via).
  if (!h.has('via')) return { status: 400, reason: 'Missing Via Header', code: 'MISSING_HEADER', drop: true };
  try {
    // Parse every Via once (the top one is then served from the same list).
    req.vias;
  } catch (e) {
    return fromParseError(e, 'Invalid Via Header');
  }

  // §8.1.1 lists the mandatory header fields (RFC 4475 §3.2.1 "insuf").
  for (const key of ['call-id', 'cseq', 'from', 'to'] as const) {
    if (!h.has(key)) return { status: 400, reason: `Missing ${displayHeader(key)} Header`, code: 'MISSING_HEADER' };
  }
  // RFC 4475 §3.2.8 "multi01": several values in single-value headers.
  for (const key of SINGLE_VALUED) {
    if (h.count(key) > 1) return { status: 400, reason: `Multiple ${displayHeader(key)} Headers`, code: 'MULTIPLE_HEADER_VALUES' };
  }

  // §7.1: only SIP/2.0 is spoken; anything else gets 505 (§21.5.7, RFC 4475 §3.1.2.16 "badvers").
  if (req.version !== '2.0') return { status: 505, reason: 'Version Not Supported', code: 'BAD_VERSION' };

  let cseq;
  try {
    cseq = req.cseq;
  } catch (e) {
    return fromParseError(e, 'Invalid CSeq');
  }
  // §8.1.1.5 / RFC 4475 §3.1.2.17-18 "mismatch01/02": CSeq method equals the request method.
  if (cseq.method !== req.method) return { status: 400, reason: 'CSeq Method Mismatch', code: 'CSEQ_METHOD_MISMATCH' };
  if (cseq.seq >= 2 ** 31) return { status: 400, reason: 'Invalid CSeq', code: 'INVALID_CSEQ' };

  const callId = req.callId;
  for (let i = 0; i < callId.length; i++) {
    const c = callId.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return { status: 400, reason: 'Invalid Call-ID Header', code: 'INVALID_CALL_ID' };
  }

  try {
    req.from;
  } catch (e) {
    return fromParseError(e, 'Invalid From Header');
  }
  try {
    req.to;
  } catch (e) {
    return fromParseError(e, 'Invalid To Header');
  }

  let maxForwards: number | undefined;
  try {
    maxForwards = req.maxForwards;
  } catch (e) {
    return fromParseError(e, 'Invalid Max-Forwards');
  }

  // Request-URI (already syntax-checked by the parser).
  let uri;
  try {
    uri = req.uri;
  } catch (e) {
    return fromParseError(e, 'Invalid Request-URI');
  }
  const schemes = options.supportedSchemes ?? ['sip', 'sips', 'tel'];
  if (!schemes.includes(uri.scheme)) return { status: 416, reason: 'Unsupported URI Scheme', code: 'UNSUPPORTED_URI_SCHEME' };
  // §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 "escruri").
  if (uri instanceof SipUri && uri.headers.length > 0) return { status: 400, reason: 'Invalid Request-URI', code: 'REQUEST_URI_HEADERS' };

  for (const key of ['contact', 'route', 'record-route'] as const) {
    if (!h.has(key)) continue;
    try {
      if (key === 'contact') req.contacts;
      else if (key === 'route') req.routes;
      else req.recordRoutes;
    } catch (e) {
      return fromParseError(e, `Invalid ${displayHeader(key)} Header`);
    }
  }

  if (options.checkDate ?? true) {
    const date = h.get('date');
    if (date !== undefined && !isRfc1123Date(date)) return { status: 400, reason: 'Invalid Date Header', code: 'INVALID_DATE' };
  }
  const expires = h.get('expires');
  if (expires !== undefined && !isDigits(expires)) return { status: 400, reason: 'Invalid Expires Header', code: 'INVALID_EXPIRES' };

  // §7.4.1: a non-empty body comes with its Content-Type.
  if (req.body.length > 0 && !h.has('content-type')) return { status: 400, reason: 'Missing Content-Type Header', code: 'MISSING_HEADER' };

  // §16.3 item 2 (checked last so that malformed requests get their precise 400 first).
  if (maxForwards === 0 && (options.rejectZeroMaxForwards ?? true)) return { status: 483, reason: 'Too Many Hops', code: 'TOO_MANY_HOPS' };
  return undefined;
}

/**
 * Checks on a received response (§18.1.2): something we cannot match to a transaction is
 * silently discarded, so every failure here means "drop".
 */
export function validateResponse(res: SipResponse): ValidationFailure | undefined {
  const drop = (reason: string, code: string): ValidationFailure => ({ status: 0, reason, code, drop: true });
  if (res.version !== '2.0') return drop('Version Not Supported', 'BAD_VERSION');
  try {
    res.topVia;
  } catch {
    return drop('Invalid Via Header', 'INVALID_VIA');
  }
  for (const key of ['call-id', 'cseq', 'from', 'to'] as const) {
    if (!res.headers.has(key)) return drop(`Missing ${displayHeader(key)} Header`, 'MISSING_HEADER');
    if (res.headers.count(key) > 1) return drop(`Multiple ${displayHeader(key)} Headers`, 'MULTIPLE_HEADER_VALUES');
  }
  try {
    res.cseq;
    res.from;
    res.to;
  } catch (e) {
    return drop(e instanceof SipParseError ? e.reason : 'Invalid Header', 'INVALID_HEADER');
  }
  return undefined;
}

const WKDAY = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const MONTH = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);

/** rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§25.1, §20.17). */
export function isRfc1123Date(value: string): boolean {
  // "Sat, 13 Nov 2010 23:29:00 GMT"
  if (value.length !== 29) return false;
  if (!WKDAY.has(value.slice(0, 3)) || value.slice(3, 5) !== ', ') return false;
  const day = value.slice(5, 7);
  const month = value.slice(8, 11);
  const year = value.slice(12, 16);
  const time = value.slice(17, 25);
  if (value[7] !== ' ' || value[11] !== ' ' || value[16] !== ' ' || value[25] !== ' ') return false;
  if (!isDigits(day) || !MONTH.has(month) || !isDigits(year)) return false;
  if (!/^\d\d:\d\d:\d\d$/.test(time)) return false;
  return value.slice(26) === 'GMT';
}
