/**
 * Outbound REGISTER for carrier connections that need it (docs/edge.md, "Outbound REGISTER"): the set of
 * registrations follows the connections. Whenever the edge's copy of the connections changes (an in-process
 * write, or a reload after another process wrote; both reach `connectionsChanged()` through the
 * ConnectionLoader), the qualifying connections are compared with the running registrations: new ones start,
 * ones that no longer qualify or were deleted are removed at the registrar (Expires: 0), and a connection whose
 * address, transport or credentials changed is removed and registered anew. Comparing the whole set (rather than
 * acting on single change events) makes the outcome the same whichever way a change arrives; comparisons are
 * coalesced so a burst of API writes costs one pass.
 *
 * Each registration's state is kept in memory (`status()`, `/metrics`), and its expiry is written to the
 * connection's live registration figures so the NetSapiens API shows it, unless the connection has inbound
 * REGISTER bindings of its own (those figures are the inbound registrar's).
 */
import type { Logger } from 'pino';
import type { Connection } from '../model/index.js';
import type { TransactionLayer } from '../sip/index.js';
import type { Store } from '../store/store.js';
import {
  RegistrationAgent,
  type AgentTimings,
  type LiveRegistration,
  type OutboundRegistrationState,
  type OutboundRegistrationStatus,
} from './outbound-registration-agent.js';
import { registrationTarget, type RegistrationTarget } from './outbound-registration-target.js';

export type { OutboundRegistrationState, OutboundRegistrationStatus } from './outbound-registration-agent.js';
export { registersOutward } from './outbound-registration-target.js';

export interface OutboundRegistrationOptions {
  /** Interval asked for in each REGISTER, seconds (default 3600). The registrar's answer decides. */
  expires?: number;
  /** Refresh after this fraction of the granted interval (default 0.5). */
  refreshFraction?: number;
  /** First retry after a failure (default 30 s); doubles per failure ... */
  retryMinMs?: number;
  /** ... up to this (default 10 min). */
  retryMaxMs?: number;
  /** Retries are spread over (1 - jitter)..1 times the delay so trunks do not retry in step (default 0.2). */
  retryJitter?: number;
  /** Least time between two comparisons with the connections (default 500 ms). */
  minSyncMs?: number;
  /** How long shutdown waits for the unREGISTERs (default 2 s). */
  closeWaitMs?: number;
}

export interface OutboundRegistrationsDeps {
  readonly layer: TransactionLayer;
  readonly logger: Logger;
  /** `trunkline/<version>`, sent as User-Agent. */
  readonly userAgent: string;
  /** The edge's current connections. */
  readonly connections: () => Iterable<Connection>;
  readonly connectionExists: (id: number) => boolean;
  readonly store: Pick<Store, 'saveLive'>;
  /** The connection's current inbound REGISTER bindings (their live figures win). */
  readonly inboundBindings: (id: number) => Promise<readonly unknown[]>;
  readonly options?: OutboundRegistrationOptions | undefined;
}

const STATES: readonly OutboundRegistrationState[] = ['registering', 'registered', 'failed'];

export class OutboundRegistrations {
  readonly #agents = new Map<number, RegistrationAgent>();
  /** Agents removing their binding (deleted connections, replaced registrations), until done. */
  readonly #stopping = new Set<Promise<void>>();
  readonly #timings: AgentTimings;
  readonly #minSyncMs: number;
  readonly #closeWaitMs: number;
  #syncTimer: NodeJS.Timeout | undefined;
  #lastSync = 0;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(private readonly deps: OutboundRegistrationsDeps) {
    const o = deps.options ?? {};
    this.#timings = {
      expires: o.expires ?? 3600,
      refreshFraction: o.refreshFraction ?? 0.5,
      retryMinMs: o.retryMinMs ?? 30_000,
      retryMaxMs: o.retryMaxMs ?? 600_000,
      retryJitter: o.retryJitter ?? 0.2,
    };
    this.#minSyncMs = o.minSyncMs ?? 500;
    this.#closeWaitMs = o.closeWaitMs ?? 2_000;
  }

  /** Register every qualifying connection now, and follow changes from now on. */
  start(): void {
    this.#started = true;
    this.#sync();
  }

  /** The connections changed: compare again (at once, or `minSyncMs` after the last comparison). */
  connectionsChanged(): void {
    if (!this.#started || this.#closed || this.#syncTimer !== undefined) return;
    const wait = Math.max(0, this.#lastSync + this.#minSyncMs - Date.now());
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.#sync();
    }, wait);
    this.#syncTimer.unref();
  }

  #sync(): void {
    if (this.#closed) return;
    this.#lastSync = Date.now();
    const wanted = new Map<number, RegistrationTarget>();
    for (const c of this.deps.connections()) {
      const t = registrationTarget(c);
      if (t !== undefined) wanted.set(c.id, t);
    }
    for (const [id, agent] of this.#agents) {
      const t = wanted.get(id);
      if (t !== undefined && t.key === agent.target.key) continue;
      this.#agents.delete(id);
      const stopped = this.#stop(agent, !this.deps.connectionExists(id));
      // A changed registration starts once the old binding is removed: the same contact registered anew and then
      // removed by the old one's late unREGISTER would be lost.
      if (t !== undefined) this.#agents.set(id, this.#agent(t, stopped));
    }
    for (const [id, t] of wanted) if (!this.#agents.has(id)) this.#agents.set(id, this.#agent(t));
  }

  #agent(t: RegistrationTarget, after?: Promise<void>): RegistrationAgent {
    return new RegistrationAgent(
      t,
      {
        layer: this.deps.layer,
        logger: this.deps.logger,
        userAgent: this.deps.userAgent,
        timings: this.#timings,
        publish: (id, live) => this.#publish(id, live),
      },
      after,
    );
  }

  #stop(agent: RegistrationAgent, connectionGone: boolean): Promise<void> {
    const p = agent.stop({ unregister: true, connectionGone }).catch((err: unknown) => {
      this.deps.logger.warn({ err, connectionId: agent.target.connectionId }, 'outbound registration did not stop cleanly');
    });
    this.#stopping.add(p);
    void p.finally(() => this.#stopping.delete(p));
    return p;
  }

  /**
   * The live registration figures (NetSapiens `connection-sip-registration-datetime` / `-expires-datetime`) show
   * the outbound registration only while the connection has no inbound binding, whose figures the inbound
   * registrar keeps.
   */
  async #publish(id: number, live: LiveRegistration): Promise<void> {
    if (!this.deps.connectionExists(id)) return;
    if ((await this.deps.inboundBindings(id)).length > 0) return;
    await this.deps.store.saveLive(id, {
      registeredAt: live?.registeredAt ?? null,
      registrationExpiresAt: live?.expiresAt ?? null,
    });
  }

  status(connectionId: number): OutboundRegistrationStatus | undefined {
    return this.#agents.get(connectionId)?.status();
  }

  statuses(): OutboundRegistrationStatus[] {
    return [...this.#agents.values()].map((a) => a.status());
  }

  /** Registrations by state (every state present, 0 when none). */
  counts(): Record<OutboundRegistrationState, number> {
    const out = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<OutboundRegistrationState, number>;
    for (const a of this.#agents.values()) out[a.state]++;
    return out;
  }

  /** Shutdown: remove every binding at its registrar (waiting at most `closeWaitMs`), then stop. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
      for (const [id, agent] of this.#agents) {
        this.#agents.delete(id);
        this.#stop(agent, false);
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        Promise.all([...this.#stopping]).then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), this.#closeWaitMs);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
      if (!waited) this.deps.logger.warn({ pending: this.#stopping.size }, 'outbound registrations: shutdown did not wait for every unREGISTER');
    })();
    return this.#closing;
  }
}
