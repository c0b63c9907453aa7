/**
 * One call through the edge: a back-to-back user agent (RFC 3261 §6) with leg `a` (the caller, trunkline
 * acting as UAS) and leg `b` (the callee, trunkline acting as UAC). Each leg is its own dialog (dialog.ts);
 * this class moves requests, responses and bodies between them and keeps the call's life bounded:
 *
 *   routing ── INVITE sent ──► calling ── 1xx ──► early ── 2xx ──► answered ── ACK ──► confirmed
 *      └───────────── final failure, CANCEL, no answer (Timer C), shutdown ──────────────► ended
 *   answered/confirmed ── BYE either side, failed in-dialog request, ACK timeout, session expiry,
 *                          max duration, shutdown ──► ended (BYE to the other side / both sides)
 *
 * INVITE transactions crossing the B2BUA (the initial one and re-INVITEs) are `InviteRelay`s: the far leg's
 * 2xx is ACKed at once when our INVITE carried an offer (§13.2.2.4), or with the near side's ACK (and its
 * SDP answer) for a late offer; a retransmitted 2xx gets the same ACK again (§13.2.2.4).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { dispositionOf, secondsBetween, type CallEnder, type CallRecord } from '../../model/index.js';
import { applyLegRules, type LegOutcome } from '../rules/index.js';
import { sdpPolicyOf, stripMedia, type SdpPolicy } from '../sdp/index.js';
import {
  createRequest,
  DigestClient,
  generateCallId,
  generateTag,
  type InviteServerTransaction,
  type NameAddr,
  type AnyClientTransaction,
  type AnyServerTransaction,
  type ClientTransactionResult,
  type InviteClientTransaction,
  type RequestContext,
  type SendRequestOptions,
  type SipRequest,
  type SipResponse,
} from '../../sip/index.js';
import type { IndexedConnection } from '../connection-index.js';
import { Dialog, type LegName } from './dialog.js';
import { fromNameAddr, identityOf, sipUri, toNameAddr } from './identity.js';
import { admitCall } from './limits.js';
import { applyHeaderOps, copyEndToEnd, localContact, nextMaxForwards, policeBody } from './relay.js';
import { resolveTarget, routeOutgoing, subjectOfUri, type Target } from './routing.js';
import type { EngineServices } from './services.js';

export type CallState = 'routing' | 'calling' | 'early' | 'answered' | 'confirmed' | 'ended';

/** An INVITE crossing from the `near` leg (server transaction) to the `far` leg (client transaction). */
export class InviteRelay {
  clientTx: InviteClientTransaction | undefined;
  clientReq: SipRequest | undefined;
  sendOptions: SendRequestOptions = {};
  /** The far side's 2xx. */
  answered: SipResponse | undefined;
  /** The ACK we sent the far side (without Via: a clone goes out each time). */
  farAck: SipRequest | undefined;
  nearAcked = false;
  authTried = false;

  constructor(
    readonly near: LegName,
    readonly far: LegName,
    readonly serverTx: InviteServerTransaction,
    readonly initial: boolean,
  ) {}

  get lateOffer(): boolean {
    return this.clientReq === undefined || this.clientReq.body.length === 0;
  }
}

const other = (leg: LegName): LegName => (leg === 'a' ? 'b' : 'a');

/** RFC 4028 §4: `Session-Expires: 1800;refresher=uac` (compact `x`). */
function sessionExpires(res: SipResponse): number | undefined {
  const v = res.header('session-expires');
  if (v === undefined) return undefined;
  const n = Number.parseInt(v.split(';')[0]?.trim() ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function withoutTag(na: NameAddr): string {
  const c = na.clone();
  c.tag = undefined;
  return c.toString();
}

export class Call {
  readonly id: string;
  state: CallState = 'routing';
  readonly a: Dialog;
  b: Dialog | undefined;
  dest: IndexedConnection | undefined;
  readonly initial: InviteRelay;
  /** A re-INVITE crossing the call (one at a time: glare gets 491, RFC 3261 §14.2). */
  pendingInvite: InviteRelay | undefined;
  readonly startedAt = Date.now();
  answeredAt: number | undefined;
  endedReason: string | undefined;

  private origOutcome: LegOutcome | undefined;
  private termOutcome: LegOutcome | undefined;
  private readonly aPolicy: SdpPolicy;
  private bPolicy: SdpPolicy | undefined;
  private counted = false;
  /** Final status the caller got on the initial INVITE, and when it first heard ringing (for the call record). */
  private finalStatus: number | undefined;
  private ringingAt: number | undefined;
  private endedBy: CallEnder = 'edge';
  private noAnswerTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private sessionTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly byes: Promise<void>[] = [];

  constructor(
    private readonly svc: EngineServices,
    readonly aReq: SipRequest,
    readonly aTx: InviteServerTransaction,
    readonly aCtx: RequestContext,
    readonly origin: IndexedConnection,
  ) {
    this.id = aReq.callId;
    this.log = svc.logger;
    this.aPolicy = sdpPolicyOf(origin.connection);
    this.initial = new InviteRelay('a', 'b', aTx, true);
    const contact = aReq.contacts[0];
    this.a = new Dialog({
      leg: 'a',
      callId: aReq.callId,
      localTag: aTx.toTag,
      remoteTag: aReq.from.tag,
      localUri: withoutTag(aReq.to),
      remoteUri: withoutTag(aReq.from),
      localCSeq: 0,
      remoteTarget: contact !== undefined ? contact.uri.toString() : aReq.from.uri.toString(),
      routeSet: aReq.recordRoutes.map((r) => r.toString()),
      contact: localContact(aCtx.transport),
      flow: { host: aCtx.remote.address, port: aCtx.remote.port },
      transport: aCtx.remote.protocol,
      pinned: true,
    });
    this.a.remoteCSeq = aReq.cseq.seq;
  }

  dialog(leg: LegName): Dialog | undefined {
    return leg === 'a' ? this.a : this.b;
  }

  private policy(leg: LegName): SdpPolicy {
    return leg === 'a' ? this.aPolicy : (this.bPolicy ?? {});
  }

  /** Header operations the rules ask for on responses trunkline sends on a leg (`Server`). */
  private responseOps(leg: LegName): LegOutcome['responseHeaders'] {
    return (leg === 'a' ? this.origOutcome : this.termOutcome)?.responseHeaders ?? [];
  }

  // ---- start -----------------------------------------------------------------------------------------

  /** Route and send the call; every failure answers the caller. Never throws. */
  start(): void {
    try {
      this.route();
    } catch (err) {
      this.log.error({ err, callId: this.id }, 'call setup failed');
      this.fail(500, 'Server Internal Error');
    }
  }

  private route(): void {
    const c = this.origin.connection;
    const svc = this.svc;
    this.origOutcome = applyLegRules('orig', identityOf(this.aReq), c, { serverProduct: svc.productName });
    if (!c.origEnabled) return this.fail(403, 'Origination Disabled');
    const maxForwards = nextMaxForwards(this.aReq);
    if (maxForwards === undefined) return this.fail(483, 'Too Many Hops');

    // Routing sees the number after the origin's own rewrite (Wavix rewrite_cond/rewrite_prefix).
    const subject = subjectOfUri(this.aReq.uri);
    if (subject === undefined) return this.fail(416, 'Unsupported URI Scheme');
    const routed = routeOutgoing({ index: svc.index(), dialPlans: svc.dialPlans, origin: this.origin, identity: this.origOutcome.identity, subject, logger: this.log });
    if (!routed.ok) return this.fail(routed.status, routed.reason, routed.headers);
    this.origOutcome = { ...this.origOutcome, identity: routed.identity };
    const dest = routed.dest;
    this.dest = dest;
    this.bPolicy = sdpPolicyOf(dest.connection);
    if (!dest.connection.termEnabled) return this.fail(403, 'Termination Disabled');

    // Limits: the slots are checked and taken in one step (atomically across edges with Redis, so it may wait
    // for a reply). The call is tracked first so that a CANCEL or a shutdown meanwhile finds it.
    svc.track(this);
    svc.registerDialog(this, this.a);
    admitCall(c, dest.connection, svc.live, 'trunkline')
      .then((refusal) => {
        if (refusal !== undefined) {
          if (this.state === 'ended') return;
          this.log.info({ callId: this.id, limit: refusal.limit, connectionId: refusal.connectionId }, 'call refused: limit reached');
          return this.fail(503, refusal.reason, [['Warning', refusal.warning]]);
        }
        if (this.state !== 'routing') {
          // Ended (CANCEL, shutdown) while the slots were being taken: give them back.
          svc.live.end(c.id, 'orig', 0);
          svc.live.end(dest.connection.id, 'term', 0);
          return;
        }
        this.admitted(dest, maxForwards);
      })
      .catch((err: unknown) => {
        this.log.error({ err, callId: this.id }, 'call setup failed');
        this.fail(500, 'Server Internal Error');
      });
  }

  /** The call fits its limits and its slots are taken. */
  private admitted(dest: IndexedConnection, maxForwards: number): void {
    const svc = this.svc;
    // From here the call counts (ringing included) and has a bounded life.
    this.counted = true;
    this.noAnswerTimer = setTimeout(() => {
      this.log.info({ callId: this.id }, 'no answer: cancelling (Timer C)');
      void this.teardown(408, 'No Answer');
    }, svc.options.noAnswerTimeoutMs);
    this.noAnswerTimer.unref();

    resolveTarget(dest, svc.bindingsOf).then(
      (r) => {
        if (this.state !== 'routing') return; // cancelled meanwhile
        if (!r.ok) return this.fail(r.status, r.reason);
        try {
          this.sendInitialInvite(dest, r.target, maxForwards);
        } catch (err) {
          this.log.error({ err, callId: this.id }, 'could not send the INVITE');
          this.fail(500, 'Server Internal Error');
        }
      },
      (err: unknown) => {
        this.log.error({ err, callId: this.id }, 'could not resolve the destination');
        this.fail(500, 'Server Internal Error');
      },
    );
  }

  private sendInitialInvite(dest: IndexedConnection, target: Target, maxForwards: number): void {
    const svc = this.svc;
    const dc = dest.connection;
    const start = { ...this.origOutcome!.identity, requestHost: target.uriHost, toHost: target.uriHost };
    this.termOutcome = applyLegRules('term', start, dc, { serverProduct: svc.productName });
    const term = this.termOutcome;
    if (term.reject !== null) return this.fail(term.reject.sipStatus, 'Service Unavailable', [['Warning', `399 trunkline "${term.reject.reason}"`]]);
    const id = term.identity;

    const body = policeBody(this.aReq, [this.aPolicy, this.policy('b')], 'trunkline');
    if (!body.ok) return this.fail(body.status, body.reason, body.warning === undefined ? [] : [['Warning', body.warning]]);

    let transport;
    try {
      transport = svc.layer.transportFor(target.transport, target.destination.host);
    } catch {
      return this.fail(503, `No ${target.transport.toUpperCase()} Transport`);
    }

    // Request-URI: the address (or a registered trunk's contact), with the translated user and host.
    const samePort = (host: string): number | undefined => (host === target.uriHost ? target.uriPort : undefined);
    let uri;
    if (target.contact !== undefined) {
      uri = target.contact.clone();
      if (dc.translationRequestUser !== '') uri.user = sipUri(id.requestUser, 'x').user;
      if (dc.translationRequestHost !== '') {
        uri.host = sipUri('', id.requestHost).host;
        uri.port = undefined;
      }
    } else {
      uri = sipUri(id.requestUser, id.requestHost, samePort(id.requestHost));
      if (target.transport !== 'udp') uri.params.set('transport', target.transport);
    }
    const fromTag = generateTag();
    const from = fromNameAddr(id, fromTag);
    const to = toNameAddr(id, samePort(id.toHost));
    const contact = localContact(transport);
    const invite = createRequest({
      method: 'INVITE',
      uri,
      from,
      to,
      callId: generateCallId(),
      cseq: 1,
      maxForwards,
      contact,
    });
    copyEndToEnd(this.aReq.headers, invite.headers, ['user-agent']);
    invite.headers.append('User-Agent', svc.productName);
    applyHeaderOps(invite.headers, term.requestHeaders);
    invite.body = body.body;

    this.b = new Dialog({
      leg: 'b',
      callId: invite.callId,
      localTag: fromTag,
      remoteTag: undefined,
      localUri: withoutTag(from),
      remoteUri: to.toString(),
      localCSeq: 1,
      remoteTarget: uri.toString(),
      routeSet: [],
      contact,
      flow: target.destination,
      transport: target.transport,
      pinned: target.pinned,
    });
    svc.registerDialog(this, this.b);
    this.state = 'calling';
    this.log.debug(
      { callId: this.id, bCallId: invite.callId, origin: this.origin.connection.id, dest: dc.id, to: uri.toString(), applied: term.applied },
      'call routed',
    );
    this.initial.sendOptions = { destination: target.destination, transport: target.transport };
    this.sendRelayInvite(this.initial, invite);
  }

  // ---- INVITE relays ---------------------------------------------------------------------------------

  private sendRelayInvite(relay: InviteRelay, req: SipRequest): void {
    let tx: InviteClientTransaction;
    try {
      tx = this.svc.layer.sendRequest(req, relay.sendOptions) as InviteClientTransaction;
    } catch (err) {
      this.log.info({ err, callId: this.id }, 'INVITE could not be sent');
      this.onRelayInviteFailure(relay, { type: 'transport-error', error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    relay.clientTx = tx;
    relay.clientReq = req;
    tx.onResponse((res) => {
      try {
        this.onRelayInviteResponse(relay, tx, res);
      } catch (err) {
        this.log.error({ err, callId: this.id, status: res.status }, 'could not relay a response');
      }
    });
    void tx.result.then((r) => {
      if (r.type !== 'response' && relay.clientTx === tx) this.onRelayInviteFailure(relay, r);
    });
  }

  private respondNear(tx: AnyServerTransaction, leg: LegName, res: SipResponse): void {
    applyHeaderOps(res.headers, this.responseOps(leg));
    if (tx === this.aTx) {
      if (res.status >= 200) this.finalStatus ??= res.status;
      else if (res.status === 180 || res.status === 183) this.ringingAt ??= Date.now();
    }
    try {
      tx.respond(res);
    } catch (err) {
      this.log.debug({ err, callId: this.id, status: res.status }, 'response not sent (transaction over)');
    }
  }

  /** A response for the near side built from the far side's. */
  private mirrorResponse(tx: AnyServerTransaction, res: SipResponse, status = res.status, reason = res.reason): SipResponse {
    const out = tx.createResponse(status, { reason });
    copyEndToEnd(res.headers, out.headers, ['server', 'content-type', 'content-disposition', 'content-encoding', 'mime-version']);
    return out;
  }

  private attachBody(out: SipResponse | SipRequest, from: SipResponse | SipRequest, policies: readonly SdpPolicy[]): boolean {
    if (from.body.length === 0) return true;
    const b = policeBody(from, policies, 'trunkline');
    if (!b.ok) return false;
    for (const h of ['Content-Type', 'Content-Disposition', 'Content-Encoding', 'MIME-Version']) {
      const v = from.header(h);
      if (v !== undefined) out.headers.set(h, v);
    }
    out.body = b.body;
    return true;
  }

  private onRelayInviteResponse(relay: InviteRelay, tx: InviteClientTransaction, res: SipResponse): void {
    const status = res.status;
    if (status === 100) return;
    const far = this.dialog(relay.far)!;
    const near = this.dialog(relay.near)!;
    const farPolicies = [this.policy(relay.far), this.policy(relay.near)];

    if (status < 200) {
      if (this.state === 'ended' || relay.serverTx.finalResponseSent) return;
      if (relay.initial && res.to.tag !== undefined && this.state !== 'answered') {
        far.learnFromResponse(res);
        this.state = 'early';
      }
      const out = this.mirrorResponse(relay.serverTx, res);
      if (res.to.tag !== undefined) out.headers.set('Contact', near.contact);
      let bodySource: SipResponse = res;
      if (relay.far === 'b' && this.dest?.connection.blockMediaIn180Ringing === true && status === 180) {
        const s = stripMedia(
          { statusCode: 180, contentType: res.header('content-type'), body: res.bodyText, reliable: /\b100rel\b/i.test(res.header('require') ?? '') },
          true,
        );
        if (s.stripped) {
          bodySource = res.clone();
          bodySource.body = Buffer.alloc(0);
        }
      }
      // A provisional whose SDP the policies refuse goes on without it rather than stopping the call.
      if (!this.attachBody(out, bodySource, farPolicies)) out.body = Buffer.alloc(0);
      this.respondNear(relay.serverTx, relay.near, out);
      return;
    }

    if (status < 300) {
      if (relay.answered !== undefined) {
        if (res.to.tag === relay.answered.to.tag) this.resendFarAck(relay);
        else this.dropForkedAnswer(relay, res);
        return;
      }
      relay.answered = res;
      if (relay.initial) far.learnFromResponse(res);
      else {
        const contact = res.contacts[0];
        if (contact !== undefined) far.remoteTarget = contact.uri.toString(); // §12.2.1.2 target refresh
      }
      if (this.state === 'ended') {
        // Answered after the caller went away (CANCEL crossed the 2xx, no-answer timeout): §15 ACK + BYE.
        this.sendFarAck(relay, undefined);
        this.byes.push(this.sendBye(relay.far));
        return;
      }
      if (!relay.lateOffer) this.sendFarAck(relay, undefined);
      const out = this.mirrorResponse(relay.serverTx, res);
      out.headers.set('Contact', near.contact);
      if (!this.attachBody(out, res, farPolicies)) {
        // The answer breaks a policy: end this leg's offer/answer cleanly and refuse the near side.
        if (relay.farAck === undefined) this.sendFarAck(relay, undefined);
        const refused = relay.serverTx.createResponse(488, 'Not Acceptable Here');
        this.respondNear(relay.serverTx, relay.near, refused);
        if (relay.initial) {
          this.byes.push(this.sendBye(relay.far));
          this.finish('answer refused by SDP policy');
        } else this.pendingInvite = undefined;
        return;
      }
      this.armSessionTimer(res);
      if (relay.initial) {
        this.state = 'answered';
        this.answeredAt = Date.now();
        this.clearNoAnswer();
        this.armDuration();
      }
      this.respondNear(relay.serverTx, relay.near, out);
      return;
    }

    // Final failure.
    if (status === 401 || status === 407) {
      const dc = this.dest?.connection;
      if (relay.far === 'b' && !relay.authTried && dc !== undefined && dc.authenticateAsClient && dc.authUsername !== '' && relay.clientReq !== undefined) {
        const retry = new DigestClient({ username: dc.authUsername, password: dc.authPassword }).authorize(relay.clientReq, res);
        if (retry !== undefined) {
          relay.authTried = true;
          far.localCSeq = Math.max(far.localCSeq, retry.cseq.seq);
          this.log.debug({ callId: this.id, status }, 'far end challenged: answering with the connection credentials');
          if (this.state !== 'ended') this.sendRelayInvite(relay, retry);
          return;
        }
      }
    }
    if (this.state === 'ended' && relay.initial) return;
    let mapped = status;
    let reason = res.reason;
    if (status === 401 || status === 407) {
      mapped = relay.authTried ? 403 : 503;
      reason = relay.authTried ? 'Far End Authentication Failed' : 'Far End Requires Authentication';
    } else if (status >= 300 && status < 400) {
      mapped = 480;
      reason = 'Redirection Not Followed';
    }
    const out = this.mirrorResponse(relay.serverTx, res, mapped, reason);
    if (mapped !== status) for (const h of ['contact', 'www-authenticate', 'proxy-authenticate']) out.headers.remove(h);
    this.respondNear(relay.serverTx, relay.near, out);
    void tx;
    if (relay.initial) {
      this.endedBy = 'callee';
      this.finish(`far end ${status} ${res.reason}`);
    }
    else {
      this.pendingInvite = undefined;
      // RFC 5057 §5.1: 481 and 408 to a mid-dialog request end the dialog.
      if (status === 481 || status === 408) void this.teardown(503, `re-INVITE ${status}`);
    }
  }

  private onRelayInviteFailure(relay: InviteRelay, r: Exclude<ClientTransactionResult, { type: 'response' }>): void {
    if (r.type === 'timeout' && r.timer === 'C') return; // our own no-answer timer decides
    if (relay.answered !== undefined) return;
    const [status, reason] = r.type === 'timeout' ? [408, 'Request Timeout'] : [503, 'Destination Unreachable'];
    if (relay.initial) {
      if (this.state === 'ended') return;
      this.log.info({ callId: this.id, outcome: r.type }, 'INVITE to the destination failed');
      this.fail(status, reason);
      return;
    }
    this.pendingInvite = undefined;
    this.respondNear(relay.serverTx, relay.near, relay.serverTx.createResponse(status, reason));
    void this.teardown(503, `re-INVITE ${r.type}`);
  }

  private buildFarAck(relay: InviteRelay, nearAck: SipRequest | undefined): SipRequest {
    const far = this.dialog(relay.far)!;
    const req = relay.clientReq!;
    const ack = far.request('ACK', { cseq: req.cseq.seq });
    // §13.2.2.4: the ACK carries the INVITE's credentials.
    for (const h of ['authorization', 'proxy-authorization']) for (const v of req.headers.getAll(h)) ack.headers.append(h === 'authorization' ? 'Authorization' : 'Proxy-Authorization', v);
    if (nearAck !== undefined && nearAck.body.length > 0) {
      if (!this.attachBody(ack, nearAck, [this.policy(relay.near), this.policy(relay.far)])) ack.body = Buffer.alloc(0);
    }
    return ack;
  }

  private sendFarAck(relay: InviteRelay, nearAck: SipRequest | undefined): void {
    if (relay.farAck !== undefined) return this.resendFarAck(relay);
    relay.farAck = this.buildFarAck(relay, nearAck);
    this.resendFarAck(relay);
  }

  private resendFarAck(relay: InviteRelay): void {
    const ack = relay.farAck;
    if (ack === undefined) return;
    const far = this.dialog(relay.far)!;
    this.svc.layer.sendAck(ack.clone(), far.sendOptions()).catch((err: unknown) => this.log.debug({ err, callId: this.id }, 'ACK not sent'));
  }

  /** A second 2xx from another fork (§13.2.2.4): ACK it, then BYE it. */
  private dropForkedAnswer(relay: InviteRelay, res: SipResponse): void {
    const b = this.dialog(relay.far)!;
    const fork = new Dialog({
      leg: b.leg,
      callId: b.callId,
      localTag: b.localTag,
      remoteTag: undefined,
      localUri: b.localUri,
      remoteUri: b.remoteUri,
      localCSeq: b.localCSeq,
      remoteTarget: b.remoteTarget,
      routeSet: [],
      contact: b.contact,
      flow: b.flow,
      transport: b.transport,
      pinned: b.pinned,
    });
    fork.learnFromResponse(res);
    this.svc.layer.sendAck(fork.request('ACK', { cseq: relay.clientReq!.cseq.seq }), fork.sendOptions()).catch(() => undefined);
    try {
      this.svc.layer.sendRequest(fork.request('BYE'), fork.sendOptions());
    } catch {
      /* best effort */
    }
  }

  /** A 2xx retransmission that arrived after the INVITE client transaction ended (Timer M). */
  onStray2xx(res: SipResponse): void {
    for (const relay of [this.initial, this.pendingInvite]) {
      if (relay?.clientReq !== undefined && relay.clientReq.cseq.seq === res.cseq.seq && relay.answered !== undefined) {
        if (res.to.tag === relay.answered.to.tag) this.resendFarAck(relay);
        return;
      }
    }
  }

  // ---- requests from the legs ------------------------------------------------------------------------

  /** The 2xx ACK from `leg` (RFC 3261 §13.2.2.4, end to end). */
  onAck(leg: LegName, ack: SipRequest): void {
    const seq = ack.cseq.seq;
    let relay: InviteRelay | undefined;
    if (this.initial.near === leg && this.initial.serverTx.request.cseq.seq === seq) relay = this.initial;
    else if (this.pendingInvite?.near === leg && this.pendingInvite.serverTx.request.cseq.seq === seq) relay = this.pendingInvite;
    if (relay === undefined || relay.nearAcked) return;
    relay.nearAcked = true;
    if (relay.initial && this.state === 'answered') this.state = 'confirmed';
    if (relay.answered !== undefined && relay.farAck === undefined && this.state !== 'ended') this.sendFarAck(relay, ack);
    if (!relay.initial && this.pendingInvite === relay) this.pendingInvite = undefined;
  }

  /** The near side never ACKed our 2xx (§13.3.1.4): end the call. */
  onAckTimeout(tx: InviteServerTransaction): void {
    const relay = this.initial.serverTx === tx ? this.initial : this.pendingInvite?.serverTx === tx ? this.pendingInvite : undefined;
    if (relay === undefined || relay.nearAcked) return;
    this.log.info({ callId: this.id }, 'no ACK for our 2xx: ending the call');
    void this.teardown(408, 'No ACK');
  }

  /** CANCEL of the caller's INVITE (the layer answered the CANCEL 200 already, §9.2). */
  onCancel(): void {
    if (this.state === 'answered' || this.state === 'confirmed' || this.state === 'ended') return;
    this.endedBy = 'caller';
    this.fail(487, 'Request Terminated');
  }

  /** CANCEL of a re-INVITE we are relaying. */
  onCancelReinvite(relay: InviteRelay): void {
    if (relay.clientTx !== undefined) this.svc.layer.cancel(relay.clientTx).catch(() => undefined);
    this.respondNear(relay.serverTx, relay.near, relay.serverTx.createResponse(487));
  }

  /** A request inside one of the call's dialogs. */
  onRequest(leg: LegName, req: SipRequest, tx: AnyServerTransaction): void {
    const near = this.dialog(leg)!;
    const farLeg = other(leg);
    const far = this.dialog(farLeg);
    if (this.state === 'ended') return this.respondNear(tx, leg, tx.createResponse(481));
    if (!near.acceptRemoteCSeq(req)) return this.respondNear(tx, leg, tx.createResponse(500, 'CSeq Out Of Order'));

    if (req.method === 'BYE') {
      this.respondNear(tx, leg, tx.createResponse(200));
      this.endedBy = leg === 'a' ? 'caller' : 'callee';
      if (this.state === 'answered' || this.state === 'confirmed') {
        this.byes.push(this.sendBye(farLeg));
        this.finish(`BYE from ${leg === 'a' ? 'caller' : 'callee'}`);
      } else if (leg === 'a') {
        this.fail(487, 'Request Terminated');
      } else {
        // The callee ended its early dialog: the call fails.
        this.fail(480, 'Temporarily Unavailable');
      }
      return;
    }

    const maxForwards = nextMaxForwards(req);
    if (maxForwards === undefined) return this.respondNear(tx, leg, tx.createResponse(483));
    if (far === undefined || far.remoteTag === undefined) {
      return this.respondNear(tx, leg, tx.createResponse(491, { reason: 'Request Pending', headers: [['Retry-After', '1']] }));
    }

    if (req.method === 'INVITE') {
      if (this.pendingInvite !== undefined || (this.state !== 'confirmed' && this.state !== 'answered')) {
        return this.respondNear(tx, leg, tx.createResponse(491)); // §14.2 glare
      }
      near.learnTargetFromRequest(req);
      const out = far.request('INVITE', { maxForwards });
      copyEndToEnd(req.headers, out.headers);
      if (!this.attachBody(out, req, [this.policy(leg), this.policy(farLeg)])) {
        const b = policeBody(req, [this.policy(leg), this.policy(farLeg)], 'trunkline');
        const res = tx.createResponse(b.ok ? 488 : b.status, b.ok ? 'Not Acceptable Here' : b.reason);
        if (!b.ok && b.warning !== undefined) res.headers.append('Warning', b.warning);
        return this.respondNear(tx, leg, res);
      }
      const relay = new InviteRelay(leg, farLeg, tx as InviteServerTransaction, false);
      relay.sendOptions = far.sendOptions();
      this.pendingInvite = relay;
      this.svc.trackReinvite(relay, this);
      this.sendRelayInvite(relay, out);
      return;
    }

    if (req.method === 'UPDATE') near.learnTargetFromRequest(req);
    const out = far.request(req.method, { maxForwards });
    copyEndToEnd(req.headers, out.headers);
    if (req.method === 'PRACK') this.mapRAck(req, out, leg);
    if (!this.attachBody(out, req, [this.policy(leg), this.policy(farLeg)])) {
      return this.respondNear(tx, leg, tx.createResponse(488, 'Not Acceptable Here'));
    }
    let ctx: AnyClientTransaction;
    try {
      ctx = this.svc.layer.sendRequest(out, far.sendOptions());
    } catch (err) {
      this.log.info({ err, callId: this.id, method: req.method }, 'in-dialog request could not be sent');
      this.respondNear(tx, leg, tx.createResponse(503, 'Destination Unreachable'));
      void this.teardown(503, 'transport error');
      return;
    }
    void ctx.result.then((r) => {
      if (r.type !== 'response') {
        this.respondNear(tx, leg, tx.createResponse(408, r.type === 'timeout' ? 'Request Timeout' : 'Destination Unreachable'));
        void this.teardown(503, `${req.method} ${r.type}`);
        return;
      }
      const res = r.response;
      const back = this.mirrorResponse(tx, res);
      if (res.status >= 200 && res.status < 300 && req.method === 'UPDATE') {
        back.headers.set('Contact', near.contact);
        const contact = res.contacts[0];
        if (contact !== undefined) far.remoteTarget = contact.uri.toString();
        this.armSessionTimer(res);
      }
      if (!this.attachBody(back, res, [this.policy(farLeg), this.policy(leg)])) back.body = Buffer.alloc(0);
      this.respondNear(tx, leg, back);
      if (res.status === 481 || res.status === 408) void this.teardown(503, `${req.method} ${res.status}`);
    });
  }

  /** RFC 3262 §7.2: RAck names the INVITE's CSeq number, which differs on the far leg. */
  private mapRAck(req: SipRequest, out: SipRequest, leg: LegName): void {
    const rack = req.header('rack');
    if (rack === undefined) return;
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(rack);
    const relay = [this.initial, this.pendingInvite].find((r) => r?.near === leg && r.clientReq !== undefined);
    if (m === null || relay === undefined) {
      out.headers.set('RAck', rack);
      return;
    }
    out.headers.set('RAck', `${m[1]} ${relay.clientReq!.cseq.seq} ${m[3]}`);
  }

  // ---- ending ----------------------------------------------------------------------------------------

  private sendBye(leg: LegName): Promise<void> {
    const d = this.dialog(leg);
    if (d === undefined || d.remoteTag === undefined) return Promise.resolve();
    try {
      const tx = this.svc.layer.sendRequest(d.request('BYE'), d.sendOptions());
      return tx.result.then(() => undefined);
    } catch (err) {
      this.log.debug({ err, callId: this.id, leg }, 'BYE not sent');
      return Promise.resolve();
    }
  }

  /**
   * Refuse or abandon a call that was not answered: answer the caller (if nobody did), CANCEL the callee's
   * INVITE if it went out, and end.
   */
  fail(status: number, reason: string, headers: Iterable<[string, string]> = []): void {
    if (this.state === 'ended') return;
    if (!this.aTx.finalResponseSent) {
      const res = this.aTx.createResponse(status, { reason, headers });
      this.respondNear(this.aTx, 'a', res);
    }
    const bTx = this.initial.clientTx;
    if (bTx !== undefined && this.initial.answered === undefined) this.svc.layer.cancel(bTx).catch(() => undefined);
    this.finish(`${status} ${reason}`);
  }

  /** End the call from trunkline's side: BYE both legs once answered, else fail with `status`. */
  teardown(status: number, reason: string): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    if (this.state === 'answered' || this.state === 'confirmed') {
      this.byes.push(this.sendBye('a'), this.sendBye('b'));
      this.finish(reason);
    } else {
      this.fail(status, reason);
    }
    return Promise.all(this.byes).then(() => undefined);
  }

  /** BYEs sent while ending (close() waits for them). */
  settled(): Promise<void> {
    return Promise.all(this.byes).then(() => undefined);
  }

  private clearNoAnswer(): void {
    if (this.noAnswerTimer !== undefined) clearTimeout(this.noAnswerTimer);
    this.noAnswerTimer = undefined;
  }

  /** Longest call: the engine's cap, or Wavix `call_limit` (seconds) when `call_restrict` is on. */
  private armDuration(): void {
    let ms = this.svc.options.maxCallDurationMs;
    const wx = this.origin.connection.ext.wavix;
    if (wx !== undefined && wx.callRestrict && wx.callLimit !== null && wx.callLimit > 0) ms = Math.min(ms, wx.callLimit * 1000);
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.durationTimer = setTimeout(() => {
      this.log.info({ callId: this.id }, 'call reached its maximum duration');
      void this.teardown(503, 'max duration');
    }, ms);
    this.durationTimer.unref();
  }

  /**
   * RFC 4028 as an observer: when the parties negotiated a session interval, a session that is not
   * refreshed (2xx to re-INVITE/UPDATE) within it is dead (§10: BYE), so both legs are ended.
   */
  private armSessionTimer(res: SipResponse): void {
    const se = sessionExpires(res);
    if (se === undefined) return;
    if (this.sessionTimer !== undefined) clearTimeout(this.sessionTimer);
    this.sessionTimer = setTimeout(() => {
      this.log.info({ callId: this.id, sessionExpires: se }, 'session expired without refresh');
      void this.teardown(408, 'session expired');
    }, se * 1000 + this.svc.options.sessionExpiryGraceMs);
    this.sessionTimer.unref();
  }

  private finish(reason: string): void {
    if (this.state === 'ended') return;
    const wasAnswered = this.answeredAt !== undefined;
    this.state = 'ended';
    this.endedReason = reason;
    this.clearNoAnswer();
    if (this.durationTimer !== undefined) clearTimeout(this.durationTimer);
    if (this.sessionTimer !== undefined) clearTimeout(this.sessionTimer);
    const talkMs = wasAnswered ? Date.now() - this.answeredAt! : 0;
    if (this.counted) {
      this.counted = false;
      this.svc.live.end(this.origin.connection.id, 'orig', talkMs);
      if (this.dest !== undefined) this.svc.live.end(this.dest.connection.id, 'term', talkMs);
    }
    this.svc.untrack(this);
    this.svc.recordCall(this.callRecord(reason));
    this.log.debug({ callId: this.id, reason, talkMs }, 'call ended');
  }

  /** The CDR of this call: both legs as they were on the wire (orig before, term after translation). */
  private callRecord(reason: string): CallRecord {
    const endedAt = new Date().toISOString();
    const startedAt = new Date(this.startedAt).toISOString();
    const answeredAt = this.answeredAt === undefined ? null : new Date(this.answeredAt).toISOString();
    const status = answeredAt !== null ? 200 : (this.finalStatus ?? 500);
    const termReq = this.initial.clientReq;
    const dest = this.dest?.connection;
    const safe = (read: () => string): string => {
      try {
        return read();
      } catch {
        return '';
      }
    };
    return {
      id: randomUUID(),
      domain: this.origin.connection.domain,
      origConnectionId: this.origin.connection.id,
      termConnectionId: dest?.id ?? null,
      termDomain: dest?.domain ?? null,
      orig: {
        callId: this.aReq.callId,
        requestUri: this.aReq.uriText,
        fromUri: safe(() => this.aReq.from.uri.toString()),
        toUri: safe(() => this.aReq.to.uri.toString()),
        ip: this.aCtx.remote.address,
      },
      term:
        termReq === undefined
          ? null
          : {
              callId: termReq.callId,
              requestUri: termReq.uriText,
              fromUri: safe(() => termReq.from.uri.toString()),
              toUri: safe(() => termReq.to.uri.toString()),
              ip: this.initial.sendOptions.destination?.host ?? '',
            },
      startedAt,
      ringingAt: this.ringingAt === undefined ? null : new Date(this.ringingAt).toISOString(),
      answeredAt,
      endedAt,
      durationSeconds: secondsBetween(startedAt, endedAt),
      talkSeconds: secondsBetween(answeredAt, endedAt),
      disposition: dispositionOf(status, this.endedBy === 'caller' && answeredAt === null),
      status,
      reason,
      endedBy: this.endedBy,
    };
  }

  /** The call in store-free words, for logs and tests. */
  describe(): { callId: string; state: CallState; origin: number; dest: number | undefined } {
    return { callId: this.id, state: this.state, origin: this.origin.connection.id, dest: this.dest?.connection.id };
  }
}
