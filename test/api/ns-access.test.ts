/**
 * Scopes and tenancy on the NetSapiens API: Super User sees all; Reseller only its reseller's domains plus the
 * system domain `*`; Office Manager / Basic User only their own domain; read-only keys get 403 on every write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg, type NsClient } from '../support/ns-client.js';

const A1 = 'a1.example'; // reseller-a
const A2 = 'a2.example'; // reseller-a
const B1 = 'b1.example'; // reseller-b
const P = (d: string) => `sip*@trunk.${d}`;
const SYS = 'sip*@system-carrier.example';

const patterns = (r: { body: any[] }) => r.body.map((c) => `${c.domain} ${c['connection-orig-match-pattern']}`).sort();

describe('NetSapiens access rules', () => {
  let t: NsApp;
  let reseller: NsClient;
  let om: NsClient;
  let basic: NsClient;
  let suRo: NsClient;
  let resellerRo: NsClient;
  let omRo: NsClient;

  before(async () => {
    t = await createNsApp();
    await t.domain(A1, 'reseller-a');
    await t.domain(A2, 'reseller-a');
    await t.domain(B1, 'reseller-b');
    for (const d of [A1, A2, B1]) {
      assert.equal((await t.su.post('/connections', { domain: d, 'connection-orig-match-pattern': P(d) })).status, 202);
    }
    assert.equal((await t.su.post('/connections', { domain: '*', 'connection-orig-match-pattern': SYS })).status, 202);
    reseller = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'reseller-a' }));
    om = t.client(await t.makeKey({ scope: 'Office Manager', domain: A1, reseller: 'reseller-a' }));
    basic = t.client(await t.makeKey({ scope: 'Basic User', domain: A1, reseller: 'reseller-a' }));
    suRo = t.client(await t.makeKey({ scope: 'Super User', readonly: true }));
    resellerRo = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'reseller-a', readonly: true }));
    omRo = t.client(await t.makeKey({ scope: 'Office Manager', domain: A1, reseller: 'reseller-a', readonly: true }));
  });
  after(() => t.close());

  it('401 without a key, with a malformed key, with an unknown key', async () => {
    for (const key of [null, 'nonsense', 'nss_' + 'A'.repeat(48) + '00000000', t.suKey.slice(0, -1) + (t.suKey.endsWith('a') ? 'b' : 'a')]) {
      const r = await t.su.get('/connections', { key });
      assert.equal(r.status, 401, String(key));
      assert.equal(r.body.code, 401);
    }
    const wrongScheme = await t.su.get('/connections', { key: null, headers: { authorization: `Basic ${t.suKey}` } });
    assert.equal(wrongScheme.status, 401);
  });

  it('Super User sees every connection, including system-wide ones', async () => {
    assert.deepEqual(patterns(await t.su.get('/connections')), [`* ${SYS}`, `${A1} ${P(A1)}`, `${A2} ${P(A2)}`, `${B1} ${P(B1)}`]);
    assert.deepEqual((await t.su.get('/connections/count')).body, { total: 4 });
  });

  it('Reseller sees its reseller\'s domains plus the system domain, nothing else', async () => {
    assert.deepEqual(patterns(await reseller.get('/connections')), [`* ${SYS}`, `${A1} ${P(A1)}`, `${A2} ${P(A2)}`]);
    assert.deepEqual((await reseller.get('/connections/count')).body, { total: 3 });
    // Paging over its own domains then `*`.
    const p1 = await reseller.get('/connections?start=0&limit=2');
    const p2 = await reseller.get('/connections?start=2&limit=2');
    assert.equal(p1.body.length, 2);
    assert.equal(p2.body.length, 1);
    assert.deepEqual([...patterns(p1), ...patterns(p2)].sort(), patterns(await reseller.get('/connections')));
    assert.equal((await reseller.get(`/domains/${A2}/connections/${seg(P(A2))}`)).status, 200);
    assert.equal((await reseller.get(`/domains/*/connections/${seg(SYS)}`)).status, 200);
    assert.equal((await reseller.get(`/domains/${B1}/connections/${seg(P(B1))}`)).status, 403);
    assert.equal((await reseller.get(`/domains/${B1}/connections`)).status, 403);
    assert.equal((await reseller.get(`/connections?domain=${B1}`)).status, 403);
    assert.equal((await reseller.get(`/connections?reseller=reseller-b`)).status, 403);
    assert.equal((await reseller.post('/connections', { domain: B1, 'connection-orig-match-pattern': 'sip*@x.example' })).status, 403);
    assert.equal((await reseller.put(`/domains/${B1}/connections/${seg(P(B1))}`, { description: 'x' })).status, 403);
    assert.equal((await reseller.delete(`/domains/${B1}/connections/${seg(P(B1))}`)).status, 403);
    // Writes in its own domains and in `*` work.
    assert.equal((await reseller.post('/connections', { domain: A2, 'connection-orig-match-pattern': 'sip*@r-made.example' })).status, 202);
    assert.equal((await reseller.delete(`/domains/${A2}/connections/${seg('sip*@r-made.example')}`)).status, 202);
    assert.equal((await reseller.post('/connections', { domain: '*', 'connection-orig-match-pattern': 'sip*@r-sys.example' })).status, 202);
    assert.equal((await reseller.delete(`/domains/*/connections/${seg('sip*@r-sys.example')}`)).status, 202);
    assert.equal((await t.su.get(`/domains/${B1}/connections/${seg(P(B1))}`)).body[0].description, '', 'B1 untouched');
  });

  it('Office Manager and Basic User see only their own domain and never `*`', async () => {
    for (const c of [om, basic]) {
      assert.deepEqual(patterns(await c.get('/connections')), [`${A1} ${P(A1)}`]);
      assert.deepEqual((await c.get('/connections/count')).body, { total: 1 });
      assert.equal((await c.get(`/domains/${A1}/connections/${seg(P(A1))}`)).status, 200);
      assert.equal((await c.get(`/domains/${A2}/connections/${seg(P(A2))}`)).status, 403);
      assert.equal((await c.get(`/domains/${A2}/connections`)).status, 403);
      assert.equal((await c.get(`/connections?domain=${B1}`)).status, 403);
      const sys = await c.get(`/domains/*/connections/${seg(SYS)}`);
      assert.equal(sys.status, 403);
      assert.match(sys.body.message, /Super User and Reseller/);
      assert.equal((await c.get('/domains/*/connections')).status, 403);
      assert.equal((await c.post('/connections', { domain: '*', 'connection-orig-match-pattern': 'sip*@om-sys.example' })).status, 403);
      assert.equal((await c.post('/connections', { domain: A2, 'connection-orig-match-pattern': 'sip*@om-a2.example' })).status, 403);
    }
    assert.equal((await om.post('/connections', { domain: A1, 'connection-orig-match-pattern': 'sip*@om-made.example' })).status, 202);
    assert.equal((await om.delete(`/domains/${A1}/connections/${seg('sip*@om-made.example')}`)).status, 202);
  });

  it('read-only keys get 403 on every write verb, and can still read', async () => {
    const writes: Array<[string, (c: NsClient) => Promise<{ status: number; body: any }>]> = [
      ['POST /connections', (c) => c.post('/connections', { domain: A1, 'connection-orig-match-pattern': 'sip*@ro.example' })],
      ['PUT connection', (c) => c.put(`/domains/${A1}/connections/${seg(P(A1))}`, { description: 'ro' })],
      ['DELETE connection', (c) => c.delete(`/domains/${A1}/connections/${seg(P(A1))}`)],
      ['POST /domains', (c) => c.post('/domains', { domain: 'ro.example', reseller: 'reseller-a' })],
      ['PUT domain', (c) => c.put(`/domains/${A1}`, { description: 'ro' })],
      ['DELETE domain', (c) => c.delete(`/domains/${A2}`)],
      ['POST /apikeys', (c) => c.post('/apikeys', { 'user-scope': 'Basic User', domain: A1, description: 'read-only attempt' })],
      ['DELETE apikey', (c) => c.delete(`/apikeys/${t.suKey.slice(0, 12)}`)],
    ];
    for (const ro of [suRo, resellerRo, omRo]) {
      for (const [name, write] of writes) {
        const r = await write(ro);
        assert.equal(r.status, 403, name);
        assert.equal(r.body.message, 'This API key is read-only', name);
      }
      assert.equal((await ro.get(`/domains/${A1}/connections/${seg(P(A1))}`)).status, 200);
    }
    assert.equal((await t.su.get(`/domains/${A1}/connections/${seg(P(A1))}`)).body[0].description, '', 'nothing changed');
    assert.equal((await t.su.get(`/domains/${A2}`)).status, 200, 'domain still there');
  });

  it('domains: each key sees what its tenancy allows', async () => {
    const names = (r: { body: any[] }) => r.body.map((d) => d.domain).sort();
    assert.deepEqual(names(await t.su.get('/domains')), [A1, A2, B1]);
    assert.deepEqual(names(await reseller.get('/domains')), [A1, A2]);
    assert.deepEqual(names(await om.get('/domains')), [A1]);
    assert.deepEqual((await reseller.get('/domains/count')).body, { total: 2 });
    assert.deepEqual((await om.get('/domains/count')).body, { total: 1 });
    assert.equal((await reseller.get(`/domains/${B1}`)).status, 403);
    assert.equal((await om.get(`/domains/${A2}`)).status, 403);
    assert.equal((await om.get('/domains/~')).body.domain, A1);
    assert.equal((await basic.get(`/domains/${A1}`)).status, 200);
    // Who may write domains
    assert.equal((await om.post('/domains', { domain: 'om-new.example', reseller: 'reseller-a' })).status, 403);
    assert.equal((await basic.put(`/domains/${A1}`, { description: 'basic' })).status, 403);
    assert.equal((await om.put(`/domains/${A1}`, { description: 'by office manager' })).status, 202);
    assert.equal((await om.put(`/domains/${A1}`, { reseller: 'reseller-b' })).status, 403);
    assert.equal((await reseller.put(`/domains/${A1}`, { reseller: 'reseller-b' })).status, 403);
    assert.equal((await reseller.post('/domains', { domain: 'r-new.example', reseller: 'reseller-b' })).status, 403);
    assert.equal((await reseller.post('/domains', { domain: 'r-new.example' })).status, 202, 'reseller defaults to its own');
    assert.equal((await t.su.get('/domains/r-new.example')).body.reseller, 'reseller-a');
    assert.equal((await reseller.delete(`/domains/${B1}`)).status, 403);
    assert.equal((await om.delete(`/domains/${A1}`)).status, 403);
    assert.equal((await reseller.delete('/domains/r-new.example')).status, 202);
  });

  it('allowed-models and ip-address restrictions are enforced', async () => {
    const domainsOnly = await t.su.post('/apikeys', { 'user-scope': 'Office Manager', domain: A1, description: 'domains model only', 'allowed-models': ['domain'] });
    assert.equal(domainsOnly.status, 200);
    const c = t.client(domainsOnly.body.key);
    assert.equal((await c.get(`/domains/${A1}`)).status, 200);
    const denied = await c.get('/connections');
    assert.equal(denied.status, 403);
    assert.match(denied.body.message, /connection/);
    const elsewhere = await t.su.post('/apikeys', { 'user-scope': 'Office Manager', domain: A1, description: 'only from 192.0.2.0/24', 'ip-address': '192.0.2.0/24' });
    assert.equal(elsewhere.status, 200);
    const r = await t.client(elsewhere.body.key).get('/connections'); // inject comes from 127.0.0.1
    assert.equal(r.status, 403);
    const local = await t.su.post('/apikeys', { 'user-scope': 'Office Manager', domain: A1, description: 'only from loopback', 'ip-address': '127.0.0.1, ::1' });
    assert.equal((await t.client(local.body.key).get('/connections')).status, 200);
  });
});
