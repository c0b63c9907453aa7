/**
 * Keeps the edge's ConnectionIndex in step with the store without a request ever waiting on the database.
 *
 * - A write made in this process (the API sharing the store) is applied to the index at once and on its own
 *   (`apply`): one pattern compile, no reload. The store's connections version is then read; when it moved by
 *   exactly that one write the index is known current, otherwise (another process wrote too) a reload follows.
 * - Writes by other processes (PostgreSQL shared by several edges and APIs) show as a changed
 *   `store.connectionsVersion()`, polled every second, and cause a full reload.
 * Full reloads never overlap and run at most once per `minReloadMs`, so a burst of writes costs one reload,
 * not one per write (a reload of 10,000 connections is a read of every row and a compile of every pattern).
 */
import type { Logger } from 'pino';
import type { Connection } from '../model/index.js';
import type { Store } from '../store/store.js';
import { CoalescedTask } from './coalesced-task.js';
import { ConnectionIndex } from './connection-index.js';

const PAGE = 5_000;

/** What a committed write in this process changed (see src/server/store-events.ts). */
export type ConnectionChange =
  | { readonly kind: 'upsert'; readonly connection: Connection }
  | { readonly kind: 'delete'; readonly id: number }
  /** Something only a reload shows (tenant writes). */
  | { readonly kind: 'other' };

export interface ConnectionLoaderOptions {
  /** How often the store's connections version is polled (default 1 s). */
  pollMs?: number;
  /** Least time between two full reloads (default 1 s). */
  minReloadMs?: number;
  /** Called after each successful rebuild (registrar and call engine refresh their caches). */
  onReload?: (index: ConnectionIndex) => void;
}

export class ConnectionLoader {
  readonly index = new ConnectionIndex();
  #version: string | undefined;
  readonly #reloads = new CoalescedTask(() => this.#rebuild(), () => this.#closed);
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastReloadAt = 0;
  #pendingReload: NodeJS.Timeout | undefined;
  #versionSync: Promise<void> = Promise.resolve();
  /** In-process writes applied since `#version` was last known to be current. */
  #ownWrites = 0;
  #syncing = false;
  #syncAgain = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: ConnectionLoaderOptions = {},
  ) {}

  /** Load everything once, then keep polling. */
  async start(): Promise<void> {
    await this.reload();
    this.#timer = setInterval(() => void this.#poll(), this.options.pollMs ?? 1_000);
    this.#timer.unref();
  }

  /** Something changed in this process: rebuild now. Resolves when the index reflects it. */
  invalidate(): Promise<void> {
    return this.reload();
  }

  /** A write committed in this process: apply it to the index now, then check nobody else wrote. */
  apply(change: ConnectionChange): void {
    if (this.#closed) return;
    if (change.kind === 'other') {
      this.requestReload();
      return;
    }
    if (change.kind === 'upsert') this.index.upsert(change.connection, (c, err) => this.#skipped(c, err));
    else this.index.remove(change.id);
    this.#ownWrites++;
    this.options.onReload?.(this.index);
    this.#scheduleSync();
  }

  #scheduleSync(): void {
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    this.#versionSync = this.#runSync().finally(() => {
      this.#syncing = false;
    });
  }

  /**
   * Each connection write bumps the version by one. If it moved by exactly the writes applied here (a group
   * commit applies several at once), nobody else wrote and the index is current. A write that committed but
   * whose notification has not arrived yet shows as one too many: look again a few event-loop turns later
   * before concluding another process wrote.
   */
  async #runSync(): Promise<void> {
    let retries = 0;
    for (;;) {
      this.#syncAgain = false;
      const known = this.#version;
      const own = this.#ownWrites;
      let now: string;
      try {
        now = await this.store.connectionsVersion();
      } catch (err) {
        this.logger.warn({ err }, 'SIP edge could not read the connections version after a write');
        this.requestReload();
        return;
      }
      if (now !== known) {
        const delta = known !== undefined && /^\d+$/.test(known) && /^\d+$/.test(now) ? BigInt(now) - BigInt(known) : -1n;
        if (delta === BigInt(own)) {
          this.#version = now;
          this.#ownWrites -= own;
        } else if (delta > BigInt(own) && retries < 3) {
          retries++;
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        } else {
          this.requestReload();
          return;
        }
      }
      if (!this.#syncAgain) return;
    }
  }

  /** A full reload, now or as soon as `minReloadMs` has passed since the last one. */
  requestReload(): void {
    if (this.#closed || this.#pendingReload !== undefined) return;
    const wait = this.#lastReloadAt + (this.options.minReloadMs ?? 1_000) - Date.now();
    if (wait <= 0) {
      void this.reload().catch((err: unknown) => this.logger.warn({ err }, 'connection reload failed'));
      return;
    }
    this.#pendingReload = setTimeout(() => {
      this.#pendingReload = undefined;
      void this.reload().catch((err: unknown) => this.logger.warn({ err }, 'connection reload failed'));
    }, wait);
    this.#pendingReload.unref();
  }

  #skipped(c: Connection, err: unknown): void {
    this.logger.warn({ connectionId: c.id, domain: c.domain, err }, 'connection skipped by the SIP edge: its stored pattern does not compile');
  }

  reload(): Promise<void> {
    return this.#reloads.run();
  }

  /** Full reloads so far (metrics, tests). */
  reloads = 0;

  async #rebuild(): Promise<void> {
    this.#lastReloadAt = Date.now();
    this.reloads++;
    // Read the version first: a write racing the read then shows up as a newer version on the next poll.
    const version = await this.store.connectionsVersion();
    this.#ownWrites = 0;
    const all: Connection[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await this.store.listConnections({ start, limit: PAGE });
      all.push(...page);
      if (page.length < PAGE) break;
    }
    this.index.replace(all, (c, err) => this.#skipped(c, err));
    this.#version = version;
    this.logger.debug({ connections: this.index.size, version }, 'SIP edge connection index reloaded');
    this.options.onReload?.(this.index);
  }

  async #poll(): Promise<void> {
    if (this.#closed || this.#reloads.running) return;
    try {
      await this.#versionSync;
      if ((await this.store.connectionsVersion()) === this.#version) return;
      // A write of this process may have committed and not been applied yet: let its sync run, then look again.
      await new Promise((resolve) => setImmediate(resolve));
      await this.#versionSync;
      if ((await this.store.connectionsVersion()) !== this.#version) this.requestReload();
    } catch (err) {
      this.logger.warn({ err }, 'SIP edge could not check the store for connection changes; keeping the current view');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#pendingReload !== undefined) clearTimeout(this.#pendingReload);
    await this.#versionSync;
    await this.#reloads.settled();
  }
}
