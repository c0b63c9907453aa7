/**
 * Transaction timers (RFC 3261 §17 and Table 4 in Appendix A; RFC 6026 Timers L and M).
 *
 *   T1 = RTT estimate (500 ms)   T2 = max non-INVITE retransmit interval (4 s)
 *   T4 = max time a message stays in the network (5 s)
 *
 *   A  INVITE request retransmit, starts at T1, doubles (unreliable only)     §17.1.1.2
 *   B  INVITE transaction timeout, 64*T1                                      §17.1.1.2
 *   C  proxy INVITE timeout, > 3 min (optional, off unless configured)        §16.6/§16.8
 *   D  wait for response retransmits, > 32 s unreliable, 0 reliable           §17.1.1.2
 *   E  non-INVITE retransmit, T1 doubling up to T2 (unreliable only)          §17.1.2.2
 *   F  non-INVITE transaction timeout, 64*T1                                  §17.1.2.2
 *   G  INVITE response retransmit, T1 doubling up to T2 (unreliable only)     §17.2.1
 *   H  wait for ACK receipt, 64*T1                                            §17.2.1
 *   I  wait for ACK retransmits, T4 unreliable, 0 reliable                    §17.2.1
 *   J  wait for non-INVITE request retransmits, 64*T1 unreliable, 0 reliable  §17.2.2
 *   K  wait for response retransmits, T4 unreliable, 0 reliable               §17.1.2.2
 *   L  INVITE server Accepted state lifetime, 64*T1                           RFC 6026 §7.1
 *   M  INVITE client Accepted state lifetime, 64*T1                           RFC 6026 §7.2
 */

export interface TimerConfig {
  T1: number;
  T2: number;
  T4: number;
  /** Timer C in ms; `undefined` disables it (only proxies need it). */
  C?: number;
  /** Timer D in ms for unreliable transports (default max(32 s, 64*T1) scaled: 64*T1). */
  D?: number;
}

export interface TimerValues {
  T1: number;
  T2: number;
  T4: number;
  A: number;
  B: number;
  C: number | undefined;
  D: number;
  E: number;
  F: number;
  G: number;
  H: number;
  I: number;
  J: number;
  K: number;
  L: number;
  M: number;
}

export const DEFAULT_TIMERS: Readonly<TimerConfig> = { T1: 500, T2: 4000, T4: 5000 };

/** Derive every timer from T1/T2/T4. Values are for unreliable transports; reliable ones use 0 where §17 says so. */
export function resolveTimers(config: Partial<TimerConfig> = {}): TimerValues {
  const T1 = config.T1 ?? DEFAULT_TIMERS.T1;
  const T2 = config.T2 ?? DEFAULT_TIMERS.T2;
  const T4 = config.T4 ?? DEFAULT_TIMERS.T4;
  return {
    T1,
    T2,
    T4,
    A: T1,
    B: 64 * T1,
    C: config.C,
    // §17.1.1.2 "at least 32 seconds": 64*T1 is exactly that with the default T1 and keeps
    // the ratio when tests shrink T1.
    D: config.D ?? 64 * T1,
    E: T1,
    F: 64 * T1,
    G: T1,
    H: 64 * T1,
    I: T4,
    J: 64 * T1,
    K: T4,
    L: 64 * T1,
    M: 64 * T1,
  };
}

export type TimerName = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying';

/** Named one-shot timers of one transaction; restarting a name replaces it. */
export class TimerSet {
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();

  start(name: TimerName, ms: number, fn: () => void): void {
    this.stop(name);
    const t = setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, Math.max(0, ms));
    this.timers.set(name, t);
  }

  stop(name: TimerName): void {
    const t = this.timers.get(name);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(name);
    }
  }

  has(name: TimerName): boolean {
    return this.timers.has(name);
  }

  stopAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
