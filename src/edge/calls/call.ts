/**
 * One call through the edge: a back-to-back user agent (RFC 3261 §6) with leg `a` (the caller, trunkline
 * acting as UAS) and leg `b` (the callee, trunkline acting as UAC). Each leg is its own dialog (dialog.ts);
 * this class moves requests, responses and bodies between them and keeps the call's life bounded:
 *
 *   routing ── INVITE sent ──► calling ── 1xx ──► early ── 2xx ──► answered ── ACK ──► confirmed
 *      │  └─ 408/5xx/no response before the answer: next connection (failover) ──► routing
 *      └───────────── final failure, CANCEL, no answer (Timer C), shutdown ──────────────► ended
 *   answered/confirmed ── BYE either side, failed in-dialog request, ACK timeout, session expiry,
 *                          max duration, shutdown ──► ended (BYE to the other side / both sides,
 *                          or the other side held to its connection's minimum call duration first)
 *
 * INVITE transactions crossing the B2BUA (the initial one and re-INVITEs) are `InviteRelay`s: the far leg's
 * 2xx is ACKed at once when our INVITE carried an offer (§13.2.2.4), or with the near side's ACK (and its
 * SDP answer) for a late offer; a retransmitted 2xx gets the same ACK again (§13.2.2.4). Each try of a
 * destination is its own relay and its own leg `b` dialog (new Call-ID).
 *
 * Policies with their own modules: session timers per leg (session-timer.ts), ringback (ringback.ts),
 * minimum call duration (min-duration.ts); failover candidates come from routing.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { dispositionOf, secondsBetween, type CallEnder, type CallRecord, type Connection } from '../../model/index.js';
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
  type Unsubscribe,
} from '../../sip/index.js';
import type { IndexedConnection } from '../connection-index.js';
import { Dialog, type LegName, type SdpCopy } from './dialog.js';
import { fromNameAddr, identityOf, sipUri, toNameAddr } from './identity.js';
import { admitCall } from './limits.js';
import { minimumDurationHoldMs } from './min-duration.js';
import { applyHeaderOps, copyEndToEnd, hasOptionTag, localContact, nextMaxForwards, policeBody } from './relay.js';
import { provisionalAction, type ProvisionalAction } from './ringback.js';
import { failsOver, resolveTarget, routeOutgoing, subjectOfUri, type Target } from './routing.js';
import type { EngineServices } from './services.js';
import { LegSessionTimer, sessionTimerSettings, type SessionLegHost, type UasDecision } from './session-timer.js';

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
  /** The destination stayed silent past `failoverNoResponseMs` and was given up (a 408 that fails over). */
  gaveUp = false;
  /** Session-Expires we asked the far leg for (RFC 4028), and how often a 422 made us ask again. */
  asked: number | undefined;
  retries422 = 0;
  /** What the near leg's 2xx grants (RFC 4028 §9), decided when its request came. */
  nearDecision: UasDecision = { kind: 'none' };
  /** SDP of a reliable provisional the near side never got (ringback policy): the 2xx carries it if the far one lacks it. */
  withheldAnswer: SdpCopy | undefined;
  /** The far leg's dialog when the relay was made (a failed-over try keeps its own). */
  farDialog: Dialog | undefined;

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
  /** The initial INVITE's relay to the destination being tried. */
  initial: InviteRelay;
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
  /** RFC 4028 per leg; leg b's is made for each destination tried. */
  private readonly timers: { a: LegSessionTimer; b: LegSessionTimer | undefined };
  /** What the caller's 2xx grants (RFC 4028 §9), decided when its INVITE came. */
  private aGrant: UasDecision = { kind: 'none' };
  /** Connections still to try (failover), how many were tried, and the Max-Forwards of their INVITEs. */
  private candidates: IndexedConnection[] = [];
  private attempts = 0;
  private maxForwards = 70;
  /** A reliable provisional with SDP reached the caller: its offer is answered, the call cannot move elsewhere. */
  private earlyAnswerSent = false;
  /** Reliable provisionals trunkline PRACKed itself (To tag + RSeq). */
  private readonly pracked = new Set<string>();
  /** The leg held to its connection's minimum call duration after the other leg ended. */
  private held: { leg: LegName; reason: string; timer: NodeJS.Timeout } | undefined;
  private readonly log: Logger;
  private readonly byes: Promise<void>[] = [];
  /**
   * Response listeners on our INVITE client transactions. An answered INVITE's transaction lives on for
   * Timer M (64*T1, 32 s) to pass 2xx retransmissions up; a listener left on it would keep this whole call
   * (dialogs, parsed messages) reachable that long after it ended, which at a few hundred calls a second is
   * most of the heap. So once the call has ended, listeners on transactions that have their outcome go.
   */
  private readonly responseListeners = new Map<InviteClientTransaction, Unsubscribe>();

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
    this.a.noteReceived(aReq);
    this.timers = { a: new LegSessionTimer(sessionTimerSettings(origin.connection.sessionTimer, svc.options), this.legHost('a')), b: undefined };
  }

  /** What a leg's session timer may do to the call. */
  private legHost(leg: LegName): SessionLegHost {
    return {
      layer: this.svc.layer,
      log: this.log,
      callId: this.id,
      dialog: () => this.dialog(leg),
      inviteInProgress: () => this.pendingInvite !== undefined || this.state !== 'confirmed',
      failed: (reason) => this.legFailed(leg, reason),
      respond: (tx, res) => this.respondNear(tx, leg, res),
      trackServerInvite: (tx) => this.svc.trackServerInvite(tx, this),
    };
  }

  /** The connection of a leg (the destination being tried for `b`). */
  private connectionOf(leg: LegName): Connection | undefined {
    return leg === 'a' ? this.origin.connection : this.dest?.connection;
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
    const tryingOps = this.origOutcome.responseHeaders;
    if (tryingOps.length > 0) this.aTx.prepareTrying = (trying) => applyHeaderOps(trying.headers, tryingOps);
    if (!c.origEnabled) return this.fail(403, 'Origination Disabled');
    const maxForwards = nextMaxForwards(this.aReq);
    if (maxForwards === undefined) return this.fail(483, 'Too Many Hops');
    this.maxForwards = maxForwards;
    const grant = this.timers.a.judge(this.aReq);
    if (grant.kind === 'too-small') return this.fail(422, 'Session Interval Too Small', [['Min-SE', String(grant.minSE)]]);
    this.aGrant = grant;

    // Routing sees the number after the origin's own rewrite (Wavix rewrite_cond/rewrite_prefix).
    const subject = subjectOfUri(this.aReq.uri);
    if (subject === undefined) return this.fail(416, 'Unsupported URI Scheme');
    const routed = routeOutgoing({
      index: svc.index(),
      dialPlans: svc.dialPlans,
      origin: this.origin,
      identity: this.origOutcome.identity,
      subject,
      logger: this.log,
      maxCandidates: svc.options.maxRouteAttempts,
    });
    if (!routed.ok) return this.fail(routed.status, routed.reason, routed.headers);
    this.origOutcome = { ...this.origOutcome, identity: routed.identity };
    this.dest = routed.dest;
    if (routed.candidates.length === 0) return this.fail(403, 'Termination Disabled');
    this.candidates = [...routed.candidates];

    // The call is tracked before its slots are taken so that a CANCEL or a shutdown meanwhile finds it.
    svc.track(this);
    svc.registerDialog(this, this.a);
    this.tryNext();
  }

  /**
   * Send the call to the next candidate connection: take its slots (checked and taken in one step, atomically
   * across edges with Redis, so it may wait for a reply), resolve its target, send the INVITE. Each failure
   * before the INVITE goes out is the try's failure (`tryFailed`), as a failure response would be.
   */
  private tryNext(): void {
    const dest = this.candidates.shift()!;
    const attempt = ++this.attempts;
    const c = this.origin.connection;
    const svc = this.svc;
    this.releaseSlots(0);
    this.dest = dest;
    this.bPolicy = sdpPolicyOf(dest.connection);
    this.state = 'routing';
    // A fresh relay per try: the call record's term leg is the last try's INVITE (none if it was never sent).
    if (attempt > 1) this.initial = new InviteRelay('a', 'b', this.aTx, true);
    const current = (): boolean => this.state !== 'ended' && attempt === this.attempts;
    admitCall(c, dest.connection, svc.live, 'trunkline')
      .then((refusal) => {
        if (refusal === undefined && !current()) {
          // Ended (CANCEL, shutdown) while the slots were being taken: give them back.
          svc.live.end(c.id, 'orig', 0);
          svc.live.end(dest.connection.id, 'term', 0);
          return;
        }
        if (!current()) return;
        if (refusal !== undefined) {
          this.log.info({ callId: this.id, limit: refusal.limit, connectionId: refusal.connectionId }, 'call refused: limit reached');
          // The origin's limits (and an unreachable shared state) would refuse every destination alike.
          const destinationFull = refusal.connectionId === dest.connection.id && refusal.limit !== 'live-state';
          return this.tryFailed({ status: 503, reason: refusal.reason, headers: [['Warning', refusal.warning]] }, destinationFull);
        }
        this.counted = true;
        this.armNoAnswer();
        return resolveTarget(dest, svc.bindingsOf).then((r) => {
          if (!current()) return;
          if (!r.ok) return this.tryFailed({ status: r.status, reason: r.reason }, true);
          this.sendInitialInvite(dest, r.target);
        });
      })
      .catch((err: unknown) => {
        this.log.error({ err, callId: this.id }, 'call setup failed');
        this.fail(500, 'Server Internal Error');
      });
  }

  /** Timer C: from the first admission on, the call has a bounded time to be answered, whatever is tried. */
  private armNoAnswer(): void {
    if (this.noAnswerTimer !== undefined) return;
    this.noAnswerTimer = setTimeout(() => {
      this.log.info({ callId: this.id }, 'no answer: cancelling (Timer C)');
      void this.teardown(408, 'No Answer');
    }, this.svc.options.noAnswerTimeoutMs);
    this.noAnswerTimer.unref();
  }

  /**
   * The destination being tried failed before the answer. With `failover` (408, 5xx, no response, transport
   * error, the destination's own limits, not registered, `fail_percent`) the next candidate is tried, within
   * the engine's `maxRouteAttempts`, unless the caller already holds an answer to its offer from this
   * destination (reliable provisional with SDP). Otherwise the caller gets this failure.
   */
  private tryFailed(f: { status: number; reason: string; headers?: [string, string][]; response?: SipResponse }, failover: boolean): void {
    if (this.state === 'ended') return;
    const from = this.dest?.connection.id;
    if (failover && this.candidates.length > 0 && this.attempts < this.svc.options.maxRouteAttempts && !this.earlyAnswerSent) {
      this.log.info({ callId: this.id, dest: from, status: f.status, reason: f.reason, next: this.candidates[0]!.connection.id }, 'destination failed: trying the next connection');
      this.timers.b?.stop();
      this.timers.b = undefined;
      if (this.b !== undefined) this.svc.unregisterDialog(this, this.b);
      this.b = undefined;
      this.tryNext();
      return;
    }
    if (f.response === undefined) return this.fail(f.status, f.reason, f.headers ?? []);
    const out = this.mirrorResponse(this.aTx, f.response, f.status, f.reason);
    if (f.status !== f.response.status) for (const h of ['contact', 'www-authenticate', 'proxy-authenticate']) out.headers.remove(h);
    this.respondNear(this.aTx, 'a', out);
    this.endedBy = 'callee';
    this.finish(`far end ${f.response.status} ${f.response.reason}`);
  }

  private sendInitialInvite(dest: IndexedConnection, target: Target): void {
    const svc = this.svc;
    const dc = dest.connection;
    const start = { ...this.origOutcome!.identity, requestHost: target.uriHost, toHost: target.uriHost };
    this.termOutcome = applyLegRules('term', start, dc, { serverProduct: svc.productName });
    const term = this.termOutcome;
    // Enswitch fail_percent: a simulated 503 of this destination, which fails over like a real one.
    if (term.reject !== null) return this.tryFailed({ status: term.reject.sipStatus, reason: 'Service Unavailable', headers: [['Warning', `399 trunkline "${term.reject.reason}"`]] }, true);
    const id = term.identity;

    const body = policeBody(this.aReq, [this.aPolicy, this.policy('b')], 'trunkline');
    if (!body.ok) return this.fail(body.status, body.reason, body.warning === undefined ? [] : [['Warning', body.warning]]);

    let transport;
    try {
      transport = svc.layer.transportFor(target.transport, target.destination.host);
    } catch {
      return this.tryFailed({ status: 503, reason: `No ${target.transport.toUpperCase()} Transport` }, true);
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
      maxForwards: this.maxForwards,
      contact,
    });
    copyEndToEnd(this.aReq.headers, invite.headers, ['user-agent']);
    invite.headers.append('User-Agent', svc.productName);
    this.timers.b = new LegSessionTimer(sessionTimerSettings(dc.sessionTimer, svc.options), this.legHost('b'));
    const relay = this.initial;
    relay.asked = this.timers.b.decorateRequest(invite.headers, true);
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
    relay.farDialog = this.b;
    svc.registerDialog(this, this.b);
    this.state = 'calling';
    this.log.debug(
      { callId: this.id, bCallId: invite.callId, origin: this.origin.connection.id, dest: dc.id, attempt: this.attempts, to: uri.toString(), applied: term.applied },
      'call routed',
    );
    relay.sendOptions = { destination: target.destination, transport: target.transport };
    this.sendRelayInvite(relay, invite);
    if (this.origin.connection.hidePostDialDelayWithRingback && relay === this.initial && relay.clientTx !== undefined) this.ringCaller();
  }

  /** `hidePostDialDelayWithRingback`: the caller rings as soon as the destination is being called (ringback.ts). */
  private ringCaller(): void {
    if (this.ringingAt !== undefined || this.state === 'ended' || this.aTx.finalResponseSent) return;
    const ring = this.aTx.createResponse(180, 'Ringing');
    ring.headers.set('Contact', this.a.contact);
    this.respondNear(this.aTx, 'a', ring);
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
    (relay.farDialog ?? this.dialog(relay.far))?.noteSent(req);
    const silence = this.armSilenceTimer(relay, tx);
    const off = tx.onResponse((res) => {
      if (silence !== undefined) clearTimeout(silence);
      try {
        this.onRelayInviteResponse(relay, tx, res);
      } catch (err) {
        this.log.error({ err, callId: this.id, status: res.status }, 'could not relay a response');
      }
      // A 2xx arriving after the call ended was just ACKed and BYEd above; nothing more to hear.
      if (this.state === 'ended') this.stopListening();
    });
    this.responseListeners.set(tx, off);
    void tx.result.then((r) => {
      if (r.type !== 'response' && relay.clientTx === tx) this.onRelayInviteFailure(relay, r);
    });
  }

  /**
   * Failover on silence: while another connection could still be tried, a destination that has not answered at
   * all (not even 100 Trying) within `failoverNoResponseMs` is given up: its transaction is destroyed (it stops
   * retransmitting; a CANCEL needs a provisional response, §9.1) and the failure takes the usual path as a 408.
   */
  private armSilenceTimer(relay: InviteRelay, tx: InviteClientTransaction): NodeJS.Timeout | undefined {
    const ms = this.svc.options.failoverNoResponseMs;
    const canFailOver = relay.initial && this.candidates.length > 0 && this.attempts < this.svc.options.maxRouteAttempts;
    if (!canFailOver || !(ms > 0)) return undefined;
    const timer = setTimeout(() => {
      if (this.state === 'ended' || relay !== this.initial || tx.settledOutcome || tx.receivedProvisional) return;
      this.log.info({ callId: this.id, dest: this.dest?.connection.id, ms }, 'destination silent: giving it up');
      relay.gaveUp = true;
      tx.destroy();
    }, ms);
    timer.unref();
    return timer;
  }

  /** Drop the listeners of INVITE transactions whose outcome is known (one still waiting must hear its answer). */
  private stopListening(): void {
    for (const [tx, off] of this.responseListeners) {
      if (!tx.settledOutcome) continue;
      off();
      this.responseListeners.delete(tx);
    }
  }

  private respondNear(tx: AnyServerTransaction, leg: LegName, res: SipResponse): void {
    applyHeaderOps(res.headers, this.responseOps(leg));
    if (tx === this.aTx) {
      if (res.status >= 200) this.finalStatus ??= res.status;
      else if (res.status === 180 || res.status === 183) this.ringingAt ??= Date.now();
    }
    if (res.status < 300) this.dialog(leg)?.noteSent(res);
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
    if (relay.initial && relay !== this.initial) return this.onStaleTryResponse(relay, res);
    const far = this.dialog(relay.far)!;
    const near = this.dialog(relay.near)!;
    const farPolicies = [this.policy(relay.far), this.policy(relay.near)];

    if (status < 200) {
      if (this.state === 'ended' || relay.serverTx.finalResponseSent) return;
      if (relay.initial && res.to.tag !== undefined && this.state !== 'answered') {
        far.learnFromResponse(res);
        this.state = 'early';
      }
      far.noteReceived(res);
      this.relayProvisional(relay, res, near, farPolicies);
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
      far.noteReceived(res);
      if (this.state === 'ended') {
        // Answered after the caller went away (CANCEL crossed the 2xx, no-answer timeout): §15 ACK + BYE.
        this.sendFarAck(relay, undefined);
        this.byes.push(this.sendBye(relay.far));
        return;
      }
      if (!relay.lateOffer) this.sendFarAck(relay, undefined);
      this.timers[relay.far]?.onAnswer(res, relay.asked);
      const out = this.mirrorResponse(relay.serverTx, res);
      out.headers.set('Contact', near.contact);
      let answer: SipResponse = res;
      if (res.body.length === 0 && relay.withheldAnswer !== undefined) {
        // RFC 3262: the answer came in a reliable provisional the near side never saw; the 2xx brings it.
        answer = res.clone();
        answer.headers.set('Content-Type', relay.withheldAnswer.contentType);
        answer.body = relay.withheldAnswer.body;
      }
      if (!this.attachBody(out, answer, farPolicies)) {
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
      this.timers[relay.near]?.grant(relay.initial ? this.aGrant : relay.nearDecision, out.headers);
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
    if (this.retryFarInvite(relay, res)) return;
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
    void tx;
    if (relay.initial) {
      this.tryFailed({ status: mapped, reason, response: res }, mapped === status && failsOver(status));
      return;
    }
    const out = this.mirrorResponse(relay.serverTx, res, mapped, reason);
    if (mapped !== status) for (const h of ['contact', 'www-authenticate', 'proxy-authenticate']) out.headers.remove(h);
    this.respondNear(relay.serverTx, relay.near, out);
    this.pendingInvite = undefined;
    // RFC 5057 §5.1: 481 and 408 to a mid-dialog request end the dialog.
    if (status === 481 || status === 408) void this.teardown(503, `re-INVITE ${status}`);
  }

  /**
   * A failure the far leg lets us fix by asking again (never seen by the near side): a digest challenge
   * answered with the destination's credentials, or RFC 4028 §7.3 "422 Session Interval Too Small" answered with
   * the larger Min-SE it names. True when the INVITE went again.
   */
  private retryFarInvite(relay: InviteRelay, res: SipResponse): boolean {
    const status = res.status;
    const far = this.dialog(relay.far)!;
    const sent = relay.clientReq;
    if (sent === undefined || this.state === 'ended') return false;
    if (status === 401 || status === 407) {
      const dc = this.dest?.connection;
      if (relay.far === 'b' && !relay.authTried && dc !== undefined && dc.authenticateAsClient && dc.authUsername !== '') {
        const retry = new DigestClient({ username: dc.authUsername, password: dc.authPassword }).authorize(sent, res);
        if (retry !== undefined) {
          relay.authTried = true;
          far.localCSeq = Math.max(far.localCSeq, retry.cseq.seq);
          this.log.debug({ callId: this.id, status }, 'far end challenged: answering with the connection credentials');
          this.sendRelayInvite(relay, retry);
          return true;
        }
      }
    }
    if (status === 422 && relay.retries422 < 2) {
      const timer = this.timers[relay.far];
      const interval = timer?.retryAfter422(res, relay.asked);
      if (timer !== undefined && interval !== undefined) {
        const retry = sent.clone();
        retry.headers.remove('via');
        far.localCSeq = Math.max(far.localCSeq, sent.cseq.seq) + 1;
        retry.headers.set('CSeq', `${far.localCSeq} INVITE`);
        timer.applyRetryInterval(retry.headers, interval);
        relay.asked = interval;
        relay.retries422++;
        this.log.debug({ callId: this.id, leg: relay.far, interval }, '422 from the far end: asking again with its Min-SE');
        this.sendRelayInvite(relay, retry);
        return true;
      }
    }
    return false;
  }

  /** A 1xx from the far leg, through the ringback policy for the initial INVITE (ringback.ts). */
  private relayProvisional(relay: InviteRelay, res: SipResponse, near: Dialog, farPolicies: readonly SdpPolicy[]): void {
    const reliable = hasOptionTag(res.headers, 'require', '100rel') && res.headers.has('rseq');
    const hasSdp = res.body.length > 0;
    let action: ProvisionalAction = { kind: 'relay', status: res.status, reason: res.reason, keepSdp: true };
    const dc = this.dest?.connection;
    if (relay.initial && dc !== undefined) {
      action = provisionalAction({
        status: res.status,
        reason: res.reason,
        hasSdp,
        remoteRingback: dc.remoteRingback,
        hidePostDialDelay: this.origin.connection.hidePostDialDelayWithRingback,
        ringingSent: this.ringingAt !== undefined,
      });
    }
    if (action.kind === 'drop') {
      if (reliable) {
        if (hasSdp) relay.withheldAnswer = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
        this.prackLocally(res);
      }
      return;
    }
    const out = this.mirrorResponse(relay.serverTx, res, action.status, action.reason);
    if (res.to.tag !== undefined) out.headers.set('Contact', near.contact);
    let keepSdp = action.keepSdp;
    if (keepSdp && relay.far === 'b' && dc?.blockMediaIn180Ringing === true && action.status === 180) {
      keepSdp = !stripMedia({ statusCode: 180, contentType: res.header('content-type'), body: res.bodyText, reliable }, true).stripped;
    }
    let bodySource = res;
    if (!keepSdp && hasSdp) {
      if (reliable) relay.withheldAnswer = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
      bodySource = res.clone();
      bodySource.body = Buffer.alloc(0);
    }
    // A provisional whose SDP the policies refuse goes on without it rather than stopping the call.
    if (!this.attachBody(out, bodySource, farPolicies)) out.body = Buffer.alloc(0);
    if (relay.initial && reliable && out.body.length > 0) this.earlyAnswerSent = true;
    this.respondNear(relay.serverTx, relay.near, out);
  }

  /** RFC 3262 §4: a reliable provisional the caller will never PRACK (dropped by policy) is PRACKed here. */
  private prackLocally(res: SipResponse): void {
    const rseq = res.header('rseq')?.trim();
    const b = this.b;
    if (rseq === undefined || b === undefined || b.remoteTag === undefined) return;
    const key = `${res.to.tag ?? ''} ${rseq}`;
    if (this.pracked.has(key)) return; // a retransmission: §4 "retransmissions of that response MUST be discarded"
    this.pracked.add(key);
    const prack = b.request('PRACK');
    prack.headers.set('RAck', `${rseq} ${res.cseq.seq} ${res.cseq.method}`);
    try {
      this.svc.layer.sendRequest(prack, b.sendOptions());
    } catch (err) {
      this.log.debug({ err, callId: this.id }, 'PRACK not sent');
    }
  }

  /** A response to a destination already given up (failover after no response): a late 2xx is ACKed and BYEd. */
  private onStaleTryResponse(relay: InviteRelay, res: SipResponse): void {
    if (res.status < 200 || res.status >= 300 || relay.farDialog === undefined) return;
    this.dropForkedAnswer(relay, res, relay.farDialog);
  }

  private onRelayInviteFailure(relay: InviteRelay, r: Exclude<ClientTransactionResult, { type: 'response' }>): void {
    if (r.type === 'timeout' && r.timer === 'C') return; // our own no-answer timer decides
    if (relay.answered !== undefined) return;
    const [status, reason] = r.type === 'timeout' || relay.gaveUp ? [408, 'Request Timeout'] : [503, 'Destination Unreachable'];
    if (relay.initial) {
      if (this.state === 'ended' || relay !== this.initial) return;
      this.log.info({ callId: this.id, outcome: r.type, dest: this.dest?.connection.id }, 'INVITE to the destination failed');
      this.tryFailed({ status, reason }, true);
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
    far.noteSent(ack);
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

  /** A second 2xx from another fork (§13.2.2.4), or from a destination given up: ACK it, then BYE it. */
  private dropForkedAnswer(relay: InviteRelay, res: SipResponse, b: Dialog = this.dialog(relay.far)!): void {
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
    if (this.timers.a.onStray2xx(res) || this.timers.b?.onStray2xx(res) === true) return;
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
    if (this.timers[leg]?.onAck(seq) === true) return; // a session refresh answered here
    let relay: InviteRelay | undefined;
    if (this.initial.near === leg && this.initial.serverTx.request.cseq.seq === seq) relay = this.initial;
    else if (this.pendingInvite?.near === leg && this.pendingInvite.serverTx.request.cseq.seq === seq) relay = this.pendingInvite;
    if (relay === undefined || relay.nearAcked) return;
    relay.nearAcked = true;
    this.dialog(leg)?.noteReceived(ack);
    if (relay.initial && this.state === 'answered') this.state = 'confirmed';
    if (relay.answered !== undefined && relay.farAck === undefined && this.state !== 'ended') this.sendFarAck(relay, ack);
    if (!relay.initial && this.pendingInvite === relay) this.pendingInvite = undefined;
  }

  /** The near side never ACKed our 2xx (§13.3.1.4): end the call. */
  onAckTimeout(tx: InviteServerTransaction): void {
    const relay = this.initial.serverTx === tx ? this.initial : this.pendingInvite?.serverTx === tx ? this.pendingInvite : undefined;
    const refresh = (['a', 'b'] as const).some((l) => this.dialog(l)?.callId === tx.request.callId && this.timers[l]?.awaitsAck(tx.request.cseq.seq) === true);
    if (relay === undefined ? !refresh : relay.nearAcked) return;
    this.log.info({ callId: this.id }, 'no ACK for our 2xx: ending the call');
    void this.teardown(408, 'No ACK');
  }

  /** CANCEL of the caller's INVITE (the layer answered the CANCEL 200 already, §9.2). It also stops failover. */
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
    if (this.state === 'ended' || near.ended) return this.respondNear(tx, leg, tx.createResponse(481));
    if (!near.acceptRemoteCSeq(req)) return this.respondNear(tx, leg, tx.createResponse(500, 'CSeq Out Of Order'));

    if (req.method === 'BYE') {
      this.respondNear(tx, leg, tx.createResponse(200));
      near.ended = true;
      if (this.held !== undefined) {
        // The held leg's own party hung up before the minimum duration: nothing left to hold.
        this.finish(`${this.held.reason}; ${leg === 'a' ? 'caller' : 'callee'} hung up during the hold`);
        return;
      }
      this.endedBy = leg === 'a' ? 'caller' : 'callee';
      if (this.state === 'answered' || this.state === 'confirmed') {
        this.legEnded(leg, `BYE from ${leg === 'a' ? 'caller' : 'callee'}`);
      } else if (leg === 'a') {
        this.fail(487, 'Request Terminated');
      } else {
        // The callee ended its early dialog: the call fails.
        this.fail(480, 'Temporarily Unavailable');
      }
      return;
    }
    if (this.held !== undefined) return this.duringHold(leg, req, tx);

    const maxForwards = nextMaxForwards(req);
    if (maxForwards === undefined) return this.respondNear(tx, leg, tx.createResponse(483));
    if (far === undefined || far.remoteTag === undefined) {
      return this.respondNear(tx, leg, tx.createResponse(491, { reason: 'Request Pending', headers: [['Retry-After', '1']] }));
    }
    const answered = this.state === 'confirmed' || this.state === 'answered';
    const nearTimer = this.timers[leg];
    const farTimer = this.timers[farLeg];

    if (req.method === 'INVITE') {
      if (this.pendingInvite !== undefined || !answered) {
        return this.respondNear(tx, leg, tx.createResponse(491)); // §14.2 glare
      }
      // A pure session refresh concerns this leg only (session-timer.ts).
      if (nearTimer?.isRefresh(req) === true) return nearTimer.answerRefresh(req, tx);
      const decision = nearTimer?.judge(req) ?? { kind: 'none' };
      if (decision.kind === 'too-small') return this.respondNear(tx, leg, nearTimer!.tooSmall(tx, decision.minSE));
      near.learnTargetFromRequest(req);
      near.noteReceived(req);
      const out = far.request('INVITE', { maxForwards });
      copyEndToEnd(req.headers, out.headers);
      if (!this.attachBody(out, req, [this.policy(leg), this.policy(farLeg)])) {
        const b = policeBody(req, [this.policy(leg), this.policy(farLeg)], 'trunkline');
        const res = tx.createResponse(b.ok ? 488 : b.status, b.ok ? 'Not Acceptable Here' : b.reason);
        if (!b.ok && b.warning !== undefined) res.headers.append('Warning', b.warning);
        return this.respondNear(tx, leg, res);
      }
      const relay = new InviteRelay(leg, farLeg, tx as InviteServerTransaction, false);
      relay.nearDecision = decision;
      relay.asked = farTimer?.decorateRequest(out.headers, false);
      relay.sendOptions = far.sendOptions();
      this.pendingInvite = relay;
      this.svc.trackServerInvite(relay.serverTx, this, relay);
      this.sendRelayInvite(relay, out);
      return;
    }

    let decision: UasDecision = { kind: 'none' };
    if (req.method === 'UPDATE' && answered) {
      if (nearTimer?.isRefresh(req) === true) return nearTimer.answerRefresh(req, tx);
      decision = nearTimer?.judge(req) ?? decision;
      if (decision.kind === 'too-small') return this.respondNear(tx, leg, nearTimer!.tooSmall(tx, decision.minSE));
    }
    if (req.method === 'UPDATE') near.learnTargetFromRequest(req);
    near.noteReceived(req);
    const out = far.request(req.method, { maxForwards });
    copyEndToEnd(req.headers, out.headers);
    const asked = req.method === 'UPDATE' && answered ? farTimer?.decorateRequest(out.headers, false) : undefined;
    if (req.method === 'PRACK') this.mapRAck(req, out, leg);
    if (!this.attachBody(out, req, [this.policy(leg), this.policy(farLeg)])) {
      return this.respondNear(tx, leg, tx.createResponse(488, 'Not Acceptable Here'));
    }
    let ctx: AnyClientTransaction;
    try {
      ctx = this.svc.layer.sendRequest(out, far.sendOptions());
      far.noteSent(out);
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
        far.noteReceived(res);
        if (answered && this.state !== 'ended') {
          farTimer?.onAnswer(res, asked);
          nearTimer?.grant(decision, back.headers);
        }
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
    if (d === undefined || d.remoteTag === undefined || d.ended) return Promise.resolve();
    d.ended = true;
    this.timers[leg]?.stop();
    try {
      const tx = this.svc.layer.sendRequest(d.request('BYE'), d.sendOptions());
      return tx.result.then(() => undefined);
    } catch (err) {
      this.log.debug({ err, callId: this.id, leg }, 'BYE not sent');
      return Promise.resolve();
    }
  }

  /**
   * Leg `gone` of an answered call is over (its party sent BYE, or its session died): the other leg is BYEd at
   * once, or held until its connection's minimum call duration (min-duration.ts) and BYEd then.
   */
  private legEnded(gone: LegName, reason: string): void {
    const keep = other(gone);
    const gd = this.dialog(gone);
    if (gd !== undefined) {
      gd.ended = true;
      this.svc.unregisterDialog(this, gd);
    }
    this.timers[gone]?.stop();
    const kc = this.connectionOf(keep);
    const holdMs = kc === undefined || this.dialog(keep)?.ended !== false ? 0 : minimumDurationHoldMs(kc, this.answeredAt, Date.now());
    if (holdMs <= 0 || kc === undefined) {
      this.byes.push(this.sendBye(keep));
      this.finish(reason);
      return;
    }
    const note = `${reason}; ${keep === 'a' ? 'caller' : 'callee'} leg held to the ${kc.minimumCallDurationSeconds} s minimum call duration of connection ${kc.id}`;
    this.log.info({ callId: this.id, leg: keep, holdMs, connectionId: kc.id }, 'other leg ended early: holding this one to the minimum call duration');
    const timer = setTimeout(() => {
      this.byes.push(this.sendBye(keep));
      this.finish(note);
    }, holdMs);
    timer.unref();
    this.held = { leg: keep, reason: note, timer };
  }

  /** A request on the held leg while it waits for its minimum duration: kept alive, nothing to relay to. */
  private duringHold(leg: LegName, req: SipRequest, tx: AnyServerTransaction): void {
    const timer = this.timers[leg];
    if ((req.method === 'INVITE' || req.method === 'UPDATE') && timer?.isRefresh(req) === true) return timer.answerRefresh(req, tx);
    if (req.method === 'INVITE' || req.method === 'UPDATE') return this.respondNear(tx, leg, tx.createResponse(488, 'Not Acceptable Here'));
    if (req.method === 'INFO' || req.method === 'OPTIONS') return this.respondNear(tx, leg, tx.createResponse(200));
    this.respondNear(tx, leg, tx.createResponse(403, 'Call Ending'));
  }

  /** A leg's session died (refresh failed or expired, session-timer.ts): BYE it, and end or hold the other. */
  private legFailed(leg: LegName, reason: string): void {
    if (this.state === 'ended') return;
    if (this.state !== 'answered' && this.state !== 'confirmed') return void this.teardown(408, reason);
    if (this.held !== undefined) {
      this.byes.push(this.sendBye(leg));
      this.finish(`${this.held.reason}; ${reason} during the hold`);
      return;
    }
    this.endedBy = 'edge';
    this.byes.push(this.sendBye(leg));
    this.legEnded(leg, `${leg === 'a' ? 'caller' : 'callee'} leg: ${reason}`);
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
      this.finish(this.held === undefined ? reason : `${this.held.reason}; ${reason} during the hold`);
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

  /** Give back the slots of the destination being tried (and the origin's), with the call's answered time. */
  private releaseSlots(talkMs: number): void {
    if (!this.counted) return;
    this.counted = false;
    this.svc.live.end(this.origin.connection.id, 'orig', talkMs);
    if (this.dest !== undefined) this.svc.live.end(this.dest.connection.id, 'term', talkMs);
  }

  private finish(reason: string): void {
    if (this.state === 'ended') return;
    const wasAnswered = this.answeredAt !== undefined;
    this.state = 'ended';
    this.endedReason = reason;
    this.clearNoAnswer();
    if (this.durationTimer !== undefined) clearTimeout(this.durationTimer);
    if (this.held !== undefined) clearTimeout(this.held.timer);
    this.timers.a.stop();
    this.timers.b?.stop();
    this.releaseSlots(wasAnswered ? Date.now() - this.answeredAt! : 0);
    this.svc.untrack(this);
    this.stopListening();
    this.svc.recordCall(this.callRecord(reason));
    this.log.debug({ callId: this.id, reason, attempts: this.attempts }, 'call ended');
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
  describe(): { callId: string; state: CallState; origin: number; dest: number | undefined; attempts: number; held: LegName | undefined } {
    return { callId: this.id, state: this.state, origin: this.origin.connection.id, dest: this.dest?.connection.id, attempts: this.attempts, held: this.held?.leg };
  }
}
