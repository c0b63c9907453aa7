/**
 * HTTP plumbing every dialect shares: body parsing, mapping framework errors onto the error catalog, and the
 * per-prefix error and not-found handlers that put every failure in the dialect's shape.
 *
 * Guarantees: bad input never produces a 500 or a stack trace. Malformed JSON → MALFORMED_BODY (400), an
 * oversized body → PAYLOAD_TOO_LARGE (413), an unknown route → NOT_FOUND (404), an unsupported content type →
 * UNSUPPORTED_MEDIA_TYPE (415). Anything unexpected is logged with its stack and answered as INTERNAL with the
 * catalog's generic message only.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ERROR_KINDS, TrunklineError, isTrunklineError, type ErrorKind } from '../../model/index.js';
import type { ApiDialect } from './dialect.js';

const STATUS_KIND = new Map<number, ErrorKind>([
  [400, 'VALIDATION'],
  [401, 'UNAUTHENTICATED'],
  [403, 'FORBIDDEN'],
  [404, 'NOT_FOUND'],
  [405, 'METHOD_NOT_ALLOWED'],
  [409, 'CONFLICT'],
  [413, 'PAYLOAD_TOO_LARGE'],
  [415, 'UNSUPPORTED_MEDIA_TYPE'],
  [422, 'UNPROCESSABLE'],
  [429, 'RATE_LIMITED'],
  [503, 'UNAVAILABLE'],
]);

/** Any thrown value → a TrunklineError from the catalog (framework codes first, then HTTP status). */
export function toTrunklineError(err: unknown): TrunklineError {
  if (isTrunklineError(err)) return err;
  const e = err as Partial<FastifyError> & { type?: string; status?: number };
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TrunklineError('PAYLOAD_TOO_LARGE', undefined, { cause: err });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new TrunklineError('MALFORMED_BODY', 'Malformed JSON in request body', { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new TrunklineError('UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new TrunklineError('MALFORMED_BODY', 'Request body length does not match Content-Length', { cause: err });
    case 'FST_ERR_BAD_URL':
      return new TrunklineError('VALIDATION', 'Malformed URL', { cause: err });
    default:
      break;
  }
  if (e instanceof SyntaxError) return new TrunklineError('MALFORMED_BODY', 'Malformed JSON in request body', { cause: err });
  const status = typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : 0;
  if (status >= 400 && status < 500) {
    const kind = STATUS_KIND.get(status) ?? 'VALIDATION';
    return new TrunklineError(kind, undefined, { cause: err });
  }
  return new TrunklineError('INTERNAL', undefined, { cause: err });
}

/** Send `err` in `dialect`'s shape; logs INTERNAL errors (with stack) but never exposes them. */
export function sendError(dialect: Pick<ApiDialect, 'formatError'>, reply: FastifyReply, err: unknown, log: Logger): void {
  const te = toTrunklineError(err);
  if (te.kind === 'INTERNAL') {
    log.error({ err: te.cause ?? te, url: reply.request.url, method: reply.request.method }, 'internal error');
  }
  const wire = dialect.formatError(te);
  reply.code(wire.status).type('application/json; charset=utf-8').send(wire.body);
}

/** Parse `application/x-www-form-urlencoded` into a plain object (repeated keys keep the last value). */
function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return { ...out };
}

/** Rejects `__proto__` keys; only used when the text could hold one (a reviver makes JSON.parse several times slower). */
const noProtoKeys = (key: string, value: unknown): unknown => {
  if (key === '__proto__') throw new TrunklineError('MALFORMED_BODY', 'Malformed JSON in request body: "__proto__" is not allowed');
  return value;
};

export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    // A key can only decode to "__proto__" if the text spells it out or uses a \u escape somewhere.
    if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text) as unknown;
    return JSON.parse(text, noProtoKeys);
  } catch (err) {
    if (isTrunklineError(err)) throw err;
    throw new TrunklineError('MALFORMED_BODY', 'Malformed JSON in request body', { cause: err });
  }
}

export interface SharedHandlerOptions {
  readonly logger: Logger;
  /** Install the JSON / form body parsers (default true). A dialect with its own body format may opt out. */
  readonly parsers?: boolean;
}

/**
 * Install the shared handlers on a dialect's encapsulated fastify scope: body parsers, an error handler and a
 * not-found handler that answer in the dialect's shape.
 */
export function installSharedHandlers(app: FastifyInstance, dialect: ApiDialect, opts: SharedHandlerOptions): void {
  const log = opts.logger;
  if (opts.parsers !== false) {
    app.removeAllContentTypeParsers();
    // JSON (and +json types), tolerating an empty body (clients that always send Content-Type on DELETE).
    const json = (_req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
      try {
        done(null, parseJson(body));
      } catch (err) {
        done(err as Error, undefined);
      }
    };
    app.addContentTypeParser('application/json', { parseAs: 'string' }, json);
    app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: 'string' }, json);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body: string, done) => {
      done(null, parseForm(body));
    });
    // Anything else (curl's default, text/plain, a missing type with a body): JSON if it is JSON, else 415.
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text: string, done) => {
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new TrunklineError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'), undefined);
      }
    });
  }
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    sendError(dialect, reply, err, log);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    sendError(dialect, reply, new TrunklineError('NOT_FOUND', `No such endpoint: ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`), log);
  });
}

/** The catalog entry for a kind (status and default message), for dialects that format errors. */
export function errorKindInfo(kind: ErrorKind): (typeof ERROR_KINDS)[ErrorKind] {
  return ERROR_KINDS[kind];
}
