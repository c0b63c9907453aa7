/**
 * REGISTER (RFC 3261 §10.3) for connections that require SIP authentication: a trunk's PBX registers so that
 * calls to it go to the contact it left. Bindings live in the store (they survive a restart and every edge
 * process sees them); the connection's live `registeredAt` / `registrationExpiresAt` (NetSapiens
 * `connection-sip-registration-datetime` / `-expires-datetime`) follow them, and an expired binding is purged.
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
  /** Connections with bindings, by the time their last binding runs out (ms). */
  readonly #tracked = new Map<number, number>();
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
    return this.#tracked.size;
  }

  /** After a restart: find connections whose live figures still show a registration, so they get swept. */
  async recover(): Promise<void> {
    const ids = this.index().values().map((ic) => ic.connection.id);
    const live = await this.store.getLive(ids);
    for (const [id, l] of live) {
      if (l.registrationExpiresAt !== null) this.#tracked.set(id, Date.parse(l.registrationExpiresAt));
    }
    await this.sweep();
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

  async #bind(req: SipRequest, ctx: RequestContext, ic: IndexedConnection): Promise<SipResponse> {
    const id = ic.connection.id;
    const now = new Date();
    const expiresHeader = req.header('expires');
    let headerExpires: number | undefined;
    if (expiresHeader !== undefined) {
      if (!/^\s*\d{1,10}\s*$/.test(expiresHeader)) return createResponse(req, 400, 'Invalid Expires Header');
      headerExpires = Number(expiresHeader);
    }

    if (req.isWildcardContact) {
      // §10.3 step 6: "*" only with Expires: 0, to remove every binding.
      if (headerExpires !== 0 || req.contacts.length > 0) return createResponse(req, 400, 'Invalid Wildcard Contact');
      for (const b of await this.store.listRegistrations(id, now)) await this.store.removeRegistration(id, b.contact);
      return this.#answer(req, id, now);
    }

    const requested: ContactRequest[] = [];
    for (const c of req.contacts) {
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

    const current = await this.store.listRegistrations(id, now);
    const adding = requested.filter((r) => r.expires > 0 && !current.some((b) => b.contact === r.uri));
    if (current.length + adding.length > this.#maxContacts) {
      return createResponse(req, 403, `Too Many Contacts (at most ${this.#maxContacts})`);
    }
    if (requested.length === 0) return this.#answer(req, id, now, current); // a query (§10.3 step 6)
    // The answer is computed here rather than re-read: one query less per REGISTER, the hottest write.
    const after = new Map(current.map((b) => [b.contact, b]));
    for (const r of requested) {
      if (r.expires === 0) {
        await this.store.removeRegistration(id, r.uri);
        after.delete(r.uri);
        continue;
      }
      const binding: RegistrationBinding = {
        connectionId: id,
        contact: r.uri,
        sourceAddress: ctx.remote.address,
        sourcePort: ctx.remote.port,
        transport: ctx.remote.protocol,
        registeredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + r.expires * 1000).toISOString(),
      };
      await this.store.putRegistration(binding);
      after.set(binding.contact, binding);
    }
    this.logger.debug({ connectionId: id, domain: ic.connection.domain, contacts: requested.length, from: ctx.remote.address }, 'REGISTER bound');
    return this.#answer(req, id, now, [...after.values()]);
  }

  /** 200 listing every current binding with its remaining time (§10.3 step 8), and live figures updated. */
  async #answer(req: SipRequest, id: number, now: Date, known?: readonly RegistrationBinding[]): Promise<SipResponse> {
    const bindings = known ?? (await this.store.listRegistrations(id, now));
    await this.#publish(id, bindings, now);
    const headers: Array<[string, string]> = bindings.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((Date.parse(b.expiresAt) - now.getTime()) / 1000))}`,
    ]);
    headers.push(['Date', now.toUTCString()], ['Server', this.server]);
    return createResponse(req, 200, { headers });
  }

  async #publish(id: number, bindings: readonly RegistrationBinding[], now: Date): Promise<void> {
    if (bindings.length === 0) {
      this.#tracked.delete(id);
      await this.store.saveLive(id, { registeredAt: null, registrationExpiresAt: null });
      return;
    }
    const latest = Math.max(...bindings.map((b) => Date.parse(b.expiresAt)));
    const registeredAt = bindings.map((b) => b.registeredAt).sort().at(-1)!;
    this.#tracked.set(id, latest);
    await this.store.saveLive(id, {
      registeredAt: registeredAt ?? now.toISOString(),
      registrationExpiresAt: new Date(latest).toISOString(),
    });
  }

  /** Purge expired bindings and clear the live figures of connections left with none. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const now = new Date();
      await this.store.purgeExpiredRegistrations(now);
      for (const [id, until] of [...this.#tracked]) {
        if (until > now.getTime()) continue;
        const left = await this.store.listRegistrations(id, now);
        try {
          await this.#publish(id, left, now);
        } catch (err) {
          // The connection was deleted meanwhile: nothing to show any more.
          this.#tracked.delete(id);
          this.logger.debug({ err, connectionId: id }, 'registration sweep: connection gone');
        }
      }
    } catch (err) {
      this.logger.warn({ err }, 'registration sweep failed; will retry');
    } finally {
      this.#sweeping = false;
    }
  }

  close(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
  }
}
