/**
 * Wavix test support: a client over fastify `inject` (or real HTTP) that checks every response it gets against
 * the vendor's OpenAPI document (`../shared/specs/wavix-v1-trunks.json` relative to the repository root; never
 * copied into the repository) with ajv's JSON Schema 2020-12 validator, plus fixtures.
 *
 * When the spec folder is absent the schema checks are skipped and `WAVIX_SPEC_SKIP` says why; the shape checks
 * written here (error bodies, status codes) still run.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createStoredApiKey } from '../../../src/api/shared/keys.js';
import { WAVIX_KEY_FORMAT } from '../../../src/api/wavix/keys.js';
import type { Store } from '../../../src/store/store.js';
import { REPO_ROOT } from '../../support/trunkline.js';

export const WAVIX_SPEC_PATH = join(REPO_ROOT, '..', 'shared', 'specs', 'wavix-v1-trunks.json');
export const WAVIX_SPEC_SKIP: string | false = existsSync(WAVIX_SPEC_PATH)
  ? false
  : `vendor spec not found at ${WAVIX_SPEC_PATH}: Wavix response-schema checks skipped`;

const SPEC_ID = 'https://vendor.invalid/wavix-v1-trunks.json';
let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** The vendor's component schema `name` (e.g. SIPTrunkResponse), or undefined when the spec is absent. */
export function wavixSchema(name: string): ValidateFunction | undefined {
  if (WAVIX_SPEC_SKIP !== false) return undefined;
  if (ajv === undefined) {
    const spec = JSON.parse(readFileSync(WAVIX_SPEC_PATH, 'utf8')) as { components: Record<string, unknown> };
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addFormat('decimal', true); // the vendor's annotation for max_call_cost in requests
    ajv.addSchema({ $id: SPEC_ID, components: spec.components });
  }
  let v = validators.get(name);
  if (v === undefined) {
    v = ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` });
    validators.set(name, v);
  }
  return v;
}

export const wavixContractStats = { checked: 0, schemas: new Set<string>() };

/** Assert `body` validates against the vendor schema `name` (no-op when the spec is absent). */
export function assertWavixSchema(name: string, body: unknown, what: string): void {
  const v = wavixSchema(name);
  if (v === undefined) return;
  const ok = v(body);
  assert.ok(ok, `${what} does not match the vendor's ${name}: ${JSON.stringify(v.errors)}\n${JSON.stringify(body).slice(0, 800)}`);
  wavixContractStats.checked++;
  wavixContractStats.schemas.add(name);
}

export interface WxResponse<T = any> {
  status: number;
  body: T;
  raw: string;
}

type Sender = (req: { method: string; url: string; headers: Record<string, string>; payload?: string }) => Promise<{
  status: number;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
}>;

export interface WxOptions {
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  /** Override the client's key; null sends none. */
  key?: string | null;
  /** Send the key as `?appid=` instead of a Bearer header. */
  appid?: boolean;
  headers?: Record<string, string>;
}

/** Which vendor schema a response must match. */
function schemaFor(method: string, path: string, status: number): string | undefined {
  if (status === 401) return 'UnauthorizedErrorResponse';
  if (status === 403) return 'ForbiddenErrorResponse';
  if (status === 404) return 'NotFoundErrorResponse';
  if (status === 400 || status === 422) return 'ValidationErrorResponse';
  if (status >= 400) return 'ValidationErrorResponse';
  const collection = /^\/v1\/trunks\/?(?:\?|$)/.test(path);
  if (method === 'GET' && collection) return 'SIPTrunkListResponse';
  if (method === 'DELETE') return 'SuccessResponse';
  return 'SIPTrunkResponse';
}

export class WavixClient {
  constructor(
    private readonly send: Sender,
    readonly key?: string,
  ) {}

  withKey(key: string | undefined): WavixClient {
    return new WavixClient(this.send, key);
  }

  /** `path` is relative to `/v1` unless it starts with `/`. Checks the vendor schema and the error shape. */
  async request<T = any>(method: string, path: string, opts: WxOptions = {}): Promise<WxResponse<T>> {
    let url = path.startsWith('/v1') || path.startsWith('//') ? path.replace(/^\/\//, '/') : `/v1${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const key = opts.key === undefined ? this.key : opts.key;
    if (key !== null && key !== undefined) {
      if (opts.appid === true) url += `${url.includes('?') ? '&' : '?'}appid=${encodeURIComponent(key)}`;
      else headers.authorization = `Bearer ${key}`;
    }
    let payload: string | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await this.send({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    assert.ok(res.status < 500, `${method} ${url} answered ${res.status}: ${res.raw.slice(0, 500)}`);
    assert.ok(!/\bat .+:\d+:\d+\)/.test(res.raw), `${method} ${url} leaked a stack trace: ${res.raw.slice(0, 500)}`);
    assert.match(String(res.headers['content-type'] ?? ''), /application\/json/, `${method} ${url} content type`);
    const body = JSON.parse(res.raw) as T;
    if (res.status >= 400) {
      const keys = Object.keys(body as object).sort();
      assert.deepEqual(keys, res.status === 401 ? ['error', 'message', 'success'] : ['message', 'success'], `${method} ${url} error shape`);
      assert.equal((body as { success: unknown }).success, false);
      if (res.status === 401) assert.equal((body as { error: unknown }).error, true);
      assert.equal(typeof (body as { message: unknown }).message, 'string');
    }
    const schema = schemaFor(method, url, res.status);
    if (schema !== undefined) assertWavixSchema(schema, body, `${method} ${url} ${res.status}`);
    return { status: res.status, body, raw: res.raw };
  }

  get<T = any>(path: string, opts?: WxOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: WxOptions) {
    return this.request<T>('POST', path, { ...opts, body });
  }
  put<T = any>(path: string, body?: unknown, opts?: WxOptions) {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  delete<T = any>(path: string, opts?: WxOptions) {
    return this.request<T>('DELETE', path, opts);
  }
}

/** A Wavix key for `account`, created in the store as `trunkline keys create --dialect wavix` does. */
export async function wavixKey(store: Store, account: string, readonly = false): Promise<string> {
  const { key } = await createStoredApiKey(store, WAVIX_KEY_FORMAT, {
    scope: 'Office Manager',
    domain: account,
    reseller: (await store.getTenant(account))?.reseller ?? '*',
    description: `Wavix test key for ${account}`,
    readonly,
  });
  return key;
}

/** A valid SIPTrunkCreateRequest (seed 003's values) with overrides; `undefined` removes a field. */
export function trunkBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    label: 'My trunk',
    password: '4r=h;EaCB85QNtr2',
    callerid: '13132847320',
    ip_restrict: false,
    didinfo_enabled: true,
    call_restrict: true,
    call_limit: 3600,
    cost_limit: true,
    max_call_cost: 0.18,
    channels_restrict: false,
    rewrite_enabled: true,
    rewrite_prefix: '1',
    transcription_enabled: true,
    transcription_threshold: 10,
    call_recording_enabled: true,
    machine_detection_enabled: true,
    encrypted_media: true,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete body[k];
    else body[k] = v;
  }
  return body;
}

/** The fields every SIPTrunkCreateRequest must carry. */
export const REQUIRED_FIELDS = [
  'label',
  'password',
  'callerid',
  'ip_restrict',
  'didinfo_enabled',
  'call_restrict',
  'cost_limit',
  'channels_restrict',
  'rewrite_enabled',
  'transcription_enabled',
  'transcription_threshold',
] as const;
