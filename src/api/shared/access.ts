/**
 * Who may see and change what, written once against `Principal` for every dialect.
 *
 * - Super User: everything.
 * - Reseller: the domains whose tenant.reseller equals the key's reseller, plus the system domain `*`.
 * - Office Manager, Basic User: their own domain only.
 * - Domain `*` (system-wide / carrier connections): Super User and Reseller only.
 * - Read-only keys: 403 on every write (POST, PUT, DELETE).
 *
 * Reads of one record by a Super User or a domain-bound key need no tenant lookup; a Reseller's check needs the
 * tenant's reseller, which is cached briefly (invalidated in-process on domain update/delete).
 */
import {
  SYSTEM_DOMAIN,
  TrunklineError,
  scopeAtLeast,
  type ApiKeyRecord,
  type ApiScope,
  type Principal,
  type Tenant,
} from '../../model/index.js';
import type { ConnectionFilter, Store } from '../../store/store.js';
import type { AuthenticatedKey } from './auth.js';

/** `~` in a path or body means the key's own domain. */
export const OWN_DOMAIN = '~';

const SCOPE_RANK: Record<ApiScope, number> = { 'Super User': 3, Reseller: 2, 'Office Manager': 1, 'Basic User': 0 };

export function scopeRank(scope: ApiScope): number {
  return SCOPE_RANK[scope];
}

export function isDomainBound(p: Principal): boolean {
  return p.scope === 'Office Manager' || p.scope === 'Basic User';
}

export function assertWritable(p: Principal): void {
  if (p.readonly) throw new TrunklineError('READ_ONLY_KEY');
}

/** Resolve `~` to the key's own domain. */
export function resolveDomain(p: Principal, domain: string): string {
  if (domain !== OWN_DOMAIN) return domain;
  if (p.domain === '*' || p.domain === '') {
    throw new TrunklineError('VALIDATION', 'domain "~" means the API key\'s own domain, and this key has none', {
      field: 'domain',
    });
  }
  return p.domain;
}

function denied(domain: string): TrunklineError {
  return new TrunklineError('FORBIDDEN', `Domain ${domain} not found or access denied`);
}

interface CachedTenant {
  readonly tenant: Tenant | undefined;
  readonly expires: number;
}

export class AccessControl {
  private readonly tenants = new Map<string, CachedTenant>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5000,
  ) {}

  /** The tenant record (cached briefly). */
  async tenant(name: string): Promise<Tenant | undefined> {
    const now = Date.now();
    const hit = this.tenants.get(name);
    if (hit !== undefined && hit.expires > now) return hit.tenant;
    const tenant = await this.store.getTenant(name);
    if (this.ttlMs > 0) {
      if (this.tenants.size > 10_000) this.tenants.clear();
      this.tenants.set(name, { tenant, expires: now + this.ttlMs });
    }
    return tenant;
  }

  invalidateTenant(name: string): void {
    this.tenants.delete(name);
  }

  /**
   * May `p` act on records of `domain`? Resolves without a store lookup where the answer does not need one.
   * With `mustExist`, a missing tenant is NOT_FOUND even for keys that would not otherwise look it up.
   */
  async checkDomain(p: Principal, domain: string, opts: { mustExist?: boolean } = {}): Promise<void> {
    if (domain === SYSTEM_DOMAIN) {
      if (p.scope === 'Super User' || p.scope === 'Reseller') return;
      throw new TrunklineError('FORBIDDEN', 'Only Super User and Reseller keys may manage system-wide (*) connections');
    }
    if (isDomainBound(p)) {
      if (domain !== p.domain) throw denied(domain);
      if (opts.mustExist === true) await this.requireTenant(domain);
      return;
    }
    if (p.scope === 'Super User') {
      if (opts.mustExist === true) await this.requireTenant(domain);
      return;
    }
    // Reseller
    const tenant = await this.tenant(domain);
    if (tenant === undefined) {
      throw new TrunklineError('NOT_FOUND', `Domain ${domain} not found`);
    }
    if (p.reseller === '*' || tenant.reseller !== p.reseller) throw denied(domain);
  }

  /** May `p` see this tenant (as a domain record)? */
  canSeeTenant(p: Principal, tenant: Tenant): boolean {
    if (p.scope === 'Super User') return true;
    if (p.scope === 'Reseller') return p.reseller !== '*' && tenant.reseller === p.reseller;
    return tenant.name === p.domain;
  }

  private async requireTenant(domain: string): Promise<Tenant> {
    const tenant = await this.tenant(domain);
    if (tenant === undefined) throw new TrunklineError('NOT_FOUND', `Domain ${domain} not found`);
    return tenant;
  }

  /**
   * The store filter(s) for a connection listing by `p`, given the client's own filters. A Reseller without a
   * domain filter sees its reseller's connections followed by the system-wide ones, so two filters come back;
   * the caller pages over their concatenation. An empty array means "nothing visible".
   */
  async connectionFilters(
    p: Principal,
    query: { domain?: string; reseller?: string; termMatchPattern?: string },
    opts: { domainMustExist?: boolean } = {},
  ): Promise<ConnectionFilter[]> {
    const base: ConnectionFilter = {};
    if (query.termMatchPattern !== undefined) base.termMatchPattern = query.termMatchPattern;
    if (query.domain !== undefined) {
      const domain = resolveDomain(p, query.domain);
      await this.checkDomain(p, domain, { mustExist: opts.domainMustExist === true });
      const f: ConnectionFilter = { ...base, domain };
      if (query.reseller !== undefined) f.reseller = query.reseller;
      return [f];
    }
    switch (p.scope) {
      case 'Super User':
        return [query.reseller === undefined ? base : { ...base, reseller: query.reseller }];
      case 'Reseller': {
        if (p.reseller === '*') return [{ ...base, domain: SYSTEM_DOMAIN }];
        if (query.reseller !== undefined && query.reseller !== p.reseller) throw denied(`of reseller ${query.reseller}`);
        return [
          { ...base, reseller: p.reseller },
          { ...base, domain: SYSTEM_DOMAIN },
        ];
      }
      default: {
        const f: ConnectionFilter = { ...base, domain: p.domain };
        if (query.reseller !== undefined) f.reseller = query.reseller;
        return [f];
      }
    }
  }

  // ---- API keys -------------------------------------------------------------------------------------------

  /** May `caller` see this key record? Super User: all; others: their own key and lesser keys in their tenancy. */
  canSeeKey(caller: Principal, record: ApiKeyRecord): boolean {
    if (caller.scope === 'Super User') return true;
    if (record.keyId === caller.keyId) return true;
    if (scopeRank(record.scope) >= scopeRank(caller.scope)) return false;
    if (caller.scope === 'Reseller') return caller.reseller !== '*' && record.reseller === caller.reseller;
    return record.domain === caller.domain;
  }

  /**
   * May `caller` create a key with these properties? Only Super User keys and keys with can-create-keys, never a
   * key of the caller's own or a higher scope (Super User aside), never outside the caller's tenancy.
   */
  async checkKeyCreation(
    caller: AuthenticatedKey,
    wanted: { scope: ApiScope; domain: string; reseller: string; canCreateKeys: boolean },
  ): Promise<void> {
    const p = caller.principal;
    assertWritable(p);
    if (p.scope !== 'Super User' && !caller.canCreateKeys) {
      throw new TrunklineError(
        'FORBIDDEN',
        'API key creation only allowed using an API key with permission to create new API keys',
      );
    }
    if (p.scope !== 'Super User' && scopeAtLeast(wanted.scope, p.scope)) {
      throw new TrunklineError('FORBIDDEN', `A ${p.scope} key may only create keys of a lesser scope`);
    }
    if (p.scope === 'Reseller') {
      if (wanted.reseller !== p.reseller) throw new TrunklineError('FORBIDDEN', `reseller must be ${p.reseller}`);
      if (wanted.domain !== '*') await this.checkDomain(p, wanted.domain);
    } else if (isDomainBound(p)) {
      if (wanted.domain !== p.domain) throw new TrunklineError('FORBIDDEN', `domain must be ${p.domain}`);
    }
  }

  /** May `caller` revoke this key? Its own key, or a key it can see and could have created. */
  checkKeyRevoke(caller: AuthenticatedKey, record: ApiKeyRecord): void {
    const p = caller.principal;
    assertWritable(p);
    if (record.keyId === p.keyId || p.scope === 'Super User') return;
    if (!caller.canCreateKeys || !this.canSeeKey(p, record)) {
      throw new TrunklineError('FORBIDDEN', 'This API key may not revoke that key');
    }
  }
}
