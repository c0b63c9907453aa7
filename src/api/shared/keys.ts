/**
 * Issuing API keys, shared by the API (`POST /apikeys`), the CLI (`trunkline keys create`) and the first start
 * of the server. Each key dialect supplies its format (`KeyFormat`); the record stores only the key's SHA-256
 * hash, the plain key is returned once to the caller.
 */
import { TrunklineError, hashApiKey, type ApiKeyRecord, type ApiScope } from '../../model/index.js';
import type { Store } from '../../store/store.js';

export interface KeyFormat {
  readonly dialect: ApiKeyRecord['dialect'];
  /** A fresh key for `scope` and its key-id (the first 12 characters). */
  generate(scope: ApiScope): { key: string; keyId: string };
  /** Cheap structural check of a presented key (length, checksum) before any store lookup. */
  precheck(token: string): boolean;
}

export interface NewKeyOptions {
  scope: ApiScope;
  /** '*' = not bound to a domain. */
  domain?: string;
  /** '*' = not bound to a reseller. */
  reseller?: string;
  user?: string;
  description: string;
  readonly?: boolean;
  canCreateKeys?: boolean;
  ipAddress?: string;
  allowedModels?: string;
}

export function newApiKeyRecord(format: KeyFormat, opts: NewKeyOptions, now = new Date()): { key: string; record: ApiKeyRecord } {
  const { key, keyId } = format.generate(opts.scope);
  return {
    key,
    record: {
      keyId,
      keyHash: hashApiKey(key),
      dialect: format.dialect,
      scope: opts.scope,
      domain: opts.domain ?? '*',
      reseller: opts.reseller ?? '*',
      user: opts.user ?? '',
      description: opts.description,
      readonly: opts.readonly ?? false,
      canCreateKeys: opts.canCreateKeys ?? false,
      ipAddress: opts.ipAddress ?? '',
      allowedModels: opts.allowedModels ?? '*',
      createdAt: now.toISOString(),
      lastUsedAt: null,
    },
  };
}

/** Create and store a key; a key-id collision (astronomically rare) is retried with a fresh key. */
export async function createStoredApiKey(store: Store, format: KeyFormat, opts: NewKeyOptions): Promise<{ key: string; record: ApiKeyRecord }> {
  for (let attempt = 0; ; attempt++) {
    const issued = newApiKeyRecord(format, opts);
    try {
      await store.createApiKey(issued.record);
      return issued;
    } catch (err) {
      if (attempt < 3 && err instanceof TrunklineError && err.kind === 'CONFLICT') continue;
      throw err;
    }
  }
}
