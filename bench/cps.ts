/**
 * `npm run bench:cps`: calls per second through trunkline's B2BUA, as ratios against Kamailio measured in the
 * same run on the same machine.
 *
 *   SIPp UAC (uac-call-cps.xml) --> trunkline serve (B2BUA)                             --> SIPp UAS (uas-cps.xml)
 *   SIPp UAC (uac-call-cps.xml) --> Kamailio (bench/kamailio/kamailio-proxy.cfg: tm + rr) --> SIPp UAS (uas-cps.xml)
 *
 * (a) Rate: short calls (INVITE, 100, 180, 200, ACK, BYE, 200; no pause) at rising rates, the two servers
 *     interleaved rate by rate; the highest *clean* rate of each (every call completed at both ends, no
 *     retransmission, nothing left active in the server: see bench/lib/cps-steps.ts), the call-setup p99
 *     (INVITE sent -> 200 received) at that rate and at the highest rate both passed, and the server's CPU
 *     time per call.
 * (b) Memory: N calls held up at once (UAC `-l N -d HOLD`), on a fresh server after a warm-up whose
 *     transactions have ended; the growth of the server's memory between before and the plateau (all calls
 *     up, none ended), divided by the calls the server reports active (trunkline: `trunkline_calls_active` on
 *     /metrics; RSS from /proc/<pid>/status). Kamailio: the sum over its processes (RSS, and PSS which counts
 *     its shared memory once), calls counted by the UAC.
 *
 * Exits non-zero, with `INCOMPLETE: ...` / `INVALID: ...` on the last line, when a part produced no result.
 *
 * Environment:
 *   BENCH_CPS_PARTS          "rate,memory" (default both)
 *   BENCH_CPS_RATES          rising rates, calls/s (default "100,200,400,800,1600,3200,6400")
 *   BENCH_CPS_STEP_SECONDS   seconds of calls per step (default 5: calls = rate x 5, at least 200)
 *   BENCH_CPS_WARMUP_CALLS   unmeasured calls per server before the ladder / the hold (default 1000, at 100/s)
 *   BENCH_CPS_HOLD_CALLS     concurrent calls for the memory figure (default 5000)
 *   BENCH_CPS_HOLD_RATE      calls/s while bringing them up (default 250: 5,000 up in 20 s)
 *   BENCH_CPS_HOLD_MS        how long each held call lasts (default 30000)
 *   BENCH_KAMAILIO_CHILDREN  Kamailio UDP/TCP workers (default 2)
 *   BENCH_KAMAILIO_SHM_MB    Kamailio shared memory (-m, default 1024: tm keeps every transaction 5 s after it
 *                            ends, and at 800 calls/s the launcher's 64 MB default runs out: "out of mem", 500s)
 *   BENCH_CPU_PROF           a directory: the trunkline of part (a) runs with `node --cpu-prof` and writes its
 *                            profile there on exit; its top entries are printed (figures of a profiled run
 *                            are not results)
 *   BENCH_CPS_HEAP_SNAPSHOT  a directory: diagnostic; the trunkline of part (b) writes a V8 heap snapshot before
 *                            the hold and one with all calls up, and the growth per call is printed by
 *                            constructor (the memory figures of such a run are not results)
 *   BENCH_KEEP               "1" keeps SIPp's files (they are kept anyway when the run is INCOMPLETE/INVALID)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort, sippSkipReason } from '../test/support/sipp.js';
import { topSelfTimes } from './lib/cpuprofile-top.js';
import { heapGrowth, printHeapGrowth, summariseHeapSnapshot, waitForHeapSnapshot } from './lib/cps-heap.js';
import { holdCalls, interleavedLadders, warmUp, type CallServer, type CallStep, type HoldResult, type LadderResult } from './lib/cps-steps.js';
import { kamailioSkipReason, startKamailio, type KamailioInstance } from './lib/kamailio.js';
import { createConnection, createDomain } from './lib/ns-api.js';
import { fmt, fmtMs, heading, machineLine, ratio, table, runBench } from './lib/report.js';
import { ratesFromEnv } from './lib/rising-rate.js';
import { REPO_ROOT, startTrunkline, trunklineCliAvailable, type TrunklineInstance } from './lib/trunkline.js';

const env = process.env;
const parts = new Set((env.BENCH_CPS_PARTS ?? 'rate,memory').split(',').map((s) => s.trim()));
const int = (name: string, dflt: number): number => {
  const v = Number.parseInt(env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const RATES = ratesFromEnv(env.BENCH_CPS_RATES ?? '100,200,400,800,1600,3200,6400');
const STEP_SECONDS = Number.parseFloat(env.BENCH_CPS_STEP_SECONDS ?? '5');
const WARMUP_CALLS = int('BENCH_CPS_WARMUP_CALLS', 1000);
const WARMUP_RATE = 100;
const HOLD_CALLS = int('BENCH_CPS_HOLD_CALLS', 5000);
const HOLD_RATE = int('BENCH_CPS_HOLD_RATE', 250);
const HOLD_MS = int('BENCH_CPS_HOLD_MS', 30_000);
const KAMAILIO_CHILDREN = int('BENCH_KAMAILIO_CHILDREN', 2);
const KAMAILIO_SHM_MB = int('BENCH_KAMAILIO_SHM_MB', 1024);
const HEAP_SNAPSHOT = env.BENCH_CPS_HEAP_SNAPSHOT === undefined || env.BENCH_CPS_HEAP_SNAPSHOT === '' ? undefined : resolve(env.BENCH_CPS_HEAP_SNAPSHOT);
const CPU_PROF = env.BENCH_CPU_PROF === undefined || env.BENCH_CPU_PROF === '' ? undefined : resolve(env.BENCH_CPU_PROF);
/** The number dialled: trunkline routes it by the outbound connection's term match pattern. */
const DIALLED = '15550100';
const DOMAIN = 'cps.bench.example';

const incomplete: string[] = [];
/** The figures the issue asks for, printed together at the end. */
const summary: string[] = [];
const invalid: string[] = [];
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Servers

interface Started<T> {
  server: CallServer;
  instance: T;
}

async function startKamailioServer(): Promise<Started<KamailioInstance>> {
  const uasPort = await findFreePort();
  const instance = await startKamailio({
    config: 'kamailio-proxy',
    children: KAMAILIO_CHILDREN,
    sharedMemoryMb: KAMAILIO_SHM_MB,
    defines: { TL_UAS: `"sip:127.0.0.1:${uasPort}"` },
  });
  if (instance.pid === undefined) throw new Error('kamailio started without a pid');
  return {
    instance,
    server: {
      name: 'kamailio',
      host: instance.host,
      port: instance.port,
      uasPort,
      pid: instance.pid,
      processTree: true,
      // No introspection: wait out tm's longest timer (fr_inv_timer 10 s, after which it CANCELs the branch).
      async settle() {
        await new Promise((r) => setTimeout(r, 12_000));
        return 'waited 12 s (tm fr_inv_timer 10 s)';
      },
    },
  };
}

/** trunkline's /metrics as name{labels} -> value (only unlabelled samples and the few we read). */
async function readMetrics(httpUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([A-Za-z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m !== null) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

async function startTrunklineServer(nodeArgs: readonly string[] = []): Promise<Started<TrunklineInstance>> {
  const uasPort = await findFreePort();
  const instance = await startTrunkline({ nodeArgs });
  try {
    if (instance.pid === undefined) throw new Error('trunkline started without a pid');
    if ((await instance.pingSip(1000)) === undefined) throw new Error(`nothing answered OPTIONS on trunkline's SIP port ${instance.host}:${instance.sipPort}`);
    const key = instance.apiKey;
    if (key === undefined) throw new Error('trunkline printed no first-start API key; cannot create the connections');
    await createDomain(instance.httpUrl, key, DOMAIN);
    // Inbound: the SIPp UAC, identified by its From (sip:sipp@127.0.0.1:<port>).
    await createConnection(instance.httpUrl, key, {
      domain: DOMAIN,
      'connection-orig-match-pattern': 'sip:sipp@*',
      description: 'bench:cps caller (SIPp UAC)',
      'connection-address': '127.0.0.1',
    });
    // Outbound: every number starting 1555 goes to the SIPp UAS.
    await createConnection(instance.httpUrl, key, {
      domain: DOMAIN,
      'connection-orig-match-pattern': `sip:uas@127.0.0.1:${uasPort}`,
      'connection-term-match-pattern': 'sip:1555*@*',
      description: 'bench:cps callee (SIPp UAS)',
      'connection-address': `127.0.0.1:${uasPort}`,
    });
    const m = await readMetrics(instance.httpUrl);
    if (!m.has('trunkline_calls_active')) throw new Error('trunkline /metrics has no trunkline_calls_active');
  } catch (err) {
    await instance.stop();
    throw err;
  }
  const httpUrl = instance.httpUrl;
  return {
    instance,
    server: {
      name: 'trunkline',
      host: instance.host,
      port: instance.sipPort,
      uasPort,
      pid: instance.pid,
      processTree: false,
      async activeCalls() {
        try {
          return (await readMetrics(httpUrl)).get('trunkline_calls_active');
        } catch {
          return undefined;
        }
      },
      // prom-client resets its event-loop delay histogram at every scrape: the reading after the UAC covers
      // exactly the step.
      async probe(): Promise<Record<string, number>> {
        try {
          const m = await readMetrics(httpUrl);
          return {
            loopLagP99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
            loopLagMaxMs: (m.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
            heapUsedMb: (m.get('nodejs_heap_size_used_bytes') ?? Number.NaN) / MB,
          };
        } catch {
          return {};
        }
      },
      // Until no call and no client transaction is left (Timer B/F: 32 s), at most 60 s.
      async settle() {
        const t0 = Date.now();
        let last = '';
        while (Date.now() - t0 < 60_000) {
          try {
            const m = await readMetrics(httpUrl);
            const calls = m.get('trunkline_calls_active') ?? 0;
            const client = m.get('trunkline_sip_transactions{side="client"}') ?? 0;
            last = `${calls} calls, ${client} client transactions`;
            if (calls === 0 && client === 0) return `settled in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
          } catch {
            last = '/metrics not answering';
          }
          await new Promise((r) => setTimeout(r, 500));
        }
        return `not settled after 60 s (${last})`;
      },
    },
  };
}

/** pino lines at warn or above in trunkline's output: printed, so a run that logged errors is never silent. */
function reportTrunklineWarnings(instance: TrunklineInstance, when: string): void {
  const counts = new Map<string, number>();
  for (const line of instance.log().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as { level?: number; msg?: string };
      if ((o.level ?? 0) >= 40) counts.set(o.msg ?? '?', (counts.get(o.msg ?? '?') ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  if (counts.size === 0) return;
  const list = [...counts.entries()].map(([m, n]) => `${n} x "${m}"`).join(', ');
  console.log(`!! trunkline logged warnings/errors (${when}; last 256 KB of output): ${list}`);
}

/** Until trunkline reports no SIP transaction in progress (server and client side), at most `timeoutMs`. */
async function waitNoTransactions(httpUrl: string, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const m = await readMetrics(httpUrl);
    const server = m.get('trunkline_sip_transactions{side="server"}') ?? 0;
    const client = m.get('trunkline_sip_transactions{side="client"}') ?? 0;
    last = `${server} server + ${client} client transactions`;
    if (server === 0 && client === 0) return `warm-up transactions gone after ${((Date.now() - t0) / 1000).toFixed(0)} s`;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return `!! ${last} still in progress ${(timeoutMs / 1000).toFixed(0)} s after the warm-up (the "before" reading includes them)`;
}

// ---------------------------------------------------------------------------------------------------------
// Printing

function stepLine(s: CallStep): string {
  const status = (s.passed ? 'clean' : `FAIL: ${s.reason}`) + (s.settled === undefined ? '' : ` [then ${s.settled}]`) + (s.generatorStarved ? ' [SIPp watchdog tripped]' : '') + (s.attempts > 1 ? ` [attempt ${s.attempts}]` : '');
  return (
    `  ${s.server.padEnd(9)} ${String(s.rate).padStart(5)}/s  ${String(s.successful).padStart(6)}/${s.calls} ok` +
    `  achieved ${s.achievedRate.toFixed(0).padStart(5)}/s  setup p50 ${fmtMs(s.setupP50Ms).padStart(5)} p99 ${fmtMs(s.setupP99Ms).padStart(5)} ms` +
    `  rtd-p99 ${fmtMs(s.p99RtdMs)} ms  retrans ${s.retransmissions}/${s.uasRetransmissions}  udp-drops ${s.serverUdpDrops}  cpu ${s.serverCpuMsPerCall.toFixed(2)} ms/call (${s.serverCpuCores.toFixed(2)} cores)` +
    (s.probe.loopLagMaxMs === undefined ? '' : `  loop-lag p99 ${fmtMs(s.probe.loopLagP99Ms)} max ${fmtMs(s.probe.loopLagMaxMs)} ms  heap ${s.probe.heapUsedMb?.toFixed(0) ?? '-'} MB`) +
    `  load ${s.loadAverage.toFixed(1)}  ${status}`
  );
}

function bestCell(r: LadderResult | undefined): string {
  if (r === undefined) return 'not run';
  if (r.best === undefined) return `none (< ${r.steps[0]?.rate ?? '?'}/s)`;
  return `${r.ceilingReached ? '≥' : ''}${r.best.rate}/s`;
}

function mb(bytes: number | undefined, digits = 1): string {
  return bytes === undefined ? '-' : (bytes / MB).toFixed(digits);
}

function kb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : (bytes / 1024).toFixed(1);
}

// ---------------------------------------------------------------------------------------------------------
// (a) rate

async function ratePart(workRoot: string): Promise<void> {
  heading('Calls per second: highest clean rate (SIPp UAC -> server -> SIPp UAS, UDP, rising rates)');
  console.log(
    `rates ${RATES.join(', ')} /s; ${STEP_SECONDS} s of calls per step; warm-up ${WARMUP_CALLS} calls at ${WARMUP_RATE}/s per server; Kamailio children ${KAMAILIO_CHILDREN}, shared memory ${KAMAILIO_SHM_MB} MB; trunkline: one process`,
  );
  let kam: Started<KamailioInstance> | undefined;
  let tl: Started<TrunklineInstance> | undefined;
  try {
    kam = await startKamailioServer();
    console.log(`kamailio on ${kam.server.host}:${kam.server.port} (pid ${kam.server.pid}) -> UAS :${kam.server.uasPort}`);
    if (!trunklineCliAvailable()) {
      incomplete.push('trunkline CLI not available (src/cli/main.ts missing)');
    } else {
      try {
        if (CPU_PROF !== undefined) mkdirSync(CPU_PROF, { recursive: true });
        tl = await startTrunklineServer(CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`]);
        console.log(`trunkline on ${tl.server.host}:${tl.server.port} (pid ${tl.server.pid}, HTTP ${tl.instance.httpUrl}) -> UAS :${tl.server.uasPort}`);
        if (CPU_PROF !== undefined) console.log(`!! trunkline runs with --cpu-prof (profile in ${CPU_PROF}): its figures below are slowed by the profiler, not results`);
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        console.log(`!! trunkline could not be set up: ${msg}; only the Kamailio half runs`);
        incomplete.push(`trunkline not measured: ${msg}`);
      }
    }
    const servers: CallServer[] = [kam.server];
    if (tl !== undefined) servers.push(tl.server);
    for (const s of [...servers]) {
      const w = await warmUp(s, WARMUP_CALLS, WARMUP_RATE, DIALLED, workRoot);
      console.log(`warm-up ${s.name}: ${w.summary}`);
      if (!w.ok) {
        console.log(`!! ${s.name} failed its warm-up at ${WARMUP_RATE}/s; it is left out of the ladder`);
        incomplete.push(`${s.name}: warm-up calls failed (${w.summary})`);
        servers.splice(servers.indexOf(s), 1);
      }
    }
    const results = await interleavedLadders(servers, {
      rates: RATES,
      secondsPerStep: STEP_SECONDS,
      minCalls: 200,
      recvTimeoutMs: 5000,
      service: DIALLED,
      workRoot,
      refineSteps: 2,
      pauseMs: 1000,
      onStep: (s) => console.log(stepLine(s)),
      onDiscarded: (s) => console.log(`${stepLine(s)} -> discarded (the load generator stalled), repeating`),
    });
    for (const r of results.values()) if (r.best === undefined) incomplete.push(`${r.server}: no rate was clean (${r.steps[0]?.reason ?? ''})`);

    heading('Calls per second summary (trunkline / Kamailio, same run)');
    const k = results.get('kamailio');
    const t = results.get('trunkline');
    const rows: string[][] = [];
    for (const r of [k, t]) {
      if (r === undefined) continue;
      const b = r.best;
      rows.push([
        r.server,
        bestCell(r),
        b === undefined ? '-' : fmt(b.achievedRate),
        fmtMs(b?.setupP50Ms),
        fmtMs(b?.setupP99Ms),
        b === undefined ? '-' : String(b.serverUdpDrops),
        b === undefined ? '-' : b.serverCpuMsPerCall.toFixed(2),
        b === undefined ? '-' : b.serverCpuCores.toFixed(2),
      ]);
    }
    console.log(table(['server', 'highest clean', 'achieved/s', 'setup p50 ms', 'setup p99 ms', 'udp drops', 'cpu ms/call', 'cpu cores'], rows));

    // The same load for both: the highest ladder rate both passed.
    const common = k === undefined || t === undefined ? undefined : Math.max(0, ...k.steps.filter((s) => s.passed && t.steps.some((x) => x.passed && x.rate === s.rate)).map((s) => s.rate));
    const kAt = common ? k?.steps.find((s) => s.rate === common && s.passed) : undefined;
    const tAt = common ? t?.steps.find((s) => s.rate === common && s.passed) : undefined;
    const capped = (k?.ceilingReached ?? false) || (t?.ceilingReached ?? false) ? ' (capped: the ladder ended before a server failed)' : '';
    console.log('');
    const at = common ? `${common}/s` : '-';
    const lines: Array<[string, string, string, string]> = [
      ['highest clean calls/s', k?.best === undefined ? '-' : bestCell(k), t?.best === undefined ? '-' : bestCell(t), k?.best && t?.best ? `${ratio(t.best.rate, k.best.rate)}${capped}` : 'n/a'],
      ["call-setup p99 at each one's highest clean rate", `${fmtMs(k?.best?.setupP99Ms)} ms`, `${fmtMs(t?.best?.setupP99Ms)} ms`, ratio(t?.best?.setupP99Ms, k?.best?.setupP99Ms)],
      [`call-setup p99 at ${at} (highest rate both passed)`, `${fmtMs(kAt?.setupP99Ms)} ms`, `${fmtMs(tAt?.setupP99Ms)} ms`, ratio(tAt?.setupP99Ms, kAt?.setupP99Ms)],
      [`server CPU per call at ${at}`, `${kAt?.serverCpuMsPerCall.toFixed(3) ?? '-'} ms`, `${tAt?.serverCpuMsPerCall.toFixed(3) ?? '-'} ms`, ratio(tAt?.serverCpuMsPerCall, kAt?.serverCpuMsPerCall)],
    ];
    console.log('');
    console.log(table(['', 'kamailio', 'trunkline', 'trunkline / kamailio'], lines));
    summary.push(`highest clean calls/s: trunkline ${bestCell(t)} / kamailio ${bestCell(k)} = ${k?.best && t?.best ? ratio(t.best.rate, k.best.rate) : 'n/a'}${capped} (target >= 0.5)`);
    summary.push(`call-setup p99 (INVITE -> 200) at each one's highest clean rate: trunkline ${fmtMs(t?.best?.setupP99Ms)} ms, kamailio ${fmtMs(k?.best?.setupP99Ms)} ms`);
    summary.push(`call-setup p99 at ${at}, the highest rate both passed: trunkline ${fmtMs(tAt?.setupP99Ms)} ms, kamailio ${fmtMs(kAt?.setupP99Ms)} ms (ratio ${ratio(tAt?.setupP99Ms, kAt?.setupP99Ms)})`);
    console.log(
      'clean = every call completed at the UAC and at the UAS, none failed, no retransmission by either SIPp\n' +
        '(retrans = UAC/UAS), >= 90% of the asked rate generated, and the server counted no call active 10 s after\n' +
        'the step. setup = INVITE sent -> 200 received per call (SIPp -trace_shortmsg, us); rtd-p99 = SIPp\'s own\n' +
        'ms-clock measure of the same span (cross-check). udp-drops = datagrams the kernel dropped on the server\'s\n' +
        'socket (receive buffer full). cpu = server user+system CPU while the UAC ran, per call and in cores\n' +
        '(trunkline is one Node.js process: ~1.0 core is its ceiling; Kamailio has 2 workers + helpers).\n' +
        'SIPp UAC and UAS run on the same 2 cores as the server.',
    );
  } finally {
    if (tl !== undefined) reportTrunklineWarnings(tl.instance, 'rate part');
    await tl?.instance.stop();
    await kam?.instance.stop();
  }
  if (CPU_PROF !== undefined && tl !== undefined) printProfile(CPU_PROF, tl.server.pid);
}

function printProfile(dir: string, pid: number): void {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the event loop); tsx's
  // module-hooks worker writes one too.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const file = files[0];
  heading('trunkline CPU profile (part a, whole process life): top self time');
  if (file === undefined) {
    console.log(`no .cpuprofile written in ${dir} (did trunkline exit cleanly?)`);
    incomplete.push('CPU profile asked for but not written');
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof topSelfTimes>[0];
  console.log(file);
  for (const r of topSelfTimes(profile).slice(0, 30)) console.log(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  console.log('-- by file --');
  for (const r of topSelfTimes(profile, true).slice(0, 15)) console.log(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
}

// ---------------------------------------------------------------------------------------------------------
// (b) memory

async function memoryPart(workRoot: string): Promise<void> {
  heading(`Memory per active call: ${HOLD_CALLS} calls held up at once (UAC -l ${HOLD_CALLS} -d ${HOLD_MS} at ${HOLD_RATE}/s)`);
  const holds: HoldResult[] = [];
  const log = (l: string) => console.log(l);

  // Kamailio first, then trunkline, each a fresh process warmed up the same way.
  {
    const kam = await startKamailioServer();
    try {
      const w = await warmUp(kam.server, WARMUP_CALLS, WARMUP_RATE, DIALLED, workRoot);
      console.log(`kamailio (pid ${kam.server.pid}, fresh) warm-up: ${w.summary}`);
      // Nothing of the warm-up may still be in memory at the "before" reading: tm keeps a transaction 5 s
      // after it ends (wait timer).
      await new Promise((r) => setTimeout(r, 6000));
      const h = await holdCalls(kam.server, { target: HOLD_CALLS, rate: HOLD_RATE, holdMs: HOLD_MS, service: DIALLED, workRoot, log });
      holds.push(h);
      if (h.problems.length > 0) console.log(`!! ${h.problems.join('; ')}`);
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      console.log(`!! kamailio hold failed: ${msg}`);
    } finally {
      await kam.instance.stop();
    }
  }
  let tlHold: HoldResult | undefined;
  if (!trunklineCliAvailable()) {
    incomplete.push('trunkline memory not measured: CLI not available');
  } else {
    let tl: Started<TrunklineInstance> | undefined;
    try {
      if (HEAP_SNAPSHOT !== undefined) mkdirSync(HEAP_SNAPSHOT, { recursive: true });
      tl = await startTrunklineServer(HEAP_SNAPSHOT === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOT}`]);
      const httpUrl = tl.instance.httpUrl;
      const tlPid = tl.server.pid;
      const snapStart = Date.now();
      const snapshots: string[] = [];
      const snapshot = async (what: string) => {
        if (HEAP_SNAPSHOT === undefined) return;
        process.kill(tlPid, 'SIGUSR2');
        const f = await waitForHeapSnapshot(HEAP_SNAPSHOT, snapStart, snapshots.length);
        console.log(`  heap snapshot ${what}: ${f ?? 'not written in 120 s'}`);
        if (f !== undefined) snapshots.push(f);
      };
      if (HEAP_SNAPSHOT !== undefined) console.log(`!! diagnostic run: heap snapshots in ${HEAP_SNAPSHOT}; the memory figures below are not results`);
      const w = await warmUp(tl.server, WARMUP_CALLS, WARMUP_RATE, DIALLED, workRoot);
      console.log(`trunkline (pid ${tl.server.pid}, fresh) warm-up: ${w.summary}`);
      if (!w.ok) throw new Error(`warm-up failed: ${w.summary}`);
      // Nothing of the warm-up may still be in memory at the "before" reading: trunkline keeps an INVITE
      // transaction 32 s after its 2xx (RFC 6026 Timers L and M), so wait until it reports none.
      console.log(`  ${await waitNoTransactions(httpUrl, 45_000)}`);
      const extra = async (): Promise<Record<string, number>> => {
        const m = await readMetrics(httpUrl);
        const pick = (n: string) => m.get(n) ?? Number.NaN;
        return {
          heapUsed: pick('nodejs_heap_size_used_bytes'),
          heapTotal: pick('nodejs_heap_size_total_bytes'),
          external: pick('nodejs_external_memory_bytes'),
          processRss: pick('process_resident_memory_bytes'),
        };
      };
      tlHold = await holdCalls(tl.server, {
        target: HOLD_CALLS,
        rate: HOLD_RATE,
        holdMs: HOLD_MS,
        service: DIALLED,
        workRoot,
        extra,
        log,
        onBefore: () => snapshot('before the hold'),
        onPlateau: () => snapshot(`with ${HOLD_CALLS} calls up`),
      });
      holds.push(tlHold);
      if (snapshots.length === 2) {
        heading(`trunkline heap growth per held call (${snapshots[0]} -> ${snapshots[1]})`);
        printHeapGrowth(heapGrowth(summariseHeapSnapshot(snapshots[0] as string), summariseHeapSnapshot(snapshots[1] as string)), HOLD_CALLS);
      }
      if (tlHold.problems.length > 0) console.log(`!! ${tlHold.problems.join('; ')}`);
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      console.log(`!! trunkline hold failed: ${msg}`);
      incomplete.push(`trunkline memory not measured: ${msg}`);
    } finally {
      if (tl !== undefined) reportTrunklineWarnings(tl.instance, 'memory part');
      await tl?.instance.stop();
    }
  }

  const rows = holds.map((h) => [
    h.server,
    String(h.activeAtPlateau ?? '-'),
    String(h.plateau.length),
    mb(h.before.rssBytes),
    mb(h.plateau.length === 0 ? undefined : h.plateau.map((p) => p.rssBytes).sort((a, b) => a - b)[Math.floor(h.plateau.length / 2)]),
    kb(h.rssPerCall),
    mb(h.before.pssBytes),
    kb(h.pssPerCall),
    String(h.before.pids.length),
    h.problems.length === 0 ? 'ok' : 'PROBLEM',
  ]);
  console.log(table(['server', 'active calls', 'samples', 'RSS before MB', 'RSS plateau MB', 'RSS KB/call', 'PSS before MB', 'PSS KB/call', 'processes', 'check'], rows));
  if (tlHold !== undefined && tlHold.extraPlateau.length > 0) {
    const b = tlHold.extraBefore;
    const mid = (k: string) => {
      const v = tlHold!.extraPlateau.map((e) => e[k] ?? Number.NaN).filter(Number.isFinite).sort((x, y) => x - y);
      return v[Math.floor(v.length / 2)];
    };
    const per = (k: string) => {
      const m = mid(k);
      const a = tlHold!.activeAtPlateau;
      return m === undefined || a === undefined || !Number.isFinite(b[k] ?? Number.NaN) ? undefined : (m - (b[k] as number)) / a;
    };
    console.log(
      `trunkline V8 heap (from /metrics): used ${mb(b.heapUsed)} -> ${mb(mid('heapUsed'))} MB (${kb(per('heapUsed'))} KB/call), ` +
        `heap total ${mb(b.heapTotal)} -> ${mb(mid('heapTotal'))} MB, external ${mb(b.external)} -> ${mb(mid('external'))} MB`,
    );
  }
  console.log(
    'RSS = VmRSS from /proc/<pid>/status (Kamailio: summed over its processes, which counts its shared memory once per\n' +
      'process); PSS = Pss from /proc/<pid>/smaps_rollup summed (shared pages divided among the processes). Per call =\n' +
      '(median of the plateau samples - before) / active calls. trunkline counts its calls itself (trunkline_calls_active);\n' +
      'Kamailio keeps no per-call state (a transaction-stateful proxy without the dialog module), so its calls are\n' +
      'counted by the SIPp UAC, and its growth is the transactions in flight, not state per call.',
  );
  const k = holds.find((h) => h.server === 'kamailio');
  if (k === undefined || k.problems.length > 0) console.log(`kamailio memory per call: not measured${k === undefined ? '' : ` (${k.problems.join('; ')})`}`);
  if (HEAP_SNAPSHOT !== undefined) incomplete.push('diagnostic run (heap snapshots): memory figures are not results');
  if (tlHold !== undefined) {
    if (tlHold.problems.length > 0) invalid.push(...tlHold.problems);
    else if (tlHold.activeAtPlateau !== HOLD_CALLS) invalid.push(`trunkline reported ${tlHold.activeAtPlateau} active calls, not ${HOLD_CALLS}`);
    else console.log(`\ntrunkline memory per active call at ${HOLD_CALLS} calls: ${kb(tlHold.rssPerCall)} KB (RSS growth / trunkline_calls_active)`);
    summary.push(`memory per active call at ${tlHold.activeAtPlateau ?? '?'} calls: trunkline ${kb(tlHold.rssPerCall)} KB RSS` +
      (k === undefined || k.problems.length > 0 ? ', kamailio not measured' : `, kamailio ${kb(k.rssPerCall)} KB RSS / ${kb(k.pssPerCall)} KB PSS (no per-call state: transactions in flight)`));
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Which trunkline was measured: the commit, and how many files under src/ differ from it. */
function sourceLine(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'src: not a git checkout';
  const dirty = git('status', '--porcelain', '--', 'src').stdout.split('\n').filter((l) => l.trim() !== '').length;
  return `src: commit ${head.stdout.trim()}${dirty === 0 ? '' : ` + ${dirty} uncommitted file(s) under src/`}`;
}

async function main(): Promise<number> {
  console.log(`bench:cps | ${machineLine()}`);
  console.log(sourceLine());
  const skip = sippSkipReason() || kamailioSkipReason();
  if (skip !== false) {
    console.log(`\nINCOMPLETE: cannot run: ${skip}`);
    return 2;
  }
  const workRoot = mkdtempSync(join(tmpdir(), 'trunkline-bench-cps-'));
  try {
    if (parts.has('rate')) await ratePart(workRoot);
    if (parts.has('memory')) await memoryPart(workRoot);
  } finally {
    // A ladder always ends on a failing step, whose reasons are printed; the files (tens of MB) are kept only
    // when asked for or when the run is not a result.
    if (env.BENCH_KEEP === '1' || incomplete.length + invalid.length > 0) console.log(`\nSIPp work files kept in ${workRoot}`);
    else rmSync(workRoot, { recursive: true, force: true });
  }
  if (summary.length > 0) {
    heading('Result (ratios against Kamailio measured in this run)');
    for (const r of summary) console.log(r);
  }
  if (invalid.length > 0) {
    console.log(`\nINVALID: ${[...invalid, ...incomplete].join('; ')}`);
    return 3;
  }
  if (incomplete.length > 0) {
    console.log(`\nINCOMPLETE: ${incomplete.join('; ')}`);
    return 2;
  }
  return 0;
}

runBench(main);
