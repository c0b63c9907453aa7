/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *   request → Trying: retransmissions absorbed (nothing to resend yet)
 *   1xx from TU → Proceeding: retransmission → last provisional sent again
 *   200-699 from TU → Completed: retransmission → final sent again; Timer J (64*T1
 *   unreliable, 0 reliable) → Terminated
 */
import { SipTransactionError } from '../errors.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { RemoteInfo, Transport } from '../transport/transport.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export enum NonInviteServerState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

export class NonInviteServerTransaction extends ServerTransaction {
  readonly kind = 'non-invite-server' as const;
  private current = NonInviteServerState.Trying;
  /** Request retransmissions absorbed or answered, for tests and metrics. */
  retransmissionsReceived = 0;

  constructor(
    id: string,
    request: SipRequest,
    branch: string,
    channel: TransactionChannel,
    timers: TimerValues,
    remote: RemoteInfo,
    transport: Transport,
  ) {
    super(id, request, branch, channel, timers, remote, transport);
  }

  get state(): NonInviteServerState {
    return this.current;
  }

  respond(res: SipResponse): void {
    this.checkResponse(res);
    if (this.current === NonInviteServerState.Completed) {
      throw new SipTransactionError('INVALID_STATE', 'a final response was already sent');
    }
    if (res.status < 200) {
      this.current = NonInviteServerState.Proceeding;
      this.sendResponse(res);
      return;
    }
    this.current = NonInviteServerState.Completed;
    this.sendResponse(res);
    this.startTimer('J', this.reliable ? 0 : this.t.J, () => {
      this.current = NonInviteServerState.Terminated;
      this.terminate();
    });
  }

  /** After the final response only its octets are resent (Timer J): the request itself can go. */
  protected override quiesce(): void {
    this.releaseRequest();
  }

  receiveRequest(_req: SipRequest): void {
    this.retransmissionsReceived++;
    if (this.current === NonInviteServerState.Proceeding || this.current === NonInviteServerState.Completed) this.resendLast();
  }

  protected override terminate(): void {
    this.current = NonInviteServerState.Terminated;
    super.terminate();
  }
}
