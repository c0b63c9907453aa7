/**
 * The call engine end to end: SIPp caller -> trunkline serve (front door + B2BUA) -> SIPp callee, with the
 * connections in the server's SQLite store. Each test dials its own number prefix, routed by the term match
 * pattern of a connection whose address is that test's callee.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { log, receivedInvite, scenario, startCallLab, uacExpectXml, uasRejectXml, waitFor, type CallLab } from './support.js';

const skip = sippSkipReason();

describe('call engine: SIPp caller -> trunkline -> SIPp callee', { skip, timeout: 180_000 }, () => {
  let lab: CallLab;
  let callerId: number;

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 2500 });
    callerId = (await lab.connection('sip:pbx1@127.0.0.1', { description: 'caller PBX' })).id;
  });
  after(async () => {
    await lab?.stop();
  });

  it('basic call: INVITE/180/200/ACK, caller hangs up; the callee sees a new dialog', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const dest = await lab.connection('sip:carrier1001@198.51.100.1', { termMatchPattern: 'sip:1001*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10015550100', { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const invite = receivedInvite(u);
    assert.match(invite, new RegExp(`^INVITE sip:10015550100@127\\.0\\.0\\.1:${callee.port} SIP/2\\.0`));
    assert.match(invite, /^X-Trace: passes-through\r?$/m, 'end-to-end headers cross');
    assert.match(invite, /^From: "Alice Caller" <sip:pbx1@127\.0\.0\.1>;tag=/m);
    assert.doesNotMatch(invite, /SIPpTag/, 'the caller tag and Call-ID do not cross the B2BUA');
    assert.match(invite, /^Contact: <sip:127\.0\.0\.1:\d+>\r?$/m);
    assert.equal(lab.engine.activeCalls, 0);
    void dest;
  });

  it('callee hangs up: its BYE ends the caller leg too', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-hangup.xml'), callLengthMs: 200 });
    await lab.connection('sip:carrier1002@198.51.100.1', { termMatchPattern: 'sip:1002*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10025550100', { scenario: scenario('uac-wait-bye.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
  });

  it('CANCEL before answer: the callee gets CANCEL, the caller 487', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-ring-cancel.xml') });
    await lab.connection('sip:carrier1003@198.51.100.1', { termMatchPattern: 'sip:1003*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10035550100', { scenario: scenario('uac-cancel.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
  });

  it('callee busy: 486 reaches the caller as 486', async () => {
    const callee = await lab.callee({ scenario: lab.xml('uas-486', uasRejectXml(486, 'Busy Here')) });
    await lab.connection('sip:carrier1004@198.51.100.1', { termMatchPattern: 'sip:1004*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10045550100', { scenario: lab.xml('uac-486', uacExpectXml(486)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 486 Busy Here/);
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
  });

  it('no connection matches the number: 404 No Route', async () => {
    const r = await lab.caller('pbx1', '9995550100', { scenario: lab.xml('uac-404', uacExpectXml(404)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 404 No Route/);
  });

  it('origination disabled on the caller, termination disabled on the destination: 403', async () => {
    await lab.connection('sip:pbx-off@127.0.0.1', { origEnabled: false });
    await lab.connection('sip:carrier1005@198.51.100.1', { termMatchPattern: 'sip:1005*@*', address: '127.0.0.1:9' });
    const r1 = await lab.caller('pbx-off', '10055550100', { scenario: lab.xml('uac-403a', uacExpectXml(403)) });
    assert.equal(r1.exitCode, 0, summarizeSipp(r1));
    assert.match(log(r1), /SIP\/2\.0 403 Origination Disabled/);

    await lab.connection('sip:carrier1006@198.51.100.1', { termMatchPattern: 'sip:1006*@*', address: '127.0.0.1:9', termEnabled: false });
    const r2 = await lab.caller('pbx1', '10065550100', { scenario: lab.xml('uac-403b', uacExpectXml(403)) });
    assert.equal(r2.exitCode, 0, summarizeSipp(r2));
    assert.match(log(r2), /SIP\/2\.0 403 Termination Disabled/);
  });

  it('maxCallsTotal 1: a second concurrent call gets 503 naming the limit; live counts go up and back to 0', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const dest = await lab.connection('sip:carrier1007@198.51.100.1', {
      termMatchPattern: 'sip:1007*@*',
      address: `127.0.0.1:${callee.port}`,
      maxCallsTotal: 1,
    });
    const first = await lab.startCaller('pbx1', '10075550100', { scenario: scenario('uac-call.xml'), callLengthMs: 1500 });
    await waitFor('the first call to be up', () => lab.engine.list().some((c) => c.dest === dest.id && c.state === 'confirmed'));
    await waitFor('live figures in the store', async () => {
      const live = await lab.store.getLive([dest.id, callerId]);
      return live.get(dest.id)?.activeTerm === 1 && (live.get(callerId)?.activeOrig ?? 0) >= 1;
    });

    const second = await lab.caller('pbx1', '10075550101', { scenario: lab.xml('uac-503', uacExpectXml(503)) });
    assert.equal(second.exitCode, 0, summarizeSipp(second));
    assert.match(log(second), /SIP\/2\.0 503 Total Call Limit Reached/);
    assert.match(log(second), /Warning: 399 trunkline "limits-max-active-calls-total 1 reached on connection \d+"/);

    const r = await first.done;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await callee.run.done).exitCode, 0);
    await waitFor('live figures back to 0', async () => {
      const live = await lab.store.getLive([dest.id, callerId]);
      return live.get(dest.id)?.activeTerm === 0 && live.get(callerId)?.activeOrig === 0;
    });
    const live = (await lab.store.getLive([dest.id])).get(dest.id)!;
    assert.equal(live.termSinceStartup, 1, 'the refused call never counted');
    assert.equal(live.maxThisMonth, 1);
    assert.ok(live.talkTimeThisMonth >= 1, `talk time ${live.talkTimeThisMonth}`);
  });

  it('term-leg translations and PCMU only: the callee sees the rewritten numbers and only PCMU', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    await lab.connection('sip:carrier1008@198.51.100.1', {
      termMatchPattern: 'sip:1008*@*',
      address: `127.0.0.1:${callee.port}`,
      translationRequestUser: '9[*]',
      translationDestinationUser: '+1[*]',
      translationSourceUser: '44[*]',
      pcmuOnly: true,
    });
    const r = await lab.caller('pbx1', '10085550100', { scenario: scenario('uac-call.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const invite = receivedInvite(u);
    assert.match(invite, new RegExp(`^INVITE sip:910085550100@127\\.0\\.0\\.1:${callee.port} SIP/2\\.0`));
    assert.match(invite, /^To: <sip:\+110085550100@127\.0\.0\.1:\d+>\r?$/m);
    assert.match(invite, /^From: "Alice Caller" <sip:44pbx1@127\.0\.0\.1>;tag=/m);
    assert.match(invite, /^m=audio \d+ RTP\/AVP 0 101\r?$/m);
    assert.doesNotMatch(invite, /PCMA/);
    assert.match(invite, /^a=rtpmap:101 telephone-event\/8000\r?$/m);
  });

  it('INFO and re-INVITE inside the dialog cross to the callee; the re-INVITE ACK too', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-mid-call.xml') });
    await lab.connection('sip:carrier1009@198.51.100.1', { termMatchPattern: 'sip:1009*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10095550100', { scenario: scenario('uac-mid-call.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const calleeLog = log(u);
    assert.match(calleeLog, /INFO sip:[^\n]*\n[\s\S]*?Content-Type: application\/dtmf-relay[\s\S]*?Signal=5/);
    assert.match(calleeLog, /CSeq: 2 INFO/, 'the callee leg has its own CSeq space');
    assert.match(calleeLog, /CSeq: 3 INVITE[\s\S]*a=sendonly/);
    assert.match(log(r), /a=recvonly/, "the callee's answer reaches the caller");
  });

  it('authenticate-as-client: the far end challenges with 401, trunkline answers with the credentials once', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-digest.xml') });
    await lab.connection('sip:carrier1010@198.51.100.1', {
      termMatchPattern: 'sip:1010*@*',
      address: `127.0.0.1:${callee.port}`,
      authenticateAsClient: true,
      authUsername: 'trunk-user',
      authPassword: 'trunk-secret',
    });
    const r = await lab.caller('pbx1', '10105550100', { scenario: scenario('uac-call.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.match(log(u), /Authorization: Digest username="trunk-user", realm="carrier\.example"/);
    assert.doesNotMatch(log(r), /^SIP\/2\.0 40[17] /m, 'the challenge stays on the far leg');
  });

  it('a far end that challenges a connection without credentials gives the caller 503', async () => {
    const callee = await lab.callee({ scenario: lab.xml('uas-401', uasRejectXml(401, 'Unauthorized')) });
    await lab.connection('sip:carrier1011@198.51.100.1', { termMatchPattern: 'sip:1011*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx1', '10115550100', { scenario: lab.xml('uac-503b', uacExpectXml(503)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 503 Far End Requires Authentication/);
    await callee.run.done;
  });

  it('no answer within Timer C: the callee gets CANCEL, the caller 408', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-ring-cancel.xml') });
    await lab.connection('sip:carrier1012@198.51.100.1', { termMatchPattern: 'sip:1012*@*', address: `127.0.0.1:${callee.port}` });
    const started = Date.now();
    const r = await lab.caller('pbx1', '10125550100', { scenario: lab.xml('uac-408', uacExpectXml(408)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.ok(Date.now() - started >= 2400, 'not before the bound');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
  });

  it('a registered trunk (no address) is reached at the contact its REGISTER left, sent to where it came from', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const dest = await lab.connection('sip:regpbx@198.51.100.1', { termMatchPattern: 'sip:1013*@*', address: '', requireSipAuthentication: true, authUsername: 'regpbx', authPassword: 'reg-secret-1' });
    const now = Date.now();
    await lab.store.putRegistration({
      connectionId: dest.id,
      contact: `sip:regpbx@10.99.0.7:5099;ob`,
      sourceAddress: '127.0.0.1',
      sourcePort: callee.port,
      transport: 'udp',
      registeredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
    });
    const r = await lab.caller('pbx1', '10135550100', { scenario: scenario('uac-call.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const invite = receivedInvite(u);
    assert.match(invite, /^INVITE sip:regpbx@10\.99\.0\.7:5099;ob SIP\/2\.0/, 'the Request-URI is the registered contact');
    assert.match(invite, /^To: <sip:10135550100@10\.99\.0\.7:5099>\r?$/m, 'the dialled number travels in To');
  });

  it('a dynamic trunk that is not registered: 480', async () => {
    await lab.connection('sip:regpbx2@198.51.100.1', { termMatchPattern: 'sip:1014*@*', address: '' });
    const r = await lab.caller('pbx1', '10145550100', { scenario: lab.xml('uac-480', uacExpectXml(480)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 480 Destination Not Registered/);
  });
  it('every call leaves a call record: the NetSapiens /cdrs API lists answered and failed calls with both legs', async () => {
    const headers = { authorization: `Bearer ${lab.t.key}` };
    type Cdr = Record<string, unknown>;
    const cdrs = async (query = ''): Promise<Cdr[]> => {
      const res = await fetch(`${lab.t.url}/ns-api/v2/cdrs${query}`, { headers });
      assert.equal(res.status, 200);
      return (await res.json()) as Cdr[];
    };
    // Written behind: give the recorder a moment after the last call of the tests above.
    await waitFor('call records', async () => (await cdrs()).some((c) => c['call-orig-request-user'] === '10015550100'));
    const all = await cdrs('?limit=1000');
    const basic = all.find((c) => c['call-orig-request-user'] === '10015550100')!;
    assert.equal(basic['trunkline-disposition'], 'answered');
    assert.equal(basic['trunkline-status'], 200);
    assert.equal(basic['trunkline-ended-by'], 'caller');
    assert.equal(basic['trunkline-orig-connection-id'], callerId);
    assert.match(String(basic['call-term-to-uri']), /^sip:10015550100@127\.0\.0\.1:\d+$/);
    assert.match(String(basic['call-start-datetime']), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.notEqual(basic['call-answer-datetime'], '');
    assert.ok(Number(basic['call-talking-duration-seconds']) >= 0);
    assert.notEqual(basic['call-term-call-id'], basic['call-orig-call-id'], 'each leg has its own Call-ID');

    const busy = all.find((c) => c['call-orig-request-user'] === '10045550100')!;
    assert.equal(busy['trunkline-disposition'], 'busy');
    assert.equal(busy['trunkline-status'], 486);
    assert.equal(busy['call-answer-datetime'], '');
    const noRoute = all.filter((c) => c['trunkline-status'] === 404);
    for (const c of noRoute) assert.equal(c['trunkline-term-connection-id'], null);

    // Filters and count.
    const byCallId = await cdrs(`?orig_callid=${encodeURIComponent(String(basic['call-orig-call-id']))}`);
    assert.deepEqual(byCallId.map((c) => c.id), [basic.id]);
    assert.deepEqual(await cdrs('?datetime-start=2000-01-01%2000:00:00&datetime-end=2000-01-02%2000:00:00'), []);
    const count = (await (await fetch(`${lab.t.url}/ns-api/v2/cdrs/count`, { headers })).json()) as { total: number; seconds: number };
    assert.equal(count.total, all.length);
    const bad = await fetch(`${lab.t.url}/ns-api/v2/cdrs?datetime-start=yesterday`, { headers });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((await bad.json()) as object).sort(), ['code', 'message']);
  });
});
