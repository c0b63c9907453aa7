/**
 * The pieces of `npm run bench:cps` (bench/cps.ts) that drive calls: one rate step through a server with a
 * SIPp UAS of its own behind it, a rising-rate ladder over such steps for several servers at once
 * (interleaved), call-setup latency from SIPp's message trace, and the hold of N concurrent calls for the
 * memory figure.
 *
 * A step is one run of the rising-rate driver (bench/lib/rising-rate.ts) at one rate, so the driver's rules
 * decide the UAC side (SIPp exit 0, no failed or unfinished call, >= 90% of the asked rate generated). The
 * cps bench adds what the UAC cannot see through a B2BUA, which answers the caller's BYE itself, and one
 * rule stricter than the driver's:
 *   - the UAS (a fresh `uas-cps.xml` SIPp per step, `-m` = the step's calls) must have completed every call,
 *     none failed;
 *   - the server's own count of calls in progress (trunkline: `trunkline_calls_active` on /metrics) must be
 *     back to 0 shortly after the step;
 *   - no retransmission by either SIPp: a request (INVITE, BYE) or a 200 that waited 500 ms for its answer
 *     means the server held a call up for half a second, which a passing rate should not do. (bench:sip
 *     lets retransmissions pass and only counts them; for calls the setup-time p99 would then be >= 500 ms.)
 * Only a step passing all of these is "clean".
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  parseSippStatCsv,
  percentile,
  runSipp,
  startSipp,
  type SippResult,
  type SippRun,
} from '../../test/support/sipp.js';
import { cpuSeconds, median, sampleMemory, udpDrops, type MemorySample } from './cps-proc.js';
import { risingRate, type RateStep } from './rising-rate.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The call scenarios (test/support/sipp-scenarios/): uac-invite.xml and uas.xml with the same messages, made
 * tolerant of legal SIP that those two turn into failed calls: the reordering a multi-process proxy causes
 * under load (a 180 after its 200, an ACK after its BYE) and a retransmitted INVITE after the UAS's 200; see
 * the comments at the top of each file. Retransmissions still fail a step (see runCallStepOnce).
 */
export const UAC_SCENARIO = { file: 'uac-call-cps.xml', dialog: true } as const;
export const UAS_SCENARIO = { file: 'uas-cps.xml', dialog: true } as const;

/** A server under test: where SIPp sends calls, where its UAS must listen, and how to look inside it. */
export interface CallServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The port the server sends every new INVITE to (a SIPp UAS is started there for each run). */
  readonly uasPort: number;
  /** Root pid of the server (Kamailio: its main process; the workers are found below it). */
  readonly pid: number;
  /** Measure the whole process tree (Kamailio) or the one process (trunkline). */
  readonly processTree: boolean;
  /** Calls the server itself says are in progress; undefined when it keeps no such count. */
  activeCalls?(): Promise<number | undefined>;
  /**
   * After a failed step: wait until the server has nothing of that step left that could still send
   * something (a late BYE, CANCEL or retransmission would land on the next step's UAS, same port, and fail
   * calls there). Returns what it waited for.
   */
  settle?(): Promise<string>;
  /** Readings of the server's own gauges, taken just before and just after the UAC runs (trunkline: /metrics). */
  probe?(): Promise<Record<string, number>>;
}

export interface CallStep extends RateStep {
  server: string;
  /** Call setup, INVITE sent -> 200 received (first INVITE transmission, first 200), microsecond trace. */
  setupP50Ms: number;
  setupP99Ms: number;
  setupSamples: number;
  /** The driver's own verdict on the UAC side. */
  uacPassed: boolean;
  uasSuccessful: number;
  uasFailed: number;
  uasExit: number | null;
  uasRetransmissions: number;
  /** Calls the server still counted as active after the step (undefined: it keeps no count). */
  activeAfter: number | undefined;
  /** SIPp (UAC or UAS) tripped its watchdog: its own loop was held up > 500 ms (a starved generator). */
  generatorStarved: boolean;
  /** How many times this rate was run (a failed step whose SIPp was starved is repeated). */
  attempts: number;
  /** The server's own readings right after the UAC ran (see CallServer.probe). */
  probe: Record<string, number>;
  /** Datagrams the kernel dropped on the server's UDP socket during the step (receive buffer full). */
  serverUdpDrops: number;
  /** What the server was given to settle after a failed step. */
  settled: string | undefined;
  /** 1-minute load average when the step ended. */
  loadAverage: number;
  /** Server CPU seconds (user + system) while the UAC ran, per call in ms, and as a share of one core. */
  serverCpuMsPerCall: number;
  serverCpuCores: number;
  wallSeconds: number;
}

export interface StepOptions {
  rate: number;
  secondsPerStep: number;
  minCalls: number;
  /** UAC recv timeout (ms): an expected response missing this long fails the call. */
  recvTimeoutMs: number;
  /** Request-URI user ([service]). */
  service: string;
  workRoot: string;
  label: string;
}

/** Per Call-ID: first INVITE sent -> first 200 to the INVITE received, in ms (`-trace_shortmsg` log). */
export function readCallSetupLatencies(path: string): number[] {
  if (!existsSync(path)) return [];
  const invite = new Map<string, number>();
  const answered = new Map<string, number>();
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    // date \t time \t epoch.us \t S|R \t Call-ID \t "CSeq:1 INVITE" \t first line
    const f = line.split('\t');
    if (f.length < 7 || !/\bINVITE\s*$/.test(f[5] ?? '')) continue;
    const t = Number.parseFloat(f[2] ?? '');
    const callId = f[4] ?? '';
    if (!Number.isFinite(t)) continue;
    if (f[3] === 'S' && (f[6] ?? '').startsWith('INVITE ')) {
      if (!invite.has(callId)) invite.set(callId, t);
    } else if (f[3] === 'R' && /^SIP\/2\.0 200\b/.test(f[6] ?? '')) {
      if (!answered.has(callId)) answered.set(callId, t);
    }
  }
  const out: number[] = [];
  for (const [callId, t0] of invite) {
    const t1 = answered.get(callId);
    if (t1 !== undefined && t1 >= t0) out.push((t1 - t0) * 1000);
  }
  return out;
}

export function callsForStep(rate: number, secondsPerStep: number, minCalls: number): number {
  // Same rule as bench/lib/rising-rate.ts runStep().
  return Math.max(minCalls, Math.round(rate * secondsPerStep));
}

async function startUas(server: CallServer, calls: number, workDir: string, holdMs: number, runSeconds: number): Promise<SippRun> {
  const run = await startSipp({
    scenario: UAS_SCENARIO,
    localPort: server.uasPort,
    calls,
    timeoutSeconds: Math.ceil(runSeconds + holdMs / 1000) + 60,
    // The BYE comes after the UAC's pause; anything later than this means the call was lost.
    recvTimeoutMs: holdMs + 15_000,
    traceMessages: false,
    workDir,
  });
  // SIPp needs a moment to bind before the first INVITE (a lost datagram would only be retransmitted).
  await sleep(250);
  return run;
}

/** Wait for the UAS to finish its `-m` calls; stop it after `graceMs` more. */
async function finishUas(uas: SippRun, graceMs: number): Promise<SippResult> {
  const done = await Promise.race([uas.done, sleep(graceMs).then(() => undefined)]);
  return done ?? (await uas.stop(2000));
}

/** Poll the server's active-call count until it is 0 (or the time is up); the last value read. */
async function waitDrained(server: CallServer, timeoutMs: number): Promise<number | undefined> {
  if (server.activeCalls === undefined) return undefined;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const n = await server.activeCalls();
    if (n === undefined || n === 0 || Date.now() > until) return n;
    await sleep(250);
  }
}

const WATCHDOG = /watchdog timer \d+ms has been tripped/;

function watchdogTripped(errorsLog: string): boolean {
  try {
    return WATCHDOG.test(readFileSync(errorsLog, 'latin1'));
  } catch {
    return false;
  }
}

/**
 * One clean-or-not step (see runCallStepOnce). A step that failed while SIPp itself was starved (its
 * watchdog tripped: a 500 ms stall of the load generator, which on a shared machine is other processes, not
 * the server) measured the machine, not the server: it is run again, up to `retries` times.
 */
export async function runCallStep(
  server: CallServer,
  o: StepOptions & { retries?: number; onDiscarded?: (step: CallStep) => void },
): Promise<CallStep> {
  for (let attempt = 1; ; attempt++) {
    const st = await runCallStepOnce(server, o);
    st.attempts = attempt;
    if (st.passed || !st.generatorStarved || attempt > (o.retries ?? 2)) return st;
    o.onDiscarded?.(st);
    await sleep(2000);
  }
}

/** One run at one rate: a fresh UAS, the driver at that rate, then the UAS's and the server's side. */
async function runCallStepOnce(server: CallServer, o: StepOptions): Promise<CallStep> {
  const calls = callsForStep(o.rate, o.secondsPerStep, o.minCalls);
  const uasDir = join(o.workRoot, `${o.label.replace(/[^\w.-]+/g, '_')}-${o.rate}-uas`);
  // A repeated step starts from empty directories (the driver's SIPp files of the last attempt are replaced).
  rmSync(uasDir, { recursive: true, force: true });
  rmSync(join(o.workRoot, `${o.label.replace(/[^\w.-]+/g, '_')}-${o.rate}`), { recursive: true, force: true });
  mkdirSync(uasDir, { recursive: true });
  const uas = await startUas(server, calls, uasDir, 0, calls / o.rate);
  const cpu0 = cpuSeconds(server.pid, server.processTree);
  const drops0 = udpDrops(server.port);
  await server.probe?.();
  const t0 = Date.now();
  const r = await risingRate({
    label: o.label,
    scenario: UAC_SCENARIO,
    target: { host: server.host, port: server.port },
    service: o.service,
    rates: [o.rate],
    secondsPerStep: o.secondsPerStep,
    minCalls: o.minCalls,
    recvTimeoutMs: o.recvTimeoutMs,
    refineSteps: 0,
    pauseMs: 0,
    workRoot: o.workRoot,
  });
  const wallSeconds = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid, server.processTree) - cpu0;
  const drops = udpDrops(server.port) - drops0;
  const probe = (await server.probe?.()) ?? {};
  const step = r.steps[0];
  if (step === undefined) throw new Error('the rising-rate driver ran no step');
  // The UAS ends each call 1 s after the BYE (timewait in uas.xml); give it that and a margin.
  const u = await finishUas(uas, 8000);
  const activeAfter = await waitDrained(server, 10_000);
  const setup = readCallSetupLatencies(join(step.workDir, 'shortmessages.log'));

  const starved = watchdogTripped(join(step.workDir, 'errors.log')) || watchdogTripped(u.errorsLog);
  const reasons: string[] = [];
  if (!step.passed) reasons.push(step.reason);
  if (u.failed > 0) reasons.push(`UAS: ${u.failed} calls failed ${JSON.stringify(u.stats?.failureReasons ?? {})}`);
  else if (u.successful < calls) reasons.push(`UAS: only ${u.successful} of ${calls} calls completed`);
  if (activeAfter !== undefined && activeAfter > 0) reasons.push(`${activeAfter} calls still active in ${server.name} 10 s after the step`);
  const uasRetrans = u.stats?.retransmissions ?? 0;
  if (step.retransmissions > 0 || uasRetrans > 0) reasons.push(`retransmissions: UAC ${step.retransmissions}, UAS ${uasRetrans}`);
  const settled = reasons.length > 0 && server.settle !== undefined ? await server.settle() : undefined;
  return {
    ...step,
    server: server.name,
    setupP50Ms: percentile(setup, 50),
    setupP99Ms: percentile(setup, 99),
    setupSamples: setup.length,
    uacPassed: step.passed,
    passed: reasons.length === 0,
    reason: reasons.join('; '),
    uasSuccessful: u.successful,
    uasFailed: u.failed,
    uasExit: u.exitCode,
    uasRetransmissions: uasRetrans,
    activeAfter,
    generatorStarved: starved,
    serverUdpDrops: drops,
    probe,
    settled,
    attempts: 1,
    loadAverage: loadavg()[0] ?? 0,
    serverCpuMsPerCall: (cpu * 1000) / calls,
    serverCpuCores: wallSeconds > 0 ? cpu / wallSeconds : 0,
    wallSeconds,
  };
}

export interface LadderResult {
  readonly server: string;
  readonly steps: CallStep[];
  /** Highest clean step. */
  readonly best: CallStep | undefined;
  /** Every rate of the ladder was clean: the server may do more than the highest rate tried. */
  readonly ceilingReached: boolean;
}

export interface LadderOptions extends Omit<StepOptions, 'rate' | 'label'> {
  rates: readonly number[];
  /** Bisection steps between the last clean and the first failing rate (rounded to 50/s), as the driver does. */
  refineSteps: number;
  pauseMs: number;
  onStep?: (step: CallStep) => void;
  /** A failed attempt thrown away because SIPp was starved (the rate is run again). */
  onDiscarded?: (step: CallStep) => void;
}

/**
 * The rising-rate ladder of bench/lib/rising-rate.ts (stop at the first failing rate, then bisect twice to
 * the nearest 50/s), for several servers interleaved: every server takes rate R before any takes the next,
 * so a busy spell of the shared machine falls on all of them.
 */
export async function interleavedLadders(servers: readonly CallServer[], o: LadderOptions): Promise<Map<string, LadderResult>> {
  const rates = [...o.rates].sort((a, b) => a - b);
  const state = new Map(servers.map((s) => [s.name, { steps: [] as CallStep[], lastPass: undefined as number | undefined, firstFail: undefined as number | undefined }]));
  const step = async (s: CallServer, rate: number): Promise<CallStep> => {
    const st = await runCallStep(s, { ...o, rate, label: `${s.name}-call`, ...(o.onDiscarded === undefined ? {} : { onDiscarded: o.onDiscarded }) });
    state.get(s.name)?.steps.push(st);
    o.onStep?.(st);
    await sleep(o.pauseMs);
    return st;
  };
  for (const rate of rates) {
    const going = servers.filter((s) => state.get(s.name)?.firstFail === undefined);
    if (going.length === 0) break;
    for (const s of going) {
      const st = await step(s, rate);
      const rec = state.get(s.name)!;
      if (st.passed) rec.lastPass = rate;
      else rec.firstFail = rate;
    }
  }
  for (let i = 0; i < o.refineSteps; i++) {
    for (const s of servers) {
      const rec = state.get(s.name)!;
      if (rec.lastPass === undefined || rec.firstFail === undefined) continue;
      const mid = Math.round((rec.lastPass + rec.firstFail) / 2 / 50) * 50;
      if (mid <= rec.lastPass || mid >= rec.firstFail) continue;
      const st = await step(s, mid);
      if (st.passed) rec.lastPass = mid;
      else rec.firstFail = mid;
    }
  }
  const out = new Map<string, LadderResult>();
  for (const s of servers) {
    const rec = state.get(s.name)!;
    const passing = rec.steps.filter((x) => x.passed).sort((a, b) => a.rate - b.rate);
    out.set(s.name, { server: s.name, steps: rec.steps, best: passing[passing.length - 1], ceilingReached: rec.firstFail === undefined });
  }
  return out;
}

/** Unmeasured calls to warm a server up (JIT, pools); throws nothing, returns SIPp's verdict. */
export async function warmUp(server: CallServer, calls: number, rate: number, service: string, workRoot: string): Promise<{ ok: boolean; summary: string }> {
  const dir = join(workRoot, `${server.name}-warmup`);
  mkdirSync(dir, { recursive: true });
  const uas = await startUas(server, calls, join(dir, 'uas'), 0, calls / rate);
  const r = await runSipp({
    scenario: UAC_SCENARIO,
    target: { host: server.host, port: server.port },
    service,
    calls,
    rate,
    timeoutSeconds: Math.ceil(calls / rate) * 2 + 15,
    recvTimeoutMs: 5000,
    traceMessages: false,
    workDir: join(dir, 'uac'),
  });
  const u = await finishUas(uas, 8000);
  await waitDrained(server, 10_000);
  const ok = r.exitCode === 0 && r.successful === calls && u.failed === 0;
  return { ok, summary: `UAC ${r.successful}/${calls} ok, ${r.failed} failed (exit ${r.exitCode}); UAS ${u.successful} ok, ${u.failed} failed` };
}

export interface HoldResult {
  readonly server: string;
  readonly target: number;
  readonly rate: number;
  readonly holdMs: number;
  readonly before: MemorySample;
  /** Samples taken while the server (or, without its own count, the UAC) had `target` calls up. */
  readonly plateau: Array<MemorySample & { serverActive: number | undefined; uacCurrent: number | undefined; uasCurrent: number | undefined }>;
  /** Median of the plateau samples minus `before`, per call (bytes). */
  readonly rssPerCall: number | undefined;
  readonly pssPerCall: number | undefined;
  /** The server's count of active calls at the plateau samples (median), or the UAC's when it has none. */
  readonly activeAtPlateau: number | undefined;
  readonly uac: SippResult;
  readonly uas: SippResult;
  /** Why the figure is not a result (empty when it is). */
  readonly problems: string[];
  /** Extra readings taken with the memory samples (trunkline: heap figures from /metrics). */
  readonly extraBefore: Record<string, number>;
  readonly extraPlateau: Array<Record<string, number>>;
}

function currentCallsOf(statsCsv: string): number | undefined {
  if (!existsSync(statsCsv)) return undefined;
  const s = parseSippStatCsv(readFileSync(statsCsv, 'latin1'));
  const v = Number.parseInt(s?.raw['CurrentCall'] ?? '', 10);
  return Number.isFinite(v) ? v : undefined;
}

export interface HoldOptions {
  target: number;
  rate: number;
  holdMs: number;
  service: string;
  workRoot: string;
  /** More readings with every memory sample (e.g. the V8 heap from /metrics). */
  extra?: () => Promise<Record<string, number>>;
  log?: (line: string) => void;
  /** Called once after the "before" reading, before any held call starts (diagnostics: heap snapshot). */
  onBefore?: () => Promise<void>;
  /** Called once after the first plateau reading (diagnostics: heap snapshot). */
  onPlateau?: () => Promise<void>;
}

/**
 * Bring `target` calls up and keep them (UAC `-l target -d holdMs`), read the server's memory before and on
 * the plateau (all calls up, none ended yet), and let them end.
 */
export async function holdCalls(server: CallServer, o: HoldOptions): Promise<HoldResult> {
  const dir = join(o.workRoot, `${server.name}-hold`);
  mkdirSync(dir, { recursive: true });
  const rampSeconds = o.target / o.rate;
  const uas = await startUas(server, o.target, join(dir, 'uas'), o.holdMs, rampSeconds);
  const before = sampleMemory(server.pid, server.processTree);
  const extraBefore = (await o.extra?.()) ?? {};
  await o.onBefore?.();
  const uacDir = join(dir, 'uac');
  const started = Date.now();
  const uacRun = await startSipp({
    scenario: UAC_SCENARIO,
    target: { host: server.host, port: server.port },
    service: o.service,
    calls: o.target,
    rate: o.rate,
    maxConcurrent: o.target,
    callLengthMs: o.holdMs,
    timeoutSeconds: Math.ceil(rampSeconds + o.holdMs / 1000) + 60,
    recvTimeoutMs: 10_000,
    traceMessages: false,
    workDir: uacDir,
  });
  // The first call ends `holdMs` after it started: sample until shortly before that.
  const plateauEnd = started + o.holdMs - 1500;
  const plateau: HoldResult['plateau'] = [];
  const extraPlateau: Array<Record<string, number>> = [];
  let lastLog = 0;
  while (Date.now() < plateauEnd) {
    await sleep(1000);
    const serverActive = (await server.activeCalls?.()) ?? undefined;
    const uacCurrent = currentCallsOf(join(uacDir, 'stats.csv'));
    const uasCurrent = currentCallsOf(join(dir, 'uas', 'stats.csv'));
    const count = serverActive ?? uacCurrent ?? 0;
    if (Date.now() - lastLog > 4000) {
      const mem = sampleMemory(server.pid, server.processTree);
      o.log?.(
        `  ${server.name}: ${((Date.now() - started) / 1000).toFixed(0)} s, active ${serverActive ?? '-'} (UAC ${uacCurrent ?? '-'}, UAS ${uasCurrent ?? '-'}), ` +
          `RSS ${(mem.rssBytes / 1024 / 1024).toFixed(1)} MB`,
      );
      lastLog = Date.now();
    }
    if (count >= o.target && (uacCurrent ?? o.target) >= o.target && Date.now() < plateauEnd) {
      plateau.push({ ...sampleMemory(server.pid, server.processTree), serverActive, uacCurrent, uasCurrent });
      extraPlateau.push((await o.extra?.()) ?? {});
      if (plateau.length === 1) await o.onPlateau?.();
    }
  }
  const uac = await uacRun.done;
  const uasResult = await finishUas(uas, 10_000);
  await waitDrained(server, 10_000);

  const problems: string[] = [];
  if (plateau.length === 0) problems.push(`${server.name}: never had ${o.target} calls up before the first ones ended`);
  if (uac.exitCode !== 0 || uac.successful !== o.target) {
    problems.push(`${server.name} hold: UAC ${uac.successful}/${o.target} successful, ${uac.failed} failed (exit ${uac.exitCode})`);
  }
  if (uasResult.failed > 0 || uasResult.successful < o.target) {
    problems.push(`${server.name} hold: UAS ${uasResult.successful}/${o.target} completed, ${uasResult.failed} failed`);
  }
  const rssMid = median(plateau.map((p) => p.rssBytes));
  const pssValues = plateau.map((p) => p.pssBytes).filter((v): v is number => v !== undefined);
  const pssMid = pssValues.length === plateau.length ? median(pssValues) : undefined;
  const activeValues = plateau.map((p) => p.serverActive ?? p.uacCurrent).filter((v): v is number => v !== undefined);
  const active = median(activeValues);
  const perCall = (mid: number | undefined, base: number | undefined) =>
    mid === undefined || base === undefined || active === undefined || active === 0 ? undefined : (mid - base) / active;
  return {
    server: server.name,
    target: o.target,
    rate: o.rate,
    holdMs: o.holdMs,
    before,
    plateau,
    rssPerCall: perCall(rssMid, before.rssBytes),
    pssPerCall: perCall(pssMid, before.pssBytes),
    activeAtPlateau: active,
    uac,
    uas: uasResult,
    problems,
    extraBefore,
    extraPlateau,
  };
}
