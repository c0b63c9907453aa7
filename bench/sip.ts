/**
 * `npm run bench:sip`: SIP performance of trunkline as ratios against baselines measured in the same run.
 *
 * (a) Parser throughput: messages/s of trunkline's SIP parser on a typical INVITE and a REGISTER, against
 *     the minimal baseline parser in bench/lib/parser-bench.ts.
 * (b) Served load: SIPp OPTIONS and REGISTER (with digest) at rising rates against trunkline's SIP edge and
 *     against Kamailio (bench/kamailio/kamailio-options-register.cfg) on the same machine; highest rate with
 *     zero failed calls and its p99, and the trunkline/Kamailio ratios.
 *
 * Exits non-zero when a part could not produce a result (parser or edge missing, sipp/kamailio missing, a
 * server not starting), so a partial run is never mistaken for a result.
 *
 * Environment:
 *   BENCH_SIP_PARTS         "parser,load" (default both)
 *   BENCH_SIP_RATES         rising rates per second (default "200,400,800,1600,3200,6400,12800")
 *   BENCH_SIP_STEP_SECONDS  seconds of calls per rate step (default 3: calls = rate x 3)
 *   BENCH_KAMAILIO_CHILDREN Kamailio UDP/TCP workers (default 2)
 *   BENCH_PARSER_ROUNDS     interleaved measurement rounds (default 7)
 *   BENCH_KEEP              "1" keeps SIPp's work files (default: kept only when a step fails)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sippSkipReason } from '../test/support/sipp.js';
import { kamailioSkipReason, startKamailio, type KamailioInstance } from './lib/kamailio.js';
import {
  SAMPLE_INVITE,
  SAMPLE_REGISTER,
  baselineParse,
  baselineParseAndRead,
  loadTrunklineParser,
  measureInterleaved,
  readRoutingFields,
} from './lib/parser-bench.js';
import { fmt, fmtMs, heading, machineLine, ratio, table, runBench } from './lib/report.js';
import { ratesFromEnv, risingRate, type RateStep, type RisingRateResult } from './lib/rising-rate.js';
import { startTrunkline, trunklineCliAvailable, type TrunklineInstance } from './lib/trunkline.js';
import { createDomain, createConnection } from './lib/ns-api.js';

const parts = new Set((process.env.BENCH_SIP_PARTS ?? 'parser,load').split(',').map((s) => s.trim()));
const problems: string[] = [];

async function parserBench(): Promise<void> {
  heading('SIP parser throughput (messages/s, median of interleaved rounds)');
  const parser = await loadTrunklineParser();
  if (parser === undefined) {
    console.log('parser not available yet: neither src/sip/index.ts nor src/sip/message/parser.ts exports a parse function');
    problems.push('parser not available');
    return;
  }
  console.log(`trunkline parser: ${parser.source}`);
  const rounds = Number.parseInt(process.env.BENCH_PARSER_ROUNDS ?? '7', 10);
  const rows: string[][] = [];
  for (const [name, buf] of [
    ['INVITE+SDP', SAMPLE_INVITE],
    ['REGISTER+digest', SAMPLE_REGISTER],
  ] as const) {
    // Sanity: both sides must actually parse the sample.
    parser.parse(buf);
    if (baselineParse(buf).headers.length < 5) throw new Error('baseline failed to parse the sample');
    const r = measureInterleaved(
      {
        baseline: () => baselineParse(buf),
        trunkline: () => parser.parse(buf),
        baselineRead: () => baselineParseAndRead(buf),
        trunklineRead: () => readRoutingFields(parser.parse(buf)),
      },
      { rounds },
    );
    const b = r.baseline?.perSecond;
    const t = r.trunkline?.perSecond;
    const br = r.baselineRead?.perSecond;
    const tr = r.trunklineRead?.perSecond;
    rows.push([`${name} (${buf.length} B)`, 'parse', fmt(b), fmt(t), ratio(t, b)]);
    rows.push(['', 'parse + read Via/From/To/Call-ID/CSeq/Contact/R-URI', fmt(br), fmt(tr), ratio(tr, br)]);
  }
  console.log(table(['message', 'work', 'baseline msg/s', 'trunkline msg/s', 'trunkline/baseline'], rows));
}

const SIP_USER = 'bench1001';
const SIP_PASSWORD = 'bench-Secret-42';

interface Target {
  name: string;
  host: string;
  port: number;
}

function stepLine(label: string, s: RateStep): string {
  const status = s.passed ? 'ok' : `FAIL: ${s.reason}`;
  return `  ${label.padEnd(28)} ${String(s.rate).padStart(6)}/s  ${String(s.successful).padStart(6)} ok  achieved ${s.achievedRate.toFixed(0).padStart(6)}/s  p50 ${fmtMs(s.p50Ms)} ms  p99 ${fmtMs(s.p99Ms)} ms  rtd-p99 ${fmtMs(s.p99RtdMs)} ms  retrans ${s.retransmissions}  ${status}`;
}

function bestCell(r: RisingRateResult | undefined): string {
  if (r === undefined) return 'not run';
  if (r.best === undefined) return `none (< ${r.steps[0]?.rate ?? '?'}/s)`;
  return `${r.ceilingReached ? '≥' : ''}${r.best.rate}/s`;
}

async function loadBench(): Promise<void> {
  heading('Served load: highest rate with zero failed calls (SIPp, UDP, rising rates)');
  const skip = sippSkipReason() || kamailioSkipReason();
  if (skip !== false) {
    console.log(`cannot run: ${skip}`);
    problems.push(skip);
    return;
  }
  const rates = ratesFromEnv(process.env.BENCH_SIP_RATES);
  const seconds = Number.parseFloat(process.env.BENCH_SIP_STEP_SECONDS ?? '3');
  const children = Number.parseInt(process.env.BENCH_KAMAILIO_CHILDREN ?? '2', 10);
  console.log(`rates ${rates.join(', ')} /s; ${seconds} s of calls per step; Kamailio children ${children}`);
  const workRoot = mkdtempSync(join(tmpdir(), 'trunkline-bench-sip-'));

  let kam: KamailioInstance | undefined;
  let tl: TrunklineInstance | undefined;
  const targets: Target[] = [];
  let trunklineProblem: string | undefined;
  try {
    kam = await startKamailio({
      config: 'kamailio-options-register',
      children,
      defines: { TL_AUTH_USER: `"${SIP_USER}"`, TL_AUTH_PASSWORD: `"${SIP_PASSWORD}"` },
    });
    targets.push({ name: 'kamailio', host: kam.host, port: kam.port });

    if (!trunklineCliAvailable()) {
      trunklineProblem = 'trunkline CLI not available yet (src/cli/main.ts missing)';
    } else {
      tl = await startTrunkline();
      const reply = await tl.pingSip(1000);
      if (reply === undefined) {
        trunklineProblem = `trunkline SIP edge not available: nothing answered OPTIONS on ${tl.host}:${tl.sipPort}`;
      } else {
        if (tl.apiKey === undefined) {
          trunklineProblem = 'trunkline printed no first-start API key; cannot create the REGISTER credentials';
        } else {
          await createDomain(tl.httpUrl, tl.apiKey, 'bench.example');
          await createConnection(tl.httpUrl, tl.apiKey, {
            domain: 'bench.example',
            'connection-orig-match-pattern': `sip:${SIP_USER}@*`,
            description: 'bench:sip REGISTER credentials',
            'connection-address': 'dynamic',
            'connection-sip-registration-username': SIP_USER,
            'connection-sip-registration-password': SIP_PASSWORD,
            'connection-require-sip-authentication-enabled': 'yes',
          });
        }
        targets.push({ name: 'trunkline', host: tl.host, port: tl.sipPort });
      }
    }
    if (trunklineProblem !== undefined) {
      console.log(`!! ${trunklineProblem}; only the Kamailio half runs, and this bench will exit non-zero.`);
      problems.push(trunklineProblem);
    }

    const results: Record<string, Record<string, RisingRateResult>> = {};
    const scenarios = [
      { key: 'OPTIONS', scenario: 'options' as const, auth: undefined },
      { key: 'REGISTER+digest', scenario: 'register-digest' as const, auth: { user: SIP_USER, password: SIP_PASSWORD } },
    ];
    // Interleaved: each scenario against every target before the next scenario.
    for (const sc of scenarios) {
      for (const t of targets) {
        console.log(`${sc.key} -> ${t.name} (${t.host}:${t.port})`);
        const r = await risingRate({
          label: `${t.name}-${sc.key}`,
          scenario: sc.scenario,
          target: { host: t.host, port: t.port },
          ...(sc.auth === undefined ? {} : { auth: sc.auth }),
          rates,
          secondsPerStep: seconds,
          workRoot,
          onStep: (s) => console.log(stepLine(`${t.name} ${sc.key}`, s)),
        });
        (results[sc.key] ??= {})[t.name] = r;
        if (r.best === undefined) problems.push(`${t.name} ${sc.key}: no rate passed (${r.steps[0]?.reason ?? ''})`);
      }
    }

    heading('Served load summary (trunkline / Kamailio)');
    const rows: string[][] = [];
    for (const sc of scenarios) {
      const k = results[sc.key]?.kamailio;
      const t = results[sc.key]?.trunkline;
      const rateRatio =
        k?.best === undefined || t?.best === undefined
          ? 'n/a'
          : `${ratio(t.best.rate, k.best.rate)}${k.ceilingReached || t.ceilingReached ? ' (capped)' : ''}`;
      rows.push([
        sc.key,
        bestCell(k),
        fmtMs(k?.best?.p99Ms),
        k?.best === undefined ? '-' : String(k.best.retransmissions),
        bestCell(t),
        fmtMs(t?.best?.p99Ms),
        t?.best === undefined ? '-' : String(t.best.retransmissions),
        rateRatio,
        ratio(t?.best?.p99Ms, k?.best?.p99Ms),
      ]);
    }
    console.log(
      table(
        ['scenario', 'kamailio max', 'p99 ms', 'retrans', 'trunkline max', 'p99 ms', 'retrans', 'rate ratio', 'p99 ratio'],
        rows,
      ),
    );
    console.log(
      'max = highest rate with zero failed calls (≥: every rate tried passed; "capped" ratios are then a bound).\n' +
        'p99 = 99th percentile per call at that rate, first request sent -> final response (REGISTER: both round trips),\n' +
        'from SIPp -trace_shortmsg microsecond timestamps; retrans = SIPp UDP retransmissions at that rate (a response\n' +
        'later than 500 ms: the server was saturated even though no call failed). rate ratio > 1 and p99 ratio < 1 favour trunkline.',
    );
    const anyFailed = Object.values(results).some((byTarget) => Object.values(byTarget).some((r) => r.steps.some((s) => !s.passed)));
    if (process.env.BENCH_KEEP === '1' || anyFailed) console.log(`SIPp work files kept in ${workRoot}`);
    else rmSync(workRoot, { recursive: true, force: true });
  } finally {
    await tl?.stop();
    await kam?.stop();
  }
}

async function main(): Promise<number> {
  console.log(`bench:sip | ${machineLine()}`);
  if (parts.has('parser')) await parserBench();
  if (parts.has('load')) await loadBench();
  if (problems.length > 0) {
    console.log(`\nINCOMPLETE: ${problems.join('; ')}`);
    return 2;
  }
  return 0;
}

runBench(main);
