/**
 * Failover to the next matching connection: `routeOutgoing`'s ranked candidates (no SIPp), then real calls where
 * the most specific destination fails (503, no response, transport error, Enswitch fail_percent) and the next one
 * answers, and the cases that must not fail over (486, a CANCEL, the no-failover dial rule, the cap). A
 * destination that must never be tried is a UDP socket counting what reaches it.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { parsePeerParams } from '../../../src/api/enswitch/codec.js';
import { ConnectionIndex } from '../../../src/edge/connection-index.js';
import { routeOutgoing, type RouteDecision } from '../../../src/edge/calls/routing.js';
import type { CallIdentity } from '../../../src/edge/rules/index.js';
import { buildNewConnection, type CallRecord, type Connection, type SettingsPatch } from '../../../src/model/index.js';
import { buildDialRule } from '../../../src/model/dialplan/index.js';
import { findFreePort, sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { log, messages, receivedRequests, scenario, startCallLab, uacExpectXml, uasRejectXml, waitFor, type CallLab } from './support.js';

const skip = sippSkipReason();

describe('routeOutgoing: ranked candidates for failover', () => {
  let nextId = 1;
  const connection = (origMatchPattern: string, patch: SettingsPatch): Connection => ({
    ...buildNewConnection({ domain: 'acme.example', origMatchPattern, createdBy: 'netsapiens' }, patch),
    id: nextId++,
    createdAt: '',
    lastModified: '',
  });
  const identity = (dialled: string): CallIdentity => ({
    requestUser: dialled,
    requestHost: 'edge.example',
    toUser: dialled,
    toHost: 'edge.example',
    fromUser: '2125550100',
    fromHost: 'pbx.example',
    displayName: '',
    privacy: [],
  });
  const route = (all: Connection[], origin: Connection, dialled: string, maxCandidates?: number): RouteDecision => {
    const index = new ConnectionIndex();
    index.replace(all);
    return routeOutgoing({
      index,
      dialPlans: undefined,
      origin: index.get(origin.id)!,
      identity: identity(dialled),
      subject: { scheme: 'sip', user: dialled, host: 'edge.example' },
      ...(maxCandidates === undefined ? {} : { maxCandidates }),
    });
  };
  const ids = (r: RouteDecision) => (r.ok ? r.candidates.map((c) => c.connection.id) : `${r.status} ${r.reason}`);

  it('most specific first, never the origin, termination-disabled connections left out, at most maxCandidates', () => {
    const origin = connection('sip:pbx@pbx.example', { termMatchPattern: 'sip:1*@*' });
    const a = connection('sip:a@carrier-a.example', { termMatchPattern: 'sip:1555*@*' });
    const off = connection('sip:off@carrier-off.example', { termMatchPattern: 'sip:15551*@*', termEnabled: false });
    const b = connection('sip:b@carrier-b.example', { termMatchPattern: 'sip:155*@*' });
    const c = connection('sip:c@carrier-c.example', { termMatchPattern: 'sip:*@*' });
    const all = [origin, a, off, b, c];
    const r = route(all, origin, '15551230000', 3);
    assert.deepEqual(ids(r), [a.id, b.id, c.id]);
    assert.equal(r.ok && r.dest.connection.id, off.id, 'the most specific match is still named');
    assert.deepEqual(ids(route(all, origin, '15551230000', 2)), [a.id, b.id]);
    assert.deepEqual(ids(route(all, origin, '15551230000')), [a.id], 'one candidate unless asked for more');
    assert.deepEqual(ids(route(all, origin, '4000', 3)), [c.id]);
  });

  it('a connection with termination disabled and nothing else: no candidate (the call gets 403)', () => {
    const origin = connection('sip:pbx2@pbx.example', {});
    const off = connection('sip:off2@carrier-off.example', { termMatchPattern: 'sip:2*@*', termEnabled: false });
    const r = route([origin, off], origin, '2000', 3);
    assert.ok(r.ok);
    assert.deepEqual(r.candidates, []);
    assert.equal(r.dest.connection.id, off.id);
  });
});

/** A callee refusing at once, without ringing: INVITE -> `status` -> ACK. */

/** A UDP port that answers nothing and counts the datagrams reaching it. */
async function silentPeer(): Promise<{ port: number; packets: () => string[]; close: () => void }> {
  const port = await findFreePort();
  const socket: Socket = createSocket('udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return { port, packets: () => got, close: () => socket.close() };
}

describe('failover to the next connection', { skip, timeout: 180_000 }, () => {
  let lab: CallLab;
  let n = 0;
  const peers: { close: () => void }[] = [];
  /** Connections for a new number prefix, most specific first: `<prefix>1*`, `<prefix>*`, then shorter. */
  const destinations = async (addresses: (string | SettingsPatch)[]): Promise<{ number: string; ids: number[] }> => {
    const prefix = `6${String(++n).padStart(2, '0')}`;
    const ids: number[] = [];
    for (const [i, a] of addresses.entries()) {
      // Each pattern is one literal character shorter than the one before: the first is the most specific.
      const pattern = `sip:${prefix}${'1'.repeat(addresses.length - 1 - i)}*@*`;
      const patch = typeof a === 'string' ? { address: a } : a;
      ids.push((await lab.connection(`sip:fo-carrier${n}-${i}@198.51.100.60`, { termMatchPattern: pattern, ...patch })).id);
    }
    return { number: `${prefix}${'1'.repeat(addresses.length)}5550100`, ids };
  };
  const reject = (status: number, reason: string) => lab.callee({ scenario: lab.xml(`fo-uas-${status}`, uasRejectXml(status, reason, { ring: false }), false) });
  const silent = async () => {
    const p = await silentPeer();
    peers.push(p);
    return p;
  };
  const record = (dialled: string): Promise<CallRecord> => lab.callRecord(dialled);

  before(async () => {
    lab = await startCallLab({ noAnswerTimeoutMs: 15_000, failoverNoResponseMs: 2_000 });
    await lab.connection('sip:fo-pbx@127.0.0.1', { description: 'caller' });
  });
  after(async () => {
    await lab?.stop();
    for (const p of peers) p.close();
  });

  it('503 from the most specific connection: the next one carries the call, and the call record names it', async () => {
    const first = await reject(503, 'Service Unavailable');
    const second = await lab.callee({ scenario: 'uas' });
    const { number, ids } = await destinations([`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`]);
    const r = await lab.caller('fo-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const f = await first.run.done;
    assert.equal(f.exitCode, 0, summarizeSipp(f));
    assert.equal((await second.run.done).exitCode, 0);
    assert.doesNotMatch(log(r), /SIP\/2\.0 503/, 'the 503 stays with trunkline');
    const cdr = await record(number);
    assert.equal(cdr.termConnectionId, ids[1]);
    assert.equal(cdr.status, 200);
    assert.notEqual(cdr.term?.callId, receivedRequests(f, 'INVITE')[0]!.match(/^Call-ID: (.*)$/m)![1]!.trim(), 'each try is its own dialog');
  });

  it('486 goes straight back to the caller; the next connection is not tried', async () => {
    const first = await reject(486, 'Busy Here');
    const trap = await silent();
    const { number } = await destinations([`127.0.0.1:${first.port}`, `127.0.0.1:${trap.port}`]);
    const r = await lab.caller('fo-pbx', number, { scenario: lab.xml('fo-uac-486', uacExpectXml(486)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 486 Busy Here/);
    assert.equal((await first.run.done).exitCode, 0);
    assert.deepEqual(trap.packets(), []);
  });

  it('no response at all within failoverNoResponseMs (2 s here, before Timer B): the next connection is tried and answers', async () => {
    const deaf = await silent();
    const second = await lab.callee({ scenario: 'uas' });
    const { number, ids } = await destinations([`127.0.0.1:${deaf.port}`, `127.0.0.1:${second.port}`]);
    const r = await lab.caller('fo-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await second.run.done).exitCode, 0);
    const invites = deaf.packets().filter((p) => p.startsWith('INVITE '));
    assert.ok(invites.length >= 3, `the silent destination got the INVITE and its retransmissions (${invites.length})`);
    const all = messages(r);
    const waited = all.find((m) => m.direction === 'received' && m.text.startsWith('SIP/2.0 200'))!.at - all[0]!.at;
    assert.ok(waited >= 2000 && waited < 6000, `given up after failoverNoResponseMs (2 s), before Timer B (64·T1 = 6.4 s here): ${waited} ms`);
    const last = deaf.packets().filter((p) => p.startsWith('INVITE ')).length;
    await new Promise((res) => setTimeout(res, 700));
    assert.equal(deaf.packets().filter((p) => p.startsWith('INVITE ')).length, last, 'the given-up INVITE is no longer retransmitted');
    assert.equal((await record(number)).termConnectionId, ids[1]);
  });

  it('transport error (TCP connection refused): the next connection is tried at once', async () => {
    const closed = await findFreePort();
    const second = await lab.callee({ scenario: 'uas' });
    const { number, ids } = await destinations([{ address: `127.0.0.1:${closed}`, transport: 'TCP' }, `127.0.0.1:${second.port}`]);
    const started = Date.now();
    const r = await lab.caller('fo-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await second.run.done).exitCode, 0);
    assert.ok(Date.now() - started < 5000);
    assert.equal((await record(number)).termConnectionId, ids[1]);
  });

  it('Enswitch fail_percent 100 on the first connection counts as its 503: the next one answers', async () => {
    const trap = await silent();
    const second = await lab.callee({ scenario: 'uas' });
    const peer = parsePeerParams({ name: 'failing peer', type: 'sip', destination: `127.0.0.1:${trap.port}`, fail_percent: 100 }, 'create');
    const prefix = `6${String(++n).padStart(2, '0')}`;
    await lab.connection(`sip:fo-enswitch${n}@198.51.100.61`, { ...peer.patch, termMatchPattern: `sip:${prefix}1*@*` }, peer.ext);
    const next = await lab.connection(`sip:fo-next${n}@198.51.100.61`, { termMatchPattern: `sip:${prefix}*@*`, address: `127.0.0.1:${second.port}` });
    const number = `${prefix}15550100`;
    const r = await lab.caller('fo-pbx', number, { scenario: scenario('uac-call.xml'), callLengthMs: 200 });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.equal((await second.run.done).exitCode, 0);
    assert.deepEqual(trap.packets(), [], 'fail_percent refuses before anything is sent');
    assert.equal((await record(number)).termConnectionId, next.id);
  });

  it('a CANCEL from the caller stops the search: a 503 after it is not failed over', async () => {
    const first = await lab.callee({ scenario: scenario('uas-ring-cancel-503.xml') });
    const trap = await silent();
    const { number } = await destinations([`127.0.0.1:${first.port}`, `127.0.0.1:${trap.port}`]);
    const r = await lab.caller('fo-pbx', number, { scenario: scenario('uac-cancel.xml') });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 487 /);
    const f = await first.run.done;
    assert.equal(f.exitCode, 0, summarizeSipp(f));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(trap.packets(), []);
  });

  it('at most 3 connections are tried (maxRouteAttempts); the caller gets the last failure', async () => {
    const rejects = [await reject(503, 'Service Unavailable'), await reject(500, 'Server Internal Error'), await reject(502, 'Bad Gateway')];
    const trap = await silent();
    const { number } = await destinations([...rejects.map((c) => `127.0.0.1:${c.port}`), `127.0.0.1:${trap.port}`]);
    const r = await lab.caller('fo-pbx', number, { scenario: lab.xml('fo-uac-502', uacExpectXml(502)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 502 Bad Gateway/);
    for (const c of rejects) assert.equal((await c.run.done).exitCode, 0);
    assert.deepEqual(trap.packets(), []);
  });

  it('a to-connection-or-user-no-failover dial rule: the 503 goes to the caller', async () => {
    const { store, domain } = lab;
    await store.createDialPlan({ domain, name: 'no-failover', description: 'one carrier only' });
    await store.createDialRule(
      buildDialRule({ domain, dialPlan: 'no-failover', matchToUri: 'sip:*@*', application: 'to-connection-or-user-no-failover', destinationUser: '[*]', destinationHost: 'nofail.example' }),
    );
    await lab.engine.dialPlans.reload();
    await lab.connection('sip:fo-pbx-plan@127.0.0.1', { description: 'caller with a no-failover plan', dialPlan: 'no-failover' });
    const first = await reject(503, 'Service Unavailable');
    const trap = await silent();
    await lab.connection('sip:fo-nofail-a@198.51.100.62', { termMatchPattern: 'sip:7*@nofail.example', address: `127.0.0.1:${first.port}` });
    await lab.connection('sip:fo-nofail-b@198.51.100.62', { termMatchPattern: 'sip:*@nofail.example', address: `127.0.0.1:${trap.port}` });
    const r = await lab.caller('fo-pbx-plan', '75550100', { scenario: lab.xml('fo-uac-503', uacExpectXml(503)) });
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    assert.match(log(r), /SIP\/2\.0 503 Service Unavailable/);
    assert.equal((await first.run.done).exitCode, 0);
    assert.deepEqual(trap.packets(), []);
  });
});
