/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *   Trying ──1xx──► Proceeding ──200-699──► Completed ──Timer K──► Terminated
 *     │  └────────200-699─────────────────────►┘
 *   Timer E (unreliable only): retransmit; interval min(2E, T2) in Trying, T2 in Proceeding.
 *   Timer F: 64*T1 in Trying/Proceeding → Terminated, timeout reported (§8.1.3.1: a 408).
 *   Completed absorbs response retransmissions for Timer K (T4 unreliable, 0 reliable).
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export enum NonInviteClientState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

export class NonInviteClientTransaction extends ClientTransaction {
  readonly kind = 'non-invite-client' as const;
  private current = NonInviteClientState.Trying;

  constructor(id: string, request: SipRequest, branch: string, channel: TransactionChannel, timers: TimerValues) {
    super(id, request, branch, channel, timers);
  }

  /** After the final response nothing needs the request (an INVITE client keeps its own: ACKs are built from it). */
  protected override quiesce(): void {
    this.releaseRequest();
  }

  get state(): NonInviteClientState {
    return this.current;
  }

  start(): void {
    this.transmit();
    if (!this.reliable) this.scheduleE(this.t.E);
    this.startTimer('F', this.t.F, () => {
      if (this.current === NonInviteClientState.Trying || this.current === NonInviteClientState.Proceeding) {
        this.timeout('F');
        this.toTerminated();
      }
    });
  }

  private scheduleE(interval: number): void {
    this.startTimer('E', interval, () => {
      if (this.current === NonInviteClientState.Trying) {
        this.transmit();
        this.scheduleE(Math.min(2 * interval, this.t.T2));
      } else if (this.current === NonInviteClientState.Proceeding) {
        this.transmit();
        this.scheduleE(this.t.T2);
      }
    });
  }

  receiveResponse(res: SipResponse): void {
    if (this.current !== NonInviteClientState.Trying && this.current !== NonInviteClientState.Proceeding) return;
    if (res.status < 200) {
      this.current = NonInviteClientState.Proceeding;
      this.deliver(res);
      return;
    }
    this.timers.stop('E');
    this.timers.stop('F');
    this.current = NonInviteClientState.Completed;
    this.startTimer('K', this.reliable ? 0 : this.t.K, () => this.toTerminated());
    this.deliver(res);
  }

  private toTerminated(): void {
    this.current = NonInviteClientState.Terminated;
    this.terminate();
  }

  protected override terminate(): void {
    this.current = NonInviteClientState.Terminated;
    super.terminate();
  }
}
