/**
 * Enswitch `fail_percent` ("Percentage of calls to fail"): a test/chaos knob on a peer. The decision is a
 * pure function of the percentage and a random source, so tests (and a replayed incident) can seed it.
 * A failed call is answered with 503 Service Unavailable, which tells the router to try the next route.
 */

export const FAIL_PERCENT_SIP_STATUS = 503;

/**
 * True when this call should fail. 0 (or less, or NaN) never fails and 100 (or more) always fails without
 * drawing a number; in between, one draw from `random` (expected in [0, 1)) fails when below percent/100.
 * Out-of-range draws are clamped, and a throwing `random` counts as "do not fail". Never throws.
 */
export function shouldFail(percent: number, random: () => number): boolean {
  if (!(percent > 0)) return false;
  if (percent >= 100) return true;
  let draw: number;
  try {
    draw = random();
  } catch {
    return false;
  }
  if (Number.isNaN(draw)) return false;
  draw = Math.min(Math.max(draw, 0), 1);
  return draw * 100 < percent;
}

/** A small seeded generator (mulberry32) with values in [0, 1), for deterministic `shouldFail`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
