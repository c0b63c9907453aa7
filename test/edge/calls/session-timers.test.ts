/**
 * Session timers (RFC 4028) owned per leg, end to end: SIPp caller -> trunkline -> SIPp callee with a 4 s session
 * interval and a Min-SE of 2 s (engine options), so refreshes come every 2 s. What each peer received is read
 * from its SIPp message log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallRecord, SettingsPatch } from '../../../src/model/index.js';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { bodyOf, headerValues, messages, receivedInvite, receivedRequests, receivedResponses, scenario, startCallLab, waitFor, type CallLab } from './support.js';

const skip = sippSkipReason();

/** The option tags of a Supported/Require header, lower-cased. */
const tags = (message: string, header: string): string[] =>
  headerValues(message, header).flatMap((v) => v.split(',').map((t) => t.trim().toLowerCase()));
const originLine = (message: string): string | undefined => /^o=.*$/m.exec(bodyOf(message))?.[0].trim();

describe('session timers (RFC 4028) per leg', { skip, timeout: 180_000 }, () => {
  let lab: CallLab;
  let n = 0;
  /** A destination on a new number prefix; returns the number to dial. */
  const destination = async (calleePort: number, patch: SettingsPatch = {}): Promise<{ number: string; id: number }> => {
    const prefix = `30${++n}`;
    const c = await lab.connection(`sip:st-carrier${n}@198.51.100.30`, { termMatchPattern: `sip:${prefix}*@*`, address: `127.0.0.1:${calleePort}`, ...patch });
    return { number: `${prefix}5550100`, id: c.id };
  };
  const record = (dialled: string): Promise<CallRecord> => lab.callRecord(dialled);

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 5000, sessionExpiresSeconds: 4, minSessionExpiresSeconds: 2 });
    await lab.connection('sip:st-pbx@127.0.0.1', { description: 'caller, session timers by system default (on)' });
    await lab.connection('sip:st-pbx-off@127.0.0.1', { description: 'caller, session timers off', sessionTimer: 'no' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('on for both legs: trunkline asks the callee for 4 s, and refreshes each leg itself at half the interval', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-st-refresher-uac.xml') });
    const { number } = await destination(callee.port, { sessionTimer: 'yes' });
    const r = await lab.caller('st-pbx', number, { scenario: scenario('uac-st-refreshed.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const invite = receivedInvite(u);
    assert.ok(tags(invite, 'supported').includes('timer'), 'Supported: timer on the INVITE');
    assert.deepEqual(headerValues(invite, 'session-expires'), ['4'], 'the engine interval, the UAS chooses the refresher');
    assert.deepEqual(headerValues(invite, 'min-se'), ['2']);

    // Callee leg: it named trunkline (the UAC) refresher and allows UPDATE, so UPDATEs without a body come.
    const answeredAt = messages(u).find((m) => m.direction === 'sent' && m.text.startsWith('SIP/2.0 200 OK') && /CSeq: 1 INVITE/.test(m.text))!.at;
    const updates = messages(u).filter((m) => m.direction === 'received' && m.text.startsWith('UPDATE '));
    assert.equal(updates.length, 2);
    for (const [i, m] of updates.entries()) {
      assert.deepEqual(headerValues(m.text, 'session-expires'), ['4;refresher=uac']);
      assert.equal(bodyOf(m.text).trim(), '', 'a refresh UPDATE carries no offer (RFC 4028 §7.4)');
      assert.match(m.text, new RegExp(`^CSeq: ${i + 2} UPDATE`, 'm'));
    }
    const firstGap = updates[0]!.at - answeredAt;
    assert.ok(firstGap >= 1500 && firstGap <= 3000, `first refresh ${firstGap} ms after the answer (half of 4 s)`);

    // Caller leg: no `Supported: timer`, so trunkline is the refresher (refresher=uas) and, without UPDATE in the
    // caller's Allow, refreshes with re-INVITEs offering the SDP it already gave, version unchanged.
    const ok = receivedResponses(r, 200, 'INVITE')[0]!;
    assert.deepEqual(headerValues(ok, 'session-expires'), ['4;refresher=uas']);
    assert.ok(!tags(ok, 'require').includes('timer'), 'no Require: timer toward a caller that does not support it');
    assert.ok(tags(ok, 'supported').includes('timer'));
    assert.equal(headerValues(ok, 'min-se').length, 0, 'Min-SE is for requests and 422s only');
    const reinvites = receivedRequests(r, 'INVITE');
    assert.equal(reinvites.length, 2);
    for (const m of reinvites) {
      assert.deepEqual(headerValues(m, 'session-expires'), ['4;refresher=uac']);
      assert.equal(originLine(m), originLine(ok), 'the same session description, same version (RFC 3264 §8)');
    }
    // Refreshes stay on their leg: the callee never saw the caller's re-INVITEs, the caller never saw an UPDATE.
    assert.equal(receivedRequests(u, 'INVITE').length, 1);
    assert.equal(receivedRequests(r, 'UPDATE').length, 0);
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
  });

  it("the callee refreshes (refresher=uas): trunkline answers its UPDATEs; a caller whose connection says 'no' sees no timer", async () => {
    const callee = await lab.callee({ scenario: scenario('uas-st-refresher-uas.xml') });
    const { number } = await destination(callee.port);
    const r = await lab.caller('st-pbx-off', number, { scenario: scenario('uac-st-asks.xml'), callLengthMs: 5000 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const invite = receivedInvite(u);
    assert.deepEqual(headerValues(invite, 'session-expires'), ['4'], "trunkline's own request, not the caller's 1800;refresher=uac");
    assert.deepEqual(headerValues(invite, 'min-se'), ['2']);
    assert.ok(tags(invite, 'supported').includes('100rel'), 'other option tags still cross');
    const answers = receivedResponses(u, 200, 'UPDATE');
    assert.equal(answers.length, 2, 'both refreshes answered');
    for (const a of answers) {
      assert.deepEqual(headerValues(a, 'session-expires'), ['4;refresher=uac'], 'the UAC of the UPDATE stays refresher');
      assert.ok(tags(a, 'require').includes('timer'));
    }

    const ok = receivedResponses(r, 200, 'INVITE')[0]!;
    assert.equal(headerValues(ok, 'session-expires').length, 0, "no session timer granted on a 'no' leg");
    assert.ok(!tags(ok, 'require').includes('timer') && !tags(ok, 'supported').includes('timer'));
    assert.deepEqual(
      messages(r).filter((m) => m.direction === 'received' && !m.text.startsWith('SIP/2.0')).map((m) => m.text.split(' ')[0]),
      [],
      "the callee's refreshes never reach the caller, and nothing refreshes the caller's leg",
    );
  });

  it("sessionTimer 'no' on both connections: nothing added, the caller's timer headers stripped, no refresh on a call longer than the interval", async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const { number } = await destination(callee.port, { sessionTimer: 'no' });
    const r = await lab.caller('st-pbx-off', number, { scenario: scenario('uac-st-asks.xml'), callLengthMs: 5000 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const invite = receivedInvite(u);
    assert.equal(headerValues(invite, 'session-expires').length, 0);
    assert.equal(headerValues(invite, 'min-se').length, 0);
    assert.deepEqual(tags(invite, 'supported'), ['100rel'], '`timer` removed from Supported, the rest kept');
    assert.equal(receivedRequests(u, 'UPDATE').length + receivedRequests(u, 'INVITE').length, 1, 'only the initial INVITE');
    const ok = receivedResponses(r, 200, 'INVITE')[0]!;
    assert.equal(headerValues(ok, 'session-expires').length, 0);
  });

  it('a refresh answered 481 ends the call: BYE to both legs', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-st-refresh-481.xml') });
    const { number } = await destination(callee.port);
    const r = await lab.caller('st-pbx-off', number, { scenario: scenario('uac-wait-bye.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.equal(receivedRequests(r, 'BYE').length, 1, 'the caller got BYE');
    assert.equal(receivedRequests(u, 'BYE').length, 1, 'the callee got BYE');
    const cdr = await record(number);
    assert.equal(cdr.endedBy, 'edge');
    assert.match(cdr.reason, /callee leg: session refresh 481/);
  });

  it('a refresh never answered ends the call when the session expires', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-st-refresh-silent.xml') });
    const { number } = await destination(callee.port);
    const r = await lab.caller('st-pbx-off', number, { scenario: scenario('uac-wait-bye.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const answered = messages(r).find((m) => m.direction === 'received' && m.text.startsWith('SIP/2.0 200'))!.at;
    const bye = messages(r).find((m) => m.direction === 'received' && m.text.startsWith('BYE '))!.at;
    assert.ok(bye - answered >= 3500 && bye - answered <= 6000, `BYE ${bye - answered} ms after the answer (session interval 4 s)`);
    assert.equal(receivedRequests(u, 'BYE').length, 1);
    assert.match((await record(number)).reason, /callee leg: session expired/);
  });

  it('422 from the callee: the INVITE goes again with its Min-SE, and the caller never sees the 422', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-st-422.xml') });
    const { number } = await destination(callee.port);
    const r = await lab.caller('st-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const [first, second] = receivedRequests(u, 'INVITE');
    assert.deepEqual(headerValues(first!, 'session-expires'), ['4']);
    assert.deepEqual(headerValues(second!, 'session-expires'), ['6']);
    assert.deepEqual(headerValues(second!, 'min-se'), ['6']);
    assert.match(second!, /^CSeq: 2 INVITE/m);
    assert.equal(receivedResponses(r, 422).length, 0);
  });

  it("a caller asking less than trunkline's Min-SE gets 422 with the Min-SE", async () => {
    const r = await lab.caller('st-pbx', '3999', { scenario: scenario('uac-st-too-small.xml', false) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const tooSmall = receivedResponses(r, 422)[0]!;
    assert.match(tooSmall, /^SIP\/2\.0 422 Session Interval Too Small/);
    assert.deepEqual(headerValues(tooSmall, 'min-se'), ['2']);
  });
});
