/**
 * A small NetSapiens API client for tests, over fastify `inject` (fast, in-process) or real HTTP (`fetch`).
 * Every JSON response it receives is checked against the vendor's OpenAPI schema for that path, method and
 * status (see ns-contract.ts); a mismatch fails the test that made the request. `contractStats` counts what was
 * checked so a test can assert the coverage.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { checkVendorContract } from './ns-contract.js';

export interface NsResponse<T = any> {
  status: number;
  body: T;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  /** A JSON-serialisable body. */
  body?: unknown;
  /** A raw body sent as is (malformed JSON, oversized bodies). */
  rawBody?: string;
  contentType?: string;
  /** Override the client's key; null sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Skip the vendor contract check (for trunkline-only endpoints). */
  noContract?: boolean;
}

type Sender = (req: { method: string; url: string; headers: Record<string, string>; payload?: string }) => Promise<{
  status: number;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
}>;

export const contractStats = { checked: 0, templates: new Set<string>(), statuses: new Set<string>() };

export function injectSender(app: FastifyInstance): Sender {
  return async ({ method, url, headers, payload }) => {
    const res = await app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
    return { status: res.statusCode, raw: res.body, headers: res.headers as Record<string, string | string[] | undefined> };
  };
}

export function fetchSender(baseUrl: string): Sender {
  return async ({ method, url, headers, payload }) => {
    const res = await fetch(baseUrl + url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    return { status: res.status, raw: await res.text(), headers: out };
  };
}

export class NsClient {
  constructor(
    private readonly send: Sender,
    readonly key?: string,
  ) {}

  withKey(key: string | undefined): NsClient {
    return new NsClient(this.send, key);
  }

  /** `path` is relative to /ns-api/v2 unless it starts with /ns-api (or is another absolute route via opts). */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<NsResponse<T>> {
    const url = path.startsWith('/ns-api') || path.startsWith('//') ? path.replace(/^\/\//, '/') : `/ns-api/v2${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const key = opts.key === undefined ? this.key : opts.key;
    if (key !== null && key !== undefined) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await this.send({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    let body: unknown = undefined;
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json') && res.raw !== '') body = JSON.parse(res.raw);
    // Never a stack trace, never a 500 for anything a test sends.
    assert.ok(res.status < 500, `${method} ${url} answered ${res.status}: ${res.raw.slice(0, 500)}`);
    assert.ok(!/\bat .+:\d+:\d+\)/.test(res.raw), `${method} ${url} leaked a stack trace: ${res.raw.slice(0, 500)}`);
    if (!opts.noContract && url.startsWith('/ns-api/v2')) {
      if (res.status >= 400) assert.deepEqual(Object.keys(body as object).sort(), ['code', 'message'], `${method} ${url} error shape`);
      const check = checkVendorContract(method, url.slice('/ns-api/v2'.length), res.status, body);
      if (check !== undefined) {
        assert.deepEqual(check.errors, [], `${method} ${url} ${res.status} does not match the vendor schema (${check.template}, ${check.schema})`);
        contractStats.checked++;
        contractStats.templates.add(`${method} ${check.template}`);
        contractStats.statuses.add(`${method} ${check.template} ${res.status}`);
      }
    }
    return { status: res.status, body: body as T, raw: res.raw, headers: res.headers };
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  put<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, opts);
  }
}

/** Percent-encode a pattern for a path segment. */
export const seg = (s: string) => encodeURIComponent(s);
