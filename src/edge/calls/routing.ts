/**
 * Where a call goes: the outgoing connection, and the address, port and transport its INVITE is sent to.
 *
 * Routing order (docs/edge-calls.md, `routeOutgoing`):
 *   1. the origin's dial policy (`dialPolicy`): `policyPermits` must allow the dialled destination, else 403;
 *   2. the origin's dial plan (`dialPlan`, looked up in the origin's domain, then `*`): `routeCall` picks the rule
 *      (time conditions in the origin's `timeZone`/`utcOffset`), rewrites destination and source, and a
 *      `to-connection` rule sends the call to the connection whose term match pattern matches the rewritten
 *      destination;
 *   3. without a dial plan (or when the named plan does not exist): term match patterns, every other connection
 *      whose `termMatchPattern` (default: its orig pattern) matches the Request-URI, most specific first (more
 *      literal characters), ties by id.
 * The origin never routes to itself. The decision is a ranked list (`candidates`, most specific first, connections
 * with termination disabled left out): when the first fails before the answer with 408, 5xx, no response or a
 * transport error, the call engine tries the next (failover, call.ts), unless the dial rule is
 * `to-connection-or-user-no-failover`. Dial plans and policies come from an in-memory copy (`DialPlanBook`) kept in
 * step with the store by polling `connectionsVersion()`, which every dial plan write changes.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { SYSTEM_DOMAIN, matchesPattern, type MatchSubject } from '../../model/index.js';
import {
  explainPolicy,
  routeCall,
  type DialPlan,
  type DialPolicy,
  type DialRuleApplication,
  type RouteResult,
} from '../../model/dialplan/index.js';
import type { DialPlanSnapshot, Store } from '../../store/store.js';
import type { CallIdentity } from '../rules/index.js';
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
import { CoalescedTask } from '../coalesced-task.js';
import type { ConnectionIndex, IndexedConnection } from '../connection-index.js';

// ---------------------------------------------------------------------------------------------------------
// Dial plans and dial policies: the edge's copy

const key = (domain: string, name: string): string => `${domain}\n${name}`;

export interface DialPlanBookOptions {
  /** How often the store's version is polled (default 1 s, as the connection loader). */
  pollMs?: number;
}

/**
 * Every dial plan and dial policy in memory, so routing never waits on the database. Loaded at `start()`, then
 * reloaded whenever `store.connectionsVersion()` changes (dial plan, rule, policy and permission writes change it,
 * from this process or any other sharing the database). Reloads never overlap; a failed one keeps the last copy.
 */
export class DialPlanBook {
  #plans = new Map<string, DialPlan>();
  #policies = new Map<string, DialPolicy>();
  #version: string | undefined;
  #loaded = false;
  readonly #reloads = new CoalescedTask(() => this.#load(), () => this.#closed);
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly store: Pick<Store, 'loadDialPlans' | 'connectionsVersion'>,
    private readonly logger: Logger,
    private readonly options: DialPlanBookOptions = {},
  ) {}

  /** Load now (in the background) and keep polling. */
  start(): void {
    void this.reload().catch(() => undefined);
    this.#timer = setInterval(() => void this.#poll(), this.options.pollMs ?? 1_000);
    this.#timer.unref();
  }

  /** True once a first load has succeeded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** The store version the copy was loaded at. */
  get version(): string | undefined {
    return this.#version;
  }

  /** A connection's plan: the one of that name in its domain, else the system-wide (`*`) one. */
  plan(domain: string, name: string): DialPlan | undefined {
    return this.#plans.get(key(domain, name)) ?? this.#plans.get(key(SYSTEM_DOMAIN, name));
  }

  /** A connection's policy, looked up as `plan`. */
  policy(domain: string, name: string): DialPolicy | undefined {
    return this.#policies.get(key(domain, name)) ?? this.#policies.get(key(SYSTEM_DOMAIN, name));
  }

  /** Replace the copy (tests; `reload` uses it). */
  replace(snapshot: DialPlanSnapshot, version?: string): void {
    this.#plans = new Map(snapshot.plans.map((p) => [key(p.domain, p.name), p]));
    this.#policies = new Map(snapshot.policies.map((p) => [key(p.domain, p.name), p]));
    this.#version = version;
    this.#loaded = true;
  }

  /** Load from the store now. Resolves when the copy reflects every write committed before the call. */
  reload(): Promise<void> {
    return this.#reloads.run();
  }

  async #load(): Promise<void> {
    try {
      // Version first: a write racing the load shows up as a newer version on the next poll.
      const version = await this.store.connectionsVersion();
      const snapshot = await this.store.loadDialPlans();
      this.replace(snapshot, version);
      this.logger.debug({ plans: snapshot.plans.length, policies: snapshot.policies.length, version }, 'SIP edge dial plans reloaded');
    } catch (err) {
      this.logger.warn({ err }, 'SIP edge could not load the dial plans; keeping the current copy');
      throw err;
    }
  }

  async #poll(): Promise<void> {
    if (this.#closed || this.#reloads.running) return;
    try {
      if ((await this.store.connectionsVersion()) !== this.#version) await this.reload();
    } catch {
      /* logged by reload, or the store is closing; the next poll tries again */
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#reloads.settled();
  }
}

/** Applications that hand the call to a connection (the rest need users, queues or voicemail trunkline lacks). */
export const TO_CONNECTION_APPLICATIONS: ReadonlySet<DialRuleApplication> = new Set<DialRuleApplication>([
  'to-connection',
  'to-connection-or-user-no-failover',
  'to-connection-block-caller-id',
  'to-connection-no-timeout',
  'to-connection-add-header-force-caller-id',
  'to-connection-add-header-no-timeout',
  'to-connection-add-header',
]);

export type RouteDecision =
  | {
      readonly ok: true;
      /** The most specific match (may have termination disabled: then `candidates` can be empty). */
      readonly dest: IndexedConnection;
      /** Connections to try in order, termination enabled, at most `maxCandidates`. */
      readonly candidates: readonly IndexedConnection[];
      /** The caller's identity with the dial rule's rewrite applied (unchanged without a dial plan). */
      readonly identity: CallIdentity;
      /** The dial rule that decided, when a dial plan routed the call. */
      readonly route: RouteResult | undefined;
    }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly headers: [string, string][] };

export interface RouteOutgoingInput {
  readonly index: ConnectionIndex;
  /** The dial plans; undefined = none configured (routing by term match patterns only). */
  readonly dialPlans: DialPlanBook | undefined;
  readonly origin: IndexedConnection;
  /** The caller's identity after the origin's own rules (Wavix rewrite). */
  readonly identity: CallIdentity;
  /** The Request-URI as received (scheme, host, port). */
  readonly subject: MatchSubject;
  readonly now?: Date;
  readonly logger?: Logger;
  /** How many connections the decision may list for failover (default 1: the most specific only). */
  readonly maxCandidates?: number;
}

/**
 * Failures of one destination that make the engine try the next (before the answer): 408 and 5xx from the far
 * end (or trunkline's own 503 for it: limits, `fail_percent`, no transport, not registered); 4xx and 6xx are
 * the callee's answer and go to the caller.
 */
export function failsOver(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

const quoted = (text: string): string => text.replace(/[\\"\r\n]/g, ' ');
const refuse = (status: number, reason: string, warning: string): RouteDecision => ({
  ok: false,
  status,
  reason,
  headers: [['Warning', `399 trunkline "${quoted(warning)}"`]],
});

/**
 * Choose the outgoing connection for a call from `origin` (order in the header of this file). Never throws:
 * every refusal is a SIP status, reason phrase and a Warning saying why.
 */
export function routeOutgoing(input: RouteOutgoingInput): RouteDecision {
  const c = input.origin.connection;
  const id = input.identity;
  const dialled = id.requestUser;
  const limit = Math.max(1, input.maxCandidates ?? 1);
  const book = input.dialPlans;
  if ((c.dialPolicy !== '' || c.dialPlan !== '') && book !== undefined && !book.loaded) {
    return refuse(503, 'Dial Plans Not Loaded', 'dial plans are still loading; retry');
  }

  if (c.dialPolicy !== '' && book !== undefined) {
    const policy = book.policy(c.domain, c.dialPolicy);
    const destination = `${input.subject.scheme}:${dialled}@${input.subject.host}`;
    if (policy === undefined) {
      // Fail closed: a toll-fraud control that cannot be found must not let everything through.
      return refuse(403, `Dial Policy ${c.dialPolicy} Not Found`, `dial policy ${c.dialPolicy} of connection ${c.id} does not exist`);
    }
    let decision;
    try {
      decision = explainPolicy(policy, destination);
    } catch (err) {
      input.logger?.warn({ err, policy: policy.name, domain: policy.domain }, 'dial policy unusable');
      return refuse(403, `Dial Policy ${policy.name} Unusable`, `dial policy ${policy.name} has a permission that does not compile`);
    }
    if (!decision.permitted) {
      const why = decision.permission === undefined ? 'no permission matches' : `${decision.permission.match} denied${decision.permission.reason === '' ? '' : `: ${decision.permission.reason}`}`;
      return refuse(403, `Forbidden By Dial Policy ${policy.name}`, `dial policy ${policy.name} denies ${dialled} (${why})`);
    }
  }

  const plan = c.dialPlan !== '' ? book?.plan(c.domain, c.dialPlan) : undefined;
  if (plan === undefined) {
    if (c.dialPlan !== '' && book !== undefined) {
      input.logger?.debug({ connectionId: c.id, dialPlan: c.dialPlan }, 'dial plan not found: routing by term match patterns');
    }
    const found = findTermConnections(input.index, { ...input.subject, user: dialled === '' ? undefined : dialled }, c.id, limit);
    if (found === undefined) return { ok: false, status: 404, reason: 'No Route', headers: [] };
    return { ok: true, ...found, identity: id, route: undefined };
  }

  let route: RouteResult | undefined;
  try {
    const ownDomain = plan.domain !== SYSTEM_DOMAIN ? plan.domain : c.domain !== SYSTEM_DOMAIN ? c.domain : undefined;
    route = routeCall({
      dialPlan: plan,
      toUser: dialled,
      toHost: input.subject.host,
      toScheme: input.subject.scheme,
      fromUser: id.fromUser,
      fromHost: id.fromHost,
      fromName: id.displayName,
      now: input.now ?? new Date(),
      timeZone: c.timeZone,
      utcOffset: c.utcOffset,
      ...(ownDomain === undefined ? {} : { tokens: { ownDomain } }),
    });
  } catch (err) {
    input.logger?.warn({ err, connectionId: c.id, dialPlan: plan.name }, 'dial plan unusable');
    return refuse(500, 'Dial Plan Unusable', `dial plan ${plan.name} could not be evaluated for connection ${c.id}`);
  }
  if (route === undefined) return refuse(404, 'No Matching Dial Rule', `no rule of dial plan ${plan.name} matches ${dialled}`);
  if (route.application === 'hangup') return refuse(403, 'Rejected By Dial Plan', `dial plan ${plan.name} hangs up on ${route.rule.matchToUri}`);
  if (!TO_CONNECTION_APPLICATIONS.has(route.application)) {
    return refuse(404, 'No Route', `dial rule ${route.rule.matchToUri} of plan ${plan.name} uses ${route.application}, which trunkline cannot route`);
  }
  const noFailover = route.application === 'to-connection-or-user-no-failover';
  const found = findTermConnections(
    input.index,
    { scheme: route.toScheme ?? 'sip', user: route.toUser === '' ? undefined : route.toUser, host: route.toHost.toLowerCase(), port: undefined },
    c.id,
    noFailover ? 1 : limit,
    noFailover,
  );
  if (found === undefined) {
    return refuse(404, 'No Route', `no connection's term match pattern matches ${route.toUser}@${route.toHost} (dial plan ${plan.name})`);
  }
  return {
    ok: true,
    ...found,
    route,
    identity: {
      ...id,
      requestUser: route.toUser,
      toUser: route.toUser,
      fromUser: route.fromUser,
      fromHost: route.fromHost,
      displayName: route.fromName,
    },
  };
}

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

/**
 * The most specific connection for a Request-URI and up to `limit` connections to try, most specific first,
 * termination enabled. `onlyFirst`: the list is the first match or nothing (no failover, not even past a
 * connection with termination disabled). Undefined when nothing matches (404). Stops scanning once the list is
 * full, so a call costs no more than the matches it may use.
 */
export function findTermConnections(
  index: ConnectionIndex,
  subject: MatchSubject,
  originId: number,
  limit: number,
  onlyFirst = false,
): { dest: IndexedConnection; candidates: IndexedConnection[] } | undefined {
  let dest: IndexedConnection | undefined;
  const candidates: IndexedConnection[] = [];
  for (const ic of termOrder(index)) {
    if (ic.connection.id === originId || !matchesPattern(ic.term, subject)) continue;
    dest ??= ic;
    if (ic.connection.termEnabled) candidates.push(ic);
    if (candidates.length >= limit || onlyFirst) break;
  }
  return dest === undefined ? undefined : { dest, candidates };
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
