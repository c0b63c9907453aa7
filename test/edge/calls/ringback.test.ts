/**
 * Ringback settings end to end: the destination's `remoteRingback` and the origin's
 * `hidePostDialDelayWithRingback`, as the SIPp caller hears them. The callee waits 1 s, then sends 180 (X-Ring:
 * callee) and 183 with SDP (X-Ring: callee-early-media), then answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SettingsPatch } from '../../../src/model/index.js';
import { sippSkipReason, summarizeSipp, type SippResult } from '../../support/sipp.js';
import { bodyOf, headerValues, messages, receivedRequests, receivedResponses, scenario, startCallLab, type CallLab } from './support.js';

const skip = sippSkipReason();

/** The provisional responses (other than 100) the caller received, with when they came after its INVITE. */
function provisionals(r: SippResult): { status: number; text: string; afterInviteMs: number }[] {
  const all = messages(r);
  const sent = all.find((m) => m.direction === 'sent' && m.text.startsWith('INVITE '))!.at;
  return all
    .filter((m) => m.direction === 'received' && /^SIP\/2\.0 1[1-9]\d /.test(m.text))
    .map((m) => ({ status: Number(m.text.slice(8, 11)), text: m.text, afterInviteMs: m.at - sent }));
}

describe('ringback: remoteRingback and hidePostDialDelayWithRingback', { skip, timeout: 120_000 }, () => {
  let lab: CallLab;
  let n = 0;
  /** A callee on a new number prefix; returns the number to dial and the callee run. */
  const call = async (origin: string, dest: SettingsPatch, calleeScenario = 'uas-ring-early-media.xml') => {
    const callee = await lab.callee({ scenario: scenario(calleeScenario) });
    const prefix = `40${++n}`;
    await lab.connection(`sip:rb-carrier${n}@198.51.100.40`, { termMatchPattern: `sip:${prefix}*@*`, address: `127.0.0.1:${callee.port}`, ...dest });
    const r = await lab.caller(origin, `${prefix}5550100`, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    return { r, u };
  };

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 5000 });
    await lab.connection('sip:rb-pbx@127.0.0.1', { description: 'caller' });
    await lab.connection('sip:rb-pbx-pdd@127.0.0.1', { description: 'caller hearing ringback at once', hidePostDialDelayWithRingback: true });
  });
  after(async () => {
    await lab?.stop();
  });

  it("remoteRingback 'allowed' (default): 180 and 183 with its SDP reach the caller as the callee sent them", async () => {
    const { r } = await call('rb-pbx', { remoteRingback: 'allowed' });
    const p = provisionals(r);
    assert.deepEqual(p.map((x) => x.status), [180, 183]);
    assert.deepEqual(headerValues(p[0]!.text, 'x-ring'), ['callee']);
    assert.ok(p[0]!.afterInviteMs >= 900, `the caller waits through the post-dial delay (${p[0]!.afterInviteMs} ms)`);
    assert.match(bodyOf(p[1]!.text), /^m=audio \d+ RTP\/AVP 0/m, 'early media SDP crosses');
  });

  it("remoteRingback 'local-only': one 180 without SDP, so the caller plays its own ringback", async () => {
    const { r } = await call('rb-pbx', { remoteRingback: 'local-only' });
    const p = provisionals(r);
    assert.deepEqual(p.map((x) => x.status), [180]);
    assert.equal(bodyOf(p[0]!.text).trim(), '');
    assert.equal(headerValues(p[0]!.text, 'content-type').length, 0);
    assert.match(bodyOf(receivedResponses(r, 200, 'INVITE')[0]!), /^m=audio/m, 'the answer still carries the SDP');
  });

  it("remoteRingback 'no-ringback': no 180 or 183 reaches the caller, only the answer", async () => {
    const { r } = await call('rb-pbx', { remoteRingback: 'no-ringback' });
    assert.deepEqual(provisionals(r).map((x) => x.status), []);
    assert.equal(receivedResponses(r, 200, 'INVITE').length, 1);
  });

  it('hidePostDialDelayWithRingback: trunkline rings the caller as the INVITE leaves, once; early media still crosses', async () => {
    const { r } = await call('rb-pbx-pdd', {});
    const p = provisionals(r);
    assert.deepEqual(p.map((x) => x.status), [180, 183], "the callee's own 180 is not repeated");
    assert.ok(p[0]!.afterInviteMs < 500, `ringing ${p[0]!.afterInviteMs} ms after the INVITE, not after the callee's 1 s`);
    assert.deepEqual(headerValues(p[0]!.text, 'x-ring'), [], "trunkline's own 180, not the callee's");
    assert.deepEqual(headerValues(p[1]!.text, 'x-ring'), ['callee-early-media']);
    assert.match(bodyOf(p[1]!.text), /^m=audio/m);
  });

  it("hidePostDialDelayWithRingback with 'no-ringback': the caller hears trunkline's 180 and nothing from the callee", async () => {
    const { r } = await call('rb-pbx-pdd', { remoteRingback: 'no-ringback' });
    const p = provisionals(r);
    assert.deepEqual(p.map((x) => x.status), [180]);
    assert.ok(p[0]!.afterInviteMs < 500);
  });

  it("a reliable 183 under 'no-ringback': trunkline PRACKs it and the caller gets its SDP answer in the 200", async () => {
    const { r, u } = await call('rb-pbx', { remoteRingback: 'no-ringback' }, 'uas-ring-100rel.xml');
    assert.deepEqual(provisionals(r).map((x) => x.status), []);
    const prack = receivedRequests(u, 'PRACK');
    assert.equal(prack.length, 1, 'PRACKed once, its retransmissions absorbed');
    assert.deepEqual(headerValues(prack[0]!, 'rack'), ['1 1 INVITE']);
    const ok = receivedResponses(r, 200, 'INVITE')[0]!;
    assert.match(bodyOf(ok), /^o=callee 7000 7000 /m, "the callee's answer from its 183, though its 200 had no SDP");
  });
});
