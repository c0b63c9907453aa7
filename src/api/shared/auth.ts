/**
 * Bearer API keys → Principal, shared by every dialect that uses API keys (NetSapiens, Wavix).
 *
 * A key is looked up by its key-id (its first 12 characters) and compared with the stored SHA-256 hash in
 * constant time; the plain key is never stored. Positive lookups are cached for a few seconds (default 5 s,
 * the server's `authCacheMs`) so a busy client costs one Map lookup per request instead of a store round
 * trip; failures are never cached. A revoke through this process drops the cached entry at once, and a
 * lookup that was already in flight when it happened does not put the key back (`invalidate` bumps a
 * generation; a result read before it is not cached). A revoke by another process (the CLI, another
 * instance on the same PostgreSQL) takes effect within the cache lifetime: an entry is trusted until
 * `ttlMs` after the store read that produced it, never longer.
 */
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import {
  TrunklineError,
  apiKeyMatches,
  type ApiKeyRecord,
  type CredentialDialect,
  type Principal,
} from '../../model/index.js';
import type { Store } from '../../store/store.js';

export interface AuthenticatedKey {
  readonly principal: Principal;
  /** Client addresses allowed to use the key (vendor `ip-address`); null = any. */
  readonly allowedIps: BlockList | null;
  /** Vendor `allowed-models`; null = all models. */
  readonly allowedModels: ReadonlySet<string> | null;
  /** Vendor `can-create-keys`: may create keys for lesser scopes. */
  readonly canCreateKeys: boolean;
}

export interface AuthenticatorOptions {
  /** How long a positive lookup is trusted, ms (default 5000; 0 disables the cache). */
  ttlMs?: number;
  /** Cache size cap; the cache is cleared when it is reached (default 10,000 keys). */
  maxEntries?: number;
  logger?: Logger;
  now?: () => number;
}

export interface AuthenticateOptions {
  /** Which key dialects this API accepts. */
  readonly dialects: readonly CredentialDialect[];
  /** A cheap structural check (length, checksum) run before any store lookup. */
  readonly precheck?: (token: string) => boolean;
}

interface CacheEntry {
  readonly auth: AuthenticatedKey;
  readonly expires: number;
}

/** lastused-datetime is kept to the hour (as the vendor does) so reads do not turn into writes. */
const TOUCH_EVERY_MS = 3_600_000;

export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped by every invalidation: a lookup started before one must not cache what it read. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: AuthenticatorOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The cached result for a token, if still fresh (synchronous: the hot path). */
  cached(token: string, opts: AuthenticateOptions): AuthenticatedKey | undefined {
    const hit = this.cache.get(token);
    if (hit === undefined) return undefined;
    if (hit.expires <= this.now()) {
      this.cache.delete(token);
      return undefined;
    }
    return opts.dialects.includes(hit.auth.principal.dialect) ? hit.auth : undefined;
  }

  /** Resolve a bearer token; throws UNAUTHENTICATED for anything but a live key of an accepted dialect. */
  async authenticate(token: string | undefined, opts: AuthenticateOptions): Promise<AuthenticatedKey> {
    if (token === undefined || token === '') throw new TrunklineError('UNAUTHENTICATED');
    const hit = this.cached(token, opts);
    if (hit !== undefined) return hit;
    if (token.length < 12 || token.length > 512 || (opts.precheck !== undefined && !opts.precheck(token))) {
      throw new TrunklineError('UNAUTHENTICATED', 'Invalid API key');
    }
    const generation = this.generation;
    const readAt = this.now();
    const record = await this.store.getApiKey(token.slice(0, 12));
    if (record === undefined || !apiKeyMatches(token, record.keyHash) || !opts.dialects.includes(record.dialect)) {
      throw new TrunklineError('UNAUTHENTICATED', 'Invalid API key');
    }
    const auth = toAuthenticatedKey(record);
    if (this.ttlMs > 0 && generation === this.generation) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      // Counted from before the read: the entry never outlives the record it came from by more than ttlMs.
      this.cache.set(token, { auth, expires: readAt + this.ttlMs });
    }
    this.touch(record);
    return auth;
  }

  /** Forget a key at once (after a revoke through this process). */
  invalidate(keyId: string): void {
    this.generation += 1;
    for (const [token, entry] of this.cache) {
      if (entry.auth.principal.keyId === keyId) this.cache.delete(token);
    }
  }

  clear(): void {
    this.generation += 1;
    this.cache.clear();
  }

  private touch(record: ApiKeyRecord): void {
    const now = this.now();
    const last = record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt);
    if (Number.isFinite(last) && now - last < TOUCH_EVERY_MS) return;
    this.store.touchApiKey(record.keyId, new Date(now).toISOString()).catch((err: unknown) => {
      this.options.logger?.warn({ err, keyId: record.keyId }, 'could not record API key use');
    });
  }
}

/** `Authorization: Bearer <key>` → the key; anything else → undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space === -1) return undefined;
  if (header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

export function toAuthenticatedKey(record: ApiKeyRecord): AuthenticatedKey {
  const principal: Principal = {
    scope: record.scope,
    domain: record.domain === '' ? '*' : record.domain,
    reseller: record.reseller === '' ? '*' : record.reseller,
    readonly: record.readonly,
    dialect: record.dialect,
    keyId: record.keyId,
  };
  return {
    principal,
    allowedIps: parseAllowedIps(record.ipAddress),
    allowedModels: parseAllowedModels(record.allowedModels),
    canCreateKeys: record.canCreateKeys,
  };
}

/** `1.2.3.4,5.6.7.0/24` → a BlockList (used as an allow list); empty → null (any address). */
export function parseAllowedIps(text: string): BlockList | null {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return null;
  const list = new BlockList();
  for (const item of items) {
    const [addr, bits] = item.split('/');
    const family = isIP(addr ?? '');
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number.parseInt(bits, 10), type);
  }
  return list;
}

/** True when `text` is a valid `ip-address` restriction list (addresses and CIDR subnets, comma separated). */
export function validAllowedIps(text: string): boolean {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .every((item) => {
      const [addr, bits, extra] = item.split('/');
      const family = isIP(addr ?? '');
      if (family === 0 || extra !== undefined) return false;
      if (bits === undefined) return true;
      if (!/^\d{1,3}$/.test(bits)) return false;
      const n = Number.parseInt(bits, 10);
      return n <= (family === 4 ? 32 : 128);
    });
}

export function parseAllowedModels(text: string): ReadonlySet<string> | null {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0 || items.includes('*')) return null;
  return new Set(items);
}

/** Refuses a request from an address the key does not allow (FORBIDDEN). */
export function checkClientAddress(auth: AuthenticatedKey, ip: string): void {
  if (auth.allowedIps === null) return;
  const v4mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(v4mapped);
  if (family !== 0 && auth.allowedIps.check(v4mapped, family === 4 ? 'ipv4' : 'ipv6')) return;
  throw new TrunklineError('FORBIDDEN', 'This API key may not be used from this address');
}

/** Refuses a request for a model the key is not allowed to touch (FORBIDDEN). */
export function checkModel(auth: AuthenticatedKey, model: string): void {
  if (auth.allowedModels === null || auth.allowedModels.has(model)) return;
  throw new TrunklineError('FORBIDDEN', `This API key is not allowed to access ${model}`);
}
