/**
 * TCP transport (RFC 3261 §18, node:net), IPv4 or IPv6. All the connection management and
 * framing lives in {@link StreamTransport}.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';

export type TcpTransportOptions = StreamTransportOptions;

export class TcpTransport extends StreamTransport {
  readonly protocol = 'tcp' as const;
  readonly secure = false;
  protected readonly readyEvent = 'connect';

  constructor(options: TcpTransportOptions = {}) {
    super(options, 5060);
  }

  protected createServer(onSocket: (socket: Socket) => void): Server {
    return createServer({ noDelay: true }, onSocket);
  }

  protected connectSocket(host: string, port: number): Socket {
    return connect({ host, port, noDelay: true });
  }
}
