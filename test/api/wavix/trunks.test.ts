/**
 * The Wavix `/v1/trunks` dialect against a real SQLite store (fastify inject). Every response is checked against
 * the vendor's OpenAPI schemas by `WavixClient` (skipped, and said so, when ../shared/specs is absent).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createStoredApiKey } from '../../../src/api/shared/keys.js';
import { WAVIX_KEY_FORMAT } from '../../../src/api/wavix/keys.js';
import { trunkRequestSchema } from '../../../src/api/wavix/schemas.js';
import { EMPTY_LIVE } from '../../../src/model/index.js';
import { injectSender } from '../../support/ns-client.js';
import { createNsApp, type NsApp } from '../../support/ns-app.js';
import {
  REQUIRED_FIELDS,
  WAVIX_SPEC_PATH,
  WAVIX_SPEC_SKIP,
  WavixClient,
  assertWavixSchema,
  trunkBody,
  wavixContractStats,
  wavixKey,
  wavixSchema,
} from './support.js';

let t: NsApp;
let wx: WavixClient; // account acme.example
let other: WavixClient; // account other.example
let ro: WavixClient; // read-only key of acme.example
let anon: WavixClient;

before(async () => {
  t = await createNsApp();
  await t.domain('acme.example');
  await t.domain('other.example');
  const send = injectSender(t.api.app);
  wx = new WavixClient(send, await wavixKey(t.store, 'acme.example'));
  other = new WavixClient(send, await wavixKey(t.store, 'other.example'));
  ro = new WavixClient(send, await wavixKey(t.store, 'acme.example', true));
  anon = new WavixClient(send);
});
after(async () => {
  await t.close();
});

async function create(overrides: Record<string, unknown> = {}, client = wx) {
  const r = await client.post('/trunks', trunkBody(overrides));
  assert.equal(r.status, 201, r.raw);
  return r.body;
}

const count = () => t.store.countConnections({});

describe('Wavix /v1/trunks: create and get', () => {
  it('POST answers 201 with the full trunk: generated numeric login, dynamic host, string max_call_cost', async () => {
    const body = await create();
    assert.equal(typeof body.id, 'number');
    assert.match(body.name, /^\d{6,8}$/);
    assert.equal(body.label, 'My trunk');
    assert.equal(body.callerid, '13132847320');
    assert.equal(body.host, 'dynamic');
    assert.equal(body.max_call_cost, '0.18');
    assert.equal(body.cost_limit, true);
    assert.equal(body.call_restrict, true);
    assert.equal(body.call_limit, 3600);
    assert.equal(body.channels_restrict, false);
    assert.equal(body.max_channels, null);
    assert.equal(body.rewrite_enabled, true);
    assert.equal(body.rewrite_prefix, '1');
    assert.equal(body.rewrite_cond, '');
    assert.equal(body.transcription_threshold, 10);
    assert.equal(body.call_recording_enabled, true);
    assert.equal(body.encrypted_media, true);
    assert.equal(body.multiple_numbers, false);
    assert.deepEqual(body.allowed_ips, []);
    assert.equal('password' in body, false, 'the password is never answered');
    assert.ok(Math.abs(Date.parse(body.created_at) - Date.now()) < 60_000);

    const got = await wx.get(`/trunks/${body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, body);
  });

  it('stores one canonical record: login, password, label and the Wavix-only fields in ext.wavix', async () => {
    const body = await create({ label: 'canonical check', channels_restrict: true, max_channels: 4 });
    const c = await t.store.getConnectionById(body.id);
    assert.ok(c);
    assert.equal(c.domain, 'acme.example');
    assert.equal(c.origMatchPattern, `sip:${body.name}@*`);
    assert.equal(c.createdBy, 'wavix');
    assert.equal(c.authUsername, body.name);
    assert.equal(c.authPassword, '4r=h;EaCB85QNtr2');
    assert.equal(c.description, 'canonical check');
    assert.equal(c.requireSipAuthentication, true);
    assert.equal(c.sourceIpCheck, false);
    assert.equal(c.maxCallsOrig, 4);
    assert.equal(c.recordAllCalls, true);
    assert.equal(c.requireEncryptedAudio, 'yes');
    assert.equal(c.ext.wavix?.maxCallCost, '0.18');
    assert.equal(c.ext.wavix?.callLimit, 3600);
    assert.equal(c.ext.wavix?.rewritePrefix, '1');
    assert.equal(c.ext.enswitch, undefined);
  });

  it('an IP-auth trunk (host_request) shows its host, turns the source check on, and lists as "IP auth"', async () => {
    const body = await create({ host_request: { host: '203.0.113.7' }, ip_restrict: true, allowed_ips: [{ ip: '203.0.113.8' }, { ip: '2001:DB8::1' }] });
    assert.equal(body.host, '203.0.113.7');
    assert.equal(body.ip_restrict, true);
    assert.deepEqual(body.allowed_ips, [
      { id: 1, ip: '203.0.113.8' },
      { id: 2, ip: '2001:db8::1' },
    ]);
    const c = await t.store.getConnectionById(body.id);
    assert.equal(c?.address, '203.0.113.7');
    assert.equal(c?.requireSipAuthentication, false);
    assert.equal(c?.sourceIpCheck, true);
    const list = await wx.get('/trunks?per_page=100');
    const summary = list.body.sip_trunks.find((s: { id: number }) => s.id === body.id);
    assert.equal(summary.auth_method, 'IP auth');
    assert.deepEqual(summary.host_request, { host: '203.0.113.7', status: 'active' });

    // An IP-auth trunk without ip_restrict still only takes calls from its host: canonical check on, Wavix flag off.
    const open = await create({ host_request: { host: '198.51.100.1' } });
    assert.equal(open.ip_restrict, false);
    assert.equal((await t.store.getConnectionById(open.id))?.sourceIpCheck, true);
  });

  it('multiple_numbers answers callerid "" and passthrough (seed 003) is accepted', async () => {
    const body = await create({ multiple_numbers: true, passthrough: true });
    assert.equal(body.callerid, '');
    assert.equal(body.passthrough, true);
    const none = await create({ callerid: '' });
    assert.equal(none.callerid, null);
  });

  it('every login name is unique', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 15; i++) names.add((await create({ label: `unique ${i}` })).name);
    const all = await t.store.listConnections({});
    const logins = all.map((c) => c.authUsername).filter((u) => u !== '');
    assert.equal(new Set(logins).size, logins.length);
    assert.equal(names.size, 15);
  });
});

describe('Wavix /v1/trunks: list', () => {
  it('pages with page/per_page and reports pagination; talk_time comes from the live figures', async () => {
    const before = await wx.get('/trunks?per_page=100');
    const total = before.body.pagination.total as number;
    assert.equal(before.body.sip_trunks.length, total);
    const first = before.body.sip_trunks[0];
    await t.store.saveLive(first.id, { ...EMPTY_LIVE, talkTimeThisMonth: 65 });

    const p1 = await wx.get('/trunks?page=1&per_page=2');
    assert.equal(p1.status, 200);
    assert.deepEqual(p1.body.pagination, { current_page: 1, per_page: 2, total, total_pages: Math.ceil(total / 2) });
    assert.equal(p1.body.sip_trunks.length, 2);
    assert.equal(p1.body.sip_trunks[0].talk_time, 65);
    const p2 = await wx.get('/trunks?page=2&per_page=2');
    assert.notEqual(p2.body.sip_trunks[0].id, p1.body.sip_trunks[0].id);
    const beyond = await wx.get(`/trunks?page=${total + 5}&per_page=2`);
    assert.deepEqual(beyond.body.sip_trunks, []);
    assert.equal(beyond.body.pagination.total, total);
    const defaults = await wx.get('/trunks');
    assert.equal(defaults.body.pagination.per_page, 25);
    assert.equal(defaults.body.pagination.current_page, 1);
  });

  it('refuses bad paging parameters with 400', async () => {
    for (const q of ['page=0', 'page=abc', 'per_page=0', 'per_page=101', 'per_page=-1', 'page=1.5']) {
      const r = await wx.get(`/trunks?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body.message, /page/);
    }
  });

  it("a key only sees its own account's Wavix trunks (not other accounts', not NetSapiens-only records)", async () => {
    const mine = await create({ label: 'mine' });
    const theirs = await create({ label: 'theirs' }, other);
    const ns = await t.su.post('/connections', { domain: 'acme.example', 'connection-orig-match-pattern': 'sip*@ns-only.example' });
    assert.equal(ns.status, 202);
    const list = (await wx.get('/trunks?per_page=100')).body.sip_trunks as { id: number; label: string }[];
    assert.ok(list.some((s) => s.id === mine.id));
    assert.ok(!list.some((s) => s.id === theirs.id));
    assert.ok(list.every((s) => s.label !== ''), 'no NetSapiens-only record');
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', trunkBody()],
      ['DELETE', undefined],
    ] as const) {
      const r = await wx.request(method, `/trunks/${theirs.id}`, { body });
      assert.equal(r.status, 404, `${method} another account's trunk`);
    }
    const nsRecord = await t.store.getConnection('acme.example', 'sip*@ns-only.example');
    assert.equal((await wx.get(`/trunks/${nsRecord!.id}`)).status, 404);
    assert.equal((await other.get(`/trunks/${theirs.id}`)).status, 200);
  });
});

describe('Wavix /v1/trunks: update (full replacement) and delete', () => {
  it('PUT replaces the trunk: omitted fields revert to their defaults; id, name and created_at stay', async () => {
    const created = await create({
      host_request: { host: '192.0.2.10' },
      multiple_numbers: true,
      ip_restrict: true,
      allowed_ips: [{ ip: '192.0.2.11' }],
      channels_restrict: true,
      max_channels: 3,
      rewrite_cond: '00',
      passthrough: true,
    });
    const minimal = {
      label: 'replaced',
      password: 'another-secret',
      callerid: '14155550100',
      ip_restrict: false,
      didinfo_enabled: false,
      call_restrict: false,
      cost_limit: false,
      channels_restrict: false,
      rewrite_enabled: false,
      transcription_enabled: false,
      transcription_threshold: 6,
    };
    const r = await wx.put(`/trunks/${created.id}`, minimal);
    assert.equal(r.status, 200, r.raw);
    const b = r.body;
    assert.equal(b.id, created.id);
    assert.equal(b.name, created.name);
    assert.equal(b.created_at, created.created_at);
    assert.equal(b.label, 'replaced');
    assert.equal(b.host, 'dynamic', 'no host_request: back to a digest trunk');
    assert.equal(b.multiple_numbers, false);
    assert.equal(b.callerid, '14155550100');
    assert.deepEqual(b.allowed_ips, []);
    assert.equal(b.max_channels, null);
    assert.equal(b.max_call_cost, null);
    assert.equal(b.call_limit, null);
    assert.equal(b.rewrite_prefix, '');
    assert.equal(b.rewrite_cond, '');
    assert.equal(b.call_recording_enabled, false);
    assert.equal(b.machine_detection_enabled, false);
    assert.equal(b.encrypted_media, false);
    assert.equal(b.passthrough, false);
    const c = await t.store.getConnectionById(created.id);
    assert.equal(c?.authPassword, 'another-secret');
    assert.equal(c?.address, '');
    assert.equal(c?.requireSipAuthentication, true);
    assert.equal(c?.sourceIpCheck, false);
    assert.equal(c?.maxCallsOrig, null);
    assert.equal(c?.origMatchPattern, `sip:${created.name}@*`);
    assert.deepEqual((await wx.get(`/trunks/${created.id}`)).body, b);
  });

  it('PUT keeps the ids of allowed IPs it repeats and numbers new ones after them', async () => {
    const created = await create({ ip_restrict: true, allowed_ips: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }] });
    const r = await wx.put(`/trunks/${created.id}`, trunkBody({ ip_restrict: true, allowed_ips: [{ ip: '192.0.2.2' }, { ip: '192.0.2.3' }] }));
    assert.deepEqual(r.body.allowed_ips, [
      { id: 2, ip: '192.0.2.2' },
      { id: 3, ip: '192.0.2.3' },
    ]);
  });

  it('PUT leaves what Wavix cannot express as it was (a NetSapiens setting)', async () => {
    const created = await create();
    const c = await t.store.getConnectionById(created.id);
    const ns = await t.su.put(`/domains/acme.example/connections/${encodeURIComponent(c!.origMatchPattern)}`, {
      'connection-sip-transport-protocol': 'TCP',
      'dial-plan': 'carrier-plan',
    });
    assert.equal(ns.status, 202, ns.raw);
    assert.equal((await wx.put(`/trunks/${created.id}`, trunkBody({ label: 'after ns' }))).status, 200);
    const after = await t.store.getConnectionById(created.id);
    assert.equal(after?.transport, 'TCP');
    assert.equal(after?.dialPlan, 'carrier-plan');
    assert.equal(after?.description, 'after ns');
  });

  it('DELETE answers {"success":true}; the trunk is gone', async () => {
    const created = await create();
    const r = await wx.delete(`/trunks/${created.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { success: true });
    assert.equal(await t.store.getConnectionById(created.id), undefined);
    assert.equal((await wx.get(`/trunks/${created.id}`)).status, 404);
    assert.equal((await wx.delete(`/trunks/${created.id}`)).status, 404);
    assert.equal((await wx.put(`/trunks/${created.id}`, trunkBody())).status, 404);
  });

  it('ids that cannot name a trunk are 404 on every endpoint', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '%20']) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const r = await wx.request(method, `/trunks/${id}`, method === 'PUT' ? { body: trunkBody() } : {});
        assert.equal(r.status, 404, `${method} /trunks/${id}`);
      }
    }
  });
});

describe('Wavix authentication', () => {
  it('accepts the key as Bearer and as ?appid=', async () => {
    assert.equal((await wx.get('/trunks')).status, 200);
    assert.equal((await wx.get('/trunks', { appid: true })).status, 200);
    assert.equal((await wx.post('/trunks', trunkBody(), { appid: true })).status, 201);
  });

  it('answers 401 with "error":true for a missing, malformed, unknown or NetSapiens key, on every endpoint', async () => {
    const created = await create();
    const badKeys: (string | null)[] = [null, 'nonsense', `wvx_${'A'.repeat(56)}`, t.suKey];
    const calls = [
      ['GET', '/trunks', undefined],
      ['POST', '/trunks', trunkBody()],
      ['GET', `/trunks/${created.id}`, undefined],
      ['PUT', `/trunks/${created.id}`, trunkBody()],
      ['DELETE', `/trunks/${created.id}`, undefined],
    ] as const;
    const n = await count();
    for (const key of badKeys) {
      for (const [method, path, body] of calls) {
        for (const appid of [false, true]) {
          const r = await anon.request(method, path, { key, body, appid });
          assert.equal(r.status, 401, `${method} ${path} key=${String(key).slice(0, 8)} appid=${appid}`);
        }
      }
    }
    assert.equal(await count(), n, 'nothing written');
    assert.ok(await t.store.getConnectionById(created.id));
  });

  it('a read-only key reads but every write is 403', async () => {
    const created = await create();
    assert.equal((await ro.get('/trunks')).status, 200);
    assert.equal((await ro.get(`/trunks/${created.id}`)).status, 200);
    const n = await count();
    assert.equal((await ro.post('/trunks', trunkBody())).status, 403);
    assert.equal((await ro.put(`/trunks/${created.id}`, trunkBody({ label: 'no' }))).status, 403);
    assert.equal((await ro.delete(`/trunks/${created.id}`)).status, 403);
    assert.equal(await count(), n);
    assert.equal((await t.store.getConnectionById(created.id))?.description, 'My trunk');
  });
});

describe('Wavix bad input: its own error shape, never a 500, never a half-written record', () => {
  const cases: [string, Record<string, unknown>, number, RegExp][] = [
    ...REQUIRED_FIELDS.map((f): [string, Record<string, unknown>, number, RegExp] => [`missing ${f}`, trunkBody({ [f]: undefined }), 400, new RegExp(`${f} is required`)]),
    ['label not a string', trunkBody({ label: 5 }), 400, /label must be a string/],
    ['empty label', trunkBody({ label: '' }), 400, /label/],
    ['ip_restrict as "yes"', trunkBody({ ip_restrict: 'yes' }), 400, /ip_restrict must be a boolean/],
    ['transcription_threshold as a string', trunkBody({ transcription_threshold: '10' }), 400, /transcription_threshold must be an integer/],
    ['max_call_cost as a string (the response form)', trunkBody({ max_call_cost: '0.18' }), 400, /max_call_cost must be a number/],
    ['call_limit negative', trunkBody({ call_limit: -5 }), 400, /call_limit/],
    ['max_channels fractional', trunkBody({ channels_restrict: true, max_channels: 1.5 }), 400, /max_channels must be an integer/],
    ['allowed_ips as strings', trunkBody({ ip_restrict: true, allowed_ips: ['1.2.3.4'] }), 400, /allowed_ips/],
    ['host_request without host', trunkBody({ host_request: {} }), 400, /host is required/],
    ['unknown field', trunkBody({ colour: 'blue' }), 400, /colour is not a known field/],
    ['read-only response field', trunkBody({ name: '12345' }), 400, /name is not a known field/],
    ['oversized label', trunkBody({ label: 'x'.repeat(1025) }), 400, /label must be at most 1024 characters/],
    ['oversized password', trunkBody({ password: 'p'.repeat(129) }), 400, /password must be at most 128/],
    ['short password', trunkBody({ password: 'short' }), 400, /password must be at least 8/],
    ['too many allowed_ips', trunkBody({ ip_restrict: true, allowed_ips: Array.from({ length: 51 }, (_, i) => ({ ip: `10.0.0.${i}` })) }), 400, /allowed_ips must have at most 50/],
    ['label with a control character', trunkBody({ label: 'bad\u0001label' }), 400, /label must not contain control characters/],
    ['ip_restrict without allowed_ips', trunkBody({ ip_restrict: true }), 422, /allowed_ips is required when ip_restrict is true/],
    ['ip_restrict with an empty allowed_ips', trunkBody({ ip_restrict: true, allowed_ips: [] }), 422, /allowed_ips is required/],
    ['call_restrict without call_limit', trunkBody({ call_limit: undefined }), 422, /call_limit is required when call_restrict is true/],
    ['cost_limit without max_call_cost', trunkBody({ max_call_cost: undefined }), 422, /max_call_cost is required when cost_limit is true/],
    ['channels_restrict without max_channels', trunkBody({ channels_restrict: true }), 422, /max_channels is required when channels_restrict is true/],
    ['an allowed IP that is no address', trunkBody({ ip_restrict: true, allowed_ips: [{ ip: 'pbx.example.com' }] }), 422, /not an IPv4 or IPv6 address/],
    ['a duplicate allowed IP', trunkBody({ ip_restrict: true, allowed_ips: [{ ip: '10.1.1.1' }, { ip: '10.1.1.1' }] }), 422, /more than once/],
    ['host_request.host that is no address', trunkBody({ host_request: { host: 'not an ip' } }), 422, /host_request/],
    ['callerid with letters', trunkBody({ callerid: 'CALL-ME' }), 422, /callerid must be a phone number/],
    ['max_call_cost with 5 decimals', trunkBody({ max_call_cost: 0.12345 }), 422, /at most 4 decimal places/],
    ['rewrite_prefix with letters', trunkBody({ rewrite_prefix: '1a' }), 422, /rewrite_prefix must be digits/],
    ['rewrite_enabled with nothing to rewrite', trunkBody({ rewrite_prefix: undefined }), 422, /rewrite_enabled needs rewrite_prefix or rewrite_cond/],
  ];

  it('POST: each bad body gets its status and a message naming the field; nothing is stored', async () => {
    const n = await count();
    for (const [what, body, status, message] of cases) {
      const r = await wx.post('/trunks', body);
      assert.equal(r.status, status, `${what}: ${r.raw}`);
      assert.match(r.body.message, message, what);
    }
    assert.equal(await count(), n);
  });

  it('PUT: the same bodies are refused and the trunk is left exactly as it was', async () => {
    const created = await create();
    const before = await t.store.getConnectionById(created.id);
    for (const [what, body, status, message] of cases) {
      const r = await wx.put(`/trunks/${created.id}`, body);
      assert.equal(r.status, status, `${what}: ${r.raw}`);
      assert.match(r.body.message, message, what);
    }
    assert.deepEqual(await t.store.getConnectionById(created.id), before);
  });

  it('malformed JSON, non-object bodies, a missing body, an unknown route and an oversized body', async () => {
    const n = await count();
    for (const raw of ['{"label":', '[]', '"trunk"', '42', 'null']) {
      const r = await wx.request('POST', '/trunks', { rawBody: raw });
      assert.equal(r.status, 400, raw);
    }
    assert.equal((await wx.post('/trunks')).status, 400);
    const notJson = await wx.request('POST', '/trunks', { rawBody: 'label=x', contentType: 'text/plain' });
    assert.ok([400, 415].includes(notJson.status));
    const unknown = await wx.get('/numbers');
    assert.equal(unknown.status, 404);
    const big = await wx.request('POST', '/trunks', { rawBody: JSON.stringify(trunkBody({ label: 'x'.repeat(300_000) })) });
    assert.equal(big.status, 413);
    assert.equal(await count(), n);
  });
});

describe('Wavix vendor contract', () => {
  it('every response above was validated against the vendor OpenAPI schemas', { skip: WAVIX_SPEC_SKIP }, () => {
    for (const name of ['SIPTrunkResponse', 'SIPTrunkListResponse', 'SuccessResponse', 'UnauthorizedErrorResponse', 'ForbiddenErrorResponse', 'NotFoundErrorResponse', 'ValidationErrorResponse']) {
      assert.ok(wavixContractStats.schemas.has(name), `no response was checked against ${name}`);
    }
    assert.ok(wavixContractStats.checked > 100);
  });

  it("the seed 003 request example is a valid request under the vendor's schema and trunkline's", { skip: WAVIX_SPEC_SKIP }, async () => {
    const request = wavixSchema('SIPTrunkCreateRequest')!;
    const body = trunkBody();
    assert.ok(request(body), JSON.stringify(request.errors));
    assert.equal((await wx.post('/trunks', body)).status, 201);
  });
});

// ---- every field, every endpoint ---------------------------------------------------------------------------

type Props = Record<string, { type?: string | string[] }>;
const requestProps = (trunkRequestSchema as { properties: Props }).properties;

/** A request that sets every field of SIPTrunkCreateRequest (and passthrough) away from its default. */
function everyFieldBody(variant: 1 | 2): Record<string, unknown> {
  const one = variant === 1;
  return {
    label: one ? 'every field one' : 'every field two',
    password: one ? 'every-field-secret-1' : 'every-field-secret-2',
    host_request: { host: one ? '198.51.100.20' : '2001:DB8::20' },
    callerid: one ? '14155550123' : '+442071838750',
    multiple_numbers: !one,
    ip_restrict: true,
    allowed_ips: one ? [{ ip: '198.51.100.21' }, { ip: '198.51.100.22' }] : [{ ip: '198.51.100.22' }, { ip: '2001:db8::23' }],
    didinfo_enabled: !one,
    call_restrict: true,
    call_limit: one ? 120 : 86_400,
    cost_limit: true,
    max_call_cost: one ? 1.2345 : 0.5,
    channels_restrict: true,
    max_channels: one ? 7 : 0,
    rewrite_enabled: true,
    rewrite_prefix: one ? '44' : '+1',
    rewrite_cond: one ? '0' : '00',
    call_recording_enabled: one,
    transcription_enabled: one,
    transcription_threshold: one ? 30 : 0,
    machine_detection_enabled: one,
    encrypted_media: one,
    passthrough: one,
  };
}

/** How each request field shows in the SIPTrunkResponse (and the store, for the write-only password). */
const FIELD_CHECKS: Record<string, (sent: Record<string, unknown>, got: Record<string, any>, c: any) => void> = {
  label: (s, g, c) => (assert.equal(g.label, s.label), assert.equal(c.description, s.label)),
  password: (s, g, c) => (assert.equal('password' in g, false), assert.equal(c.authPassword, s.password)),
  host_request: (s, g, c) => {
    const host = String((s.host_request as { host: string }).host).toLowerCase();
    assert.equal(g.host, host);
    assert.equal(c.address, host);
  },
  callerid: (s, g, c) => (assert.equal(g.callerid, s.multiple_numbers === true ? '' : s.callerid), assert.equal(c.ext.wavix.callerid, s.callerid)),
  multiple_numbers: (s, g) => assert.equal(g.multiple_numbers, s.multiple_numbers),
  ip_restrict: (s, g) => assert.equal(g.ip_restrict, s.ip_restrict),
  allowed_ips: (s, g) =>
    assert.deepEqual(
      g.allowed_ips.map((a: { ip: string }) => a.ip),
      (s.allowed_ips as { ip: string }[]).map((a) => a.ip.toLowerCase()),
    ),
  didinfo_enabled: (s, g) => assert.equal(g.didinfo_enabled, s.didinfo_enabled),
  call_restrict: (s, g) => assert.equal(g.call_restrict, s.call_restrict),
  call_limit: (s, g) => assert.equal(g.call_limit, s.call_limit),
  cost_limit: (s, g) => assert.equal(g.cost_limit, s.cost_limit),
  max_call_cost: (s, g) => assert.equal(g.max_call_cost, String(s.max_call_cost)),
  channels_restrict: (s, g, c) => (assert.equal(g.channels_restrict, s.channels_restrict), assert.equal(c.maxCallsOrig, s.max_channels)),
  max_channels: (s, g) => assert.equal(g.max_channels, s.max_channels),
  rewrite_enabled: (s, g) => assert.equal(g.rewrite_enabled, s.rewrite_enabled),
  rewrite_prefix: (s, g) => assert.equal(g.rewrite_prefix, s.rewrite_prefix),
  rewrite_cond: (s, g) => assert.equal(g.rewrite_cond, s.rewrite_cond),
  call_recording_enabled: (s, g, c) => (assert.equal(g.call_recording_enabled, s.call_recording_enabled), assert.equal(c.recordAllCalls, s.call_recording_enabled)),
  transcription_enabled: (s, g) => assert.equal(g.transcription_enabled, s.transcription_enabled),
  transcription_threshold: (s, g) => assert.equal(g.transcription_threshold, s.transcription_threshold),
  machine_detection_enabled: (s, g) => assert.equal(g.machine_detection_enabled, s.machine_detection_enabled),
  encrypted_media: (s, g, c) => (assert.equal(g.encrypted_media, s.encrypted_media), assert.equal(c.requireEncryptedAudio, s.encrypted_media ? 'yes' : 'no')),
  passthrough: (s, g) => assert.equal(g.passthrough, s.passthrough),
};

describe('Wavix fields: every field of the vendor request schema', () => {
  it("trunkline's request schema has exactly the vendor's SIPTrunkCreateRequest fields (plus seed 003's passthrough)", { skip: WAVIX_SPEC_SKIP }, () => {
    const spec = JSON.parse(readFileSync(WAVIX_SPEC_PATH, 'utf8')) as {
      components: { schemas: Record<string, { properties: Props; required: string[]; additionalProperties: boolean }> };
    };
    const vendor = spec.components.schemas.SIPTrunkCreateRequest!;
    assert.deepEqual(Object.keys(requestProps).sort(), [...Object.keys(vendor.properties), 'passthrough'].sort());
    assert.deepEqual([...(trunkRequestSchema.required as string[])].sort(), [...vendor.required].sort());
    assert.equal(vendor.additionalProperties, false);
    for (const [name, p] of Object.entries(vendor.properties)) {
      assert.deepEqual(requestProps[name]!.type, p.type, `type of ${name}`);
    }
  });

  it('every request field is stored and answered (POST, GET, list, full-replacement PUT)', async () => {
    assert.deepEqual(Object.keys(FIELD_CHECKS).sort(), Object.keys(requestProps).sort(), 'a check for every request field');
    for (const [i, body] of [everyFieldBody(1), everyFieldBody(2)].entries()) {
      const { passthrough: _p, ...vendorBody } = body; // seed 003's passthrough is not in the vendor's request schema
      assertWavixSchema('SIPTrunkCreateRequest', vendorBody, `every-field body ${i + 1}`);
      const created = await wx.post('/trunks', body);
      assert.equal(created.status, 201, created.raw);
      for (const [name, check] of Object.entries(FIELD_CHECKS)) check(body, created.body, await t.store.getConnectionById(created.body.id));
      assert.deepEqual((await wx.get(`/trunks/${created.body.id}`)).body, created.body);
      const summary = (await wx.get('/trunks?per_page=100')).body.sip_trunks.find((s: { id: number }) => s.id === created.body.id);
      assert.equal(summary.auth_method, 'IP auth');
      assert.equal(summary.host_request.host, created.body.host);
      for (const f of ['label', 'callerid', 'multiple_numbers', 'passthrough', 'encrypted_media', 'call_recording_enabled', 'machine_detection_enabled', 'transcription_enabled', 'transcription_threshold']) {
        assert.deepEqual(summary[f], created.body[f], `summary ${f}`);
      }
      // PUT the other variant over it: every field is replaced.
      const other = everyFieldBody(i === 0 ? 2 : 1);
      const put = await wx.put(`/trunks/${created.body.id}`, other);
      assert.equal(put.status, 200, put.raw);
      for (const [name, check] of Object.entries(FIELD_CHECKS)) {
        try {
          check(other, put.body, await t.store.getConnectionById(created.body.id));
        } catch (err) {
          throw new Error(`PUT did not replace ${name}: ${(err as Error).message}`);
        }
      }
    }
  });
});

/** Values of the wrong JSON type for a schema property. */
function wrongTypes(name: string, type: string | string[] | undefined): unknown[] {
  const types = ([] as string[]).concat(type ?? []);
  const out: unknown[] = [];
  if (!types.includes('string')) out.push('1');
  if (!types.includes('boolean')) out.push(true);
  if (!types.includes('integer') && !types.includes('number')) out.push(7);
  if (types.includes('integer')) out.push(1.5);
  if (!types.includes('object')) out.push({ value: 1 });
  if (!types.includes('array')) out.push([]);
  if (!types.includes('null')) out.push(null);
  if (name === 'host_request') out.push({ host: 7 });
  if (name === 'allowed_ips') out.push(['203.0.113.1'], [{ ip: 7 }], [{ ip: '203.0.113.1', id: 1 }]);
  return out;
}

describe('Wavix bad input, field by field', () => {
  const typeCases: [string, Record<string, unknown>][] = [];
  for (const [name, p] of Object.entries(requestProps)) {
    for (const v of wrongTypes(name, p.type)) typeCases.push([`${name} = ${JSON.stringify(v)}`, trunkBody({ [name]: v })]);
  }
  // "Bad enums": Wavix flags are JSON booleans; the values other vendors use for them are refused.
  for (const [name, p] of Object.entries(requestProps)) {
    if (p.type !== 'boolean') continue;
    for (const v of ['yes', 'no', 'optional', 0, 1]) typeCases.push([`${name} = ${JSON.stringify(v)}`, trunkBody({ [name]: v })]);
  }
  const sizeCases: [string, Record<string, unknown>, RegExp][] = [
    ['label over 1024', trunkBody({ label: 'l'.repeat(1025) }), /label must be at most 1024/],
    ['password over 128', trunkBody({ password: 'p'.repeat(129) }), /password must be at most 128/],
    ['callerid over 32', trunkBody({ callerid: '1'.repeat(33) }), /callerid must be at most 32/],
    ['rewrite_prefix over 16', trunkBody({ rewrite_prefix: '1'.repeat(17) }), /rewrite_prefix must be at most 16/],
    ['rewrite_cond over 16', trunkBody({ rewrite_cond: '1'.repeat(17) }), /rewrite_cond must be at most 16/],
    ['host_request.host over 64', trunkBody({ host_request: { host: '1'.repeat(65) } }), /host_request/],
    ['an allowed ip over 64', trunkBody({ ip_restrict: true, allowed_ips: [{ ip: '1'.repeat(65) }] }), /allowed_ips/],
    ['51 allowed_ips', trunkBody({ ip_restrict: true, allowed_ips: Array.from({ length: 51 }, (_, i) => ({ ip: `10.9.0.${i}` })) }), /allowed_ips must have at most 50/],
    ['call_limit 0', trunkBody({ call_limit: 0 }), /call_limit must be between 1 and 86400/],
    ['call_limit over a day', trunkBody({ call_limit: 86_401 }), /call_limit must be between 1 and 86400/],
    ['max_call_cost negative', trunkBody({ max_call_cost: -0.01 }), /max_call_cost must be between 0 and 10000/],
    ['max_call_cost over 10000', trunkBody({ max_call_cost: 10_000.5 }), /max_call_cost must be between 0 and 10000/],
    ['max_channels negative', trunkBody({ channels_restrict: true, max_channels: -1 }), /max_channels must be between 0 and 2147483647/],
    ['max_channels beyond int32', trunkBody({ channels_restrict: true, max_channels: 2_147_483_648 }), /max_channels must be between 0 and 2147483647/],
    ['transcription_threshold negative', trunkBody({ transcription_threshold: -1 }), /transcription_threshold must be between 0 and 86400/],
    ['transcription_threshold over a day', trunkBody({ transcription_threshold: 86_401 }), /transcription_threshold must be between 0 and 86400/],
  ];

  it('POST: a wrong JSON type for any field (booleans given as yes/no/0/1 too) is 400 naming it; nothing stored', async () => {
    const n = await count();
    for (const [what, body] of typeCases) {
      const r = await wx.post('/trunks', body);
      assert.equal(r.status, 400, `${what}: ${r.raw}`);
      // A nested unknown key is named by itself (the response's allowed_ips[].id is not a request field).
      const field = what.endsWith('"id":1}]') ? 'id' : what.split(' ')[0]!;
      assert.ok(r.body.message.includes(field), `${what}: "${r.body.message}" names ${field}`);
    }
    assert.ok(typeCases.length > 100);
    assert.equal(await count(), n);
  });

  it('PUT: the same wrong types are 400 and the trunk is unchanged', async () => {
    const created = await create();
    const before = await t.store.getConnectionById(created.id);
    for (const [what, body] of typeCases) {
      const r = await wx.put(`/trunks/${created.id}`, body);
      assert.equal(r.status, 400, `${what}: ${r.raw}`);
    }
    assert.deepEqual(await t.store.getConnectionById(created.id), before);
  });

  it('oversized strings and out-of-range numbers are 400 on POST and PUT; nothing written', async () => {
    const created = await create();
    const before = await t.store.getConnectionById(created.id);
    const n = await count();
    for (const [what, body, message] of sizeCases) {
      for (const r of [await wx.post('/trunks', body), await wx.put(`/trunks/${created.id}`, body)]) {
        assert.equal(r.status, 400, `${what}: ${r.raw}`);
        assert.match(r.body.message, message, what);
      }
    }
    assert.equal(await count(), n);
    assert.deepEqual(await t.store.getConnectionById(created.id), before);
  });
});

describe('Wavix: every endpoint × every kind of bad input', () => {
  type Kind = 'missing required' | 'wrong type' | 'bad enum' | 'oversized' | 'bad credentials' | 'wrong role';
  type Endpoint = 'list' | 'create' | 'get' | 'update' | 'delete';
  interface Case {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    /** `{id}` is the target trunk's id. */
    path: string;
    body?: unknown;
    as?: 'owner' | 'readonly' | 'other account' | 'unbound' | 'netsapiens' | 'none' | 'unknown';
    status: number;
    message?: RegExp;
  }
  const NA = (why: string) => `n/a: ${why}`;

  it('each is answered in the Wavix shape with its status, and nothing is written', async () => {
    const target = await create({ label: 'matrix target' });
    const unbound = new WavixClient(injectSender(t.api.app), (await createStoredApiKey(t.store, WAVIX_KEY_FORMAT, {
      scope: 'Super User',
      domain: '*',
      reseller: '*',
      description: 'a Wavix key bound to no account',
    })).key);
    const clients: Record<NonNullable<Case['as']>, WavixClient> = {
      owner: wx,
      readonly: ro,
      'other account': other,
      unbound,
      netsapiens: wx.withKey(t.suKey),
      none: anon,
      unknown: wx.withKey(`wvx_${'B'.repeat(56)}`),
    };
    const item = '/trunks/{id}';
    const matrix: Record<Endpoint, Record<Kind, Case[] | string>> = {
      list: {
        'missing required': NA('GET /v1/trunks has no required parameter'),
        'wrong type': [{ method: 'GET', path: '/trunks?page=abc', status: 400, message: /page/ }, { method: 'GET', path: '/trunks?per_page=2.5', status: 400, message: /per_page/ }],
        'bad enum': NA('no enumerated parameter'),
        oversized: [{ method: 'GET', path: '/trunks?per_page=101', status: 400, message: /per_page/ }, { method: 'GET', path: '/trunks?page=1000001', status: 400, message: /page/ }, { method: 'GET', path: `/trunks?page=${'9'.repeat(40)}`, status: 400, message: /page/ }],
        'bad credentials': [{ method: 'GET', path: '/trunks', as: 'none', status: 401 }, { method: 'GET', path: '/trunks', as: 'unknown', status: 401 }],
        'wrong role': [{ method: 'GET', path: '/trunks', as: 'unbound', status: 403 }, { method: 'GET', path: '/trunks', as: 'netsapiens', status: 401 }],
      },
      create: {
        'missing required': [{ method: 'POST', path: '/trunks', body: trunkBody({ label: undefined }), status: 400, message: /label is required/ }, { method: 'POST', path: '/trunks', status: 400 }],
        'wrong type': [{ method: 'POST', path: '/trunks', body: trunkBody({ call_limit: '3600' }), status: 400, message: /call_limit must be an integer/ }],
        'bad enum': [{ method: 'POST', path: '/trunks', body: trunkBody({ encrypted_media: 'optional' }), status: 400, message: /encrypted_media must be a boolean/ }],
        oversized: [{ method: 'POST', path: '/trunks', body: trunkBody({ label: 'x'.repeat(1025) }), status: 400, message: /label must be at most 1024/ }],
        'bad credentials': [{ method: 'POST', path: '/trunks', body: trunkBody(), as: 'none', status: 401 }, { method: 'POST', path: '/trunks', body: trunkBody(), as: 'unknown', status: 401 }],
        'wrong role': [
          { method: 'POST', path: '/trunks', body: trunkBody(), as: 'readonly', status: 403 },
          { method: 'POST', path: '/trunks', body: trunkBody(), as: 'unbound', status: 403 },
          { method: 'POST', path: '/trunks', body: trunkBody(), as: 'netsapiens', status: 401 },
        ],
      },
      get: {
        'missing required': NA('the id is the path; without it the path is the list'),
        'wrong type': [{ method: 'GET', path: '/trunks/abc', status: 404 }],
        'bad enum': NA('no enumerated parameter'),
        oversized: [{ method: 'GET', path: '/trunks/99999999999', status: 404 }],
        'bad credentials': [{ method: 'GET', path: item, as: 'none', status: 401 }, { method: 'GET', path: item, as: 'unknown', status: 401 }],
        'wrong role': [{ method: 'GET', path: item, as: 'other account', status: 404 }, { method: 'GET', path: item, as: 'unbound', status: 403 }, { method: 'GET', path: item, as: 'netsapiens', status: 401 }],
      },
      update: {
        'missing required': [{ method: 'PUT', path: item, body: trunkBody({ password: undefined }), status: 400, message: /password is required/ }, { method: 'PUT', path: item, status: 400 }],
        'wrong type': [{ method: 'PUT', path: item, body: trunkBody({ label: 42 }), status: 400, message: /label must be a string/ }, { method: 'PUT', path: '/trunks/abc', body: trunkBody(), status: 404 }],
        'bad enum': [{ method: 'PUT', path: item, body: trunkBody({ ip_restrict: 'no' }), status: 400, message: /ip_restrict must be a boolean/ }],
        oversized: [{ method: 'PUT', path: item, body: trunkBody({ password: 'p'.repeat(129) }), status: 400, message: /password must be at most 128/ }, { method: 'PUT', path: '/trunks/99999999999', body: trunkBody(), status: 404 }],
        'bad credentials': [{ method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'none', status: 401 }, { method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'unknown', status: 401 }],
        'wrong role': [
          { method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'readonly', status: 403 },
          { method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'other account', status: 404 },
          { method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'unbound', status: 403 },
          { method: 'PUT', path: item, body: trunkBody({ label: 'no' }), as: 'netsapiens', status: 401 },
        ],
      },
      delete: {
        'missing required': NA('the id is the path; DELETE /v1/trunks is no endpoint (404)'),
        'wrong type': [{ method: 'DELETE', path: '/trunks/abc', status: 404 }, { method: 'DELETE', path: '/trunks', status: 404 }],
        'bad enum': NA('no enumerated parameter'),
        oversized: [{ method: 'DELETE', path: '/trunks/99999999999', status: 404 }],
        'bad credentials': [{ method: 'DELETE', path: item, as: 'none', status: 401 }, { method: 'DELETE', path: item, as: 'unknown', status: 401 }],
        'wrong role': [
          { method: 'DELETE', path: item, as: 'readonly', status: 403 },
          { method: 'DELETE', path: item, as: 'other account', status: 404 },
          { method: 'DELETE', path: item, as: 'unbound', status: 403 },
          { method: 'DELETE', path: item, as: 'netsapiens', status: 401 },
        ],
      },
    };

    const before = await t.store.getConnectionById(target.id);
    const n = await count();
    let ran = 0;
    for (const [endpoint, kinds] of Object.entries(matrix)) {
      assert.deepEqual(Object.keys(kinds).sort(), ['bad credentials', 'bad enum', 'missing required', 'oversized', 'wrong role', 'wrong type']);
      for (const [kind, cases] of Object.entries(kinds)) {
        if (typeof cases === 'string') continue;
        assert.ok(cases.length > 0, `${endpoint}/${kind}`);
        for (const c of cases) {
          const client = clients[c.as ?? 'owner'];
          const r = await client.request(c.method, c.path.replace('{id}', String(target.id)), c.body === undefined ? {} : { body: c.body });
          const what = `${endpoint} / ${kind}: ${c.method} ${c.path} as ${c.as ?? 'owner'}`;
          assert.equal(r.status, c.status, `${what}: ${r.raw}`);
          if (c.message !== undefined) assert.match(r.body.message, c.message, what);
          ran++;
        }
      }
    }
    assert.ok(ran >= 40);
    assert.equal(await count(), n, 'no record created');
    assert.deepEqual(await t.store.getConnectionById(target.id), before, 'the target trunk is unchanged');
  });
});
