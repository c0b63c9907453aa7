/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as updated by RFC 6026 §7.2).
 *
 *                  |INVITE from TU
 *   Timer A fires  |INVITE sent          Timer B fires → Terminated (timeout to TU)
 *   Reset A,       V
 *   INVITE sent  Calling ──1xx──► Proceeding ──1xx──► (to TU)
 *                  │  \              │
 *                  │   300-699       │ 300-699: ACK sent, to TU → Completed (Timer D)
 *                  │    \            │ 2xx: to TU → Accepted (Timer M)   [RFC 6026]
 *                  2xx   └──────────►┘
 *   Completed: retransmitted 300-699 → ACK sent again; Timer D → Terminated
 *   Accepted:  further 2xx → to TU (the TU ACKs them end to end); Timer M → Terminated
 *
 * The ACK for a non-2xx final response is generated here (§17.1.1.3) because it is hop by
 * hop; the ACK for a 2xx is the TU's (§13.2.2.4).
 */
import { createAckForNon2xx } from '../message/builders.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { serializeMessage } from '../message/serializer.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export enum InviteClientState {
  Calling = 'Calling',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  /** RFC 6026 §7.2: after a 2xx, absorb nothing, pass further 2xx to the TU. */
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

export class InviteClientTransaction extends ClientTransaction {
  readonly kind = 'invite-client' as const;
  private current = InviteClientState.Calling;
  private ackWire: Buffer | undefined;
  /** The ACK sent for a non-2xx final response, if any. */
  ack: SipRequest | undefined;
  /** Whether a provisional response was received (CANCEL may only be sent after one, §9.1). */
  receivedProvisional = false;

  constructor(id: string, request: SipRequest, branch: string, channel: TransactionChannel, timers: TimerValues) {
    super(id, request, branch, channel, timers);
  }

  get state(): InviteClientState {
    return this.current;
  }

  start(): void {
    this.transmit();
    if (!this.reliable) this.scheduleA(this.t.A);
    this.startTimer('B', this.t.B, () => {
      if (this.current === InviteClientState.Calling) {
        this.timeout('B');
        this.toTerminated();
      }
    });
    if (this.t.C !== undefined) this.restartC();
  }

  /** §17.1.1.2: retransmit at T1, 2*T1, 4*T1... while Calling (no T2 cap for INVITE). */
  private scheduleA(interval: number): void {
    this.startTimer('A', interval, () => {
      if (this.current !== InviteClientState.Calling) return;
      this.transmit();
      this.scheduleA(interval * 2);
    });
  }

  /** §16.6 item 11 / §16.8: Timer C is (re)started by each provisional response. */
  private restartC(): void {
    if (this.t.C === undefined) return;
    this.startTimer('C', this.t.C, () => {
      if (this.current === InviteClientState.Calling || this.current === InviteClientState.Proceeding) {
        // The TU (transaction layer) CANCELs a Proceeding transaction; a Calling one is
        // treated as timed out.
        const wasCalling = this.current === InviteClientState.Calling;
        this.timeout('C');
        if (wasCalling) this.toTerminated();
      }
    });
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.current) {
      case InviteClientState.Calling:
      case InviteClientState.Proceeding:
        if (status < 200) {
          this.current = InviteClientState.Proceeding;
          this.receivedProvisional = true;
          this.timers.stop('A');
          this.restartC();
          this.deliver(res);
        } else if (status < 300) {
          this.timers.stop('A');
          this.timers.stop('B');
          this.timers.stop('C');
          this.current = InviteClientState.Accepted;
          this.startTimer('M', this.t.M, () => this.toTerminated());
          this.deliver(res);
        } else {
          this.timers.stop('A');
          this.timers.stop('B');
          this.timers.stop('C');
          this.current = InviteClientState.Completed;
          this.sendAck(res);
          this.startTimer('D', this.reliable ? 0 : this.t.D, () => this.toTerminated());
          this.deliver(res);
        }
        break;
      case InviteClientState.Completed:
        // §17.1.1.2: retransmissions of the final response → ACK again, not to the TU.
        if (status >= 300 && this.ackWire) this.channel.send(this.ackWire).catch((e: unknown) => this.transportError(e));
        break;
      case InviteClientState.Accepted:
        // RFC 6026 §7.2: 2xx retransmissions (or other forks) go to the TU.
        if (status >= 200 && status < 300) this.deliver(res);
        break;
      default:
        break;
    }
  }

  private sendAck(res: SipResponse): void {
    this.ack = createAckForNon2xx(this.request, res);
    this.ackWire = serializeMessage(this.ack);
    this.channel.send(this.ackWire).catch((e: unknown) => this.transportError(e));
  }

  private toTerminated(): void {
    this.current = InviteClientState.Terminated;
    this.terminate();
  }

  protected override terminate(): void {
    this.current = InviteClientState.Terminated;
    super.terminate();
  }
}
