/**
 * Identifier generation: branch (RFC 3261 §8.1.1.7), tags (§19.3) and Call-IDs (§8.1.1.4).
 *
 * All three must be globally unique and unguessable enough that a third party cannot forge
 * a matching response (§17.1.3 matches on branch alone), so they come from the CSPRNG.
 */
import { randomBytes } from 'node:crypto';
import { MAGIC_COOKIE } from './via.js';

/** Random token characters (base64url is a subset of token, §25.1). */
export function randomToken(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
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
