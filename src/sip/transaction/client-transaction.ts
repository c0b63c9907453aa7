/**
 * Behaviour shared by the INVITE and non-INVITE client transactions (RFC 3261 §17.1):
 * sending the request (retransmissions are pre-serialised once), delivering responses to
 * the transaction user, and reporting the outcome — final response, timeout (Timer B/F,
 * §8.1.3.1 says to treat it as 408) or transport error (§8.1.3.1: treat as 503).
 */
import { Listeners, type Unsubscribe } from '../listeners.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { serializeMessage } from '../message/serializer.js';
import { Transaction, type TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export type ClientTransactionResult =
  | { type: 'response'; response: SipResponse }
  | { type: 'timeout'; timer: 'B' | 'C' | 'F' }
  | { type: 'transport-error'; error: Error };

export abstract class ClientTransaction extends Transaction {
  /** Serialised request, reused for every retransmission. */
  protected readonly wire: Buffer;
  private readonly responseListeners = new Listeners<SipResponse>();
  private readonly timeoutListeners = new Listeners<'B' | 'C' | 'F'>();
  private readonly transportErrorListeners = new Listeners<Error>();
  private settle!: (r: ClientTransactionResult) => void;
  private settled = false;
  /** How often the request went out (first send included), for tests and metrics. */
  transmissions = 0;
  /**
   * Outcome: the first final response, or the failure. Later responses (e.g. more 2xx from
   * a forking proxy) are only delivered through {@link onResponse}.
   */
  readonly result: Promise<ClientTransactionResult>;

  constructor(id: string, request: SipRequest, branch: string, channel: TransactionChannel, timers: TimerValues) {
    super(id, request, branch, channel, timers);
    this.wire = serializeMessage(request);
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Whether the outcome is known: a final response arrived, or the transaction timed out or failed. */
  get settledOutcome(): boolean {
    return this.settled;
  }

  /** Every response passed up to the transaction user (provisional and final). */
  onResponse(h: (res: SipResponse) => void): Unsubscribe {
    return this.responseListeners.add(h);
  }

  onTimeout(h: (timer: 'B' | 'C' | 'F') => void): Unsubscribe {
    return this.timeoutListeners.add(h);
  }

  onTransportError(h: (e: Error) => void): Unsubscribe {
    return this.transportErrorListeners.add(h);
  }

  /** Begin: send the request and start the timers. Called by the transaction layer. */
  abstract start(): void;

  /** A response matched this transaction (§17.1.3). Called by the transaction layer. */
  abstract receiveResponse(res: SipResponse): void;

  protected transmit(): void {
    this.transmissions++;
    this.channel.send(this.wire).catch((e: unknown) => this.transportError(e));
  }

  protected deliver(res: SipResponse): void {
    this.report(this.responseListeners.emit(res));
    if (res.status >= 200) {
      this.finish({ type: 'response', response: res });
      // The outcome is known: what is left is absorbing retransmissions (Timer D/K/M).
      this.quiesce();
      res.compact();
    }
  }

  protected finish(r: ClientTransactionResult): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(r);
  }

  protected timeout(timer: 'B' | 'C' | 'F'): void {
    this.report(this.timeoutListeners.emit(timer));
    this.finish({ type: 'timeout', timer });
  }

  /** §17.1.4: a transport failure terminates the transaction and is reported to the TU. */
  protected transportError(e: unknown): void {
    if (this.terminated) return;
    const err = e instanceof Error ? e : new Error(String(e));
    this.report(this.transportErrorListeners.emit(err));
    this.finish({ type: 'transport-error', error: err });
    this.terminate();
  }

  protected override terminate(): void {
    // A transaction destroyed before any outcome (stack shutdown) still settles its promise.
    // (An Error captures a stack trace: only build one when it will be used.)
    if (!this.settled) this.finish({ type: 'transport-error', error: new Error('transaction terminated') });
    super.terminate();
  }
}
