/**
 * URIs: SIP and SIPS URIs (RFC 3261 §19.1, grammar §25.1), tel URIs (RFC 3966) and any other
 * absolute URI kept opaque (RFC 3261 allows them in To/From/Request-URI; a UAS that does not
 * support the scheme answers 416, §8.2.2.1).
 *
 * User, password, parameter and header parts are kept in their escaped wire form so that a
 * URI that is parsed and printed again is unchanged; `userDecoded` and friends give the
 * %-decoded text (§19.1.2).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from '../errors.js';
import {
  HNV,
  HOSTNAME,
  PARAMCHAR,
  PASSWORD,
  USER,
  escapeUri,
  isEscapedRun,
  unescapeUri,
} from './charset.js';
import { ParamList, type ParamValue } from './params.js';

export class SipUri {
  /** Always lower case; "sips" requires TLS hop by hop (§26.2.2). */
  scheme: 'sip' | 'sips';
  /** user (or telephone-subscriber) in escaped form, e.g. "I%20have%20spaces". */
  user: string | undefined;
  /** password in escaped form (its use is NOT RECOMMENDED, §19.1.1, but it parses). */
  password: string | undefined;
  /** hostname, IPv4 address or IPv6 reference *with* brackets ("[2001:db8::1]"). */
  host: string;
  port: number | undefined;
  /** uri-parameters (transport, user, method, ttl, maddr, lr, ...). */
  params: ParamList;
  /** URI headers (`?name=value&...`), escaped form. */
  headers: Array<[string, string]>;

  constructor(init: {
    scheme?: 'sip' | 'sips';
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params?: Iterable<[string, ParamValue]>;
    headers?: Array<[string, string]>;
  }) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = new ParamList(init.params ?? []);
    this.headers = init.headers ? init.headers.map(([n, v]) => [n, v] as [string, string]) : [];
  }

  /** Build from unescaped user text (escapes what §25.1 does not allow). */
  static fromParts(user: string | undefined, host: string, port?: number, scheme: 'sip' | 'sips' = 'sip'): SipUri {
    return new SipUri({ scheme, user: user === undefined ? undefined : escapeUri(user, USER), host, port });
  }

  get userDecoded(): string | undefined {
    return this.user === undefined ? undefined : unescapeUri(this.user);
  }

  /** Host without IPv6 brackets, as accepted by node:net / node:dgram. */
  get hostname(): string {
    return stripBrackets(this.host);
  }

  /** `transport` uri-parameter, lower-cased, if any. */
  get transportParam(): string | undefined {
    const t = this.params.get('transport');
    return typeof t === 'string' ? t.toLowerCase() : undefined;
  }

  /** The `lr` parameter marks a loose router (§19.1.1, §16.12). */
  get lr(): boolean {
    return this.params.has('lr');
  }

  clone(): SipUri {
    return new SipUri({
      scheme: this.scheme,
      ...(this.user !== undefined ? { user: this.user } : {}),
      ...(this.password !== undefined ? { password: this.password } : {}),
      host: this.host,
      ...(this.port !== undefined ? { port: this.port } : {}),
      params: this.params,
      headers: this.headers,
    });
  }

  toString(): string {
    let out = this.scheme + ':';
    if (this.user !== undefined) {
      out += this.user;
      if (this.password !== undefined) out += ':' + this.password;
      out += '@';
    }
    out += this.host;
    if (this.port !== undefined) out += ':' + this.port;
    out += this.params.toString();
    if (this.headers.length > 0) out += '?' + this.headers.map(([n, v]) => `${n}=${v}`).join('&');
    return out;
  }
}

/** tel URI (RFC 3966): `tel:+1-201-555-0123;phone-context=...`. */
export class TelUri {
  readonly scheme = 'tel' as const;
  number: string;
  params: ParamList;

  constructor(number: string, params: Iterable<[string, ParamValue]> = []) {
    this.number = number;
    this.params = new ParamList(params);
  }

  /** A global number starts with "+" (RFC 3966 §5.1.4). */
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }

  clone(): TelUri {
    return new TelUri(this.number, this.params);
  }

  toString(): string {
    return 'tel:' + this.number + this.params.toString();
  }
}

/** Any other absolute URI (`scheme:opaque`), e.g. `mailto:`, `urn:`, `http:`. */
export class AbsoluteUri {
  readonly scheme: string;
  readonly opaque: string;

  constructor(scheme: string, opaque: string) {
    this.scheme = scheme.toLowerCase();
    this.opaque = opaque;
  }

  clone(): AbsoluteUri {
    return new AbsoluteUri(this.scheme, this.opaque);
  }

  toString(): string {
    return this.scheme + ':' + this.opaque;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

export function isSipUri(u: Uri): u is SipUri {
  return u instanceof SipUri;
}

export function stripBrackets(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d
    ? host.slice(1, -1)
    : host;
}

/** Format an IP/host for use in a URI or Via: IPv6 literals get brackets (RFC 5118 §4.1). */
export function formatHost(host: string): string {
  return host.indexOf(':') >= 0 && host.charCodeAt(0) !== 0x5b ? `[${host}]` : host;
}

function bad(detail: string): SipParseError {
  return new SipParseError('INVALID_URI', 'Invalid URI', { detail });
}

/**
 * Validate a host (hostname / IPv4address / IPv6reference, §25.1). Returns the index just
 * past it in `s`, starting at `i`.
 */
export function scanHost(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const end = s.indexOf(']', i);
    if (end < 0) throw bad('unterminated IPv6 reference');
    if (!isIPv6(s.slice(i + 1, end))) throw bad('invalid IPv6 reference');
    return end + 1;
  }
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HOSTNAME[c] === 0) break;
    i++;
  }
  if (i === start) throw bad('missing host');
  const host = s.slice(start, i);
  if (host.charCodeAt(0) === 0x2e || host.charCodeAt(0) === 0x2d || host.indexOf('..') >= 0) {
    throw bad('invalid hostname');
  }
  // A host made of digits and dots only must be a well-formed IPv4 address.
  let numeric = true;
  for (let k = 0; k < host.length; k++) {
    const c = host.charCodeAt(k);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) {
      numeric = false;
      break;
    }
  }
  if (numeric && !isIPv4(host.endsWith('.') ? host.slice(0, -1) : host)) throw bad('invalid IPv4 address');
  return i;
}

/** Parse a port (1*DIGIT, at most 65535). */
export function parsePort(s: string): number {
  if (s.length === 0 || s.length > 5) throw bad('invalid port');
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw bad('invalid port');
    v = v * 10 + (c - 0x30);
  }
  if (v > 65535) throw bad('port out of range');
  return v;
}

function isSchemeChar(c: number, first: boolean): boolean {
  const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  if (first) return alpha;
  return alpha || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/**
 * Parse any URI. `sip`/`sips` and `tel` get structured types; any other syntactically valid
 * absolute URI becomes an {@link AbsoluteUri}.
 *
 * @throws SipParseError (code INVALID_URI)
 */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad('missing scheme');
  for (let i = 0; i < colon; i++) if (!isSchemeChar(text.charCodeAt(i), i === 0)) throw bad('invalid scheme');
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUriBody(text, colon + 1, scheme);
  if (scheme === 'tel') return parseTelUriBody(text, colon + 1);
  const opaque = text.slice(colon + 1);
  if (opaque.length === 0) throw bad('empty URI');
  for (let i = 0; i < opaque.length; i++) {
    const c = opaque.charCodeAt(i);
    // absoluteURI (RFC 2396) never contains whitespace, controls, DQUOTE, "<" or ">".
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) throw bad('invalid character');
  }
  return new AbsoluteUri(scheme, opaque);
}

/** Parse a URI that must be sip: or sips:. */
export function parseSipUri(text: string): SipUri {
  const u = parseUri(text);
  if (!(u instanceof SipUri)) throw bad('not a SIP URI');
  return u;
}

/** Non-throwing variant of {@link parseUri}. */
export function tryParseUri(text: string): Uri | undefined {
  try {
    return parseUri(text);
  } catch {
    return undefined;
  }
}

function parseSipUriBody(s: string, start: number, scheme: 'sip' | 'sips'): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let i = start;
  // userinfo ends at the first "@": "@" is not allowed unescaped in user, password,
  // parameters or headers (§25.1), so the first one is the delimiter.
  const at = s.indexOf('@', start);
  if (at >= 0) {
    const userinfo = s.slice(start, at);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user.length === 0) throw bad('empty user');
    if (!isEscapedRun(user, USER)) throw bad('invalid character in user');
    if (password !== undefined && !isEscapedRun(password, PASSWORD)) throw bad('invalid character in password');
    i = at + 1;
  }
  const hostEnd = scanHost(s, i);
  const host = s.slice(i, hostEnd);
  i = hostEnd;
  let port: number | undefined;
  if (i < s.length && s.charCodeAt(i) === 0x3a /* : */) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    port = parsePort(s.slice(i + 1, j));
    i = j;
  }
  const uri = new SipUri({ scheme, host, ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}), ...(port !== undefined ? { port } : {}) });
  while (i < s.length && s.charCodeAt(i) === 0x3b /* ; */) {
    let j = i + 1;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x3b || c === 0x3f) break;
      j++;
    }
    const param = s.slice(i + 1, j);
    const eq = param.indexOf('=');
    const name = eq >= 0 ? param.slice(0, eq) : param;
    const value = eq >= 0 ? param.slice(eq + 1) : null;
    if (name.length === 0 || !isEscapedRun(name, PARAMCHAR)) throw bad('invalid uri-parameter name');
    if (value !== null && (value.length === 0 || !isEscapedRun(value, PARAMCHAR))) throw bad('invalid uri-parameter value');
    uri.params.set(name, value);
    i = j;
  }
  if (i < s.length && s.charCodeAt(i) === 0x3f /* ? */) {
    const parts = s.slice(i + 1).split('&');
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw bad('invalid uri header');
      const hn = part.slice(0, eq);
      const hv = part.slice(eq + 1);
      if (!isEscapedRun(hn, HNV) || !isEscapedRun(hv, HNV)) throw bad('invalid character in uri header');
      uri.headers.push([hn, hv]);
    }
    i = s.length;
  }
  if (i !== s.length) throw bad(`unexpected "${s.slice(i, i + 10)}"`);
  return uri;
}

function parseTelUriBody(s: string, start: number): TelUri {
  let i = start;
  while (i < s.length && s.charCodeAt(i) !== 0x3b) i++;
  const number = s.slice(start, i);
  if (number.length === 0) throw bad('empty telephone number');
  for (let k = 0; k < number.length; k++) {
    const c = number.charCodeAt(k);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x46) ||
      (c >= 0x61 && c <= 0x66) ||
      c === 0x2a /* * */ ||
      c === 0x23 /* # */ ||
      c === 0x2b /* + */ ||
      c === 0x2d /* - */ ||
      c === 0x2e /* . */ ||
      c === 0x28 /* ( */ ||
      c === 0x29 /* ) */ ||
      c === 0x70 /* p */ ||
      c === 0x77; /* w */
    if (!ok || (c === 0x2b && k !== 0)) throw bad('invalid telephone number');
  }
  const uri = new TelUri(number);
  while (i < s.length) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 0x3b) j++;
    const param = s.slice(i + 1, j);
    const eq = param.indexOf('=');
    const name = eq >= 0 ? param.slice(0, eq) : param;
    const value = eq >= 0 ? param.slice(eq + 1) : null;
    if (name.length === 0 || !isEscapedRun(name, PARAMCHAR)) throw bad('invalid tel parameter');
    if (value !== null && (value.length === 0 || !isEscapedRun(value, PARAMCHAR))) throw bad('invalid tel parameter');
    uri.params.set(name, value);
    i = j;
  }
  return uri;
}

/**
 * URI equality for SIP URIs per §19.1.4 (simplified: user/password case-sensitive after
 * unescaping, host case-insensitive, ports must both be present or absent, the parameters
 * user/ttl/method/maddr/transport must match when present in either, other parameters must
 * match when present in both, headers must match). Other schemes compare textually.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a instanceof SipUri && b instanceof SipUri) {
    if (a.scheme !== b.scheme) return false;
    if (a.userDecoded !== b.userDecoded) return false;
    if ((a.password === undefined ? undefined : unescapeUri(a.password)) !== (b.password === undefined ? undefined : unescapeUri(b.password))) return false;
    if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
    if (a.port !== b.port) return false;
    for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
      const va = a.params.get(name);
      const vb = b.params.get(name);
      if ((va === undefined) !== (vb === undefined)) return false;
      if (typeof va === 'string' && typeof vb === 'string' && unescapeUri(va).toLowerCase() !== unescapeUri(vb).toLowerCase()) return false;
    }
    for (const [name, va] of a.params) {
      const vb = b.params.get(name);
      if (vb === undefined) continue;
      if ((va === null) !== (vb === null)) return false;
      if (va !== null && vb !== null && unescapeUri(va).toLowerCase() !== unescapeUri(vb).toLowerCase()) return false;
    }
    if (a.headers.length !== b.headers.length) return false;
    for (const [hn, hv] of a.headers) {
      const other = b.headers.find(([n]) => n.toLowerCase() === hn.toLowerCase());
      if (!other || unescapeUri(other[1]) !== unescapeUri(hv)) return false;
    }
    return true;
  }
  return a.toString().toLowerCase() === b.toString().toLowerCase();
}
