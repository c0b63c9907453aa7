/**
 * The outbound registration of one connection over time: register, refresh before the granted interval runs out,
 * back off after failures, remove the binding when told to stop (RFC 3261 §10.2.4: "Each UA is responsible for
 * refreshing the bindings that it has previously established").
 *
 * Exchanges never overlap (§10.2: "A UA MUST NOT send a new registration [...] until it has received a final
 * response from the registrar for the previous one or the previous REGISTER request has timed out"): every
 * exchange, the unREGISTER included, runs on one promise chain.
 */
import type { Logger } from 'pino';
import type { TransactionLayer } from '../sip/index.js';
import { localContact } from './calls/relay.js';
import { register, RegistrationSession, type RegisterOutcome } from './outbound-registration-client.js';
import type { RegistrationTarget } from './outbound-registration-target.js';

export type OutboundRegistrationState = 'registering' | 'registered' | 'failed';

export interface OutboundRegistrationStatus {
  readonly connectionId: number;
  readonly domain: string;
  /** The address of record registered (To/From). */
  readonly aor: string;
  /** The Request-URI (the registrar's domain). */
  readonly registrar: string;
  /**
   * `registering`: no binding yet and no failure since the last success (first attempt in flight);
   * `registered`: the registrar's binding is current (also while a refresh is in flight or being retried);
   * `failed`: no current binding and the last attempt failed (`nextAttemptAt` says when it is tried again).
   */
  readonly state: OutboundRegistrationState;
  /** Last successful REGISTER. */
  readonly registeredAt: string | null;
  /** When the registrar drops the binding unless it is refreshed. */
  readonly expiresAt: string | null;
  /** Final status of the last exchange (408: no answer, 503: transport error, as §8.1.3.1 says to treat them). */
  readonly lastStatus: number | null;
  readonly lastReason: string | null;
  /** When that final status arrived. */
  readonly lastAttemptAt: string | null;
  /** Failed exchanges since the last success. */
  readonly failures: number;
  /** Next REGISTER (refresh or retry). */
  readonly nextAttemptAt: string | null;
}

export interface AgentTimings {
  /** Interval asked for (seconds). */
  readonly expires: number;
  /** Refresh after this fraction of the granted interval. */
  readonly refreshFraction: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Retries are spread over (1 - jitter)..1 times the delay. */
  readonly retryJitter: number;
}

/** What the agent's registration should show in the connection's live figures (null: not registered). */
export type LiveRegistration = { readonly registeredAt: string; readonly expiresAt: string } | null;

export interface AgentDeps {
  readonly layer: TransactionLayer;
  readonly logger: Logger;
  readonly userAgent: string;
  readonly timings: AgentTimings;
  /** Write the registration to the connection's live figures (the manager decides whether it may). */
  readonly publish: (connectionId: number, live: LiveRegistration) => Promise<void>;
}

/** A refresh never comes sooner than this after a success, whatever the registrar granted. */
const MIN_REFRESH_MS = 500;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Capped exponential backoff: retryMinMs, twice that, ... up to retryMaxMs; a Retry-After is a floor. */
export function retryDelay(failures: number, t: AgentTimings, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const exp = Math.min(t.retryMaxMs, t.retryMinMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const jittered = exp * (1 - t.retryJitter * random());
  const floor = retryAfterSeconds === undefined ? 0 : Math.min(t.retryMaxMs, retryAfterSeconds * 1000);
  return Math.max(jittered, floor);
}

export class RegistrationAgent {
  readonly session: RegistrationSession;
  #chain: Promise<void>;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #lapseTimer: NodeJS.Timeout | undefined;
  #registeredAt: number | undefined;
  #expiresAt: number | undefined;
  #lastStatus: number | null = null;
  #lastReason: string | null = null;
  #lastAttemptAt: number | undefined;
  #failures = 0;
  #nextAttemptAt: number | undefined;
  /** The live figures show this registration (so stopping must clear them). */
  #published = false;
  #publishing: Promise<void> = Promise.resolve();
  readonly #log: Logger;

  constructor(
    readonly target: RegistrationTarget,
    private readonly deps: AgentDeps,
    /** A previous registration of the same connection that must be removed first. */
    after: Promise<void> = Promise.resolve(),
  ) {
    this.session = new RegistrationSession(target, deps.timings.expires);
    this.#log = deps.logger.child({ connectionId: target.connectionId, aor: target.aor });
    this.#chain = after
      .catch(() => undefined)
      .then(() => {
        if (!this.#stopped) this.#schedule(0);
      });
  }

  get #bindingCurrent(): boolean {
    return this.#expiresAt !== undefined && this.#expiresAt > Date.now();
  }

  get state(): OutboundRegistrationState {
    if (this.#bindingCurrent) return 'registered';
    return this.#failures > 0 ? 'failed' : 'registering';
  }

  status(): OutboundRegistrationStatus {
    const current = this.#bindingCurrent;
    return {
      connectionId: this.target.connectionId,
      domain: this.target.domain,
      aor: this.target.aor,
      registrar: this.target.requestUri,
      state: this.state,
      registeredAt: current ? iso(this.#registeredAt) : null,
      expiresAt: current ? iso(this.#expiresAt) : null,
      lastStatus: this.#lastStatus,
      lastReason: this.#lastReason,
      lastAttemptAt: iso(this.#lastAttemptAt),
      failures: this.#failures,
      nextAttemptAt: iso(this.#nextAttemptAt),
    };
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#nextAttemptAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#chain = this.#chain
        .then(() => this.#attempt())
        .catch((err: unknown) => {
          // A bug, not a registrar's answer: log it and keep the registration alive.
          this.#log.error({ err }, 'outbound registration attempt threw');
          this.#failures++;
          this.#schedule(retryDelay(this.#failures, this.deps.timings));
        });
    }, delayMs);
    this.#timer.unref();
  }

  #contact(): string | undefined {
    try {
      return localContact(this.deps.layer.transportFor(this.target.transport, this.target.destination.host));
    } catch {
      return undefined;
    }
  }

  async #exchange(unregister: boolean): Promise<RegisterOutcome> {
    const contact = this.#contact();
    if (contact === undefined) {
      return { ok: false, status: 503, reason: `No ${this.target.transport.toUpperCase()} Transport On This Edge` };
    }
    return register({ layer: this.deps.layer, session: this.session, contact, userAgent: this.deps.userAgent, unregister });
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    this.#nextAttemptAt = undefined;
    const outcome = await this.#exchange(false);
    this.#lastAttemptAt = Date.now();
    this.#lastStatus = outcome.status;
    this.#lastReason = outcome.reason;
    if (outcome.ok && outcome.granted > 0) {
      const now = this.#lastAttemptAt;
      const first = !this.#bindingCurrent;
      this.#registeredAt = now;
      this.#expiresAt = now + outcome.granted * 1000;
      this.#failures = 0;
      // Stopped while this REGISTER was out: the binding it made is known now, and the unREGISTER queued behind
      // this exchange removes it.
      if (this.#stopped) return;
      if (this.#lapseTimer !== undefined) clearTimeout(this.#lapseTimer);
      this.#lapseTimer = undefined;
      if (first) this.#log.info({ expires: outcome.granted, registrar: this.target.requestUri }, 'outbound registration: registered');
      else this.#log.debug({ expires: outcome.granted }, 'outbound registration: refreshed');
      this.#publish({ registeredAt: iso(now)!, expiresAt: iso(this.#expiresAt)! });
      // §10.2.4: "The UA then issues a REGISTER request for each of its bindings before the expiration interval
      // has elapsed." Refreshing at half the granted time leaves the other half for retries when a refresh fails.
      this.#schedule(Math.max(MIN_REFRESH_MS, outcome.granted * 1000 * this.deps.timings.refreshFraction));
      return;
    }
    if (this.#stopped) return;
    this.#failures++;
    const failure = outcome.ok ? { status: outcome.status, reason: 'Registrar Granted No Time', retryAfter: undefined } : outcome;
    if (outcome.ok) this.#lastReason = failure.reason;
    const delay = retryDelay(this.#failures, this.deps.timings, failure.retryAfter);
    this.#log.warn(
      { status: failure.status, reason: failure.reason, failures: this.#failures, retryInMs: Math.round(delay), stillRegistered: this.#bindingCurrent },
      'outbound registration failed',
    );
    if (this.#bindingCurrent) this.#armLapse();
    else if (this.#published) this.#publish(null);
    this.#schedule(delay);
  }

  /** The binding runs out before a retry succeeds: the live figures stop showing it. */
  #armLapse(): void {
    if (this.#lapseTimer !== undefined || this.#expiresAt === undefined) return;
    this.#lapseTimer = setTimeout(() => {
      this.#lapseTimer = undefined;
      if (!this.#stopped && !this.#bindingCurrent && this.#published) this.#publish(null);
    }, Math.max(0, this.#expiresAt - Date.now()) + 1);
    this.#lapseTimer.unref();
  }

  #publish(live: LiveRegistration): void {
    this.#published = live !== null;
    const id = this.target.connectionId;
    this.#publishing = this.#publishing.then(() => this.deps.publish(id, live)).catch((err: unknown) => {
      this.#log.debug({ err }, 'outbound registration: could not write the live registration figures');
    });
  }

  /**
   * Stop refreshing. With `unregister`, a current binding is removed first (§10.2.2, Expires: 0); the live
   * figures are cleared unless the connection is gone (its live row went with it). Resolves when done.
   */
  stop(o: { unregister: boolean; connectionGone: boolean }): Promise<void> {
    if (this.#stopped) return this.#chain;
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#lapseTimer !== undefined) clearTimeout(this.#lapseTimer);
    this.#timer = undefined;
    this.#lapseTimer = undefined;
    this.#nextAttemptAt = undefined;
    this.#chain = this.#chain.then(async () => {
      if (o.unregister && this.#bindingCurrent) {
        const outcome = await this.#exchange(true);
        this.#lastAttemptAt = Date.now();
        this.#lastStatus = outcome.status;
        this.#lastReason = outcome.reason;
        if (outcome.ok) this.#log.info('outbound registration: removed (Expires: 0)');
        else this.#log.warn({ status: outcome.status, reason: outcome.reason }, 'outbound registration: the unREGISTER failed; the binding lapses at its expiry');
      }
      this.#expiresAt = undefined;
      if (this.#published && !o.connectionGone) this.#publish(null);
      await this.#publishing;
    });
    return this.#chain;
  }
}
