/**
 * The Enswitch dialect: the JSON API `peers/*` functions under `/api/json`, over the canonical store.
 * See docs/api-enswitch.md.
 *
 * Authentication is per call (`auth_username`/`auth_password` among the parameters, checked by the shared
 * `LoginAuthenticator`), so there is no request hook: parameters may arrive in the body. The shared JSON
 * parser stays; the form parser is replaced by one that keeps the text, because Enswitch separates parameters
 * with `;` as well as `&` (see params.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext, ApiDialect } from '../shared/dialect.js';
import { LoginAuthenticator } from '../shared/logins.js';
import { formatError, parseConnectionBody, serializeConnection } from './codec.js';
import { ENSWITCH_PREFIX } from './fields.js';
import { FormBody } from './params.js';
import { registerPeerRoutes } from './peers.js';

export { ENSWITCH_PREFIX };

export interface EnswitchDialectOptions {
  /** Lifetime of cached successful logins, ms (default 5000). */
  loginCacheMs?: number;
}

export function enswitchDialect(options: EnswitchDialectOptions = {}): ApiDialect {
  const dialect: ApiDialect = {
    name: 'enswitch',
    prefix: ENSWITCH_PREFIX,
    parseConnectionBody,
    serializeConnection,
    formatError,
    register(app: FastifyInstance, ctx: ApiContext) {
      const FORM = 'application/x-www-form-urlencoded';
      if (app.hasContentTypeParser(FORM)) app.removeContentTypeParser(FORM);
      app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body: string, done) => {
        done(null, new FormBody(body));
      });
      const logins = new LoginAuthenticator(ctx.store, { ttlMs: options.loginCacheMs ?? 5000 });
      registerPeerRoutes(app, ctx, logins);
    },
  };
  return dialect;
}
