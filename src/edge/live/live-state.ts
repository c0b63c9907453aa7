/**
 * Live call state: how many calls each connection has up right now, and the admission of a new call against
 * its concurrent-call limits. Two implementations:
 *
 *   MemoryLiveState  one process (the embedded default): counts in memory, limits per process.
 *   RedisLiveState   several edge processes sharing one Redis: counts per edge in Redis, limits checked and
 *                    slots taken in one Lua script (atomic across edges), dead edges' counts removed.
 *
 * The call engine asks `acquire` before it sends a call and `release`s each side when the call ends. See
 * docs/edge-calls.md ("Scale-out: Redis live state").
 */

export type CallDirection = 'orig' | 'term';

export type LimitField = 'maxCallsOrig' | 'maxCallsTerm' | 'maxCallsTotal';

/** A new call from `origId` to `termId` and the limits it must fit in (null = no limit). */
export interface CallSlot {
  readonly origId: number;
  readonly termId: number;
  /** origin's maxCallsOrig */
  readonly origMax: number | null;
  /** origin's maxCallsTotal */
  readonly origTotalMax: number | null;
  /** destination's maxCallsTerm */
  readonly termMax: number | null;
  /** destination's maxCallsTotal */
  readonly termTotalMax: number | null;
}

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'limit'; readonly side: 'origin' | 'destination'; readonly field: LimitField; readonly max: number }
  /** Fail-closed mode and the shared state could not be reached. */
  | { readonly ok: false; readonly reason: 'unavailable' };

/** The figures a connection shows (ConnectionLive without the registration datetimes). */
export interface LiveFigures {
  readonly activeOrig: number;
  readonly activeTerm: number;
  readonly origSinceStartup: number;
  readonly termSinceStartup: number;
  readonly maxThisMonth: number;
  readonly maxLastMonth: number;
  readonly talkTimeThisMonth: number;
}

/** Month figures read back from the store at start, to continue in the shared state. */
export type MonthSeed = Pick<LiveFigures, 'maxThisMonth' | 'maxLastMonth' | 'talkTimeThisMonth'>;

export interface LiveState {
  /** This process's id in the shared state ('local' for memory). */
  readonly edgeId: string;
  /** True when the counts are shared between edges (the store then gets cluster-wide figures). */
  readonly shared: boolean;
  /** Connect and register (shared state); idempotent. */
  start(): Promise<void>;
  /** Check the limits and, when the call fits, count it on both connections, atomically. Never rejects. */
  acquire(slot: CallSlot): Promise<Admission>;
  /** One side of a call ended; `talkMs` is its answered time (0 when never answered). Never rejects. */
  release(connectionId: number, direction: CallDirection, talkMs: number): Promise<void>;
  /** Cluster-wide figures (shared state only; may reject when the shared state is unreachable). */
  figures(ids: readonly number[], now: Date): Promise<Map<number, LiveFigures>>;
  /** Continue the month figures the store had (shared state only; the larger/existing value wins). */
  seed(seeds: ReadonlyMap<number, MonthSeed>, now: Date): Promise<void>;
  /** Connections whose figures changed without a call of this edge (a dead edge's counts removed). */
  onChanged(listener: (ids: readonly number[]) => void): () => void;
  /** Stop timers, remove this edge's contribution (shared), disconnect. */
  close(): Promise<void>;
}

/** Current counts of the two connections of a slot. */
export interface SlotCounts {
  readonly origOrig: number;
  readonly origTerm: number;
  readonly termOrig: number;
  readonly termTerm: number;
}

const over = (limit: number | null, current: number): limit is number => limit !== null && limit >= 0 && current >= limit;

/**
 * The first limit the slot would break, in the order the edge has always checked them (origin orig, origin
 * total, destination term, destination total). The Lua script in redis-live-state.ts mirrors this.
 */
export function firstBreach(slot: CallSlot, c: SlotCounts): Admission | undefined {
  if (over(slot.origMax, c.origOrig)) return { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsOrig', max: slot.origMax };
  if (over(slot.origTotalMax, c.origOrig + c.origTerm)) return { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsTotal', max: slot.origTotalMax };
  if (over(slot.termMax, c.termTerm)) return { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTerm', max: slot.termMax };
  if (over(slot.termTotalMax, c.termOrig + c.termTerm)) return { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTotal', max: slot.termTotalMax };
  return undefined;
}

/** UTC month, as used in key names: `2026-01`. */
export function monthKey(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function previousMonthKey(d: Date): string {
  const p = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return monthKey(p);
}
