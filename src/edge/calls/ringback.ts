/**
 * What the caller hears while the call is being set up: which provisional responses from the destination reach
 * the caller, and whether trunkline rings the caller itself.
 *
 * The destination connection's `remoteRingback` governs the 18x coming from it:
 *   - `allowed` (default): 180 and 183 cross with their SDP, so the caller hears the far end's ringback or
 *     announcements (early media).
 *   - `local-only`: the first 180 or 183 reaches the caller as `180 Ringing` without SDP, so the caller plays its
 *     own ringback tone; later 180/183 are not repeated. Other 18x (181, 182, 199) cross without SDP.
 *   - `no-ringback`: no 180 or 183 reaches the caller (it sees 100 Trying, then the final answer); other 18x cross
 *     without SDP.
 * The origin connection's `hidePostDialDelayWithRingback` makes trunkline answer the caller `180 Ringing` (no SDP)
 * as soon as the INVITE to the destination is sent, so the caller rings during the post-dial delay; a ringing
 * 18x without SDP from the destination is then not repeated, while one with SDP (early media) still crosses
 * when `remoteRingback` allows it.
 *
 * A dropped reliable provisional (RFC 3262) is PRACKed by trunkline itself, and SDP withheld from a reliable one
 * is given to the caller in the 2xx if the callee's 2xx has none (call.ts).
 */
import type { RemoteRingback } from '../../model/index.js';

export type ProvisionalAction =
  | { readonly kind: 'relay'; readonly status: number; readonly reason: string; readonly keepSdp: boolean }
  | { readonly kind: 'drop' };

export interface ProvisionalInput {
  readonly status: number;
  readonly reason: string;
  readonly hasSdp: boolean;
  /** The destination connection's `remoteRingback`. */
  readonly remoteRingback: RemoteRingback;
  /** The origin connection's `hidePostDialDelayWithRingback`. */
  readonly hidePostDialDelay: boolean;
  /** The caller already got a 180 or 183 on this call. */
  readonly ringingSent: boolean;
}

/** What becomes of a 1xx (other than 100) from the destination. */
export function provisionalAction(p: ProvisionalInput): ProvisionalAction {
  const ringing = p.status === 180 || p.status === 183;
  if (!ringing) return { kind: 'relay', status: p.status, reason: p.reason, keepSdp: p.remoteRingback === 'allowed' };
  switch (p.remoteRingback) {
    case 'no-ringback':
      return { kind: 'drop' };
    case 'local-only':
      return p.ringingSent ? { kind: 'drop' } : { kind: 'relay', status: 180, reason: 'Ringing', keepSdp: false };
    default:
      if (p.hidePostDialDelay && p.ringingSent && !p.hasSdp) return { kind: 'drop' };
      return { kind: 'relay', status: p.status, reason: p.reason, keepSdp: true };
  }
}
