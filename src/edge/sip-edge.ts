/**
 * The SIP edge as a service of `trunkline serve`: transports on --sip-host/--sip-port (UDP and TCP on the
 * same port, TLS on its own port when a certificate is given), one transaction layer, and the front door
 * that answers every request: OPTIONS keep-alives, REGISTER for digest trunks, identification of callers,
 * and hand-off of calls to the call engine. Nothing a peer sends is left without the answer it deserves.
 * It also registers carrier trunks that need it with their carriers (outbound REGISTER).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  createResponse,
  TcpTransport,
  TlsTransport,
  TransactionLayer,
  UdpTransport,
  type AnyServerTransaction,
  type DigestAlgorithm,
  type InviteServerTransaction,
  type RequestContext,
  type SipRequest,
  type SipResponse,
  type TimerConfig,
  type Transport,
} from '../sip/index.js';
import type { Store } from '../store/store.js';
import type { CallEngine, CallEngineFactory } from './call-handler.js';
import { methodNotAllowed, optionsResponse, REFUSED_METHODS, requestTag, statelessOptionsResponse } from './capabilities.js';
import { identifyCaller } from './caller-identification.js';
import { ConnectionAuthenticator } from './connection-auth.js';
import { ConnectionLoader, type ConnectionChange } from './connection-loader.js';
import { Registrar, type RegistrarOptions } from './registrar.js';
import { OutboundRegistrations, type OutboundRegistrationOptions } from './outbound-registration.js';
import type { LiveState } from './live/live-state.js';
import { RedisLiveState, type RedisLiveStateOptions } from './live/redis-live-state.js';

export const DEFAULT_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

export interface SipEdgeConfig {
  readonly host: string;
  /** 0 = ephemeral (UDP picks, TCP follows). */
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string; readonly port: number } | undefined;
  readonly store: Store;
  readonly logger: Logger;
  readonly version: string;
  /** In-process connection writes (see src/server/store-events.ts). */
  readonly onConnectionsChanged?: ((listener: (change: ConnectionChange) => void) => () => void) | undefined;
  readonly callEngine?: CallEngineFactory | undefined;
  /** Offered in this order; see docs/edge.md for why MD5 comes first by default. */
  readonly digestAlgorithms?: readonly DigestAlgorithm[] | undefined;
  /** Share between edge processes so nonces issued by one are accepted by another. */
  readonly nonceSecret?: string | undefined;
  readonly defaultRealm?: string | undefined;
  readonly timers?: Partial<TimerConfig> | undefined;
  readonly registrar?: RegistrarOptions | undefined;
  /** Outbound REGISTER timings (tests shorten the retries). */
  readonly outboundRegistration?: OutboundRegistrationOptions | undefined;
  readonly pollMs?: number | undefined;
  /**
   * Share live call state (concurrent-call limits, active-call figures) with other edge processes through
   * Redis (docs/edge-calls.md, "Scale-out: Redis live state"). Without it each edge counts its own calls.
   */
  readonly redis?: Omit<RedisLiveStateOptions, 'logger'> | undefined;
  /** A live state made elsewhere (tests); started and closed by the edge. Wins over `redis`. */
  readonly liveState?: LiveState | undefined;
}

export interface SipEdge {
  readonly name: 'sip-edge';
  readonly sipPort: number;
  readonly tlsPort: number | undefined;
  readonly layer: TransactionLayer;
  readonly loader: ConnectionLoader;
  readonly registrar: Registrar;
  /** Registrations of carrier trunks with their carriers. */
  readonly outbound: OutboundRegistrations;
  readonly engine: CallEngine | undefined;
  /** Shared live call state (Redis), when configured. */
  readonly liveState: LiveState | undefined;
  close(): Promise<void>;
}

function hasToTag(req: SipRequest): boolean {
  try {
    return req.to.tag !== undefined;
  } catch {
    return false;
  }
}

export async function startSipEdge(cfg: SipEdgeConfig): Promise<SipEdge> {
  const logger = cfg.logger.child({ component: 'sip-edge' });
  const product = `trunkline/${cfg.version}`;
  const transports: Transport[] = [];
  const udp = new UdpTransport({ host: cfg.host, port: cfg.port });
  transports.push(udp);
  await udp.listen();
  const sipPort = udp.local.port;
  let tlsPort: number | undefined;
  try {
    const tcp = new TcpTransport({ host: cfg.host, port: sipPort });
    transports.push(tcp);
    await tcp.listen();
    if (cfg.tls !== undefined) {
      const tls = new TlsTransport({ host: cfg.host, port: cfg.tls.port, cert: cfg.tls.cert, key: cfg.tls.key });
      transports.push(tls);
      await tls.listen();
      tlsPort = tls.local.port;
    }
  } catch (err) {
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    throw err;
  }

  const layer = new TransactionLayer({ transports, ...(cfg.timers === undefined ? {} : { timers: cfg.timers }) });
  const auth = new ConnectionAuthenticator({
    defaultRealm: cfg.defaultRealm ?? 'trunkline',
    algorithms: [...(cfg.digestAlgorithms ?? DEFAULT_DIGEST_ALGORITHMS)],
    secret: cfg.nonceSecret ?? randomBytes(32),
  });
  // Registrations with carriers follow every change the loader applies; they start once the edge is up.
  const outbound = new OutboundRegistrations({
    layer,
    logger,
    userAgent: product,
    connections: () => loader.index.values().map((ic) => ic.connection),
    connectionExists: (id) => loader.index.get(id) !== undefined,
    store: cfg.store,
    inboundBindings: (id) => registrar.bindings(id),
    options: cfg.outboundRegistration,
  });
  const loader = new ConnectionLoader(cfg.store, logger, {
    ...(cfg.pollMs === undefined ? {} : { pollMs: cfg.pollMs }),
    onReload: () => outbound.connectionsChanged(),
  });
  const registrar = new Registrar(cfg.store, () => loader.index, auth, logger, product, cfg.registrar);
  let unsubscribeChanges: (() => void) | undefined;

  let liveState: LiveState | undefined = cfg.liveState;
  try {
    if (liveState === undefined && cfg.redis !== undefined && cfg.callEngine !== undefined) {
      liveState = new RedisLiveState({ ...cfg.redis, logger: cfg.logger });
    }
    if (liveState !== undefined) {
      logger.info({ edgeId: liveState.edgeId, shared: liveState.shared }, 'live call state shared with other edges');
      await liveState.start();
    }
    await loader.start();
    unsubscribeChanges = cfg.onConnectionsChanged?.((change) => loader.apply(change));
    await registrar.recover();
  } catch (err) {
    await liveState?.close().catch(() => undefined);
    await loader.close();
    await registrar.close();
    await layer.close();
    throw err;
  }

  const engine = cfg.callEngine?.({
    layer,
    index: loader.index,
    store: cfg.store,
    logger,
    productName: product,
    bindingsOf: (id) => registrar.bindings(id),
    liveState,
  });

  const respond = (tx: AnyServerTransaction, res: SipResponse): void => {
    if (!res.headers.has('server')) res.headers.append('Server', product);
    try {
      tx.respond(res);
    } catch (err) {
      logger.warn({ err }, 'could not send a response');
    }
  };

  const onInvite = (req: SipRequest, tx: InviteServerTransaction, ctx: RequestContext): void => {
    const who = identifyCaller(req, ctx, loader.index, auth);
    if (who.kind === 'respond') {
      if (who.response.status !== 407) logger.info({ status: who.response.status, why: who.why, from: ctx.remote.address, callId: req.callId }, 'INVITE refused');
      respond(tx, who.response);
      return;
    }
    if (engine === undefined) {
      respond(tx, createResponse(req, 480, 'Calls Not Enabled On This Edge'));
      return;
    }
    engine.handleInvite(req, tx, ctx, who.connection);
  };

  layer.onRequest((req, tx, ctx) => {
    try {
      const inDialog = hasToTag(req);
      if (inDialog && req.method !== 'REGISTER') {
        if (engine?.handleInDialog(req, tx, ctx) === true) return;
        if (req.method === 'OPTIONS') return respond(tx, optionsResponse(req, product));
        return respond(tx, createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      }
      switch (req.method) {
        case 'OPTIONS':
          return respond(tx, optionsResponse(req, product));
        case 'REGISTER':
          registrar.handle(req, ctx).then(
            (res) => respond(tx, res),
            (err: unknown) => {
              logger.error({ err, callId: req.callId }, 'REGISTER failed');
              respond(tx, createResponse(req, 500, 'Registration Not Stored'));
            },
          );
          return;
        case 'INVITE':
          return onInvite(req, tx as InviteServerTransaction, ctx);
        case 'BYE':
        case 'UPDATE':
        case 'INFO':
        case 'PRACK':
          // These only exist inside a dialog (§15, RFC 3311, RFC 6086, RFC 3262).
          return respond(tx, createResponse(req, 481, 'Call/Transaction Does Not Exist'));
        default:
          if (REFUSED_METHODS.has(req.method)) return respond(tx, methodNotAllowed(req, product));
          return respond(tx, createResponse(req, 501, 'Not Implemented'));
      }
    } catch (err) {
      logger.error({ err, method: req.method, callId: req.callId }, 'request handling failed');
      if (!tx.finalResponseSent) respond(tx, createResponse(req, 500, 'Server Internal Error'));
    }
  });
  layer.setStatelessResponder((req, ctx) => {
    if (req.method === 'OPTIONS') return statelessOptionsResponse(req, product);
    if (req.method !== 'REGISTER') return undefined;
    let fromTag: string | undefined;
    try {
      if (req.to.tag !== undefined) return undefined;
      fromTag = req.from.tag;
    } catch {
      return undefined; // the transactional path answers what is wrong with it
    }
    const res = registrar.statelessChallenge(req, ctx, requestTag(req, fromTag));
    if (res !== undefined) res.headers.append('Server', product);
    return res;
  });
  layer.onAck((ack, ctx) => engine?.handleAck(ack, ctx));
  layer.onCancel((cancel, invite, ctx) => engine?.handleCancel(cancel, invite, ctx));
  layer.onInvalid((e) => logger.debug({ reason: e.reason, action: e.action, status: e.status, from: e.remote.address }, 'invalid SIP message'));
  layer.onError((err) => logger.warn({ err }, 'SIP transport error'));

  outbound.start();

  logger.info(
    { host: cfg.host, port: sipPort, tlsPort, connections: loader.index.size, calls: engine !== undefined },
    'SIP edge listening (UDP, TCP' + (tlsPort === undefined ? ')' : ', TLS)'),
  );

  let closing: Promise<void> | undefined;
  return {
    name: 'sip-edge',
    sipPort,
    tlsPort,
    layer,
    loader,
    registrar,
    outbound,
    engine,
    liveState,
    close() {
      closing ??= (async () => {
        unsubscribeChanges?.();
        // Calls are ended and outbound bindings removed in parallel; both need the transaction layer, closed last.
        await Promise.all([
          engine?.close().catch((err: unknown) => logger.warn({ err }, 'call engine did not close cleanly')),
          outbound.close(),
        ]);
        await liveState?.close().catch((err: unknown) => logger.warn({ err }, 'live call state did not close cleanly'));
        await registrar.close();
        await loader.close();
        await layer.close();
      })();
      return closing;
    },
  };
}
