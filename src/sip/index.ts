/**
 * trunkline SIP library: a SIP stack that knows nothing about trunks.
 *
 * Layers (bottom up): message (parse / serialise / validate, RFC 3261 §7, §20, §25),
 * transport (UDP, TCP, TLS, RFC 3261 §18), transaction (RFC 3261 §17, RFC 6026), auth
 * (Digest, RFC 7616 / RFC 3261 §22). See docs/sip.md.
 */
export * from './errors.js';
export { Listeners, type Unsubscribe } from './listeners.js';

// message
export * from './message/charset.js';
export * from './message/headers.js';
export * from './message/params.js';
export * from './message/uri.js';
export * from './message/name-addr.js';
export * from './message/via.js';
export * from './message/cseq.js';
export * from './message/message.js';
export * from './message/parser.js';
export * from './message/serializer.js';
export * from './message/builders.js';
export * from './message/ids.js';
export * from './message/validation.js';
export * from './message/rejection.js';

// transport
export {
  defaultPort,
  endpointKey,
  familyOf,
  normalizeAddress,
  type AddressFamily,
  type Destination,
  type InboundMessage,
  type InvalidInbound,
  type LocalInfo,
  type RemoteInfo,
  type Transport,
  type TransportOptionsBase,
  type TransportProtocol,
} from './transport/transport.js';
export * from './transport/udp.js';
export * from './transport/stream-framer.js';
export * from './transport/stream-transport.js';
export * from './transport/tcp.js';
export * from './transport/tls.js';

// transaction
export * from './transaction/timers.js';
export * from './transaction/transaction.js';
export * from './transaction/client-transaction.js';
export * from './transaction/server-transaction.js';
export * from './transaction/invite-client-transaction.js';
export * from './transaction/non-invite-client-transaction.js';
export * from './transaction/invite-server-transaction.js';
export * from './transaction/non-invite-server-transaction.js';
export * from './transaction/transaction-layer.js';

// auth
export * from './auth/nonce-store.js';
export * from './auth/digest.js';
