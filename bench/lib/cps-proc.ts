/**
 * What `npm run bench:cps` reads about the servers it measures from /proc (Linux only): the process tree
 * (Kamailio forks its workers), resident memory (VmRSS) and proportional set size (Pss: shared pages divided
 * among the processes sharing them, so Kamailio's shared-memory segment is counted once when its processes'
 * figures are summed), and CPU time (user + system, all threads).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** `getconf CLK_TCK` (the unit of utime/stime in /proc/<pid>/stat), 100 when it cannot be read. */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  return clockTicks;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") ": state(3) ppid(4) pgrp(5) ... utime(14) stime(15): index 0 here is field 3.
  return text.slice(end + 2).trim().split(/\s+/);
}

/** `pid` and every process below it (children, grandchildren...), found by parent pid in /proc. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    const ppid = f === undefined ? Number.NaN : Number.parseInt(f[1] ?? '', 10);
    if (Number.isFinite(ppid)) parentOf.set(Number(name), ppid);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parentOf) if (parent === out[i] && !out.includes(child)) out.push(child);
  }
  return out.filter((p) => parentOf.has(p));
}

/** A `kB` line of /proc/<pid>/status (VmRSS, VmHWM, ...), in bytes. */
export function statusBytes(pid: number, field = 'VmRSS'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readText(`/proc/${pid}/status`) ?? '');
  return m === null ? undefined : Number(m[1]) * 1024;
}

/** Pss from /proc/<pid>/smaps_rollup, in bytes (undefined when not readable). */
export function pssBytes(pid: number): number | undefined {
  const m = /^Pss:\s+(\d+)\s+kB/m.exec(readText(`/proc/${pid}/smaps_rollup`) ?? '');
  return m === null ? undefined : Number(m[1]) * 1024;
}

export interface MemorySample {
  /** Processes measured. */
  readonly pids: readonly number[];
  /** Sum of VmRSS (shared pages counted once per process that maps them). */
  readonly rssBytes: number;
  /** Sum of Pss (shared pages divided among their processes: the tree's real footprint). */
  readonly pssBytes: number | undefined;
  readonly at: number;
}

/** Memory of a process tree (one process for trunkline, the main process and its workers for Kamailio). */
export function sampleMemory(rootPid: number, tree = true): MemorySample {
  const pids = tree ? processTree(rootPid) : [rootPid];
  let rss = 0;
  let pss: number | undefined = 0;
  for (const p of pids) {
    rss += statusBytes(p) ?? 0;
    const s = pssBytes(p);
    pss = s === undefined || pss === undefined ? undefined : pss + s;
  }
  return { pids, rssBytes: rss, pssBytes: pss, at: Date.now() };
}

/** CPU seconds (user + system, all threads) used so far by a process tree's live processes. */
export function cpuSeconds(rootPid: number, tree = true): number {
  const pids = tree ? processTree(rootPid) : [rootPid];
  let ticks = 0;
  for (const p of pids) {
    const f = statFields(p);
    if (f === undefined) continue;
    ticks += Number.parseInt(f[11] ?? '0', 10) + Number.parseInt(f[12] ?? '0', 10);
  }
  return ticks / clockTicksPerSecond();
}

/** Median of numbers (undefined when empty). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Datagrams the kernel dropped because the receive buffer of the UDP socket(s) bound to `port` was full
 * (the `drops` column of /proc/net/udp and /proc/net/udp6): a server that does not read fast enough.
 */
export function udpDrops(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of (readText(file) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13 || !(f[1] ?? '').endsWith(`:${hexPort}`)) continue;
      drops += Number.parseInt(f[f.length - 1] ?? '0', 10) || 0;
    }
  }
  return drops;
}
