/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as updated by RFC 6026 §7.1).
 *
 *   INVITE → Proceeding (100 Trying sent unless the TU answers within 200 ms)
 *   Proceeding: INVITE retransmission → last provisional sent again
 *               1xx from TU → sent;  2xx from TU → sent, Accepted (Timer L)  [RFC 6026]
 *               300-699 from TU → sent, Completed (Timer G unreliable, Timer H)
 *   Completed:  INVITE retransmission or Timer G → response sent again (G doubles up to T2)
 *               ACK → Confirmed (Timer I);  Timer H → Terminated, TU told (no ACK)
 *   Confirmed:  ACKs absorbed; Timer I → Terminated
 *   Accepted:   INVITE retransmissions absorbed; 2xx from TU (its §13.3.1.4 retransmissions)
 *               passed to the transport; Timer L → Terminated
 */
import { SipTransactionError } from '../errors.js';
import { Listeners, type Unsubscribe } from '../listeners.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { RemoteInfo, Transport } from '../transport/transport.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export enum InviteServerState {
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  /** RFC 6026 §7.1: a 2xx was sent; retransmitted INVITEs are absorbed until Timer L. */
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

export class InviteServerTransaction extends ServerTransaction {
  readonly kind = 'invite-server' as const;
  private current = InviteServerState.Proceeding;
  private readonly cancelListeners = new Listeners<SipRequest>();
  /** Set when a CANCEL matched this transaction (§9.2). */
  cancelled = false;
  /**
   * Set by the transaction user to add its headers (e.g. `Server`) to the automatic 100 Trying, which it
   * never sees otherwise. Dropped once a final response is sent (no Trying can follow).
   */
  prepareTrying: ((trying: SipResponse) => void) | undefined;
  /** Delay before the automatic 100 Trying (§17.2.1: "within 200 ms"); false disables it. */
  private readonly autoTrying: number | false;

  constructor(
    id: string,
    request: SipRequest,
    branch: string,
    channel: TransactionChannel,
    timers: TimerValues,
    remote: RemoteInfo,
    transport: Transport,
    autoTrying: number | false = 200,
  ) {
    super(id, request, branch, channel, timers, remote, transport);
    this.autoTrying = autoTrying;
  }

  get state(): InviteServerState {
    return this.current;
  }

  /** Called by the transaction layer right after creation. */
  start(): void {
    if (this.autoTrying === false) return;
    this.startTimer('Trying', this.autoTrying, () => {
      if (this.current === InviteServerState.Proceeding && this.lastStatus === undefined) {
        const trying = this.createResponse(100);
        try {
          this.prepareTrying?.(trying);
        } catch (e) {
          this.report([e]);
        }
        this.sendResponse(trying);
      }
    });
  }

  /** A CANCEL for this INVITE was received and answered 200 (§9.2). */
  onCancel(h: (cancel: SipRequest) => void): Unsubscribe {
    return this.cancelListeners.add(h);
  }

  /** @internal called by the transaction layer. */
  receiveCancel(cancel: SipRequest): void {
    this.cancelled = true;
    this.report(this.cancelListeners.emit(cancel));
  }

  respond(res: SipResponse): void {
    this.checkResponse(res);
    const status = res.status;
    switch (this.current) {
      case InviteServerState.Proceeding:
        this.timers.stop('Trying');
        if (status < 200) {
          this.sendResponse(res);
        } else if (status < 300) {
          this.current = InviteServerState.Accepted;
          this.sendResponse(res);
          this.startTimer('L', this.t.L, () => this.toTerminated());
        } else {
          this.current = InviteServerState.Completed;
          this.sendResponse(res);
          if (!this.reliable) this.scheduleG(this.t.G);
          this.startTimer('H', this.t.H, () => {
            // §17.2.1: no ACK — the TU is informed of the failure.
            this.timeoutH();
            this.toTerminated();
          });
        }
        return;
      case InviteServerState.Accepted:
        if (status >= 200 && status < 300) {
          this.sendResponse(res);
          return;
        }
        throw new SipTransactionError('INVALID_STATE', `cannot send ${status} after a 2xx`);
      default:
        throw new SipTransactionError('INVALID_STATE', `cannot send ${status} in state ${this.current}`);
    }
  }

  protected override quiesce(): void {
    this.prepareTrying = undefined; // it may hold the transaction user's state
    super.quiesce();
  }

  private scheduleG(interval: number): void {
    this.startTimer('G', interval, () => {
      if (this.current !== InviteServerState.Completed) return;
      this.resendLast();
      this.scheduleG(Math.min(2 * interval, this.t.T2));
    });
  }

  receiveRequest(_req: SipRequest): void {
    // §17.2.1: a retransmitted INVITE gets the most recent provisional (Proceeding) or the
    // final response (Completed) again; in Confirmed/Accepted it is absorbed.
    if (this.current === InviteServerState.Proceeding || this.current === InviteServerState.Completed) this.resendLast();
  }

  /**
   * An ACK matched this transaction. Returns true when it was absorbed (the hop-by-hop ACK
   * of a non-2xx response), false when it must go to the TU (ACK for a 2xx, RFC 6026).
   */
  receiveAck(_ack: SipRequest): boolean {
    if (this.current === InviteServerState.Completed) {
      this.current = InviteServerState.Confirmed;
      this.timers.stop('G');
      this.timers.stop('H');
      this.startTimer('I', this.reliable ? 0 : this.t.I, () => this.toTerminated());
      return true;
    }
    return this.current === InviteServerState.Confirmed;
  }

  private toTerminated(): void {
    this.current = InviteServerState.Terminated;
    this.terminate();
  }

  protected override terminate(): void {
    this.current = InviteServerState.Terminated;
    super.terminate();
  }
}
