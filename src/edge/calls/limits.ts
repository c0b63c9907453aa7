/**
 * Concurrent-call limits, checked before a call is sent (null = no limit):
 *   origin:      maxCallsOrig (Wavix `max_channels` when `channels_restrict`), maxCallsTotal
 *   destination: maxCallsTerm (Enswitch `outmaximum`, -1 = null),            maxCallsTotal
 * Wavix and Enswitch limits are the canonical fields (docs/model.md), so one check covers all three
 * dialects; the refusal names the limit as the connection's own dialect calls it.
 * Over a limit: 503 Service Unavailable with the limit in the reason phrase and a Warning (RFC 3261 §20.43).
 */
import type { Connection } from '../../model/index.js';
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
