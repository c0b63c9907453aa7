/**
 * Start and stop Kamailio (Debian package `kamailio`) with one of the configs in bench/kamailio/.
 *
 * The committed configs run as they are (port 5060); here a copy is written to a temp dir with `#!define`
 * lines for the port, address, credentials etc. put first, so the copy that ran is there to read afterwards.
 * Kamailio runs in the foreground (`-DD -E`: no fork to background, log to stderr), with small shared/private
 * memory (`-m`, `-M`) and few children; it is stopped with SIGTERM (then SIGKILL) on its main process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../test/support/sipp.js';
import { sipPing } from './sip-ping.js';

export const KAMAILIO_CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'kamailio');

export type KamailioConfigName = 'kamailio-options-register' | 'kamailio-proxy';

export interface KamailioOptions {
  config: KamailioConfigName;
  host?: string;
  /** Default: a free port (UDP and TCP). */
  port?: number;
  /** Worker processes per transport (`children`, `tcp_children`). Default 2 (one per core on a 2-core box). */
  children?: number;
  /** Shared memory MB (`-m`). Default 64. */
  sharedMemoryMb?: number;
  /** Private memory per process MB (`-M`). Default 8. */
  pkgMemoryMb?: number;
  /** Extra `#!define NAME value` lines (values written verbatim: quote strings yourself). */
  defines?: Record<string, string | number>;
  /** Keep the temp dir (rendered config) after stop(). Default false; it is always kept when the start fails. */
  keepWorkDir?: boolean;
  /** How long to wait for the first answer to OPTIONS. Default 10 s. */
  startTimeoutMs?: number;
}

export interface KamailioInstance {
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** The final config that ran. */
  readonly configPath: string;
  readonly workDir: string;
  /** Everything Kamailio wrote to stderr/stdout so far (last 256 KB). */
  log(): string;
  stop(): Promise<void>;
}

let cachedBinary: string | false | undefined;
let cachedModules: string | false | undefined;

export function kamailioPath(): string | false {
  if (cachedBinary !== undefined) return cachedBinary;
  const r = spawnSync('sh', ['-c', 'command -v kamailio || ls /usr/sbin/kamailio /usr/local/sbin/kamailio 2>/dev/null'], {
    encoding: 'utf8',
  });
  const first = r.stdout.split('\n').find((l) => l.trim() !== '');
  cachedBinary = first === undefined ? false : first.trim();
  return cachedBinary;
}

/** The directory holding sl.so etc.: asks dpkg first, then tries the usual places. */
export function kamailioModulesDir(): string | false {
  if (cachedModules !== undefined) return cachedModules;
  const dpkg = spawnSync('dpkg', ['-L', 'kamailio'], { encoding: 'utf8' });
  const fromDpkg = dpkg.status === 0 ? dpkg.stdout.split('\n').find((l) => l.endsWith('/modules/sl.so')) : undefined;
  const candidates = [
    fromDpkg === undefined ? undefined : dirname(fromDpkg),
    '/usr/lib/x86_64-linux-gnu/kamailio/modules',
    '/usr/lib/aarch64-linux-gnu/kamailio/modules',
    '/usr/lib64/kamailio/modules',
    '/usr/lib/kamailio/modules',
    '/usr/local/lib64/kamailio/modules',
    '/usr/local/lib/kamailio/modules',
  ];
  cachedModules = candidates.find((d) => d !== undefined && existsSync(join(d, 'sl.so'))) ?? false;
  return cachedModules;
}

export function kamailioAvailable(): boolean {
  return kamailioPath() !== false && kamailioModulesDir() !== false;
}

/** For `it(name, { skip: kamailioSkipReason() }, ...)`. */
export function kamailioSkipReason(): string | false {
  if (kamailioPath() === false) return 'kamailio not found: install the Debian package kamailio to run this test';
  if (kamailioModulesDir() === false) return 'kamailio modules (sl.so) not found: is the kamailio package complete?';
  return false;
}

/** The committed config with `defines` placed right after the `#!KAMAILIO` line. */
export function renderKamailioConfig(config: KamailioConfigName, defines: Record<string, string | number>): string {
  const src = readFileSync(join(KAMAILIO_CONFIG_DIR, `${config}.cfg`), 'utf8');
  const lines = Object.entries(defines).map(([k, v]) => `#!define ${k} ${v}`);
  const header = `#!KAMAILIO\n# Rendered by bench/lib/kamailio.ts from bench/kamailio/${config}.cfg\n${lines.join('\n')}\n`;
  return src.startsWith('#!KAMAILIO') ? header + src.slice('#!KAMAILIO'.length).replace(/^\r?\n/, '') : header + src;
}

export async function startKamailio(options: KamailioOptions): Promise<KamailioInstance> {
  const bin = kamailioPath();
  const modules = kamailioModulesDir();
  if (bin === false || modules === false) throw new Error(kamailioSkipReason() as string);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await findFreePort(host));
  const children = options.children ?? 2;
  const workDir = mkdtempSync(join(tmpdir(), 'trunkline-kamailio-'));
  const configPath = join(workDir, `${options.config}.cfg`);
  writeFileSync(
    configPath,
    renderKamailioConfig(options.config, {
      TL_SIP_HOST: `"${host}"`,
      TL_SIP_PORT: port,
      TL_CHILDREN: children,
      ...options.defines,
    }),
  );

  const args = [
    '-DD', // stay in the foreground, no fork
    '-E', // log to stderr
    '-f', configPath,
    '-L', modules,
    '-m', String(options.sharedMemoryMb ?? 64),
    '-M', String(options.pkgMemoryMb ?? 8),
    '-Y', workDir, // runtime dir (ctl socket, pid files) away from /run/kamailio
  ];
  const child: ChildProcess = spawn(bin, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (d: Buffer) => {
    output = (output + d.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const instance: KamailioInstance = {
    host,
    port,
    pid: child.pid,
    configPath,
    workDir,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (!(options.keepWorkDir ?? false)) rmSync(workDir, { recursive: true, force: true });
    },
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  // Ready = it answers OPTIONS on UDP (both configs answer an OPTIONS to themselves with 200).
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`kamailio exited during start (${child.exitCode ?? child.signalCode}); config ${configPath}:\n${output.slice(-3000)}`);
    }
    const reply = await sipPing({ host, port, timeoutMs: 300 });
    if (reply !== undefined && reply.status === 200) return instance;
    await new Promise((r) => setTimeout(r, 100));
  }
  await kill();
  throw new Error(`kamailio (config ${configPath}) did not answer OPTIONS on ${host}:${port} within the start timeout:\n${output.slice(-3000)}`);
}
