/**
 * NetSapiens ns-api v2 domain endpoints (domains are trunkline tenants):
 *
 *   POST   /domains            202 | 400 | 403 | 409 exists
 *   GET    /domains?start&limit
 *   GET    /domains/count      {"total":N}
 *   GET    /domains/{domain}   the domain object
 *   PUT    /domains/{domain}   partial update, 202
 *   DELETE /domains/{domain}   202; 409 while the domain still has connections (delete them first)
 *
 * Who: Super User all domains; Reseller its reseller's domains (creating only for itself, never moving a domain
 * to another reseller); Office Manager reads and updates its own domain (not its reseller); Basic User reads
 * its own domain.
 */
import type { FastifyInstance } from 'fastify';
import { TrunklineError, validateDomainName, type Principal, type Tenant } from '../../model/index.js';
import { OWN_DOMAIN, assertWritable, isDomainBound, resolveDomain } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { parsePage } from '../shared/paging.js';
import { compileBodyValidator, type BodyValidator } from '../shared/schema.js';
import { accepted } from './connections.js';
import { NS_DOMAIN_ALIASES, NS_DOMAIN_ATTRS, NS_DOMAIN_ATTR_BY_WIRE, type NsDomainAttr } from './domain-fields.js';
import { domainCreateSchema, domainUpdateSchema } from './schemas.js';

const validateCreate: BodyValidator = compileBodyValidator(domainCreateSchema);
const validateUpdate: BodyValidator = compileBodyValidator(domainUpdateSchema);

function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function attrValue(a: NsDomainAttr, value: unknown): unknown {
  switch (a.kind) {
    case 'int':
    case 'number':
      return typeof value === 'string' ? Number.parseInt(value.trim(), 10) : value;
    case 'nullable-string':
      return typeof value === 'number' ? String(value) : value;
    case 'time-zone':
      if (typeof value !== 'string' || !isKnownTimeZone(value)) {
        throw new TrunklineError('VALIDATION', `${a.wire} "${String(value)}" is not a known time zone`, { field: a.wire });
      }
      return value;
    default:
      return value;
  }
}

/** Body → tenant columns + attributes (read-only and ignored fields dropped). */
function readDomainBody(body: Record<string, unknown>): {
  domain?: string;
  reseller?: string;
  description?: string;
  attributes: Record<string, unknown>;
} {
  const out: { domain?: string; reseller?: string; description?: string; attributes: Record<string, unknown> } = { attributes: {} };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'domain' || key === 'reseller' || key === 'description') {
      out[key] = value as string;
      continue;
    }
    const a = NS_DOMAIN_ATTR_BY_WIRE.get(NS_DOMAIN_ALIASES.get(key) ?? key);
    if (a === undefined) continue; // synchronous, read-only figures
    out.attributes[a.wire] = attrValue(a, value);
  }
  return out;
}

export function serializeDomain(t: Tenant): Record<string, unknown> {
  const out: Record<string, unknown> = { domain: t.name, reseller: t.reseller, description: t.description };
  for (const a of NS_DOMAIN_ATTRS) {
    if (Object.prototype.hasOwnProperty.call(t.attributes, a.wire)) out[a.wire] = t.attributes[a.wire];
  }
  return out;
}

function conflictIfHasConnections(err: unknown, domain: string): never {
  if (err instanceof TrunklineError && err.kind === 'CONFLICT') {
    throw new TrunklineError('CONFLICT', `Domain ${domain} still has connections; delete them first`);
  }
  throw err;
}

export function registerDomainRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access } = ctx;

  async function visibleTenant(p: Principal, raw: string): Promise<Tenant> {
    const name = resolveDomain(p, raw);
    if (isDomainBound(p) && name !== p.domain) throw new TrunklineError('FORBIDDEN', `Domain ${name} not found or access denied`);
    const tenant = await store.getTenant(name);
    if (tenant === undefined) throw new TrunklineError('NOT_FOUND', `Domain ${name} not found`);
    if (!access.canSeeTenant(p, tenant)) throw new TrunklineError('FORBIDDEN', `Domain ${name} not found or access denied`);
    return tenant;
  }

  app.post('/v2/domains', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'domain');
    if (p.scope !== 'Super User' && p.scope !== 'Reseller') {
      throw new TrunklineError('FORBIDDEN', 'Only Super User and Reseller keys may create domains');
    }
    validateCreate(request.body);
    const body = readDomainBody(request.body);
    const name = validateDomainName(body.domain);
    if (name === '*' || name === OWN_DOMAIN) {
      throw new TrunklineError('VALIDATION', `domain "${name}" is reserved`, { field: 'domain' });
    }
    let reseller = body.reseller;
    if (p.scope === 'Reseller') {
      if (p.reseller === '*') throw new TrunklineError('FORBIDDEN', 'This Reseller key has no reseller');
      reseller ??= p.reseller;
      if (reseller !== p.reseller) throw new TrunklineError('FORBIDDEN', `A Reseller key may only create domains of reseller ${p.reseller}`);
    }
    if (reseller === undefined) throw new TrunklineError('VALIDATION', 'reseller is required', { field: 'reseller' });
    try {
      await store.createTenant({ name, reseller, description: body.description ?? '', attributes: body.attributes });
    } catch (err) {
      if (err instanceof TrunklineError && err.kind === 'CONFLICT') {
        throw new TrunklineError('CONFLICT', `Domain ${name} already exists`);
      }
      throw err;
    }
    access.invalidateTenant(name);
    return accepted(reply);
  });

  app.get('/v2/domains', async (request, reply) => {
    const auth = authOf(request);
    checkModel(auth, 'domain');
    const p = auth.principal;
    const page = parsePage(request.query as Record<string, unknown>);
    let tenants: Tenant[];
    if (p.scope === 'Super User') tenants = await store.listTenants(page);
    else if (p.scope === 'Reseller') tenants = p.reseller === '*' ? [] : await store.listTenants({ ...page, reseller: p.reseller });
    else {
      const own = await store.getTenant(p.domain);
      tenants = own === undefined ? [] : [own].slice(page.start ?? 0, (page.start ?? 0) + (page.limit ?? 1));
    }
    return reply.send(tenants.map(serializeDomain));
  });

  app.get('/v2/domains/count', async (request, reply) => {
    const auth = authOf(request);
    checkModel(auth, 'domain');
    const p = auth.principal;
    let total: number;
    if (p.scope === 'Super User') total = await store.countTenants({});
    else if (p.scope === 'Reseller') total = p.reseller === '*' ? 0 : await store.countTenants({ reseller: p.reseller });
    else total = (await store.getTenant(p.domain)) === undefined ? 0 : 1;
    return reply.send({ total });
  });

  app.get<{ Params: { domain: string } }>('/v2/domains/:domain', async (request, reply) => {
    const auth = authOf(request);
    checkModel(auth, 'domain');
    return reply.send(serializeDomain(await visibleTenant(auth.principal, request.params.domain)));
  });

  app.put<{ Params: { domain: string } }>('/v2/domains/:domain', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'domain');
    validateUpdate(request.body);
    const body = readDomainBody(request.body);
    if (p.scope === 'Basic User') throw new TrunklineError('FORBIDDEN', 'Basic User keys may not change domains');
    const tenant = await visibleTenant(p, request.params.domain);
    if (body.domain !== undefined && resolveDomain(p, body.domain) !== tenant.name) {
      throw new TrunklineError('VALIDATION', 'domain cannot be changed', { field: 'domain' });
    }
    if (body.reseller !== undefined && body.reseller !== tenant.reseller && p.scope !== 'Super User') {
      throw new TrunklineError('FORBIDDEN', 'Only a Super User key may move a domain to another reseller');
    }
    const patch: Partial<Omit<Tenant, 'name' | 'createdAt'>> = { attributes: { ...tenant.attributes, ...body.attributes } };
    if (body.reseller !== undefined) patch.reseller = body.reseller;
    if (body.description !== undefined) patch.description = body.description;
    const updated = await store.updateTenant(tenant.name, patch);
    if (updated === undefined) throw new TrunklineError('NOT_FOUND', `Domain ${tenant.name} not found`);
    access.invalidateTenant(tenant.name);
    return accepted(reply);
  });

  app.delete<{ Params: { domain: string } }>('/v2/domains/:domain', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'domain');
    if (p.scope !== 'Super User' && p.scope !== 'Reseller') {
      throw new TrunklineError('FORBIDDEN', 'Only Super User and Reseller keys may delete domains');
    }
    const tenant = await visibleTenant(p, request.params.domain);
    let deleted: boolean;
    try {
      deleted = await store.deleteTenant(tenant.name);
    } catch (err) {
      conflictIfHasConnections(err, tenant.name);
    }
    access.invalidateTenant(tenant.name);
    if (!deleted) throw new TrunklineError('NOT_FOUND', `Domain ${tenant.name} not found`);
    return accepted(reply);
  });
}
