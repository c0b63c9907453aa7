/**
 * Session timers (RFC 4028), owned by trunkline on each leg of a call.
 *
 * A B2BUA is two user agents, so each leg negotiates its own session interval and refresher with its own peer;
 * nothing about one leg's timer crosses to the other (relay.ts keeps Session-Expires, Min-SE and the `timer`
 * option tag on their leg). Whether a leg runs timers is its connection's `sessionTimer` setting (NetSapiens
 * `connection-sip-session-timer-enabled`): 'yes', 'no', or 'system-default' (the engine's `sessionTimerDefault`).
 *
 * On a leg with timers:
 *   - requests trunkline sends (the callee's INVITE, relayed re-INVITEs/UPDATEs, its own refreshes) carry
 *     `Supported: timer`, `Session-Expires` and `Min-SE` (§7.1, §7.4); a 422 is retried with the larger Min-SE
 *     (§7.3);
 *   - 2xx trunkline sends to the peer's INVITE/UPDATE grant an interval and name the refresher (§9);
 *   - when trunkline is the refresher it refreshes at half the interval (UPDATE when the peer allows it, else a
 *     re-INVITE offering the last SDP again), and a refresh answered 408/481 or never answered ends the call;
 *   - when the peer is the refresher, a session not refreshed by min(32 s, interval/3) before it expires ends
 *     the call (§10);
 *   - a re-INVITE or UPDATE from the peer that only refreshes the session (no body, or the same SDP version as
 *     before) is answered here and does not disturb the other leg.
 * On a leg without timers nothing is added and nothing is negotiated; a peer that still announces itself as the
 * refresher (Session-Expires with refresher=uas in its 2xx) is held to it. Every call keeps the engine's other
 * bounds (maximum duration, ACK timeout, RFC 5057 teardown).
 *
 * The `refresher` parameter names the UAC or UAS of the transaction that carries it (§7.4, §9), so the same leg
 * writes 'uac' or 'uas' for "trunkline refreshes" depending on who sent the request; inside, the refresher is
 * kept as 'us' or 'them'.
 */
import type { Logger } from 'pino';
import type { TriStateDefault } from '../../model/index.js';
import type {
  AnyServerTransaction,
  Headers,
  InviteClientTransaction,
  InviteServerTransaction,
  SipRequest,
  SipResponse,
  TransactionLayer,
} from '../../sip/index.js';
import { sdpOrigin, type Dialog } from './dialog.js';
import { addOptionTag, hasOptionTag } from './relay.js';
import type { ResolvedEngineOptions } from './services.js';

export interface SessionTimerSettings {
  readonly enabled: boolean;
  /** Session-Expires trunkline asks for, and the most it grants (seconds). */
  readonly interval: number;
  /** Trunkline's Min-SE (seconds). */
  readonly minSE: number;
}

/** A connection's `sessionTimer` setting as it applies to its leg. */
export function sessionTimerSettings(setting: TriStateDefault, o: Pick<ResolvedEngineOptions, 'sessionTimerDefault' | 'sessionExpiresSeconds' | 'minSessionExpiresSeconds'>): SessionTimerSettings {
  const enabled = setting === 'yes' ? true : setting === 'no' ? false : o.sessionTimerDefault;
  const minSE = Math.max(1, Math.floor(o.minSessionExpiresSeconds));
  return { enabled, minSE, interval: Math.max(minSE, Math.floor(o.sessionExpiresSeconds)) };
}

export type Refresher = 'us' | 'them';

export interface SessionExpires {
  readonly seconds: number;
  readonly refresher: 'uac' | 'uas' | undefined;
}

/** §4: `Session-Expires: 1800;refresher=uac` (compact `x`). */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (value === undefined) return undefined;
  const [first, ...params] = value.split(';');
  const seconds = Number.parseInt(first?.trim() ?? '', 10);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  let refresher: SessionExpires['refresher'];
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim().toLowerCase());
    if (k === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
  }
  return { seconds, refresher };
}

/** §5: `Min-SE: 90`. */
export function parseMinSE(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value.split(';')[0]?.trim() ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** What the 2xx to a peer's INVITE/UPDATE grants (§9). */
export type UasDecision =
  | { readonly kind: 'none' }
  /** 422 Session Interval Too Small with this Min-SE. */
  | { readonly kind: 'too-small'; readonly minSE: number }
  | { readonly kind: 'grant'; readonly interval: number; readonly refresher: Refresher; readonly peerSupports: boolean };

/** What a leg needs from its call. */
export interface SessionLegHost {
  readonly layer: TransactionLayer;
  readonly log: Logger;
  readonly callId: string;
  dialog(): Dialog | undefined;
  /** Another INVITE transaction is crossing the call (a refresh re-INVITE now would glare, RFC 3261 §14). */
  inviteInProgress(): boolean;
  /** The leg is dead (refresh answered 408/481 or never answered) or its session expired. */
  failed(reason: string): void;
  /** Send a response on this leg (the call adds its header operations). */
  respond(tx: AnyServerTransaction, res: SipResponse): void;
  /** An INVITE answered here: its ACK timeout ends the call like any other. */
  trackServerInvite(tx: InviteServerTransaction): void;
}

/** Longest wait before a refresh that found the call busy tries again. */
const BUSY_RETRY_MS = 1000;
/** 422 retries of one refresh (§7.3: each raises the interval, so two are plenty). */
const MAX_422_RETRIES = 2;

/** One leg's session timer. */
export class LegSessionTimer {
  /** Negotiated interval in seconds; undefined while no timer runs on this leg. */
  interval: number | undefined;
  refresher: Refresher | undefined;
  /** The peer said `Supported: timer`. */
  peerSupports = false;
  /** Min-SE of our requests: ours, raised by a 422 (§7.3). */
  private minSE: number;
  private refreshTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  /** The peer refused UPDATE (405/501): refresh with re-INVITE. */
  private useInvite = false;
  /** The ACK of our last refresh re-INVITE, for 2xx retransmissions (RFC 3261 §13.2.2.4). */
  private lastAck: SipRequest | undefined;
  /** CSeq numbers of refresh re-INVITEs answered here whose ACK has not come yet. */
  private readonly awaitingAck = new Set<number>();
  private stopped = false;

  constructor(
    readonly settings: SessionTimerSettings,
    private readonly host: SessionLegHost,
  ) {
    this.minSE = settings.minSE;
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  // ---- requests trunkline sends on this leg --------------------------------------------------------------

  /**
   * Session timer headers of an INVITE or UPDATE trunkline sends on this leg; returns the interval asked for
   * (undefined on a leg without timers). The initial INVITE names no refresher so that the UAS chooses (§7.1);
   * later requests keep the refresher there is.
   */
  decorateRequest(headers: Headers, initial: boolean): number | undefined {
    if (!this.settings.enabled) return undefined;
    const interval = Math.max(this.interval ?? this.settings.interval, this.minSE);
    addOptionTag(headers, 'supported', 'timer');
    const refresher = initial || this.refresher === undefined ? '' : `;refresher=${this.refresher === 'us' ? 'uac' : 'uas'}`;
    headers.set('Session-Expires', `${interval}${refresher}`);
    headers.set('Min-SE', String(this.minSE));
    return interval;
  }

  /**
   * A 422 to a request that carried our Session-Expires (§7.3): the retry's interval, or undefined when trunkline
   * gives up (leg without timers, no usable Min-SE, or it would not grow).
   */
  retryAfter422(res: SipResponse, asked: number | undefined): number | undefined {
    const theirs = parseMinSE(res.header('min-se'));
    if (!this.settings.enabled || asked === undefined || theirs === undefined || theirs <= asked) return undefined;
    this.minSE = Math.max(this.minSE, theirs);
    return theirs;
  }

  /** Put a 422-raised interval on a retried request. */
  applyRetryInterval(headers: Headers, interval: number): void {
    const se = parseSessionExpires(headers.get('session-expires'));
    const refresher = se?.refresher === undefined ? '' : `;refresher=${se.refresher}`;
    headers.set('Session-Expires', `${interval}${refresher}`);
    headers.set('Min-SE', String(this.minSE));
  }

  /**
   * §7.2: a 2xx to an INVITE or UPDATE trunkline sent on this leg. "If the 2xx response did not contain a
   * Session-Expires header field, there is no session expiration" from the peer's side; trunkline still wants
   * one, so it refreshes at the interval it asked for, as §7.2 lets a UAC do. A refresh 2xx without one
   * leaves the interval as it was.
   */
  onAnswer(res: SipResponse, asked: number | undefined): void {
    const se = parseSessionExpires(res.header('session-expires'));
    if (!this.settings.enabled) {
      // A peer that appoints itself refresher anyway is taken at its word: a session it stops refreshing is dead.
      if (se !== undefined && se.refresher === 'uas') this.run(se.seconds, 'them');
      return;
    }
    if (hasOptionTag(res.headers, 'require', 'timer') || hasOptionTag(res.headers, 'supported', 'timer')) this.peerSupports = true;
    if (se !== undefined) this.run(se.seconds, se.refresher === 'uas' ? 'them' : 'us');
    else if (this.interval === undefined && asked !== undefined) this.run(asked, 'us');
    else if (this.interval !== undefined) this.run(this.interval, this.refresher ?? 'us');
  }

  // ---- requests the peer sends on this leg ----------------------------------------------------------------

  /**
   * §9: what trunkline grants the peer's INVITE or UPDATE. "The UAS response MAY reduce its value but MUST NOT
   * set it to a duration lower than the value in the Min-SE header field in the request, if it is present".
   * A peer below trunkline's Min-SE gets 422 when it can read one (it said `Supported: timer`); otherwise its
   * interval is raised, since a 422 would only fail the call.
   */
  judge(req: SipRequest): UasDecision {
    if (!this.settings.enabled) return { kind: 'none' };
    const peerSupports = hasOptionTag(req.headers, 'supported', 'timer');
    const se = parseSessionExpires(req.header('session-expires'));
    const theirMin = parseMinSE(req.header('min-se')) ?? 0;
    const s = this.settings;
    if (se !== undefined) {
      if (se.seconds < s.minSE && peerSupports) return { kind: 'too-small', minSE: s.minSE };
      const interval = Math.max(Math.min(se.seconds, s.interval), theirMin, s.minSE);
      // Without `Supported: timer` the peer cannot know it is asked to refresh: trunkline does it (§9).
      const refresher: Refresher = !peerSupports ? 'us' : se.refresher === 'uac' ? 'them' : se.refresher === 'uas' ? 'us' : (this.refresher ?? 'us');
      return { kind: 'grant', interval, refresher, peerSupports };
    }
    const interval = Math.max(this.interval ?? s.interval, theirMin);
    return { kind: 'grant', interval, refresher: peerSupports ? (this.refresher ?? 'us') : 'us', peerSupports };
  }

  /** Headers of the 2xx carrying a grant (§9), and the timers restarted from now. */
  grant(decision: UasDecision, headers: Headers): void {
    if (decision.kind !== 'grant') return;
    this.peerSupports = decision.peerSupports;
    addOptionTag(headers, 'supported', 'timer');
    headers.set('Session-Expires', `${decision.interval};refresher=${decision.refresher === 'us' ? 'uas' : 'uac'}`);
    // The peer must know the response obliges it (it may be the refresher); it said it understands `timer`.
    if (decision.peerSupports) addOptionTag(headers, 'require', 'timer');
    this.run(decision.interval, decision.refresher);
  }

  /** The 422 for a request below our Min-SE (§6). */
  tooSmall(tx: AnyServerTransaction, minSE: number): SipResponse {
    const res = tx.createResponse(422, 'Session Interval Too Small');
    res.headers.set('Min-SE', String(minSE));
    return res;
  }

  /**
   * A re-INVITE or UPDATE from the peer that only refreshes the session: an UPDATE without a body, or a
   * re-INVITE offering the same SDP version as its last one (RFC 3264 §8: a changed description has a new
   * version). Only on a leg where a session timer runs or the request carries one; other keep-alive-looking
   * requests cross as before.
   */
  isRefresh(req: SipRequest): boolean {
    const d = this.host.dialog();
    if (d === undefined || (this.interval === undefined && !req.headers.has('session-expires'))) return false;
    if (req.method === 'UPDATE') return req.body.length === 0;
    if (req.method !== 'INVITE' || req.body.length === 0 || d.remoteSdp === undefined || d.localSdp === undefined) return false;
    const o = sdpOrigin(req.body);
    return o !== undefined && o === sdpOrigin(d.remoteSdp.body);
  }

  /** Answer a refresh from the peer here: 200 with our last SDP for a re-INVITE (the session is unchanged). */
  answerRefresh(req: SipRequest, tx: AnyServerTransaction): void {
    const d = this.host.dialog()!;
    d.learnTargetFromRequest(req);
    d.noteReceived(req);
    const decision = this.judge(req);
    if (decision.kind === 'too-small') return this.host.respond(tx, this.tooSmall(tx, decision.minSE));
    const res = tx.createResponse(200);
    res.headers.set('Contact', d.contact);
    this.grant(decision, res.headers);
    if (decision.kind === 'none') this.run(this.interval, this.refresher); // a refresh resets whatever runs
    if (req.method === 'INVITE') {
      const sdp = d.localSdp!;
      res.headers.set('Content-Type', sdp.contentType);
      res.body = sdp.body;
      this.awaitingAck.add(req.cseq.seq);
      this.host.trackServerInvite(tx as InviteServerTransaction);
    }
    this.host.log.debug({ callId: this.host.callId, leg: d.leg, method: req.method, interval: this.interval, refresher: this.refresher }, 'session refresh answered');
    this.host.respond(tx, res);
  }

  /** Our 2xx to the peer's refresh re-INVITE `seq` still waits for its ACK. */
  awaitsAck(seq: number): boolean {
    return this.awaitingAck.has(seq);
  }

  /** The ACK of a refresh re-INVITE answered here (true: it was one, nothing to relay). */
  onAck(seq: number): boolean {
    return this.awaitingAck.delete(seq);
  }

  /** A retransmitted 2xx to our refresh re-INVITE after its transaction ended: ACK it again. */
  onStray2xx(res: SipResponse): boolean {
    const ack = this.lastAck;
    const d = this.host.dialog();
    if (ack === undefined || d === undefined || res.callId !== d.callId || res.cseq.seq !== ack.cseq.seq) return false;
    this.host.layer.sendAck(ack.clone(), d.sendOptions()).catch(() => undefined);
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  // ---- timers and refreshes -------------------------------------------------------------------------------

  private clearTimers(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.refreshTimer = undefined;
    this.expiryTimer = undefined;
  }

  /** (Re)start the leg's timers for a session refreshed now. */
  private run(interval: number | undefined, refresher: Refresher | undefined): void {
    this.clearTimers();
    if (interval === undefined || refresher === undefined || this.stopped) return;
    this.interval = interval;
    this.refresher = refresher;
    const ms = interval * 1000;
    if (refresher === 'us') {
      // "It is RECOMMENDED that this refresh be sent once half the session interval has elapsed" (§7.2, §9).
      this.refreshTimer = setTimeout(() => this.refresh(), ms / 2);
      this.refreshTimer.unref();
      // Without a successful refresh by then the session is over (§10).
      this.expiryTimer = setTimeout(() => this.expire(), ms);
    } else {
      // §10: "if the side not performing refreshes does not receive a session refresh request before the session
      // expiration, it SHOULD send a BYE to terminate the session, slightly before the session expiration. The
      // minimum of 32 seconds and one third of the session interval is RECOMMENDED."
      this.expiryTimer = setTimeout(() => this.expire(), ms - Math.min(32_000, ms / 3));
    }
    this.expiryTimer.unref();
  }

  private expire(): void {
    if (this.stopped) return;
    this.host.log.info({ callId: this.host.callId, leg: this.host.dialog()?.leg, interval: this.interval, refresher: this.refresher }, 'session expired without refresh');
    this.host.failed('session expired');
  }

  private later(ms: number): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), ms);
    this.refreshTimer.unref();
  }

  /**
   * §7.4: "A re-INVITE generated to refresh the session is a normal re-INVITE, and an UPDATE generated to refresh
   * a session is a normal UPDATE. If a UAC knows that its peer supports the UPDATE method, it is RECOMMENDED that
   * UPDATE be used instead of a re-INVITE. [...] It is RECOMMENDED that the UPDATE request not contain an offer
   * [4], but a re-INVITE SHOULD contain one, even if the details of the session have not changed".
   */
  private refresh(retries422 = 0): void {
    this.refreshTimer = undefined;
    const d = this.host.dialog();
    if (this.stopped || d === undefined || d.ended || d.remoteTag === undefined) return;
    if (this.refreshing || this.host.inviteInProgress()) return this.later(BUSY_RETRY_MS);
    const method = (d.allows('UPDATE') && !this.useInvite) || d.localSdp === undefined ? 'UPDATE' : 'INVITE';
    const req = d.request(method);
    const asked = this.decorateRequest(req.headers, false);
    if (method === 'INVITE') {
      req.headers.set('Content-Type', d.localSdp!.contentType);
      req.body = d.localSdp!.body;
    }
    let tx;
    try {
      tx = this.host.layer.sendRequest(req, d.sendOptions());
    } catch (err) {
      this.host.log.info({ err, callId: this.host.callId, leg: d.leg }, 'session refresh could not be sent');
      this.host.failed('session refresh transport error');
      return;
    }
    this.refreshing = true;
    this.host.log.debug({ callId: this.host.callId, leg: d.leg, method, interval: asked }, 'session refresh sent');
    if (method === 'INVITE') {
      this.lastAck = undefined;
      (tx as InviteClientTransaction).onResponse((res) => {
        if (res.status < 200 || res.status >= 300) return;
        this.lastAck ??= d.request('ACK', { cseq: req.cseq.seq });
        this.host.layer.sendAck(this.lastAck.clone(), d.sendOptions()).catch(() => undefined);
      });
    }
    void tx.result.then((r) => {
      this.refreshing = false;
      if (this.stopped || d.ended) return;
      if (r.type !== 'response') {
        // §10: "If the session refresh request transaction times out or generates a 408 or 481 response, then
        // the UAC sends a BYE request."
        this.host.failed(`session refresh ${r.type}`);
        return;
      }
      const res = r.response;
      const status = res.status;
      if (status >= 200 && status < 300) {
        d.noteReceived(res);
        const contact = res.contacts[0];
        if (contact !== undefined) d.remoteTarget = contact.uri.toString(); // RFC 3261 §12.2.1.2 target refresh
        this.onAnswer(res, asked);
      } else if (status === 408 || status === 481) {
        this.host.failed(`session refresh ${status}`);
      } else if (status === 422 && retries422 < MAX_422_RETRIES && this.retryAfter422(res, asked) !== undefined) {
        this.interval = Math.max(this.interval ?? 0, this.minSE);
        this.refresh(retries422 + 1);
      } else if ((status === 405 || status === 501) && method === 'UPDATE' && d.localSdp !== undefined) {
        this.useInvite = true;
        this.refresh(retries422);
      } else if (status === 491) {
        // RFC 3261 §14.1: try again after a random while (2.1-4 s for the Call-ID's owner, 0-2 s otherwise).
        this.later(d.leg === 'b' ? 2100 + Math.random() * 1900 : Math.random() * 2000);
      } else {
        // Any other answer still proves the peer holds the dialog (only 408 and 481 say otherwise, RFC 5057):
        // the session counts as refreshed at the interval it had.
        this.host.log.info({ callId: this.host.callId, leg: d.leg, status }, 'session refresh refused; the peer is alive');
        this.run(this.interval, this.refresher);
      }
    });
  }
}
