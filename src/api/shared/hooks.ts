/**
 * The shared authentication hook: resolves `Authorization: Bearer <key>` to `request.auth` before the body is
 * read, so an unauthenticated client never makes the server parse a large body. Routes marked
 * `config: { public: true }` (e.g. `/version`) and unknown routes (answered 404) skip it.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { TrunklineError } from '../../model/index.js';
import { bearerToken, checkClientAddress, type AuthenticateOptions, type AuthenticatedKey, type Authenticator } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated key of this request (null on public routes). */
    auth: AuthenticatedKey | null;
  }
  interface FastifyContextConfig {
    /** No authentication required. */
    public?: boolean;
  }
}

/** The authenticated key of a request on a non-public route (a programming error if absent). */
export function authOf(request: FastifyRequest): AuthenticatedKey {
  const auth = request.auth;
  if (auth === null) throw new TrunklineError('UNAUTHENTICATED');
  return auth;
}

/**
 * `checkPublic: false` skips the per-request look at the route's `config.public` (fastify builds a fresh
 * routeOptions object on every access): for scopes that hold only authenticated routes, public routes being
 * registered outside them.
 */
export function bearerAuthHook(
  authenticator: Authenticator,
  opts: AuthenticateOptions,
  { checkPublic = true }: { checkPublic?: boolean } = {},
): onRequestHookHandler {
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    if (request.is404 || (checkPublic && request.routeOptions.config.public === true)) return done();
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) return done(new TrunklineError('UNAUTHENTICATED', 'Authentication required: send Authorization: Bearer <API key>'));
    const hit = authenticator.cached(token, opts);
    if (hit !== undefined) {
      try {
        checkClientAddress(hit, request.ip);
      } catch (err) {
        return done(err as Error);
      }
      request.auth = hit;
      return done();
    }
    authenticator.authenticate(token, opts).then(
      (auth) => {
        try {
          checkClientAddress(auth, request.ip);
        } catch (err) {
          return done(err as Error);
        }
        request.auth = auth;
        done();
      },
      (err: unknown) => done(err as Error),
    );
  };
}
