/**
 * Dial policies: may this caller dial that destination?
 *
 * A policy is a set of permissions, each a pattern (`permission-match`, the dial pattern grammar of
 * `pattern.ts`) with a mode, `permit` or `deny`. The vendor keys a permission by its match alone (its id is
 * the base64 of the match) and gives no order, and describes policies as "allow all but X" or "deny all but
 * X" — which only works if the specific entry beats the general one. So:
 *   - the most specific matching permission decides (same ordering as dial rules: user part, then host;
 *     more literal characters, then more `?`/`[...]`, then fewer `*`);
 *   - when equally specific permissions disagree, deny wins;
 *   - when nothing matches, the destination is denied. A policy that should allow by default says so with
 *     a `*` permit: failing closed is the safe reading for a toll-fraud control.
 * An empty policy name on a connection means "no policy": the edge does not call this at all.
 */
import { compareSpecificity, compileDialPattern, matchDialPattern, parseDialSubject, type CompiledDialPattern } from './pattern.js';
import type { DialPolicy, Permission } from './types.js';

export interface PolicyDecision {
  readonly permitted: boolean;
  /** The permission that decided; undefined when none matched (denied by default). */
  readonly permission: Permission | undefined;
}

interface CompiledPermission {
  readonly permission: Permission;
  readonly pattern: CompiledDialPattern;
}

const cache = new WeakMap<readonly Permission[], readonly CompiledPermission[]>();

function compiled(permissions: readonly Permission[]): readonly CompiledPermission[] {
  let list = cache.get(permissions);
  if (list === undefined) {
    list = permissions
      .map((permission) => ({ permission, pattern: compileDialPattern(permission.match, 'match') }))
      .sort((a, b) => compareSpecificity(a.pattern, b.pattern) || (a.permission.mode === 'deny' ? -1 : 0) - (b.permission.mode === 'deny' ? -1 : 0));
    cache.set(permissions, list);
  }
  return list;
}

/**
 * Decide for `destination`, written as a dialled number (`18005551234`) or a URI
 * (`sip:18005551234@carrier.example`). Throws ValidationError only for a permission that validation would
 * have refused.
 */
export function explainPolicy(policy: DialPolicy, destination: string): PolicyDecision {
  const subject = parseDialSubject(destination);
  for (const c of compiled(policy.permissions)) {
    if (matchDialPattern(c.pattern, subject)) return { permitted: c.permission.mode === 'permit', permission: c.permission };
  }
  return { permitted: false, permission: undefined };
}

export function policyPermits(policy: DialPolicy, destination: string): boolean {
  return explainPolicy(policy, destination).permitted;
}
