/**
 * HTTP load helpers for `npm run bench:api`: the bare-fastify baseline process and an autocannon runner.
 *
 * autocannon runs in the bench process; every server under test runs in its own child process, so the load
 * generator and the server compete for the cores the same way for the baseline and for trunkline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { findFreePort } from '../../test/support/sipp.js';
import { REPO_ROOT } from './trunkline.js';

export interface BareServer {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export async function startBareServer(opts: { bodyFile?: string; host?: string } = {}): Promise<BareServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = await findFreePort(host);
  const args = ['--import', 'tsx', join(REPO_ROOT, 'bench', 'lib', 'bare-server.ts'), '--host', host, '--port', String(port)];
  if (opts.bodyFile !== undefined) args.push('--body-file', opts.bodyFile);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare server did not start:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (output.includes('listening ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare server exited (${code}):\n${output}`));
    });
  });
  return {
    url: `http://${host}:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  /**
   * Either a fixed list of paths, cycled through (autocannon builds each request once: the cheapest client,
   * so the load generator takes as little CPU from the server as possible), or a function called for every
   * request (for bodies that must differ each time; autocannon then builds every request anew).
   */
  requests: { paths: readonly string[] } | { next: () => { path: string; body?: string } };
  headers?: Record<string, string>;
  durationSeconds: number;
  connections?: number;
  pipelining?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Status code counts, e.g. { "2xx": 12345 }. */
  statusCodes: Record<string, number>;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: o.url,
    connections: o.connections ?? 50,
    pipelining: o.pipelining ?? 1,
    duration: o.durationSeconds,
    timeout: 10,
    headers: { ...(o.headers ?? {}) },
    requests:
      'paths' in o.requests
        ? o.requests.paths.map((path) => ({ method: o.method, path }))
        : [
            {
              method: o.method,
              setupRequest: (req) => {
                const n = (o.requests as { next: () => { path: string; body?: string } }).next();
                req.path = n.path;
                if (n.body !== undefined) {
                  req.body = n.body;
                  req.headers = { ...(req.headers ?? {}), 'content-type': 'application/json' };
                }
                return req;
              },
            },
          ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: {
      '1xx': result['1xx'],
      '2xx': result['2xx'],
      '3xx': result['3xx'],
      '4xx': result['4xx'],
      '5xx': result['5xx'],
    },
  };
}
