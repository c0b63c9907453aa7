/**
 * Live call figures per connection (`ConnectionLive`: NetSapiens `active-calls-*`, Wavix `talk_time`).
 *
 * The engine's in-memory counts are the truth (limits are checked against them, never against the store);
 * the store gets a copy, debounced per connection (at most one write per `flushMs`, writes of one connection
 * serialised so they never land out of order), and immediately on `flush()` / `close()`.
 *
 * On start every connection's `activeOrig`/`activeTerm` and `*SinceStartup` are reset to 0: the edge is the
 * only writer of these, so after a crash (SIGKILL) nothing stays stuck. `maxThisMonth`, `maxLastMonth` and
 * `talkTimeThisMonth` are read back and continued. The month they belong to is not stored (ConnectionLive has
 * no month field), so a roll-over is only seen while the process runs; see docs/edge-calls.md.
 */
import type { Logger } from 'pino';
import type { ConnectionLive } from '../../model/index.js';
import type { Store } from '../../store/store.js';

export type CallDirection = 'orig' | 'term';

type CallFigures = Pick<
  ConnectionLive,
  'activeOrig' | 'activeTerm' | 'origSinceStartup' | 'termSinceStartup' | 'maxThisMonth' | 'maxLastMonth' | 'talkTimeThisMonth'
>;

interface Entry extends CallFigures {
  /** Talk time not yet whole seconds. */
  talkMs: number;
  dirty: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The write in flight (writes of one connection are chained). */
  writing: Promise<void>;
}

export interface LiveCountersOptions {
  /** Least time between two writes of one connection (default 200 ms). */
  readonly flushMs?: number;
  /** Clock, for tests of the month roll-over. */
  readonly now?: () => Date;
}

function monthOf(d: Date): string {
  return `${d.getUTCFullYear()}-${d.getUTCMonth()}`;
}

export class LiveCounters {
  readonly #entries = new Map<number, Entry>();
  readonly #flushMs: number;
  readonly #now: () => Date;
  #month: string;
  /** Resolves once the start-up reset is written; flushes wait for it so it never overwrites newer counts. */
  readonly ready: Promise<void>;
  #closed = false;
  /** False until the start-up read is done: changes before it are only marked, then written by the reset. */
  #started = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    connectionIds: readonly number[],
    options: LiveCountersOptions = {},
  ) {
    this.#flushMs = options.flushMs ?? 200;
    this.#now = options.now ?? (() => new Date());
    this.#month = monthOf(this.#now());
    this.ready = this.#reset(connectionIds);
  }

  async #reset(ids: readonly number[]): Promise<void> {
    try {
      let live = new Map<number, ConnectionLive>();
      try {
        if (ids.length > 0) live = await this.store.getLive(ids);
      } finally {
        this.#started = true;
      }
      for (const id of ids) {
        const l = live.get(id);
        const e = this.#entry(id);
        // Calls that started before this read keep their counts; the month figures continue.
        e.maxThisMonth = Math.max(e.maxThisMonth, l?.maxThisMonth ?? 0);
        e.maxLastMonth = Math.max(e.maxLastMonth, l?.maxLastMonth ?? 0);
        e.talkTimeThisMonth += l?.talkTimeThisMonth ?? 0;
        const stale = l !== undefined && (l.activeOrig !== 0 || l.activeTerm !== 0 || l.origSinceStartup !== 0 || l.termSinceStartup !== 0);
        if (stale || e.activeOrig + e.activeTerm > 0) e.dirty = true;
      }
      await Promise.all([...this.#entries].filter(([, e]) => e.dirty).map(([id, e]) => this.#write(id, e)));
    } catch (err) {
      this.logger.warn({ err }, 'could not reset live call figures at start');
    }
  }

  #entry(id: number): Entry {
    let e = this.#entries.get(id);
    if (e === undefined) {
      e = {
        activeOrig: 0,
        activeTerm: 0,
        origSinceStartup: 0,
        termSinceStartup: 0,
        maxThisMonth: 0,
        maxLastMonth: 0,
        talkTimeThisMonth: 0,
        talkMs: 0,
        dirty: false,
        timer: undefined,
        writing: Promise.resolve(),
      };
      this.#entries.set(id, e);
    }
    return e;
  }

  #rollMonth(): void {
    const m = monthOf(this.#now());
    if (m === this.#month) return;
    this.#month = m;
    for (const [id, e] of this.#entries) {
      e.maxLastMonth = e.maxThisMonth;
      e.maxThisMonth = e.activeOrig + e.activeTerm;
      e.talkTimeThisMonth = 0;
      e.talkMs = 0;
      this.#touch(id, e);
    }
  }

  /** Calls in progress on a connection, in one direction. */
  active(id: number, direction: CallDirection): number {
    const e = this.#entries.get(id);
    if (e === undefined) return 0;
    return direction === 'orig' ? e.activeOrig : e.activeTerm;
  }

  total(id: number): number {
    const e = this.#entries.get(id);
    return e === undefined ? 0 : e.activeOrig + e.activeTerm;
  }

  /** A call started on a connection (it counts from routing on, ringing included). */
  start(id: number, direction: CallDirection): void {
    this.#rollMonth();
    const e = this.#entry(id);
    if (direction === 'orig') {
      e.activeOrig++;
      e.origSinceStartup++;
    } else {
      e.activeTerm++;
      e.termSinceStartup++;
    }
    e.maxThisMonth = Math.max(e.maxThisMonth, e.activeOrig + e.activeTerm);
    this.#touch(id, e);
  }

  /** A call ended; `talkMs` is its answered time (0 when never answered). */
  end(id: number, direction: CallDirection, talkMs: number): void {
    this.#rollMonth();
    const e = this.#entry(id);
    if (direction === 'orig') e.activeOrig = Math.max(0, e.activeOrig - 1);
    else e.activeTerm = Math.max(0, e.activeTerm - 1);
    if (talkMs > 0) {
      e.talkMs += talkMs;
      const whole = Math.floor(e.talkMs / 1000);
      e.talkTimeThisMonth += whole;
      e.talkMs -= whole * 1000;
    }
    this.#touch(id, e);
  }

  /** A copy of the figures kept for a connection (for tests and metrics). */
  figures(id: number): CallFigures {
    const e = this.#entries.get(id);
    return {
      activeOrig: e?.activeOrig ?? 0,
      activeTerm: e?.activeTerm ?? 0,
      origSinceStartup: e?.origSinceStartup ?? 0,
      termSinceStartup: e?.termSinceStartup ?? 0,
      maxThisMonth: e?.maxThisMonth ?? 0,
      maxLastMonth: e?.maxLastMonth ?? 0,
      talkTimeThisMonth: e?.talkTimeThisMonth ?? 0,
    };
  }

  #touch(id: number, e: Entry): void {
    e.dirty = true;
    if (!this.#started || this.#closed || e.timer !== undefined) return;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      void this.#write(id, e);
    }, this.#flushMs);
    e.timer.unref();
  }

  #write(id: number, e: Entry): Promise<void> {
    e.writing = e.writing.then(async () => {
      if (!e.dirty) return;
      e.dirty = false;
      const snapshot: Partial<ConnectionLive> = {
        activeOrig: e.activeOrig,
        activeTerm: e.activeTerm,
        origSinceStartup: e.origSinceStartup,
        termSinceStartup: e.termSinceStartup,
        maxThisMonth: e.maxThisMonth,
        maxLastMonth: e.maxLastMonth,
        talkTimeThisMonth: e.talkTimeThisMonth,
      };
      try {
        await this.store.saveLive(id, snapshot);
      } catch (err) {
        // Typically the connection was deleted while a call was up: nothing to show any more.
        this.logger.debug({ err, connectionId: id }, 'could not save live call figures');
      }
    });
    return e.writing;
  }

  /** Write every pending change now. */
  async flush(): Promise<void> {
    await this.ready;
    const writes: Promise<void>[] = [];
    for (const [id, e] of this.#entries) {
      if (e.timer !== undefined) {
        clearTimeout(e.timer);
        e.timer = undefined;
      }
      writes.push(this.#write(id, e));
    }
    await Promise.all(writes);
  }

  /** Flush and stop scheduling writes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
