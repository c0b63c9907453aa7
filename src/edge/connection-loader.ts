/**
 * Keeps the edge's ConnectionIndex in step with the store without a request ever waiting on the database.
 *
 * Two triggers rebuild the index: `invalidate()` (an API write in this process: the index is fresh before
 * the API's 202 reaches the client's next SIP request in practice, and always within one reload), and a
 * poll of `store.connectionsVersion()` (writes by other processes sharing PostgreSQL). Reloads never
 * overlap; a trigger during a reload schedules exactly one more.
 */
import type { Logger } from 'pino';
import type { Connection } from '../model/index.js';
import type { Store } from '../store/store.js';
import { ConnectionIndex } from './connection-index.js';

const PAGE = 5_000;

export interface ConnectionLoaderOptions {
  /** How often the store's connections version is polled (default 1 s). */
  pollMs?: number;
  /** Called after each successful rebuild (registrar and call engine refresh their caches). */
  onReload?: (index: ConnectionIndex) => void;
}

export class ConnectionLoader {
  readonly index = new ConnectionIndex();
  #version: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

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

  /** Something changed in this process: rebuild soon. Resolves when the index reflects it. */
  invalidate(): Promise<void> {
    return this.reload();
  }

  reload(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#rebuild();
        } while (this.#again && !this.#closed);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #rebuild(): Promise<void> {
    // Read the version first: a write racing the read then shows up as a newer version on the next poll.
    const version = await this.store.connectionsVersion();
    const all: Connection[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await this.store.listConnections({ start, limit: PAGE });
      all.push(...page);
      if (page.length < PAGE) break;
    }
    this.index.replace(all, (c, err) =>
      this.logger.warn({ connectionId: c.id, domain: c.domain, err }, 'connection skipped by the SIP edge: its stored pattern does not compile'),
    );
    this.#version = version;
    this.logger.debug({ connections: this.index.size, version }, 'SIP edge connection index reloaded');
    this.options.onReload?.(this.index);
  }

  async #poll(): Promise<void> {
    if (this.#closed || this.#running !== undefined) return;
    try {
      const version = await this.store.connectionsVersion();
      if (version !== this.#version) await this.reload();
    } catch (err) {
      this.logger.warn({ err }, 'SIP edge could not check the store for connection changes; keeping the current view');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
