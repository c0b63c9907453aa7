/**
 * RFC 3262 (PRACK) and RFC 3311 (UPDATE) across the B2BUA with SIPp on both sides: the callee's reliable 183
 * reaches the caller as a reliable 183 of the caller's leg, the caller's PRACK crosses with its RAck mapped to
 * the callee leg's INVITE CSeq (the callee checks it), and a mid-call UPDATE offer crosses with the callee's
 * answer coming back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { bodyOf, headerValues, receivedRequests, receivedResponses, scenario, startCallLab, type CallLab } from './support.js';

const skip = sippSkipReason();

describe('PRACK and UPDATE cross the B2BUA', { skip, timeout: 60_000 }, () => {
  let lab: CallLab;
  before(async () => {
    lab = await startCallLab();
    await lab.connection('sip:pbx7@127.0.0.1', { description: 'caller PBX with 100rel' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('reliable 183 -> PRACK (RAck mapped) -> 200 -> ACK -> UPDATE offer/answer -> BYE', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-prack-update.xml') });
    await lab.connection('sip:carrier7001@198.51.100.1', { termMatchPattern: 'sip:7001*@*', address: `127.0.0.1:${callee.port}`, sessionTimer: 'no' });
    const r = await lab.caller('pbx7', '70015550100', { scenario: scenario('uac-prack-update.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    // The caller got a reliable 183 with the callee's early SDP.
    const early = receivedResponses(r, 183, 'INVITE');
    assert.equal(early.length, 1);
    assert.match(headerValues(early[0]!, 'Require').join(','), /100rel/);
    assert.match(headerValues(early[0]!, 'RSeq')[0] ?? '', /^\d+$/);
    assert.match(bodyOf(early[0]!), /^o=callee 1 1 /m);

    // The callee got one PRACK whose RAck names its own INVITE (the scenario checks "7 <cseq> INVITE"); the
    // caller's INVITE was CSeq 101, so passing the caller's RAck unmapped would fail here.
    const prack = receivedRequests(u, 'PRACK');
    assert.equal(prack.length, 1);
    const invite = receivedRequests(u, 'INVITE')[0]!;
    const inviteCSeq = /^CSeq:\s*(\d+)\s+INVITE/im.exec(invite)?.[1];
    assert.notEqual(inviteCSeq, '101');
    assert.deepEqual(headerValues(prack[0]!, 'RAck'), [`7 ${inviteCSeq} INVITE`]);

    // The UPDATE's offer reached the callee, and its answer the caller.
    const update = receivedRequests(u, 'UPDATE');
    assert.equal(update.length, 1);
    assert.match(bodyOf(update[0]!), /^a=sendonly\r?$/m);
    const updated = receivedResponses(r, 200, 'UPDATE');
    assert.equal(updated.length, 1);
    assert.match(bodyOf(updated[0]!), /^a=recvonly\r?$/m);
  });
});
