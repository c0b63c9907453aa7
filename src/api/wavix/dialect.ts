/**
 * The Wavix dialect: `/v1/trunks` over the canonical store. See docs/api-wavix.md.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext, ApiDialect } from '../shared/dialect.js';
import { wavixAuthHook } from './auth.js';
import { formatError, parseConnectionBody, serializeConnection } from './codec.js';
import { WAVIX_PREFIX } from './fields.js';
import { WAVIX_KEY_FORMAT } from './keys.js';
import { registerTrunkRoutes } from './trunks.js';

export { WAVIX_PREFIX };

export function wavixDialect(): ApiDialect {
  const dialect: ApiDialect = {
    name: 'wavix',
    prefix: WAVIX_PREFIX,
    parseConnectionBody,
    serializeConnection,
    formatError,
    register(app: FastifyInstance, ctx: ApiContext) {
      app.addHook('onRequest', wavixAuthHook(ctx.auth, { dialects: ['wavix'], precheck: WAVIX_KEY_FORMAT.precheck }));
      registerTrunkRoutes(app, ctx);
    },
  };
  return dialect;
}
