/**
 * The transaction layer (RFC 3261 §17) with the bits of the transport layer (§18) and of the
 * core (§8.2, §9, §13.3.1.4) that every user of it needs.
 *
 * It owns the transports and the transaction tables and routes what arrives:
 *   - requests: validated (validation.ts), `received`/`rport` stamped on the top Via
 *     (§18.2.1, RFC 3581 §4), then matched to a server transaction by branch + sent-by +
 *     method (§17.2.3). A match is a retransmission (absorbed or answered with the last
 *     response); no match creates a transaction and calls the `onRequest` handler.
 *     CANCEL is matched to its INVITE (§9.2) and answered here; ACK either completes an
 *     INVITE server transaction (non-2xx) or, being end to end for a 2xx, goes to `onAck`.
 *   - responses: matched to a client transaction by branch + CSeq method (§17.1.3); no
 *     match goes to `onStrayResponse` (e.g. 2xx retransmissions after Timer M).
 * and it sends requests through new client transactions, adding the Via with a fresh
 * branch (§8.1.1.7) and `rport` (RFC 3581 §3).
 *
 * Next-hop selection uses the first Route or the Request-URI (host, port, maddr, transport
 * parameter) without RFC 3263 DNS procedures: hostnames go to the OS resolver.
 */
import { isIP, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { SipTransactionError, SipTransportError } from '../errors.js';
import { Listeners, type Unsubscribe } from '../listeners.js';
import { createCancel } from '../message/builders.js';
import { serializeMessage } from '../message/serializer.js';
import { generateBranch } from '../message/ids.js';
import { SipResponse, type SipRequest } from '../message/message.js';
import { rejectionForRequest } from '../message/rejection.js';
import { SipUri, formatHost } from '../message/uri.js';
import { validateRequest, validateResponse, type ValidationOptions } from '../message/validation.js';
import { MAGIC_COOKIE, type Via } from '../message/via.js';
import { StreamTransport } from '../transport/stream-transport.js';
import {
  defaultPort,
  normalizeAddress,
  type Destination,
  type InboundMessage,
  type InvalidInbound,
  type RemoteInfo,
  type Transport,
  type TransportProtocol,
} from '../transport/transport.js';
import type { ClientTransaction, ClientTransactionResult } from './client-transaction.js';
import { InviteClientState, InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ServerTransaction } from './server-transaction.js';
import { resolveTimers, type TimerConfig, type TimerValues } from './timers.js';
import type { TransactionChannel } from './transaction.js';

export type AnyServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type AnyClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface TransactionLayerOptions {
  transports: Transport[];
  /** T1/T2/T4 (defaults 500 ms / 4 s / 5 s) and optional Timer C / D. */
  timers?: Partial<TimerConfig>;
  /** Delay of the automatic 100 Trying on INVITE (default 200 ms, §17.2.1); false disables. */
  autoTrying?: number | false;
  validation?: ValidationOptions;
  /** Answer a CANCELled INVITE with 487 when the handler did not send a final response (default true, §9.2). */
  autoRespond487?: boolean;
  /** Retransmit 2xx to INVITE on unreliable transports until the ACK arrives (default true, §13.3.1.4). */
  retransmit2xx?: boolean;
}

export interface RequestContext {
  remote: RemoteInfo;
  transport: Transport;
}

export interface SendRequestOptions {
  /** Where to send; default: first Route, else Request-URI. */
  destination?: Destination;
  /** Transport protocol; default: `transport` URI parameter, "tls" for sips:, else "udp". */
  transport?: TransportProtocol;
  /** Do not add a Via: the request already carries ours (CANCEL, §9.1). */
  keepVia?: boolean;
}

export interface InvalidMessageEvent {
  reason: string;
  code: string;
  action: 'respond' | 'drop';
  status?: number;
  remote: RemoteInfo;
}

interface Hop {
  destination: Destination;
  protocol: TransportProtocol;
}

/** Methods counted by name; any other token is counted as `other` so a peer cannot grow the table. */
const COUNTED_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'UPDATE', 'INFO', 'PRACK',
  'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH',
]);

/** Running totals since the layer started (for /metrics). Retransmissions are counted: they are traffic. */
export class LayerStats {
  readonly requestsReceived = new Map<string, number>();
  readonly requestsSent = new Map<string, number>();
  /** Responses sent, by status code (transactional, stateless and rejections of invalid requests). */
  readonly responsesSent = new Map<number, number>();
  readonly responsesReceived = new Map<number, number>();
  invalidReceived = 0;

  countMethod(table: Map<string, number>, method: string): void {
    const key = COUNTED_METHODS.has(method) ? method : 'other';
    table.set(key, (table.get(key) ?? 0) + 1);
  }

  countStatus(table: Map<number, number>, status: number): void {
    table.set(status, (table.get(status) ?? 0) + 1);
  }

  /** A serialised response starts "SIP/2.0 NNN": read the code without parsing. */
  countSentResponse(wire: Buffer): void {
    const status = Number(wire.toString('latin1', 8, 11));
    if (Number.isInteger(status) && status >= 100 && status <= 699) this.countStatus(this.responsesSent, status);
  }
}

export class TransactionLayer {
  readonly stats = new LayerStats();
  readonly transports: readonly Transport[];
  readonly timers: TimerValues;
  private readonly options: TransactionLayerOptions;
  private readonly servers = new Map<string, AnyServerTransaction>();
  private readonly clients = new Map<string, AnyClientTransaction>();
  private readonly hops = new WeakMap<ClientTransaction, Hop>();
  private readonly retransmitters = new Map<string, { stop: () => void }>();
  private readonly requestHandlers = new Listeners<[SipRequest, AnyServerTransaction, RequestContext]>();
  private readonly ackHandlers = new Listeners<[SipRequest, RequestContext]>();
  private readonly strayHandlers = new Listeners<[SipResponse, RequestContext]>();
  private readonly cancelHandlers = new Listeners<[SipRequest, InviteServerTransaction, RequestContext]>();
  private readonly ackTimeoutHandlers = new Listeners<[InviteServerTransaction, SipResponse]>();
  private readonly invalidHandlers = new Listeners<InvalidMessageEvent>();
  private readonly errorHandlers = new Listeners<Error>();
  private readonly unsubscribers: Unsubscribe[] = [];
  private closed = false;
  private statelessResponder: ((req: SipRequest, ctx: RequestContext) => SipResponse | undefined) | undefined;

  constructor(options: TransactionLayerOptions) {
    this.options = options;
    this.transports = options.transports;
    this.timers = resolveTimers(options.timers);
    for (const t of this.transports) {
      this.unsubscribers.push(
        t.onMessage((m) => this.onInbound(m)),
        t.onInvalid((i) => this.onTransportInvalid(i)),
        t.onError((e) => this.reportError(e)),
      );
    }
  }

  /** Bind every transport. */
  async start(): Promise<void> {
    for (const t of this.transports) await t.listen();
  }

  /** Stop all timers, forget all transactions and close the transports. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.retransmitters.values()) r.stop();
    this.retransmitters.clear();
    for (const tx of [...this.servers.values(), ...this.clients.values()]) tx.destroy();
    this.servers.clear();
    this.clients.clear();
    for (const u of this.unsubscribers) u();
    await Promise.all(this.transports.map((t) => t.close()));
  }

  // ---- application callbacks -------------------------------------------------------------

  /** A new request created a server transaction: answer it with `tx.respond(...)`. */
  onRequest(h: (req: SipRequest, tx: AnyServerTransaction, ctx: RequestContext) => void): Unsubscribe {
    return this.requestHandlers.add(([r, tx, c]) => h(r, tx, c));
  }

  /** ACKs that belong to no server transaction: ACKs for 2xx, which are end to end (§13.3.1.4, §17.1.1.3). */
  onAck(h: (ack: SipRequest, ctx: RequestContext) => void): Unsubscribe {
    return this.ackHandlers.add(([a, c]) => h(a, c));
  }

  /** Responses that match no client transaction (§18.1.2 leaves them to the core, e.g. 2xx retransmissions). */
  onStrayResponse(h: (res: SipResponse, ctx: RequestContext) => void): Unsubscribe {
    return this.strayHandlers.add(([r, c]) => h(r, c));
  }

  /** A CANCEL matched a pending INVITE; the CANCEL has been answered 200 already (§9.2). */
  onCancel(h: (cancel: SipRequest, invite: InviteServerTransaction, ctx: RequestContext) => void): Unsubscribe {
    return this.cancelHandlers.add(([r, tx, c]) => h(r, tx, c));
  }

  /** A 2xx was retransmitted for 64*T1 without ACK: the session should be ended with BYE (§13.3.1.4). */
  onAckTimeout(h: (tx: InviteServerTransaction, response: SipResponse) => void): Unsubscribe {
    return this.ackTimeoutHandlers.add(([tx, r]) => h(tx, r));
  }

  /** A message was rejected (answered 4xx/5xx or dropped) before reaching a transaction. */
  onInvalid(h: (e: InvalidMessageEvent) => void): Unsubscribe {
    return this.invalidHandlers.add(h);
  }

  /** Errors from sockets and from application callbacks. */
  onError(h: (e: Error) => void): Unsubscribe {
    return this.errorHandlers.add(h);
  }

  get serverTransactionCount(): number {
    return this.servers.size;
  }

  get clientTransactionCount(): number {
    return this.clients.size;
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Send a request in a new client transaction. Adds the top Via (fresh branch, rport) and
   * Max-Forwards: 70 when missing. ACK is not sent this way (see {@link sendAck}).
   * @throws SipTransactionError for ACK; SipTransportError when no transport fits.
   */
  sendRequest(request: SipRequest, options: SendRequestOptions = {}): AnyClientTransaction {
    if (this.closed) throw new SipTransactionError('CLOSED', 'transaction layer is closed');
    if (request.method === 'ACK') throw new SipTransactionError('INVALID_STATE', 'ACK is not sent in a transaction; use sendAck()');
    this.stats.countMethod(this.stats.requestsSent, request.method);
    const hop = this.resolveHop(request, options);
    const transport = this.transportFor(hop.protocol, hop.destination.host);
    let branch: string;
    if (options.keepVia) {
      branch = request.topVia.branch ?? '';
      if (!branch) throw new SipTransactionError('MISSING_BRANCH', 'request has no Via branch');
    } else {
      branch = generateBranch();
      request.headers.prepend('Via', this.viaValue(transport, branch));
    }
    if (!request.headers.has('max-forwards')) request.headers.append('Max-Forwards', '70');
    const channel: TransactionChannel = {
      reliable: transport.reliable,
      send: (buf) => transport.send(buf, hop.destination),
    };
    const id = `${branch}|${request.method}`;
    const tx: AnyClientTransaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(id, request, branch, channel, this.timers)
        : new NonInviteClientTransaction(id, request, branch, channel, this.timers);
    this.hops.set(tx, hop);
    this.clients.set(id, tx);
    tx.onTerminated(() => {
      if (this.clients.get(id) === tx) this.clients.delete(id);
    });
    tx.onError((e) => this.reportError(e));
    if (tx instanceof InviteClientTransaction) {
      // §16.8: when Timer C fires on a proceeding INVITE, CANCEL it.
      tx.onTimeout((timer) => {
        if (timer === 'C' && tx.state === InviteClientState.Proceeding) this.cancel(tx).catch((e: unknown) => this.reportError(e));
      });
    }
    tx.start();
    return tx;
  }

  /**
   * CANCEL a pending INVITE (§9.1). Waits for a provisional response first (a CANCEL must
   * not precede it). Resolves with the response to the CANCEL (a locally generated 408 on
   * timeout), or `undefined` when nothing was sent because the INVITE already completed.
   */
  async cancel(tx: InviteClientTransaction, reason?: string): Promise<SipResponse | undefined> {
    const pending = (): boolean => tx.state === InviteClientState.Calling || tx.state === InviteClientState.Proceeding;
    if (!pending()) return undefined;
    if (!tx.receivedProvisional) {
      const proceed = await new Promise<boolean>((resolve) => {
        const offR = tx.onResponse((r) => {
          offR();
          offT();
          resolve(r.status < 200);
        });
        const offT = tx.onTerminated(() => {
          offR();
          resolve(false);
        });
      });
      if (!proceed || !pending()) return undefined;
    }
    // §9.1: "If there is no final response for the original request in 64*T1 seconds ..., the client SHOULD
    // then consider the original transaction cancelled and SHOULD destroy the client transaction handling
    // the original request." Without this, a far end that ignores the CANCEL keeps the INVITE forever.
    const giveUp = setTimeout(() => {
      if (pending()) tx.destroy();
    }, 64 * this.timers.T1);
    giveUp.unref();
    tx.onTerminated(() => clearTimeout(giveUp));
    const hop = this.hops.get(tx);
    const cancel = createCancel(tx.request, reason);
    const ctx = this.sendRequest(cancel, { keepVia: true, ...(hop ? { destination: hop.destination, transport: hop.protocol } : {}) });
    const r: ClientTransactionResult = await ctx.result;
    if (r.type === 'response') return r.response;
    return new SipResponse({ status: 408, reason: r.type === 'timeout' ? 'Request Timeout' : 'Transport Error' });
  }

  /** Answer a request through its server transaction (same as `tx.respond(res)`). */
  respond(tx: ServerTransaction, response: SipResponse): void {
    tx.respond(response);
  }

  /**
   * Send an ACK for a 2xx (built with `createAckFor2xx`) outside any transaction, with a new
   * Via/branch (§13.2.2.4, §17.1.1.3).
   */
  async sendAck(ack: SipRequest, options: SendRequestOptions = {}): Promise<void> {
    const hop = this.resolveHop(ack, options);
    const transport = this.transportFor(hop.protocol, hop.destination.host);
    if (!options.keepVia) ack.headers.prepend('Via', this.viaValue(transport, generateBranch()));
    if (!ack.headers.has('max-forwards')) ack.headers.append('Max-Forwards', '70');
    await transport.send(ack, hop.destination);
  }

  /** Send a message as is (stateless proxying, responses outside transactions). */
  sendStateless(message: SipRequest | SipResponse, destination: Destination, protocol: TransportProtocol = 'udp'): Promise<void> {
    let transport: Transport;
    try {
      transport = this.transportFor(protocol, destination.host);
    } catch (e) {
      return Promise.reject(e);
    }
    return transport.send(message, destination);
  }

  /** Pick a transport by protocol and, for IP literals, address family. */
  transportFor(protocol: TransportProtocol, host: string): Transport {
    const h = host.startsWith('[') ? host.slice(1, -1) : host;
    const v = isIP(h);
    const family = v === 6 ? 'IPv6' : v === 4 ? 'IPv4' : undefined;
    const t = this.transports.find((x) => x.protocol === protocol && (family === undefined || x.family === family));
    if (!t) throw new SipTransportError('NO_TRANSPORT', `no ${protocol} transport for ${host}`);
    return t;
  }

  /** Next hop of a request (§8.1.2, §16.6 step 6 without RFC 3263 DNS). */
  nextHop(request: SipRequest, protocol?: TransportProtocol): Hop {
    const route = request.headers.has('route') ? request.routes[0] : undefined;
    const target = route ? route.uri : request.uri;
    if (!(target instanceof SipUri)) throw new SipTransportError('NO_TRANSPORT', `cannot route to ${target.toString()}`);
    const proto = protocol ?? (target.transportParam as TransportProtocol | undefined) ?? (target.scheme === 'sips' ? 'tls' : 'udp');
    if (proto !== 'udp' && proto !== 'tcp' && proto !== 'tls') throw new SipTransportError('NO_TRANSPORT', `unsupported transport ${String(proto)}`);
    const maddr = target.params.get('maddr');
    const host = typeof maddr === 'string' ? maddr : target.hostname;
    return { destination: { host, port: target.port ?? defaultPort(proto) }, protocol: proto };
  }

  private resolveHop(request: SipRequest, options: SendRequestOptions): Hop {
    if (options.destination) return { destination: options.destination, protocol: options.transport ?? 'udp' };
    return this.nextHop(request, options.transport);
  }

  private viaValue(transport: Transport, branch: string): string {
    const { host, port } = transport.sentBy;
    return `SIP/2.0/${transport.protocol.toUpperCase()} ${formatHost(concreteHost(host, transport.family))}:${port};branch=${branch};rport`;
  }

  // ---- receiving -------------------------------------------------------------------------

  private onInbound(m: InboundMessage): void {
    if (this.closed) return;
    try {
      if (m.message.kind === 'request') this.handleRequest(m.message, m.remote, m.transport);
      else this.handleResponse(m.message, m.remote, m.transport);
    } catch (e) {
      this.reportError(e);
    }
  }

  private onTransportInvalid(i: InvalidInbound): void {
    const r = i.rejection;
    this.stats.invalidReceived++;
    if (r.action === 'respond') this.stats.countStatus(this.stats.responsesSent, r.status);
    this.report(
      this.invalidHandlers.emit({
        reason: i.error.reason,
        code: i.error.code,
        action: r.action,
        ...(r.action === 'respond' ? { status: r.status } : {}),
        remote: i.remote,
      }),
    );
  }

  private handleRequest(req: SipRequest, remote: RemoteInfo, transport: Transport): void {
    const ctx: RequestContext = { remote, transport };
    this.stats.countMethod(this.stats.requestsReceived, req.method);
    this.stampReceived(req, remote);
    const failure = validateRequest(req, this.options.validation);
    if (failure) {
      const rejection = rejectionForRequest(req, failure);
      this.stats.invalidReceived++;
      if (rejection.action === 'respond') this.stats.countStatus(this.stats.responsesSent, rejection.status);
      this.report(
        this.invalidHandlers.emit({
          reason: failure.reason,
          code: failure.code,
          action: rejection.action,
          ...(rejection.action === 'respond' ? { status: rejection.status } : {}),
          remote,
        }),
      );
      if (rejection.action === 'respond') {
        // Answered statelessly: a retransmission gets the same answer again. The top Via
        // may be unreadable here (that can be the problem), then answer the source.
        let dest: Destination = { host: remote.address, port: remote.port };
        try {
          dest = responseDestination(req.topVia, remote, transport);
        } catch {
          /* keep the source address */
        }
        transport.send(rejection.response, dest).catch((e: unknown) => this.reportError(e));
      }
      return;
    }

    const key = serverKey(req, req.method === 'ACK' ? 'INVITE' : req.method);

    if (req.method === 'ACK') {
      const tx = this.servers.get(key);
      if (tx instanceof InviteServerTransaction && tx.receiveAck(req)) return;
      this.stopRetransmit2xx(req);
      this.report(this.ackHandlers.emit([req, ctx]));
      return;
    }

    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRequest(req);
      return;
    }

    if (req.method === 'CANCEL') {
      this.handleCancel(req, key, ctx);
      return;
    }

    if (this.statelessResponder !== undefined && req.method !== 'INVITE') {
      const res = this.statelessResponder(req, ctx);
      if (res !== undefined) {
        this.answerStatelessly(res, req, ctx);
        return;
      }
    }

    const tx = this.createServerTransaction(key, req, ctx);
    if (this.requestHandlers.size === 0) {
      tx.respond(tx.createResponse(501));
      return;
    }
    const errors = this.requestHandlers.emit([req, tx, ctx]);
    if (errors.length > 0) {
      this.report(errors);
      if (!tx.finalResponseSent && !tx.terminated) {
        try {
          tx.respond(tx.createResponse(500));
        } catch (e) {
          this.reportError(e);
        }
      }
    }
  }

  /**
   * §8.2.7 stateless UAS: `responder` may answer a non-INVITE request without creating a transaction (e.g.
   * OPTIONS keep-alives: a retransmission is simply answered again). Returning undefined lets the request
   * take the normal, transactional path. The response's To tag must be derived from the request, so that a
   * retransmission gets the same one (§8.2.7).
   */
  setStatelessResponder(responder: ((req: SipRequest, ctx: RequestContext) => SipResponse | undefined) | undefined): void {
    this.statelessResponder = responder;
  }

  private answerStatelessly(res: SipResponse, req: SipRequest, ctx: RequestContext): void {
    this.responseSender(req, ctx)(serializeMessage(res)).catch((e: unknown) => this.reportError(e));
  }

  /** §18.2.2: on a reliable transport, the connection the request came on while it is open; else the Via's address. */
  private responseSender(req: SipRequest, ctx: RequestContext): (buf: Buffer) => Promise<void> {
    const { remote, transport } = ctx;
    const fallback = responseDestination(req.topVia, remote, transport);
    return (buf) => {
      this.stats.countSentResponse(buf);
      if (transport instanceof StreamTransport && transport.findConnection(remote.address, remote.port)) {
        return transport.send(buf, { host: remote.address, port: remote.port });
      }
      return transport.send(buf, fallback);
    };
  }

  private createServerTransaction(key: string, req: SipRequest, ctx: RequestContext): AnyServerTransaction {
    const { remote, transport } = ctx;
    const channel: TransactionChannel = { reliable: transport.reliable, send: this.responseSender(req, ctx) };
    const branch = req.topVia.branch ?? '';
    const tx: AnyServerTransaction =
      req.method === 'INVITE'
        ? new InviteServerTransaction(key, req, branch, channel, this.timers, remote, transport, this.options.autoTrying ?? 200)
        : new NonInviteServerTransaction(key, req, branch, channel, this.timers, remote, transport);
    this.servers.set(key, tx);
    tx.onTerminated(() => {
      if (this.servers.get(key) === tx) this.servers.delete(key);
    });
    tx.onError((e) => this.reportError(e));
    if (tx instanceof InviteServerTransaction) {
      tx.onResponseSent((res) => this.maybeRetransmit2xx(tx, res));
      tx.start();
    }
    return tx;
  }

  private handleCancel(cancel: SipRequest, key: string, ctx: RequestContext): void {
    const cancelTx = this.createServerTransaction(key, cancel, ctx) as NonInviteServerTransaction;
    const invite = this.servers.get(serverKey(cancel, 'INVITE'));
    if (!(invite instanceof InviteServerTransaction)) {
      cancelTx.respond(cancelTx.createResponse(481));
      return;
    }
    // §9.2: the response to the CANCEL uses the To tag of the INVITE's responses.
    cancelTx.respond(cancelTx.createResponse(200, { toTag: invite.toTag }));
    if (invite.finalResponseSent) return; // "the CANCEL has no effect"
    invite.receiveCancel(cancel);
    this.report(this.cancelHandlers.emit([cancel, invite, ctx]));
    if ((this.options.autoRespond487 ?? true) && !invite.finalResponseSent && !invite.terminated) {
      invite.respond(invite.createResponse(487));
    }
  }

  private handleResponse(res: SipResponse, remote: RemoteInfo, transport: Transport): void {
    this.stats.countStatus(this.stats.responsesReceived, res.status);
    const failure = validateResponse(res);
    if (failure) {
      this.report(this.invalidHandlers.emit({ reason: failure.reason, code: failure.code, action: 'drop', remote }));
      return;
    }
    const key = `${res.topVia.branch ?? ''}|${res.cseq.method}`;
    const tx = this.clients.get(key);
    if (tx) tx.receiveResponse(res);
    else this.report(this.strayHandlers.emit([res, { remote, transport }]));
  }

  /**
   * §18.2.1: add `received` when the sent-by host is not the source address; RFC 3581 §4:
   * with `rport` present, always add `received` and fill in `rport` with the source port.
   */
  private stampReceived(req: SipRequest, remote: RemoteInfo): void {
    let via: Via;
    try {
      via = req.topVia;
    } catch {
      return;
    }
    const wantsRport = via.params.has('rport');
    const hostDiffers = normalizeAddress(via.hostname) !== remote.address;
    if (!wantsRport && !hostDiffers) return;
    const v = via.clone();
    v.params.set('received', remote.address);
    if (wantsRport) v.params.set('rport', String(remote.port));
    req.setTopVia(v);
  }

  /** §13.3.1.4: the UAS core retransmits a 2xx on unreliable transports until the ACK. */
  private maybeRetransmit2xx(tx: InviteServerTransaction, res: SipResponse): void {
    if (res.status < 200 || res.status >= 300 || tx.reliable || this.options.retransmit2xx === false) return;
    let key: string;
    try {
      key = `${tx.request.callId}|${tx.request.cseq.seq}`;
    } catch {
      return;
    }
    if (this.retransmitters.has(key)) return; // our own retransmission coming back through
    const started = Date.now();
    let interval = this.timers.T1;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      this.retransmitters.delete(key);
    };
    const tick = (): void => {
      if (Date.now() - started >= 64 * this.timers.T1 || tx.terminated) {
        stop();
        this.report(this.ackTimeoutHandlers.emit([tx, res]));
        return;
      }
      try {
        tx.respond(res);
      } catch {
        stop();
        return;
      }
      interval = Math.min(interval * 2, this.timers.T2);
      timer = setTimeout(tick, interval);
    };
    this.retransmitters.set(key, { stop });
    timer = setTimeout(tick, interval);
  }

  private stopRetransmit2xx(ack: SipRequest): void {
    try {
      const key = `${ack.callId}|${ack.cseq.seq}`;
      this.retransmitters.get(key)?.stop();
    } catch {
      /* malformed ACKs were rejected earlier */
    }
  }

  private report(errors: unknown[]): void {
    for (const e of errors) this.reportError(e);
  }

  private reportError(e: unknown): void {
    this.errorHandlers.emit(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * Server transaction key (§17.2.3): branch + sent-by + method, ACK matching INVITE. A branch
 * without the magic cookie (RFC 2543 peer) falls back to Call-ID, CSeq number and From tag.
 */
export function serverKey(req: SipRequest, method: string): string {
  const via = req.topVia;
  const branch = via.branch;
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${via.sentBy}|${method}`;
  return `2543|${branch ?? ''}|${req.callId}|${req.cseq.seq}|${req.from.tag ?? ''}|${via.sentBy}|${method}`;
}

/**
 * Where a response goes (§18.2.2, RFC 3581 §4): the source connection on reliable transports;
 * else maddr; else the received address with the rport port when rport was filled in; else
 * the received (or sent-by) address with the sent-by port.
 */
export function responseDestination(via: Via, remote: RemoteInfo, transport: Transport): Destination {
  if (transport.reliable) return { host: remote.address, port: remote.port };
  const maddr = via.maddr;
  if (maddr) return { host: maddr, port: via.port ?? defaultPort(transport.protocol) };
  const rport = via.rport;
  if (typeof rport === 'number') return { host: via.received ?? remote.address, port: rport };
  return { host: via.received ?? via.hostname, port: via.port ?? defaultPort(transport.protocol) };
}

/** A wildcard bind address is no use in a Via: pick an interface address of that family. */
function concreteHost(host: string, family: 'IPv4' | 'IPv6'): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && a.family === family && !(family === 'IPv6' && a.address.startsWith('fe80'))) return a.address;
    }
  }
  return family === 'IPv6' || isIPv6(host) ? '::1' : '127.0.0.1';
}
