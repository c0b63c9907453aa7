/**
 * Malformed and hostile SIP in the middle of real calls (SIPp or a raw UDP socket as the caller, trunkline,
 * SIPp as the callee): bad requests inside an established dialog are refused without touching the call, and a
 * flood of retransmitted INVITEs reaches the callee as one call while a parallel call goes on undisturbed.
 * Requests outside any call (stray BYE/INFO, malformed OPTIONS) are in test/edge/sip-edge.test.ts. Number
 * prefixes 50xx.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import {
  bodyOf,
  headerValues,
  received,
  receivedRequests,
  receivedResponses,
  scenario,
  startCallLab,
  uasCallXml,
  waitFor,
  type CallLab,
} from './support.js';

const skip = sippSkipReason();

/** A SIP peer on a raw UDP socket: sends what it is given, keeps everything that comes back. */
class RawPeer {
  readonly got: { at: number; text: string }[] = [];
  private constructor(
    private readonly sock: Socket,
    readonly port: number,
  ) {
    sock.on('message', (m) => this.got.push({ at: Date.now(), text: m.toString('latin1') }));
  }
  static async open(): Promise<RawPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    sock.unref(); // a failed test must not keep the process alive
    return new RawPeer(sock, sock.address().port);
  }
  send(text: string, port: number): Promise<void> {
    return new Promise((r, j) => this.sock.send(Buffer.from(text, 'latin1'), port, '127.0.0.1', (e) => (e ? j(e) : r())));
  }
  responses(status: number, method: string): string[] {
    return this.got.map((g) => g.text).filter((t) => t.startsWith(`SIP/2.0 ${status} `) && new RegExp(`^CSeq:\\s*\\d+\\s+${method}\\s*$`, 'mi').test(t));
  }
  close(): void {
    this.sock.close();
  }
}

const crlf = (lines: readonly string[], body = ''): string => `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('hostile SIP during real calls', { skip, timeout: 180_000 }, () => {
  let lab: CallLab;

  before(async () => {
    lab = await startCallLab();
    await lab.connection('sip:pbx5@127.0.0.1', { description: 'caller PBX' });
    await lab.connection('sip:flooder@127.0.0.1', { description: 'flooding caller (raw UDP)' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('inside an established call: unparseable CSeq gets 400, an old CSeq 500, a BYE or INFO naming another dialog 481; none reaches the callee and the call goes on', async () => {
    const callee = await lab.callee({ scenario: scenario('uas-two-info.xml') });
    await lab.connection('sip:carrier5001@198.51.100.1', { termMatchPattern: 'sip:5001*@*', address: `127.0.0.1:${callee.port}` });
    const r = await lab.caller('pbx5', '50015550100', { scenario: scenario('uac-hostile-mid-call.xml') });
    // SIPp checks each expected status in turn: any other answer fails the run.
    assert.equal(r.exitCode, 0, summarizeSipp(r));
    const res = received(r).filter((m) => m.startsWith('SIP/2.0 '));
    assert.match(res.find((m) => m.startsWith('SIP/2.0 400 '))!, /^SIP\/2\.0 400 Invalid CSeq\r?$/m);
    assert.match(res.find((m) => m.startsWith('SIP/2.0 500 '))!, /^SIP\/2\.0 500 CSeq Out Of Order\r?$/m);
    const notFound = receivedResponses(r, 481);
    assert.deepEqual(
      notFound.map((m) => headerValues(m, 'CSeq')[0]),
      ['5 BYE', '6 INFO'],
    );
    for (const m of notFound) assert.match(m, /^SIP\/2\.0 481 Call\/Transaction Does Not Exist\r?$/m);

    const u = await callee.run.done;
    assert.equal(u.exitCode, 0, summarizeSipp(u));
    // Only the two good INFOs crossed, in the callee leg's own CSeq space, and one BYE at the end.
    const infos = receivedRequests(u, 'INFO');
    assert.deepEqual(
      infos.map((m) => /^Signal=(\d)/m.exec(bodyOf(m))?.[1]),
      ['2', '3'],
    );
    assert.deepEqual(
      infos.map((m) => headerValues(m, 'CSeq')[0]),
      ['2 INFO', '3 INFO'],
    );
    assert.equal(receivedRequests(u, 'BYE').length, 1);
    await waitFor('the call to end', () => lab.engine.activeCalls === 0);
  });

  /**
   * A raw caller that sends one INVITE and then the very same datagram (same branch, Call-ID, tags, CSeq)
   * every `everyMs` for `forMs`, ACKs the (first) 2xx, and finally hangs up. Returns the peer (with all it
   * received), the number of copies sent and the Call-ID.
   */
  async function floodingCall(number: string, o: { everyMs: number; forMs: number }): Promise<{ peer: RawPeer; copies: number; callId: string }> {
    const peer = await RawPeer.open();
    const id = randomBytes(6).toString('hex');
    const local = `127.0.0.1:${peer.port}`;
    const remote = `127.0.0.1:${lab.sipPort}`;
    const callId = `flood-${id}@127.0.0.1`;
    const from = `<sip:flooder@${local}>;tag=f${id}`;
    const sdp = 'v=0\r\no=flood 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    const invite = crlf(
      [
        `INVITE sip:${number}@${remote} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-flood-${id}`,
        'Max-Forwards: 70',
        `From: ${from}`,
        `To: <sip:${number}@${remote}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:flooder@${local}>`,
        'Content-Type: application/sdp',
      ],
      sdp,
    );
    let copies = 0;
    let acked = false;
    let toTag: string | undefined;
    const until = Date.now() + o.forMs;
    while (Date.now() < until) {
      await peer.send(invite, lab.sipPort);
      copies++;
      const ok = peer.responses(200, 'INVITE')[0];
      if (ok !== undefined && !acked) {
        toTag = /^To:.*;tag=([^;\s]+)/im.exec(ok)?.[1];
        acked = true;
        await peer.send(
          crlf([`ACK sip:${remote} SIP/2.0`, `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-ack-${id}`, 'Max-Forwards: 70', `From: ${from}`, `To: <sip:${number}@${remote}>;tag=${toTag}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK']),
          lab.sipPort,
        );
      }
      await new Promise((r) => setTimeout(r, o.everyMs));
    }
    assert.ok(toTag !== undefined, `the flooding caller was answered; it got: ${peer.got.map((g) => g.text.split('\r\n')[0]).join(', ')}`);
    await peer.send(
      crlf([`BYE sip:${remote} SIP/2.0`, `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-bye-${id}`, 'Max-Forwards: 70', `From: ${from}`, `To: <sip:${number}@${remote}>;tag=${toTag}`, `Call-ID: ${callId}`, 'CSeq: 2 BYE']),
      lab.sipPort,
    );
    await waitFor('the answer to the BYE', () => peer.responses(200, 'BYE').length > 0);
    return { peer, copies, callId };
  }

  it('a flood of the same INVITE (same branch) while it rings and after the answer reaches the callee as one call; a parallel call is unaffected', async () => {
    // Two calls allowed, so a second INVITE trunkline let through would be answered and seen (it must not be).
    const callee = await lab.callee({ scenario: lab.xml('uas-ring-800', uasCallXml({ ringMs: 800 })), calls: 2, timeoutSeconds: 20 });
    const other = await lab.callee({ scenario: 'uas' });
    await lab.connection('sip:carrier5002@198.51.100.1', { termMatchPattern: 'sip:5002*@*', address: `127.0.0.1:${callee.port}` });
    await lab.connection('sip:carrier5003@198.51.100.1', { termMatchPattern: 'sip:5003*@*', address: `127.0.0.1:${other.port}` });

    const parallel = lab.startCaller('pbx5', '50035550100', { scenario: scenario('uac-call.xml'), callLengthMs: 1500 });
    // Every 10 ms for 3 s: through Proceeding (ringing), the 2xx and its retransmissions, and Accepted (RFC 6026).
    const { peer, copies, callId } = await floodingCall('50025550100', { everyMs: 10, forMs: 3000 });
    peer.close();
    assert.ok(copies >= 100, `${copies} copies sent`);

    const p = await (await parallel).done;
    assert.equal(p.exitCode, 0, summarizeSipp(p));
    const o = await other.run.done;
    assert.equal(o.exitCode, 0, summarizeSipp(o));
    assert.equal(receivedRequests(o, 'INVITE').length, 1);
    assert.equal(receivedRequests(o, 'BYE').length, 1);

    await waitFor('both calls to end', () => lab.engine.activeCalls === 0);
    const u = await callee.run.stop(500);
    const invites = receivedRequests(u, 'INVITE');
    assert.equal(invites.length, 1, `the callee got ${invites.length} INVITEs for ${copies} copies`);
    assert.equal(receivedRequests(u, 'BYE').length, 1);
    // The flooder got one answer (possibly retransmitted until its ACK), never a second dialog or an error.
    const finals = peer.got.map((g) => g.text).filter((t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && /^CSeq:\s*1 INVITE\s*$/im.test(t));
    assert.ok(finals.length >= 1);
    assert.deepEqual([...new Set(finals.map((t) => `${t.split('\r\n')[0]} ${/^To:.*;tag=(\S+)/im.exec(t)?.[1]}`))].length, 1, 'one final answer, one To tag');
    assert.ok(finals.every((t) => t.startsWith('SIP/2.0 200 ') && headerValues(t, 'Call-ID')[0] === callId));
  });

  it(
    'the same INVITE again after its transaction has ended (64*T1), while the call is up, does not become a second call',
    async () => {
      const callee = await lab.callee({ scenario: 'uas', calls: 2, timeoutSeconds: 25 });
      await lab.connection('sip:carrier5004@198.51.100.1', { termMatchPattern: 'sip:5004*@*', address: `127.0.0.1:${callee.port}` });
      // The lab runs T1 = 100 ms: Timer L (64*T1) ends the INVITE server transaction 6.4 s after the 2xx.
      const { peer } = await floodingCall('50045550100', { everyMs: 250, forMs: 8000 });
      peer.close();
      await new Promise((r) => setTimeout(r, 500));
      const u = await callee.run.stop(500);
      const tags = new Set(peer.responses(200, 'INVITE').map((t) => /^To:.*;tag=(\S+)/im.exec(t)?.[1]));
      assert.equal(tags.size, 1, `the flooder was answered by ${tags.size} dialogs`);
      assert.equal(receivedRequests(u, 'INVITE').length, 1, 'one call at the callee');
    },
  );
});
