/**
 * Via header field (RFC 3261 §20.42, §18.2.1; RFC 3581 rport).
 *
 *   via-parm   = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by    = host [ COLON port ]
 *
 * SLASH, COLON and SEMI may be surrounded by LWS (the RFC 4475 "wsinv" message uses
 * "SIP  /   2.0 /UDP"), so the scanner skips whitespace around every separator.
 */
import { SipParseError } from '../errors.js';
import { TOKEN, isLws } from './charset.js';
import { splitHeaderValues } from './headers.js';
import { ParamList, parseHeaderParams } from './params.js';
import { formatHost, parsePort, scanHost, stripBrackets } from './uri.js';

/** Branch prefix of RFC 3261-compliant transactions (§8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

export class Via {
  protocolName: string;
  protocolVersion: string;
  /** Upper-case transport token: UDP, TCP, TLS, SCTP, WS, WSS or any extension. */
  transport: string;
  /** sent-by host; IPv6 references keep their brackets. */
  host: string;
  port: number | undefined;
  params: ParamList;

  constructor(init: {
    transport: string;
    host: string;
    port?: number;
    params?: ParamList;
    protocolName?: string;
    protocolVersion?: string;
  }) {
    this.protocolName = init.protocolName ?? 'SIP';
    this.protocolVersion = init.protocolVersion ?? '2.0';
    this.transport = init.transport.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new ParamList();
  }

  get branch(): string | undefined {
    const b = this.params.get('branch');
    return typeof b === 'string' ? b : undefined;
  }

  set branch(value: string | undefined) {
    if (value === undefined) this.params.delete('branch');
    else this.params.set('branch', value);
  }

  /** True when the branch carries the RFC 3261 magic cookie (§17.2.3 matching applies). */
  get isRfc3261Branch(): boolean {
    return this.branch?.startsWith(MAGIC_COOKIE) ?? false;
  }

  /** `received` parameter (§18.2.1): source address the previous hop really used. */
  get received(): string | undefined {
    const r = this.params.get('received');
    return typeof r === 'string' ? stripBrackets(r) : undefined;
  }

  /**
   * RFC 3581 `rport`: `undefined` when absent, `null` when present without value (the client
   * asks for symmetric response routing), the port number once a server filled it in.
   */
  get rport(): number | null | undefined {
    const r = this.params.get('rport');
    if (r === undefined) return undefined;
    if (r === null) return null;
    const n = Number(r);
    return Number.isInteger(n) && n > 0 && n <= 65535 ? n : null;
  }

  get maddr(): string | undefined {
    const m = this.params.get('maddr');
    return typeof m === 'string' ? stripBrackets(m) : undefined;
  }

  get ttl(): number | undefined {
    const t = this.params.get('ttl');
    if (typeof t !== 'string') return undefined;
    const n = Number(t);
    return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
  }

  /** sent-by host without IPv6 brackets (for sockets and address comparison). */
  get hostname(): string {
    return stripBrackets(this.host);
  }

  /** "host:port" as used for transaction matching (§17.2.3), lower-cased host. */
  get sentBy(): string {
    return this.port === undefined ? this.host.toLowerCase() : `${this.host.toLowerCase()}:${this.port}`;
  }

  clone(): Via {
    return new Via({
      protocolName: this.protocolName,
      protocolVersion: this.protocolVersion,
      transport: this.transport,
      host: this.host,
      ...(this.port !== undefined ? { port: this.port } : {}),
      params: this.params.clone(),
    });
  }

  toString(): string {
    let out = `${this.protocolName}/${this.protocolVersion}/${this.transport} ${formatHost(this.host)}`;
    if (this.port !== undefined) out += ':' + this.port;
    return out + this.params.toString();
  }
}

function invalid(detail: string): SipParseError {
  return new SipParseError('INVALID_VIA', 'Invalid Via Header', { header: 'via', detail });
}

function readToken(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) break;
    i++;
  }
  return i;
}

function skip(s: string, i: number): number {
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  return i;
}

/** Parse one via-parm. @throws SipParseError (INVALID_VIA) */
export function parseVia(value: string): Via {
  const s = value;
  let i = skip(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      i = skip(s, i);
      if (s.charCodeAt(i) !== 0x2f /* / */) throw invalid('bad sent-protocol');
      i = skip(s, i + 1);
    }
    const end = readToken(s, i);
    if (end === i) throw invalid('bad sent-protocol');
    parts.push(s.slice(i, end));
    i = end;
  }
  const ws = i;
  i = skip(s, i);
  if (i === ws) throw invalid('missing LWS before sent-by');
  let hostEnd: number;
  try {
    hostEnd = scanHost(s, i);
  } catch {
    throw invalid('bad sent-by host');
  }
  const host = s.slice(i, hostEnd);
  i = skip(s, hostEnd);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a /* : */) {
    i = skip(s, i + 1);
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    try {
      port = parsePort(s.slice(i, j));
    } catch {
      throw invalid('bad sent-by port');
    }
    i = j;
  }
  let params: ParamList;
  try {
    params = parseHeaderParams(s, i, 'via');
  } catch (e) {
    throw invalid(e instanceof Error ? e.message : 'bad parameters');
  }
  const via = new Via({
    protocolName: parts[0]!,
    protocolVersion: parts[1]!,
    transport: parts[2]!,
    host,
    ...(port !== undefined ? { port } : {}),
    params,
  });
  validateViaParams(via);
  return via;
}

/** via-ttl, via-maddr, via-received and rport have constrained values (§20.42, RFC 3581). */
function validateViaParams(via: Via): void {
  const ttl = via.params.get('ttl');
  if (ttl !== undefined && (ttl === null || via.ttl === undefined)) throw invalid('bad ttl');
  const rport = via.params.get('rport');
  if (typeof rport === 'string' && via.rport === null) throw invalid('bad rport');
  const received = via.params.get('received');
  if (received === null) throw invalid('bad received');
  const branch = via.params.get('branch');
  if (branch === null) throw invalid('empty branch');
}

/** Parse a Via header value that may hold several comma-separated via-parms. */
export function parseViaList(value: string): Via[] {
  const parts = splitHeaderValues(value);
  if (parts.length === 0) throw invalid('empty Via');
  return parts.map(parseVia);
}

/**
 * Best-effort reading of a broken Via, used only to decide whether a 400 can still be sent
 * (RFC 4475 §3.1.2.1 "badinv01": junk parameters after a usable sent-by). Returns undefined
 * when not even protocol and sent-by are readable.
 */
export function recoverVia(value: string): Via | undefined {
  const first = value.split(/[,;]/, 1)[0] ?? '';
  try {
    return parseVia(first);
  } catch {
    return undefined;
  }
}
