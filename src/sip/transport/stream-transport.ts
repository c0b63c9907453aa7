/**
 * Shared machinery of the connection-oriented transports, TCP and TLS (RFC 3261 §18).
 *
 * - Connections are kept in a table keyed by remote address and port, whichever side opened
 *   them. A response is written on the connection its request arrived on, as §18.2.2
 *   requires; a request to an address we already have a connection with reuses it.
 * - Each connection runs a {@link StreamFramer}; framing errors are answered (400 / 513) and
 *   the connection is closed, since the byte stream cannot be re-synchronised.
 * - Idle connections are closed after `idleTimeoutMs` without traffic.
 */
import type { Server, Socket } from 'node:net';
import { SipTransportError } from '../errors.js';
import type { SipMessage } from '../message/message.js';
import { tryParseMessage } from '../message/parser.js';
import { rejectionForParseError } from '../message/rejection.js';
import { serializeMessage } from '../message/serializer.js';
import { StreamFramer, rejectionForFramingError } from './stream-framer.js';
import {
  Listeners,
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
  type Unsubscribe,
} from './transport.js';
import { isIPv6 } from 'node:net';

export interface StreamTransportOptions extends TransportOptionsBase {
  /** Close a connection after this long without traffic (default 120 s). */
  idleTimeoutMs?: number;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Refuse inbound connections beyond this many (default 10 000). */
  maxConnections?: number;
}

let nextConnectionId = 1;

/** One TCP or TLS connection with its framer. */
export class StreamConnection {
  readonly id = nextConnectionId++;
  readonly socket: Socket;
  readonly framer: StreamFramer;
  /** Remote address/port (normalised); for outbound connections known once connected. */
  remote: RemoteInfo;
  readonly outbound: boolean;
  keys = new Set<string>();

  constructor(socket: Socket, framer: StreamFramer, remote: RemoteInfo, outbound: boolean) {
    this.socket = socket;
    this.framer = framer;
    this.remote = remote;
    this.outbound = outbound;
  }

  write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(new SipTransportError('CLOSED', `connection ${this.id} is closed`));
        return;
      }
      this.socket.write(buf, (err) => {
        if (err) reject(new SipTransportError('SEND_FAILED', `write on connection ${this.id} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }
}

export abstract class StreamTransport implements Transport {
  abstract readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  abstract readonly secure: boolean;
  readonly family: AddressFamily;
  protected server: Server | undefined;
  protected readonly options: StreamTransportOptions;
  private localInfo: LocalInfo;
  private readonly connections = new Map<string, StreamConnection>();
  private readonly all = new Set<StreamConnection>();
  private readonly messages = new Listeners<InboundMessage>();
  private readonly invalids = new Listeners<InvalidInbound>();
  private readonly errors = new Listeners<Error>();
  private closed = false;

  constructor(options: StreamTransportOptions, defaultPortValue: number) {
    this.options = options;
    const host = options.host ?? '0.0.0.0';
    this.family = isIPv6(host) ? 'IPv6' : 'IPv4';
    this.localInfo = { address: host, port: options.port ?? defaultPortValue, family: this.family };
  }

  /** Create the listening server; `onSocket` must be called for each accepted connection. */
  protected abstract createServer(onSocket: (socket: Socket) => void): Server;
  /** Open an outbound connection. */
  protected abstract connectSocket(host: string, port: number): Socket;
  /** Event that signals an outbound connection is ready ("connect" or "secureConnect"). */
  protected abstract readonly readyEvent: string;

  get local(): LocalInfo {
    return this.localInfo;
  }

  get sentBy(): { host: string; port: number } {
    return {
      host: this.options.advertisedHost ?? this.localInfo.address,
      port: this.options.advertisedPort ?? this.localInfo.port,
    };
  }

  /** Number of open connections (for tests and metrics). */
  get connectionCount(): number {
    return this.all.size;
  }

  listen(): Promise<LocalInfo> {
    return new Promise((resolve, reject) => {
      let server: Server;
      try {
        server = this.createServer((socket) => this.accept(socket));
      } catch (e) {
        reject(e instanceof SipTransportError ? e : new SipTransportError('BIND_FAILED', 'could not create server', { cause: e }));
        return;
      }
      this.server = server;
      server.maxConnections = this.options.maxConnections ?? 10_000;
      const onError = (err: Error): void => {
        reject(new SipTransportError('BIND_FAILED', `${this.protocol} listen ${this.localInfo.address}:${this.localInfo.port} failed: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ port: this.localInfo.port, host: this.localInfo.address, ipv6Only: this.family === 'IPv6' }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.errors.emit(err));
        const a = server.address();
        if (a && typeof a === 'object') this.localInfo = { address: a.address, port: a.port, family: this.family };
        resolve(this.localInfo);
      });
    });
  }

  private accept(socket: Socket): void {
    try {
      if (this.closed) {
        socket.destroy();
        return;
      }
      const address = normalizeAddress(socket.remoteAddress ?? '');
      const remote: RemoteInfo = {
        address,
        port: socket.remotePort ?? 0,
        family: familyOf(address),
        protocol: this.protocol,
      };
      const conn = this.register(socket, remote, false);
      this.index(conn, endpointKey(remote.address, remote.port));
    } catch (e) {
      socket.destroy();
      this.errors.emit(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private register(socket: Socket, remote: RemoteInfo, outbound: boolean): StreamConnection {
    const framer = new StreamFramer({ maxMessageSize: this.options.maxMessageSize ?? 64 * 1024 });
    const conn = new StreamConnection(socket, framer, remote, outbound);
    conn.remote.connectionId = conn.id;
    this.all.add(conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 120_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => {
      /* reported through write callbacks / close; never thrown */
    });
    socket.on('close', () => this.forget(conn));
    return conn;
  }

  private index(conn: StreamConnection, key: string): void {
    conn.keys.add(key);
    this.connections.set(key, conn);
  }

  private forget(conn: StreamConnection): void {
    this.all.delete(conn);
    for (const k of conn.keys) if (this.connections.get(k) === conn) this.connections.delete(k);
  }

  private onData(conn: StreamConnection, chunk: Buffer): void {
    let events;
    try {
      events = conn.framer.push(chunk);
    } catch (e) {
      this.errors.emit(e instanceof Error ? e : new Error(String(e)));
      conn.socket.destroy();
      return;
    }
    for (const ev of events) {
      try {
        if (ev.type === 'ping') {
          // RFC 5626 §3.5.1: answer a double-CRLF ping with a single CRLF pong.
          if (conn.socket.writable) conn.socket.write('\r\n');
        } else if (ev.type === 'message') {
          this.onFrame(conn, ev.data);
        } else if (ev.type === 'error') {
          const rejection = rejectionForFramingError(ev.error, ev.head);
          if (rejection.action === 'respond' && (this.options.autoReject ?? true) && conn.socket.writable) {
            conn.socket.end(serializeMessage(rejection.response));
          } else conn.socket.end();
          // Make sure a peer that never reads cannot keep the socket alive.
          setTimeout(() => conn.socket.destroy(), 1000).unref();
          this.invalids.emit({ error: ev.error, rejection, remote: conn.remote, transport: this, data: ev.head ?? Buffer.alloc(0) });
        }
      } catch (e) {
        this.errors.emit(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  private onFrame(conn: StreamConnection, data: Buffer): void {
    const r = tryParseMessage(data, {
      framing: 'stream',
      ...(this.options.maxMessageSize !== undefined ? { maxMessageSize: this.options.maxMessageSize } : {}),
      ...(this.options.maxHeaders !== undefined ? { maxHeaders: this.options.maxHeaders } : {}),
    });
    if (r.ok) {
      for (const e of this.messages.emit({ message: r.message, remote: conn.remote, transport: this })) {
        this.errors.emit(e instanceof Error ? e : new Error(String(e)));
      }
      return;
    }
    // The frame was well delimited, so the connection stays usable: answer and carry on.
    const rejection = rejectionForParseError(r.error);
    if (rejection.action === 'respond' && (this.options.autoReject ?? true)) {
      conn.write(serializeMessage(rejection.response)).catch(() => undefined);
    }
    this.invalids.emit({ error: r.error, rejection, remote: conn.remote, transport: this, data });
  }

  /** Existing open connection to that address/port, if any. */
  findConnection(host: string, port: number): StreamConnection | undefined {
    const c = this.connections.get(endpointKey(host, port));
    return c && !c.socket.destroyed ? c : undefined;
  }

  send(data: SipMessage | Buffer, destination: Destination): Promise<void> {
    if (this.closed) return Promise.reject(new SipTransportError('CLOSED', `${this.protocol} transport is closed`));
    let buf: Buffer;
    try {
      buf = Buffer.isBuffer(data) ? data : serializeMessage(data);
    } catch (e) {
      return Promise.reject(new SipTransportError('SEND_FAILED', 'could not serialise message', { cause: e }));
    }
    const existing = this.findConnection(destination.host, destination.port);
    if (existing) return existing.write(buf);
    return this.connect(destination).then((conn) => conn.write(buf));
  }

  private connect(destination: Destination): Promise<StreamConnection> {
    const host = destination.host.startsWith('[') ? destination.host.slice(1, -1) : destination.host;
    return new Promise((resolve, reject) => {
      let socket: Socket;
      try {
        socket = this.connectSocket(host, destination.port);
      } catch (e) {
        reject(new SipTransportError('CONNECT_FAILED', `cannot connect to ${host}:${destination.port}`, { cause: e }));
        return;
      }
      const remote: RemoteInfo = { address: normalizeAddress(host), port: destination.port, family: familyOf(host), protocol: this.protocol };
      const conn = this.register(socket, remote, true);
      // Index immediately so concurrent sends to the same destination share the connection.
      this.index(conn, endpointKey(host, destination.port));
      const timer = setTimeout(() => {
        socket.destroy(new Error('connect timeout'));
      }, this.options.connectTimeoutMs ?? 10_000);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        this.forget(conn);
        reject(new SipTransportError('CONNECT_FAILED', `cannot connect to ${host}:${destination.port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once(this.readyEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (socket.remoteAddress) {
          const address = normalizeAddress(socket.remoteAddress);
          conn.remote = { ...conn.remote, address, family: familyOf(address) };
          this.index(conn, endpointKey(address, socket.remotePort ?? destination.port));
        }
        resolve(conn);
      });
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.connections.clear();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
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
