/**
 * Start and stop a real trunkline server (`trunkline serve`) from source, as its own process, for benches.
 *
 *   const t = await startTrunkline();            // fresh SQLite data dir, free HTTP and SIP ports
 *   fetch(`${t.httpUrl}/ns-api/v2/version`, { headers: { authorization: `Bearer ${t.apiKey}` } })
 *   await t.stop();
 *
 * Ready = `GET /ns-api/v2/version` answers (any HTTP status: the route may want a key). The Super User key
 * printed on first start is read from standard output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../test/support/sipp.js';
import { sipPing, type SipPingReply } from './sip-ping.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');
const LAUNCHER = join(REPO_ROOT, 'bench', 'lib', 'trunkline-launcher.ts');

/** A vendor-format API key: 4-character scope prefix + 56 characters (see src/model/credentials.ts). */
const API_KEY = /\b(ns[srdu]_[A-Za-z0-9]{56})\b/;

export function trunklineCliAvailable(): boolean {
  return existsSync(CLI_MAIN);
}

export interface TrunklineOptions {
  /** Data directory (SQLite). Default: a new temp dir, removed by stop(). */
  dataDir?: string;
  /** `--db` URL instead of SQLite. */
  db?: string;
  host?: string;
  httpPort?: number;
  sipPort?: number;
  /** Extra arguments after `serve ...`. */
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Run this script instead of the CLI launcher (same `serve ...` arguments). */
  launcher?: string;
  /** Extra node options before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept). */
  nodeArgs?: readonly string[];
  startTimeoutMs?: number;
}

export interface TrunklineInstance {
  readonly httpUrl: string;
  readonly host: string;
  readonly httpPort: number;
  readonly sipPort: number;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** The first-start Super User key, when the server printed one. */
  readonly apiKey: string | undefined;
  /** Output so far (last 256 KB). */
  log(): string;
  /** One OPTIONS to the SIP edge; undefined when nothing answers. */
  pingSip(timeoutMs?: number): Promise<SipPingReply | undefined>;
  stop(): Promise<void>;
}

export async function startTrunkline(options: TrunklineOptions = {}): Promise<TrunklineInstance> {
  if (!trunklineCliAvailable()) throw new Error(`trunkline CLI not available yet (${CLI_MAIN} is missing)`);
  const host = options.host ?? '127.0.0.1';
  const httpPort = options.httpPort ?? (await findFreePort(host));
  let sipPort = options.sipPort ?? (await findFreePort(host));
  while (sipPort === httpPort) sipPort = await findFreePort(host);
  const ownDataDir = options.dataDir === undefined && options.db === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'trunkline-bench-data-'));
  const args = [
    ...(options.nodeArgs ?? []),
    '--import', 'tsx', options.launcher ?? LAUNCHER, 'serve',
    ...(options.db === undefined ? ['--data', dataDir] : ['--db', options.db]),
    '--http-host', host, '--http-port', String(httpPort),
    '--sip-host', host, '--sip-port', String(sipPort),
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let apiKey: string | undefined;
  const onData = (d: Buffer) => {
    output = (output + d.toString('utf8')).slice(-256 * 1024);
    if (apiKey === undefined) apiKey = API_KEY.exec(output)?.[1];
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const httpUrl = `http://${host}:${httpPort}`;

  const instance: TrunklineInstance = {
    httpUrl,
    host,
    httpPort,
    sipPort,
    dataDir,
    pid: child.pid,
    get apiKey() {
      return apiKey;
    },
    log: () => output,
    pingSip: (timeoutMs = 500) => sipPing({ host, port: sipPort, timeoutMs }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`trunkline exited during start (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`);
    }
    try {
      const res = await fetch(`${httpUrl}/ns-api/v2/version`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      // Give the key line a moment to arrive if the server printed it after binding.
      if (apiKey === undefined) await new Promise((r) => setTimeout(r, 200));
      return instance;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  await instance.stop();
  throw new Error(`trunkline did not answer ${httpUrl}/ns-api/v2/version in time:\n${output.slice(-3000)}`);
}
