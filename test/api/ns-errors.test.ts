/**
 * Error handling: every failure answers `{"code":<status>,"message":"..."}` with the catalog's status — never
 * a 500 or a stack trace for bad input — plus the public endpoints (/version, /ns-api/openapi.json).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { fetchSender, NsClient, seg } from '../support/ns-client.js';
import { startTestServer, type TestServer } from '../support/trunkline.js';

describe('NetSapiens error handling', () => {
  let t: NsApp;
  before(async () => {
    t = await createNsApp({ bodyLimit: 16 * 1024 });
    await t.domain('err.example');
  });
  after(() => t.close());

  it('malformed JSON → 400', async () => {
    for (const raw of ['{bad json', '{"domain": "err.example",}', '[1,2', '{"__proto__": {"x": 1}}']) {
      const r = await t.su.post('/connections', undefined, { rawBody: raw });
      assert.equal(r.status, 400, raw);
      assert.equal(r.body.code, 400);
      assert.match(r.body.message, /Malformed JSON/);
    }
    const put = await t.su.put(`/domains/err.example/connections/${seg('sip*@x.example')}`, undefined, { rawBody: '{' });
    assert.equal(put.status, 400);
  });

  it('oversized body → 413', async () => {
    const r = await t.su.post('/connections', { domain: 'err.example', 'connection-orig-match-pattern': 'sip*@big.example', description: 'x'.repeat(20_000) });
    assert.equal(r.status, 413);
    assert.deepEqual(r.body, { code: 413, message: 'Request body too large' });
    assert.equal(await t.store.getConnection('err.example', 'sip*@big.example'), undefined);
  });

  it('unknown routes and methods → 404 in the NetSapiens shape', async () => {
    for (const [method, path] of [
      ['GET', '/no-such-thing'],
      ['GET', '/ns-api/v3/connections'],
      ['PATCH', '/ns-api/v2/connections'],
      ['POST', '/ns-api/v2/domains/err.example/connections/x/y'],
      ['GET', '/'],
    ] as const) {
      const r = await t.su.request(method, `/${path}`, { noContract: true });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.code, 404);
      assert.match(r.body.message, /^No such endpoint/);
    }
  });

  it('a body that is not JSON: form-urlencoded is read, other types → 415', async () => {
    const form = await t.su.post('/connections', undefined, {
      rawBody: 'domain=err.example&connection-orig-match-pattern=sip*%40form.example&limits-max-active-calls-total=3',
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 202, form.raw);
    assert.equal((await t.store.getConnection('err.example', 'sip*@form.example'))?.maxCallsTotal, 3);
    const text = await t.su.post('/connections', undefined, { rawBody: 'hello there', contentType: 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.code, 415);
    const jsonAsText = await t.su.post('/connections', undefined, {
      rawBody: JSON.stringify({ domain: 'err.example', 'connection-orig-match-pattern': 'sip*@text.example' }),
      contentType: 'text/plain',
    });
    assert.equal(jsonAsText.status, 202);
  });

  it('a DELETE with Content-Type: application/json and no body is fine', async () => {
    assert.equal((await t.su.post('/connections', { domain: 'err.example', 'connection-orig-match-pattern': 'sip*@del.example' })).status, 202);
    const r = await t.su.delete(`/domains/err.example/connections/${seg('sip*@del.example')}`, { headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 202);
  });

  it('garbage never produces a 500', async () => {
    const bodies: unknown[] = [null, 42, 'string', [], {}, { domain: null }, { domain: 5, 'connection-orig-match-pattern': {} }, { 'call-routing': { a: [1, 2, { b: null }] }, domain: 'err.example', 'connection-orig-match-pattern': 'sip*@routing.example' }];
    for (const body of bodies) {
      const r = await t.su.post('/connections', undefined, { rawBody: JSON.stringify(body) });
      assert.ok(r.status === 400 || r.status === 202, `${JSON.stringify(body)} → ${r.status} ${r.raw}`);
    }
    const routing = await t.su.get(`/domains/err.example/connections/${seg('sip*@routing.example')}`);
    assert.deepEqual(routing.body[0]['call-routing'], { a: [1, 2, { b: null }] });
    for (const path of ['/domains/%E0%A4%A/connections', `/domains/err.example/connections/${'%'}`, `/domains/${'a'.repeat(300)}/connections`, '/connections?start=1e9999']) {
      const r = await t.su.get(path);
      assert.ok(r.status >= 400 && r.status < 500, `${path} → ${r.status}`);
    }
  });

  it('GET /version needs no key', async () => {
    const r = await t.su.get('/version', { key: null });
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.apiversion, 'string');
    assert.equal(typeof r.body.hostname, 'string');
    assert.match(r.body['current-time'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});

describe('NetSapiens errors over real HTTP', () => {
  let s: TestServer;
  let c: NsClient;
  before(async () => {
    s = await startTestServer();
    c = new NsClient(fetchSender(s.url), s.key);
  });
  after(() => s.stop());

  it('413 for an oversized body on a real socket, 400 for malformed JSON, 401 without a key', async () => {
    const big = await c.post('/connections', undefined, { rawBody: JSON.stringify({ domain: 'x', description: 'y'.repeat(400_000) }) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, { code: 413, message: 'Request body too large' });
    const bad = await c.post('/connections', undefined, { rawBody: '{"domain":' });
    assert.equal(bad.status, 400);
    const anon = await c.get('/connections', { key: null });
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['content-type'], 'application/json; charset=utf-8');
  });
});
