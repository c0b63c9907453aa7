/**
 * The transport layer contract (RFC 3261 §18).
 *
 * A transport owns sockets, turns octets into parsed messages and back, and knows nothing
 * about transactions. Messages that cannot even be parsed are handled here (§18.3: answer
 * 400 when possible, else drop) because only the transport knows where they came from;
 * semantic checks are left to the transaction layer.
 */
import { isIPv6 } from 'node:net';
import type { SipParseError } from '../errors.js';
import type { SipMessage } from '../message/message.js';
import type { Rejection } from '../message/rejection.js';
import type { Unsubscribe } from '../listeners.js';

export { Listeners, type Unsubscribe } from '../listeners.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';
export type AddressFamily = 'IPv4' | 'IPv6';

/** Where to send: an IP address (or a name the OS resolver can look up) and a port. */
export interface Destination {
  host: string;
  port: number;
}

/** Where a message came from. */
export interface RemoteInfo {
  address: string;
  port: number;
  family: AddressFamily;
  protocol: TransportProtocol;
  /** Identifies the TCP/TLS connection it arrived on (stream transports only). */
  connectionId?: number;
}

export interface LocalInfo {
  address: string;
  port: number;
  family: AddressFamily;
}

export interface InboundMessage {
  message: SipMessage;
  remote: RemoteInfo;
  transport: Transport;
}

export interface InvalidInbound {
  error: SipParseError;
  /** What was done about it (the transport already sent the response when `respond`). */
  rejection: Rejection;
  remote: RemoteInfo;
  transport: Transport;
  /** The offending octets (possibly truncated to the header section). */
  data: Buffer;
}


export interface Transport {
  readonly protocol: TransportProtocol;
  /** Reliable transports (TCP, TLS) get no retransmissions (§17.1.1.2, §17.1.2.2). */
  readonly reliable: boolean;
  readonly secure: boolean;
  readonly family: AddressFamily;
  /** Bound address; valid after {@link listen} resolved. */
  readonly local: LocalInfo;
  /** host[:port] to put in Via sent-by (§18.1.1), honouring an advertised address. */
  readonly sentBy: { host: string; port: number };
  listen(): Promise<LocalInfo>;
  /**
   * Send a message or pre-serialised octets. Resolves once handed to the OS; rejects with
   * SipTransportError on failure (the transaction layer reports it as a transport error,
   * §8.1.3.1).
   */
  send(data: SipMessage | Buffer, destination: Destination): Promise<void>;
  close(): Promise<void>;
  onMessage(handler: (m: InboundMessage) => void): Unsubscribe;
  onInvalid(handler: (i: InvalidInbound) => void): Unsubscribe;
  onError(handler: (e: Error) => void): Unsubscribe;
}

export interface TransportOptionsBase {
  /** Address to bind (default "0.0.0.0"; use "::" or "::1" for IPv6). */
  host?: string;
  /** Port to bind (default 5060, 5061 for TLS; 0 = ephemeral). */
  port?: number;
  /** Address/port to advertise in Via and Contact when behind NAT or bound to a wildcard. */
  advertisedHost?: string;
  advertisedPort?: number;
  /** Largest message accepted, in octets (default 64 KiB). */
  maxMessageSize?: number;
  /** Largest number of header lines accepted (default 200). */
  maxHeaders?: number;
  /** Answer unparseable requests with 400 (default true). */
  autoReject?: boolean;
}

/** "::ffff:192.0.2.1" → "192.0.2.1"; lower-case IPv6. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

export function familyOf(address: string): AddressFamily {
  return isIPv6(address) ? 'IPv6' : 'IPv4';
}

export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** Key under which connections are found again (§18.2.2 reuse by remote address). */
export function endpointKey(host: string, port: number): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return `${normalizeAddress(h)}|${port}`;
}
