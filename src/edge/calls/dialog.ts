/**
 * One leg's dialog state (RFC 3261 §12): Call-ID, local and remote tags, local and remote URIs, CSeq
 * numbers, remote target and route set, and where its requests go.
 *
 * - UAS side (the caller's leg, §12.1.1): route set = Record-Route of the INVITE in order, remote target =
 *   its Contact, remote CSeq = its CSeq.
 * - UAC side (the callee's leg, §12.1.2): route set = Record-Route of the 2xx (or of a provisional that
 *   creates an early dialog) in reverse order, remote target = its Contact; the target is refreshed by
 *   re-INVITE/UPDATE 2xx (§12.2.1.2) and by target-refresh requests the peer sends (§12.2.2).
 *
 * Requests inside the dialog (§12.2.1.1) are built here; strict routing (a route set whose first entry
 * lacks `lr`) is not handled, as in the SIP library.
 */
import {
  createRequest,
  type Destination,
  type SendRequestOptions,
  type SipRequest,
  type SipResponse,
  type TransportProtocol,
} from '../../sip/index.js';

export type LegName = 'a' | 'b';

/** An SDP body as it crossed the wire on one leg. */
export interface SdpCopy {
  readonly body: Buffer;
  readonly contentType: string;
}

function sdpOf(msg: SipRequest | SipResponse): SdpCopy | undefined {
  if (msg.body.length === 0) return undefined;
  const type = msg.contentType ?? 'application/sdp';
  return type.toLowerCase() === 'application/sdp' ? { body: msg.body, contentType: type } : undefined;
}

/** The `o=` line of an SDP body: RFC 3264 §8 changes its version whenever the session description changes. */
export function sdpOrigin(body: Buffer): string | undefined {
  const m = /^o=([^\r\n]*)/m.exec(body.toString('latin1'));
  return m?.[1]?.trim();
}

export interface DialogInit {
  readonly leg: LegName;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string | undefined;
  /** From of our requests, without tag (name-addr text). */
  readonly localUri: string;
  /** To of our requests, without tag. */
  readonly remoteUri: string;
  readonly localCSeq: number;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  /** Our Contact on this leg. */
  readonly contact: string;
  /** Where the dialog's requests go when pinned (symmetric signalling), and over which transport. */
  readonly flow: Destination;
  readonly transport: TransportProtocol;
  /** Send to `flow` rather than to the route set / remote target (the caller's leg, registered trunks). */
  readonly pinned: boolean;
}

export class Dialog {
  readonly leg: LegName;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string | undefined;
  readonly localUri: string;
  readonly remoteUri: string;
  localCSeq: number;
  remoteCSeq: number | undefined;
  remoteTarget: string;
  routeSet: string[];
  readonly contact: string;
  readonly flow: Destination;
  readonly transport: TransportProtocol;
  readonly pinned: boolean;
  /** The last SDP we sent on this leg (offer or answer): what a session refresh re-INVITE offers again. */
  localSdp: SdpCopy | undefined;
  /** The last SDP the peer sent on this leg: a re-INVITE offering it unchanged is only a session refresh. */
  remoteSdp: SdpCopy | undefined;
  /** Methods the peer said it accepts (its last Allow), lower-cased; undefined = never said. */
  remoteAllow: ReadonlySet<string> | undefined;
  /** The dialog is over on this side (BYE sent or received): nothing more is sent on it. */
  ended = false;

  constructor(init: DialogInit) {
    this.leg = init.leg;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localCSeq = init.localCSeq;
    this.remoteCSeq = undefined;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = [...init.routeSet];
    this.contact = init.contact;
    this.flow = init.flow;
    this.transport = init.transport;
    this.pinned = init.pinned;
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  /** A message we sent on this leg: remember its SDP. */
  noteSent(msg: SipRequest | SipResponse): void {
    const sdp = sdpOf(msg);
    if (sdp !== undefined) this.localSdp = sdp;
  }

  /** A message the peer sent on this leg: remember its SDP and what it allows. */
  noteReceived(msg: SipRequest | SipResponse): void {
    const sdp = sdpOf(msg);
    if (sdp !== undefined) this.remoteSdp = sdp;
    if (msg.headers.has('allow')) this.remoteAllow = new Set(msg.headers.getList('allow').map((m) => m.trim().toLowerCase()));
  }

  /** Whether the peer accepts `method` (by its Allow). */
  allows(method: string): boolean {
    return this.remoteAllow?.has(method.toLowerCase()) ?? false;
  }

  /** §12.1.2: the callee's response fixes the remote tag, target and route set (reversed Record-Route). */
  learnFromResponse(res: SipResponse): void {
    const tag = res.to.tag;
    if (tag !== undefined) this.remoteTag = tag;
    const contact = res.contacts[0];
    if (contact !== undefined) this.remoteTarget = contact.uri.toString();
    if (res.headers.has('record-route')) this.routeSet = res.recordRoutes.map((r) => r.toString()).reverse();
  }

  /** §12.2.2: a target refresh request from the peer updates the remote target. */
  learnTargetFromRequest(req: SipRequest): void {
    const contact = req.contacts[0];
    if (contact !== undefined && (req.method === 'INVITE' || req.method === 'UPDATE')) this.remoteTarget = contact.uri.toString();
  }

  /**
   * §12.2.2: requests with a lower CSeq than the last one are out of order (500); the first request
   * from the peer sets the remote CSeq. Returns false for an out-of-order request. ACK and CANCEL carry
   * the CSeq of the request they belong to and are not checked.
   */
  acceptRemoteCSeq(req: SipRequest): boolean {
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    const seq = req.cseq.seq;
    if (this.remoteCSeq !== undefined && seq <= this.remoteCSeq) return false;
    this.remoteCSeq = seq;
    return true;
  }

  /** A new request in this dialog (§12.2.1.1); `cseq` given for ACK (the INVITE's number). */
  request(method: string, opts: { cseq?: number; maxForwards?: number } = {}): SipRequest {
    let seq = opts.cseq;
    if (seq === undefined) {
      this.localCSeq++;
      seq = this.localCSeq;
    }
    return createRequest({
      method,
      uri: this.remoteTarget,
      from: `${this.localUri};tag=${this.localTag}`,
      to: this.remoteTag === undefined ? this.remoteUri : `${this.remoteUri};tag=${this.remoteTag}`,
      callId: this.callId,
      cseq: seq,
      ...(opts.maxForwards === undefined ? {} : { maxForwards: opts.maxForwards }),
      ...(method === 'ACK' || method === 'BYE' || method === 'CANCEL' || method === 'INFO' || method === 'PRACK' ? {} : { contact: this.contact }),
      routes: this.routeSet,
    });
  }

  /** How the transaction layer sends this dialog's requests. */
  sendOptions(): SendRequestOptions {
    if (this.pinned) return { destination: this.flow, transport: this.transport };
    // Route set or remote target decide (§12.2.1.1); a `transport` URI parameter there wins over UDP.
    return this.transport === 'udp' ? {} : { transport: this.transport };
  }
}

export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\u0000${localTag}`;
}
