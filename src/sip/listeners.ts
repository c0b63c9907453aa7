/**
 * Tiny typed listener list used by transports and transactions. A throwing handler never
 * breaks the emitter (the SIP stack must keep running whatever application code does);
 * its error is returned to the emitter, which reports it.
 */
export type Unsubscribe = () => void;

export class Listeners<T> {
  private readonly handlers = new Set<(v: T) => void>();

  add(h: (v: T) => void): Unsubscribe {
    this.handlers.add(h);
    return () => {
      this.handlers.delete(h);
    };
  }

  get size(): number {
    return this.handlers.size;
  }

  clear(): void {
    this.handlers.clear();
  }

  /** Call every handler; returns the errors they threw. */
  emit(v: T): unknown[] {
    if (this.handlers.size === 0) return [];
    const errors: unknown[] = [];
    for (const h of [...this.handlers]) {
      try {
        h(v);
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }
}
