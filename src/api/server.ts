/**
 * The control-plane HTTP server: one fastify instance, one encapsulated scope per API dialect.
 *
 * Each dialect owns a URL prefix; under it the shared body parsers, authentication hook, error handler and
 * not-found handler answer in that dialect's shape. Requests outside every prefix get a plain
 * `{"code":404,"message":"..."}`.
 */
import { hostname as osHostname } from 'node:os';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { TrunklineError } from '../model/index.js';
import type { Store } from '../store/store.js';
import { enswitchDialect } from './enswitch/dialect.js';
import { netsapiensDialect } from './netsapiens/dialect.js';
import { AccessControl } from './shared/access.js';
import { Authenticator } from './shared/auth.js';
import type { ApiContext, ApiDialect, ServerInfo } from './shared/dialect.js';
import { installSharedHandlers, sendError } from './shared/http.js';
import { wavixDialect } from './wavix/dialect.js';

export const DEFAULT_BODY_LIMIT = 256 * 1024;

export interface ApiServerOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** Dialects to serve (default: NetSapiens, Wavix and Enswitch; see `defaultDialects`). */
  readonly dialects?: readonly ApiDialect[];
  /** Largest accepted request body in bytes (default 256 KiB); larger bodies get 413. */
  readonly bodyLimit?: number;
  /** Lifetime of cached positive API key lookups and tenant lookups, ms (default 5000). */
  readonly authCacheMs?: number;
  readonly version?: string;
  readonly hostname?: string;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly context: ApiContext;
}

/** The generic shape for requests outside every dialect's prefix. */
const fallbackDialect: Pick<ApiDialect, 'formatError'> = {
  formatError: (err: TrunklineError) => ({ status: err.httpStatus, body: { code: err.httpStatus, message: err.message } }),
};

/** NetSapiens (`/ns-api`), Wavix (`/v1`) and Enswitch (`/api/json`), over the same store. */
export function defaultDialects(): ApiDialect[] {
  return [netsapiensDialect(), wavixDialect(), enswitchDialect()];
}

export async function buildApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = options.logger;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const info: ServerInfo = {
    version: options.version ?? '0.0.0',
    hostname: options.hostname ?? osHostname(),
    bodyLimit,
  };
  const context: ApiContext = {
    store: options.store,
    auth: new Authenticator(options.store, { ttlMs: options.authCacheMs ?? 5000, logger }),
    access: new AccessControl(options.store, options.authCacheMs ?? 5000),
    logger,
    info,
  };

  const dialects = options.dialects ?? [netsapiensDialect()];
  /** The dialect owning a URL (for errors raised before routing, e.g. a malformed URL). */
  const dialectFor = (url: string): Pick<ApiDialect, 'formatError'> =>
    dialects.find((d) => url === d.prefix || url.startsWith(`${d.prefix}/`)) ?? fallbackDialect;

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors fastify raises before a route is found (bad URL encoding, bad content type) get the dialect's shape.
    frameworkErrors: (error, request, reply) => {
      sendError(dialectFor(request.url ?? ''), reply, error, logger);
    },
    routerOptions: {
      // Base64 connection ids of 256-character patterns are ~344 characters.
      maxParamLength: 2048,
      ignoreTrailingSlash: true,
    },
  });
  app.decorateRequest('auth', null);

  app.setErrorHandler((err, _request, reply) => sendError(fallbackDialect, reply, err, logger));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    sendError(fallbackDialect, reply, new TrunklineError('NOT_FOUND', `No such endpoint: ${request.method} ${path}`), logger);
  });

  for (const dialect of options.dialects ?? defaultDialects()) {
    await app.register(
      async (scope) => {
        installSharedHandlers(scope, dialect, { logger });
        await dialect.register(scope, context);
      },
      { prefix: dialect.prefix },
    );
  }
  return { app, context };
}
