/**
 * Behaviour shared by the INVITE and non-INVITE server transactions (RFC 3261 §17.2):
 * remembering the last response so that a retransmitted request gets it again
 * (retransmission absorption, §17.2.1 / §17.2.2), and a per-transaction To tag so every
 * response the TU builds with {@link ServerTransaction.createResponse} carries the same tag
 * (§8.2.6.2, §12.1.1).
 */
import { SipTransactionError } from '../errors.js';
import { Listeners, type Unsubscribe } from '../listeners.js';
import { createResponse, type ResponseOptions } from '../message/builders.js';
import { generateTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { serializeMessage } from '../message/serializer.js';
import type { RemoteInfo, Transport } from '../transport/transport.js';
import { Transaction, type TransactionChannel } from './transaction.js';
import type { TimerValues } from './timers.js';

export abstract class ServerTransaction extends Transaction {
  /** Where the request came from. */
  readonly remote: RemoteInfo;
  /** Transport it came in on. */
  readonly transport: Transport;
  /** To tag used by {@link createResponse} (the request's own To tag if it had one). */
  readonly toTag: string;
  /** The last provisional response sent (a final one is kept only as octets, {@link lastWire}). */
  lastResponse: SipResponse | undefined;
  /** Status of the last response sent. */
  lastStatus: number | undefined;
  protected lastWire: Buffer | undefined;
  private readonly sentListeners = new Listeners<SipResponse>();
  private readonly timeoutListeners = new Listeners<'H'>();
  private readonly transportErrorListeners = new Listeners<Error>();
  /** How many times each response went out (first send included), for tests and metrics. */
  responseTransmissions = 0;

  constructor(
    id: string,
    request: SipRequest,
    branch: string,
    channel: TransactionChannel,
    timers: TimerValues,
    remote: RemoteInfo,
    transport: Transport,
  ) {
    super(id, request, branch, channel, timers);
    this.remote = remote;
    this.transport = transport;
    let tag: string | undefined;
    try {
      tag = request.to.tag;
    } catch {
      tag = undefined;
    }
    this.toTag = tag ?? generateTag();
  }

  /** Build a response to this transaction's request with the transaction's To tag. */
  createResponse(status: number, options: ResponseOptions | string = {}): SipResponse {
    const o = typeof options === 'string' ? { reason: options } : options;
    return createResponse(this.request, status, { ...o, toTag: o.toTag ?? this.toTag });
  }

  /** Whether a final (>= 200) response was sent. */
  get finalResponseSent(): boolean {
    return this.lastStatus !== undefined && this.lastStatus >= 200;
  }

  /** Send a response from the TU through the state machine. @throws SipTransactionError */
  abstract respond(res: SipResponse): void;

  /** A retransmission of the request arrived (§17.2.3 matched it here). */
  abstract receiveRequest(req: SipRequest): void;

  /** Every response handed to the transport (first transmissions and TU retransmissions). */
  onResponseSent(h: (res: SipResponse) => void): Unsubscribe {
    return this.sentListeners.add(h);
  }

  /** Timer H fired: no ACK for a non-2xx final response (§17.2.1). */
  onTimeout(h: (timer: 'H') => void): Unsubscribe {
    return this.timeoutListeners.add(h);
  }

  onTransportError(h: (e: Error) => void): Unsubscribe {
    return this.transportErrorListeners.add(h);
  }

  protected checkResponse(res: SipResponse): void {
    if (this.terminated) throw new SipTransactionError('INVALID_STATE', 'transaction is terminated');
    if (res.status < 100 || res.status > 699) throw new SipTransactionError('INVALID_STATE', `invalid status ${res.status}`);
  }

  protected sendResponse(res: SipResponse): void {
    const final = res.status >= 200;
    this.lastResponse = final ? undefined : res;
    this.lastStatus = res.status;
    this.lastWire = serializeMessage(res);
    this.responseTransmissions = 1;
    this.channel.send(this.lastWire).catch((e: unknown) => this.transportError(e));
    this.report(this.sentListeners.emit(res));
    if (final) this.quiesce();
  }

  protected resendLast(): void {
    if (!this.lastWire) return;
    this.responseTransmissions++;
    this.channel.send(this.lastWire).catch((e: unknown) => this.transportError(e));
  }

  protected timeoutH(): void {
    this.report(this.timeoutListeners.emit('H'));
  }

  /** §17.2.4: a transport failure terminates the transaction and is reported to the TU. */
  protected transportError(e: unknown): void {
    if (this.terminated) return;
    this.report(this.transportErrorListeners.emit(e instanceof Error ? e : new Error(String(e))));
    this.terminate();
  }
}
