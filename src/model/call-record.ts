/**
 * A call record (CDR): one per call the edge handled, answered or not, written when the call ends. It names the
 * connections on both legs and the numbers before and after translation, so an operator can see what a rule
 * did to a real call. Dialects map it to their own shape (NetSapiens `/cdrs`).
 */

/** How the call ended, from the caller's point of view. */
export const CALL_DISPOSITIONS = ['answered', 'busy', 'no-answer', 'cancelled', 'rejected', 'failed'] as const;
export type CallDisposition = (typeof CALL_DISPOSITIONS)[number];

export const CALL_ENDERS = ['caller', 'callee', 'edge'] as const;
export type CallEnder = (typeof CALL_ENDERS)[number];

/** The addressing of one leg as it was sent or received. */
export interface LegAddressing {
  readonly callId: string;
  readonly requestUri: string;
  readonly fromUri: string;
  readonly toUri: string;
  /** Remote IP of the leg (where the INVITE came from, or went to). */
  readonly ip: string;
}

export interface CallRecord {
  /** Unique id (UUID) assigned by the edge. */
  readonly id: string;
  /** Tenant the record belongs to: the originating connection's domain (`*` for system connections). */
  readonly domain: string;
  readonly origConnectionId: number | null;
  readonly termConnectionId: number | null;
  readonly termDomain: string | null;
  /** The incoming leg as received (before translation). */
  readonly orig: LegAddressing;
  /** The outgoing leg as sent (after translation); null when the call never left. */
  readonly term: LegAddressing | null;
  readonly startedAt: string; // ISO 8601
  readonly ringingAt: string | null;
  readonly answeredAt: string | null;
  readonly endedAt: string;
  /** endedAt - startedAt, whole seconds. */
  readonly durationSeconds: number;
  /** endedAt - answeredAt, whole seconds (0 when not answered). */
  readonly talkSeconds: number;
  readonly disposition: CallDisposition;
  /** Final SIP status the caller got (200 for answered calls). */
  readonly status: number;
  /** Why it ended: reason phrase, Reason header text, or what the edge decided ("limit: max-active-calls-orig"). */
  readonly reason: string;
  readonly endedBy: CallEnder;
}

export interface CallRecordFilter {
  /** Only records of this tenant. */
  readonly domain?: string;
  /** Only records of these tenants (scoped keys). */
  readonly domains?: readonly string[];
  /** startedAt >= from (inclusive), ISO 8601. */
  readonly from?: string;
  /** startedAt < to (exclusive), ISO 8601. */
  readonly to?: string;
  /** Either leg on this connection. */
  readonly connectionId?: number;
  /** Either leg's Call-ID. */
  readonly callId?: string;
  readonly start?: number;
  readonly limit?: number;
}

/** Whole seconds between two ISO instants, never negative. */
export function secondsBetween(fromIso: string | null, toIso: string): number {
  if (fromIso === null) return 0;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

/** Disposition from the caller's final status (and whether the caller cancelled). */
export function dispositionOf(status: number, cancelledByCaller: boolean): CallDisposition {
  if (status >= 200 && status < 300) return 'answered';
  if (cancelledByCaller || status === 487) return 'cancelled';
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  if (status === 403 || status === 404 || status === 603 || status === 503) return 'rejected';
  return 'failed';
}
