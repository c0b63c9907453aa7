/**
 * NetSapiens ns-api v2 dial policies and their permissions (docs/api-netsapiens.md, "Dial policies"):
 *
 *   GET    /dialpolicy?domain&start&limit                     policies the key may see (array)
 *   POST   /dialpolicy                                        {dialpolicy, domain, description}
 *   GET    /domains/{domain}/dialpolicy                       (trunkline addition) one domain's policies
 *   POST   /domains/{domain}/dialpolicy                       (trunkline addition) {dialpolicy, description}
 *   GET    /[domains/{domain}/]dialpolicy/{policy}            the policy (object)
 *   PUT    /[domains/{domain}/]dialpolicy/{policy}            {description}
 *   DELETE /[domains/{domain}/]dialpolicy/{policy}            the policy and its permissions
 *   GET    /[domains/{domain}/]dialpolicy/{policy}/permission         array
 *   POST   /[domains/{domain}/]dialpolicy/{policy}/permission         {permission-match, -mode, -reason}
 *   GET    /[domains/{domain}/]dialpolicy/{policy}/permission/{id}    the permission (object)
 *   PUT    /[domains/{domain}/]dialpolicy/{policy}/permission/{id}    {permission-mode, permission-reason}
 *   DELETE /[domains/{domain}/]dialpolicy/{policy}/permission/{id}
 *
 * The paths without `/domains/{domain}` address the system-wide policies (domain `*`, Super User and Reseller
 * keys). `{id}` is the vendor's `permission-id` (base64 of the match, standard or URL-safe) or the match itself,
 * percent-encoded; the raw reading is tried first. Tenancy, read-only keys and errors as for dial plans.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SYSTEM_DOMAIN, TrunklineError, type Principal } from '../../model/index.js';
import {
  DIAL_POLICY_WIRE_NAMES,
  PERMISSION_WIRE_NAMES,
  buildPermission,
  dialPolicyFromWire,
  parsePermissionId,
  permissionFromWire,
  permissionId,
  validateDialPolicy,
  type Permission,
} from '../../model/dialplan/index.js';
import type { DialPolicyInfo, DialTableFilter } from '../../store/store.js';
import { assertWritable, resolveDomain } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { parsePage } from '../shared/paging.js';
import { accepted } from './connections.js';
import { bodyObject, pageAcross, refuseUnknown, sameAsPath, text, visibleFilters, withWireNames } from './dialplans.js';
import { nsDateTime } from './fields.js';

type Query = Record<string, unknown>;
type PolicyParams = { domain?: string; policy: string };
type PermissionParams = PolicyParams & { id: string };

export function dialPolicyJson(p: DialPolicyInfo): Record<string, unknown> {
  return { dialpolicy: p.name, domain: p.domain, description: p.description };
}

export function permissionJson(p: Permission): Record<string, unknown> {
  const out: Record<string, unknown> = {
    dialpolicy: p.dialPolicy,
    domain: p.domain,
    'permission-match': p.match,
    'permission-mode': p.mode,
    'permission-reason': p.reason,
  };
  const created = nsDateTime(p.createdAt);
  if (created !== undefined) out['created-datetime'] = created;
  out['permission-id'] = permissionId(p.match);
  return out;
}

export function registerDialPolicyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access } = ctx;

  /** The key may act on the domain (from the path, `*` when the path has none), which must exist. */
  async function scope(request: FastifyRequest, rawDomain: string | undefined, write: boolean): Promise<{ p: Principal; domain: string }> {
    const auth = authOf(request);
    const p = auth.principal;
    if (write) assertWritable(p);
    checkModel(auth, 'dialpolicy');
    const domain = resolveDomain(p, rawDomain ?? SYSTEM_DOMAIN);
    await access.checkDomain(p, domain, { mustExist: true });
    return { p, domain };
  }

  const policyNotFound = (domain: string, name: string) => new TrunklineError('NOT_FOUND', `Dial policy ${name} not found in domain ${domain}`);
  const permissionNotFound = (policy: string, id: string) => new TrunklineError('NOT_FOUND', `Permission ${id} not found in dial policy ${policy}`);

  /** Validate a policy record with the model, naming wire fields. */
  function checkPolicy(domain: string, name: unknown, description: unknown): { name: string; description: string } {
    const policy = withWireNames(DIAL_POLICY_WIRE_NAMES, () =>
      validateDialPolicy({ domain, name: text(name) as string, description: text(description) as string, permissions: [] }),
    );
    if (typeof policy.name !== 'string') throw new TrunklineError('VALIDATION', 'dialpolicy is required', { field: 'dialpolicy' });
    if (typeof policy.description !== 'string') throw new TrunklineError('VALIDATION', 'description is required', { field: 'description' });
    return { name: policy.name, description: policy.description };
  }

  async function create(reply: FastifyReply, domain: string, patch: Record<string, unknown>): Promise<FastifyReply> {
    const { name, description } = checkPolicy(domain, patch.name, patch.description);
    await store.createDialPolicy({ domain, name, description });
    return accepted(reply);
  }

  async function list(request: FastifyRequest, reply: FastifyReply, domainFromPath?: string): Promise<FastifyReply> {
    const auth = authOf(request);
    checkModel(auth, 'dialpolicy');
    const query = request.query as Query;
    const filters: DialTableFilter[] =
      domainFromPath !== undefined
        ? [{ domain: (await scope(request, domainFromPath, false)).domain }]
        : await visibleFilters(access, auth.principal, query);
    const rows = await pageAcross(filters, parsePage(query), (f) => store.countDialPolicies(f), (f) => store.listDialPolicies(f));
    return reply.send(rows.map(dialPolicyJson));
  }

  app.get('/v2/dialpolicy', (request, reply) => list(request, reply));

  app.post('/v2/dialpolicy', async (request, reply) => {
    const patch = refuseUnknown(dialPolicyFromWire(bodyObject(request.body)));
    if (patch.domain === undefined) throw new TrunklineError('VALIDATION', 'domain is required', { field: 'domain' });
    if (typeof patch.domain !== 'string') throw new TrunklineError('VALIDATION', 'domain must be a string', { field: 'domain' });
    const { domain } = await scope(request, patch.domain, true);
    return create(reply, domain, patch);
  });

  app.get<{ Params: { domain: string } }>('/v2/domains/:domain/dialpolicy', (request, reply) => list(request, reply, request.params.domain));

  app.post<{ Params: { domain: string } }>('/v2/domains/:domain/dialpolicy', async (request, reply) => {
    const { p, domain } = await scope(request, request.params.domain, true);
    const body = bodyObject(request.body);
    sameAsPath(body, 'domain', domain, p);
    return create(reply, domain, refuseUnknown(dialPolicyFromWire(body)));
  });

  // Each route below exists with and without `/domains/:domain` in front.
  const both = (suffix: string): string[] => [`/v2/dialpolicy/:policy${suffix}`, `/v2/domains/:domain/dialpolicy/:policy${suffix}`];

  for (const path of both('')) {
    app.get<{ Params: PolicyParams }>(path, async (request, reply) => {
      const { domain } = await scope(request, request.params.domain, false);
      const policy = await store.getDialPolicy(domain, request.params.policy);
      if (policy === undefined) throw policyNotFound(domain, request.params.policy);
      return reply.send(dialPolicyJson(policy));
    });

    app.put<{ Params: PolicyParams }>(path, async (request, reply) => {
      const { p, domain } = await scope(request, request.params.domain, true);
      const name = request.params.policy;
      const body = bodyObject(request.body);
      sameAsPath(body, 'domain', domain, p);
      sameAsPath(body, 'dialpolicy', name);
      const patch = refuseUnknown(dialPolicyFromWire(body));
      const description = patch.description === undefined ? undefined : checkPolicy(domain, name, patch.description).description;
      const updated = await store.updateDialPolicy(domain, name, description === undefined ? {} : { description });
      if (updated === undefined) throw policyNotFound(domain, name);
      return accepted(reply);
    });

    app.delete<{ Params: PolicyParams }>(path, async (request, reply) => {
      const { domain } = await scope(request, request.params.domain, true);
      if (!(await store.deleteDialPolicy(domain, request.params.policy))) throw policyNotFound(domain, request.params.policy);
      return accepted(reply);
    });
  }

  // ---- permissions ------------------------------------------------------------------------------------

  /** The permission a path `{id}` names: the raw match first, then the base64 `permission-id`. */
  async function findPermission(domain: string, policy: string, id: string): Promise<Permission | undefined> {
    const raw = await store.getPermission(domain, policy, id);
    if (raw !== undefined) return raw;
    let match: string;
    try {
      match = parsePermissionId(id);
    } catch {
      return undefined;
    }
    return match === id ? undefined : store.getPermission(domain, policy, match);
  }

  async function missing(domain: string, policy: string, id: string): Promise<TrunklineError> {
    return (await store.getDialPolicy(domain, policy)) === undefined ? policyNotFound(domain, policy) : permissionNotFound(policy, id);
  }

  for (const path of both('/permission')) {
    app.get<{ Params: PolicyParams }>(path, async (request, reply) => {
      const { domain } = await scope(request, request.params.domain, false);
      const list = await store.listPermissions(domain, request.params.policy, parsePage(request.query as Query));
      if (list === undefined) throw policyNotFound(domain, request.params.policy);
      return reply.send(list.map(permissionJson));
    });

    app.post<{ Params: PolicyParams }>(path, async (request, reply) => {
      const { p, domain } = await scope(request, request.params.domain, true);
      const policy = request.params.policy;
      const body = bodyObject(request.body);
      sameAsPath(body, 'domain', domain, p);
      sameAsPath(body, 'dialpolicy', policy);
      const patch = refuseUnknown(permissionFromWire(body));
      const permission = withWireNames(PERMISSION_WIRE_NAMES, () =>
        buildPermission({ ...patch, match: text(patch.match), reason: text(patch.reason), dialPolicy: policy, domain }),
      );
      await withWireNames(PERMISSION_WIRE_NAMES, () => store.createPermission(permission));
      return accepted(reply);
    });
  }

  for (const path of both('/permission/:id')) {
    app.get<{ Params: PermissionParams }>(path, async (request, reply) => {
      const { domain } = await scope(request, request.params.domain, false);
      const { policy, id } = request.params;
      const found = await findPermission(domain, policy, id);
      if (found === undefined) throw await missing(domain, policy, id);
      return reply.send(permissionJson(found));
    });

    app.put<{ Params: PermissionParams }>(path, async (request, reply) => {
      const { p, domain } = await scope(request, request.params.domain, true);
      const { policy, id } = request.params;
      const body = bodyObject(request.body);
      sameAsPath(body, 'domain', domain, p);
      sameAsPath(body, 'dialpolicy', policy);
      const patch = refuseUnknown(permissionFromWire(body));
      const found = await findPermission(domain, policy, id);
      if (found === undefined) throw await missing(domain, policy, id);
      sameAsPath(body, 'permission-match', found.match);
      const merged = withWireNames(PERMISSION_WIRE_NAMES, () =>
        buildPermission({
          dialPolicy: policy,
          domain,
          match: found.match,
          mode: patch.mode ?? found.mode,
          reason: text(patch.reason ?? found.reason),
        }),
      );
      const updated = await store.updatePermission(domain, policy, found.match, { mode: merged.mode, reason: merged.reason });
      if (updated === undefined) throw permissionNotFound(policy, id);
      return accepted(reply);
    });

    app.delete<{ Params: PermissionParams }>(path, async (request, reply) => {
      const { domain } = await scope(request, request.params.domain, true);
      const { policy, id } = request.params;
      const found = await findPermission(domain, policy, id);
      if (found === undefined || !(await store.deletePermission(domain, policy, found.match))) throw await missing(domain, policy, id);
      return accepted(reply);
    });
  }
}
