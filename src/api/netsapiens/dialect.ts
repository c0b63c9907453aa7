/**
 * The NetSapiens ns-api v2 dialect: routes under `/ns-api/v2`, its OpenAPI document at `/ns-api/openapi.json`.
 * See docs/api-netsapiens.md.
 */
import type { FastifyInstance } from 'fastify';
import { bearerAuthHook } from '../shared/hooks.js';
import type { ApiContext, ApiDialect } from '../shared/dialect.js';
import { registerApiKeyRoutes } from './apikeys.js';
import { registerCdrRoutes } from './cdrs.js';
import { formatError, parseConnectionBody, serializeConnection } from './codec.js';
import { registerConnectionRoutes } from './connections.js';
import { registerDialPlanRoutes } from './dialplans.js';
import { registerDialPolicyRoutes } from './dialpolicy.js';
import { registerDomainRoutes } from './domains.js';
import { NS_KEY_FORMAT } from './keys.js';
import { buildOpenApiDocument } from './openapi.js';

export const NS_PREFIX = '/ns-api';
export const NS_API_BASE = '/ns-api/v2';

export function netsapiensDialect(): ApiDialect {
  const dialect: ApiDialect = {
    name: 'netsapiens',
    prefix: NS_PREFIX,
    parseConnectionBody,
    serializeConnection,
    formatError,
    async register(app: FastifyInstance, ctx: ApiContext) {
      // Public routes live in this scope; every other route in a child scope with the authentication hook, so
      // the hook never has to ask which route it is on.
      app.get('/v2/version', async (_request, reply) =>
        reply.send({
          apiversion: `trunkline-${ctx.info.version}`,
          hostname: ctx.info.hostname,
          'current-time': new Date().toISOString().slice(0, 19).replace('T', ' '),
        }),
      );

      const openapi = JSON.stringify(buildOpenApiDocument(ctx.info.version));
      app.get('/openapi.json', async (_request, reply) =>
        reply.type('application/json; charset=utf-8').send(openapi),
      );

      await app.register(async (authed) => {
        authed.addHook(
          'onRequest',
          bearerAuthHook(ctx.auth, { dialects: ['netsapiens'], precheck: NS_KEY_FORMAT.precheck }, { checkPublic: false }),
        );
        registerConnectionRoutes(authed, ctx, dialect);
        registerDomainRoutes(authed, ctx);
        registerApiKeyRoutes(authed, ctx);
        registerCdrRoutes(authed, ctx);
        registerDialPlanRoutes(authed, ctx);
        registerDialPolicyRoutes(authed, ctx);
      });
    },
  };
  return dialect;
}
