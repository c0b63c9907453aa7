/**
 * Process wiring: open the store, build the HTTP API, start the optional services (the SIP edge plugs in here
 * through `services`), listen, and shut down cleanly.
 *
 * Output: structured pino logs go to stderr; stdout carries only what a human (or a test) needs to read once:
 * the listening address and, on the first start of an empty store, the new Super User API key with a ready
 * curl command.
 */
import { createRequire } from 'node:module';
import { destination, pino, type LevelWithSilent, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApiServer, DEFAULT_BODY_LIMIT } from '../api/server.js';
import type { ApiDialect } from '../api/shared/dialect.js';
import { createStoredApiKey } from '../api/shared/keys.js';
import { NS_KEY_FORMAT } from '../api/netsapiens/keys.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { DEFAULT_DIGEST_ALGORITHMS, startSipEdge, type SipEdge } from '../edge/sip-edge.js';
import type { CallEngineFactory } from '../edge/call-handler.js';
import { createCallEngine } from '../edge/calls/index.js';
import type { RegistrarOptions } from '../edge/registrar.js';
import type { OutboundRegistrationOptions } from '../edge/outbound-registration.js';
import type { RedisLiveStateOptions } from '../edge/live/redis-live-state.js';
import type { DigestAlgorithm, TimerConfig } from '../sip/index.js';
import { observeConnectionWrites, type ConnectionChange } from './store-events.js';
import { registerMetrics } from './metrics.js';

export interface ServerConfig {
  /** SQLite data directory (ignored when `db` is set). */
  readonly data: string;
  /** PostgreSQL URL, or undefined for SQLite under `data`. */
  readonly db: string | undefined;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly sipHost: string;
  readonly sipPort: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** TLS listening port (default 5061, or ephemeral when --sip-port is 0). */
  readonly tlsPort: number;
  /** Digest algorithms the SIP edge offers, most preferred first. */
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  /** Shared live call state for several edge processes (`--redis`), or undefined (each edge counts its own). */
  readonly redis: RedisConfig | undefined;
}

/** `--redis URL` and its companions (see docs/edge-calls.md, "Scale-out: Redis live state"). */
export type RedisConfig = Omit<RedisLiveStateOptions, 'logger'>;

export const DEFAULTS = {
  data: './data',
  httpHost: '127.0.0.1',
  httpPort: 8080,
  sipHost: '127.0.0.1',
  sipPort: 5060,
  tlsPort: 5061,
} as const;

/** What a pluggable service (the SIP edge) gets, and what it must give back. */
export interface ServiceContext {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly version: string;
  /** Committed connection writes in this process (other processes are seen through the store's version). */
  onConnectionsChanged(listener: (change: ConnectionChange) => void): () => void;
}
export interface Service {
  readonly name: string;
  close(): Promise<void>;
}
export type ServiceFactory = (ctx: ServiceContext) => Promise<Service>;

export interface ServerOptions {
  data?: string;
  db?: string;
  httpHost?: string;
  /** 0 = an ephemeral port (see `RunningServer.httpPort`). */
  httpPort?: number;
  sipHost?: string;
  sipPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** Redis for live call state shared between edge processes: a URL, or the URL with options. */
  redis?: string | RedisConfig;
  /** Run the SIP edge (default true). */
  sip?: boolean;
  /** The call engine behind the edge (default: the B2BUA). */
  callEngine?: CallEngineFactory;
  /** SIP transaction timers (tests shorten T1). */
  sipTimers?: Partial<TimerConfig>;
  /** REGISTER limits (tests shorten the minimum expiry and the sweep). */
  sipRegistrar?: RegistrarOptions;
  /** Outbound REGISTER of carrier trunks (tests shorten the retry backoff). */
  sipOutboundRegistration?: OutboundRegistrationOptions;
  logLevel?: LevelWithSilent;
  /** Use this logger instead of a new pino logger on stderr. */
  logger?: Logger;
  /** Where the listening line and first-start key go (default: process.stdout). */
  out?: { write(text: string): unknown };
  bodyLimit?: number;
  authCacheMs?: number;
  dialects?: readonly ApiDialect[];
  /** Started after the store opens, stopped before it closes (the SIP edge). */
  services?: readonly ServiceFactory[];
}

export interface RunningServer {
  readonly config: ServerConfig;
  /** The bound HTTP port (the real one when 0 was asked for). */
  readonly httpPort: number;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly logger: Logger;
  /** The SIP edge, unless started with `sip: false`. */
  readonly sip: SipEdge | undefined;
  /** The Super User key created on this start (first start of an empty store only). */
  readonly firstKey: string | undefined;
  /** Stop accepting, finish in-flight requests, stop services, close the store. Idempotent. */
  close(): Promise<void>;
}

export function trunklineVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('../../package.json') as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function resolveConfig(options: ServerOptions): ServerConfig {
  return {
    data: options.data ?? DEFAULTS.data,
    db: options.db === '' ? undefined : options.db,
    httpHost: options.httpHost ?? DEFAULTS.httpHost,
    httpPort: options.httpPort ?? DEFAULTS.httpPort,
    sipHost: options.sipHost ?? DEFAULTS.sipHost,
    sipPort: options.sipPort ?? DEFAULTS.sipPort,
    tlsCert: options.tlsCert,
    tlsKey: options.tlsKey,
    tlsPort: options.tlsPort ?? (options.sipPort === 0 ? 0 : DEFAULTS.tlsPort),
    digestAlgorithms: options.digestAlgorithms ?? DEFAULT_DIGEST_ALGORITHMS,
    redis: options.redis === undefined || options.redis === '' ? undefined : typeof options.redis === 'string' ? { url: options.redis } : options.redis,
  };
}

/** host:port/db of a Redis URL, without credentials. */
function redisDisplay(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'redis';
  }
}

/** A URL a local client can use: wildcard hosts become loopback, IPv6 gets brackets. */
export function clientUrl(host: string, port: number): string {
  let h = host;
  if (h === '0.0.0.0' || h === '') h = '127.0.0.1';
  else if (h === '::') h = '[::1]';
  else if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  return `http://${h}:${port}`;
}

export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { name: 'trunkline' } }, destination({ fd: 2, sync: true }));
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const config = resolveConfig(options);
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const out = options.out ?? process.stdout;
  const version = trunklineVersion();

  const observed = observeConnectionWrites(
    await openStore(config.db === undefined ? { data: config.data } : { db: config.db }),
  );
  const store = observed.store;
  const services: Service[] = [];
  let sip: SipEdge | undefined;
  let app: FastifyInstance | undefined;
  try {
    // First start on an empty store: a Super User key, shown once.
    let firstKey: string | undefined;
    if ((await store.countApiKeys()) === 0) {
      const issued = await createStoredApiKey(store, NS_KEY_FORMAT, {
        scope: 'Super User',
        description: 'Super User key created on first start',
        canCreateKeys: true,
      });
      firstKey = issued.key;
      logger.info({ keyId: issued.record.keyId }, 'created the first Super User API key');
    }

    const api = await buildApiServer({
      store,
      logger,
      version,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      ...(options.authCacheMs === undefined ? {} : { authCacheMs: options.authCacheMs }),
      ...(options.dialects === undefined ? {} : { dialects: options.dialects }),
    });
    app = api.app;

    if (options.sip !== false) {
      sip = await startSipEdge({
        host: config.sipHost,
        port: config.sipPort,
        tls:
          config.tlsCert !== undefined && config.tlsKey !== undefined
            ? { cert: config.tlsCert, key: config.tlsKey, port: config.tlsPort }
            : undefined,
        store,
        logger,
        version,
        onConnectionsChanged: (l) => observed.onConnectionsChanged(l),
        callEngine: options.callEngine ?? createCallEngine,
        digestAlgorithms: config.digestAlgorithms,
        timers: options.sipTimers,
        registrar: options.sipRegistrar,
        outboundRegistration: options.sipOutboundRegistration,
        redis: config.redis,
      });
      services.push(sip);
    }
    for (const factory of options.services ?? []) {
      services.push(
        await factory({ store, config, logger, version, onConnectionsChanged: (l) => observed.onConnectionsChanged(l) }),
      );
    }

    registerMetrics(app, sip);
    await app.listen({ host: config.httpHost, port: config.httpPort });
    const address = app.server.address();
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
    const url = clientUrl(config.httpHost, httpPort);
    logger.info(
      {
        url,
        version,
        store: config.db === undefined ? `sqlite:${config.data}` : 'postgres',
        liveState: sip?.liveState === undefined ? 'memory' : `redis (edge ${sip.liveState.edgeId})`,
      },
      'trunkline started',
    );
    // One write: scripts (and tests) that read the listening line find the SIP line and the first key in the
    // same chunk of a pipe.
    const lines = [`trunkline ${version}: HTTP API listening on ${url} (NetSapiens ns-api v2 at ${url}/ns-api/v2)`];
    if (sip !== undefined) {
      const host = config.sipHost.includes(':') ? `[${config.sipHost}]` : config.sipHost;
      lines.push(
        `trunkline ${version}: SIP edge listening on ${host}:${sip.sipPort} (UDP, TCP)` +
          (sip.tlsPort === undefined ? '' : ` and ${host}:${sip.tlsPort} (TLS)`),
      );
    }
    if (sip?.liveState !== undefined && config.redis !== undefined) {
      lines.push(`trunkline ${version}: live call state shared in Redis at ${redisDisplay(config.redis.url)} (edge ${sip.liveState.edgeId})`);
    }
    if (firstKey !== undefined) {
      lines.push(
        '',
        'First start: created a Super User API key. It is shown only this once; keep it safe:',
        '',
        `  ${firstKey}`,
        '',
        'Try it:',
        '',
        `  curl -H "Authorization: Bearer ${firstKey}" ${url}/ns-api/v2/connections`,
        '',
      );
    }
    out.write(lines.join('\n') + '\n');

    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      config,
      httpPort,
      url,
      app,
      store,
      logger,
      sip,
      firstKey,
      close() {
        closing ??= (async () => {
          logger.info('shutting down');
          // In-flight requests finish; keep-alive sockets that go idle afterwards are closed right away
          // instead of lingering until the client's keep-alive timeout.
          const sweep = setInterval(() => api.app.server.closeIdleConnections(), 50);
          try {
            await api.app.close();
          } finally {
            clearInterval(sweep);
          }
          for (const s of services.reverse()) {
            await s.close().catch((err: unknown) => logger.error({ err, service: s.name }, 'service did not close cleanly'));
          }
          await store.close();
          logger.info('stopped');
        })();
        return closing;
      },
    };
    return running;
  } catch (err) {
    if (app !== undefined) await app.close().catch(() => undefined);
    for (const s of services.reverse()) await s.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Stop on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the store, exit 0. A second signal
 * while shutting down exits at once with status 1.
 */
export function handleSignals(server: RunningServer, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    server.logger.info({ signal }, 'signal received: shutting down gracefully');
    server.close().then(
      () => exit(0),
      (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
