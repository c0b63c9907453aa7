/**
 * Wavix trunk number rewriting (seed 003: `rewrite_enabled` "custom dial plan", `rewrite_cond` "Leading
 * digits to remove from dialed phone numbers", `rewrite_prefix` "Leading digits to prepend to dialed phone
 * numbers"). It acts on the numbers the customer dials through the trunk, i.e. calls the trunk sends to
 * trunkline (the orig leg), on the Request-URI user and the To user.
 *
 * Order and condition: when `rewrite_enabled`, a dialled number that starts with `rewrite_cond` loses those
 * leading digits and then gets `rewrite_prefix` in front. A number that does not start with `rewrite_cond`
 * is left alone, prefix included: the pair is one "replace leading X by Y" rule, so `0` -> `44` turns
 * `07700900123` into `447700900123` without turning an already-international `447700900123` into
 * `44447700900123`. An empty `rewrite_cond` matches every number (pure prefixing).
 */
import type { CallIdentity } from './identity.js';
import type { StepResult } from './translations.js';

export interface WavixRewriteSettings {
  readonly rewriteEnabled: boolean;
  readonly rewriteCond: string;
  readonly rewritePrefix: string;
}

/** The rewritten number, or the number unchanged when the rule does not apply. */
export function rewriteDialledNumber(number: string, s: WavixRewriteSettings): string {
  if (!s.rewriteEnabled) return number;
  if (!number.startsWith(s.rewriteCond)) return number;
  return s.rewritePrefix + number.slice(s.rewriteCond.length);
}

export function applyWavixRewrite(identity: CallIdentity, s: WavixRewriteSettings): StepResult {
  const requestUser = rewriteDialledNumber(identity.requestUser, s);
  const toUser = rewriteDialledNumber(identity.toUser, s);
  const changed = requestUser !== identity.requestUser || toUser !== identity.toUser;
  return { identity: changed ? { ...identity, requestUser, toUser } : identity, applied: changed ? ['rewrite'] : [], skipped: [] };
}
