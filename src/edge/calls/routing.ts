/**
 * Where a call goes: the outgoing connection, and the address, port and transport its INVITE is sent to.
 *
 * Routing order (docs/edge-calls.md):
 *   1. (not yet) the origin's NetSapiens dial plan: the store keeps no dial plans or dial rules yet, so
 *      `routeCall` from src/model/dialplan cannot be fed; `dialPlan`/`dialPolicy` are not consulted.
 *   2. term match patterns: every other connection whose `termMatchPattern` (default: its orig pattern)
 *      matches the Request-URI, most specific first (more literal characters), ties by id.
 * The origin never routes to itself.
 */
import { isIP } from 'node:net';
import { matchesPattern, type MatchSubject } from '../../model/index.js';
import {
  defaultPort,
  isSipUri,
  parseUri,
  SipUri,
  type Destination,
  type TransportProtocol,
  type Uri,
} from '../../sip/index.js';
import type { ReachableBinding } from '../call-handler.js';
import type { ConnectionIndex, IndexedConnection } from '../connection-index.js';

const byTermSpecificity = new WeakMap<readonly IndexedConnection[], readonly IndexedConnection[]>();

/** Connections ordered most specific term pattern first (cached per index generation). */
export function termOrder(index: ConnectionIndex): readonly IndexedConnection[] {
  const all = index.values();
  let sorted = byTermSpecificity.get(all);
  if (sorted === undefined) {
    sorted = [...all].sort((a, b) => b.term.specificity - a.term.specificity || a.connection.id - b.connection.id);
    byTermSpecificity.set(all, sorted);
  }
  return sorted;
}

export function subjectOfUri(uri: Uri): MatchSubject | undefined {
  if (!isSipUri(uri)) return undefined;
  return { scheme: uri.scheme, user: uri.user, host: uri.host.toLowerCase(), port: uri.port };
}

/** The outgoing connection for a Request-URI, or undefined (404). */
export function findTermConnection(index: ConnectionIndex, subject: MatchSubject, originId: number): IndexedConnection | undefined {
  for (const ic of termOrder(index)) {
    if (ic.connection.id === originId) continue;
    if (matchesPattern(ic.term, subject)) return ic;
  }
  return undefined;
}

/** Where and how the INVITE of the term leg goes. */
export interface Target {
  /** Host and port the request is sent to. */
  readonly destination: Destination;
  readonly transport: TransportProtocol;
  /** Host[:port] for the Request-URI and To (before translations). */
  readonly uriHost: string;
  readonly uriPort: number | undefined;
  /** A registered trunk: its contact is the Request-URI (user and host replaced only by explicit translations). */
  readonly contact: SipUri | undefined;
  /** In-dialog requests keep going to `destination` (a registered trunk behind NAT), not to the Contact. */
  readonly pinned: boolean;
}

export type TargetResult = { readonly ok: true; readonly target: Target } | { readonly ok: false; readonly status: number; readonly reason: string };

export function transportOf(setting: string): TransportProtocol {
  const t = setting.toLowerCase();
  return t === 'tcp' ? 'tcp' : t === 'tls' ? 'tls' : 'udp';
}

/** `connection-address`: `host`, `host:port`, `[v6]:port`, `sip:user@host:port;params`, '' or `dynamic`. */
export function parseAddress(address: string): SipUri | undefined {
  const a = address.trim();
  if (a === '' || a.toLowerCase() === 'dynamic') return undefined;
  let text = /^sips?:/i.test(a) ? a : `sip:${a}`;
  // A bare IPv6 address without brackets.
  if (!/^sips?:/i.test(a) && isIP(a) === 6) text = `sip:[${a}]`;
  try {
    const uri = parseUri(text);
    return isSipUri(uri) ? uri : undefined;
  } catch {
    return undefined;
  }
}

/** The newest binding (the store's rows carry `registeredAt`; the seam's type does not promise it). */
function newest(bindings: readonly ReachableBinding[]): ReachableBinding | undefined {
  let best: ReachableBinding | undefined;
  let bestAt = '';
  for (const b of bindings) {
    const at = (b as { registeredAt?: unknown }).registeredAt;
    const when = typeof at === 'string' ? at : '';
    if (best === undefined || when >= bestAt) {
      best = b;
      bestAt = when;
    }
  }
  return best;
}

/** The target of a connection: its address, or for a registered trunk the contact it left. */
export async function resolveTarget(
  ic: IndexedConnection,
  bindingsOf: (id: number) => Promise<readonly ReachableBinding[]>,
): Promise<TargetResult> {
  const c = ic.connection;
  const configured = transportOf(c.transport);
  const uri = parseAddress(c.address);
  if (uri !== undefined) {
    const transport: TransportProtocol = uri.scheme === 'sips' ? 'tls' : configured;
    const maddr = uri.params.get('maddr');
    const host = typeof maddr === 'string' ? maddr : uri.hostname;
    return {
      ok: true,
      target: {
        destination: { host, port: uri.port ?? defaultPort(transport) },
        transport,
        uriHost: uri.host,
        uriPort: uri.port,
        contact: undefined,
        pinned: false,
      },
    };
  }
  const binding = newest(await bindingsOf(c.id));
  if (binding === undefined) return { ok: false, status: 480, reason: 'Destination Not Registered' };
  let contact: SipUri | undefined;
  try {
    const u = parseUri(binding.contact);
    if (isSipUri(u)) contact = u;
  } catch {
    contact = undefined;
  }
  if (contact === undefined) return { ok: false, status: 480, reason: 'Destination Contact Unusable' };
  const t = binding.transport.toLowerCase();
  const transport: TransportProtocol = t === 'tcp' || t === 'tls' ? t : 'udp';
  return {
    ok: true,
    target: {
      destination: { host: binding.sourceAddress, port: binding.sourcePort },
      transport,
      uriHost: contact.host,
      uriPort: contact.port,
      contact,
      pinned: true,
    },
  };
}
