/**
 * Run SIPp (the Debian package `sip-tester`, `/usr/bin/sipp`) from Node tests and benches.
 *
 *   const r = await runSipp({ scenario: 'options', target: { host: '127.0.0.1', port }, calls: 10 });
 *   assert.equal(r.successful, 10);
 *
 * Every run gets its own work directory (a temp dir unless `workDir` is given) holding the statistics CSV
 * (`-trace_stat`), the error log (`-trace_err`), the full message log (`-trace_msg`) and, on request, the
 * response-time samples (`-trace_rtt`) and the one-line-per-message log (`-trace_shortmsg`). SIPp always runs
 * in the foreground (never `-bg`), always with `-timeout` so it can never hang, and is killed outright if it
 * outlives that timeout by a margin.
 *
 * SIPp exit codes (`sipp -h`, "Exit codes"):
 *    0  all calls were successful
 *    1  at least one call failed
 *   97  exit on internal command (e.g. SIGUSR1 / 'q'); calls may have been processed
 *   99  normal exit without calls processed
 *   -1  fatal error (seen by Node as 255); also what SIPp 3.6 returns when the global `-timeout` is reached
 *       with `-timeout_error` (stderr then says "<scenario> timed out after 'N' seconds")
 *   -2  fatal error binding a socket (seen by Node as 254)
 * `describeSippExit()` turns one into words for assertion messages.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The XML scenarios kept in the repo (test/support/sipp-scenarios/). */
export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'sipp-scenarios');

/**
 * Named scenarios. `dialog: true` scenarios create a SIP dialog, where SIPp's default behaviours
 * (send BYE/CANCEL when a call is aborted) clean up after a failure; for the others a BYE would only be a
 * stray request, so they run with `-default_behaviors abortunexp` (an unexpected response still fails the
 * call at once; with `none` SIPp would wait for the expected one until the global timeout).
 */
export const SIPP_SCENARIOS = {
  /** OPTIONS -> 200. */
  options: { file: 'options.xml', dialog: false },
  /** REGISTER -> 401 -> REGISTER with [authentication] (-au/-ap) -> 200. */
  'register-digest': { file: 'register-digest.xml', dialog: false },
  /** REGISTER -> 401 -> REGISTER with a wrong password -> 403. */
  'register-wrong-password': { file: 'register-wrong-password.xml', dialog: false },
  /** INVITE -> 200 -> ACK -> BYE -> 200, ACK/BYE routed by the dialog's route set. */
  'uac-invite': { file: 'uac-invite.xml', dialog: true },
  /** Answers INVITE with 180/200 (copying Record-Route), then BYE with 200. */
  uas: { file: 'uas.xml', dialog: true },
} as const;
export type SippScenarioName = keyof typeof SIPP_SCENARIOS;

/**
 * Which scenario to run: a name from SIPP_SCENARIOS, SIPp's own embedded scenario (`-sn uac`, `-sn uas`),
 * or an XML file (absolute, or relative to SCENARIO_DIR).
 */
export type SippScenario =
  | SippScenarioName
  | { builtin: 'uac' | 'uas' | (string & {}) }
  | { file: string; dialog?: boolean };

export type SippTransport = 'udp' | 'tcp';

export interface SippOptions {
  scenario: SippScenario;
  /** Where requests go. Omit for a pure UAS (it answers whoever sends). */
  target?: { host: string; port: number };
  /** `-t u1` (UDP, one socket) or `-t t1` (TCP, one connection). Default udp. */
  transport?: SippTransport;
  /** Local address (`-i`), used in Via/Contact/From. Default 127.0.0.1. */
  localHost?: string;
  /** Local port (`-p`). Default: a free port found just before the start (retried if SIPp cannot bind it). */
  localPort?: number;
  /** Number of calls (`-m`); SIPp exits once they are processed. Default 1. */
  calls?: number;
  /** New calls per second (`-r`). Default 10. */
  rate?: number;
  /** Maximum simultaneous calls (`-l`). */
  maxConcurrent?: number;
  /** Request-URI / AOR user (`-s`, [service]). Defaults to `auth.user` when given, else SIPp's 'service'. */
  service?: string;
  /** Digest credentials for [authentication] (`-au`, `-ap`). */
  auth?: { user: string; password: string };
  /** Pause length for <pause/> in ms (`-d`). */
  callLengthMs?: number;
  /** Global run timeout in seconds (`-timeout Ns -timeout_error`). Default 30. */
  timeoutSeconds?: number;
  /** Per-recv timeout in ms (`-recv_timeout`): an expected message missing that long fails the call. */
  recvTimeoutMs?: number;
  /** Full message log (`-trace_msg`). Default true; turn off under load. */
  traceMessages?: boolean;
  /** Every response-time sample (`-trace_rtt -rtt_freq`). Default false. */
  traceRtt?: boolean;
  /** One line per message with microsecond timestamps (`-trace_shortmsg`). Default false. */
  traceShortMessages?: boolean;
  /** Statistics dump period in seconds (`-fd`). Default 1. */
  statsPeriodSeconds?: number;
  /** Where SIPp runs and writes its files (created if missing). Default: a new temp dir, left for the caller. */
  workDir?: string;
  /**
   * `-default_behaviors`: comma-separated among all, none, bye, abortunexp, pingreply (a leading '-' turns
   * one off). Default: 'all' for dialog scenarios, else 'abortunexp'.
   */
  defaultBehaviors?: string;
  /** Anything else, appended verbatim. */
  extraArgs?: readonly string[];
}

/** Counters from the last row of the -trace_stat CSV ((C) = cumulative). */
export interface SippStats {
  /** Every column of the last row, by header name. */
  raw: Record<string, string>;
  created: number;
  successful: number;
  failed: number;
  incoming: number;
  outgoing: number;
  retransmissions: number;
  /** Achieved calls per second over the whole run. */
  callRate: number;
  elapsedSeconds: number;
  /** Non-zero Failed* counters by reason, e.g. { FailedUnexpectedMessage: 3 }. */
  failureReasons: Record<string, number>;
  /** Mean response time 1 in ms (SIPp's own clock), when the scenario measures one. */
  responseTime1Ms: number | undefined;
}

export interface SippResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** describeSippExit(exitCode). */
  exitMeaning: string;
  successful: number;
  failed: number;
  /** Calls neither successful nor failed when SIPp stopped (e.g. the global timeout hit). */
  unfinished: number;
  stats: SippStats | undefined;
  /** Where successful/failed came from. */
  statsSource: 'trace_stat' | 'screen' | 'none';
  args: string[];
  workDir: string;
  statsCsv: string;
  errorsLog: string;
  messagesLog: string | undefined;
  rttCsv: string | undefined;
  shortMessagesLog: string | undefined;
  /** The final statistics screen (`-trace_screen`), or the tail of stdout. */
  screen: string;
  stderr: string;
  localPort: number;
  durationMs: number;
}

export interface SippRun {
  readonly pid: number | undefined;
  readonly localPort: number;
  readonly workDir: string;
  /** Resolves when SIPp exits. */
  readonly done: Promise<SippResult>;
  /** Soft stop (SIGUSR1: no new calls, finish the current ones), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<SippResult>;
}

let sippChecked: string | false | undefined;

/** Path of the sipp binary, or false. */
export function sippPath(): string | false {
  if (sippChecked !== undefined) return sippChecked;
  const r = spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' });
  sippChecked = r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : false;
  return sippChecked;
}

export function sippAvailable(): boolean {
  return sippPath() !== false;
}

/** For `it(name, { skip: sippSkipReason() }, ...)`: false when SIPp is there, else why the test skips. */
export function sippSkipReason(): string | false {
  return sippAvailable()
    ? false
    : 'sipp not found on PATH: install the Debian package sip-tester (apt-get install sip-tester) to run SIPp tests';
}

export function describeSippExit(code: number | null): string {
  switch (code) {
    case 0:
      return 'all calls successful';
    case 1:
      return 'at least one call failed';
    case 97:
      return 'exit on internal command (stopped); calls may have been processed';
    case 99:
      return 'normal exit without calls processed';
    case 255:
    case -1:
      return 'fatal error (or the global -timeout was reached with -timeout_error)';
    case 254:
    case -2:
      return 'fatal error binding a socket';
    case null:
      return 'killed by a signal';
    default:
      return `unknown exit code ${code}`;
  }
}

/**
 * A port free for both UDP and TCP on `host` right now (SIP listens on both with the same number).
 * The OS picks a free TCP port; it is kept only if the same UDP port also binds.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    const udpOk = await new Promise<boolean>((resolve) => {
      const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      sock.once('error', () => {
        sock.close();
        resolve(false);
      });
      sock.bind(port, host, () => sock.close(() => resolve(true)));
    });
    if (udpOk && port !== 0) return port;
  }
  throw new Error(`no free UDP+TCP port found on ${host}`);
}

/** Distinct free ports (each free for UDP and TCP). */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < count) out.add(await findFreePort(host));
  return [...out];
}

function scenarioArgs(s: SippScenario): { args: string[]; dialog: boolean } {
  if (typeof s === 'string') {
    const known = SIPP_SCENARIOS[s];
    if (known === undefined) throw new Error(`unknown SIPp scenario "${s}"`);
    return { args: ['-sf', join(SCENARIO_DIR, known.file)], dialog: known.dialog };
  }
  if ('builtin' in s) return { args: ['-sn', s.builtin], dialog: s.builtin === 'uac' || s.builtin === 'uas' };
  const file = isAbsolute(s.file) ? s.file : join(SCENARIO_DIR, s.file);
  if (!existsSync(file)) throw new Error(`SIPp scenario file not found: ${file}`);
  return { args: ['-sf', file], dialog: s.dialog ?? false };
}

/** The command line for these options (without the binary). */
export function buildSippArgs(o: SippOptions, localPort: number, workDir: string): { args: string[]; files: Pick<SippResult, 'statsCsv' | 'errorsLog' | 'messagesLog' | 'shortMessagesLog'> & { screenFile: string } } {
  const { args: scen, dialog } = scenarioArgs(o.scenario);
  const args: string[] = [];
  if (o.target !== undefined) args.push(`${o.target.host}:${o.target.port}`);
  args.push(...scen);
  args.push('-t', (o.transport ?? 'udp') === 'tcp' ? 't1' : 'u1');
  args.push('-i', o.localHost ?? '127.0.0.1', '-p', String(localPort));
  args.push('-m', String(o.calls ?? 1), '-r', String(o.rate ?? 10));
  if (o.maxConcurrent !== undefined) args.push('-l', String(o.maxConcurrent));
  const service = o.service ?? o.auth?.user;
  if (service !== undefined) args.push('-s', service);
  if (o.auth !== undefined) args.push('-au', o.auth.user, '-ap', o.auth.password);
  if (o.callLengthMs !== undefined) args.push('-d', String(o.callLengthMs));
  args.push('-timeout', `${o.timeoutSeconds ?? 30}s`, '-timeout_error');
  if (o.recvTimeoutMs !== undefined) args.push('-recv_timeout', String(o.recvTimeoutMs));
  args.push('-default_behaviors', o.defaultBehaviors ?? (dialog ? 'all' : 'abortunexp'));
  args.push('-nostdin');

  const statsCsv = join(workDir, 'stats.csv');
  const errorsLog = join(workDir, 'errors.log');
  const screenFile = join(workDir, 'screen.log');
  args.push('-trace_stat', '-stf', statsCsv, '-fd', String(o.statsPeriodSeconds ?? 1));
  args.push('-trace_err', '-error_file', errorsLog);
  args.push('-trace_screen', '-screen_file', screenFile);
  let messagesLog: string | undefined;
  if (o.traceMessages ?? true) {
    messagesLog = join(workDir, 'messages.log');
    args.push('-trace_msg', '-message_file', messagesLog);
  }
  let shortMessagesLog: string | undefined;
  if (o.traceShortMessages ?? false) {
    shortMessagesLog = join(workDir, 'shortmessages.log');
    args.push('-trace_shortmsg', '-shortmessage_file', shortMessagesLog);
  }
  // -trace_rtt has no file-name option: SIPp writes <scenario>_<pid>_rtt.csv in its working directory.
  if (o.traceRtt ?? false) args.push('-trace_rtt', '-rtt_freq', '1');
  if (o.extraArgs !== undefined) args.push(...o.extraArgs);
  return { args, files: { statsCsv, errorsLog, messagesLog, shortMessagesLog, screenFile } };
}

function readIfExists(path: string | undefined): string {
  if (path === undefined || !existsSync(path)) return '';
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

const num = (v: string | undefined): number => {
  const n = Number.parseFloat(v ?? '');
  return Number.isFinite(n) ? n : 0;
};

/** "00:00:01:234567" (h:m:s:us) or "00:00:01" to seconds. */
function durationSeconds(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const parts = v.split(':').map((p) => Number.parseInt(p, 10));
  if (parts.some((p) => !Number.isFinite(p))) return 0;
  const [h = 0, m = 0, s = 0, us = 0] = parts;
  return h * 3600 + m * 60 + s + us / 1e6;
}

/**
 * Parse a -trace_stat CSV (';'-separated; the time columns hold tabs). Returns the last data row, which
 * SIPp writes when it exits, so its cumulative (C) counters cover the whole run.
 */
export function parseSippStatCsv(text: string): SippStats | undefined {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const raw: Record<string, string> = {};
  header.forEach((h, i) => {
    if (h !== '') raw[h] = last[i] ?? '';
  });
  const failureReasons: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(Failed\w+)\(C\)$/.exec(k);
    if (m !== null && m[1] !== 'FailedCall' && num(v) > 0) failureReasons[m[1] as string] = num(v);
  }
  const rt1 = raw['ResponseTime1(C)'];
  return {
    raw,
    created: num(raw['TotalCallCreated']),
    successful: num(raw['SuccessfulCall(C)']),
    failed: num(raw['FailedCall(C)']),
    incoming: num(raw['IncomingCall(C)']),
    outgoing: num(raw['OutgoingCall(C)']),
    retransmissions: num(raw['Retransmissions(C)']),
    callRate: num(raw['CallRate(C)']),
    elapsedSeconds: durationSeconds(raw['ElapsedTime(C)']),
    failureReasons,
    responseTime1Ms: rt1 === undefined ? undefined : durationSeconds(rt1) * 1000,
  };
}

/** Fallback when there is no CSV: the "Successful call | periodic | cumulative" lines of the final screen. */
export function parseSippScreen(text: string): { successful: number; failed: number } | undefined {
  const ok = [...text.matchAll(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/g)].pop();
  const ko = [...text.matchAll(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/g)].pop();
  if (ok === undefined || ko === undefined) return undefined;
  return { successful: Number(ok[1]), failed: Number(ko[1]) };
}

/** Response-time samples (ms, SIPp's millisecond clock) of one rtd from a -trace_rtt CSV. */
export function readRttSamples(path: string, rtd: string | number = 1): number[] {
  const out: number[] = [];
  const want = String(rtd);
  for (const line of readIfExists(path).split('\n')) {
    const f = line.split(';');
    if (f.length < 3 || f[0] === 'Date_ms') continue;
    if ((f[2] ?? '').trim() !== want) continue;
    const v = Number.parseFloat(f[1] ?? '');
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/**
 * Per-call latency in ms with microsecond precision from a -trace_shortmsg log: for each Call-ID, the time
 * from its first sent message to its last received message. For one-transaction scenarios (OPTIONS) that is
 * the transaction's response time; for REGISTER with digest, both round trips (same span as rtd 1).
 */
export function readShortMessageCallLatencies(path: string): number[] {
  const first = new Map<string, number>();
  const lastRecv = new Map<string, number>();
  for (const line of readIfExists(path).split('\n')) {
    // date \t time \t epoch.us \t S|R \t Call-ID \t CSeq \t first line
    const f = line.split('\t');
    if (f.length < 5) continue;
    const t = Number.parseFloat(f[2] ?? '');
    const callId = f[4] ?? '';
    if (!Number.isFinite(t)) continue;
    if (f[3] === 'S') {
      if (!first.has(callId)) first.set(callId, t);
    } else if (f[3] === 'R') {
      lastRecv.set(callId, t);
    }
  }
  const out: number[] = [];
  for (const [callId, t0] of first) {
    const t1 = lastRecv.get(callId);
    if (t1 !== undefined && t1 >= t0) out.push((t1 - t0) * 1000);
  }
  return out;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

function findRttCsv(workDir: string): string | undefined {
  const f = readdirSync(workDir).find((n) => n.endsWith('_rtt.csv'));
  return f === undefined ? undefined : join(workDir, f);
}

const BIND_FAILURE = /bind|address already in use/i;

/** Start SIPp; resolve `done` when it exits. See runSipp for the common case. */
export async function startSipp(options: SippOptions): Promise<SippRun> {
  const bin = sippPath();
  if (bin === false) throw new Error(sippSkipReason() as string);
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'trunkline-sipp-'));
  mkdirSync(workDir, { recursive: true });
  const localPort = options.localPort ?? (await findFreePort(options.localHost ?? '127.0.0.1'));
  const { args, files } = buildSippArgs(options, localPort, workDir);
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  const started = Date.now();

  const child: ChildProcess = spawn(bin, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdoutTail = '';
  let stderr = '';
  child.stdout?.setEncoding('latin1');
  child.stderr?.setEncoding('latin1');
  child.stdout?.on('data', (d: string) => {
    stdoutTail = (stdoutTail + d).slice(-64 * 1024);
  });
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-64 * 1024);
  });

  // -timeout makes SIPp quit by itself; this is only the backstop if it does not.
  const killer = setTimeout(() => child.kill('SIGKILL'), (timeoutSeconds + 15) * 1000);
  killer.unref();

  const done = new Promise<SippResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      const stats = parseSippStatCsv(readIfExists(files.statsCsv));
      const screen = readIfExists(files.screenFile) || stdoutTail;
      let successful = 0;
      let failed = 0;
      let statsSource: SippResult['statsSource'] = 'none';
      if (stats !== undefined) {
        successful = stats.successful;
        failed = stats.failed;
        statsSource = 'trace_stat';
      } else {
        const s = parseSippScreen(screen);
        if (s !== undefined) {
          successful = s.successful;
          failed = s.failed;
          statsSource = 'screen';
        }
      }
      const isUas = options.target === undefined;
      const expected = isUas ? Math.max(stats?.incoming ?? 0, successful + failed) : (options.calls ?? 1);
      resolve({
        exitCode: code,
        signal,
        exitMeaning: describeSippExit(code),
        successful,
        failed,
        unfinished: Math.max(0, expected - successful - failed),
        stats,
        statsSource,
        args,
        workDir,
        statsCsv: files.statsCsv,
        errorsLog: files.errorsLog,
        messagesLog: files.messagesLog,
        rttCsv: options.traceRtt ? findRttCsv(workDir) : undefined,
        shortMessagesLog: files.shortMessagesLog,
        screen,
        stderr,
        localPort,
        durationMs: Date.now() - started,
      });
    });
  });

  return {
    pid: child.pid,
    localPort,
    workDir,
    done,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGUSR1');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        t.unref();
        try {
          return await done;
        } finally {
          clearTimeout(t);
        }
      }
      return done;
    },
  };
}

/**
 * Run SIPp to completion. When the local port was chosen here and SIPp could not bind it (another process
 * took it in between), it is retried with a new port, up to 3 times.
 */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  for (let attempt = 1; ; attempt++) {
    const run = await startSipp(options);
    const r = await run.done;
    const bindFailed = (r.exitCode === 254 || r.exitCode === 255) && BIND_FAILURE.test(r.stderr + r.screen);
    if (!bindFailed || options.localPort !== undefined || attempt >= 3) return r;
    if (options.workDir === undefined) rmSync(r.workDir, { recursive: true, force: true });
  }
}

/**
 * Known SIPp limitations worth naming when a run goes wrong. SIPp 3.6 computes [authentication] only for
 * MD5 (and AKAv1-MD5) and reads the FIRST WWW-Authenticate/Proxy-Authenticate header: a server offering
 * SHA-256 first (RFC 8760 order) leaves every call stuck until the global timeout, with only this line in
 * the error log.
 */
export function sippHints(r: SippResult): string[] {
  const text = `${r.stderr}\n${readIfExists(r.errorsLog).slice(-20_000)}`;
  const hints: string[] = [];
  if (/authentication must use MD5/i.test(text)) {
    hints.push(
      'hint: SIPp only answers MD5 digest challenges and uses the first WWW-Authenticate header; ' +
        'the server must offer MD5 first (or only) to SIPp',
    );
  }
  return hints;
}

/** One line for assertion messages: counts, exit meaning, and where to look. */
export function summarizeSipp(r: SippResult): string {
  const reasons = r.stats === undefined ? '' : Object.entries(r.stats.failureReasons).map(([k, v]) => `${k}=${v}`).join(' ');
  const errTail = readIfExists(r.errorsLog).slice(-1500);
  return [
    `sipp exit ${r.exitCode ?? r.signal} (${r.exitMeaning}): ${r.successful} successful, ${r.failed} failed, ${r.unfinished} unfinished ${reasons}`.trim(),
    ...sippHints(r),
    `work dir ${r.workDir}${r.messagesLog ? `, messages ${r.messagesLog}` : ''}`,
    r.stderr.trim() === '' ? '' : `stderr: ${r.stderr.trim().slice(-500)}`,
    errTail === '' ? '' : `errors log tail:\n${errTail}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}
