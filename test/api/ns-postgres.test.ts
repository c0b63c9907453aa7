/**
 * The NetSapiens API over the PostgreSQL store (the other tests use SQLite). Needs TRUNKLINE_TEST_PG_URL; without
 * it, or when the server is unreachable, the suite is reported as skipped with the reason. Runs in its own schema,
 * dropped at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg } from '../support/ns-client.js';

const URL_ENV = process.env.TRUNKLINE_TEST_PG_URL;
const SCHEMA = `tl_nsapi_${randomBytes(4).toString('hex')}`;

async function unreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

let skip: string | false = false;
if (URL_ENV === undefined || URL_ENV === '') skip = 'TRUNKLINE_TEST_PG_URL not set: NetSapiens API over PostgreSQL skipped';
else {
  const why = await unreachable(URL_ENV);
  if (why !== undefined) skip = `TRUNKLINE_TEST_PG_URL is set but PostgreSQL is unreachable (${why})`;
}
if (skip !== false) console.log(`# ${skip}`);

describe('NetSapiens API over PostgreSQL', { skip }, () => {
  let t: NsApp;
  before(async () => {
    const u = new URL(URL_ENV!);
    u.searchParams.set('schema', SCHEMA);
    t = await createNsApp({ db: u.toString() });
  });
  after(async () => {
    await t?.close();
    const client = new pg.Client({ connectionString: URL_ENV });
    await client.connect();
    await client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await client.end();
  });

  it('connections: create, 409, get (raw and base64), partial PUT, lists, delete', async () => {
    await t.domain('pg.example', 'pg-r');
    const body = { domain: 'pg.example', 'connection-orig-match-pattern': 'sip*@pg-trunk.example', 'limits-max-active-calls-total': '0', 'connection-pcmu-only-enabled': 'yes' };
    assert.equal((await t.su.post('/connections', body)).status, 202);
    assert.equal((await t.su.post('/connections', body)).status, 409);
    assert.equal((await t.su.post('/connections', { ...body, domain: 'missing.example' })).status, 404);
    const raw = await t.su.get(`/domains/pg.example/connections/${seg('sip*@pg-trunk.example')}`);
    assert.equal(raw.status, 200);
    assert.equal(raw.body[0]['limits-max-active-calls-total'], 0);
    assert.equal(raw.body[0]['connection-pcmu-only-enabled'], 'yes');
    const b64 = Buffer.from('sip*@pg-trunk.example').toString('base64url');
    assert.equal((await t.su.put(`/domains/pg.example/connections/${b64}`, { description: 'pg' })).status, 202);
    const after = (await t.su.get(`/domains/pg.example/connections/${b64}`)).body[0];
    assert.equal(after.description, 'pg');
    assert.equal(after['connection-pcmu-only-enabled'], 'yes');
    assert.equal((await t.su.post('/connections', { domain: '*', 'connection-orig-match-pattern': 'sip*@pg-sys.example' })).status, 202);
    const reseller = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'pg-r' }));
    assert.deepEqual((await reseller.get('/connections')).body.map((c: any) => c.domain).sort(), ['*', 'pg.example']);
    assert.deepEqual((await reseller.get('/connections/count')).body, { total: 2 });
    assert.equal((await t.su.delete('/domains/pg.example')).status, 409);
    assert.equal((await t.su.delete(`/domains/pg.example/connections/${seg('sip*@pg-trunk.example')}`)).status, 202);
    assert.equal((await t.su.delete('/domains/pg.example')).status, 202);
  });

  it('API keys: create, use, revoke', async () => {
    await t.domain('pgkeys.example', 'pg-r');
    const r = await t.su.post('/apikeys', { 'user-scope': 'Office Manager', domain: 'pgkeys.example', description: 'postgres office manager' });
    assert.equal(r.status, 200);
    const om = t.client(r.body.key);
    assert.equal((await om.get('/domains/~')).body.domain, 'pgkeys.example');
    assert.equal((await t.su.delete(`/apikeys/${r.body['key-id']}`)).status, 202);
    assert.equal((await om.get('/domains/~')).status, 401);
  });
});
