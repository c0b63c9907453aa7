/**
 * Live call state of one process (the embedded default, and the local fallback of RedisLiveState): the calls
 * up per connection, in memory. `acquire` checks and counts synchronously, so two INVITEs can never both take
 * the last slot.
 */
import { firstBreach, type Admission, type CallDirection, type CallSlot, type LiveFigures, type LiveState } from './live-state.js';

interface Counts {
  orig: number;
  term: number;
}

export class MemoryLiveState implements LiveState {
  readonly edgeId: string;
  readonly shared = false;
  readonly #counts = new Map<number, Counts>();

  constructor(edgeId = 'local') {
    this.edgeId = edgeId;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  #get(id: number): Counts {
    let c = this.#counts.get(id);
    if (c === undefined) {
      c = { orig: 0, term: 0 };
      this.#counts.set(id, c);
    }
    return c;
  }

  /** Calls up on a connection, in one direction (this process). */
  active(id: number, direction: CallDirection): number {
    const c = this.#counts.get(id);
    return c === undefined ? 0 : c[direction];
  }

  /** Check and count, synchronously. */
  tryAcquire(slot: CallSlot): Admission {
    const o = this.#counts.get(slot.origId) ?? { orig: 0, term: 0 };
    const t = this.#counts.get(slot.termId) ?? { orig: 0, term: 0 };
    const breach = firstBreach(slot, { origOrig: o.orig, origTerm: o.term, termOrig: t.orig, termTerm: t.term });
    if (breach !== undefined) return breach;
    this.add(slot);
    return { ok: true };
  }

  /** Count a call without checking (admitted elsewhere). */
  add(slot: Pick<CallSlot, 'origId' | 'termId'>): void {
    this.#get(slot.origId).orig++;
    this.#get(slot.termId).term++;
  }

  remove(id: number, direction: CallDirection): void {
    const c = this.#counts.get(id);
    if (c === undefined) return;
    c[direction] = Math.max(0, c[direction] - 1);
    if (c.orig === 0 && c.term === 0) this.#counts.delete(id);
  }

  /** Every connection with calls up: [id, orig, term]. */
  snapshot(): Array<[number, number, number]> {
    return [...this.#counts].map(([id, c]) => [id, c.orig, c.term]);
  }

  acquire(slot: CallSlot): Promise<Admission> {
    return Promise.resolve(this.tryAcquire(slot));
  }

  release(connectionId: number, direction: CallDirection): Promise<void> {
    this.remove(connectionId, direction);
    return Promise.resolve();
  }

  figures(): Promise<Map<number, LiveFigures>> {
    return Promise.resolve(new Map());
  }

  seed(): Promise<void> {
    return Promise.resolve();
  }

  onChanged(): () => void {
    return () => undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
