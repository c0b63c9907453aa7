/**
 * Test helpers that run a real trunkline server against a temp data dir.
 *
 *   const t = await startTestServer();          // in-process startServer() on an ephemeral port
 *   fetch(`${t.url}/ns-api/v2/connections`, { headers: { authorization: `Bearer ${t.key}` } });
 *   await t.stop();                              // closes the server and removes the data dir
 *
 *   const p = await spawnTrunkline();            // `node --import tsx src/cli/main.ts serve ...` as a child
 *   p.url, p.key (first-start Super User key read from stdout), p.stop() (SIGTERM), p.kill() (SIGKILL)
 *
 *   const r = await runCli(['keys', 'list', '--data', dir]);   // { code, stdout, stderr }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './sipp.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/start.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** A NetSapiens-format key as printed by the server or the CLI. */
export const API_KEY_RE = /\b(ns[sdru]_[A-Za-z0-9]{48}[0-9a-f]{8})\b/;
const LISTENING_RE = /HTTP API listening on (http:\/\/\S+)/;

export function tempDir(prefix = 'trunkline-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A port free on both TCP and UDP (for the SIP listener, which binds both). */
export const freePort = findFreePort;

// ---- in-process -------------------------------------------------------------------------------------------

export interface TestServer {
  readonly url: string;
  /** The first-start Super User key. */
  readonly key: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  /** What the server wrote to its stdout. */
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.data ?? tempDir();
  let output = '';
  const server = await startServer({
    data: dataDir,
    httpHost: '127.0.0.1',
    httpPort: 0,
    sipPort: await freePort(),
    logLevel: 'silent',
    out: { write: (t: string) => (output += t) },
    ...options,
  });
  const key = server.firstKey;
  if (key === undefined) {
    await server.close();
    throw new Error('startTestServer: the store was not empty, no first-start key was created');
  }
  return {
    url: server.url,
    key,
    dataDir,
    server,
    output: () => output,
    async stop() {
      await server.close();
      if (options.data === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---- child process ----------------------------------------------------------------------------------------

export interface SpawnedTrunkline {
  readonly url: string;
  /** The first-start key, when this start created one. */
  readonly key: string | undefined;
  readonly dataDir: string;
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait; resolves with the exit code (or the signal name). */
  stop(): Promise<number | string>;
  /** SIGKILL and wait. */
  kill(): Promise<number | string>;
}

export interface SpawnOptions {
  /** Reuse a data dir (e.g. to restart after a crash); default a new temp dir. */
  dataDir?: string;
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export async function spawnTrunkline(options: SpawnOptions = {}): Promise<SpawnedTrunkline> {
  const dataDir = options.dataDir ?? tempDir();
  const sipPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', CLI_MAIN, 'serve',
      '--data', dataDir,
      '--http-host', '127.0.0.1', '--http-port', '0',
      '--sip-host', '127.0.0.1', '--sip-port', String(sipPort),
      '--log-level', 'warn',
      ...(options.extraArgs ?? []),
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`trunkline did not start in time.\nstdout:\n${out}\nstderr:\n${err}`));
    }, options.startTimeoutMs ?? 30_000);
    const check = () => {
      const m = LISTENING_RE.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        // The first-start key is written right after the listening line; give it a moment.
        setTimeout(() => resolve(m[1] as string), 50);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`trunkline exited during start (${code}).\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });

  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    key: API_KEY_RE.exec(out)?.[1],
    dataDir,
    process: child,
    stdout: () => out,
    stderr: () => err,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI as a child process (`node --import tsx src/cli/main.ts ...args`). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TRUNKLINE_DATA: '', TRUNKLINE_DB: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
