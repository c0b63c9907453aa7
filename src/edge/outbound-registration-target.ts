/**
 * Which connections register outward, and what their REGISTER looks like (RFC 3261 §10.2).
 *
 * A connection registers with its carrier when it is a carrier trunk (NetSapiens `connection-is-carrier-trunk`),
 * authenticates as a client (`connection-sip-authenticate-as-client-enabled`), and has a username
 * (`connection-sip-registration-username`) and a usable `connection-address` (not empty, not `dynamic`). The
 * address is where the REGISTER goes, exactly as a call to the connection would (same parsing, `sips:` = TLS,
 * `maddr` honoured, else the connection's transport).
 */
import { isIP } from 'node:net';
import { defaultPort, formatHost, SipUri, type Destination, type TransportProtocol } from '../sip/index.js';
import type { Connection } from '../model/index.js';
import { parseAddress, transportOf } from './calls/routing.js';

export interface RegistrationTarget {
  readonly connectionId: number;
  readonly domain: string;
  /**
   * §10.2: "The To header field contains the address of record whose registration is to be created" and
   * From "is the same as the To header field unless the request is a third-party registration".
   */
  readonly aor: string;
  /**
   * §10.2: "The Request-URI names the domain of the location service for which the registration is meant
   * (for example, "sip:chicago.com"). The "userinfo" and "@" components of the SIP URI MUST NOT be present."
   */
  readonly requestUri: string;
  readonly destination: Destination;
  readonly transport: TransportProtocol;
  readonly username: string;
  readonly password: string;
  /** `connection-sip-registration-realm`: when set, a challenge for another realm is not answered. */
  readonly realm: string;
  /** Everything above in one string: a connection whose key changed registers anew. */
  readonly key: string;
}

/** The rule (docs/edge.md, "Outbound REGISTER"). */
export function registersOutward(c: Connection): boolean {
  return c.isCarrierTrunk && c.authenticateAsClient && c.authUsername !== '' && parseAddress(c.address) !== undefined;
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * The host of the address of record: the address's host when it is a name (`sip.carrier.example`); when the
 * address is an IP literal (an outbound proxy, a carrier's registrar by IP), the realm if one is configured,
 * since carriers whose realm is their domain expect `user@domain`, not `user@203.0.113.5`. A realm that is not
 * a host name (`Carrier Realm`) is never used.
 */
function aorHost(addressHost: string, realm: string): string {
  if (isIP(addressHost) !== 0 && HOSTNAME.test(realm)) return realm.toLowerCase();
  return formatHost(addressHost);
}

/** The REGISTER target of a connection, or undefined when it does not register outward. */
export function registrationTarget(c: Connection): RegistrationTarget | undefined {
  if (!registersOutward(c)) return undefined;
  const uri = parseAddress(c.address)!;
  const transport: TransportProtocol = uri.scheme === 'sips' ? 'tls' : transportOf(c.transport);
  const maddr = uri.params.get('maddr');
  const host = typeof maddr === 'string' ? maddr : uri.hostname;
  const requestUri = new SipUri({ scheme: uri.scheme, host: uri.host, ...(uri.port === undefined ? {} : { port: uri.port }) });
  if (transport !== 'udp' && uri.scheme !== 'sips') requestUri.params.set('transport', transport);
  const aor = SipUri.fromParts(c.authUsername, aorHost(uri.hostname, c.authRealm), undefined, uri.scheme).toString();
  const fields = {
    connectionId: c.id,
    domain: c.domain,
    aor,
    requestUri: requestUri.toString(),
    destination: { host, port: uri.port ?? defaultPort(transport) },
    transport,
    username: c.authUsername,
    password: c.authPassword,
    realm: c.authRealm,
  };
  return { ...fields, key: JSON.stringify(fields) };
}
