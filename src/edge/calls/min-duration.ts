/**
 * Minimum call duration (NetSapiens `minimum-call-duration-seconds` with `connection-enforce-minimum-duration-enabled`),
 * as AudioCodes' MinCallDuration: for carriers that penalise short calls. When a connection enforces N seconds and
 * the party on the *other* leg ends an answered call before N seconds after the answer, trunkline ends that other
 * leg at once (200 to its BYE) but keeps this connection's leg up until N seconds after the answer, then BYEs it.
 * The call record's reason says the leg was held. A connection's own party hanging up, a call trunkline ends
 * itself (maximum duration, shutdown) and unanswered calls are never held. Off, or N = 0: no hold.
 */
import type { Connection } from '../../model/index.js';

/** How long `c`'s leg must still be held when the other leg ends at `now` (0 = BYE it at once). */
export function minimumDurationHoldMs(c: Connection, answeredAt: number | undefined, now: number): number {
  if (answeredAt === undefined || !c.enforceMinimumDuration || c.minimumCallDurationSeconds <= 0) return 0;
  return Math.max(0, answeredAt + c.minimumCallDurationSeconds * 1000 - now);
}
