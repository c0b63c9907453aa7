/**
 * Concurrent-call limits, checked before a call is sent (null = no limit):
 *   origin:      maxCallsOrig (Wavix `max_channels` when `channels_restrict`), maxCallsTotal
 *   destination: maxCallsTerm (Enswitch `outmaximum`, -1 = null),            maxCallsTotal
 * Wavix and Enswitch limits are the canonical fields (docs/model.md), so one check covers all three
 * dialects; the refusal names the limit as the connection's own dialect calls it.
 * Over a limit: 503 Service Unavailable with the limit in the reason phrase and a Warning (RFC 3261 §20.43).
 *
 * `admitCall` checks and takes the slots in one step through the engine's LiveState (src/edge/live/): in
 * memory for one process, atomically across edges with Redis. With Redis unreachable and fail-closed, the
 * call gets `503 Call Limits Unavailable`.
 */
import type { Connection } from '../../model/index.js';
import type { Admission, CallSlot } from '../live/live-state.js';
import type { LiveCounters } from './live-counters.js';

export interface LimitRefusal {
  readonly status: 503;
  readonly reason: string;
  /** Warning header value: `399 <agent> "<text>"`. */
  readonly warning: string;
  readonly connectionId: number;
  readonly limit: string;
}

function limitName(c: Connection, field: 'maxCallsOrig' | 'maxCallsTerm' | 'maxCallsTotal'): string {
  if (field === 'maxCallsOrig' && c.ext.wavix !== undefined) return 'max_channels';
  if (field === 'maxCallsTerm' && c.ext.enswitch !== undefined) return 'outmaximum';
  return { maxCallsOrig: 'limits-max-active-calls-orig', maxCallsTerm: 'limits-max-active-calls-term', maxCallsTotal: 'limits-max-active-calls-total' }[field];
}

function refuse(c: Connection, field: 'maxCallsOrig' | 'maxCallsTerm' | 'maxCallsTotal', max: number, agent: string): LimitRefusal {
  const name = limitName(c, field);
  const side = field === 'maxCallsOrig' ? 'Origination' : field === 'maxCallsTerm' ? 'Termination' : 'Total';
  return {
    status: 503,
    reason: `${side} Call Limit Reached`,
    warning: `399 ${agent} "${name} ${max} reached on connection ${c.id}"`,
    connectionId: c.id,
    limit: name,
  };
}

const over = (limit: number | null, current: number): limit is number => limit !== null && limit >= 0 && current >= limit;

/** The first limit a new call from `origin` to `destination` would break, or undefined. */
export function checkLimits(origin: Connection, destination: Connection, live: LiveCounters, agent: string): LimitRefusal | undefined {
  if (over(origin.maxCallsOrig, live.active(origin.id, 'orig'))) return refuse(origin, 'maxCallsOrig', origin.maxCallsOrig, agent);
  if (over(origin.maxCallsTotal, live.total(origin.id))) return refuse(origin, 'maxCallsTotal', origin.maxCallsTotal, agent);
  if (over(destination.maxCallsTerm, live.active(destination.id, 'term'))) return refuse(destination, 'maxCallsTerm', destination.maxCallsTerm, agent);
  if (over(destination.maxCallsTotal, live.total(destination.id))) return refuse(destination, 'maxCallsTotal', destination.maxCallsTotal, agent);
  return undefined;
}

/** The slot a call from `origin` to `destination` takes, with the limits it must fit in. */
export function callSlot(origin: Connection, destination: Connection): CallSlot {
  return {
    origId: origin.id,
    termId: destination.id,
    origMax: origin.maxCallsOrig,
    origTotalMax: origin.maxCallsTotal,
    termMax: destination.maxCallsTerm,
    termTotalMax: destination.maxCallsTotal,
  };
}

/** The refusal for an admission that failed (undefined when admitted). */
export function refusalOf(a: Admission, origin: Connection, destination: Connection, agent: string): LimitRefusal | undefined {
  if (a.ok) return undefined;
  if (a.reason === 'unavailable') {
    return {
      status: 503,
      reason: 'Call Limits Unavailable',
      warning: `399 ${agent} "live call state unavailable"`,
      connectionId: origin.id,
      limit: 'live-state',
    };
  }
  return refuse(a.side === 'origin' ? origin : destination, a.field, a.max, agent);
}

/**
 * Check the limits of a new call and, when it fits, count it on both connections (atomically, also across
 * edges sharing Redis). Undefined = admitted: the caller must end() both sides when the call ends.
 */
export async function admitCall(origin: Connection, destination: Connection, live: LiveCounters, agent: string): Promise<LimitRefusal | undefined> {
  return refusalOf(await live.admit(callSlot(origin, destination)), origin, destination, agent);
}
