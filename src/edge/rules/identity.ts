/**
 * The call identity the number and header rules work on: the parts of the Request-URI, To and From a
 * connection's settings can change, the caller's display name and the privacy the caller asked for.
 * The edge fills it from the SIP message and writes the result back; these rules never see SIP text.
 */

/** RFC 3323 §4.2 / RFC 3325 §9.3 privacy values, lower-case. */
export const PRIVACY_VALUES = ['header', 'session', 'user', 'none', 'critical', 'id'] as const;
export type PrivacyValue = (typeof PRIVACY_VALUES)[number];

export interface CallIdentity {
  readonly requestUser: string;
  readonly requestHost: string;
  readonly toUser: string;
  readonly toHost: string;
  readonly fromUser: string;
  readonly fromHost: string;
  /** From display name, unquoted; '' when none. */
  readonly displayName: string;
  /** Values of the caller's `Privacy` header (unknown values dropped); [] when none. */
  readonly privacy: readonly PrivacyValue[];
}

/** RFC 3323 §4.1.1.3: the From of an anonymous caller. */
export const ANONYMOUS_USER = 'anonymous';
export const ANONYMOUS_HOST = 'anonymous.invalid';
export const ANONYMOUS_DISPLAY_NAME = 'Anonymous';

/** Parse a `Privacy` header value (`id; critical`, `id;user`), ignoring what RFC 3323/3325 do not define. */
export function parsePrivacyHeader(value: string | undefined): PrivacyValue[] {
  if (value === undefined) return [];
  const out: PrivacyValue[] = [];
  for (const token of value.split(/[;,]/)) {
    const v = token.trim().toLowerCase();
    if ((PRIVACY_VALUES as readonly string[]).includes(v) && !out.includes(v as PrivacyValue)) out.push(v as PrivacyValue);
  }
  return out;
}

/**
 * The caller asked not to be identified: `Privacy: id` (RFC 3325) or `user` (RFC 3323), unless `none`
 * says otherwise, or an anonymous From (user `anonymous`, or the host `anonymous.invalid`).
 */
export function callerWithheld(identity: CallIdentity): boolean {
  const p = identity.privacy;
  if (!p.includes('none') && (p.includes('id') || p.includes('user'))) return true;
  return identity.fromUser.toLowerCase() === ANONYMOUS_USER || identity.fromHost.toLowerCase() === ANONYMOUS_HOST;
}

/** The caller's number is not known: empty, or a placeholder such as `unknown`/`unavailable`. */
export function callerUnknown(identity: CallIdentity): boolean {
  const u = identity.fromUser.trim().toLowerCase();
  return u === '' || u === 'unknown' || u === 'unavailable' || u === 'restricted';
}
