/**
 * What all four transaction state machines share (RFC 3261 §17).
 *
 * A transaction does not know about sockets: the transaction layer gives it a
 * {@link TransactionChannel} that sends octets to the right place (§18.1.1 for requests,
 * §18.2.2 for responses) and tells whether the transport is reliable, which decides whether
 * retransmission timers run at all (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).
 */
import { SipTransactionError } from '../errors.js';
import { Listeners, type Unsubscribe } from '../listeners.js';
import type { SipRequest } from '../message/message.js';
import { TimerSet, type TimerName, type TimerValues } from './timers.js';

export interface TransactionChannel {
  readonly reliable: boolean;
  /** Send octets; rejects on transport error (§17.1.4, §17.2.4). */
  send(data: Buffer): Promise<void>;
}

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

export abstract class Transaction {
  abstract readonly kind: TransactionKind;
  /** Key in the transaction table (branch-based, §17.1.3 / §17.2.3). */
  readonly id: string;
  #request: SipRequest | undefined;
  readonly branch: string;
  protected readonly channel: TransactionChannel;
  protected readonly timers = new TimerSet();
  protected readonly t: TimerValues;
  private readonly terminatedListeners = new Listeners<void>();
  private readonly errorListeners = new Listeners<Error>();
  private isTerminated = false;

  constructor(id: string, request: SipRequest, branch: string, channel: TransactionChannel, timers: TimerValues) {
    this.id = id;
    this.#request = request;
    this.branch = branch;
    this.channel = channel;
    this.t = timers;
  }

  abstract get state(): string;

  /**
   * The request this transaction was created for. Non-INVITE transactions (client and server) let go of it
   * once the final response is through (see {@link releaseRequest}); reading it after that is a
   * programming error.
   * @throws SipTransactionError INVALID_STATE after release
   */
  get request(): SipRequest {
    const r = this.#request;
    if (r === undefined) throw new SipTransactionError('INVALID_STATE', `the request of ${this.kind} transaction ${this.id} was released after its final response`);
    return r;
  }

  /**
   * Forget the request: what is left to do (absorb retransmissions, resend octets already serialised) does
   * not need it, and the transaction may stay in the table 64*T1 (a BYE's server transaction, Timer J).
   * INVITE transactions keep theirs: a UA builds its ACKs from the INVITE it sent, and matches in-dialog
   * requests against the INVITE it received while the call lasts.
   */
  protected releaseRequest(): void {
    this.#request = undefined;
  }

  get reliable(): boolean {
    return this.channel.reliable;
  }

  get terminated(): boolean {
    return this.isTerminated;
  }

  /** Called once when the transaction reaches Terminated and leaves the table. */
  onTerminated(h: () => void): Unsubscribe {
    if (this.isTerminated) {
      queueMicrotask(h);
      return () => undefined;
    }
    return this.terminatedListeners.add(h);
  }

  /** Errors thrown by application callbacks, reported instead of propagated. */
  onError(h: (e: Error) => void): Unsubscribe {
    return this.errorListeners.add(h);
  }

  /**
   * The transaction only absorbs or answers retransmissions from now on (Accepted, Completed, Confirmed):
   * it keeps the request's text but not its parsed views, since it may stay in the table 32 s (64*T1) and,
   * at hundreds of calls a second, such transactions are most of the heap.
   */
  protected quiesce(): void {
    this.#request?.compact();
  }

  /** Stop every timer and leave the table. Idempotent. */
  protected terminate(): void {
    if (this.isTerminated) return;
    this.isTerminated = true;
    this.timers.stopAll();
    this.report(this.terminatedListeners.emit());
  }

  /** Force termination (stack shutdown). */
  destroy(): void {
    this.terminate();
  }

  protected startTimer(name: TimerName, ms: number, fn: () => void): void {
    if (this.isTerminated) return;
    this.timers.start(name, ms, () => {
      if (!this.isTerminated) fn();
    });
  }

  protected report(errors: unknown[]): void {
    for (const e of errors) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (this.errorListeners.size > 0) this.errorListeners.emit(err);
    }
  }
}
