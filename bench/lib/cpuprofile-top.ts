/**
 * Print the top self-time functions of a V8 `.cpuprofile` (written by `node --cpu-prof`), for profiling the
 * servers the benches start (`BENCH_CPU_PROF=DIR npm run bench:api`).
 *
 *   node --import tsx bench/lib/cpuprofile-top.ts FILE.cpuprofile [N] [--by-file]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export function topSelfTimes(profile: Profile, byFile = false): Array<{ name: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const agg = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (n === undefined) continue;
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm:').replace(/^.*\/work\/main\//, '');
    const name = byFile
      ? url || `(${n.callFrame.functionName || 'native'})`
      : `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    agg.set(name, (agg.get(name) ?? 0) + ms);
  }
  return [...agg.entries()]
    .map(([name, ms]) => ({ name, ms, share: total === 0 ? 0 : ms / total }))
    .sort((a, b) => b.ms - a.ms);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, nText] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (file === undefined) {
    console.error('usage: cpuprofile-top.ts FILE.cpuprofile [N] [--by-file]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const rows = topSelfTimes(profile, process.argv.includes('--by-file'));
  for (const r of rows.slice(0, Number.parseInt(nText ?? '40', 10))) {
    console.log(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  }
}
