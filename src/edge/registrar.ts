/**
 * REGISTER (RFC 3261 §10.3) for connections that require SIP authentication: a trunk's PBX registers so that
 * calls to it go to the contact it left.
 *
 * Bindings are kept in memory for answering and written behind to the store (Kamailio's usrloc "write-back"
 * idea): the 200 goes out as soon as the binding is known, and every change made during one turn of the event
 * loop (or while a write is in flight) is persisted together. The store is the durable copy: bindings survive
 * a restart, every edge process sees them, and the connection's live `registeredAt` / `registrationExpiresAt`
 * (NetSapiens `connection-sip-registration-datetime` / `-expires-datetime`) follow them. A crash can lose only
 * the changes of the write in flight; the UA's next refresh restores them. An expired binding is purged.
 */
import type { Logger } from 'pino';
import { createResponse, type NameAddr, type RequestContext, type SipRequest, type SipResponse } from '../sip/index.js';
import type { RegistrationBinding, Store } from '../store/store.js';
import type { ConnectionIndex, IndexedConnection } from './connection-index.js';
import type { ConnectionAuthenticator } from './connection-auth.js';

export interface RegistrarOptions {
  /** Shortest registration accepted (423 below it, §10.3 step 7). Default 60 s. */
  minExpires?: number;
  /** Longest granted; longer requests are shortened. Default 3600 s. */
  maxExpires?: number;
  /** When the request names none. Default 3600 s. */
  defaultExpires?: number;
  /** Most contacts one connection may bind at once. Default 10. */
  maxContacts?: number;
  /** How often expired bindings are purged. Default 5 s. */
  sweepMs?: number;
}

interface ContactRequest {
  uri: string;
  expires: number;
}

/** What must reach the store for one connection. */
interface PendingWrite {
  upserts: Map<string, RegistrationBinding>;
  removals: Set<string>;
}

function userOf(addr: NameAddr | undefined): string | undefined {
  if (addr === undefined) return undefined;
  const uri = addr.uri as { user?: string };
  return uri.user;
}

export class Registrar {
  readonly #minExpires: number;
  readonly #maxExpires: number;
  readonly #defaultExpires: number;
  readonly #maxContacts: number;
  /** Current bindings per connection, loaded from the store on first use (contact → binding). */
  readonly #bindings = new Map<number, Map<string, RegistrationBinding>>();
  readonly #loading = new Map<number, Promise<Map<string, RegistrationBinding>>>();
  readonly #pending = new Map<number, PendingWrite>();
  #flushing: Promise<void> | undefined;
  #flushScheduled = false;
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping = false;

  constructor(
    private readonly store: Store,
    private readonly index: () => ConnectionIndex,
    private readonly auth: ConnectionAuthenticator,
    private readonly logger: Logger,
    private readonly server: string,
    options: RegistrarOptions = {},
  ) {
    this.#minExpires = options.minExpires ?? 60;
    this.#maxExpires = options.maxExpires ?? 3600;
    this.#defaultExpires = options.defaultExpires ?? 3600;
    this.#maxContacts = options.maxContacts ?? 10;
    this.#sweeper = setInterval(() => void this.sweep(), options.sweepMs ?? 5_000);
    this.#sweeper.unref();
  }

  /** Connections with at least one current binding (as far as this edge has seen). */
  get registeredConnections(): number {
    let n = 0;
    for (const b of this.#bindings.values()) if (b.size > 0) n++;
    return n;
  }

  /** After a restart: load the connections whose live figures still show a registration, so they get swept. */
  async recover(): Promise<void> {
    const ids = this.index().values().map((ic) => ic.connection.id);
    const live = await this.store.getLive(ids);
    for (const [id, l] of live) {
      if (l.registrationExpiresAt !== null) await this.#bindingsOf(id);
    }
    await this.sweep();
  }

  /** Current bindings of a connection (for sending calls to a registered trunk). */
  async bindings(connectionId: number): Promise<RegistrationBinding[]> {
    const now = Date.now();
    return [...(await this.#bindingsOf(connectionId)).values()].filter((b) => Date.parse(b.expiresAt) > now);
  }

  /**
   * The first REGISTER of a registration carries no credentials and only needs its challenge: answered
   * without a transaction (§8.2.7), as Kamailio's stateless www_challenge does. A retransmission simply gets
   * a fresh challenge. Returns undefined for anything that needs the registrar proper.
   */
  statelessChallenge(req: SipRequest, ctx: RequestContext, toTag: string): SipResponse | undefined {
    if (req.headers.has('authorization')) return undefined;
    const outcome = this.auth.authenticate(req, this.index(), ctx.remote.address, { proxy: false, hintUser: userOf(req.to), toTag });
    return outcome.kind === 'respond' && outcome.response.status === 401 ? outcome.response : undefined;
  }

  async handle(req: SipRequest, ctx: RequestContext): Promise<SipResponse> {
    const outcome = this.auth.authenticate(req, this.index(), ctx.remote.address, { proxy: false, hintUser: userOf(req.to) });
    if (outcome.kind === 'respond') {
      if (outcome.response.status >= 400 && outcome.response.status !== 401) {
        this.logger.info({ status: outcome.response.status, why: outcome.why, from: ctx.remote.address }, 'REGISTER refused');
      }
      return outcome.response;
    }
    return this.#bind(req, ctx, outcome.connection);
  }

  #bindingsOf(id: number): Promise<Map<string, RegistrationBinding>> | Map<string, RegistrationBinding> {
    const cached = this.#bindings.get(id);
    if (cached !== undefined) return cached;
    let loading = this.#loading.get(id);
    if (loading === undefined) {
      loading = this.store.listRegistrations(id, new Date()).then(
        (rows) => {
          this.#loading.delete(id);
          // A concurrent REGISTER may have created the entry meanwhile; it is newer than the store.
          const existing = this.#bindings.get(id);
          if (existing !== undefined) return existing;
          const map = new Map(rows.map((b) => [b.contact, b]));
          this.#bindings.set(id, map);
          return map;
        },
        (err: unknown) => {
          this.#loading.delete(id);
          throw err;
        },
      );
      this.#loading.set(id, loading);
    }
    return loading;
  }

  async #bind(req: SipRequest, ctx: RequestContext, ic: IndexedConnection): Promise<SipResponse> {
    const id = ic.connection.id;
    const now = new Date();
    const expiresHeader = req.header('expires');
    let headerExpires: number | undefined;
    if (expiresHeader !== undefined) {
      if (!/^\s*\d{1,10}\s*$/.test(expiresHeader)) return createResponse(req, 400, 'Invalid Expires Header');
      headerExpires = Number(expiresHeader);
    }
    const wildcard = req.isWildcardContact;
    // §10.3 step 6: "*" only with Expires: 0, to remove every binding.
    if (wildcard && (headerExpires !== 0 || req.contacts.length > 0)) return createResponse(req, 400, 'Invalid Wildcard Contact');

    const requested: ContactRequest[] = [];
    for (const c of wildcard ? [] : req.contacts) {
      const param = c.params.get('expires');
      let expires = headerExpires ?? this.#defaultExpires;
      if (param !== undefined && param !== null) {
        if (!/^\d{1,10}$/.test(param)) return createResponse(req, 400, 'Invalid Contact Expires');
        expires = Number(param);
      }
      if (expires > 0 && expires < this.#minExpires) {
        return createResponse(req, 423, { headers: [['Min-Expires', String(this.#minExpires)]] });
      }
      requested.push({ uri: c.uri.toString(), expires: Math.min(expires, this.#maxExpires) });
    }

    const current = await this.#bindingsOf(id);
    for (const [contact, b] of current) if (Date.parse(b.expiresAt) <= now.getTime()) current.delete(contact);
    const adding = requested.filter((r) => r.expires > 0 && !current.has(r.uri));
    if (current.size + adding.length > this.#maxContacts) {
      return createResponse(req, 403, `Too Many Contacts (at most ${this.#maxContacts})`);
    }

    const removals = wildcard ? [...current.keys()] : requested.filter((r) => r.expires === 0).map((r) => r.uri);
    const upserts: RegistrationBinding[] = requested
      .filter((r) => r.expires > 0)
      .map((r) => ({
        connectionId: id,
        contact: r.uri,
        sourceAddress: ctx.remote.address,
        sourcePort: ctx.remote.port,
        transport: ctx.remote.protocol,
        registeredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + r.expires * 1000).toISOString(),
      }));
    if (removals.length > 0 || upserts.length > 0) {
      for (const c of removals) current.delete(c);
      for (const b of upserts) current.set(b.contact, b);
      this.#queue(id, upserts, removals);
      this.logger.debug({ connectionId: id, domain: ic.connection.domain, contacts: requested.length, from: ctx.remote.address }, 'REGISTER bound');
    }

    // 200 listing every current binding with its remaining time (§10.3 step 8).
    const headers: Array<[string, string]> = [...current.values()].map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((Date.parse(b.expiresAt) - now.getTime()) / 1000))}`,
    ]);
    headers.push(['Date', now.toUTCString()], ['Server', this.server]);
    return createResponse(req, 200, { headers });
  }

  #queue(id: number, upserts: readonly RegistrationBinding[], removals: readonly string[]): void {
    let p = this.#pending.get(id);
    if (p === undefined) {
      p = { upserts: new Map(), removals: new Set() };
      this.#pending.set(id, p);
    }
    for (const c of removals) {
      p.upserts.delete(c);
      p.removals.add(c);
    }
    for (const b of upserts) {
      p.removals.delete(b.contact);
      p.upserts.set(b.contact, b);
    }
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.flush();
    });
  }

  /** Persist everything queued so far; resolves when it is in the store. */
  flush(): Promise<void> {
    if (this.#flushing !== undefined) {
      // Changes queued during a write go in the next one.
      return this.#flushing.then(() => (this.#pending.size > 0 ? this.flush() : undefined));
    }
    if (this.#pending.size === 0) return Promise.resolve();
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#flushing = (async () => {
      for (const [id, write] of batch) {
        try {
          for (const c of write.removals) await this.store.removeRegistration(id, c);
          for (const b of write.upserts.values()) await this.store.putRegistration(b);
          await this.#publish(id);
        } catch (err) {
          // Typically the connection was deleted meanwhile (foreign key): its bindings go with it.
          this.logger.warn({ err, connectionId: id }, 'could not store REGISTER bindings');
          if (this.index().get(id) === undefined) this.#bindings.delete(id);
        }
      }
    })().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Live figures from the in-memory bindings: latest registration and latest expiry, or nulls. */
  async #publish(id: number): Promise<void> {
    const bindings = [...(this.#bindings.get(id)?.values() ?? [])];
    if (bindings.length === 0) {
      await this.store.saveLive(id, { registeredAt: null, registrationExpiresAt: null });
      return;
    }
    const latest = Math.max(...bindings.map((b) => Date.parse(b.expiresAt)));
    const registeredAt = bindings.map((b) => b.registeredAt).sort().at(-1)!;
    await this.store.saveLive(id, { registeredAt, registrationExpiresAt: new Date(latest).toISOString() });
  }

  /** Drop expired bindings (memory and store) and clear the live figures of connections left with none. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const now = Date.now();
      await this.store.purgeExpiredRegistrations(new Date(now));
      for (const [id, bindings] of this.#bindings) {
        const expired = [...bindings.values()].filter((b) => Date.parse(b.expiresAt) <= now);
        if (expired.length === 0) continue;
        for (const b of expired) bindings.delete(b.contact);
        try {
          await this.#publish(id);
        } catch (err) {
          this.logger.debug({ err, connectionId: id }, 'registration sweep: connection gone');
        }
        if (bindings.size === 0) this.#bindings.delete(id);
      }
    } catch (err) {
      this.logger.warn({ err }, 'registration sweep failed; will retry');
    } finally {
      this.#sweeping = false;
    }
  }

  /** Stop sweeping and write what is still queued. */
  async close(): Promise<void> {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    await this.flush();
  }
}
