/**
 * The typed message model: {@link SipRequest} and {@link SipResponse} (RFC 3261 §7).
 *
 * Header fields are stored as text (see headers.ts) and the structured views below (Via,
 * From, To, CSeq, ...) are parsed on first access and memoised: a proxy that only looks at
 * the top Via and the Request-URI never pays for parsing Contact or Record-Route.
 *
 * Structured getters throw {@link SipParseError} when the header is missing or malformed;
 * `validateRequest` (validation.ts) runs them all once so the rest of the stack can rely on
 * them.
 */
import { SipParseError } from '../errors.js';
import { isDigits } from './charset.js';
import { parseCSeq, type CSeq } from './cseq.js';
import { Headers, headerKey } from './headers.js';
import { NameAddr, parseNameAddr, parseNameAddrList } from './name-addr.js';
import { displayHeader } from './params.js';
import { parseUri, type Uri } from './uri.js';
import { Via, parseVia, parseViaList } from './via.js';

export type HeaderInit = Headers | Iterable<[string, string]>;

export interface MessageInit {
  headers?: HeaderInit;
  body?: Buffer | Uint8Array | string;
  /** SIP version after "SIP/", default "2.0". */
  version?: string;
}

function toBody(body: Buffer | Uint8Array | string | undefined): Buffer {
  if (body === undefined) return EMPTY;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

const EMPTY = Buffer.alloc(0);

function missing(key: string): SipParseError {
  return new SipParseError('MISSING_HEADER', `Missing ${displayHeader(key)} Header`, { header: key });
}

abstract class SipMessageBase {
  headers: Headers;
  /** Message body; for parsed messages a view into the received buffer (no copy). */
  body: Buffer;
  /** Protocol version after "SIP/" ("2.0"). */
  version: string;
  /**
   * How the header section was decoded: UTF-8 (RFC 3261 §7.3.1 TEXT-UTF8) when it was valid
   * UTF-8, else latin1 so that arbitrary octets survive a parse/serialise round trip.
   */
  headerEncoding: 'utf8' | 'latin1' = 'utf8';
  /** The exact bytes this message was parsed from, when it came from the wire. */
  raw: Buffer | undefined;

  constructor(init: MessageInit) {
    this.headers = init.headers instanceof Headers ? init.headers : Headers.from(init.headers ?? []);
    this.body = toBody(init.body);
    this.version = init.version ?? '2.0';
  }

  /**
   * Drop the parsed header views (Via, From, To, Contact, CSeq...); reading them again parses the text again.
   * The text, body and Request-URI stay as they are.
   */
  compact(): void {
    this.headers.releaseMemo();
  }

  /** Call-ID (§20.8). */
  get callId(): string {
    const v = this.headers.get('call-id');
    if (v === undefined || v.length === 0) throw missing('call-id');
    return v;
  }

  get cseq(): CSeq {
    return this.headers.memoize('cseq', () => {
      const v = this.headers.get('cseq');
      if (v === undefined) throw missing('cseq');
      return parseCSeq(v);
    });
  }

  /** Top-most Via; only the first via-parm is parsed. */
  get topVia(): Via {
    return this.headers.memoize('via/top', () => {
      const all = this.headers.peekMemo<Via[]>('via');
      if (all !== undefined) return all[0]!;
      const v = this.headers.get('via');
      if (v === undefined) throw missing('via');
      // Fast path: a line holding a single via-parm does not need list splitting.
      return v.indexOf(',') < 0 ? parseVia(v) : parseViaList(v)[0]!;
    });
  }

  /** Every Via, top first. */
  get vias(): Via[] {
    return this.headers.memoize('via', () => {
      const lines = this.headers.getAll('via');
      if (lines.length === 0) throw missing('via');
      const out: Via[] = [];
      for (const line of lines) for (const v of parseViaList(line)) out.push(v);
      return out;
    });
  }

  get from(): NameAddr {
    return this.headers.memoize('from', () => {
      const v = this.headers.get('from');
      if (v === undefined) throw missing('from');
      return parseNameAddr(v, 'from');
    });
  }

  get to(): NameAddr {
    return this.headers.memoize('to', () => {
      const v = this.headers.get('to');
      if (v === undefined) throw missing('to');
      return parseNameAddr(v, 'to');
    });
  }

  /** Contact values; empty when absent; `'*'` (REGISTER wildcard) yields an empty list and {@link isWildcardContact}. */
  get contacts(): NameAddr[] {
    return this.headers.memoize('contact', () => {
      const out: NameAddr[] = [];
      for (const line of this.headers.getAll('contact')) {
        if (line.trim() === '*') continue;
        for (const na of parseNameAddrList(line, 'contact')) out.push(na);
      }
      return out;
    });
  }

  get isWildcardContact(): boolean {
    return this.headers.getAll('contact').some((l) => l.trim() === '*');
  }

  /** Route set (§20.34), in header order. */
  get routes(): NameAddr[] {
    return this.nameAddrList('route');
  }

  /** Record-Route (§20.30), in header order. */
  get recordRoutes(): NameAddr[] {
    return this.nameAddrList('record-route');
  }

  private nameAddrList(key: string): NameAddr[] {
    return this.headers.memoize(key, () => {
      const out: NameAddr[] = [];
      for (const line of this.headers.getAll(key)) for (const na of parseNameAddrList(line, key)) out.push(na);
      return out;
    });
  }

  /** Max-Forwards (§20.22), `undefined` when absent. */
  get maxForwards(): number | undefined {
    return this.headers.memoize('max-forwards', () => {
      const v = this.headers.get('max-forwards');
      if (v === undefined) return undefined;
      if (!isDigits(v) || v.length > 10) {
        throw new SipParseError('INVALID_HEADER_VALUE', 'Invalid Max-Forwards', { header: 'max-forwards', detail: v });
      }
      const n = Number(v);
      if (n > 255) {
        throw new SipParseError('INVALID_HEADER_VALUE', 'Invalid Max-Forwards', { header: 'max-forwards', detail: v });
      }
      return n;
    });
  }

  /** Media type of the body without parameters, lower-cased ("application/sdp"). */
  get contentType(): string | undefined {
    const v = this.headers.get('content-type');
    if (v === undefined) return undefined;
    const semi = v.indexOf(';');
    return (semi >= 0 ? v.slice(0, semi) : v).trim().toLowerCase();
  }

  /** Body decoded as UTF-8 text. */
  get bodyText(): string {
    return this.body.toString('utf8');
  }

  set bodyText(text: string) {
    this.body = Buffer.from(text, 'utf8');
  }

  /** Replace the top Via (e.g. after adding received/rport, §18.2.1). */
  setTopVia(via: Via): void {
    this.headers.replaceFirstValue('via', via.toString());
  }

  /** Header value accessor shortcut (case-insensitive, compact forms accepted). */
  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  protected copyBaseInto<T extends SipMessageBase>(target: T): T {
    target.headerEncoding = this.headerEncoding;
    return target;
  }
}

export interface RequestInit extends MessageInit {
  method: string;
  uri: Uri | string;
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  /** Method token; case-sensitive (§7.1). */
  method: string;
  private uriTextValue: string;
  private uriValue: Uri | undefined;
  private uriParsedAs: string | undefined;

  constructor(init: RequestInit) {
    super(init);
    this.method = init.method;
    if (typeof init.uri === 'string') {
      this.uriTextValue = init.uri;
      this.uriValue = undefined;
    } else {
      this.uriValue = init.uri;
      this.uriTextValue = init.uri.toString();
    }
  }

  /** Also forgets the parsed Request-URI, keeping its current text (a later read parses that text again). */
  override compact(): void {
    super.compact();
    if (this.uriValue !== undefined) {
      this.uriTextValue = this.uriText;
      this.uriValue = undefined;
      this.uriParsedAs = undefined;
    }
  }

  /** Request-URI text as it will be serialised (the received text while the URI is unchanged). */
  get uriText(): string {
    if (this.uriValue === undefined) return this.uriTextValue;
    const t = this.uriValue.toString();
    return t === this.uriParsedAs ? this.uriTextValue : t;
  }

  set uriText(text: string) {
    this.uriTextValue = text;
    this.uriValue = undefined;
    this.uriParsedAs = undefined;
  }

  /**
   * Parse the Request-URI now (the parser does this to reject bad URIs early) and remember
   * its printed form, so an unchanged URI is re-emitted exactly as received.
   * @throws SipParseError (INVALID_REQUEST_URI)
   */
  markUriParsed(): void {
    this.uriParsedAs = this.uri.toString();
  }

  /**
   * Parsed Request-URI. The object is live: changes to it are serialised.
   * @throws SipParseError (INVALID_REQUEST_URI)
   */
  get uri(): Uri {
    if (this.uriValue === undefined) {
      try {
        this.uriValue = parseUri(this.uriTextValue);
      } catch (e) {
        throw new SipParseError('INVALID_REQUEST_URI', 'Invalid Request-URI', {
          cause: e,
          detail: this.uriTextValue.slice(0, 100),
        });
      }
    }
    return this.uriValue;
  }

  set uri(uri: Uri) {
    this.uriValue = uri;
    this.uriTextValue = uri.toString();
    this.uriParsedAs = undefined;
  }

  /** Request-Line without CRLF. */
  get startLine(): string {
    return `${this.method} ${this.uriText} SIP/${this.version}`;
  }

  /** Copy with its own header list (fields are immutable and shared) and the same body. */
  clone(): SipRequest {
    const r = new SipRequest({ method: this.method, uri: this.uriText, headers: this.headers.clone(), body: this.body, version: this.version });
    return this.copyBaseInto(r);
  }
}

export interface ResponseInit extends MessageInit {
  status: number;
  reason?: string;
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(init: ResponseInit) {
    super(init);
    this.status = init.status;
    this.reason = init.reason ?? reasonPhrase(init.status);
  }

  get isProvisional(): boolean {
    return this.status < 200;
  }

  get isFinal(): boolean {
    return this.status >= 200;
  }

  /** Status-Line without CRLF. */
  get startLine(): string {
    return `SIP/${this.version} ${this.status} ${this.reason}`;
  }

  clone(): SipResponse {
    const r = new SipResponse({ status: this.status, reason: this.reason, headers: this.headers.clone(), body: this.body, version: this.version });
    return this.copyBaseInto(r);
  }
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}

export function isResponse(m: SipMessage): m is SipResponse {
  return m.kind === 'response';
}

/** Default reason phrases (RFC 3261 §21 and common extensions). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  433: 'Anonymity Disallowed',
  436: 'Bad Identity-Info',
  437: 'Unsupported Certificate',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded',
  469: 'Bad Info Package',
  470: 'Consent Needed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Provisional' : status < 300 ? 'Success' : status < 400 ? 'Redirection' : status < 500 ? 'Client Error' : status < 600 ? 'Server Error' : 'Global Failure');
}

/** Lower-case long key of a header name (re-exported for convenience). */
export { headerKey };
