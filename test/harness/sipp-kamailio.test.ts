/**
 * Proves the SIPp harness (test/support/sipp.ts) and the Kamailio baselines (bench/kamailio/) against a real
 * SIP peer, independently of trunkline: Kamailio answers, SIPp drives, the helper reads the outcome.
 * Skips, saying why, when sipp or kamailio is not installed.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKamailio, kamailioSkipReason, type KamailioInstance } from '../../bench/lib/kamailio.js';
import {
  findFreePort,
  readRttSamples,
  readShortMessageCallLatencies,
  runSipp,
  sippSkipReason,
  startSipp,
  summarizeSipp,
} from '../support/sipp.js';

const skip = sippSkipReason() || kamailioSkipReason();
const USER = 'alice';
const PASSWORD = 'harness-secret';

// Every SIPp run writes its logs under one temp dir, removed at the end (TRUNKLINE_KEEP_SIPP=1 keeps it; the
// assertion messages already carry the counts and the error-log tail).
const root = mkdtempSync(join(tmpdir(), 'trunkline-harness-'));
let runs = 0;
const wd = () => join(root, `run-${++runs}`);
after(() => {
  if (process.env.TRUNKLINE_KEEP_SIPP !== '1') rmSync(root, { recursive: true, force: true });
});

describe('SIPp harness against Kamailio (registrar config)', { timeout: 20_000 }, () => {
  let kam: KamailioInstance | undefined;

  before(async () => {
    if (skip !== false) return;
    kam = await startKamailio({
      config: 'kamailio-options-register',
      children: 1,
      defines: { TL_AUTH_USER: `"${USER}"`, TL_AUTH_PASSWORD: `"${PASSWORD}"` },
    });
  });
  after(async () => {
    await kam?.stop();
  });

  const target = () => ({ host: (kam as KamailioInstance).host, port: (kam as KamailioInstance).port });

  it('OPTIONS over UDP: every call gets its 200', { skip }, async () => {
    const r = await runSipp({ workDir: wd(), scenario: 'options', target: target(), calls: 20, rate: 200, timeoutSeconds: 10 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(r.successful, 20, summarizeSipp(r));
    assert.equal(r.failed, 0, summarizeSipp(r));
    assert.equal(r.statsSource, 'trace_stat');
    assert.ok(r.messagesLog !== undefined);
    assert.match(readFileSync(r.messagesLog, 'latin1'), /SIP\/2\.0 200 OK/);
  });

  it('OPTIONS over TCP', { skip }, async () => {
    const r = await runSipp({ workDir: wd(), scenario: 'options', target: target(), transport: 'tcp', calls: 10, rate: 100, timeoutSeconds: 10 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(r.successful, 10, summarizeSipp(r));
    assert.match(readFileSync(r.messagesLog as string, 'latin1'), /TCP message sent/);
  });

  it('REGISTER with digest: 401, then 200 with [authentication]', { skip }, async () => {
    const r = await runSipp({
      workDir: wd(),
      scenario: 'register-digest',
      target: target(),
      auth: { user: USER, password: PASSWORD },
      calls: 10,
      rate: 100,
      timeoutSeconds: 10,
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(r.successful, 10, summarizeSipp(r));
    const log = readFileSync(r.messagesLog as string, 'latin1');
    assert.match(log, /WWW-Authenticate: Digest/);
    assert.match(log, /Authorization: Digest username="alice"/);
  });

  it('REGISTER with a wrong password is refused with 403', { skip }, async () => {
    const r = await runSipp({
      workDir: wd(),
      scenario: 'register-wrong-password',
      target: target(),
      auth: { user: USER, password: 'not-the-password' },
      calls: 5,
      rate: 100,
      timeoutSeconds: 10,
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(r.successful, 5, summarizeSipp(r));
  });

  it('reports failed calls: a wrong password against the 200-expecting scenario fails every call, exit 1', { skip }, async () => {
    const r = await runSipp({
      workDir: wd(),
      scenario: 'register-digest',
      target: target(),
      auth: { user: USER, password: 'not-the-password' },
      calls: 3,
      rate: 100,
      timeoutSeconds: 10,
    });
    assert.equal(r.exitCode, 1, summarizeSipp(r));
    assert.equal(r.successful, 0);
    assert.equal(r.failed, 3);
    assert.equal(r.stats?.failureReasons['FailedUnexpectedMessage'], 3);
    assert.match(readFileSync(r.errorsLog, 'latin1'), /403 Forbidden/);
  });

  it('records response times: one rtd sample and one short-message latency per call', { skip }, async () => {
    const r = await runSipp({
      workDir: wd(),
      scenario: 'options',
      target: target(),
      calls: 50,
      rate: 500,
      timeoutSeconds: 10,
      traceMessages: false,
      traceRtt: true,
      traceShortMessages: true,
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.ok(r.rttCsv !== undefined, 'rtt csv written');
    assert.equal(readRttSamples(r.rttCsv).length, 50);
    const lat = readShortMessageCallLatencies(r.shortMessagesLog as string);
    assert.equal(lat.length, 50);
    assert.ok(lat.every((v) => v >= 0 && Number.isFinite(v)));
  });
});

describe('SIPp harness without a peer', { timeout: 20_000 }, () => {
  it('never hangs: nobody answering ends at -timeout with a fatal exit and the calls unfinished', { skip: sippSkipReason() }, async () => {
    const port = await findFreePort();
    const started = Date.now();
    const r = await runSipp({ workDir: wd(), scenario: 'options', target: { host: '127.0.0.1', port }, calls: 2, rate: 10, timeoutSeconds: 2 });
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    assert.equal(r.exitCode, 255, summarizeSipp(r));
    assert.equal(r.successful, 0);
    assert.equal(r.unfinished + r.failed, 2, summarizeSipp(r));
    assert.match(r.stderr, /timed out/);
  });

  it('names the SIPp limitation when a registrar offers SHA-256 digest first', { skip: sippSkipReason() }, async () => {
    // A hand-written registrar: 401 with SHA-256 then MD5 challenges (RFC 8760 order), to every request.
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    sock.on('message', (buf, rinfo) => {
      const text = buf.toString('latin1');
      const copy = (name: string) => text.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      const head = [
        'SIP/2.0 401 Unauthorized',
        ...copy('Via'),
        ...copy('From'),
        ...copy('To').map((l) => `${l};tag=h1`),
        ...copy('Call-ID'),
        ...copy('CSeq'),
        'WWW-Authenticate: Digest realm="h.example", nonce="abc123", qop="auth", algorithm=SHA-256',
        'WWW-Authenticate: Digest realm="h.example", nonce="abc123", qop="auth", algorithm=MD5',
        'Content-Length: 0',
      ];
      sock.send(`${head.join('\r\n')}\r\n\r\n`, rinfo.port, rinfo.address);
    });
    try {
      const r = await runSipp({
        workDir: wd(),
        scenario: 'register-digest',
        target: { host: '127.0.0.1', port: sock.address().port },
        auth: { user: USER, password: PASSWORD },
        calls: 1,
        timeoutSeconds: 2,
      });
      assert.notEqual(r.exitCode, 0);
      assert.equal(r.successful, 0);
      assert.match(summarizeSipp(r), /SIPp only answers MD5 digest challenges/);
    } finally {
      sock.close();
    }
  });
});

describe('SIPp harness against Kamailio (proxy config)', { timeout: 20_000 }, () => {
  it('UAC -> record-routing Kamailio proxy -> UAS: INVITE/ACK/BYE complete on both sides', { skip }, async () => {
    const uasPort = await findFreePort();
    const uas = await startSipp({ workDir: wd(), scenario: 'uas', localPort: uasPort, calls: 10, timeoutSeconds: 15 });
    const kam = await startKamailio({
      config: 'kamailio-proxy',
      children: 1,
      defines: { TL_UAS: `"sip:127.0.0.1:${uasPort}"` },
    });
    try {
      const uac = await runSipp({
        workDir: wd(),
        scenario: 'uac-invite',
        target: { host: kam.host, port: kam.port },
        calls: 10,
        rate: 50,
        timeoutSeconds: 10,
      });
      assert.equal(uac.exitCode, 0, summarizeSipp(uac));
      assert.equal(uac.successful, 10, summarizeSipp(uac));
      // ACK and BYE went through the proxy by the Record-Route it inserted.
      assert.match(readFileSync(uac.messagesLog as string, 'latin1'), new RegExp(`Route: <sip:127\\.0\\.0\\.1:${kam.port};lr`));
      const u = await uas.done;
      assert.equal(u.exitCode, 0, summarizeSipp(u));
      assert.equal(u.successful, 10, summarizeSipp(u));
    } finally {
      await uas.stop();
      await kam.stop();
    }
  });
});
