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
 *
 * Admission (`admit`) and release go through a LiveState (src/edge/live/): in memory by default (the counts
 * of this process, as above), or shared in Redis by several edges. With a shared state the figures written to
 * the store are the cluster-wide ones read back from it at each write (so whichever edge writes, the store
 * shows the sum over every edge), the start-up reset writes the cluster's figures instead of zeros, and every
 * `syncMs` the connections this edge has seen are re-read and rewritten when they differ from what this edge
 * last wrote (so a write that lost a race with another edge's, or counts of a dead edge removed by another,
 * are corrected within that period).
 */
import type { Logger } from 'pino';
import type { ConnectionLive } from '../../model/index.js';
import type { Store } from '../../store/store.js';
import { MemoryLiveState } from '../live/memory-live-state.js';
import type { Admission, CallDirection, CallSlot, LiveFigures, LiveState, MonthSeed } from '../live/live-state.js';

export type { CallDirection } from '../live/live-state.js';

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
  /** Shared state: this edge has seen the connection change, so the periodic sync keeps it right. */
  watched: boolean;
  /** Shared state: what this edge last wrote. */
  last: LiveFigures | undefined;
}

export interface LiveCountersOptions {
  /** Least time between two writes of one connection (default 200 ms). */
  readonly flushMs?: number;
  /** Clock, for tests of the month roll-over. */
  readonly now?: () => Date;
  /** Where calls are admitted and counted (default: this process's memory). */
  readonly state?: LiveState;
  /** Shared state: how often the connections this edge has seen are re-read and corrected (default 2 s). */
  readonly syncMs?: number;
}

const FIGURE_KEYS = ['activeOrig', 'activeTerm', 'origSinceStartup', 'termSinceStartup', 'maxThisMonth', 'maxLastMonth', 'talkTimeThisMonth'] as const;
const sameFigures = (a: LiveFigures | undefined, b: LiveFigures): boolean => a !== undefined && FIGURE_KEYS.every((k) => a[k] === b[k]);

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
  readonly state: LiveState;
  #syncTimer: NodeJS.Timeout | undefined;
  #syncing = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    connectionIds: readonly number[],
    options: LiveCountersOptions = {},
  ) {
    this.#flushMs = options.flushMs ?? 200;
    this.#now = options.now ?? (() => new Date());
    this.#month = monthOf(this.#now());
    this.state = options.state ?? new MemoryLiveState();
    if (this.state.shared) {
      this.#unsubscribe = this.state.onChanged((ids) => {
        for (const id of ids) this.#touch(id, this.#entry(id));
      });
      this.#syncTimer = setInterval(() => void this.#sync(), options.syncMs ?? 2_000);
      this.#syncTimer.unref();
      this.ready = this.#resetShared(connectionIds);
    } else {
      this.ready = this.#reset(connectionIds);
    }
  }

  /**
   * Shared state: continue the store's month figures in it, then write the cluster's figures where the store
   * differs (zeros for counts a killed edge left, once its heartbeat expired and its counts were removed).
   */
  async #resetShared(ids: readonly number[]): Promise<void> {
    try {
      await this.state.start();
      let live = new Map<number, ConnectionLive>();
      try {
        if (ids.length > 0) live = await this.store.getLive(ids);
      } finally {
        this.#started = true;
      }
      const now = this.#now();
      const seeds = new Map<number, MonthSeed>();
      for (const [id, l] of live) seeds.set(id, { maxThisMonth: l.maxThisMonth, maxLastMonth: l.maxLastMonth, talkTimeThisMonth: l.talkTimeThisMonth });
      let cluster: Map<number, LiveFigures>;
      try {
        await this.state.seed(seeds, now);
        cluster = await this.state.figures(ids, now);
      } catch (err) {
        // Redis unreachable: leave the store alone; the sync corrects what differs once it is back.
        this.logger.warn({ err }, 'shared live state unreachable at start: live figures are corrected once it is back');
        for (const id of ids) this.#entry(id).watched = true;
        return;
      }
      const writes: Promise<void>[] = [];
      for (const id of ids) {
        const f = cluster.get(id);
        const l = live.get(id);
        if (f === undefined) continue;
        const e = this.#entry(id);
        if (l !== undefined && sameFigures(l, f) && !e.dirty) {
          e.last = f;
          continue;
        }
        e.dirty = true;
        e.watched = true;
        writes.push(this.#write(id, e));
      }
      for (const [id, e] of this.#entries) if (e.dirty && !ids.includes(id)) writes.push(this.#write(id, e));
      await Promise.all(writes);
    } catch (err) {
      this.logger.warn({ err }, 'could not reset live call figures at start');
    }
  }

  /** Shared state: re-read what this edge has seen and rewrite what differs from its last write. */
  async #sync(): Promise<void> {
    if (this.#syncing || this.#closed || !this.#started) return;
    this.#syncing = true;
    try {
      // Not those with a debounced write pending: that write reads the figures anyway.
      const ids = [...this.#entries].filter(([, e]) => e.watched && e.timer === undefined).map(([id]) => id);
      if (ids.length === 0) return;
      const cluster = await this.state.figures(ids, this.#now());
      for (const [id, f] of cluster) {
        const e = this.#entries.get(id);
        if (e === undefined || (!e.dirty && sameFigures(e.last, f))) continue;
        e.dirty = true;
        void this.#write(id, e);
      }
    } catch (err) {
      this.logger.debug({ err }, 'live figures sync skipped');
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * Check the limits of a new call and count it (ringing included) on both connections when it fits. With a
   * shared state the check and the count are one atomic step across every edge.
   */
  async admit(slot: CallSlot): Promise<Admission> {
    const a = await this.state.acquire(slot);
    if (a.ok) {
      this.start(slot.origId, 'orig');
      this.start(slot.termId, 'term');
    }
    return a;
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
        watched: false,
        last: undefined,
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

  /** A call ended; `talkMs` is its answered time (0 when never answered). Releases its slot. */
  end(id: number, direction: CallDirection, talkMs: number): void {
    void this.state.release(id, direction, talkMs);
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
    e.watched = true;
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
      if (this.state.shared) return this.#writeShared(id, e);
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

  /** Shared state: the cluster-wide figures, read now, are what the store gets. */
  async #writeShared(id: number, e: Entry): Promise<void> {
    let f: LiveFigures | undefined;
    try {
      f = (await this.state.figures([id], this.#now())).get(id);
    } catch (err) {
      // Unreachable: keep it pending; the sync writes it once the shared state is back.
      e.dirty = true;
      this.logger.debug({ err, connectionId: id }, 'could not read shared live figures');
      return;
    }
    if (f === undefined) return;
    try {
      await this.store.saveLive(id, { ...f });
      e.last = f;
    } catch (err) {
      this.logger.debug({ err, connectionId: id }, 'could not save live call figures');
    }
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
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    this.#unsubscribe?.();
    await this.flush();
  }
}
