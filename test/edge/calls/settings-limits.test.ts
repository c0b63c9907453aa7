/**
 * Connection settings that refuse or end calls, on real calls (SIPp caller -> trunkline -> SIPp callee), each
 * shown on and off: concurrent-call limits (`maxCallsOrig`, `maxCallsTerm`, Enswitch `outmaximum`, Wavix
 * `max_channels`), Wavix `call_limit` with `call_restrict`, Enswitch `fail_percent`. Connections made with the
 * Enswitch and Wavix dialects' own parsers (support.ts `enswitchPeer`, `wavixTrunk`), so the mapping of the
 * vendor field to what the edge enforces is part of what is tested. Number prefixes 20xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp, type SippResult } from '../../support/sipp.js';
import {
  enswitchPeer,
  headerValues,
  log,
  messages,
  receivedRequests,
  receivedResponses,
  scenario,
  startCallLab,
  uacCallXml,
  uacExpectXml,
  waitFor,
  wavixTrunk,
  type CallLab,
} from './support.js';

const skip = sippSkipReason();

/** The Request-URI users of the INVITEs a callee received. */
const dialled = (r: SippResult): string[] => receivedRequests(r, 'INVITE').map((m) => /^INVITE sip:([^@]+)@/.exec(m)?.[1] ?? '?');

describe('connection limits and refusals on real calls', { skip, timeout: 240_000 }, () => {
  let lab: CallLab;

  before(async () => {
    lab = await startCallLab();
    await lab.connection('sip:pbx2@127.0.0.1', { description: 'caller PBX, no limits' });
  });
  after(async () => {
    await lab?.stop();
  });

  const upCount = (origin: number, dest: number): number =>
    lab.engine.list().filter((c) => c.origin === origin && c.dest === dest && c.state === 'confirmed').length;

  /**
   * Hold a call from `caller` to `first` up, then place a second one to `second` while it lasts. With
   * `expect: 503` the second must be refused; with `expect: 200` both must be up at the same time. Returns the
   * second call's SIPp result (the first's is checked here).
   */
  async function secondCallWhileFirstIsUp(
    caller: string,
    origin: number,
    dest: number,
    first: string,
    second: string,
    expect: 503 | 200,
  ): Promise<SippResult> {
    const held = await lab.startCaller(caller, first, { scenario: scenario('uac-call.xml'), callLengthMs: 2000 });
    await waitFor(`call ${first} up`, () => upCount(origin, dest) === 1);
    let r: SippResult;
    if (expect === 503) {
      r = await lab.caller(caller, second, { scenario: lab.xml(`uac-503-${second}`, uacExpectXml(503)) });
      assert.equal(upCount(origin, dest), 1, 'the first call is still up');
    } else {
      const run = await lab.startCaller(caller, second, { scenario: scenario('uac-call.xml'), callLengthMs: 300 });
      await waitFor(`calls ${first} and ${second} up together`, () => upCount(origin, dest) === 2);
      r = await run.done;
    }
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const h = await held.done;
    assert.equal(h.exitCode, 0, summarizeSipp(h));
    await waitFor('no call left', () => lab.engine.activeCalls === 0);
    return r;
  }

  /** The 503 the refused caller got, with the limit named in the reason phrase and the Warning. */
  function assertRefused(r: SippResult, reason: string, warning: string): void {
    const res = receivedResponses(r, 503, 'INVITE');
    assert.equal(res.length, 1, `one 503 expected in ${r.messagesLog}`);
    assert.match(res[0]!, new RegExp(`^SIP/2\\.0 503 ${reason}\\r?$`, 'm'));
    assert.deepEqual(headerValues(res[0]!, 'Warning'), [`399 trunkline "${warning}"`]);
  }

  it('limits-max-active-calls-orig (maxCallsOrig) 1: a second call from the connection gets 503; without it both go through', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const dest = await lab.connection('sip:carrier2001@198.51.100.1', { termMatchPattern: 'sip:2001*@*', address: `127.0.0.1:${callee.port}` });
    const on = await lab.connection('sip:lim-orig-on@127.0.0.1', { maxCallsOrig: 1 });
    const off = await lab.connection('sip:lim-orig-off@127.0.0.1', {});

    const refused = await secondCallWhileFirstIsUp('lim-orig-on', on.id, dest.id, '20015550100', '20015550101', 503);
    assertRefused(refused, 'Origination Call Limit Reached', `limits-max-active-calls-orig 1 reached on connection ${on.id}`);

    const both = await secondCallWhileFirstIsUp('lim-orig-off', off.id, dest.id, '20015550102', '20015550103', 200);
    assert.equal(receivedResponses(both, 200, 'INVITE').length, 1);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(dialled(u).sort(), ['20015550100', '20015550102', '20015550103'], 'the refused call never reached the callee');
  });

  it('limits-max-active-calls-term (maxCallsTerm) 1: a second call to the connection gets 503; without it both go through', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const origin = (await lab.connection('sip:lim-term-caller@127.0.0.1', {})).id;
    const on = await lab.connection('sip:carrier2002@198.51.100.1', { termMatchPattern: 'sip:2002*@*', address: `127.0.0.1:${callee.port}`, maxCallsTerm: 1 });
    const off = await lab.connection('sip:carrier2003@198.51.100.1', { termMatchPattern: 'sip:2003*@*', address: `127.0.0.1:${callee.port}` });

    const refused = await secondCallWhileFirstIsUp('lim-term-caller', origin, on.id, '20025550100', '20025550101', 503);
    assertRefused(refused, 'Termination Call Limit Reached', `limits-max-active-calls-term 1 reached on connection ${on.id}`);
    await secondCallWhileFirstIsUp('lim-term-caller', origin, off.id, '20035550100', '20035550101', 200);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(dialled(u).sort(), ['20025550100', '20035550100', '20035550101']);
  });

  it('Enswitch outmaximum 1: a second call to the peer gets 503 naming outmaximum; outmaximum -1: both go through', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const origin = (await lab.connection('sip:lim-out-caller@127.0.0.1', {})).id;
    const peerOn = enswitchPeer(`127.0.0.1:${callee.port}`, { outmaximum: 1 });
    const peerOff = enswitchPeer(`127.0.0.1:${callee.port}`, { outmaximum: -1 });
    const on = await lab.connection('sip:peer2004@198.51.100.1', { ...peerOn.patch, termMatchPattern: 'sip:2004*@*' }, peerOn.ext);
    const off = await lab.connection('sip:peer2005@198.51.100.1', { ...peerOff.patch, termMatchPattern: 'sip:2005*@*' }, peerOff.ext);

    const refused = await secondCallWhileFirstIsUp('lim-out-caller', origin, on.id, '20045550100', '20045550101', 503);
    assertRefused(refused, 'Termination Call Limit Reached', `outmaximum 1 reached on connection ${on.id}`);
    await secondCallWhileFirstIsUp('lim-out-caller', origin, off.id, '20055550100', '20055550101', 200);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(dialled(u).sort(), ['20045550100', '20055550100', '20055550101']);
  });

  it('Wavix max_channels 1 with channels_restrict: a second call from the trunk gets 503 naming max_channels; restrict off: both go through', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const dest = await lab.connection('sip:carrier2006@198.51.100.1', { termMatchPattern: 'sip:2006*@*', address: `127.0.0.1:${callee.port}` });
    const trunkOn = wavixTrunk('127.0.0.1', { channels_restrict: true, max_channels: 1 });
    const trunkOff = wavixTrunk('127.0.0.1', { channels_restrict: false, max_channels: 1 });
    const on = await lab.connection('sip:wavix-ch-on@127.0.0.1', trunkOn.patch, trunkOn.ext);
    const off = await lab.connection('sip:wavix-ch-off@127.0.0.1', trunkOff.patch, trunkOff.ext);

    const refused = await secondCallWhileFirstIsUp('wavix-ch-on', on.id, dest.id, '20065550100', '20065550101', 503);
    assertRefused(refused, 'Origination Call Limit Reached', `max_channels 1 reached on connection ${on.id}`);
    await secondCallWhileFirstIsUp('wavix-ch-off', off.id, dest.id, '20065550102', '20065550103', 200);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(dialled(u).sort(), ['20065550100', '20065550102', '20065550103']);
  });

  it('Wavix call_limit 2 s with call_restrict: the answered call is BYEd on both legs after 2 s; call_restrict off: it lasts its own length', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    await lab.connection('sip:carrier2007@198.51.100.1', { termMatchPattern: 'sip:2007*@*', address: `127.0.0.1:${callee.port}` });
    const trunkOn = wavixTrunk('127.0.0.1', { call_restrict: true, call_limit: 2 });
    const trunkOff = wavixTrunk('127.0.0.1', { call_restrict: false, call_limit: 2 });
    await lab.connection('sip:wavix-cl-on@127.0.0.1', trunkOn.patch, trunkOn.ext);
    await lab.connection('sip:wavix-cl-off@127.0.0.1', trunkOff.patch, trunkOff.ext);

    // On: the caller never hangs up; trunkline does, 2 s after the answer.
    const cut = await lab.caller('wavix-cl-on', '20075550100', { scenario: lab.xml('uac-wait-bye-2007', uacCallXml({ end: 'wait-bye' })), timeoutSeconds: 10 });
    assert.equal(cut.exitCode, 0, summarizeSipp(cut));
    const seen = messages(cut);
    const answeredAt = seen.find((m) => m.direction === 'received' && /^SIP\/2\.0 200 /.test(m.text))!.at;
    const byeAt = seen.find((m) => m.direction === 'received' && m.text.startsWith('BYE '))?.at;
    assert.ok(byeAt !== undefined, 'the caller got a BYE');
    assert.ok(byeAt - answeredAt >= 1900 && byeAt - answeredAt < 3500, `BYE ${byeAt - answeredAt} ms after the answer, 2000 expected`);
    assert.equal(seen.filter((m) => m.direction === 'sent' && m.text.startsWith('BYE ')).length, 0, 'the caller sent no BYE');
    await waitFor('the limited call to end', () => lab.engine.activeCalls === 0);

    // Off: the caller hangs up after 3 s, longer than call_limit; nobody cut it short.
    const full = await lab.caller('wavix-cl-off', '20075550101', { scenario: scenario('uac-call.xml'), callLengthMs: 3000, timeoutSeconds: 10 });
    assert.equal(full.exitCode, 0, summarizeSipp(full));
    assert.equal(receivedRequests(full, 'BYE').length, 0, 'no BYE reached the caller');
    const fullSeen = messages(full);
    const fullAnswer = fullSeen.find((m) => m.direction === 'received' && /^SIP\/2\.0 200 /.test(m.text))!.at;
    const ownBye = fullSeen.find((m) => m.direction === 'sent' && m.text.startsWith('BYE '))!.at;
    assert.ok(ownBye - fullAnswer >= 2900, `the caller's own BYE came ${ownBye - fullAnswer} ms after the answer`);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    // The callee got one BYE per call: trunkline's after 2 s, then the caller's relayed after 3 s.
    const calleeSeen = messages(u);
    const calls = ['20075550100', '20075550101'].map((n) => {
      const invite = calleeSeen.find((m) => m.direction === 'received' && m.text.startsWith(`INVITE sip:${n}@`))!;
      const callId = headerValues(invite.text, 'Call-ID')[0];
      const bye = calleeSeen.find((m) => m.direction === 'received' && m.text.startsWith('BYE ') && headerValues(m.text, 'Call-ID')[0] === callId);
      assert.ok(bye !== undefined, `the callee got a BYE for ${n}`);
      return bye.at - invite.at;
    });
    assert.ok(calls[0]! >= 1900 && calls[0]! < 3500, `callee leg of the limited call lasted ${calls[0]} ms`);
    assert.ok(calls[1]! >= 2900, `callee leg of the unlimited call lasted ${calls[1]} ms`);
  });

  it('Enswitch fail_percent 100: 503 before anything is sent; fail_percent 0: the call goes through', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 1 });
    const failing = enswitchPeer(`127.0.0.1:${callee.port}`, { fail_percent: 100 });
    const working = enswitchPeer(`127.0.0.1:${callee.port}`, { fail_percent: 0 });
    await lab.connection('sip:peer2008@198.51.100.1', { ...failing.patch, termMatchPattern: 'sip:2008*@*' }, failing.ext);
    await lab.connection('sip:peer2009@198.51.100.1', { ...working.patch, termMatchPattern: 'sip:2009*@*' }, working.ext);

    const r1 = await lab.caller('pbx2', '20085550100', { scenario: lab.xml('uac-503-2008', uacExpectXml(503)) });
    assert.equal(r1.exitCode, 0, summarizeSipp(r1));
    const res = receivedResponses(r1, 503, 'INVITE');
    assert.equal(res.length, 1, log(r1));
    assert.match(res[0]!, /^SIP\/2\.0 503 Service Unavailable\r?$/m);
    assert.deepEqual(headerValues(res[0]!, 'Warning'), ['399 trunkline "failPercent 100%"']);

    const r2 = await lab.caller('pbx2', '20095550100', { scenario: scenario('uac-call.xml') });
    assert.equal(r2.exitCode, 0, summarizeSipp(r2));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.deepEqual(dialled(u), ['20095550100'], 'the 100% peer was never sent the call');
  });
});
