/**
 * Identifier generation: branch (RFC 3261 §8.1.1.7), tags (§19.3) and Call-IDs (§8.1.1.4).
 *
 * All three must be globally unique and unguessable enough that a third party cannot forge
 * a matching response (§17.1.3 matches on branch alone), so they come from the CSPRNG.
 */
import { randomFillSync } from 'node:crypto';
import { MAGIC_COOKIE } from './via.js';

// One CSPRNG call per 4 KiB instead of one per identifier: every response and request needs a tag or a
// branch, and a randomBytes() call per message showed as ~6% of the edge's CPU under OPTIONS load.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** Random token characters (base64url is a subset of token, §25.1). */
export function randomToken(bytes = 12): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + bytes);
  // Never hand the same bytes out twice.
  offset += bytes;
  return token;
}

/** New RFC 3261 branch: magic cookie + 96 random bits. */
export function generateBranch(): string {
  return MAGIC_COOKIE + randomToken(12);
}

/** New From/To tag: at least 32 bits of randomness (§19.3); we use 64. */
export function generateTag(): string {
  return randomToken(8);
}

/** New Call-ID, optionally "@host" qualified (§8.1.1.4 recommends it). */
export function generateCallId(host?: string): string {
  const id = randomToken(16);
  return host ? `${id}@${host}` : id;
}

/**
 * To tag for a stateless response (§8.2.7): derived from the request, so that a retransmission of the same
 * request gets the same tag. FNV-1a over the top Via branch, Call-ID, From tag and CSeq: it only has to be
 * stable and different per request, not secret (no dialog is ever created from it).
 */
export function statelessTag(parts: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
    }
    h1 = Math.imul(h1 ^ 0x7c, 0x01000193) >>> 0; // separator, so ["ab","c"] and ["a","bc"] differ
  }
  return h1.toString(36) + h2.toString(36);
}
