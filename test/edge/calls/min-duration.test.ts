/**
 * Minimum call duration (`enforceMinimumDuration` + `minimumCallDurationSeconds`), end to end: when the other
 * party ends an answered call early, the enforcing connection's leg is held until N seconds after the answer.
 * Times are read from the SIPp peers' message logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallRecord, SettingsPatch } from '../../../src/model/index.js';
import { sippSkipReason, summarizeSipp, type SippResult } from '../../support/sipp.js';
import { messages, scenario, startCallLab, waitFor, type CallLab } from './support.js';

const skip = sippSkipReason();

/** When a peer first sent (or received) a message whose start line begins with `start` and whose CSeq names `method`. */
function at(r: SippResult, direction: 'sent' | 'received', start: string, method = start.startsWith('SIP/') ? 'INVITE' : start): number {
  const m = messages(r).find((x) => x.direction === direction && x.text.startsWith(start) && new RegExp(`^CSeq:\\s*\\d+ ${method}\\s*$`, 'm').test(x.text));
  assert.ok(m !== undefined, `no ${direction} ${start} (${method}) in ${r.messagesLog}`);
  return m.at;
}

describe('minimum call duration', { skip, timeout: 120_000 }, () => {
  let lab: CallLab;
  let n = 0;
  const destination = async (calleePort: number, patch: SettingsPatch): Promise<string> => {
    const prefix = `50${++n}`;
    await lab.connection(`sip:md-carrier${n}@198.51.100.50`, { termMatchPattern: `sip:${prefix}*@*`, address: `127.0.0.1:${calleePort}`, ...patch });
    return `${prefix}5550100`;
  };
  const record = (dialled: string): Promise<CallRecord> => lab.callRecord(dialled);
  const enforce3: SettingsPatch = { enforceMinimumDuration: true, minimumCallDurationSeconds: 3 };

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 5000 });
    await lab.connection('sip:md-pbx@127.0.0.1', { description: 'caller' });
    await lab.connection('sip:md-pbx-min@127.0.0.1', { description: 'caller enforcing 3 s', ...enforce3 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('on for the destination: the caller hangs up after 0.3 s, its BYE is answered at once, the callee leg is held to 3 s', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const number = await destination(callee.port, enforce3);
    const caller = lab.caller('md-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 300 });
    await waitFor('the callee leg held', () => lab.engine.list().some((c) => c.held === 'b'), 3000);
    const r = await caller;
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const byeAnswered = at(r, 'received', 'SIP/2.0 200', 'BYE') - at(r, 'sent', 'BYE');
    assert.ok(byeAnswered < 500, `the caller's BYE answered in ${byeAnswered} ms`);
    const held = at(u, 'received', 'BYE') - at(u, 'sent', 'SIP/2.0 200');
    assert.ok(held >= 2900 && held < 4500, `callee BYEd ${held} ms after its answer`);
    const cdr = await record(number);
    assert.equal(cdr.endedBy, 'caller');
    assert.match(cdr.reason, /^BYE from caller; callee leg held to the 3 s minimum call duration of connection \d+$/);
    assert.ok(cdr.talkSeconds >= 3, `talk ${cdr.talkSeconds} s`);
  });

  it('off (3 s set, enforcement off): the callee gets BYE as soon as the caller hangs up', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    const number = await destination(callee.port, { enforceMinimumDuration: false, minimumCallDurationSeconds: 3 });
    const r = await lab.caller('md-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 300 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const held = at(u, 'received', 'BYE') - at(u, 'sent', 'SIP/2.0 200');
    assert.ok(held < 1500, `callee BYEd ${held} ms after its answer`);
    assert.equal((await record(number)).reason, 'BYE from caller');
  });

  it("the enforcing connection's own party hanging up is not held: the caller gets BYE at once", async () => {
    const callee = await lab.callee({ scenario: scenario('uas-hangup.xml'), callLengthMs: 300 });
    const number = await destination(callee.port, enforce3);
    const r = await lab.caller('md-pbx', number, { scenario: scenario('uac-wait-bye.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await callee.run.done).exitCode, 0);
    const gap = at(r, 'received', 'BYE') - at(r, 'received', 'SIP/2.0 200');
    assert.ok(gap < 1500, `caller BYEd ${gap} ms after the answer`);
  });

  it('on for the origin: the callee hangs up early, the caller leg is held to 3 s', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-hangup.xml'), callLengthMs: 300 });
    const number = await destination(callee.port, {});
    const r = await lab.caller('md-pbx-min', number, { scenario: scenario('uac-wait-bye.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const calleeBye = at(u, 'received', 'SIP/2.0 200', 'BYE') - at(u, 'sent', 'BYE');
    assert.ok(calleeBye < 500, `the callee's BYE answered in ${calleeBye} ms`);
    const gap = at(r, 'received', 'BYE') - at(r, 'received', 'SIP/2.0 200');
    assert.ok(gap >= 2900 && gap < 4500, `caller BYEd ${gap} ms after the answer`);
    assert.match((await record(number)).reason, /^BYE from callee; caller leg held to the 3 s minimum call duration of connection \d+$/);
  });

  it('the held party hanging up during the hold ends the call there', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-hangup.xml'), callLengthMs: 1200 });
    const number = await destination(callee.port, enforce3);
    const r = await lab.caller('md-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 300 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const ended = Date.now();
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
    const cdr = await record(number);
    assert.match(cdr.reason, /held to the 3 s minimum call duration .*; callee hung up during the hold$/);
    assert.ok(Date.parse(cdr.endedAt) <= ended, 'ended by the BYE, not by the hold running out');
    assert.ok(cdr.talkSeconds < 3, `talk ${cdr.talkSeconds} s`);
  });
});
