/**
 * What the memory of held calls is made of: V8 heap snapshots of trunkline (written on SIGUSR2 with
 * `node --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR`), summarised by constructor (objects) or node type
 * (strings, arrays, closures...), and the difference between two snapshots per held call.
 *
 * Diagnostic only (`BENCH_CPS_HEAP_SNAPSHOT=DIR npm run bench:cps`): writing a snapshot stops the process for
 * seconds and allocates, so the memory figures of such a run are not results.
 *
 *   node --import tsx bench/lib/cps-heap.ts BEFORE.heapsnapshot AFTER.heapsnapshot [calls]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  name: string;
  count: number;
  bytes: number;
}

/** Self size and count per constructor name (objects) or per node type (everything else). */
export function summariseHeapSnapshot(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType] as number] ?? '?';
    const name = type === 'object' ? (snap.strings[snap.nodes[i + iName] as number] ?? '?') : `(${type})`;
    const g = out.get(name) ?? { name, count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += snap.nodes[i + iSize] as number;
    out.set(name, g);
  }
  return out;
}

/** Groups that grew between two snapshots, largest growth first. */
export function heapGrowth(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>): HeapGroup[] {
  const rows: HeapGroup[] = [];
  for (const [name, a] of after) {
    const b = before.get(name);
    rows.push({ name, count: a.count - (b?.count ?? 0), bytes: a.bytes - (b?.bytes ?? 0) });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}

/** The heap snapshot files in `dir` newer than `sinceMs`, oldest first. */
export function heapSnapshotsSince(dir: string, sinceMs: number): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= sinceMs)
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** Wait until a new snapshot file exists and its size stopped changing (the writer is done). */
export async function waitForHeapSnapshot(dir: string, sinceMs: number, known: number, timeoutMs = 120_000): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  let lastSize = -1;
  while (Date.now() < until) {
    const files = heapSnapshotsSince(dir, sinceMs);
    const f = files[known];
    if (f !== undefined) {
      const size = statSync(f).size;
      if (size > 0 && size === lastSize) return f;
      lastSize = size;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

export function printHeapGrowth(rows: readonly HeapGroup[], calls: number, top = 25): void {
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  console.log(`heap growth (self sizes, live objects only): ${(total / 1024 / 1024).toFixed(1)} MB, ${(total / calls / 1024).toFixed(2)} KB per call`);
  console.log('   KB/call   objects/call  name');
  for (const r of rows.slice(0, top)) {
    console.log(`${(r.bytes / calls / 1024).toFixed(2).padStart(10)}  ${(r.count / calls).toFixed(1).padStart(13)}  ${r.name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [before, after, callsText] = process.argv.slice(2);
  if (before === undefined || after === undefined) {
    console.error('usage: cps-heap.ts BEFORE.heapsnapshot AFTER.heapsnapshot [calls]');
    process.exit(2);
  }
  printHeapGrowth(heapGrowth(summariseHeapSnapshot(before), summariseHeapSnapshot(after)), Number(callsText ?? '1'));
}
