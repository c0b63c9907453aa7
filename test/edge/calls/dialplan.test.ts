/**
 * Dial plans and dial policies end to end: SIPp caller -> trunkline serve -> SIPp callee. The caller's connection
 * names a dial plan that sends 1555* to connection B (which no term match pattern would pick) with the number
 * rewritten, and a dial policy that denies 1900*.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildDialRule, buildPermission } from '../../../src/model/dialplan/index.js';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { scenario, startCallLab, uacExpectXml, waitFor, type CallLab } from './support.js';

const skip = sippSkipReason();
const log = (r: { messagesLog: string | undefined }) => readFileSync(r.messagesLog!, 'latin1');
function receivedInvite(r: { messagesLog: string | undefined }): string {
  const m = /message received \[\d+\] bytes :\s*\n\n(INVITE [\s\S]*?)(?=\n-{10,}|$)/.exec(log(r));
  assert.ok(m, `no INVITE received in ${r.messagesLog}`);
  return m[1]!;
}

describe('call engine: dial plans and dial policies', { skip, timeout: 120_000 }, () => {
  let lab: CallLab;

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 2500 });
    const { store, domain } = lab;
    await store.createDialPlan({ domain, name: 'outbound', description: 'to carrier B' });
    await store.createDialRule(
      buildDialRule({
        domain,
        dialPlan: 'outbound',
        matchToUri: 'sip:1555*@*',
        application: 'to-connection',
        destinationUser: '00[*]',
        destinationHost: 'carrier-b.example',
        sourceName: 'Acme [*]',
      }),
    );
    await store.createDialRule(buildDialRule({ domain, dialPlan: 'outbound', matchToUri: 'sip:1900*@*', application: 'to-connection', destinationUser: '[*]', destinationHost: 'carrier-b.example' }));
    await store.createDialPolicy({ domain, name: 'no-premium', description: 'no 1900 numbers' });
    await store.createPermission(buildPermission({ dialPolicy: 'no-premium', domain, match: '*', mode: 'permit', reason: 'default' }));
    await store.createPermission(buildPermission({ dialPolicy: 'no-premium', domain, match: 'sip:1900*@*', mode: 'deny', reason: 'premium rate' }));
    await lab.engine.dialPlans.reload();
    await lab.connection('sip:pbx-dp@127.0.0.1', { description: 'caller with a dial plan', dialPlan: 'outbound', dialPolicy: 'no-premium', timeZone: 'Europe/Paris' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('a rule sending 1555* to connection B: the call arrives at B with the rewritten number, not at the term-pattern match', async () => {
    const callee = await lab.callee({ scenario: 'uas' });
    // A would win by term match pattern (and is unreachable); B is what the dial rule's destination host names.
    await lab.connection('sip:carrier-a@198.51.100.1', { termMatchPattern: 'sip:1555*@*', address: '127.0.0.1:9' });
    const b = await lab.connection('sip:carrier-b@198.51.100.2', { termMatchPattern: 'sip:*@carrier-b.example', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx-dp', '15555550100', { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    const invite = receivedInvite(u);
    assert.match(invite, new RegExp(`^INVITE sip:0015555550100@127\\.0\\.0\\.1:${callee.port} SIP/2\\.0`));
    assert.match(invite, /^To: <sip:0015555550100@127\.0\.0\.1:\d+>/m);
    assert.match(invite, /^From: "Acme Alice Caller" <sip:pbx-dp@127\.0\.0\.1>;tag=/m);
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
    const records = await lab.store.listCallRecords({ connectionId: b.id });
    assert.equal(records.length, 1, 'the call went through B');
  });

  it('a policy denying 1900*: 403 naming the policy, nothing sent on', async () => {
    const r = await lab.caller('pbx-dp', '19005550100', { scenario: lab.xml('uac-dp-403', uacExpectXml(403)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 403 Forbidden By Dial Policy no-premium/);
    assert.match(log(r), /Warning: 399 trunkline "dial policy no-premium denies 19005550100 \(sip:1900\*@\* denied: premium rate\)"/);
  });

  it('a number no rule of the plan matches: 404 No Matching Dial Rule', async () => {
    const r = await lab.caller('pbx-dp', '4420555501', { scenario: lab.xml('uac-dp-404', uacExpectXml(404)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 404 No Matching Dial Rule/);
  });

  it('a plan written while running reaches the edge through the version poll', async () => {
    const { store, domain } = lab;
    const before = lab.engine.dialPlans.version;
    await store.createPermission(buildPermission({ dialPolicy: 'no-premium', domain, match: 'sip:1555999*@*', mode: 'deny', reason: 'blocked range' }));
    await waitFor('the dial plan copy to reload', () => lab.engine.dialPlans.version !== before, 5000);
    const r = await lab.caller('pbx-dp', '15559990100', { scenario: lab.xml('uac-dp-403b', uacExpectXml(403)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /blocked range/);
  });
});
