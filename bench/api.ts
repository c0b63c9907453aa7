/**
 * `npm run bench:api`: the NetSapiens connection API under load, as ratios against a bare fastify route
 * measured in the same run with the same autocannon settings (50 connections, pipelining 1).
 *
 *   baseline  GET  bare fastify, same URL shape, fixed ~2 KB connection JSON (bench/lib/bare-server.ts)
 *   read      GET  /ns-api/v2/domains/{d}/connections/{pattern}  random existing pattern of 10,000
 *   create    POST /ns-api/v2/connections                       a new unique pattern every request
 *
 * trunkline and the bare server each run as their own child process; autocannon runs here. Each kind gets
 * BENCH_DURATION seconds of measured load, split into BENCH_ROUNDS interleaved rounds (baseline, read,
 * create, baseline, ...); the ratio reported is the median of the per-round ratios, so load from other
 * processes on the machine during the run hits the baseline and trunkline alike.
 * Targets: read >= 0.5 x baseline req/s, create >= 0.25 x.
 *
 * Environment:
 *   BENCH_DURATION      measured seconds per kind of run, over all rounds (default 10)
 *   BENCH_ROUNDS        interleaved rounds (default 5: 2 s slices with the default duration)
 *   BENCH_WARMUP        seconds of unmeasured load per kind before the rounds (default 2)
 *   BENCH_CONNECTIONS   connections created before the runs (default 10000)
 *   BENCH_API_EDGE      `off`: run the server without its SIP edge (bench/lib/api-only-launcher.ts), to
 *                       measure the API apart from the edge sharing its process (default `on`: `trunkline serve`)
 *   BENCH_CPU_PROF      a directory: trunkline runs with `node --cpu-prof` and writes its profile there on exit
 *                       (read it with `node --import tsx bench/lib/cpuprofile-top.ts FILE`)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNewConnection } from '../src/model/index.js';
import { openStore } from '../src/store/index.js';
import { startBareServer, runLoad, type LoadResult } from './lib/http-load.js';
import { nsRequest } from './lib/ns-api.js';
import { fmt, fmtMs, heading, machineLine, ratio, table, runBench } from './lib/report.js';
import { REPO_ROOT, startTrunkline, trunklineCliAvailable } from './lib/trunkline.js';

const DURATION = Number.parseFloat(process.env.BENCH_DURATION ?? '10');
const WARMUP = Number.parseFloat(process.env.BENCH_WARMUP ?? '2');
const COUNT = Number.parseInt(process.env.BENCH_CONNECTIONS ?? '10000', 10);
const ROUNDS = Math.max(1, Number.parseInt(process.env.BENCH_ROUNDS ?? '5', 10));
const CPU_PROF = process.env.BENCH_CPU_PROF;
const EDGE = (process.env.BENCH_API_EDGE ?? 'on').toLowerCase() !== 'off';
const DOMAIN = 'bench.example';
const READ_TARGET = 0.5;
const CREATE_TARGET = 0.25;

const patternOf = (i: number) => `sip*@trunk-${i}.bench.example`;

/** 10,000 connections straight into the store (before the server opens it), in batches. */
async function seedStore(dataDir: string, count: number): Promise<void> {
  const store = await openStore({ data: dataDir });
  try {
    await store.createTenant({ name: DOMAIN, reseller: 'bench', description: 'benchmark domain', attributes: {} });
    const batch = 100;
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      await Promise.all(
        Array.from({ length: n }, (_, j) =>
          store.createConnection(
            buildNewConnection(
              { domain: DOMAIN, origMatchPattern: patternOf(i + j), createdBy: 'netsapiens' },
              {
                description: `bench trunk ${i + j}`,
                address: `198.51.${Math.floor((i + j) / 250) % 250}.${((i + j) % 250) + 1}`,
                maxCallsTotal: 100,
                sourceIpCheck: true,
              },
            ),
          ),
        ),
      );
    }
  } finally {
    await store.close();
  }
}

function createBody(n: number, runTag: string): string {
  return JSON.stringify({
    domain: DOMAIN,
    'connection-orig-match-pattern': `sip*@new-${runTag}-${n}.bench.example`,
    description: `created by bench:api ${n}`,
    'connection-address': `203.0.113.${(n % 250) + 1}`,
    'connection-source-ip-checking-enabled': 'yes',
    'limits-max-active-calls-total': 50,
    'connection-sip-transport-protocol': 'UDP',
  });
}

function report(label: string, r: LoadResult): void {
  const bad = r.non2xx + r.errors + r.timeouts;
  console.log(
    `  ${label.padEnd(44)} ${fmt(r.requestsPerSecond).padStart(8)} req/s  p50 ${fmtMs(r.p50Ms)} ms  p99 ${fmtMs(r.p99Ms)} ms  ` +
      `${r.total} requests${bad > 0 ? `  !! non-2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts} ${JSON.stringify(r.statusCodes)}` : ''}`,
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<number> {
  console.log(`bench:api | ${machineLine()}`);
  console.log(`autocannon: 50 connections, pipelining 1; ${DURATION} s per kind in ${ROUNDS} interleaved rounds after ${WARMUP} s warm-up; ${COUNT} connections in the store`);
  console.log(EDGE ? 'server: trunkline serve (HTTP API and SIP edge in one process)' : 'server: trunkline without its SIP edge (BENCH_API_EDGE=off)');
  if (!trunklineCliAvailable()) {
    console.log('trunkline CLI not available yet (src/cli/main.ts missing): nothing to measure');
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), 'trunkline-bench-api-'));
  const dataDir = join(work, 'data');
  const problems: string[] = [];

  const t0 = Date.now();
  await seedStore(dataDir, COUNT);
  console.log(`seeded ${COUNT} connections through the store in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const tl = await startTrunkline({
    dataDir,
    ...(EDGE ? {} : { launcher: join(REPO_ROOT, 'bench', 'lib', 'api-only-launcher.ts') }),
    ...(CPU_PROF === undefined || CPU_PROF === ''
      ? {}
      : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] }),
  });
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    const key = tl.apiKey;
    if (key === undefined) throw new Error(`trunkline printed no first-start API key:\n${tl.log().slice(-2000)}`);
    const headers = { authorization: `Bearer ${key}`, accept: 'application/json' };

    // The baseline answers exactly what trunkline answers for one connection.
    const sample = await nsRequest(tl.httpUrl, key, 'GET', `/v2/domains/${DOMAIN}/connections/${encodeURIComponent(patternOf(0))}`);
    if (sample.status !== 200) throw new Error(`sample GET failed: ${sample.status} ${JSON.stringify(sample.body).slice(0, 300)}`);
    const bodyFile = join(work, 'connection.json');
    writeFileSync(bodyFile, JSON.stringify(sample.body));
    console.log(`response body: ${JSON.stringify(sample.body).length} bytes (the bare route serves the same JSON)`);
    bare = await startBareServer({ bodyFile });

    // Every existing pattern once, in random order; autocannon cycles through the list.
    const readPaths = Array.from({ length: COUNT }, (_, i) => i)
      .sort(() => Math.random() - 0.5)
      .map((i) => `/ns-api/v2/domains/${DOMAIN}/connections/${encodeURIComponent(patternOf(i))}`);
    const reads = { paths: readPaths };
    let created = 0;
    const runTag = Date.now().toString(36);
    const nextCreate = () => ({ path: '/ns-api/v2/connections', body: createBody(created++, runTag) });

    const bareUrl = bare.url;
    const kinds = {
      baseline: (sec: number) => runLoad({ url: bareUrl, method: 'GET', requests: reads, headers, durationSeconds: sec }),
      read: (sec: number) => runLoad({ url: tl.httpUrl, method: 'GET', requests: reads, headers, durationSeconds: sec }),
      create: (sec: number) => runLoad({ url: tl.httpUrl, method: 'POST', requests: { next: nextCreate }, headers, durationSeconds: sec }),
    } as const;
    type Kind = keyof typeof kinds;
    const names: Record<Kind, string> = {
      baseline: 'bare fastify GET (baseline)',
      read: 'GET /domains/{d}/connections/{p}',
      create: 'POST /connections',
    };

    if (WARMUP > 0) {
      heading(`warm-up (${WARMUP} s each, not counted)`);
      for (const k of Object.keys(kinds) as Kind[]) report(`${names[k]}`, await kinds[k](WARMUP));
    }
    // Interleaved rounds (baseline, read, create, baseline, read, create, ...): whatever else the machine is
    // doing hits all three alike, and each round gives a paired ratio against the baseline of that round.
    const slice = DURATION / ROUNDS;
    heading(`${ROUNDS} interleaved rounds of ${slice.toFixed(1)} s per run`);
    const results: Record<Kind, LoadResult[]> = { baseline: [], read: [], create: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const k of Object.keys(kinds) as Kind[]) {
        const r = await kinds[k](slice);
        results[k].push(r);
        report(`round ${round} ${names[k]}`, r);
      }
    }
    // Any non-2xx answer invalidates the result. autocannon occasionally reports a handful of "request timed
    // out" errors well inside its 10 s timeout on this machine (seen on the bare server too); up to 0.1% of the
    // requests is tolerated and printed, more invalidates the result.
    for (const k of Object.keys(kinds) as Kind[]) {
      const non2xx = results[k].reduce((a, r) => a + r.non2xx, 0);
      const errors = results[k].reduce((a, r) => a + r.errors, 0);
      const total = results[k].reduce((a, r) => a + r.total, 0);
      if (non2xx > 0 || errors > total / 1000) problems.push(`${names[k]}: ${non2xx} non-2xx, ${errors} errors of ${total}`);
    }

    const med = (xs: number[]) => median(xs);
    const rps = (k: Kind) => med(results[k].map((r) => r.requestsPerSecond));
    const p99 = (k: Kind) => med(results[k].map((r) => r.p99Ms));
    const paired = (k: Kind, f: (r: LoadResult) => number) =>
      med(results[k].map((r, i) => f(r) / f(results.baseline[i] as LoadResult)));
    heading('summary (medians over the rounds; ratios = median of the per-round ratios to that round\'s baseline)');
    const row = (k: Kind, target: number | undefined): string[] => {
      const rr = k === 'baseline' ? 1 : paired(k, (r) => r.requestsPerSecond);
      const pr = k === 'baseline' ? 1 : paired(k, (r) => r.p99Ms);
      return [
        names[k],
        fmt(rps(k)),
        fmtMs(p99(k)),
        rr.toFixed(2),
        pr.toFixed(2),
        target === undefined ? '' : rr >= target ? `meets ≥ ${target}` : `BELOW ${target}`,
      ];
    };
    console.log(
      table(['run', 'req/s', 'p99 ms', 'req/s ratio', 'p99 ratio', 'target'], [
        row('baseline', undefined),
        row('read', READ_TARGET),
        row('create', CREATE_TARGET),
      ]),
    );
    const b = results.baseline.map((r) => r.requestsPerSecond);
    console.log(
      `baseline spread over the rounds: ${fmt(Math.min(...b))} .. ${fmt(Math.max(...b))} req/s ` +
        `(max/min ${ratio(Math.max(...b), Math.min(...b))}; a large spread means the machine was busy)`,
    );
    const count = await nsRequest(tl.httpUrl, key, 'GET', `/v2/connections/count?domain=${DOMAIN}`);
    console.log(`connections in ${DOMAIN} after the runs: ${JSON.stringify(count.body)} (${created} creates sent)`);
  } finally {
    await bare?.stop();
    await tl.stop();
    rmSync(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.log(`\nINVALID: ${problems.join('; ')}`);
    return 2;
  }
  return 0;
}

runBench(main);
