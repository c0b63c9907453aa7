/**
 * TLS transport (RFC 3261 §18, §26.2.1; node:tls), IPv4 or IPv6.
 *
 * The certificate and key are PEM, given as file paths or buffers/strings. Outbound
 * connections verify the peer certificate against `ca` (or the system store) unless
 * `rejectUnauthorized: false` — which only tests and lab setups should use.
 */
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { connect, createServer, type SecureContextOptions } from 'node:tls';
import { SipTransportError } from '../errors.js';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';

/** PEM text, a Buffer holding PEM, or a path to a PEM file. */
export type PemSource = string | Buffer;

export interface TlsTransportOptions extends StreamTransportOptions {
  cert: PemSource;
  key: PemSource;
  /** Trusted CAs for verifying peers (default: Node's built-in store). */
  ca?: PemSource | PemSource[];
  /** Verify the peer certificate on outbound connections (default true). */
  rejectUnauthorized?: boolean;
  /** Ask inbound clients for a certificate (mutual TLS). Default false. */
  requestClientCert?: boolean;
  /** Server name for SNI and certificate checks on outbound connections (default: destination host). */
  servername?: string;
  minVersion?: SecureContextOptions['minVersion'];
}

function loadPem(src: PemSource): Buffer {
  if (Buffer.isBuffer(src)) return src;
  if (src.includes('-----BEGIN')) return Buffer.from(src, 'utf8');
  try {
    return readFileSync(src);
  } catch (e) {
    throw new SipTransportError('TLS_CONFIG', `cannot read PEM file ${src}`, { cause: e });
  }
}

export class TlsTransport extends StreamTransport {
  readonly protocol = 'tls' as const;
  readonly secure = true;
  protected readonly readyEvent = 'secureConnect';
  private readonly cert: Buffer;
  private readonly key: Buffer;
  private readonly ca: Buffer[] | undefined;
  private readonly tlsOptions: TlsTransportOptions;

  constructor(options: TlsTransportOptions) {
    super(options, 5061);
    this.tlsOptions = options;
    this.cert = loadPem(options.cert);
    this.key = loadPem(options.key);
    this.ca = options.ca === undefined ? undefined : (Array.isArray(options.ca) ? options.ca : [options.ca]).map(loadPem);
  }

  protected createServer(onSocket: (socket: Socket) => void): Server {
    const server = createServer(
      {
        cert: this.cert,
        key: this.key,
        ...(this.ca ? { ca: this.ca } : {}),
        requestCert: this.tlsOptions.requestClientCert ?? false,
        rejectUnauthorized: this.tlsOptions.requestClientCert ?? false,
        minVersion: this.tlsOptions.minVersion ?? 'TLSv1.2',
      },
      onSocket,
    );
    // A failed handshake must not take the listener down.
    server.on('tlsClientError', () => undefined);
    return server;
  }

  protected connectSocket(host: string, port: number): Socket {
    return connect({
      host,
      port,
      cert: this.cert,
      key: this.key,
      ...(this.ca ? { ca: this.ca } : {}),
      rejectUnauthorized: this.tlsOptions.rejectUnauthorized ?? true,
      minVersion: this.tlsOptions.minVersion ?? 'TLSv1.2',
      // SNI must not be an IP literal (RFC 6066 §3).
      ...(this.tlsOptions.servername ? { servername: this.tlsOptions.servername } : /^[0-9.:]+$/.test(host) ? {} : { servername: host }),
    });
  }
}
