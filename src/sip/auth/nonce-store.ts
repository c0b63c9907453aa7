/**
 * Server nonces for Digest authentication (RFC 7616 §3.3, §5.4; RFC 3261 §22.4).
 *
 * A nonce is self-verifying: base64url( issue-time(8) ‖ random(12) ‖ HMAC-SHA256(secret,
 * issue-time ‖ random ‖ realm)[0..16] ). Any node holding the secret can check that it issued
 * a nonce and how old it is without remembering it, so challenges cost no memory.
 *
 * Replay protection needs a little state: for each nonce in use we remember the highest
 * nonce-count (`nc`) accepted, and a later request must use a strictly greater one. That table
 * is bounded (LRU). When an entry is evicted we raise a watermark to its issue time; a nonce
 * issued at or before the watermark that is no longer tracked cannot be proven fresh and is
 * answered as stale (the client retries with a new nonce without asking the user again), so
 * eviction never re-opens a replay window.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface NonceStoreOptions {
  /** HMAC key; share it between nodes that must accept each other's nonces. Default: random per process. */
  secret?: Buffer | string;
  /** How long a nonce is valid (default 5 minutes). */
  lifetimeMs?: number;
  /** How many nonces' nc values are tracked at most (default 10 000). */
  maxTracked?: number;
  /** Clock (for tests). */
  now?: () => number;
}

export type NonceStatus =
  | { status: 'valid'; issuedAt: number }
  | { status: 'expired'; issuedAt: number }
  | { status: 'invalid' };

export type NonceCountResult = 'ok' | 'replay' | 'untracked';

const RAW_LENGTH = 8 + 12 + 16;

export class NonceStore {
  private readonly secret: Buffer;
  readonly lifetimeMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly tracked = new Map<string, { nc: number; issuedAt: number }>();
  private watermark = -1;

  constructor(options: NonceStoreOptions = {}) {
    this.secret = options.secret === undefined ? randomBytes(32) : Buffer.from(options.secret);
    this.lifetimeMs = options.lifetimeMs ?? 5 * 60_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  private mac(ts: Buffer, rand: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret).update(ts).update(rand).update(realm, 'utf8').digest().subarray(0, 16);
  }

  /** A fresh nonce bound to `realm`. */
  issue(realm: string): string {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))));
    const rand = randomBytes(12);
    return Buffer.concat([ts, rand, this.mac(ts, rand, realm)]).toString('base64url');
  }

  /** Did we issue this nonce for `realm`, and is it still within its lifetime? */
  check(nonce: string, realm: string): NonceStatus {
    if (nonce.length !== 48 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { status: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== RAW_LENGTH) return { status: 'invalid' };
    const ts = raw.subarray(0, 8);
    const rand = raw.subarray(8, 20);
    const mac = raw.subarray(20);
    if (!timingSafeEqual(mac, this.mac(ts, rand, realm))) return { status: 'invalid' };
    const issuedAt = Number(ts.readBigUInt64BE());
    const age = this.now() - issuedAt;
    if (age < -60_000) return { status: 'invalid' }; // from the future: not ours
    return age > this.lifetimeMs ? { status: 'expired', issuedAt } : { status: 'valid', issuedAt };
  }

  /**
   * Record a use of `nonce` with nonce-count `nc` (call only after the response digest
   * verified). `replay` when nc is not greater than the last accepted one; `untracked` when
   * the nonce's history was evicted and freshness cannot be proven (answer stale).
   */
  useCount(nonce: string, issuedAt: number, nc: number): NonceCountResult {
    const entry = this.tracked.get(nonce);
    if (entry === undefined) {
      if (issuedAt <= this.watermark) return 'untracked';
      this.tracked.set(nonce, { nc, issuedAt });
      this.evict();
      return 'ok';
    }
    if (nc <= entry.nc) return 'replay';
    // Move to the most-recently-used end.
    this.tracked.delete(nonce);
    this.tracked.set(nonce, { nc, issuedAt });
    return 'ok';
  }

  /** Nonces currently tracked (for tests and metrics). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  private evict(): void {
    const horizon = this.now() - this.lifetimeMs;
    while (this.tracked.size > this.maxTracked) {
      const first = this.tracked.entries().next();
      if (first.done) break;
      const [nonce, { issuedAt }] = first.value;
      this.tracked.delete(nonce);
      // An expired nonce is rejected on age alone; only live ones raise the watermark.
      if (issuedAt > horizon && issuedAt > this.watermark) this.watermark = issuedAt;
    }
  }
}
