/**
 * One OPTIONS request over UDP, written by hand (no dependency on trunkline's SIP library, which is what
 * the benches measure): used to tell when a SIP server is up, and whether one is there at all.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export interface SipPingReply {
  status: number;
  reason: string;
  /** The whole response as text. */
  text: string;
}

export async function sipPing(opts: { host: string; port: number; timeoutMs?: number }): Promise<SipPingReply | undefined> {
  const sock = createSocket('udp4');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SipPingReply | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(r);
    };
    const timer = setTimeout(() => finish(undefined), opts.timeoutMs ?? 500);
    sock.on('error', () => finish(undefined));
    sock.on('message', (buf) => {
      const text = buf.toString('utf8');
      const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(text);
      // Provisional responses (100 Trying) are not an answer yet.
      if (m !== null && Number(m[1]) >= 200) finish({ status: Number(m[1]), reason: m[2] ?? '', text });
    });
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address();
      const id = randomBytes(6).toString('hex');
      const msg =
        `OPTIONS sip:${opts.host}:${opts.port} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK${id};rport\r\n` +
        `Max-Forwards: 70\r\n` +
        `From: <sip:ping@${local.address}>;tag=${id}\r\n` +
        `To: <sip:${opts.host}:${opts.port}>\r\n` +
        `Call-ID: ${id}@trunkline-bench\r\n` +
        `CSeq: 1 OPTIONS\r\n` +
        `Content-Length: 0\r\n\r\n`;
      sock.send(msg, opts.port, opts.host, (err) => {
        if (err) finish(undefined);
      });
    });
  });
}
