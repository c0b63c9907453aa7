/**
 * Transports over real sockets on 127.0.0.1 and ::1 with ephemeral ports: UDP, TCP (split and
 * coalesced writes, keep-alives, framing errors, idle timeout, connection reuse) and TLS
 * with a throw-away self-signed certificate made with openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../src/sip/message/parser.js';
import { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import { TcpTransport } from '../../src/sip/transport/tcp.js';
import { TlsTransport } from '../../src/sip/transport/tls.js';
import type { InboundMessage, InvalidInbound, Transport } from '../../src/sip/transport/transport.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';
import { msg } from './torture-messages.js';

function options(n: number, host = '127.0.0.1', transport = 'UDP', body = ''): Buffer {
  return msg(
    [
      `OPTIONS sip:bob@${host.includes(':') ? `[${host}]` : host} SIP/2.0`,
      `Via: SIP/2.0/${transport} ${host.includes(':') ? `[${host}]` : host}:5999;branch=z9hG4bKt${n}`,
      'From: <sip:alice@example.com>;tag=a1',
      'To: <sip:bob@example.com>',
      `Call-ID: call-${n}`,
      `CSeq: ${n} OPTIONS`,
      'Max-Forwards: 70',
      ...(body ? ['Content-Type: text/plain'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

function nextMessage(t: Transport, timeoutMs = 2000): Promise<InboundMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timeout waiting for message'));
    }, timeoutMs);
    const off = t.onMessage((m) => {
      clearTimeout(timer);
      off();
      resolve(m);
    });
  });
}

function collect(t: Transport): InboundMessage[] {
  const out: InboundMessage[] = [];
  t.onMessage((m) => out.push(m));
  return out;
}

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Raw TCP client that accumulates what it reads. */
async function rawClient(port: number, host = '127.0.0.1'): Promise<{ socket: Socket; data: () => string; closed: () => boolean }> {
  const socket = connect({ port, host });
  let buf = '';
  let closed = false;
  socket.on('data', (d) => (buf += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, data: () => buf, closed: () => closed };
}

for (const host of ['127.0.0.1', '::1']) {
  describe(`UDP on ${host}`, () => {
    let a: UdpTransport;
    let b: UdpTransport;
    before(async () => {
      a = new UdpTransport({ host, port: 0 });
      b = new UdpTransport({ host, port: 0 });
      await a.listen();
      await b.listen();
    });
    after(async () => {
      await a.close();
      await b.close();
    });

    it('sends and receives parsed messages with source information', async () => {
      const got = nextMessage(b);
      await a.send(parseMessage(options(1, host)), { host, port: b.local.port });
      const m = await got;
      assert.ok(m.message instanceof SipRequest);
      assert.equal(m.message.callId, 'call-1');
      assert.equal(m.remote.address, host);
      assert.equal(m.remote.port, a.local.port);
      assert.equal(m.remote.protocol, 'udp');
      assert.equal(m.remote.family, host === '::1' ? 'IPv6' : 'IPv4');
      assert.equal(m.transport, b);
    });

    it('answers an unparseable request with 400 and drops garbage without crashing', async () => {
      const raw = createSocket(host === '::1' ? 'udp6' : 'udp4');
      await new Promise<void>((r) => raw.bind(0, host, () => r()));
      const replies: string[] = [];
      raw.on('message', (d) => replies.push(d.toString('latin1')));
      const invalid: InvalidInbound[] = [];
      const off = b.onInvalid((i) => invalid.push(i));
      const bad = options(2, host, 'UDP', 'hello').toString('latin1').replace('Content-Length: 5', 'Content-Length: 50');
      raw.send(Buffer.from(bad, 'latin1'), b.local.port, host);
      for (const junk of [Buffer.from([0xff, 0x00, 0x13]), Buffer.from('SIP/2.0 999999 nope\r\n\r\n'), Buffer.alloc(0), Buffer.from('\r\n\r\n'), Buffer.from('INVITE\r\n\r\n')]) {
        raw.send(junk, b.local.port, host);
      }
      await until(() => replies.length >= 1 && invalid.length >= 3);
      assert.match(replies[0]!, /^SIP\/2\.0 400 Content-Length Mismatch\r\n/);
      assert.match(replies[0]!, /Call-ID: call-2/);
      // And the transport still works.
      const got = nextMessage(b);
      await a.send(options(3, host), { host, port: b.local.port });
      assert.equal((await got).message.callId, 'call-3');
      off();
      raw.close();
    });

    it('refuses to send what does not fit in a datagram', async () => {
      await assert.rejects(a.send(Buffer.alloc(70_000), { host, port: b.local.port }), /does not fit/);
    });
  });
}

for (const host of ['127.0.0.1', '::1']) {
  describe(`TCP on ${host}`, () => {
    let server: TcpTransport;
    before(async () => {
      server = new TcpTransport({ host, port: 0, idleTimeoutMs: 300 });
      await server.listen();
    });
    after(async () => {
      await server.close();
    });

    it('reassembles a message written one byte at a time', async () => {
      const c = await rawClient(server.local.port, host);
      const got = nextMessage(server);
      const data = options(10, host, 'TCP', 'body-bytes');
      for (const byte of data) c.socket.write(Buffer.from([byte]));
      const m = await got;
      assert.equal(m.message.callId, 'call-10');
      assert.equal(m.message.bodyText, 'body-bytes');
      c.socket.destroy();
    });

    it('splits coalesced messages and ignores CRLF keep-alives, answering pings with a pong', async () => {
      const c = await rawClient(server.local.port, host);
      const seen = collect(server);
      c.socket.write(Buffer.concat([Buffer.from('\r\n\r\n'), options(11, host, 'TCP'), options(12, host, 'TCP', 'x'), Buffer.from('\r\n'), options(13, host, 'TCP').subarray(0, 30)]));
      await until(() => seen.length >= 2);
      c.socket.write(options(13, host, 'TCP').subarray(30));
      await until(() => seen.length >= 3);
      assert.deepEqual(
        seen.map((m) => m.message.callId),
        ['call-11', 'call-12', 'call-13'],
      );
      await until(() => c.data().length >= 2);
      assert.equal(c.data(), '\r\n', 'double-CRLF ping answered with a single CRLF (RFC 5626 §3.5.1)');
      c.socket.destroy();
    });

    it('answers a response on the connection the request came in on (§18.2.2)', async () => {
      const c = await rawClient(server.local.port, host);
      const got = nextMessage(server);
      c.socket.write(options(14, host, 'TCP'));
      const m = await got;
      const res = new SipResponse({ status: 200, headers: (m.message as SipRequest).headers.clone() });
      await server.send(res, { host: m.remote.address, port: m.remote.port });
      await until(() => c.data().includes('\r\n\r\n'));
      assert.match(c.data(), /^SIP\/2\.0 200 OK\r\n/);
      assert.equal(server.connectionCount >= 1, true);
      c.socket.destroy();
    });

    it('missing Content-Length on a stream gets 400 and the connection is closed', async () => {
      const c = await rawClient(server.local.port, host);
      const text = options(15, host, 'TCP').toString('latin1').replace(/Content-Length: 0\r\n/, '');
      c.socket.write(text);
      await until(() => c.closed());
      assert.match(c.data(), /^SIP\/2\.0 400 Missing Content-Length\r\n/);
      assert.match(c.data(), /CSeq: 15 OPTIONS/);
    });

    it('an oversized message gets 513 and the connection is closed', async () => {
      const small = new TcpTransport({ host, port: 0, maxMessageSize: 1024 });
      await small.listen();
      const c = await rawClient(small.local.port, host);
      c.socket.write(options(16, host, 'TCP', 'y'.repeat(5000)));
      await until(() => c.closed());
      assert.match(c.data(), /^SIP\/2\.0 513 Message Too Large\r\n/);
      await small.close();
    });

    it('closes idle connections', async () => {
      const c = await rawClient(server.local.port, host);
      const t0 = Date.now();
      await until(() => c.closed(), 3000);
      assert.ok(Date.now() - t0 >= 250);
    });

    it('transport-to-transport: client connects, server answers over the same connection', async () => {
      const client = new TcpTransport({ host, port: 0 });
      await client.listen();
      const atServer = nextMessage(server);
      await client.send(options(17, host, 'TCP'), { host, port: server.local.port });
      const inbound = await atServer;
      const atClient = nextMessage(client);
      const res = new SipResponse({ status: 202, headers: (inbound.message as SipRequest).headers.clone() });
      await server.send(res, { host: inbound.remote.address, port: inbound.remote.port });
      const back = await atClient;
      assert.ok(back.message instanceof SipResponse);
      assert.equal(back.message.status, 202);
      assert.equal(client.connectionCount, 1, 'one connection, reused');
      await client.send(options(18, host, 'TCP'), { host, port: server.local.port });
      assert.equal(client.connectionCount, 1);
      await client.close();
    });

    it('reports connection failures as rejected sends', async () => {
      const client = new TcpTransport({ host, port: 0 });
      await client.listen();
      const closedPort = client.local.port; // nothing accepts on the client's own port after close
      const other = new TcpTransport({ host, port: 0 });
      await other.listen();
      const deadPort = other.local.port;
      await other.close();
      await assert.rejects(client.send(options(19, host, 'TCP'), { host, port: deadPort }), /cannot connect/);
      assert.ok(closedPort > 0);
      await client.close();
    });
  });
}

describe('StreamFramer unit behaviour', () => {
  it('frames exact messages across arbitrary chunk boundaries', () => {
    const data = Buffer.concat([options(1, '127.0.0.1', 'TCP', 'abc'), Buffer.from('\r\n'), options(2, '127.0.0.1', 'TCP')]);
    for (let chunk = 1; chunk <= 17; chunk++) {
      const f = new StreamFramer();
      const frames: Buffer[] = [];
      for (let i = 0; i < data.length; i += chunk) for (const ev of f.push(data.subarray(i, i + chunk))) if (ev.type === 'message') frames.push(ev.data);
      assert.equal(frames.length, 2, `chunk ${chunk}`);
      assert.equal(parseMessage(frames[0]!, { framing: 'stream' }).bodyText, 'abc');
      assert.equal(f.buffered, 0);
    }
  });

  it('stops at an oversized header section without buffering forever', () => {
    const f = new StreamFramer({ maxMessageSize: 100 });
    const evs = f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX: ' + 'z'.repeat(200)));
    assert.equal(evs[0]?.type, 'error');
    assert.deepEqual(f.push(Buffer.from('more')), []);
  });
});

function haveOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

describe('TLS', () => {
  const skip = haveOpenssl() ? false : 'openssl is not installed: cannot generate a test certificate';
  let dir = '';
  let cert = Buffer.alloc(0);
  let key = Buffer.alloc(0);
  before(() => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), 'trunkline-sip-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`exchanges a request and a response over TLS on ${host} (certificate verified)`, { skip }, async () => {
      const server = new TlsTransport({ host, port: 0, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
      const client = new TlsTransport({ host, port: 0, cert, key, ca: cert });
      await server.listen();
      await client.listen();
      try {
        const atServer = nextMessage(server);
        await client.send(options(30, host, 'TLS', 'secret'), { host, port: server.local.port });
        const inbound = await atServer;
        assert.equal(inbound.message.bodyText, 'secret');
        assert.equal(inbound.remote.protocol, 'tls');
        const atClient = nextMessage(client);
        await server.send(serializeMessage(new SipResponse({ status: 200, headers: (inbound.message as SipRequest).headers.clone() })), {
          host: inbound.remote.address,
          port: inbound.remote.port,
        });
        assert.equal(((await atClient).message as SipResponse).status, 200);
      } finally {
        await client.close();
        await server.close();
      }
    });
  }

  it('refuses a server whose certificate is not trusted', { skip }, async () => {
    const server = new TlsTransport({ host: '127.0.0.1', port: 0, cert, key });
    const client = new TlsTransport({ host: '127.0.0.1', port: 0, cert, key }); // no ca: system store only
    await server.listen();
    await client.listen();
    try {
      await assert.rejects(client.send(options(31, '127.0.0.1', 'TLS'), { host: '127.0.0.1', port: server.local.port }), /cannot connect/);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
