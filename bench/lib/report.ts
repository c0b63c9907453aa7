/**
 * Printing bench results: aligned text tables and ratios against the baseline measured in the same run.
 */
import { cpus, loadavg, totalmem } from 'node:os';

/** `value / baseline` to 2 decimals, or `n/a` when either side is missing or the baseline is 0. */
export function ratio(value: number | undefined, baseline: number | undefined): string {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) {
    return 'n/a';
  }
  return (value / baseline).toFixed(2);
}

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds with sensible precision: 0.412, 3.91, 27.4, 1234. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A plain-text table; numeric-looking cells are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+]?[\d,.]+(?:\s?\S*)?$|^[≥<>]/;
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return numeric.test(c) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

/** One line describing the machine, for the top of every bench's output and docs/benchmarks.md. */
export function machineLine(): string {
  const c = cpus();
  const model = c[0]?.model.trim() ?? 'unknown CPU';
  return `${new Date().toISOString()} | ${c.length} cores (${model}) | ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM | Node ${process.version} | load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

export function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}

/**
 * Run a bench's main and set the exit code it returns. A crash exits 1 with the stack on stderr and, like every
 * other run that produced no result, an `INCOMPLETE: ...` last line on stdout (docs/benchmarks.md).
 */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      console.log(`\nINCOMPLETE: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      process.exitCode = 1;
    },
  );
}
