/** NetSapiens API key endpoints, key format and storage. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { hashApiKey } from '../../src/model/index.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';

const PREFIX = { 'Super User': 'nss_', Reseller: 'nsr_', 'Office Manager': 'nsd_', 'Basic User': 'nsu_' } as const;

function assertKeyFormat(key: string, prefix: string): void {
  assert.equal(key.length, 60);
  assert.equal(key.slice(0, 4), prefix);
  const random = key.slice(4, 52);
  assert.match(random, /^[A-Za-z0-9]{48}$/);
  assert.equal(key.slice(52), (crc32(Buffer.from(random)) >>> 0).toString(16).padStart(8, '0'));
}

describe('NetSapiens API keys', () => {
  let t: NsApp;
  const created: string[] = [];
  before(async () => {
    t = await createNsApp();
    await t.domain('keys.example', 'reseller-k');
    await t.domain('other.example', 'reseller-o');
  });
  after(() => t.close());

  it('creates keys in the vendor format for every scope; the key is shown once, stored hashed', async () => {
    const bodies = [
      { 'user-scope': 'Super User', description: 'automation super user' },
      { 'user-scope': 'Reseller', reseller: 'reseller-k', description: 'reseller automation key' },
      { 'user-scope': 'Office Manager', domain: 'keys.example', description: 'office manager key', readonly: 'yes' },
      { 'user-scope': 'Basic User', domain: 'keys.example', description: 'basic user key for tests', user: '1000' },
    ] as const;
    for (const body of bodies) {
      const r = await t.su.post('/apikeys', body);
      assert.equal(r.status, 200, r.raw);
      const scope = body['user-scope'];
      assertKeyFormat(r.body.key, PREFIX[scope]);
      assert.equal(r.body['key-id'], r.body.key.slice(0, 12));
      assert.equal(r.body['user-scope'], scope);
      assert.equal(r.body.description, body.description);
      created.push(r.body.key);
      const stored = await t.store.getApiKey(r.body['key-id']);
      assert.ok(stored);
      assert.equal(stored.keyHash, hashApiKey(r.body.key));
      assert.equal(stored.scope, scope);
      // Shown once: reads never carry the key.
      const g = await t.su.get(`/apikeys/${r.body['key-id']}`);
      assert.equal(g.status, 200);
      assert.ok(Array.isArray(g.body));
      assert.equal(g.body[0]['key-id'], r.body['key-id']);
      assert.equal('key' in g.body[0], false);
      // The new key works.
      assert.equal((await t.client(r.body.key).get('/domains/count')).status, 200);
    }
    const [om] = (await t.su.get(`/apikeys/${created[2]!.slice(0, 12)}`)).body;
    assert.equal(om.readonly, 'yes');
    assert.equal(om.domain, 'keys.example');
    assert.equal(om.reseller, 'reseller-k', 'an Office Manager key takes its domain\'s reseller');
    const [bu] = (await t.su.get(`/apikeys/${created[3]!.slice(0, 12)}`)).body;
    assert.equal(bu.user, '1000');
  });

  it('the database holds no plain key', async () => {
    const files = readdirSync(t.dataDir).filter((f) => f.includes('trunkline'));
    assert.ok(files.length > 0, `SQLite files in ${t.dataDir}`);
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(t.dataDir, f))));
    for (const key of [t.suKey, ...created]) {
      assert.equal(bytes.includes(Buffer.from(key)), false, `plain key ${key.slice(0, 12)}… found in the database`);
      assert.equal(bytes.includes(Buffer.from(key.slice(12))), false);
      assert.ok(bytes.includes(Buffer.from(key.slice(0, 12))), 'key-id is stored');
    }
  });

  it('only Super User keys and keys with can-create-keys create keys, and only for lesser scopes in their tenancy', async () => {
    const plainReseller = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'reseller-k' }));
    let r = await plainReseller.post('/apikeys', { 'user-scope': 'Basic User', domain: 'keys.example', description: 'should be refused' });
    assert.equal(r.status, 403);
    assert.match(r.body.message, /permission to create new API keys/);

    const maker = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'reseller-k', canCreateKeys: true }));
    r = await maker.post('/apikeys', { 'user-scope': 'Office Manager', domain: 'keys.example', description: 'made by a reseller' });
    assert.equal(r.status, 200, r.raw);
    assertKeyFormat(r.body.key, 'nsd_');
    for (const scope of ['Reseller', 'Super User']) {
      r = await maker.post('/apikeys', { 'user-scope': scope, reseller: 'reseller-k', description: 'same or higher scope' });
      assert.equal(r.status, 403, scope);
      assert.match(r.body.message, /lesser scope/);
    }
    r = await maker.post('/apikeys', { 'user-scope': 'Office Manager', domain: 'other.example', description: 'outside its tenancy' });
    assert.equal(r.status, 403);

    const omMaker = t.client(await t.makeKey({ scope: 'Office Manager', domain: 'keys.example', reseller: 'reseller-k', canCreateKeys: true }));
    r = await omMaker.post('/apikeys', { 'user-scope': 'Basic User', domain: '~', description: 'basic made by an OM' });
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.body.domain, 'keys.example');
    r = await omMaker.post('/apikeys', { 'user-scope': 'Basic User', domain: 'other.example', description: 'other domain attempt' });
    assert.equal(r.status, 403);
  });

  it('validates the body', async () => {
    const cases: Array<[Record<string, unknown>, number, string | RegExp]> = [
      [{ description: 'no scope given here' }, 400, 'user-scope is required'],
      [{ 'user-scope': 'Call Center Agent', description: 'unsupported scope' }, 400, /^user-scope must be one of/],
      [{ 'user-scope': 'Basic User', description: 'no domain for a basic user' }, 400, 'domain is required for Basic User keys'],
      [{ 'user-scope': 'Reseller', description: 'no reseller for reseller' }, 400, 'reseller is required for Reseller keys'],
      [{ 'user-scope': 'Basic User', domain: 'keys.example', description: 'short' }, 400, 'description must be at least 12 characters'],
      [{ 'user-scope': 'Basic User', domain: 'keys.example', description: 'with a bogus field', bogus: 1 }, 400, 'bogus is not a known field'],
      [{ 'user-scope': 'Basic User', domain: 'keys.example', description: 'bad ip restriction', 'ip-address': '1.2.3.4/99' }, 400, /^ip-address must be/],
      [{ 'user-scope': 'Basic User', domain: 'nope.example', description: 'unknown domain key' }, 404, /nope\.example/],
    ];
    for (const [body, status, message] of cases) {
      const r = await t.su.post('/apikeys', body);
      assert.equal(r.status, status, JSON.stringify(body));
      if (typeof message === 'string') assert.equal(r.body.message, message);
      else assert.match(r.body.message, message);
    }
  });

  it('lists what the caller may see; ~ is the caller\'s own key', async () => {
    const all = (await t.su.get('/apikeys')).body.map((k: any) => k['key-id']);
    assert.ok(all.includes(t.suKey.slice(0, 12)));
    assert.equal(all.length, (await t.store.listApiKeys({})).length);
    const om = t.client(await t.makeKey({ scope: 'Office Manager', domain: 'keys.example', reseller: 'reseller-k' }));
    const seen = (await om.get('/apikeys')).body as any[];
    assert.ok(seen.length >= 1);
    for (const k of seen) {
      assert.equal(k.domain, 'keys.example');
      assert.ok(k['user-scope'] === 'Basic User' || k['key-id'] === om.key!.slice(0, 12), JSON.stringify(k));
    }
    const own = await om.get('/apikeys/~');
    assert.equal(own.status, 200);
    assert.equal(own.body['key-id'], om.key!.slice(0, 12));
    assert.equal((await om.get(`/apikeys/${t.suKey.slice(0, 12)}`)).status, 404, 'a higher key is invisible');
    assert.equal((await t.su.get('/apikeys/nss_00000000')).status, 404);
    const page = (await t.su.get('/apikeys?start=1&limit=2')).body.map((k: any) => k['key-id']);
    assert.deepEqual(page, all.slice(1, 3));
  });

  it('DELETE revokes at once (202, then 401)', async () => {
    const r = await t.su.post('/apikeys', { 'user-scope': 'Basic User', domain: 'keys.example', description: 'to be revoked now' });
    const c = t.client(r.body.key);
    assert.equal((await c.get('/connections')).status, 200); // cached now
    const d = await t.su.delete(`/apikeys/${r.body['key-id']}`);
    assert.equal(d.status, 202);
    assert.deepEqual(d.body, { code: 202, message: 'Accepted' });
    assert.equal((await c.get('/connections')).status, 401);
    assert.equal((await t.su.get(`/apikeys/${r.body['key-id']}`)).status, 404);
    assert.equal((await t.su.delete(`/apikeys/${r.body['key-id']}`)).status, 404);
    // A key without can-create-keys may not revoke others, but may revoke itself.
    const other = await t.su.post('/apikeys', { 'user-scope': 'Basic User', domain: 'keys.example', description: 'another basic user' });
    const om = t.client(await t.makeKey({ scope: 'Office Manager', domain: 'keys.example', reseller: 'reseller-k' }));
    assert.equal((await om.delete(`/apikeys/${other.body['key-id']}`)).status, 403);
    assert.equal((await om.delete(`/apikeys/${om.key!.slice(0, 12)}`)).status, 202);
    assert.equal((await om.get('/connections')).status, 401);
  });
});
