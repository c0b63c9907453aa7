/**
 * The "rising rate" driver: run one SIPp scenario against one server at rates R1 < R2 < ..., each step a
 * fixed number of calls (rate x seconds per step), and report the highest rate every call of which
 * succeeded, with its latency percentiles.
 *
 * A step passes when SIPp exits 0, no call failed or was left unfinished, and SIPp actually generated at
 * least `minAchievedFraction` of the asked rate (otherwise the load generator, not the server, was the
 * limit and the step says nothing). The ladder stops at the first failing step; then `refineSteps` more
 * steps bisect between the last passing and the first failing rate (rounded to 50/s), so a doubling
 * ladder still gives a result within ~25% of the step.
 *
 * Latency comes from two sources, both computed here:
 * - `p99Ms` / `p50Ms`: per call, first message sent -> last response received, from the microsecond
 *   timestamps of `-trace_shortmsg` (for OPTIONS one transaction, for REGISTER+digest both round trips);
 * - `p99RtdMs`: the same span measured by SIPp itself (rtd 1 in the scenarios, every sample written by
 *   `-trace_rtt -rtt_freq 1`). SIPp reads its clock once per scheduler loop, in whole milliseconds, so this
 *   one is coarse (steps of ~1-4 ms on localhost); it is printed as a cross-check.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  percentile,
  sippHints,
  readRttSamples,
  readShortMessageCallLatencies,
  runSipp,
  type SippScenario,
  type SippTransport,
} from '../../test/support/sipp.js';

export const DEFAULT_RATES = [200, 400, 800, 1600, 3200, 6400, 12800] as const;

export interface RisingRateOptions {
  label: string;
  scenario: SippScenario;
  target: { host: string; port: number };
  transport?: SippTransport;
  auth?: { user: string; password: string };
  service?: string;
  rates?: readonly number[];
  /** Calls per step = max(minCalls, rate x secondsPerStep). Default 3 s. */
  secondsPerStep?: number;
  minCalls?: number;
  /** An expected message missing this long fails the call (`-recv_timeout`). Default 5000 ms. */
  recvTimeoutMs?: number;
  /** Default 0.9. */
  minAchievedFraction?: number;
  /** Extra steps bisecting between the last passing and the first failing rate. Default 2. */
  refineSteps?: number;
  /** Pause between steps so queues drain. Default 1000 ms. */
  pauseMs?: number;
  /** Where each step's SIPp files go (one sub-directory per step). */
  workRoot: string;
  /** Progress callback, called after every step. */
  onStep?: (step: RateStep) => void;
}

export interface RateStep {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  unfinished: number;
  exitCode: number | null;
  achievedRate: number;
  retransmissions: number;
  p50Ms: number;
  p99Ms: number;
  p99RtdMs: number;
  passed: boolean;
  /** Why the step did not pass. */
  reason: string;
  workDir: string;
}

export interface RisingRateResult {
  label: string;
  steps: RateStep[];
  /** Highest passing step (undefined when even the first rate failed). */
  best: RateStep | undefined;
  /** Every rate of the ladder passed: the server may do more than the highest rate tried. */
  ceilingReached: boolean;
}

export async function risingRate(o: RisingRateOptions): Promise<RisingRateResult> {
  const rates = [...(o.rates ?? DEFAULT_RATES)].sort((a, b) => a - b);
  const steps: RateStep[] = [];
  let lastPass: number | undefined;
  let firstFail: number | undefined;
  for (const rate of rates) {
    const step = await runStep(o, rate);
    steps.push(step);
    if (!step.passed) {
      firstFail = rate;
      break;
    }
    lastPass = rate;
    await new Promise((res) => setTimeout(res, o.pauseMs ?? 1000));
  }
  // Bisect between the last passing and the first failing rate (the ladder doubles; this narrows it).
  for (let i = 0; i < (o.refineSteps ?? 2) && lastPass !== undefined && firstFail !== undefined; i++) {
    const mid = Math.round((lastPass + firstFail) / 2 / 50) * 50;
    if (mid <= lastPass || mid >= firstFail) break;
    await new Promise((res) => setTimeout(res, o.pauseMs ?? 1000));
    const step = await runStep(o, mid);
    steps.push(step);
    if (step.passed) lastPass = mid;
    else firstFail = mid;
  }
  const passing = steps.filter((s) => s.passed).sort((a, b) => a.rate - b.rate);
  return {
    label: o.label,
    steps,
    best: passing[passing.length - 1],
    ceilingReached: firstFail === undefined,
  };
}

async function runStep(o: RisingRateOptions, rate: number): Promise<RateStep> {
  const seconds = o.secondsPerStep ?? 3;
  const minFraction = o.minAchievedFraction ?? 0.9;
  const calls = Math.max(o.minCalls ?? 200, Math.round(rate * seconds));
  const workDir = join(o.workRoot, `${o.label.replace(/[^\w.-]+/g, '_')}-${rate}`);
  mkdirSync(workDir, { recursive: true });
  const r = await runSipp({
    scenario: o.scenario,
    target: o.target,
    ...(o.transport === undefined ? {} : { transport: o.transport }),
    ...(o.auth === undefined ? {} : { auth: o.auth }),
    ...(o.service === undefined ? {} : { service: o.service }),
    calls,
    rate,
    timeoutSeconds: Math.ceil(calls / rate) * 2 + 15,
    recvTimeoutMs: o.recvTimeoutMs ?? 5000,
    traceMessages: false,
    traceRtt: true,
    traceShortMessages: true,
    workDir,
  });
  const lat = r.shortMessagesLog === undefined ? [] : readShortMessageCallLatencies(r.shortMessagesLog);
  const rtd = r.rttCsv === undefined ? [] : readRttSamples(r.rttCsv, 1);
  const achievedRate = r.stats?.callRate ?? 0;
  let reason = '';
  if (r.exitCode !== 0) reason = `sipp exit ${r.exitCode ?? r.signal} (${r.exitMeaning})`;
  if (r.failed > 0) reason = `${r.failed} failed ${JSON.stringify(r.stats?.failureReasons ?? {})}`;
  else if (r.unfinished > 0) reason = `${r.unfinished} unfinished`;
  else if (r.successful < calls) reason = `${calls - r.successful} calls missing`;
  const hints = sippHints(r);
  if (reason !== '' && hints.length > 0) reason += ` (${hints.join('; ')})`;
  if (reason === '' && achievedRate < rate * minFraction) {
    reason = `generator reached only ${achievedRate.toFixed(0)}/s`;
  }
  const step: RateStep = {
    rate,
    calls,
    successful: r.successful,
    failed: r.failed,
    unfinished: r.unfinished,
    exitCode: r.exitCode,
    achievedRate,
    retransmissions: r.stats?.retransmissions ?? 0,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    p99RtdMs: percentile(rtd, 99),
    passed: reason === '',
    reason,
    workDir,
  };
  o.onStep?.(step);
  return step;
}

/** Rates from a comma-separated env value ("200,400,800"), else the default ladder. */
export function ratesFromEnv(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [...DEFAULT_RATES];
  const out = value.split(',').map((s) => Number.parseInt(s.trim(), 10));
  if (out.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`bad rate list "${value}"`);
  return out;
}
