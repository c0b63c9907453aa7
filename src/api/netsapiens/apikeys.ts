/**
 * NetSapiens ns-api v2 API key endpoints:
 *
 *   POST   /apikeys            200 with the key (shown once, in `key`) and its `key-id`
 *   GET    /apikeys            the keys the caller may see
 *   GET    /apikeys/~          the caller's own key (object)
 *   GET    /apikeys/{key_id}   an ARRAY with the one key
 *   DELETE /apikeys/{key_id}   202
 *
 * Only Super User keys and keys with `can-create-keys` create keys, and a non-Super-User key only for a lesser
 * scope inside its own tenancy (the vendor's rule). Keys are stored hashed; the plain key is never shown again.
 */
import type { FastifyInstance } from 'fastify';
import { TrunklineError, type ApiKeyRecord, type ApiScope } from '../../model/index.js';
import { assertWritable, resolveDomain } from '../shared/access.js';
import { checkModel, validAllowedIps } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { createStoredApiKey } from '../shared/keys.js';
import { parsePage } from '../shared/paging.js';
import { compileBodyValidator, type BodyValidator } from '../shared/schema.js';
import { accepted } from './connections.js';
import { NS_KEY_FORMAT } from './keys.js';
import { apiKeyCreateSchema } from './schemas.js';

const validateCreate: BodyValidator = compileBodyValidator(apiKeyCreateSchema);

export function serializeApiKey(r: ApiKeyRecord): Record<string, unknown> {
  return {
    'key-id': r.keyId,
    description: r.description,
    'user-scope': r.scope,
    domain: r.domain,
    reseller: r.reseller,
    user: r.user,
    'ip-address': r.ipAddress,
    readonly: r.readonly ? 'yes' : 'no',
    'can-create-keys': r.canCreateKeys ? 'yes' : 'no',
    'allowed-models': r.allowedModels === '' ? '*' : r.allowedModels,
    'created-datetime': r.createdAt,
    'lastused-datetime': r.lastUsedAt,
  };
}

export function registerApiKeyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access, auth: authenticator } = ctx;

  async function visibleKey(request: Parameters<typeof authOf>[0], keyId: string): Promise<ApiKeyRecord> {
    const auth = authOf(request);
    const record = await store.getApiKey(keyId);
    if (record === undefined || record.dialect !== 'netsapiens' || !access.canSeeKey(auth.principal, record)) {
      throw new TrunklineError('NOT_FOUND', `API key ${keyId} not found`);
    }
    return record;
  }

  app.post('/v2/apikeys', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'apikey');
    validateCreate(request.body);
    const body = request.body;
    const scope = body['user-scope'] as ApiScope;
    let domain = typeof body.domain === 'string' ? resolveDomain(p, body.domain) : undefined;
    let reseller = body.reseller as string | undefined;
    const domainBound = scope === 'Office Manager' || scope === 'Basic User';
    if (domainBound) {
      if (domain === undefined || domain === '*') {
        throw new TrunklineError('VALIDATION', `domain is required for ${scope} keys`, { field: 'domain' });
      }
      const tenant = await store.getTenant(domain);
      if (tenant === undefined) throw new TrunklineError('NOT_FOUND', `Domain ${domain} not found`);
      if (reseller !== undefined && reseller !== tenant.reseller) {
        throw new TrunklineError('VALIDATION', `reseller must be ${tenant.reseller}, the reseller of domain ${domain}`, { field: 'reseller' });
      }
      reseller = tenant.reseller;
    } else {
      domain ??= '*';
      if (scope === 'Reseller') {
        reseller ??= p.scope === 'Reseller' ? p.reseller : undefined;
        if (reseller === undefined || reseller === '*') {
          throw new TrunklineError('VALIDATION', 'reseller is required for Reseller keys', { field: 'reseller' });
        }
      }
      reseller ??= '*';
    }
    const ipAddress = (body['ip-address'] as string | undefined) ?? '';
    if (!validAllowedIps(ipAddress)) {
      throw new TrunklineError('VALIDATION', 'ip-address must be a comma-separated list of IP addresses and CIDR subnets', { field: 'ip-address' });
    }
    const models = body['allowed-models'];
    const allowedModels = Array.isArray(models) ? models.join(',') : ((models as string | undefined) ?? '*');
    const canCreateKeys = body['can-create-keys'] === 'yes';
    await access.checkKeyCreation(auth, { scope, domain, reseller, canCreateKeys });
    const { key, record } = await createStoredApiKey(store, NS_KEY_FORMAT, {
      scope,
      domain,
      reseller,
      user: body.user === undefined ? '' : String(body.user),
      description: (body.description as string | undefined) ?? `${scope} API key created ${new Date().toISOString().slice(0, 10)}`,
      readonly: body.readonly === 'yes',
      canCreateKeys,
      ipAddress,
      allowedModels: allowedModels === '' ? '*' : allowedModels,
    });
    return reply.code(200).send({ ...serializeApiKey(record), key });
  });

  app.get('/v2/apikeys', async (request, reply) => {
    const auth = authOf(request);
    checkModel(auth, 'apikey');
    const p = auth.principal;
    const page = parsePage(request.query as Record<string, unknown>);
    const filter: Parameters<typeof store.listApiKeys>[0] = { dialect: 'netsapiens', limit: 10_000 };
    if (p.scope === 'Reseller') filter.reseller = p.reseller;
    else if (p.scope !== 'Super User') filter.domain = p.domain;
    let records = (await store.listApiKeys(filter)).filter((r) => access.canSeeKey(p, r));
    if (p.scope !== 'Super User' && !records.some((r) => r.keyId === p.keyId)) {
      const own = await store.getApiKey(p.keyId);
      if (own !== undefined) records = [own, ...records];
    }
    const start = page.start ?? 0;
    return reply.send(records.slice(start, start + (page.limit ?? records.length)).map(serializeApiKey));
  });

  app.get('/v2/apikeys/~', async (request, reply) => {
    return reply.send(serializeApiKey(await visibleKey(request, authOf(request).principal.keyId)));
  });

  app.get<{ Params: { keyId: string } }>('/v2/apikeys/:keyId', async (request, reply) => {
    checkModel(authOf(request), 'apikey');
    return reply.send([serializeApiKey(await visibleKey(request, request.params.keyId))]);
  });

  app.delete<{ Params: { keyId: string } }>('/v2/apikeys/:keyId', async (request, reply) => {
    const auth = authOf(request);
    assertWritable(auth.principal);
    checkModel(auth, 'apikey');
    const record = await visibleKey(request, request.params.keyId);
    access.checkKeyRevoke(auth, record);
    if (!(await store.deleteApiKey(record.keyId))) throw new TrunklineError('NOT_FOUND', `API key ${record.keyId} not found`);
    authenticator.invalidate(record.keyId);
    return accepted(reply);
  });
}
