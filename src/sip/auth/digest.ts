/**
 * HTTP Digest authentication as used by SIP (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760).
 *
 * Server side ({@link DigestServer}): build `WWW-Authenticate` / `Proxy-Authenticate`
 * challenges (SHA-256 and MD5, qop="auth", opaque) and verify `Authorization` /
 * `Proxy-Authorization` against a password or a stored HA1, with expiring HMAC-signed
 * nonces, strictly increasing nonce-counts (replay protection) and `stale=true` for a
 * correct answer to an expired nonce (RFC 7616 §3.3).
 *
 * Client side ({@link buildAuthorization}, {@link DigestClient}): answer a 401/407.
 *
 * Every secret-dependent comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SipParseError } from '../errors.js';
import { TOKEN, endOfQuoted, isLws, quote, unquote } from '../message/charset.js';
import { SipResponse, type SipRequest } from '../message/message.js';
import { createResponse } from '../message/builders.js';
import { parseUri, uriEquals } from '../message/uri.js';
import { NonceStore, type NonceStoreOptions } from './nonce-store.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const HASHES: Record<string, string> = {
  md5: 'md5',
  'md5-sess': 'md5',
  'sha-256': 'sha256',
  'sha-256-sess': 'sha256',
  'sha-512-256': 'sha512-256',
  'sha-512-256-sess': 'sha512-256',
};

function canonicalAlgorithm(a: string | undefined): DigestAlgorithm | undefined {
  // RFC 7616 §3.4: absent algorithm means MD5.
  const lower = (a ?? 'MD5').toLowerCase();
  switch (lower) {
    case 'md5':
      return 'MD5';
    case 'md5-sess':
      return 'MD5-sess';
    case 'sha-256':
      return 'SHA-256';
    case 'sha-256-sess':
      return 'SHA-256-sess';
    case 'sha-512-256':
      return 'SHA-512-256';
    case 'sha-512-256-sess':
      return 'SHA-512-256-sess';
    default:
      return undefined;
  }
}

/** H(data) as lower-case hex for a digest algorithm. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(HASHES[algorithm.toLowerCase()]!).update(data).digest('hex');
}

/**
 * HA1 (RFC 7616 §3.4.2): H(username ":" realm ":" password), and for -sess algorithms
 * H(H(username:realm:password) ":" nonce ":" cnonce).
 */
export function computeHA1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
  nonce?: string,
  cnonce?: string,
): string {
  const base = digestHash(algorithm, `${username}:${realm}:${password}`);
  return sessionHA1(algorithm, base, nonce, cnonce);
}

/** Apply the -sess transformation to a stored HA1 (no-op for other algorithms). */
export function sessionHA1(algorithm: DigestAlgorithm, ha1: string, nonce?: string, cnonce?: string): string {
  if (!algorithm.endsWith('-sess')) return ha1;
  return digestHash(algorithm, `${ha1}:${nonce ?? ''}:${cnonce ?? ''}`);
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** HA1 already including the -sess step when applicable. */
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: 'auth' | 'auth-int';
  nc?: string;
  cnonce?: string;
  /** Message body, for qop=auth-int. */
  body?: Buffer;
}

/**
 * request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1):
 *   qop auth/auth-int: H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
 *   no qop (RFC 2069):  H(HA1 ":" nonce ":" HA2)
 * with HA2 = H(method ":" uri) or, for auth-int, H(method ":" uri ":" H(body)).
 */
export function computeDigestResponse(i: ResponseInput): string {
  const ha2 =
    i.qop === 'auth-int'
      ? digestHash(i.algorithm, `${i.method}:${i.uri}:${digestHash(i.algorithm, i.body ?? Buffer.alloc(0))}`)
      : digestHash(i.algorithm, `${i.method}:${i.uri}`);
  if (i.qop) return digestHash(i.algorithm, `${i.ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
  return digestHash(i.algorithm, `${i.ha1}:${i.nonce}:${ha2}`);
}

/** Constant-time comparison of two hex digests (case-insensitive). */
export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  if (x.length !== y.length) {
    // Still spend the time of a comparison so length is the only thing that leaks.
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

// ---- header syntax ----------------------------------------------------------------------

export interface AuthHeader {
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Map<string, string>;
}

/**
 * Parse `scheme param=value, param="quoted", ...` (RFC 3261 §25.1 challenge / credentials).
 * @throws SipParseError (INVALID_HEADER_VALUE)
 */
export function parseAuthHeader(value: string): AuthHeader {
  const fail = (detail: string): SipParseError =>
    new SipParseError('INVALID_HEADER_VALUE', 'Invalid Authorization Header', { header: 'authorization', detail });
  const s = value;
  let i = 0;
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  const start = i;
  while (i < s.length && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
  if (i === start) throw fail('missing scheme');
  const scheme = s.slice(start, i);
  const params = new Map<string, string>();
  for (;;) {
    while (i < s.length && (isLws(s.charCodeAt(i)) || s.charCodeAt(i) === 0x2c)) i++;
    if (i >= s.length) break;
    const ns = i;
    while (i < s.length && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
    if (i === ns) throw fail(`unexpected "${s.slice(i, i + 10)}"`);
    const name = s.slice(ns, i).toLowerCase();
    while (i < s.length && isLws(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d) throw fail(`missing = after ${name}`);
    i++;
    while (i < s.length && isLws(s.charCodeAt(i))) i++;
    let v: string;
    if (s.charCodeAt(i) === 0x22) {
      const end = endOfQuoted(s, i);
      if (end < 0) throw fail('unterminated quoted string');
      v = unquote(s.slice(i, end));
      i = end;
    } else {
      const vs = i;
      while (i < s.length && s.charCodeAt(i) !== 0x2c && !isLws(s.charCodeAt(i))) i++;
      v = s.slice(vs, i);
    }
    if (params.has(name)) throw fail(`duplicate parameter ${name}`);
    params.set(name, v);
  }
  return { scheme, params };
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** Offered qop values ("auth", "auth-int"); empty for RFC 2069 challenges. */
  qop: string[];
  stale: boolean;
  domain?: string;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
}

/** Parse a WWW-Authenticate / Proxy-Authenticate value. Returns undefined for non-Digest or unsupported algorithms. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const h = parseAuthHeader(value);
  if (h.scheme.toLowerCase() !== 'digest') return undefined;
  const p = h.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const algorithm = canonicalAlgorithm(p.get('algorithm'));
  if (realm === undefined || nonce === undefined || algorithm === undefined) return undefined;
  const qop = (p.get('qop') ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q.length > 0);
  return {
    realm,
    nonce,
    algorithm,
    qop,
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
    ...(p.has('opaque') ? { opaque: p.get('opaque')! } : {}),
    ...(p.has('domain') ? { domain: p.get('domain')! } : {}),
  };
}

/** Parse an Authorization / Proxy-Authorization value. @throws SipParseError when it is not usable Digest. */
export function parseCredentials(value: string): DigestCredentials {
  const h = parseAuthHeader(value);
  const fail = (detail: string): SipParseError =>
    new SipParseError('INVALID_HEADER_VALUE', 'Invalid Authorization Header', { header: 'authorization', detail });
  if (h.scheme.toLowerCase() !== 'digest') throw fail(`scheme ${h.scheme} is not Digest`);
  const p = h.params;
  const need = (k: string): string => {
    const v = p.get(k);
    if (v === undefined) throw fail(`missing ${k}`);
    return v;
  };
  const algorithm = canonicalAlgorithm(p.get('algorithm'));
  if (algorithm === undefined) throw fail(`unsupported algorithm ${p.get('algorithm') ?? ''}`);
  return {
    username: need('username'),
    realm: need('realm'),
    nonce: need('nonce'),
    uri: need('uri'),
    response: need('response'),
    algorithm,
    ...(p.has('cnonce') ? { cnonce: p.get('cnonce')! } : {}),
    ...(p.has('opaque') ? { opaque: p.get('opaque')! } : {}),
    ...(p.has('qop') ? { qop: p.get('qop')!.toLowerCase() } : {}),
    ...(p.has('nc') ? { nc: p.get('nc')! } : {}),
  };
}

export function formatChallenge(c: DigestChallenge): string {
  let out = `Digest realm=${quote(c.realm)}`;
  if (c.domain !== undefined) out += `, domain=${quote(c.domain)}`;
  out += `, nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) out += `, opaque=${quote(c.opaque)}`;
  if (c.stale) out += ', stale=true';
  out += `, algorithm=${c.algorithm}`;
  if (c.qop.length > 0) out += `, qop=${quote(c.qop.join(','))}`;
  return out;
}

export function formatCredentials(c: DigestCredentials): string {
  let out = `Digest username=${quote(c.username)}, realm=${quote(c.realm)}, nonce=${quote(c.nonce)}, uri=${quote(c.uri)}, response=${quote(c.response)}, algorithm=${c.algorithm}`;
  if (c.cnonce !== undefined) out += `, cnonce=${quote(c.cnonce)}`;
  if (c.opaque !== undefined) out += `, opaque=${quote(c.opaque)}`;
  // RFC 7616 §3.4: qop and nc are not quoted in credentials.
  if (c.qop !== undefined) out += `, qop=${c.qop}`;
  if (c.nc !== undefined) out += `, nc=${c.nc}`;
  return out;
}

// ---- client side ------------------------------------------------------------------------

export interface ClientSecret {
  username: string;
  password?: string;
  /** Precomputed H(username:realm:password) instead of the password. */
  ha1?: string;
}

export interface AuthorizationInput extends ClientSecret {
  method: string;
  uri: string;
  /** Nonce count for this nonce, starting at 1 (RFC 7616 §3.4). */
  nc?: number;
  cnonce?: string;
  body?: Buffer;
}

/** Authorization header value answering `challenge` (RFC 7616 §3.4, RFC 3261 §22.2). */
export function buildAuthorization(challenge: DigestChallenge, input: AuthorizationInput): string {
  const qop = challenge.qop.includes('auth') ? 'auth' : challenge.qop.includes('auth-int') ? 'auth-int' : undefined;
  const cnonce = input.cnonce ?? randomBytes(12).toString('base64url');
  const nc = (input.nc ?? 1).toString(16).padStart(8, '0');
  let ha1: string;
  if (input.ha1 !== undefined) ha1 = sessionHA1(challenge.algorithm, input.ha1, challenge.nonce, cnonce);
  else if (input.password !== undefined) ha1 = computeHA1(challenge.algorithm, input.username, challenge.realm, input.password, challenge.nonce, cnonce);
  else throw new TypeError('buildAuthorization needs a password or an ha1');
  const response = computeDigestResponse({
    algorithm: challenge.algorithm,
    ha1,
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    ...(qop ? { qop, nc, cnonce } : {}),
    ...(input.body ? { body: input.body } : {}),
  });
  return formatCredentials({
    username: input.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: input.uri,
    response,
    algorithm: challenge.algorithm,
    ...(qop ? { cnonce, qop, nc } : {}),
    ...(challenge.opaque !== undefined ? { opaque: challenge.opaque } : {}),
  });
}

const ALGORITHM_PREFERENCE: DigestAlgorithm[] = ['SHA-512-256', 'SHA-256', 'MD5', 'SHA-512-256-sess', 'SHA-256-sess', 'MD5-sess'];

/**
 * UAC helper: given a request and the 401/407 it got, produce the retry (§22.2): same
 * Call-ID, CSeq + 1, credentials added, no Via (the transaction layer adds a new one).
 * Keeps nonce-counts per nonce so re-used nonces get increasing `nc`.
 */
export class DigestClient {
  private readonly secret: ClientSecret;
  private readonly counts = new Map<string, number>();

  constructor(secret: ClientSecret) {
    this.secret = secret;
  }

  /** The retry request, or undefined when the response carries no usable Digest challenge. */
  authorize(request: SipRequest, response: SipResponse): SipRequest | undefined {
    const proxy = response.status === 407;
    const challenges = response.headers
      .getAll(proxy ? 'proxy-authenticate' : 'www-authenticate')
      .map((v) => {
        try {
          return parseChallenge(v);
        } catch {
          return undefined;
        }
      })
      .filter((c): c is DigestChallenge => c !== undefined);
    if (challenges.length === 0) return undefined;
    challenges.sort((a, b) => ALGORITHM_PREFERENCE.indexOf(a.algorithm) - ALGORITHM_PREFERENCE.indexOf(b.algorithm));
    const challenge = challenges[0]!;
    const nc = (this.counts.get(challenge.nonce) ?? 0) + 1;
    this.counts.set(challenge.nonce, nc);
    if (this.counts.size > 100) this.counts.delete(this.counts.keys().next().value!);
    const retry = request.clone();
    retry.headers.remove('via');
    const header = proxy ? 'Proxy-Authorization' : 'Authorization';
    // Replace earlier credentials for the same realm (§22.3).
    const keep = retry.headers.getAll(header).filter((v) => {
      try {
        return parseCredentials(v).realm !== challenge.realm;
      } catch {
        return false;
      }
    });
    retry.headers.remove(header);
    for (const v of keep) retry.headers.append(header, v);
    retry.headers.append(
      header,
      buildAuthorization(challenge, {
        ...this.secret,
        method: request.method,
        uri: request.uriText,
        nc,
        ...(challenge.qop.includes('auth-int') && !challenge.qop.includes('auth') ? { body: request.body } : {}),
      }),
    );
    retry.headers.set('CSeq', `${request.cseq.seq + 1} ${request.method}`);
    return retry;
  }
}

// ---- server side ------------------------------------------------------------------------

export interface DigestServerOptions extends NonceStoreOptions {
  realm: string;
  /** Algorithms offered, in preference order (default SHA-256 then MD5, RFC 8760 §2.4). */
  algorithms?: DigestAlgorithm[];
  /** opaque value echoed by clients (default: random per server). */
  opaque?: string;
  /** Require the credentials' uri to match the Request-URI (RFC 7616 §3.4.6). Default true. */
  checkUri?: boolean;
  /** Offer and accept qop=auth-int as well as auth. Default false. */
  authInt?: boolean;
}

/** What the server knows about the user: the password, or HA1 = H(username:realm:password). */
export type ServerSecret = { password: string } | { ha1: string; algorithm?: DigestAlgorithm };

export type DigestFailure =
  | 'missing'
  | 'malformed'
  | 'realm'
  | 'algorithm'
  | 'opaque'
  | 'nonce'
  | 'qop'
  | 'nc'
  | 'replay'
  | 'uri'
  | 'unknown-user'
  | 'response';

export type DigestVerifyResult =
  | { ok: true; username: string; credentials: DigestCredentials }
  | { ok: false; reason: DigestFailure; stale: boolean; credentials?: DigestCredentials };

export class DigestServer {
  readonly realm: string;
  readonly nonces: NonceStore;
  private readonly algorithms: DigestAlgorithm[];
  private readonly opaque: string;
  private readonly checkUri: boolean;
  private readonly authInt: boolean;

  constructor(options: DigestServerOptions) {
    this.realm = options.realm;
    this.nonces = new NonceStore(options);
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.opaque = options.opaque ?? randomBytes(12).toString('base64url');
    this.checkUri = options.checkUri ?? true;
    this.authInt = options.authInt ?? false;
  }

  /** One challenge value per offered algorithm, most preferred first (RFC 7616 §3.7). */
  challengeValues(options: { stale?: boolean } = {}): string[] {
    // One nonce serves every offered algorithm: it is bound to the realm and its issue time, not to a hash
    // function, and a client answers only one of the challenges (one HMAC per challenge, not per algorithm).
    const nonce = this.nonces.issue(this.realm);
    return this.algorithms.map((algorithm) =>
      formatChallenge({
        realm: this.realm,
        nonce,
        opaque: this.opaque,
        algorithm,
        qop: this.authInt ? ['auth', 'auth-int'] : ['auth'],
        stale: options.stale ?? false,
      }),
    );
  }

  /**
   * 401 with WWW-Authenticate (registrar/UAS), or 407 with Proxy-Authenticate when
   * `proxy` (§22.3).
   */
  challenge(request: SipRequest, options: { proxy?: boolean; stale?: boolean; toTag?: string } = {}): SipResponse {
    const header = options.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    return createResponse(request, options.proxy ? 407 : 401, {
      headers: this.challengeValues(options).map((v) => [header, v] as [string, string]),
      ...(options.toTag !== undefined ? { toTag: options.toTag } : {}),
    });
  }

  /** The credentials of `request` addressed to this realm, if any. */
  credentialsOf(request: SipRequest, options: { proxy?: boolean } = {}): DigestCredentials | undefined | 'malformed' {
    let malformed = false;
    for (const v of request.headers.getAll(options.proxy ? 'proxy-authorization' : 'authorization')) {
      try {
        const c = parseCredentials(v);
        if (c.realm === this.realm) return c;
      } catch {
        malformed = true;
      }
    }
    return malformed ? 'malformed' : undefined;
  }

  /** Verify the request's credentials against the user's secret. */
  verify(request: SipRequest, secret: ServerSecret, options: { proxy?: boolean } = {}): DigestVerifyResult {
    const c = this.credentialsOf(request, options);
    if (c === undefined) return { ok: false, reason: 'missing', stale: false };
    if (c === 'malformed') return { ok: false, reason: 'malformed', stale: false };
    return this.verifyCredentials(request, c, secret);
  }

  /** Verify already-parsed credentials (look the user up with `credentials.username` first). */
  verifyCredentials(request: SipRequest, c: DigestCredentials, secret: ServerSecret): DigestVerifyResult {
    const fail = (reason: DigestFailure, stale = false): DigestVerifyResult => ({ ok: false, reason, stale, credentials: c });
    if (c.realm !== this.realm) return fail('realm');
    if (!this.algorithms.includes(c.algorithm)) return fail('algorithm');
    if (c.opaque !== undefined && c.opaque !== this.opaque) return fail('opaque');
    // Without qop there is no nonce-count, hence no replay protection: refused (RFC 7616 §3.3
    // makes qop mandatory).
    if (c.qop !== 'auth' && !(c.qop === 'auth-int' && this.authInt)) return fail('qop');
    if (c.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(c.nc) || c.cnonce === undefined || c.cnonce.length === 0) return fail('nc');
    const nc = parseInt(c.nc, 16);
    if (nc === 0) return fail('nc');
    if (this.checkUri && !sameUri(c.uri, request.uriText)) return fail('uri');

    const nonce = this.nonces.check(c.nonce, this.realm);
    if (nonce.status === 'invalid') return fail('nonce');

    let ha1: string;
    if ('password' in secret) {
      ha1 = computeHA1(c.algorithm, c.username, this.realm, secret.password, c.nonce, c.cnonce);
    } else {
      if (secret.algorithm !== undefined && digestBase(secret.algorithm) !== digestBase(c.algorithm)) return fail('algorithm');
      ha1 = sessionHA1(c.algorithm, secret.ha1.toLowerCase(), c.nonce, c.cnonce);
    }
    const expected = computeDigestResponse({
      algorithm: c.algorithm,
      ha1,
      nonce: c.nonce,
      method: request.method,
      uri: c.uri,
      qop: c.qop as 'auth' | 'auth-int',
      nc: c.nc,
      cnonce: c.cnonce,
      body: request.body,
    });
    if (!safeEqualHex(expected, c.response)) return fail('response');
    // The password was right: an expired nonce is only "stale" (RFC 7616 §3.3).
    if (nonce.status === 'expired') return fail('nonce', true);
    const use = this.nonces.useCount(c.nonce, nonce.issuedAt, nc);
    if (use === 'replay') return fail('replay');
    if (use === 'untracked') return fail('nonce', true);
    return { ok: true, username: c.username, credentials: c };
  }

  /**
   * Look the user up and verify; on failure, the 401/407 to send (with stale=true when
   * appropriate) is included.
   */
  async authenticate(
    request: SipRequest,
    lookup: (username: string, realm: string) => ServerSecret | undefined | Promise<ServerSecret | undefined>,
    options: { proxy?: boolean } = {},
  ): Promise<DigestVerifyResult & { challenge?: SipResponse }> {
    const c = this.credentialsOf(request, options);
    let result: DigestVerifyResult;
    if (c === undefined) result = { ok: false, reason: 'missing', stale: false };
    else if (c === 'malformed') result = { ok: false, reason: 'malformed', stale: false };
    else {
      const secret = await lookup(c.username, c.realm);
      result = secret === undefined ? { ok: false, reason: 'unknown-user', stale: false, credentials: c } : this.verifyCredentials(request, c, secret);
    }
    if (result.ok) return result;
    return { ...result, challenge: this.challenge(request, { ...options, stale: result.stale }) };
  }
}

function digestBase(a: DigestAlgorithm): string {
  return a.replace(/-sess$/, '');
}

function sameUri(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return uriEquals(parseUri(a), parseUri(b));
  } catch {
    return false;
  }
}
