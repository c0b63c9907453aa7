/**
 * Connection settings that rewrite numbers and hosts, on real calls (SIPp caller -> trunkline -> SIPp callee),
 * each shown on and off as the callee (or, for the orig-leg Wavix rewrite, the routing) sees it: NetSapiens
 * host translations and `[*]`, Enswitch `called_prefix` / `called_strip_hash`, `callerid`, `callerid_withheld`,
 * `callerid_unknown`, Wavix `rewrite_enabled` / `rewrite_cond` / `rewrite_prefix`. Number prefixes 30xx (and
 * 99555 for the Wavix number left alone).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp, type SippResult } from '../../support/sipp.js';
import {
  enswitchPeer,
  headerValues,
  receivedRequests,
  scenario,
  startCallLab,
  uacCallXml,
  wavixTrunk,
  type CallLab,
} from './support.js';

const skip = sippSkipReason();

/** The INVITE the callee received for the number `n` (Request-URI user as dialled, or as rewritten). */
function inviteFor(u: SippResult, n: string): string {
  const invite = receivedRequests(u, 'INVITE').find((m) => m.includes(n));
  assert.ok(invite !== undefined, `no INVITE with ${n} at the callee (${u.messagesLog})`);
  return invite;
}
const requestLine = (invite: string): string => invite.split(/\r?\n/)[0]!;
/** The From header without its tag (the tag is trunkline's own). */
const fromOf = (invite: string): string => headerValues(invite, 'From')[0]!.replace(/;tag=[^;]*/, '');
const toOf = (invite: string): string => headerValues(invite, 'To')[0]!;

describe('number and host rules on real calls', { skip, timeout: 240_000 }, () => {
  let lab: CallLab;

  before(async () => {
    lab = await startCallLab();
    // A caller whose From user is a number: "Alice Caller" <sip:2125550100@127.0.0.1:port>.
    await lab.connection('sip:2125550100@127.0.0.1', { description: 'caller PBX with a number' });
  });
  after(async () => {
    await lab?.stop();
  });

  const call = async (number: string, o: { caller?: string; xml?: string } = {}): Promise<void> => {
    const r = await lab.caller(o.caller ?? '2125550100', number, {
      scenario: o.xml === undefined ? scenario('uac-call.xml') : lab.xml(`uac-${number.replace(/\W/g, '')}`, o.xml),
    });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
  };

  it('host translations rewrite the Request-URI, To and From hosts (the INVITE still goes to the address); [*] keeps every value; unset changes nothing', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const address = `127.0.0.1:${callee.port}`;
    await lab.connection('sip:carrier3001@198.51.100.1', {
      termMatchPattern: 'sip:3001*@*',
      address,
      translationRequestHost: 'gw.carrier.example',
      translationDestinationHost: 'to.carrier.example',
      translationSourceHost: 'from.pbx.example',
    });
    await lab.connection('sip:carrier3002@198.51.100.1', { termMatchPattern: 'sip:3002*@*', address });
    await lab.connection('sip:carrier3003@198.51.100.1', {
      termMatchPattern: 'sip:3003*@*',
      address,
      translationRequestUser: '[*]',
      translationRequestHost: '[*]',
      translationDestinationUser: '[*]',
      translationDestinationHost: '[*]',
      translationSourceUser: '[*]',
      translationSourceHost: '[*]',
    });
    await call('30015550100');
    await call('30025550100');
    await call('30035550100');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const on = inviteFor(u, '30015550100');
    assert.equal(requestLine(on), 'INVITE sip:30015550100@gw.carrier.example SIP/2.0');
    assert.equal(toOf(on), '<sip:30015550100@to.carrier.example>');
    assert.equal(fromOf(on), '"Alice Caller" <sip:2125550100@from.pbx.example>');

    const off = inviteFor(u, '30025550100');
    assert.equal(requestLine(off), `INVITE sip:30025550100@127.0.0.1:${callee.port} SIP/2.0`);
    assert.equal(toOf(off), `<sip:30025550100@127.0.0.1:${callee.port}>`);
    assert.equal(fromOf(off), '"Alice Caller" <sip:2125550100@127.0.0.1>');

    const kept = inviteFor(u, '30035550100');
    assert.equal(requestLine(kept), `INVITE sip:30035550100@127.0.0.1:${callee.port} SIP/2.0`, '[*] keeps the user and host (and the port)');
    assert.equal(toOf(kept), `<sip:30035550100@127.0.0.1:${callee.port}>`);
    assert.equal(fromOf(kept), '"Alice Caller" <sip:2125550100@127.0.0.1>');
  });

  it('Enswitch called_strip_hash then called_prefix on the Request-URI and To; off: the number as dialled', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { called_prefix: '9', called_strip_hash: 1 });
    const off = enswitchPeer(`127.0.0.1:${callee.port}`, { called_prefix: '', called_strip_hash: 0 });
    await lab.connection('sip:peer3004@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:3004*@*' }, on.ext);
    await lab.connection('sip:peer3005@198.51.100.1', { ...off.patch, termMatchPattern: 'sip:3005*@*' }, off.ext);
    // `#` is escaped in a URI user part (RFC 3261 §25.1): the caller dials 3004 555 0100 #.
    await call('30045550100%23');
    await call('30055550100%23');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    const stripped = inviteFor(u, '930045550100');
    assert.equal(requestLine(stripped), `INVITE sip:930045550100@127.0.0.1:${callee.port} SIP/2.0`);
    assert.equal(toOf(stripped), `<sip:930045550100@127.0.0.1:${callee.port}>`);
    const asDialled = inviteFor(u, '30055550100');
    assert.equal(requestLine(asDialled), `INVITE sip:30055550100%23@127.0.0.1:${callee.port} SIP/2.0`);
    assert.equal(toOf(asDialled), `<sip:30055550100%23@127.0.0.1:${callee.port}>`);
  });

  it('Enswitch callerid forces the caller number and name; empty: the caller as it came', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 2 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { callerid: '"Acme Sales" <2125550199>' });
    const off = enswitchPeer(`127.0.0.1:${callee.port}`, { callerid: '' });
    await lab.connection('sip:peer3006@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:3006*@*' }, on.ext);
    await lab.connection('sip:peer3007@198.51.100.1', { ...off.patch, termMatchPattern: 'sip:3007*@*' }, off.ext);
    await call('30065550100');
    await call('30075550100');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.equal(fromOf(inviteFor(u, '30065550100')), '"Acme Sales" <sip:2125550199@127.0.0.1>');
    assert.equal(fromOf(inviteFor(u, '30075550100')), '"Alice Caller" <sip:2125550100@127.0.0.1>');
  });

  it('Enswitch callerid_withheld replaces a caller who sent Privacy: id or an anonymous From; a caller who did not withhold passes unchanged', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 4 });
    const numbered = enswitchPeer(`127.0.0.1:${callee.port}`, { callerid_withheld: '"Private Caller" <2125550000>' });
    const byDefault = enswitchPeer(`127.0.0.1:${callee.port}`, {}); // callerid_withheld "Anonymous"
    await lab.connection('sip:peer3008@198.51.100.1', { ...numbered.patch, termMatchPattern: 'sip:3008*@*' }, numbered.ext);
    await lab.connection('sip:peer3009@198.51.100.1', { ...byDefault.patch, termMatchPattern: 'sip:3009*@*' }, byDefault.ext);
    // RFC 3323 §4.1.1.3 anonymous From, identified by that very From.
    await lab.connection('sip:anonymous@anonymous.invalid', { description: 'caller sending an anonymous From' });

    const privacyId = uacCallXml({ headers: ['Privacy: id'] });
    await call('30085550100', { xml: privacyId });
    await call('30095550100', { xml: privacyId });
    await call('30085550101', { caller: 'anonymous', xml: uacCallXml({ from: '"Anonymous" <sip:anonymous@anonymous.invalid>' }) });
    await call('30085550102');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));

    assert.equal(fromOf(inviteFor(u, '30085550100')), '"Private Caller" <sip:2125550000@127.0.0.1>');
    assert.equal(fromOf(inviteFor(u, '30095550100')), '"Anonymous" <sip:anonymous@anonymous.invalid>');
    // The configured number replaces the anonymous From at the destination's host: at anonymous.invalid it would
    // still read as withheld (RFC 3323 §4.1.1.3) and never be shown.
    assert.equal(fromOf(inviteFor(u, '30085550101')), '"Private Caller" <sip:2125550000@127.0.0.1>');
    for (const n of ['30085550100', '30095550100']) assert.doesNotMatch(inviteFor(u, n), /2125550100/, 'the withheld number is nowhere in the INVITE');
    assert.equal(fromOf(inviteFor(u, '30085550102')), '"Alice Caller" <sip:2125550100@127.0.0.1>', 'not withheld: unchanged');
  });

  it('Enswitch callerid_unknown supplies an unknown caller number; empty ("none") leaves the From alone; a known caller is never replaced', async () => {
    const callee = await lab.callee({ scenario: 'uas', calls: 3 });
    const on = enswitchPeer(`127.0.0.1:${callee.port}`, { callerid_unknown: '"Unknown Caller" <8005550000>' });
    const none = enswitchPeer(`127.0.0.1:${callee.port}`, { callerid_unknown: '' });
    await lab.connection('sip:peer3010@198.51.100.1', { ...on.patch, termMatchPattern: 'sip:3010*@*' }, on.ext);
    await lab.connection('sip:peer3011@198.51.100.1', { ...none.patch, termMatchPattern: 'sip:3011*@*' }, none.ext);
    await lab.connection('sip:unknown@127.0.0.1', { description: 'caller without a number' });
    const unknownXml = uacCallXml({ from: '<sip:unknown@[local_ip]:[local_port]>' });
    await call('30105550100', { caller: 'unknown', xml: unknownXml });
    await call('30115550100', { caller: 'unknown', xml: unknownXml });
    await call('30105550101');
    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    assert.equal(fromOf(inviteFor(u, '30105550100')), '"Unknown Caller" <sip:8005550000@127.0.0.1>');
    assert.equal(fromOf(inviteFor(u, '30115550100')), '<sip:unknown@127.0.0.1>');
    assert.equal(fromOf(inviteFor(u, '30105550101')), '"Alice Caller" <sip:2125550100@127.0.0.1>');
  });

  it('Wavix rewrite on calls from the trunk: rewrite_cond removed, rewrite_prefix added before routing; off (or on the term leg): the number as dialled', async () => {
    const rewritten = await lab.callee({ scenario: 'uas', calls: 2 });
    const asDialled = await lab.callee({ scenario: 'uas', calls: 1 });
    const toWavix = await lab.callee({ scenario: 'uas', calls: 1 });
    await lab.connection('sip:carrier3012@198.51.100.1', { termMatchPattern: 'sip:3012*@*', address: `127.0.0.1:${rewritten.port}` });
    await lab.connection('sip:carrier99555@198.51.100.1', { termMatchPattern: 'sip:99555*@*', address: `127.0.0.1:${asDialled.port}` });
    const rule = { rewrite_cond: '99', rewrite_prefix: '3012' };
    const on = wavixTrunk('127.0.0.1', { rewrite_enabled: true, ...rule });
    const off = wavixTrunk('127.0.0.1', { rewrite_enabled: false, ...rule });
    await lab.connection('sip:wavix-rw-on@127.0.0.1', on.patch, on.ext);
    await lab.connection('sip:wavix-rw-off@127.0.0.1', off.patch, off.ext);
    // A Wavix trunk as the destination: its rewrite is for numbers it dials, not for calls it receives.
    const dest = wavixTrunk('127.0.0.1', { rewrite_enabled: true, rewrite_cond: '3013', rewrite_prefix: '77' });
    await lab.connection('sip:wavix-rw-dest@198.51.100.1', { ...dest.patch, address: `127.0.0.1:${toWavix.port}`, termMatchPattern: 'sip:3013*@*' }, dest.ext);

    await call('995550100', { caller: 'wavix-rw-on' });
    await call('30125550101', { caller: 'wavix-rw-on' }); // does not start with rewrite_cond: left alone
    await call('995550100', { caller: 'wavix-rw-off' });
    await call('30135550100');

    const r1 = await rewritten.run.done;
    assert.equal(r1.exitCode, 0, summarizeSipp(r1));
    const invite = inviteFor(r1, '30125550100');
    assert.equal(requestLine(invite), `INVITE sip:30125550100@127.0.0.1:${rewritten.port} SIP/2.0`);
    assert.equal(toOf(invite), `<sip:30125550100@127.0.0.1:${rewritten.port}>`);
    assert.equal(requestLine(inviteFor(r1, '30125550101')), `INVITE sip:30125550101@127.0.0.1:${rewritten.port} SIP/2.0`, 'no prefix on a number without the condition');

    const r2 = await asDialled.run.done;
    assert.equal(r2.exitCode, 0, summarizeSipp(r2));
    assert.equal(requestLine(inviteFor(r2, '995550100')), `INVITE sip:995550100@127.0.0.1:${asDialled.port} SIP/2.0`);

    const r3 = await toWavix.run.done;
    assert.equal(r3.exitCode, 0, summarizeSipp(r3));
    assert.equal(requestLine(inviteFor(r3, '30135550100')), `INVITE sip:30135550100@127.0.0.1:${toWavix.port} SIP/2.0`);
  });
});
