/**
 * The SIP edge's front door, driven by a real SIP peer (SIPp) against `trunkline serve` in process:
 * OPTIONS keep-alives, REGISTER with digest over UDP and TCP, wrong password, unknown user, source-IP
 * checking, bindings visible in the NetSapiens API, surviving a restart and expiring. Odd requests that SIPp
 * cannot send easily (unknown methods, garbage) go over a raw UDP socket.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchSender, NsClient, seg } from '../support/ns-client.js';
import { runSipp, sippSkipReason, summarizeSipp, type SippOptions } from '../support/sipp.js';
import { freePort, startTestServer, tempDir, type TestServer } from '../support/trunkline.js';

const skip = sippSkipReason();
const D = 'edge.example';
const USER = 'pbx100';
const PASSWORD = 'edge-secret-1';
const PATTERN = 'sip*@pbx100.edge.example';
const SCENARIOS = join(import.meta.dirname, 'scenarios');

const root = mkdtempSync(join(tmpdir(), 'trunkline-edge-'));
let runs = 0;
const wd = () => join(root, `run-${++runs}`);
after(() => {
  if (process.env.TRUNKLINE_KEEP_SIPP !== '1') rmSync(root, { recursive: true, force: true });
});

/** Send one datagram, collect what comes back within `ms`. */
async function udpExchange(port: number, text: string | Buffer, ms = 400): Promise<string[]> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const local = sock.address().port;
  const data = typeof text === 'string' ? Buffer.from(text.replaceAll('LOCALPORT', String(local)), 'latin1') : text;
  await new Promise<void>((r, j) => sock.send(data, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  await new Promise((r) => setTimeout(r, ms));
  sock.close();
  return got;
}

function request(method: string, extra = '', uri = 'sip:someone@127.0.0.1'): string {
  return (
    `${method} ${uri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bK-${method}-${Math.random().toString(36).slice(2)}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:stranger@203.0.113.9>;tag=t1\r\nTo: <sip:someone@127.0.0.1>${extra}\r\n` +
    `Call-ID: ${Math.random().toString(36).slice(2)}@test\r\nCSeq: 1 ${method}\r\nContact: <sip:stranger@127.0.0.1:LOCALPORT>\r\n` +
    'Content-Length: 0\r\n\r\n'
  );
}

const statusOf = (msgs: string[]) => msgs.map((m) => /^SIP\/2\.0 (\d{3})/.exec(m)?.[1]).filter((s) => s !== undefined);

describe('SIP edge front door (SIPp against trunkline serve)', { skip, timeout: 120_000 }, () => {
  let t: TestServer;
  let ns: NsClient;
  let sipPort: number;
  const target = () => ({ host: '127.0.0.1', port: sipPort });
  const getConn = async (pattern = PATTERN) => {
    const r = await ns.get(`/domains/${D}/connections/${seg(pattern)}`);
    assert.equal(r.status, 200, r.raw);
    return r.body[0] as Record<string, unknown>;
  };
  const register = (o: Partial<SippOptions> = {}) =>
    runSipp({
      workDir: wd(),
      scenario: 'register-digest',
      target: target(),
      auth: { user: USER, password: PASSWORD },
      calls: 3,
      rate: 50,
      timeoutSeconds: 15,
      ...o,
    });

  before(async () => {
    t = await startTestServer({ sipRegistrar: { minExpires: 1, sweepMs: 200 } });
    sipPort = t.server.sip!.sipPort;
    ns = new NsClient(fetchSender(t.url), t.key);
    assert.equal((await ns.post('/domains', { domain: D, reseller: 'edge-r' })).status, 202);
    const created = await ns.post('/connections', {
      domain: D,
      'connection-orig-match-pattern': PATTERN,
      'connection-require-sip-authentication-enabled': 'yes',
      'connection-sip-registration-username': USER,
      'connection-sip-registration-password': PASSWORD,
      'connection-sip-registration-realm': 'edge.example',
    });
    assert.equal(created.status, 202, created.raw);
  });
  after(async () => {
    await t?.stop();
  });

  it('announces the SIP listener on stdout', () => {
    assert.match(t.output(), new RegExp(`SIP edge listening on 127\\.0\\.0\\.1:${sipPort} \\(UDP, TCP\\)`));
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`OPTIONS over ${transport.toUpperCase()}: 200 with Allow, Accept and Supported`, async () => {
      const r = await runSipp({ workDir: wd(), scenario: 'options', target: target(), transport, calls: 20, rate: 200, timeoutSeconds: 10 });
      assert.equal(r.exitCode, 0, summarizeSipp(r));
      assert.equal(r.successful, 20, summarizeSipp(r));
      const log = readFileSync(r.messagesLog!, 'latin1');
      assert.match(log, /SIP\/2\.0 200 OK/);
      assert.match(log, /^Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER/m);
      assert.match(log, /^Accept: application\/sdp/m);
      assert.match(log, /^Supported: timer/m);
    });

    it(`REGISTER with digest over ${transport.toUpperCase()}: 401 then 200, and the API shows the registration`, async () => {
      const before = Date.now();
      const r = await register({ transport });
      assert.equal(r.exitCode, 0, summarizeSipp(r));
      assert.equal(r.successful, 3, summarizeSipp(r));
      const log = readFileSync(r.messagesLog!, 'latin1');
      assert.match(log, /WWW-Authenticate: Digest realm="edge\.example".*algorithm=MD5/);
      const conn = await getConn();
      const registered = Date.parse(`${String(conn['connection-sip-registration-datetime'])}Z`);
      const expires = Date.parse(`${String(conn['connection-sip-registration-expires-datetime'])}Z`);
      assert.ok(registered >= before - 2000 && registered <= Date.now() + 1000, `registered at ${String(conn['connection-sip-registration-datetime'])}`);
      assert.ok(expires - registered >= 3590_000 && expires - registered <= 3610_000, `expires ${String(conn['connection-sip-registration-expires-datetime'])}`);
    });

    it(`REGISTER with a wrong password over ${transport.toUpperCase()} is refused with 403`, async () => {
      const r = await runSipp({
        workDir: wd(),
        scenario: 'register-wrong-password',
        target: target(),
        transport,
        auth: { user: USER, password: 'not-the-password' },
        calls: 2,
        rate: 20,
        timeoutSeconds: 10,
      });
      assert.equal(r.exitCode, 0, summarizeSipp(r));
      assert.equal(r.successful, 2, summarizeSipp(r));
    });
  }

  it('REGISTER as an unknown user is refused with 403', async () => {
    const r = await runSipp({
      workDir: wd(),
      scenario: 'register-wrong-password',
      target: target(),
      auth: { user: 'nobody-here', password: 'whatever' },
      calls: 1,
      timeoutSeconds: 10,
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(readFileSync(r.messagesLog!, 'latin1'), /SIP\/2\.0 403/);
  });

  it('source-IP checking on: the right password from another address gets 403; off again: 200', async () => {
    const url = `/domains/${D}/connections/${seg(PATTERN)}`;
    let put = await ns.put(url, { 'connection-source-ip-checking-enabled': 'yes', 'connection-address': '198.51.100.7' });
    assert.equal(put.status, 202, put.raw);
    const refused = await runSipp({
      workDir: wd(),
      scenario: 'register-wrong-password', // 401, then 403: here the password is right, the address is not
      target: target(),
      auth: { user: USER, password: PASSWORD },
      calls: 1,
      timeoutSeconds: 10,
    });
    assert.equal(refused.exitCode, 0, summarizeSipp(refused));
    assert.match(readFileSync(refused.messagesLog!, 'latin1'), /SIP\/2\.0 403 Source Address Not Allowed/);

    put = await ns.put(url, { 'connection-address': '127.0.0.1' });
    assert.equal(put.status, 202, put.raw);
    const allowed = await register({ calls: 1 });
    assert.equal(allowed.exitCode, 0, summarizeSipp(allowed));

    put = await ns.put(url, { 'connection-source-ip-checking-enabled': 'no', 'connection-address': '' });
    assert.equal(put.status, 202, put.raw);
  });

  it('an expired binding disappears from the API', async () => {
    const pattern = 'sip*@short.edge.example';
    const created = await ns.post('/connections', {
      domain: D,
      'connection-orig-match-pattern': pattern,
      'connection-require-sip-authentication-enabled': 'yes',
      'connection-sip-registration-username': 'short1',
      'connection-sip-registration-password': 'short-secret',
    });
    assert.equal(created.status, 202, created.raw);
    const r = await runSipp({
      workDir: wd(),
      scenario: { file: join(SCENARIOS, 'register-short.xml') },
      target: target(),
      auth: { user: 'short1', password: 'short-secret' },
      calls: 1,
      timeoutSeconds: 10,
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    // The realm of a connection without one is its domain.
    assert.match(readFileSync(r.messagesLog!, 'latin1'), new RegExp(`realm="${D.replace('.', '\\.')}"`));
    assert.ok((await getConn(pattern))['connection-sip-registration-datetime'] !== undefined, 'registered');
    const deadline = Date.now() + 5000;
    let conn = await getConn(pattern);
    while (conn['connection-sip-registration-datetime'] !== undefined && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      conn = await getConn(pattern);
    }
    assert.equal(conn['connection-sip-registration-datetime'], undefined, 'the registration was not cleared after it expired');
    const id = (await t.server.store.getConnection(D, pattern))!.id;
    assert.deepEqual(await t.server.store.listRegistrations(id, new Date(0)), [], 'the expired binding is still stored');
  });

  it('INVITE from no known connection gets 403; unknown and refused methods and stray requests get final answers', async () => {
    assert.deepEqual(statusOf(await udpExchange(sipPort, request('INVITE'))), ['403']);
    assert.deepEqual(statusOf(await udpExchange(sipPort, request('MESSAGE'))), ['405']);
    const notImplemented = await udpExchange(sipPort, request('FROBNICATE'));
    assert.deepEqual(statusOf(notImplemented), ['501']);
    assert.deepEqual(statusOf(await udpExchange(sipPort, request('BYE'))), ['481']);
    assert.deepEqual(statusOf(await udpExchange(sipPort, request('INFO', ';tag=abc'))), ['481']);
  });

  it('malformed SIP gets a 400 naming the problem, and the edge keeps serving', async () => {
    const bad = request('OPTIONS').replace(/CSeq: 1 OPTIONS/, 'CSeq: one OPTIONS');
    const answers = await udpExchange(sipPort, bad);
    assert.equal(statusOf(answers)[0], '400');
    assert.match(answers[0]!, /^SIP\/2\.0 400 .*CSeq/);
    await udpExchange(sipPort, Buffer.from([0xff, 0x00, 0x13, 0x37]), 100); // garbage: dropped
    assert.deepEqual(statusOf(await udpExchange(sipPort, request('OPTIONS'))), ['200']);
  });
});

describe('Prometheus /metrics', { timeout: 30_000 }, () => {
  it('shows SIP traffic by method and code, transactions, registrations and the event-loop lag', async () => {
    const t = await startTestServer();
    try {
      const port = t.server.sip!.sipPort;
      assert.deepEqual(statusOf(await udpExchange(port, request('OPTIONS'), 200)), ['200']);
      assert.deepEqual(statusOf(await udpExchange(port, request('MESSAGE'), 200)), ['405']);
      const res = await fetch(`${t.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^trunkline_sip_requests_received_total\{method="OPTIONS"\} 1$/m);
      assert.match(text, /^trunkline_sip_requests_received_total\{method="MESSAGE"\} 1$/m);
      assert.match(text, /^trunkline_sip_responses_sent_total\{code="200"\} 1$/m);
      assert.match(text, /^trunkline_sip_responses_sent_total\{code="405"\} 1$/m);
      assert.match(text, /^trunkline_sip_transactions\{side="server"\} \d+$/m);
      assert.match(text, /^trunkline_registered_connections 0$/m);
      assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
      // A second scrape does not double the totals.
      const again = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(again, /^trunkline_sip_requests_received_total\{method="OPTIONS"\} 1$/m);
    } finally {
      await t.stop();
    }
  });
});

describe('SIP registrations survive a restart (SIPp)', { skip, timeout: 60_000 }, () => {
  it('a binding made before a restart is still shown after it', async () => {
    const dataDir = tempDir();
    try {
      let t = await startTestServer({ data: dataDir });
      let ns = new NsClient(fetchSender(t.url), t.key);
      assert.equal((await ns.post('/domains', { domain: D, reseller: 'edge-r' })).status, 202);
      assert.equal(
        (
          await ns.post('/connections', {
            domain: D,
            'connection-orig-match-pattern': PATTERN,
            'connection-require-sip-authentication-enabled': 'yes',
            'connection-sip-registration-username': USER,
            'connection-sip-registration-password': PASSWORD,
          })
        ).status,
        202,
      );
      const r = await runSipp({
        workDir: wd(),
        scenario: 'register-digest',
        target: { host: '127.0.0.1', port: t.server.sip!.sipPort },
        auth: { user: USER, password: PASSWORD },
        calls: 1,
        timeoutSeconds: 10,
      });
      assert.equal(r.exitCode, 0, summarizeSipp(r));
      const key = t.key;
      const before = (await ns.get(`/domains/${D}/connections/${seg(PATTERN)}`)).body[0];
      await t.server.close();

      const { startServer } = await import('../../src/server/start.js');
      const server = await startServer({ data: dataDir, httpPort: 0, sipPort: await freePort(), logLevel: 'silent', out: { write: () => true } });
      try {
        ns = new NsClient(fetchSender(server.url), key);
        const afterRestart = (await ns.get(`/domains/${D}/connections/${seg(PATTERN)}`)).body[0];
        assert.ok(before['connection-sip-registration-datetime'] !== undefined);
        assert.equal(afterRestart['connection-sip-registration-datetime'], before['connection-sip-registration-datetime']);
        assert.equal(afterRestart['connection-sip-registration-expires-datetime'], before['connection-sip-registration-expires-datetime']);
        const id = (await server.store.getConnection(D, PATTERN))!.id;
        const bindings = await server.store.listRegistrations(id, new Date());
        assert.equal(bindings.length, 1);
        assert.match(bindings[0]!.contact, new RegExp(`^sip:${USER}@127\\.0\\.0\\.1:\\d+`));
      } finally {
        await server.close();
      }
      t = undefined as never;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
