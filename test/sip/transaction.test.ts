/**
 * Transactions (RFC 3261 §17, RFC 6026) over real UDP sockets on 127.0.0.1 with short timers
 * (T1 = 20 ms, T2 = 80 ms, T4 = 100 ms): retransmission counts of Timers A/E/G, Timer B/F
 * timeouts, absorption of retransmitted requests, the ACK for non-2xx, CANCEL, the 2xx/ACK
 * exchange, rport/received handling and stateless rejections.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, it } from 'node:test';
import { createAckFor2xx, createRequest, createResponse } from '../../src/sip/message/builders.js';
import { statelessTag } from '../../src/sip/message/ids.js';
import { SipRequest, SipResponse, type SipMessage } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { InviteClientTransaction, InviteClientState } from '../../src/sip/transaction/invite-client-transaction.js';
import { InviteServerState, InviteServerTransaction } from '../../src/sip/transaction/invite-server-transaction.js';
import { NonInviteServerTransaction } from '../../src/sip/transaction/non-invite-server-transaction.js';
import { TransactionLayer, type AnyServerTransaction } from '../../src/sip/transaction/transaction-layer.js';
import { TcpTransport } from '../../src/sip/transport/tcp.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';
import { msg } from './torture-messages.js';

const HOST = '127.0.0.1';
const TIMERS = { T1: 20, T2: 80, T4: 100 };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function layer(opts: Partial<ConstructorParameters<typeof TransactionLayer>[0]> = {}): Promise<TransactionLayer> {
  const l = new TransactionLayer({ transports: [new UdpTransport({ host: HOST, port: 0 })], timers: TIMERS, ...opts });
  await l.start();
  cleanups.push(() => l.close());
  return l;
}

/** A bare UDP socket that records what it receives, to play a peer by hand. */
interface Peer {
  socket: Socket;
  port: number;
  received: SipMessage[];
  send(data: Buffer | SipMessage, port: number): void;
}

async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
  const received: SipMessage[] = [];
  socket.on('message', (d) => received.push(parseMessage(d)));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return {
    socket,
    port: socket.address().port,
    received,
    send(data, port) {
      socket.send(Buffer.isBuffer(data) ? data : serializeMessage(data), port, HOST);
    },
  };
}

function portOf(l: TransactionLayer): number {
  return l.transports[0]!.local.port;
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(method: string, toPort: number, extra: Partial<Parameters<typeof createRequest>[0]> = {}): SipRequest {
  return createRequest({ method, uri: `sip:bob@${HOST}:${toPort}`, from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', ...extra });
}

/** A request as a raw peer would send it (its own Via and branch). */
function rawRequest(method: string, peerPort: number, branch: string, extra: string[] = []): Buffer {
  return msg([
    `${method} sip:bob@${HOST} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peerPort};branch=${branch}`,
    'From: <sip:alice@example.com>;tag=peer1',
    'To: <sip:bob@example.com>',
    `Call-ID: ${branch}-call`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0',
  ]);
}

describe('client transactions', () => {
  it('non-INVITE: Timer E retransmits (T1 doubling to T2), Timer F times out at 64*T1', async () => {
    const l = await layer();
    const p = await peer();
    const t0 = Date.now();
    const tx = l.sendRequest(request('OPTIONS', p.port));
    const r = await tx.result;
    const elapsed = Date.now() - t0;
    assert.deepEqual(r, { type: 'timeout', timer: 'F' });
    assert.ok(elapsed >= 64 * TIMERS.T1 - 5 && elapsed < 64 * TIMERS.T1 + 1000, `F fired after ${elapsed} ms`);
    // Sends at 0, 20, 60, 140, then every 80 ms until 1280: 17 in an ideal world.
    assert.ok(p.received.length >= 10 && p.received.length <= 18, `${p.received.length} transmissions`);
    const branches = new Set(p.received.map((m) => m.topVia.branch));
    assert.equal(branches.size, 1, 'retransmissions are identical');
    assert.equal(tx.transmissions, p.received.length);
    await until(() => l.clientTransactionCount === 0);
  });

  it('INVITE: Timer A doubles without cap, Timer B times out at 64*T1', async () => {
    const l = await layer();
    const p = await peer();
    const tx = l.sendRequest(request('INVITE', p.port)) as InviteClientTransaction;
    const r = await tx.result;
    assert.deepEqual(r, { type: 'timeout', timer: 'B' });
    // Sends at 0, 20, 60, 140, 300, 620 (and 1260 if the timers line up): 6 or 7 (5 on a very loaded machine).
    assert.ok(p.received.length >= 5 && p.received.length <= 7, `${p.received.length} transmissions`);
    assert.equal(tx.state, InviteClientState.Terminated);
  });

  it('a provisional response stops INVITE retransmissions; a final 486 is ACKed (§17.1.1.3)', async () => {
    const l = await layer();
    const p = await peer();
    const tx = l.sendRequest(request('INVITE', p.port)) as InviteClientTransaction;
    await until(() => p.received.length >= 1);
    const invite = p.received[0] as SipRequest;
    const ringing = new SipResponse({ status: 180, headers: [...invite.headers].map((f) => [f.name, f.value] as [string, string]).filter(([n]) => !/^(max-forwards|content-length)$/i.test(n)) });
    ringing.headers.set('To', `${invite.headers.get('to')};tag=callee`);
    p.send(ringing, portOf(l));
    await until(() => tx.state === InviteClientState.Proceeding);
    const before = p.received.length;
    await sleep(200);
    assert.equal(p.received.length, before, 'no retransmission in Proceeding');

    const busy = ringing.clone();
    busy.status = 486;
    busy.reason = 'Busy Here';
    p.send(busy, portOf(l));
    const r = await tx.result;
    assert.ok(r.type === 'response' && r.response.status === 486);
    await until(() => p.received.some((m) => m instanceof SipRequest && m.method === 'ACK'));
    const ack = p.received.find((m) => m instanceof SipRequest && m.method === 'ACK') as SipRequest;
    assert.equal(ack.topVia.branch, invite.topVia.branch, 'ACK for non-2xx has the INVITE branch');
    assert.equal(ack.to.tag, 'callee');
    assert.deepEqual(ack.cseq, { seq: invite.cseq.seq, method: 'ACK' });
    // A retransmitted 486 is ACKed again, not passed up.
    let passedUp = 0;
    tx.onResponse(() => passedUp++);
    p.send(busy, portOf(l));
    await until(() => p.received.filter((m) => m instanceof SipRequest && m.method === 'ACK').length === 2);
    assert.equal(passedUp, 0);
    assert.equal(tx.state, InviteClientState.Completed);
  });

  it('does not retransmit over TCP (reliable transport)', async () => {
    const tcpServer = new TcpTransport({ host: HOST, port: 0 });
    await tcpServer.listen();
    cleanups.push(() => tcpServer.close());
    let count = 0;
    tcpServer.onMessage(() => count++);
    const l = new TransactionLayer({ transports: [new TcpTransport({ host: HOST, port: 0 })], timers: TIMERS });
    await l.start();
    cleanups.push(() => l.close());
    const tx = l.sendRequest(request('OPTIONS', tcpServer.local.port), { transport: 'tcp' });
    const r = await tx.result;
    assert.deepEqual(r, { type: 'timeout', timer: 'F' });
    assert.equal(count, 1);
  });

  it('reports responses matching no transaction as stray', async () => {
    const l = await layer();
    const p = await peer();
    const strays: SipResponse[] = [];
    l.onStrayResponse((r) => strays.push(r));
    p.send(
      msg(['SIP/2.0 200 OK', `Via: SIP/2.0/UDP ${HOST}:${portOf(l)};branch=z9hG4bKnobody`, 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: stray', 'CSeq: 1 INVITE', 'Content-Length: 0']),
      portOf(l),
    );
    await until(() => strays.length === 1);
    assert.equal(strays[0]!.callId, 'stray');
  });
});

describe('server transactions', () => {
  it('non-INVITE: retransmissions are absorbed in Trying and answered with the last response later', async () => {
    const l = await layer();
    const p = await peer();
    const txs: AnyServerTransaction[] = [];
    l.onRequest((_req, tx) => txs.push(tx));
    const data = rawRequest('OPTIONS', p.port, 'z9hG4bKabsorb');
    p.send(data, portOf(l));
    await until(() => txs.length === 1);
    p.send(data, portOf(l)); // retransmission while Trying: absorbed
    await until(() => (txs[0] as NonInviteServerTransaction).retransmissionsReceived === 1);
    assert.equal(p.received.length, 0);
    txs[0]!.respond(txs[0]!.createResponse(200));
    await until(() => p.received.length === 1);
    p.send(data, portOf(l));
    p.send(data, portOf(l));
    await until(() => p.received.length === 3);
    assert.equal(txs.length, 1, 'the handler saw the request once');
    assert.ok(p.received.every((m) => m instanceof SipResponse && m.status === 200));
    const tags = new Set(p.received.map((m) => m.to.tag));
    assert.equal(tags.size, 1, 'the same response, same To tag');
  });

  it('stateless responder (§8.2.7): answers without a transaction, a retransmission gets the same To tag', async () => {
    const l = await layer();
    const p = await peer();
    const seen: string[] = [];
    l.onRequest((req, tx) => {
      seen.push(req.method);
      tx.respond(tx.createResponse(200));
    });
    l.setStatelessResponder((req) =>
      req.method === 'OPTIONS'
        ? createResponse(req, 200, { toTag: statelessTag([req.topVia.branch ?? '', req.callId]) })
        : undefined,
    );
    const data = rawRequest('OPTIONS', p.port, 'z9hG4bKstateless');
    p.send(data, portOf(l));
    p.send(data, portOf(l));
    await until(() => p.received.length === 2);
    assert.equal(l.serverTransactionCount, 0, 'no transaction was created');
    assert.deepEqual(seen, [], 'the transactional handler never saw it');
    const tags = new Set(p.received.map((m) => m.to.tag));
    assert.equal(tags.size, 1);
    // Requests the responder declines take the transactional path.
    p.send(rawRequest('INFO', p.port, 'z9hG4bKstateful'), portOf(l));
    await until(() => p.received.length === 3);
    assert.deepEqual(seen, ['INFO']);
    assert.notEqual(statelessTag(['ab', 'c']), statelessTag(['a', 'bc']));
  });

  it('INVITE: 100 Trying after 200 ms, Timer G retransmits a 486 until the ACK, ACK absorbed', async () => {
    const l = await layer({ autoTrying: 30 });
    const p = await peer();
    let tx: InviteServerTransaction | undefined;
    const acks: SipRequest[] = [];
    l.onAck((a) => acks.push(a));
    l.onRequest((_req, t) => {
      tx = t as InviteServerTransaction;
    });
    p.send(rawRequest('INVITE', p.port, 'z9hG4bKinv486'), portOf(l));
    await until(() => p.received.length === 1);
    assert.equal((p.received[0] as SipResponse).status, 100);
    tx!.respond(tx!.createResponse(486));
    await sleep(250);
    const finals = p.received.filter((m) => (m as SipResponse).status === 486);
    // Sent at 0, then G at 20, 60, 140, 220 → about 5 by 250 ms.
    assert.ok(finals.length >= 3, `${finals.length} transmissions of the 486`);
    assert.equal(tx!.state, InviteServerState.Completed);
    const ack = rawRequest('ACK', p.port, 'z9hG4bKinv486').toString('latin1').replace('To: <sip:bob@example.com>', `To: <sip:bob@example.com>;tag=${tx!.toTag}`);
    p.send(Buffer.from(ack, 'latin1'), portOf(l));
    await until(() => tx!.state === InviteServerState.Confirmed);
    const n = p.received.length;
    await sleep(150);
    assert.equal(p.received.length, n, 'no retransmission after the ACK');
    assert.equal(acks.length, 0, 'the hop-by-hop ACK is absorbed, not given to the application');
    await until(() => tx!.state === InviteServerState.Terminated); // Timer I = T4
  });

  it('INVITE: Timer H fires when no ACK comes', async () => {
    const l = await layer({ autoTrying: false });
    const p = await peer();
    let timedOut = '';
    l.onRequest((_req, tx) => {
      tx.onTimeout((t) => (timedOut = t));
      tx.respond(tx.createResponse(503));
    });
    p.send(rawRequest('INVITE', p.port, 'z9hG4bKnoack'), portOf(l));
    await until(() => timedOut === 'H', 3000);
    assert.ok(p.received.length >= 6);
  });

  it('INVITE: a retransmitted INVITE re-sends the last provisional response', async () => {
    const l = await layer({ autoTrying: false });
    const p = await peer();
    let calls = 0;
    l.onRequest((_req, tx) => {
      calls++;
      tx.respond(tx.createResponse(180));
    });
    const inv = rawRequest('INVITE', p.port, 'z9hG4bKretx');
    p.send(inv, portOf(l));
    await until(() => p.received.length === 1);
    p.send(inv, portOf(l));
    await until(() => p.received.length === 2);
    assert.equal(calls, 1);
    assert.deepEqual(
      p.received.map((m) => (m as SipResponse).status),
      [180, 180],
    );
  });

  it('stamps received and rport and answers the source port (RFC 3581)', async () => {
    const l = await layer();
    const p = await peer();
    let seen: SipRequest | undefined;
    l.onRequest((req, tx) => {
      seen = req;
      tx.respond(tx.createResponse(200));
    });
    // sent-by claims a different address and port; rport asks for symmetric routing.
    const data = msg([
      `OPTIONS sip:bob@${HOST} SIP/2.0`,
      'Via: SIP/2.0/UDP 192.0.2.99:5999;rport;branch=z9hG4bKrport',
      'From: <sip:alice@example.com>;tag=x',
      'To: <sip:bob@example.com>',
      'Call-ID: rport-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]);
    p.send(data, portOf(l));
    await until(() => p.received.length === 1);
    assert.equal(seen!.topVia.received, HOST);
    assert.equal(seen!.topVia.rport, p.port);
    const res = p.received[0]!;
    assert.equal(res.topVia.received, HOST);
    assert.equal(res.topVia.rport, p.port);
  });

  it('rejects invalid requests statelessly: 483 for Max-Forwards 0, 400 naming the problem, nothing for ACK', async () => {
    const l = await layer();
    const p = await peer();
    let handled = 0;
    l.onRequest(() => handled++);
    p.send(Buffer.from(rawRequest('OPTIONS', p.port, 'z9hG4bKmf0').toString('latin1').replace('Max-Forwards: 70', 'Max-Forwards: 0')), portOf(l));
    p.send(Buffer.from(rawRequest('OPTIONS', p.port, 'z9hG4bKmm').toString('latin1').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE')), portOf(l));
    p.send(Buffer.from(rawRequest('ACK', p.port, 'z9hG4bKack').toString('latin1').replace('CSeq: 1 ACK', 'CSeq: 1 INVITE')), portOf(l));
    await until(() => p.received.length === 2);
    await sleep(50);
    const byStatus = new Map(p.received.map((m) => [(m as SipResponse).status, m as SipResponse]));
    assert.equal(byStatus.get(483)?.reason, 'Too Many Hops');
    assert.equal(byStatus.get(400)?.reason, 'CSeq Method Mismatch');
    assert.equal(p.received.length, 2);
    assert.equal(handled, 0);
  });

  it('answers 501 when the application registered no request handler', async () => {
    const l = await layer();
    const p = await peer();
    p.send(rawRequest('MESSAGE', p.port, 'z9hG4bKnohandler'), portOf(l));
    await until(() => p.received.length === 1);
    assert.equal((p.received[0] as SipResponse).status, 501);
  });
});

describe('layer to layer', () => {
  it('CANCEL: the UAS answers 200 to the CANCEL and 487 to the INVITE, which the UAC ACKs', async () => {
    const uac = await layer();
    const uas = await layer({ autoTrying: false });
    let serverTx: InviteServerTransaction | undefined;
    let cancelled = 0;
    uas.onRequest((_req, tx) => {
      serverTx = tx as InviteServerTransaction;
      tx.respond(tx.createResponse(180));
    });
    uas.onCancel(() => cancelled++);
    const tx = uac.sendRequest(request('INVITE', portOf(uas))) as InviteClientTransaction;
    const cancelRes = await uac.cancel(tx, 'SIP;cause=487;text="bye"');
    assert.equal(cancelRes?.status, 200);
    const r = await tx.result;
    assert.ok(r.type === 'response' && r.response.status === 487);
    assert.equal(cancelled, 1);
    assert.equal(serverTx!.cancelled, true);
    // The 487's To tag equals the 180's and the CANCEL's 200 (§9.2).
    assert.equal(r.response.to.tag, serverTx!.toTag);
    assert.equal(cancelRes!.to.tag, serverTx!.toTag);
    await until(() => serverTx!.state === InviteServerState.Confirmed || serverTx!.state === InviteServerState.Terminated);
  });

  it('CANCEL that the far end never completes: the INVITE client transaction is destroyed after 64*T1 (§9.1)', async () => {
    const uac = await layer();
    // The far end rings, answers the CANCEL (the layer does) but never ends the INVITE with 487 or anything.
    const uas = await layer({ autoTrying: false, autoRespond487: false });
    uas.onRequest((_req, tx) => tx.respond(tx.createResponse(180)));
    const tx = uac.sendRequest(request('INVITE', portOf(uas))) as InviteClientTransaction;
    const started = Date.now();
    await uac.cancel(tx);
    const r = await tx.result;
    assert.equal(r.type, 'transport-error', 'settled as failed, not left pending');
    assert.equal(tx.state, InviteClientState.Terminated);
    assert.ok(Date.now() - started >= 64 * uac.timers.T1 - 20, `destroyed after ${Date.now() - started} ms`);
  });

  it('CANCEL waits for a provisional response, and is not sent once the INVITE completed', async () => {
    const uac = await layer();
    const uas = await layer({ autoTrying: false });
    uas.onRequest((_req, tx) => {
      setTimeout(() => tx.respond(tx.createResponse(200)), 50);
    });
    const tx = uac.sendRequest(request('INVITE', portOf(uas))) as InviteClientTransaction;
    assert.equal(await uac.cancel(tx), undefined);
    const r = await tx.result;
    assert.ok(r.type === 'response' && r.response.status === 200);
  });

  it('Timer C: a proxy-style INVITE that stays in Proceeding is CANCELled (§16.8)', async () => {
    const uac = await layer({ timers: { ...TIMERS, C: 150 } });
    const uas = await layer({ autoTrying: false });
    let cancelled = false;
    uas.onCancel(() => (cancelled = true));
    uas.onRequest((_req, tx) => tx.respond(tx.createResponse(180)));
    const tx = uac.sendRequest(request('INVITE', portOf(uas))) as InviteClientTransaction;
    const timers: string[] = [];
    tx.onTimeout((t) => timers.push(t));
    const finals: number[] = [];
    tx.onResponse((r) => {
      if (r.status >= 200) finals.push(r.status);
    });
    const r = await tx.result;
    assert.deepEqual(r, { type: 'timeout', timer: 'C' });
    await until(() => finals.includes(487));
    assert.equal(cancelled, true);
    assert.deepEqual(timers, ['C']);
  });

  it('a CANCEL matching nothing gets 481', async () => {
    const uas = await layer();
    const p = await peer();
    p.send(rawRequest('CANCEL', p.port, 'z9hG4bKorphan'), portOf(uas));
    await until(() => p.received.length === 1);
    assert.equal((p.received[0] as SipResponse).status, 481);
  });

  it('2xx: retransmitted by the UAS until the end-to-end ACK, which reaches the application', async () => {
    const uac = await layer();
    const uas = await layer({ autoTrying: false });
    const acks: SipRequest[] = [];
    uas.onAck((a) => acks.push(a));
    uas.onRequest((_req, tx) => {
      tx.respond(tx.createResponse(200, { headers: [['Contact', `<sip:bob@${HOST}:${portOf(uas)}>`]] }));
    });
    const okCount: SipResponse[] = [];
    const tx = uac.sendRequest(request('INVITE', portOf(uas)));
    tx.onResponse((r) => {
      if (r.status === 200) okCount.push(r);
    });
    const r = await tx.result;
    assert.ok(r.type === 'response' && r.response.status === 200);
    assert.equal(tx.state, InviteClientState.Accepted);
    // Without an ACK the UAS keeps retransmitting (T1, 2*T1 ...) and the UAC passes them up.
    await until(() => okCount.length >= 3);
    const ack = createAckFor2xx(tx.request, r.response);
    assert.equal(ack.uriText, `sip:bob@${HOST}:${portOf(uas)}`);
    await uac.sendAck(ack);
    await until(() => acks.length === 1);
    assert.equal(acks[0]!.method, 'ACK');
    const n = okCount.length;
    await sleep(250);
    assert.ok(okCount.length <= n + 1, 'retransmissions stopped after the ACK');
  });

  it('OPTIONS round trip with a 200 and transaction cleanup after Timer J/K', async () => {
    const uac = await layer();
    const uas = await layer();
    uas.onRequest((_req, tx) => tx.respond(tx.createResponse(200, { headers: [['Allow', 'INVITE, ACK, CANCEL, OPTIONS, BYE']], body: 'ok', contentType: 'text/plain' })));
    const tx = uac.sendRequest(request('OPTIONS', portOf(uas)));
    const r = await tx.result;
    assert.ok(r.type === 'response');
    if (r.type !== 'response') return;
    assert.equal(r.response.status, 200);
    assert.equal(r.response.bodyText, 'ok');
    assert.equal(r.response.headers.getList('allow').length, 5);
    await until(() => uac.clientTransactionCount === 0, 1000); // Timer K = T4
    await until(() => uas.serverTransactionCount === 0, 3000); // Timer J = 64*T1
  });

  for (const [proto, host] of [
    ['udp', '::1'],
    ['tcp', '127.0.0.1'],
    ['tcp', '::1'],
  ] as const) {
    it(`INVITE / 200 / ACK between two layers over ${proto.toUpperCase()} on ${host}`, async () => {
      const mk = async () => {
        const t = proto === 'udp' ? new UdpTransport({ host, port: 0 }) : new TcpTransport({ host, port: 0 });
        const l = new TransactionLayer({ transports: [t], timers: TIMERS, autoTrying: false });
        await l.start();
        cleanups.push(() => l.close());
        return l;
      };
      const uac = await mk();
      const uas = await mk();
      const acks: SipRequest[] = [];
      uas.onAck((a) => acks.push(a));
      const bracket = host.includes(':') ? `[${host}]` : host;
      uas.onRequest((req, tx) => {
        assert.equal(req.topVia.transport, proto.toUpperCase());
        tx.respond(tx.createResponse(200, { headers: [['Contact', `<sip:bob@${bracket}:${portOf(uas)};transport=${proto}>`]] }));
      });
      const invite = createRequest({ method: 'INVITE', uri: `sip:bob@${bracket}:${portOf(uas)};transport=${proto}`, from: '<sip:alice@example.com>', to: '<sip:bob@example.com>' });
      const tx = uac.sendRequest(invite);
      assert.match(invite.headers.get('via')!, new RegExp(`^SIP/2.0/${proto.toUpperCase()} ${bracket.replace(/[[\]]/g, '\\$&')}:\\d+;branch=z9hG4bK`));
      const r = await tx.result;
      assert.ok(r.type === 'response' && r.response.status === 200);
      await uac.sendAck(createAckFor2xx(tx.request, r.response));
      await until(() => acks.length === 1);
    });
  }
});
