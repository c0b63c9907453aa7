/**
 * Enswitch test support: a client for `/api/json/peers/*` over fastify `inject` (or real HTTP) that checks every
 * answer's envelope (`{"responses":[{"code":"...","key":"...","message":"..."}],"data":...}` with string codes)
 * and the HTTP status rule (200 for Enswitch's own codes), plus logins created as `trunkline users create` does.
 * Enswitch publishes no machine-readable spec; the shape checked here is the one of seed 004 and the quirks README.
 */
import assert from 'node:assert/strict';
import { hashPassword, type EnswitchRole } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/store.js';

export type Sender = (req: { method: string; url: string; headers: Record<string, string>; payload?: string }) => Promise<{
  status: number;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
}>;

export interface EnResponse<T = any> {
  /** HTTP status. */
  status: number;
  /** The envelope's code ("200", "400", ...). */
  code: string;
  key: string;
  message: string;
  data: T;
  body: any;
  raw: string;
}

export interface EnOptions {
  method?: 'GET' | 'POST';
  /** How parameters travel: query string (default for GET), form body (default for POST), JSON body. */
  via?: 'query' | 'form' | 'json';
  /** Parameter separator in query strings and form bodies (default ';', Enswitch's own). */
  sep?: ';' | '&';
  /** Override the client's login; null sends none. */
  auth?: { username: string; password: string } | null;
  /** Send this raw body as is (with `contentType`). */
  rawBody?: string;
  contentType?: string;
}

const ENSWITCH_CODES = new Set(['200', '201', '204', '400', '401', '402', '404']);

export function encodeParams(params: Record<string, unknown>, sep: string): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join(sep);
}

export class EnswitchClient {
  constructor(
    private readonly send: Sender,
    readonly login?: { username: string; password: string },
  ) {}

  as(login: { username: string; password: string } | undefined): EnswitchClient {
    return new EnswitchClient(this.send, login);
  }

  /** Call `peers/<action>` (or any `<category>/<action>`). */
  async call<T = any>(action: string, params: Record<string, unknown> = {}, opts: EnOptions = {}): Promise<EnResponse<T>> {
    const method = opts.method ?? 'GET';
    const via = opts.via ?? (method === 'GET' ? 'query' : 'form');
    const sep = opts.sep ?? ';';
    const auth = opts.auth === undefined ? this.login : opts.auth;
    const all: Record<string, unknown> = {
      ...(auth === null || auth === undefined ? {} : { auth_username: auth.username, auth_password: auth.password }),
      ...params,
    };
    const path = `/api/json/${action.includes('/') ? action : `peers/${action}`}/`;
    const headers: Record<string, string> = { accept: 'application/json' };
    let url = path;
    let payload: string | undefined;
    if (opts.rawBody !== undefined) {
      payload = opts.rawBody;
      headers['content-type'] = opts.contentType ?? 'application/x-www-form-urlencoded';
      if (Object.keys(all).length > 0) url += `?${encodeParams(all, sep)}`;
    } else if (via === 'query') {
      if (Object.keys(all).length > 0) url += `?${encodeParams(all, sep)}`;
    } else if (via === 'form') {
      payload = encodeParams(all, sep);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      payload = JSON.stringify(all);
      headers['content-type'] = 'application/json';
    }
    const res = await this.send({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    assert.ok(res.status < 500, `${method} ${url} answered ${res.status}: ${res.raw.slice(0, 500)}`);
    assert.ok(!/\bat .+:\d+:\d+\)/.test(res.raw), `${method} ${url} leaked a stack trace: ${res.raw.slice(0, 500)}`);
    const body = JSON.parse(res.raw) as { responses: { code: string; key: string; message: string }[]; data: T };
    assert.deepEqual(Object.keys(body).sort(), ['data', 'responses'], `${method} ${url}: envelope keys`);
    assert.equal(body.responses.length, 1);
    const r = body.responses[0]!;
    assert.deepEqual(Object.keys(r).sort(), ['code', 'key', 'message']);
    assert.equal(typeof r.code, 'string', 'codes are strings');
    assert.equal(typeof r.key, 'string');
    assert.equal(typeof r.message, 'string');
    if (ENSWITCH_CODES.has(r.code)) assert.equal(res.status, 200, `${method} ${url}: Enswitch codes travel with HTTP 200 (code ${r.code})`);
    else assert.equal(String(res.status), r.code, `${method} ${url}: other codes keep their HTTP status`);
    if (r.code !== '200') assert.equal(body.data, null, 'no data without code 200');
    return { status: res.status, code: r.code, key: r.key, message: r.message, data: body.data, body, raw: res.raw };
  }
}

/** Create a login in the store, as `trunkline users create --dialect enswitch` does. */
export async function makeLogin(
  store: Store,
  username: string,
  password: string,
  role: EnswitchRole,
  domain = '*',
): Promise<{ username: string; password: string }> {
  const tenant = domain === '*' ? undefined : await store.getTenant(domain);
  await store.createLogin({
    username,
    passwordHash: hashPassword(password),
    role,
    domain,
    reseller: tenant?.reseller ?? '*',
    createdAt: new Date().toISOString(),
  });
  return { username, password };
}

/** Every seed-004 parameter with its documented default (what peers/get shows for a peer created with none). */
export const SEED_DEFAULTS: Record<string, string | number> = {
  called_prefix: '',
  called_strip_hash: 0,
  callerid: '',
  callerid_unknown: 'Anonymous',
  callerid_withheld: 'Anonymous',
  channel_group: 1,
  charge: 1,
  codecs: 'alaw,g722,g726,g729,gsm,ilbc,lpc10,slin,speex,ulaw',
  context: '',
  costs: 0,
  currency: '',
  customer: 0,
  description: '',
  destination: '',
  dialplan_called: '',
  dialplan_caller: '',
  dtmfmode: 'rfc2833',
  fail_percent: 0,
  outmaximum: -1,
  password: '',
  plan_customer: -1,
  proxy: '',
  send_asserted_identity: 0,
  send_privacy: 0,
  send_rpid: 0,
  url_costs: '',
  username: '',
};
