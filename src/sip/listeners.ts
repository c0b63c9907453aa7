/**
 * Tiny typed listener list used by transports and transactions. A throwing handler never
 * breaks the emitter (the SIP stack must keep running whatever application code does);
 * its error is returned to the emitter, which reports it.
 *
 * Every transaction carries several of these and most are never subscribed to, so the handler set is
 * created on first use and an emit that throws nothing allocates nothing.
 */
export type Unsubscribe = () => void;

/** Returned by every emit in which no handler threw (frozen: nobody may add to it). */
const NO_ERRORS: unknown[] = Object.freeze([]) as unknown as unknown[];

export class Listeners<T> {
  private handlers: Set<(v: T) => void> | undefined;

  add(h: (v: T) => void): Unsubscribe {
    (this.handlers ??= new Set()).add(h);
    return () => {
      this.handlers?.delete(h);
    };
  }

  get size(): number {
    return this.handlers?.size ?? 0;
  }

  clear(): void {
    this.handlers = undefined;
  }

  /** Call every handler; returns the errors they threw. */
  emit(v: T): unknown[] {
    const handlers = this.handlers;
    if (handlers === undefined || handlers.size === 0) return NO_ERRORS;
    if (handlers.size === 1) {
      const h = handlers.values().next().value!;
      try {
        h(v);
        return NO_ERRORS;
      } catch (e) {
        return [e];
      }
    }
    let errors: unknown[] | undefined;
    // A copy: handlers added or removed by a handler take effect from the next emit.
    for (const h of [...handlers]) {
      try {
        h(v);
      } catch (e) {
        (errors ??= []).push(e);
      }
    }
    return errors ?? NO_ERRORS;
  }
}
