/**
 * Outbound REGISTER for carrier trunks (src/edge/outbound-registration*.ts), against a real registrar: SIPp runs
 * the carrier's side (test/edge/scenarios/outbound-register-*.xml), challenging with 401, checking trunkline's
 * credentials with <verifyauth>, granting short intervals, refusing with 403 or 423. trunkline runs in process;
 * connections are written through the NetSapiens API, so changes reach the edge the way an operator's do.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNewConnection, type Connection, type SettingsPatch } from '../../src/model/index.js';
import { grantedExpiry } from '../../src/edge/outbound-registration-client.js';
import { retryDelay } from '../../src/edge/outbound-registration-agent.js';
import { registrationTarget } from '../../src/edge/outbound-registration-target.js';
import type { OutboundRegistrationStatus } from '../../src/edge/outbound-registration.js';
import { parseMessage, SipResponse } from '../../src/sip/index.js';
import { fetchSender, NsClient, seg } from '../support/ns-client.js';
import { findFreePort, sippSkipReason, startSipp, summarizeSipp, type SippRun } from '../support/sipp.js';
import { startTestServer, type TestServer } from '../support/trunkline.js';

const skip = sippSkipReason();
const D = 'carriers.example';
const SCENARIOS = join(import.meta.dirname, 'scenarios');
const USER = 'carrier-user';
const PASSWORD = 'carrier-secret';
const REALM = 'carrier.example';

const root = mkdtempSync(join(tmpdir(), 'trunkline-outbound-'));
let runs = 0;
const wd = () => join(root, `run-${++runs}`);
after(() => {
  if (process.env.TRUNKLINE_KEEP_SIPP !== '1') rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 6000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A REGISTER as the registrar (SIPp) received it, from its -trace_msg log. */
interface Received {
  uri: string;
  callId: string;
  cseq: number;
  expires: string | undefined;
  to: string;
  from: string;
  contact: string | undefined;
  authorization: string | undefined;
  userAgent: string | undefined;
}

function receivedRegisters(run: { messagesLog: string | undefined }): Received[] {
  const path = run.messagesLog;
  if (path === undefined || !existsSync(path)) return [];
  const out: Received[] = [];
  // Each entry: a line of dashes with a timestamp, "UDP message received [n] bytes :", a blank line, the message.
  for (const block of readFileSync(path, 'latin1').split(/^-{10,}.*$/m)) {
    const m = /message received \[\d+\] bytes :\r?\n\r?\n([\s\S]*)$/.exec(block);
    if (m === null || !m[1]!.startsWith('REGISTER ')) continue;
    const text = m[1]!.replace(/\r?\n/g, '\r\n').trimEnd() + '\r\n\r\n';
    const req = parseMessage(Buffer.from(text, 'latin1'));
    if (req instanceof SipResponse) continue;
    out.push({
      uri: req.uriText,
      callId: req.callId,
      cseq: req.cseq.seq,
      expires: req.header('expires'),
      to: req.header('to')!,
      from: req.header('from')!,
      contact: req.header('contact'),
      authorization: req.header('authorization'),
      userAgent: req.header('user-agent'),
    });
  }
  return out;
}

describe('outbound REGISTER rules (no network)', () => {
  const carrier = (patch: SettingsPatch, id = 7): Connection =>
    ({
      ...buildNewConnection({ domain: D, origMatchPattern: 'sip*@carrier.example', createdBy: 'netsapiens' }, {
        isCarrierTrunk: true,
        authenticateAsClient: true,
        authUsername: USER,
        authPassword: PASSWORD,
        address: 'sip.carrier.example',
        ...patch,
      }),
      id,
    }) as unknown as Connection;

  it('registers only carrier trunks that authenticate as clients, with a username and an address', () => {
    assert.ok(registrationTarget(carrier({})));
    assert.equal(registrationTarget(carrier({ isCarrierTrunk: false })), undefined);
    assert.equal(registrationTarget(carrier({ authenticateAsClient: false })), undefined);
    assert.equal(registrationTarget(carrier({ authUsername: '' })), undefined);
    assert.equal(registrationTarget(carrier({ address: '' })), undefined);
    assert.equal(registrationTarget(carrier({ address: 'dynamic' })), undefined);
  });

  it('builds the Request-URI, address of record, destination and transport from the address', () => {
    const named = registrationTarget(carrier({ address: 'sip.carrier.example:5070', authRealm: 'ignored.example' }))!;
    assert.equal(named.requestUri, 'sip:sip.carrier.example:5070');
    assert.equal(named.aor, `sip:${USER}@sip.carrier.example`, 'a host name is the AOR domain, whatever the realm');
    assert.deepEqual(named.destination, { host: 'sip.carrier.example', port: 5070 });
    assert.equal(named.transport, 'udp');

    const byIp = registrationTarget(carrier({ address: '203.0.113.5', authRealm: REALM, transport: 'TCP' }))!;
    assert.equal(byIp.aor, `sip:${USER}@${REALM}`, 'an IP address takes the realm as the AOR domain');
    assert.equal(byIp.requestUri, 'sip:203.0.113.5;transport=tcp');
    assert.deepEqual(byIp.destination, { host: '203.0.113.5', port: 5060 });

    const byIpOddRealm = registrationTarget(carrier({ address: '203.0.113.5', authRealm: 'Carrier Realm' }))!;
    assert.equal(byIpOddRealm.aor, `sip:${USER}@203.0.113.5`, 'a realm that is no host name is not an AOR domain');

    const tls = registrationTarget(carrier({ address: 'sips:sip.carrier.example', transport: 'UDP' }))!;
    assert.equal(tls.transport, 'tls');
    assert.equal(tls.aor, `sips:${USER}@sip.carrier.example`);
    assert.deepEqual(tls.destination, { host: 'sip.carrier.example', port: 5061 });

    assert.notEqual(registrationTarget(carrier({ authPassword: 'changed' }))!.key, registrationTarget(carrier({}))!.key);
  });

  it('takes the granted interval from our Contact, else the Expires header, else what was asked (RFC 3261 §10.2.4)', () => {
    const ours = '<sip:192.0.2.1:5060>';
    const res = (headers: Array<[string, string]>) => new SipResponse({ status: 200, reason: 'OK', headers });
    assert.equal(grantedExpiry(res([['Contact', '<sip:other@192.0.2.9>;expires=900'], ['Contact', '<sip:192.0.2.1:5060>;expires=120'], ['Expires', '30']]), ours, 3600), 120);
    assert.equal(grantedExpiry(res([['Contact', '<sip:192.0.2.1:5060;received=1>;expires=300']]), ours, 3600), 300, 'a single rewritten contact is ours');
    assert.equal(grantedExpiry(res([['Expires', '600']]), ours, 3600), 600);
    assert.equal(grantedExpiry(res([]), ours, 3600), 3600);
  });

  it('backs off exponentially from retryMinMs to retryMaxMs, with Retry-After as a floor', () => {
    const t = { expires: 3600, refreshFraction: 0.5, retryMinMs: 30_000, retryMaxMs: 600_000, retryJitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelay(n, t)), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
    assert.equal(retryDelay(1, t, 90), 90_000);
    assert.equal(retryDelay(1, t, 86_400), 600_000, 'a Retry-After is capped like the backoff');
    assert.equal(retryDelay(1, { ...t, retryJitter: 0.2 }, undefined, () => 1), 24_000);
  });
});

describe('outbound REGISTER against a carrier registrar (SIPp)', { skip, timeout: 120_000 }, () => {
  let t: TestServer;
  let ns: NsClient;
  const outbound = () => t.server.sip!.outbound;
  const status = (id: number): OutboundRegistrationStatus | undefined => outbound().status(id);

  /** SIPp as the carrier's registrar on a free port. */
  async function registrar(file: string, timeoutSeconds = 30): Promise<{ port: number; run: SippRun; messagesLog: string }> {
    const port = await findFreePort();
    const workDir = wd();
    const run = await startSipp({ workDir, scenario: { file: join(SCENARIOS, file) }, localPort: port, calls: 1, timeoutSeconds });
    await sleep(150); // let SIPp bind before the first REGISTER (a lost datagram would be retransmitted anyway)
    return { port, run, messagesLog: join(workDir, 'messages.log') };
  }

  async function carrier(pattern: string, port: number, extra: Record<string, string> = {}): Promise<number> {
    const r = await ns.post('/connections', {
      domain: D,
      'connection-orig-match-pattern': pattern,
      'connection-address': `127.0.0.1:${port}`,
      'connection-is-carrier-trunk': 'yes',
      'connection-sip-authenticate-as-client-enabled': 'yes',
      'connection-sip-registration-username': USER,
      'connection-sip-registration-password': PASSWORD,
      'connection-sip-registration-realm': REALM,
      ...extra,
    });
    assert.equal(r.status, 202, r.raw);
    return (await t.server.store.getConnection(D, pattern))!.id;
  }

  const getConn = async (pattern: string) => {
    const r = await ns.get(`/domains/${D}/connections/${seg(pattern)}`);
    assert.equal(r.status, 200, r.raw);
    return r.body[0] as Record<string, unknown>;
  };
  const nsTime = (v: unknown) => Date.parse(`${String(v)}Z`);
  const metrics = async () => (await fetch(`${t.url}/metrics`)).text();

  before(async () => {
    t = await startTestServer({
      sipOutboundRegistration: { retryMinMs: 500, retryMaxMs: 2000, retryJitter: 0, minSyncMs: 20, closeWaitMs: 1000 },
    });
    ns = new NsClient(fetchSender(t.url), t.key);
    assert.equal((await ns.post('/domains', { domain: D, reseller: 'carriers-r' })).status, 202);
  });
  after(async () => {
    await t?.stop();
  });

  it('registers with digest, refreshes before the granted expiry in the same Call-ID, and sends Expires: 0 when the connection is deleted', async () => {
    const pattern = 'sip*@refresh.carriers.example';
    const reg = await registrar('outbound-register-refresh.xml');
    const id = await carrier(pattern, reg.port);

    const first = await waitFor('the first registration', () => (status(id)?.state === 'registered' ? status(id) : undefined));
    const firstAt = Date.parse(first.registeredAt!);
    assert.equal(first.lastStatus, 200);
    assert.equal(first.aor, `sip:${USER}@${REALM}`);
    const granted = Date.parse(first.expiresAt!) - firstAt;
    assert.ok(granted > 3500 && granted <= 4000, `the registrar granted 4 s (Contact expires), got ${granted} ms`);
    assert.ok(Date.parse(first.nextAttemptAt!) - firstAt <= 2100, `refresh scheduled at half the interval: ${first.nextAttemptAt}`);

    // The API shows the outbound registration where inbound ones show (no inbound binding here).
    const shown = await waitFor('the registration in the API', async () => {
      const c = await getConn(pattern);
      return c['connection-sip-registration-expires-datetime'] !== undefined ? c : undefined;
    });
    assert.ok(Math.abs(nsTime(shown['connection-sip-registration-expires-datetime']) - Date.parse(first.expiresAt!)) < 1500);
    assert.ok(Math.abs(nsTime(shown['connection-sip-registration-datetime']) - firstAt) < 1500);
    assert.match(await metrics(), /^trunkline_outbound_registrations\{state="registered"\} 1$/m);

    // The refresh: the registrar now grants 60 s; it came before the 4 s ran out (SIPp's recv timeout guards it too).
    const refreshed = await waitFor('the refresh', () => {
      const s = status(id);
      return s !== undefined && s.registeredAt !== first.registeredAt && s.state === 'registered' ? s : undefined;
    });
    const refreshedAt = Date.parse(refreshed.registeredAt!);
    assert.ok(refreshedAt < Date.parse(first.expiresAt!), `refreshed at ${refreshed.registeredAt}, the binding expired at ${first.expiresAt}`);
    assert.ok(Date.parse(refreshed.expiresAt!) - refreshedAt > 59_000);

    const deleted = await ns.delete(`/domains/${D}/connections/${seg(pattern)}`);
    assert.equal(deleted.status, 202, deleted.raw);
    const r = await reg.run.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(status(id), undefined);

    const seen = receivedRegisters(r);
    assert.equal(seen.length, 6, `REGISTERs received: ${JSON.stringify(seen.map((s) => s.cseq))}`);
    assert.equal(new Set(seen.map((s) => s.callId)).size, 1, 'one Call-ID for the whole registration (RFC 3261 §10.2)');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.cseq > seen[i - 1]!.cseq, `CSeq increases: ${seen.map((s) => s.cseq).join(', ')}`);
    for (const s of seen) {
      assert.equal(s.uri, `sip:127.0.0.1:${reg.port}`, 'the Request-URI is the registrar domain, without user');
      assert.match(s.to, new RegExp(`^<sip:${USER}@${REALM.replace('.', '\\.')}>$`));
      assert.match(s.from, new RegExp(`^<sip:${USER}@${REALM.replace('.', '\\.')}>;tag=`));
      assert.equal(s.contact, `<sip:127.0.0.1:${t.server.sip!.sipPort}>`, "the Contact is the edge's own address");
      assert.match(s.userAgent ?? '', /^trunkline\//);
    }
    assert.deepEqual(seen.map((s) => s.authorization !== undefined), [false, true, false, true, false, true]);
    assert.match(seen[1]!.authorization!, new RegExp(`username="${USER}"`));
    assert.deepEqual(seen.map((s) => s.expires), ['3600', '3600', '3600', '3600', '0', '0']);
  });

  it('a 403 makes it back off, report failed (state, API, /metrics) and try again later in the same Call-ID', async () => {
    const pattern = 'sip*@forbidden.carriers.example';
    const reg = await registrar('outbound-register-forbidden.xml');
    const id = await carrier(pattern, reg.port);

    const wait = (s: OutboundRegistrationStatus) => Date.parse(s.nextAttemptAt!) - Date.parse(s.lastAttemptAt!);
    const failed = await waitFor('the first refusal', () => {
      const s = status(id);
      return s?.state === 'failed' && s.nextAttemptAt !== null ? s : undefined;
    });
    assert.equal(failed.lastStatus, 403);
    assert.equal(failed.lastReason, 'Account Suspended');
    assert.equal(failed.failures, 1);
    assert.equal(failed.expiresAt, null);
    assert.ok(wait(failed) >= 500 && wait(failed) < 550, `first retry after retryMinMs (500 ms): ${wait(failed)} ms`);
    assert.match(await metrics(), /^trunkline_outbound_registrations\{state="failed"\} 1$/m);
    assert.equal((await getConn(pattern))['connection-sip-registration-expires-datetime'], undefined);

    const again = await waitFor('the second refusal', () => {
      const s = status(id);
      return s !== undefined && s.failures === 2 && s.nextAttemptAt !== null ? s : undefined;
    });
    assert.ok(wait(again) >= 1000 && wait(again) < 1050, `the second retry waits twice as long (1000 ms): ${wait(again)} ms`);
    assert.ok(Date.parse(again.lastAttemptAt!) - Date.parse(failed.lastAttemptAt!) >= 500, 'the registrar was left alone meanwhile');
    assert.equal(again.state, 'failed');
    const r = await reg.run.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const seen = receivedRegisters(r);
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen.map((s) => s.callId)).size, 1, 'retries keep the Call-ID');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.cseq > seen[i - 1]!.cseq);

    // No longer a carrier trunk: it stops trying (nothing registered, so no unREGISTER is owed).
    const put = await ns.put(`/domains/${D}/connections/${seg(pattern)}`, { 'connection-is-carrier-trunk': 'no' });
    assert.equal(put.status, 202, put.raw);
    await waitFor('the registration to stop', () => status(id) === undefined);
    assert.match(await metrics(), /^trunkline_outbound_registrations\{state="failed"\} 0$/m);
  });

  it('a connection that is not a carrier trunk does not register; made one, it registers (423: with Min-Expires); made none again, it unREGISTERs', async () => {
    const pattern = 'sip*@interval.carriers.example';
    const reg = await registrar('outbound-register-interval.xml');
    const id = await carrier(pattern, reg.port, { 'connection-is-carrier-trunk': 'no' });

    await sleep(800);
    assert.equal(status(id), undefined, 'no registration for a connection that is not a carrier trunk');
    const quiet = existsSync(reg.messagesLog) ? readFileSync(reg.messagesLog, 'latin1') : '';
    assert.doesNotMatch(quiet, /REGISTER/, 'the registrar heard nothing');
    assert.match(await metrics(), /^trunkline_outbound_registrations\{state="registering"\} 0$/m);

    const url = `/domains/${D}/connections/${seg(pattern)}`;
    assert.equal((await ns.put(url, { 'connection-is-carrier-trunk': 'yes' })).status, 202);
    const s = await waitFor('the registration', () => (status(id)?.state === 'registered' ? status(id) : undefined));
    const granted = Date.parse(s.expiresAt!) - Date.parse(s.registeredAt!);
    assert.equal(granted, 7_200_000, 'the interval the 423 asked for, granted in the Expires header');
    await waitFor('the registration in the API', async () => (await getConn(pattern))['connection-sip-registration-expires-datetime'] !== undefined);

    assert.equal((await ns.put(url, { 'connection-is-carrier-trunk': 'no' })).status, 202);
    const r = await reg.run.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.deepEqual(receivedRegisters(r).map((x) => x.expires), ['3600', '7200', '7200', '0', '0']);
    await waitFor('the API to stop showing the registration', async () => (await getConn(pattern))['connection-sip-registration-expires-datetime'] === undefined);
  });

  it('shutdown removes the bindings at the registrar (Expires: 0)', async () => {
    const reg = await registrar('outbound-register-interval.xml');
    const own = await startTestServer({ sipOutboundRegistration: { retryJitter: 0, closeWaitMs: 3000 } });
    try {
      const store = own.server.store;
      await store.createTenant({ name: D, reseller: 'carriers-r', description: '', attributes: {} });
      const c = await store.createConnection(
        buildNewConnection(
          { domain: D, origMatchPattern: 'sip*@shutdown.carriers.example', createdBy: 'netsapiens' },
          {
            address: `127.0.0.1:${reg.port}`,
            isCarrierTrunk: true,
            authenticateAsClient: true,
            authUsername: USER,
            authPassword: PASSWORD,
            authRealm: REALM,
          },
        ),
      );
      await waitFor('the registration', () => own.server.sip!.outbound.status(c.id)?.state === 'registered');
    } finally {
      await own.stop();
    }
    const r = await reg.run.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal(receivedRegisters(r).at(-1)?.expires, '0');
  });
});
