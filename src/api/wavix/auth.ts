/**
 * Wavix authentication: `Authorization: Bearer <key>` or the older `?appid=<key>` query parameter (the header
 * wins when both are sent). Resolution, caching, client-address checks and the key format precheck are the
 * shared ones (`../shared/auth.ts`); only where the token comes from is Wavix's own.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { TrunklineError } from '../../model/index.js';
import { bearerToken, checkClientAddress, type AuthenticateOptions, type AuthenticatedKey, type Authenticator } from '../shared/auth.js';
import { stringParam } from '../shared/paging.js';

export const APPID_PARAM = 'appid';

/** The key a Wavix request carries, if any. */
export function wavixToken(request: FastifyRequest): string | undefined {
  const bearer = bearerToken(request.headers.authorization);
  if (bearer !== undefined) return bearer;
  const query = request.query;
  if (query === null || typeof query !== 'object') return undefined;
  return stringParam(query as Record<string, unknown>, APPID_PARAM);
}

export function wavixAuthHook(authenticator: Authenticator, opts: AuthenticateOptions): onRequestHookHandler {
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    if (request.is404 || request.routeOptions.config.public === true) return done();
    const token = wavixToken(request);
    if (token === undefined) {
      return done(new TrunklineError('UNAUTHENTICATED', 'Unauthorized: send Authorization: Bearer <API key> or ?appid=<API key>'));
    }
    const accept = (auth: AuthenticatedKey): void => {
      try {
        checkClientAddress(auth, request.ip);
      } catch (err) {
        return done(err as Error);
      }
      request.auth = auth;
      done();
    };
    const hit = authenticator.cached(token, opts);
    if (hit !== undefined) return accept(hit);
    authenticator.authenticate(token, opts).then(accept, (err: unknown) => done(err as Error));
  };
}
