/**
 * UDP transport (RFC 3261 §18.1.1, §18.2.1, §18.3) over node:dgram, IPv4 or IPv6.
 *
 * One datagram is one message: octets after Content-Length are discarded (§18.3), a
 * Content-Length larger than the datagram is an error, and nothing that arrives can throw
 * out of the socket handler — a malformed datagram is answered with 400 when its Via is
 * readable, otherwise dropped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { SipTransportError } from '../errors.js';
import type { SipMessage } from '../message/message.js';
import { tryParseMessage } from '../message/parser.js';
import { rejectionForParseError } from '../message/rejection.js';
import { serializeMessage } from '../message/serializer.js';
import {
  Listeners,
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
  type Unsubscribe,
} from './transport.js';

export type UdpTransportOptions = TransportOptionsBase;

/** Largest UDP payload (65535 - 8 UDP header - 20 IPv4 header). */
export const MAX_UDP_PAYLOAD = 65507;
/** Receive buffer asked of the OS for a SIP UDP socket. */
export const UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly family: AddressFamily;
  private socket: Socket | undefined;
  private localInfo: LocalInfo;
  private readonly options: UdpTransportOptions;
  private readonly messages = new Listeners<InboundMessage>();
  private readonly invalids = new Listeners<InvalidInbound>();
  private readonly errors = new Listeners<Error>();
  private closed = false;

  constructor(options: UdpTransportOptions = {}) {
    this.options = options;
    const host = options.host ?? '0.0.0.0';
    this.family = isIPv6(host) ? 'IPv6' : 'IPv4';
    this.localInfo = { address: host, port: options.port ?? 5060, family: this.family };
  }

  get local(): LocalInfo {
    return this.localInfo;
  }

  get sentBy(): { host: string; port: number } {
    return {
      host: this.options.advertisedHost ?? this.localInfo.address,
      port: this.options.advertisedPort ?? this.localInfo.port,
    };
  }

  listen(): Promise<LocalInfo> {
    return new Promise((resolve, reject) => {
      // A larger receive buffer than the OS default (~208 KiB on Linux) absorbs bursts instead of dropping
      // datagrams, which the peer then retransmits (bench:cps saw drops at 500-700 calls/s with the default;
      // Kamailio asks for more too). The kernel caps it at net.core.rmem_max.
      const socket = createSocket({
        type: this.family === 'IPv6' ? 'udp6' : 'udp4',
        ipv6Only: this.family === 'IPv6',
        recvBufferSize: UDP_RECEIVE_BUFFER_BYTES,
      });
      this.socket = socket;
      const onBindError = (err: Error): void => {
        reject(new SipTransportError('BIND_FAILED', `UDP bind ${this.localInfo.address}:${this.localInfo.port} failed: ${err.message}`, { cause: err }));
      };
      socket.once('error', onBindError);
      socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
      socket.bind(this.localInfo.port, this.localInfo.address, () => {
        socket.off('error', onBindError);
        socket.on('error', (err) => this.errors.emit(err));
        const a = socket.address();
        this.localInfo = { address: a.address, port: a.port, family: this.family };
        resolve(this.localInfo);
      });
    });
  }

  private onDatagram(data: Buffer, address: string, port: number): void {
    try {
      // Keep-alives: CRLF-only datagrams (RFC 5626 §3.5.1 style) and STUN (first byte 0x00/0x01,
      // RFC 5389 §6) are ignored.
      let i = 0;
      while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) i++;
      if (i === data.length || data[0] === 0x00 || data[0] === 0x01) return;
      const remote: RemoteInfo = { address: normalizeAddress(address), port, family: familyOf(address), protocol: 'udp' };
      const r = tryParseMessage(data, {
        framing: 'datagram',
        ...(this.options.maxMessageSize !== undefined ? { maxMessageSize: this.options.maxMessageSize } : {}),
        ...(this.options.maxHeaders !== undefined ? { maxHeaders: this.options.maxHeaders } : {}),
      });
      if (r.ok) {
        this.report(this.messages.emit({ message: r.message, remote, transport: this }));
        return;
      }
      const rejection = rejectionForParseError(r.error);
      if (rejection.action === 'respond' && (this.options.autoReject ?? true)) {
        // The request could not be parsed, so its Via cannot be trusted for routing: answer
        // the source address and port (what rport would do, RFC 3581 §4).
        this.send(rejection.response, { host: remote.address, port: remote.port }).catch((e: unknown) => this.report([e]));
      }
      this.report(this.invalids.emit({ error: r.error, rejection, remote, transport: this, data }));
    } catch (e) {
      this.report([e]);
    }
  }

  private report(errs: unknown[]): void {
    for (const e of errs) this.errors.emit(e instanceof Error ? e : new Error(String(e)));
  }

  send(data: SipMessage | Buffer, destination: Destination): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closed) return Promise.reject(new SipTransportError('CLOSED', 'UDP transport is not open'));
    let buf: Buffer;
    try {
      buf = Buffer.isBuffer(data) ? data : serializeMessage(data);
    } catch (e) {
      return Promise.reject(new SipTransportError('SEND_FAILED', 'could not serialise message', { cause: e }));
    }
    if (buf.length > MAX_UDP_PAYLOAD) {
      // §18.1.1 would switch to TCP above the path MTU; choosing another transport is the
      // caller's business, we only refuse what UDP cannot carry at all.
      return Promise.reject(new SipTransportError('MESSAGE_TOO_LARGE', `message of ${buf.length} octets does not fit in a datagram`));
    }
    const host = destination.host.startsWith('[') ? destination.host.slice(1, -1) : destination.host;
    return new Promise((resolve, reject) => {
      try {
        socket.send(buf, destination.port, host, (err) => {
          if (err) reject(new SipTransportError('SEND_FAILED', `UDP send to ${host}:${destination.port} failed: ${err.message}`, { cause: err }));
          else resolve();
        });
      } catch (e) {
        reject(new SipTransportError('SEND_FAILED', `UDP send to ${host}:${destination.port} failed`, { cause: e }));
      }
    });
  }

  close(): Promise<void> {
    if (this.closed || !this.socket) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closed = true;
    const socket = this.socket;
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  onMessage(handler: (m: InboundMessage) => void): Unsubscribe {
    return this.messages.add(handler);
  }

  onInvalid(handler: (i: InvalidInbound) => void): Unsubscribe {
    return this.invalids.add(handler);
  }

  onError(handler: (e: Error) => void): Unsubscribe {
    return this.errors.add(handler);
  }
}
