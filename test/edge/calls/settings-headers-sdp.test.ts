/**
 * Connection settings that change headers and SDP, on real calls (SIPp caller -> trunkline -> SIPp callee),
 * each shown on and off as the peer sees it: `includeServerHeader` (both legs), `customPAssertedIdFormat`,
 * Enswitch `send_asserted_identity`, `send_privacy`, `send_rpid`, `blockVideoInSdp`, Enswitch `codecs`,
 * `blockMediaIn180Ringing`. Number prefixes 40xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp, type SippResult } from '../../support/sipp.js';
import {
  bodyOf,
  enswitchPeer,
  headerValues,
  messages,
  received,
  receivedRequests,
  receivedResponses,
  scenario,
  startCallLab,
  uacCallXml,
  uacExpectXml,
  uasCallXml,
  type CallLab,
} from './support.js';

const skip = sippSkipReason();

function inviteFor(u: SippResult, n: string): string {
  const invite = receivedRequests(u, 'INVITE').find((m) => m.startsWith(`INVITE sip:${n}@`));
  assert.ok(invite !== undefined, `no INVITE for ${n} at the callee (${u.messagesLog})`);
  return invite;
}
/** The `m=` lines of a message's SDP body. */
const mLines = (message: string): string[] => bodyOf(message).split(/\r?\n/).filter((l) => l.startsWith('m='));

describe('header and SDP rules on real calls', { skip, timeout: 240_000 }, () => {
  let lab: CallLab;

  before(async () => {
    lab = await startCallLab();
    await lab.connection('sip:2125550100@127.0.0.1', { description: 'caller PBX with a number' });
  });
  after(async () => {
    await lab?.stop();
  });

  const call = async (number: string, o: { caller?: string; xml?: string; callLengthMs?: number } = {}): Promise<SippResult> => {
    const r = await lab.caller(o.caller ?? '2125550100', number, {
      scenario: o.xml === undefined ? scenario('uac-call.xml') : lab.xml(`uac-${number}`, o.xml),
      ...(o.callLengthMs === undefined ? {} : { callLengthMs: o.callLengthMs }),
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    return r;
  };

  it('includeServerHeader: responses trunkline sends to the connection carry Server (caller leg and callee leg); off: none', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-hangup.xml'), calls: 2, callLengthMs: 300 });
    await lab.connection('sip:srv-on@127.0.0.1', { includeServerHeader: true });
    await lab.connection('sip:srv-off@127.0.0.1', { includeServerHeader: false });
    await lab.connection('sip:carrier4001@198.51.100.1', { termMatchPattern: 'sip:4001*@*', address: `127.0.0.1:${callee.port}`, includeServerHeader: true });
    await lab.connection('sip:carrier4002@198.51.100.1', { termMatchPattern: 'sip:4002*@*', address: `127.0.0.1:${callee.port}` });
    // The callee hangs up, so trunkline answers its BYE: a response on the callee's leg.
    const on = await call('40015550100', { caller: 'srv-on', xml: uacCallXml({ end: 'wait-bye' }) });
    const off = await call('40025550100', { caller: 'srv-off', xml: uacCallXml({ end: 'wait-bye' }) });
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const responses = (r: SippResult): string[] => received(r).filter((m) => m.startsWith('SIP/2.0 '));
    const onResponses = responses(on);
    assert.ok(onResponses.some((m) => /^SIP\/2\.0 180 /.test(m)) && onResponses.some((m) => /^SIP\/2\.0 200 /.test(m)), 'the caller got 180 and 200');
    for (const res of onResponses) assert.match(headerValues(res, 'Server')[0] ?? '', /^trunkline\/\d/, `Server on ${res.split('\n')[0]}`);
    for (const res of responses(off)) assert.deepEqual(headerValues(res, 'Server'), [], `no Server on ${res.split('\n')[0]}`);

    const byeAnswers = responses(u).filter((m) => /^CSeq:\s*\d+\s+BYE\s*$/im.test(m));
    assert.equal(byeAnswers.length, 2, 'the callee got an answer to each of its BYEs');
    const [onBye, offBye] = ['40015550100', '40025550100'].map((n) => {
      const callId = headerValues(inviteFor(u, n), 'Call-ID')[0];
      return byeAnswers.find((m) => headerValues(m, 'Call-ID')[0] === callId)!;
    });
    assert.match(headerValues(onBye!, 'Server')[0] ?? '', /^trunkline\/\d/);
    assert.deepEqual(headerValues(offBye!, 'Server'), []);
  });

  it(
    'includeServerHeader also on the 100 Trying trunkline sends while the callee is silent',
    async () => {
      const callee = await lab.callee({ scenario: lab.xml('uas-ring-late', uasCallXml({ ringAfterMs: 600 })), calls: 2 });
      await lab.connection('sip:srv-on-100@127.0.0.1', { includeServerHeader: true });
      await lab.connection('sip:srv-off-100@127.0.0.1', { includeServerHeader: false });
      await lab.connection('sip:carrier4017@198.51.100.1', { termMatchPattern: 'sip:4017*@*', address: `127.0.0.1:${callee.port}` });
      const on = await call('40175550100', { caller: 'srv-on-100' });
      const off = await call('40175550101', { caller: 'srv-off-100' });
      assert.equal((await callee.run.done).exitCode, 0);
      const trying = (r: SippResult): string => {
        const t = receivedResponses(r, 100, 'INVITE')[0];
        assert.ok(t !== undefined, `a 100 Trying reached the caller (${r.messagesLog})`);
        return t;
      };
      assert.deepEqual(headerValues(trying(off), 'Server'), []);
      assert.match(headerValues(trying(on), 'Server')[0] ?? '', /^trunkline\/\d/);
    },
  );

  it('customPAssertedIdFormat +1[*]: the callee gets P-Asserted-Identity built from the caller; empty: none', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    await lab.connection('sip:carrier4003@198.51.100.1', { termMatchPattern: 'sip:4003*@*', address: `127.0.0.1:${callee.port}`, customPAssertedIdFormat: '+1[*]' });
    await lab.connection('sip:carrier4004@198.51.100.1', { termMatchPattern: 'sip:4004*@*', address: `127.0.0.1:${callee.port}` });
    await call('40035550100');
    await call('40045550100');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(headerValues(inviteFor(u, '40035550100'), 'P-Asserted-Identity'), ['"Alice Caller" <sip:+12125550100@127.0.0.1>']);
    assert.deepEqual(headerValues(inviteFor(u, '40045550100'), 'P-Asserted-Identity'), []);
  });

  it('Enswitch send_asserted_identity: the caller is asserted (replacing what the caller claimed); off: P-Asserted-Identity removed', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { send_asserted_identity: 1 });
    const off = enswitchPeer(`127.0.0.1:${callee.port}`, { send_asserted_identity: 0 });
    await lab.connection('sip:peer4005@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:4005*@*' }, on.ext);
    await lab.connection('sip:peer4006@198.51.100.1', { ...off.patch, termMatchPattern: 'sip:4006*@*' }, off.ext);
    const claiming = uacCallXml({ headers: ['P-Asserted-Identity: <sip:9995550000@claimed.example>'] });
    await call('40055550100', { xml: claiming });
    await call('40065550100', { xml: claiming });
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(headerValues(inviteFor(u, '40055550100'), 'P-Asserted-Identity'), ['"Alice Caller" <sip:2125550100@127.0.0.1>']);
    assert.deepEqual(headerValues(inviteFor(u, '40065550100'), 'P-Asserted-Identity'), []);
  });

  it('Enswitch send_privacy: a withheld caller reaches the peer with Privacy: id; off: Privacy removed', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { send_privacy: 1 });
    const off = enswitchPeer(`127.0.0.1:${callee.port}`, { send_privacy: 0 });
    await lab.connection('sip:peer4007@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:4007*@*' }, on.ext);
    await lab.connection('sip:peer4008@198.51.100.1', { ...off.patch, termMatchPattern: 'sip:4008*@*' }, off.ext);
    const withheld = uacCallXml({ headers: ['Privacy: id'] });
    await call('40075550100', { xml: withheld });
    await call('40085550100', { xml: withheld });
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const onInvite = inviteFor(u, '40075550100');
    assert.deepEqual(headerValues(onInvite, 'Privacy'), ['id']);
    assert.deepEqual(headerValues(inviteFor(u, '40085550100'), 'Privacy'), []);
    // Both peers present the withheld caller as callerid_withheld says (default "Anonymous").
    for (const n of ['40075550100', '40085550100']) assert.match(headerValues(inviteFor(u, n), 'From')[0]!, /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/);
  });

  it('Enswitch send_rpid: Remote-Party-ID for the caller (replacing what the caller sent); off: Remote-Party-ID removed', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { send_rpid: 1 });
    const off = enswitchPeer(`127.0.0.1:${callee.port}`, { send_rpid: 0 });
    await lab.connection('sip:peer4009@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:4009*@*' }, on.ext);
    await lab.connection('sip:peer4010@198.51.100.1', { ...off.patch, termMatchPattern: 'sip:4010*@*' }, off.ext);
    const claiming = uacCallXml({ headers: ['Remote-Party-ID: <sip:9995550000@claimed.example>;party=calling'] });
    await call('40095550100', { xml: claiming });
    await call('40105550100', { xml: claiming });
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(headerValues(inviteFor(u, '40095550100'), 'Remote-Party-ID'), [
      '"Alice Caller" <sip:2125550100@127.0.0.1>;party=calling;screen=yes;privacy=off',
    ]);
    assert.deepEqual(headerValues(inviteFor(u, '40105550100'), 'Remote-Party-ID'), []);
  });

  it('blockVideoInSdp: the callee sees the offered video stream with port 0, and so does the caller in the answer; off: video passes', async () => {
    const answer = ['m=audio [media_port] RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'm=video [media_port+2] RTP/AVP 96', 'a=rtpmap:96 H264/90000'];
    const callee = await lab.callee({ scenario: lab.xml('uas-video', uasCallXml({ media: answer })), calls: 2 });
    await lab.connection('sip:carrier4011@198.51.100.1', { termMatchPattern: 'sip:4011*@*', address: `127.0.0.1:${callee.port}`, blockVideoInSdp: true });
    await lab.connection('sip:carrier4012@198.51.100.1', { termMatchPattern: 'sip:4012*@*', address: `127.0.0.1:${callee.port}` });
    const video = uacCallXml({
      media: ['m=audio [media_port] RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'm=video [media_port+2] RTP/AVP 96', 'a=rtpmap:96 H264/90000'],
    });
    const on = await call('40115550100', { xml: video });
    const off = await call('40125550100', { xml: video });
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const [onAudio, onVideo] = mLines(inviteFor(u, '40115550100'));
    assert.match(onAudio!, /^m=audio [1-9]\d* RTP\/AVP 0 101$/);
    assert.equal(onVideo, 'm=video 0 RTP/AVP 96');
    assert.match(bodyOf(inviteFor(u, '40115550100')), /^a=rtpmap:96 H264\/90000\r?$/m, 'the declined stream keeps its attributes');
    const [offAudio, offVideo] = mLines(inviteFor(u, '40125550100'));
    assert.match(offAudio!, /^m=audio [1-9]\d* RTP\/AVP 0 101$/);
    assert.match(offVideo!, /^m=video [1-9]\d* RTP\/AVP 96$/);

    const answerOf = (r: SippResult): string => receivedResponses(r, 200, 'INVITE')[0]!;
    assert.equal(mLines(answerOf(on))[1], 'm=video 0 RTP/AVP 96');
    assert.match(mLines(answerOf(off))[1]!, /^m=video [1-9]\d* RTP\/AVP 96$/);
  });

  it('Enswitch codecs alaw: the peer is offered PCMA (and DTMF) only, and a PCMU-only offer gets 488; default codecs: PCMU and PCMA', async () => {
    const alawAnswer = ['m=audio [media_port] RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000'];
    const callee = await lab.callee({ scenario: lab.xml('uas-alaw', uasCallXml({ media: alawAnswer })), calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { codecs: 'alaw' });
    const byDefault = enswitchPeer(`127.0.0.1:${callee.port}`, {});
    await lab.connection('sip:peer4013@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:4013*@*' }, on.ext);
    await lab.connection('sip:peer4014@198.51.100.1', { ...byDefault.patch, termMatchPattern: 'sip:4014*@*' }, byDefault.ext);
    await call('40135550100'); // offers PCMU, PCMA, telephone-event
    await call('40145550100');
    const refused = await lab.caller('2125550100', '40135550101', { scenario: lab.xml('uac-488-4013', uacExpectXml(488)) }); // PCMU only
    assert.equal(refused.exitCode, 0, summarizeSipp(refused));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const alaw = inviteFor(u, '40135550100');
    assert.deepEqual(mLines(alaw).map((l) => l.replace(/ \d+ /, ' N ')), ['m=audio N RTP/AVP 8 101']);
    assert.doesNotMatch(bodyOf(alaw), /PCMU/);
    assert.deepEqual(mLines(inviteFor(u, '40145550100')).map((l) => l.replace(/ \d+ /, ' N ')), ['m=audio N RTP/AVP 0 8 101']);

    const res = receivedResponses(refused, 488, 'INVITE');
    assert.equal(res.length, 1);
    assert.deepEqual(headerValues(res[0]!, 'Warning'), ['305 trunkline "Incompatible media format"']);
    assert.equal(receivedRequests(u, 'INVITE').length, 2, 'the refused offer never reached the peer');
  });

  it('blockMediaIn180Ringing: the caller gets the callee 180 without its SDP (the 200 keeps it); off: the 180 carries the SDP', async () => {
    const early = ['m=audio [media_port] RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'];
    const callee = await lab.callee({ scenario: lab.xml('uas-180-sdp', uasCallXml({ ringingMedia: early, ringMs: 200 })), calls: 2 });
    await lab.connection('sip:carrier4015@198.51.100.1', { termMatchPattern: 'sip:4015*@*', address: `127.0.0.1:${callee.port}`, blockMediaIn180Ringing: true });
    await lab.connection('sip:carrier4016@198.51.100.1', { termMatchPattern: 'sip:4016*@*', address: `127.0.0.1:${callee.port}` });
    const on = await call('40155550100');
    const off = await call('40165550100');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    // The callee did send SDP in both 180s.
    const sent180 = messages(u).filter((m) => m.direction === 'sent' && m.text.startsWith('SIP/2.0 180 '));
    assert.equal(sent180.length, 2);
    for (const m of sent180) assert.match(bodyOf(m.text), /^m=audio /m);

    const ringing = (r: SippResult): string => {
      const all = receivedResponses(r, 180, 'INVITE');
      assert.equal(all.length, 1, `one 180 at the caller (${r.messagesLog})`);
      return all[0]!;
    };
    const stripped = ringing(on);
    assert.equal(bodyOf(stripped).trim(), '');
    assert.deepEqual(headerValues(stripped, 'Content-Type'), []);
    assert.match(headerValues(stripped, 'Content-Length')[0] ?? '', /^0$/);
    assert.match(bodyOf(receivedResponses(on, 200, 'INVITE')[0]!), /^m=audio [1-9]\d* RTP\/AVP 0\r?$/m, 'the answer in the 200 is untouched');

    const kept = ringing(off);
    assert.deepEqual(headerValues(kept, 'Content-Type'), ['application/sdp']);
    assert.match(bodyOf(kept), /^m=audio [1-9]\d* RTP\/AVP 0\r?$/m);
  });
});
