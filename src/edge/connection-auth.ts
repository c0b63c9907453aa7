/**
 * Digest authentication of a peer *as one of our connections* (RFC 3261 §22, RFC 7616): REGISTER answers
 * 401/WWW-Authenticate, a dialog-creating request answers 407/Proxy-Authenticate (§22.3). The secret is the
 * connection's `connection-sip-registration-username` / `-password` / `-realm` (a Wavix digest trunk's
 * `name` and `password` land in the same fields).
 *
 * Outcomes, chosen so a peer cannot tell an unknown user from a wrong password before it has answered a
 * challenge, and so a correct password on an expired nonce is a retry (stale=true), never a failure:
 * - no credentials                       → challenge (realm of the To/From user's connection, else the default)
 * - credentials for nobody we know       → 403
 * - right user, request from a forbidden address (source-IP checking on) → 403
 * - wrong password                       → 403
 * - expired / unknown / replayed nonce   → new challenge (stale=true when the password was right)
 * - unusable Authorization               → 400 naming the problem
 */
import { randomBytes } from 'node:crypto';
import {
  createResponse,
  DigestServer,
  parseCredentials,
  type DigestAlgorithm,
  type DigestCredentials,
  type SipRequest,
  type SipResponse,
} from '../sip/index.js';
import { SYSTEM_DOMAIN, type Connection } from '../model/index.js';
import { sourceAllowed, type ConnectionIndex, type IndexedConnection } from './connection-index.js';

export interface ConnectionAuthOptions {
  /** Realm for connections without `connection-sip-registration-realm` whose domain is `*`. */
  defaultRealm: string;
  /** Offered in this order (the first is what most clients pick). */
  algorithms: DigestAlgorithm[];
  /** HMAC key for nonces; edges sharing it accept each other's nonces. */
  secret?: Buffer | string;
  nonceLifetimeMs?: number;
}

export type AuthOutcome =
  | { readonly kind: 'ok'; readonly connection: IndexedConnection }
  | { readonly kind: 'respond'; readonly response: SipResponse; readonly why: string };

/** Connections a peer can authenticate as: those that require SIP authentication and have credentials. */
export function authenticates(c: Connection): boolean {
  return c.requireSipAuthentication && c.authUsername !== '' && c.authPassword !== '';
}

export class ConnectionAuthenticator {
  readonly #servers = new Map<string, DigestServer>();
  readonly #secret: Buffer | string;
  readonly #opaque = randomBytes(12).toString('base64url');

  constructor(private readonly options: ConnectionAuthOptions) {
    this.#secret = options.secret ?? randomBytes(32);
  }

  realmOf(c: Connection): string {
    if (c.authRealm !== '') return c.authRealm;
    return c.domain === SYSTEM_DOMAIN ? this.options.defaultRealm : c.domain;
  }

  #server(realm: string): DigestServer {
    let s = this.#servers.get(realm);
    if (s === undefined) {
      s = new DigestServer({
        realm,
        algorithms: this.options.algorithms,
        secret: this.#secret,
        opaque: this.#opaque,
        ...(this.options.nonceLifetimeMs === undefined ? {} : { lifetimeMs: this.options.nonceLifetimeMs }),
      });
      // Realms come from stored connections; a deleted connection's realm costs one small object until restart.
      this.#servers.set(realm, s);
    }
    return s;
  }

  /**
   * @param hintUser the user part the peer claims before it has credentials (To of a REGISTER, From of an
   *   INVITE), only used to pick the realm of the first challenge.
   */
  authenticate(
    req: SipRequest,
    index: ConnectionIndex,
    sourceIp: string,
    opts: { proxy: boolean; hintUser: string | undefined; toTag?: string },
  ): AuthOutcome {
    const header = opts.proxy ? 'proxy-authorization' : 'authorization';
    const values = req.headers.getAll(header);
    const challenge = (realm: string, stale: boolean, why: string): AuthOutcome => ({
      kind: 'respond',
      response: this.#server(realm).challenge(req, { proxy: opts.proxy, stale, ...(opts.toTag === undefined ? {} : { toTag: opts.toTag }) }),
      why,
    });
    const reject = (status: number, reason: string, why: string): AuthOutcome => ({
      kind: 'respond',
      response: createResponse(req, status, { reason, ...(opts.toTag === undefined ? {} : { toTag: opts.toTag }) }),
      why,
    });

    if (values.length === 0) {
      const hinted = opts.hintUser === undefined ? [] : index.byAuthUsername(opts.hintUser).filter((ic) => authenticates(ic.connection));
      const first = hinted[0];
      return challenge(first === undefined ? this.options.defaultRealm : this.realmOf(first.connection), false, 'no credentials');
    }

    let credentials: DigestCredentials | undefined;
    for (const v of values) {
      try {
        credentials = parseCredentials(v);
        break;
      } catch (err) {
        const detail = err instanceof Error && 'detail' in err ? String((err as { detail?: unknown }).detail ?? '') : '';
        if (values.length === 1) return reject(400, `Invalid ${opts.proxy ? 'Proxy-Authorization' : 'Authorization'} Header`, detail || 'unparseable credentials');
      }
    }
    if (credentials === undefined) return reject(400, 'Invalid Authorization Header', 'no usable credentials');

    const users = index.byAuthUsername(credentials.username).filter((ic) => authenticates(ic.connection));
    if (users.length === 0) return reject(403, 'Forbidden', `unknown user ${credentials.username}`);
    const inRealm = users.filter((ic) => this.realmOf(ic.connection) === credentials.realm);
    if (inRealm.length === 0) return challenge(this.realmOf(users[0]!.connection), false, `realm ${credentials.realm} is not the user's`);
    const allowed = inRealm.filter((ic) => sourceAllowed(ic, sourceIp));
    if (allowed.length === 0) return reject(403, 'Source Address Not Allowed', `source ${sourceIp} not allowed for ${credentials.username}`);

    let retry: { stale: boolean; why: string } | undefined;
    for (const ic of allowed) {
      const server = this.#server(credentials.realm);
      const r = server.verifyCredentials(req, credentials, { password: ic.connection.authPassword });
      if (r.ok) return { kind: 'ok', connection: ic };
      switch (r.reason) {
        case 'response':
          continue; // maybe another connection with the same username and realm
        case 'nonce':
        case 'replay':
        case 'opaque':
        case 'algorithm':
        case 'realm':
          retry ??= { stale: r.stale, why: r.reason };
          continue;
        default:
          return reject(400, `Invalid ${opts.proxy ? 'Proxy-Authorization' : 'Authorization'} Header`, `digest ${r.reason}`);
      }
    }
    if (retry !== undefined) return challenge(credentials.realm, retry.stale, `digest ${retry.why}`);
    return reject(403, 'Forbidden', `wrong password for ${credentials.username}`);
  }
}
