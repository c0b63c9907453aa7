/**
 * Username + password logins → Principal, for dialects that authenticate every call with a login (Enswitch's
 * `auth_username`/`auth_password`). Logins are created with `trunkline users create` and stored with a salted
 * scrypt hash (`hashPassword` in the model); the plain password is never stored.
 *
 * scrypt is deliberately slow (tens of milliseconds), so it runs on the libuv thread pool (async `scrypt`)
 * rather than blocking the event loop, and positive results are cached for a few seconds (default 5 s), keyed by
 * an HMAC of username and password under a per-process random key, so a busy client costs one Map lookup per
 * call. Failures are never cached. An unknown username costs the same scrypt as a wrong password, so timing
 * does not reveal which usernames exist. A login deleted by another process stops working within the cache
 * lifetime.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ROLE_SCOPE,
  TrunklineError,
  hashPassword,
  type LoginRecord,
  type Principal,
} from '../../model/index.js';
import type { Store } from '../../store/store.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface LoginAuthenticatorOptions {
  /** How long a positive check is trusted, ms (default 5000; 0 disables the cache). */
  ttlMs?: number;
  /** Cache size cap; the cache is cleared when it is reached (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  readonly principal: Principal;
  readonly username: string;
  readonly expires: number;
}

/** Same format as the model's `passwordMatches` (`scrypt$<salt b64>$<hash b64>`), verified off the event loop. */
export async function passwordMatchesAsync(password: string, stored: string): Promise<boolean> {
  const [alg, saltB64, hashB64, extra] = stored.split('$');
  if (alg !== 'scrypt' || saltB64 === undefined || hashB64 === undefined || extra !== undefined) return false;
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, Buffer.from(saltB64, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

export function loginPrincipal(login: LoginRecord): Principal {
  return {
    scope: ROLE_SCOPE[login.role],
    domain: login.domain === '' ? '*' : login.domain,
    reseller: login.reseller === '' ? '*' : login.reseller,
    readonly: false,
    dialect: 'enswitch',
    keyId: login.username,
    role: login.role,
  };
}

export class LoginAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheKey = randomBytes(32);
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** A real hash to check unknown usernames against, so they cost what a wrong password costs. */
  private dummy: string | undefined;

  constructor(
    private readonly store: Store,
    options: LoginAuthenticatorOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  private key(username: string, password: string): string {
    return createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
  }

  /** Resolve a login; throws UNAUTHENTICATED for a missing, unknown or wrong username/password. */
  async authenticate(username: string | undefined, password: string | undefined): Promise<Principal> {
    if (username === undefined || username === '' || password === undefined || password === '') {
      throw new TrunklineError('UNAUTHENTICATED', 'The authentication details provided are invalid.');
    }
    if (username.length > 256 || password.length > 1024) {
      throw new TrunklineError('UNAUTHENTICATED', 'The authentication details provided are invalid.');
    }
    const key = this.key(username, password);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      if (hit.expires > this.now()) return hit.principal;
      this.cache.delete(key);
    }
    const login = await this.store.getLogin(username);
    const stored = login?.passwordHash ?? (this.dummy ??= hashPassword(randomBytes(16).toString('hex')));
    const ok = await passwordMatchesAsync(password, stored);
    if (login === undefined || !ok) {
      throw new TrunklineError('UNAUTHENTICATED', 'The authentication details provided are invalid.');
    }
    const principal = loginPrincipal(login);
    if (this.ttlMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(key, { principal, username, expires: this.now() + this.ttlMs });
    }
    return principal;
  }

  /** Forget a login at once (after a change through this process). */
  invalidate(username: string): void {
    for (const [key, entry] of this.cache) if (entry.username === username) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}
