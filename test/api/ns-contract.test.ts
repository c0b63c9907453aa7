/**
 * Contract tests against the vendor's OpenAPI document (../shared/specs/netsapiens-v2-subset.json). Skipped, with
 * the reason, when the spec folder is absent. Every response in this file (and in the other NetSapiens tests)
 * is validated by NsClient; this file also compares field names, enums and defaults with the vendor schema and
 * checks that every vendor endpoint trunkline implements was exercised.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NS_CONNECTION_FIELDS, NS_READ_ONLY_FIELDS } from '../../src/api/netsapiens/fields.js';
import { NS_DOMAIN_ATTRS } from '../../src/api/netsapiens/domain-fields.js';
import { API_SCOPES } from '../../src/model/index.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { contractStats, seg } from '../support/ns-client.js';
import { VENDOR_SPEC_SKIP, loadVendorSpec, vendorComponentValidator } from '../support/ns-contract.js';

type Json = Record<string, any>;

if (VENDOR_SPEC_SKIP !== false) console.log(`# ${VENDOR_SPEC_SKIP}`);

describe('NetSapiens vendor contract', { skip: VENDOR_SPEC_SKIP }, () => {
  let t: NsApp;
  let spec: Json;
  let schemas: Json;
  const resolve = (s: Json): Json => (typeof s.$ref === 'string' ? resolve(schemas[s.$ref.split('/').pop()!]) : s);

  before(async () => {
    spec = loadVendorSpec();
    schemas = spec.components.schemas;
    t = await createNsApp();
    await t.domain('contract.example', 'reseller-c');
  });
  after(() => t.close());

  it('every wire name trunkline writes is a vendor Connection property (one documented exception)', () => {
    const vendor = Object.keys(schemas.Connection.properties);
    const ours = [...NS_CONNECTION_FIELDS.map((f) => f.wire), ...NS_READ_ONLY_FIELDS, 'domain', 'connection-orig-match-pattern'];
    const extra = ours.filter((w) => !vendor.includes(w));
    assert.deepEqual(extra, ['connection-redirect-all-calls-enabled'], 'only the field seen in the vendor example response');
    assert.deepEqual(vendor.filter((w) => !ours.includes(w)), [], 'every vendor field is handled');
    const aliases = NS_CONNECTION_FIELDS.flatMap((f) => f.aliases);
    assert.deepEqual(aliases.filter((a) => vendor.includes(a)), [], 'aliases are misspellings, not spec names');
  });

  it('yes/no enums match the vendor\'s, and GET after a minimal create answers the vendor defaults', async () => {
    assert.equal((await t.su.post('/connections', { domain: 'contract.example', 'connection-orig-match-pattern': 'sip*@defaults.example' })).status, 202);
    const [c] = (await t.su.get(`/domains/contract.example/connections/${seg('sip*@defaults.example')}`)).body;
    let compared = 0;
    for (const [wire, raw] of Object.entries<Json>(schemas.Connection.properties)) {
      const s = { ...resolve(raw), ...raw };
      if (Array.isArray(s.enum)) {
        assert.ok(s.enum.includes(c[wire]), `${wire}: ${c[wire]} not in ${s.enum}`);
      }
      if (!('default' in s)) continue;
      // The vendor writes an empty-string default as "''".
      const expected = s.default === "''" ? '' : s.default;
      assert.deepEqual(c[wire], expected, `${wire} default`);
      compared++;
    }
    assert.ok(compared >= 25, `compared ${compared} defaults`);
  });

  it('the vendor\'s Connection, Domain and ApiKey component schemas accept what trunkline answers', async () => {
    const conn = vendorComponentValidator('Connection')!;
    const [c] = (await t.su.get(`/domains/contract.example/connections/${seg('sip*@defaults.example')}`)).body;
    assert.ok(conn(c), JSON.stringify(conn.errors));
    const dom = vendorComponentValidator('Domain')!;
    const d = (await t.su.get('/domains/contract.example')).body;
    assert.ok(dom(d), JSON.stringify(dom.errors));
    const key = vendorComponentValidator('ApiKey')!;
    const k = (await t.su.get('/apikeys/~')).body;
    assert.ok(key(k), JSON.stringify(key.errors));
    assert.ok(vendorComponentValidator('ErrorResponse')!((await t.su.get('/connections', { key: null })).body));
  });

  it('trunkline\'s scopes and domain fields are vendor names', () => {
    const scopeEnum = schemas.ApiKey.properties['user-scope'].enum as string[];
    for (const s of API_SCOPES) assert.ok(scopeEnum.includes(s), s);
    const domainProps = Object.keys(schemas.Domain.properties);
    for (const a of NS_DOMAIN_ATTRS) assert.ok(domainProps.includes(a.wire), a.wire);
  });

  it('every implemented vendor endpoint is exercised and validated', async () => {
    const D = 'contract.example';
    const P = seg('sip*@tour.example');
    const su = t.su;
    const steps: Array<[string, () => Promise<{ status: number }>, number]> = [
      ['version', () => su.get('/version', { key: null }), 200],
      ['create', () => su.post('/connections', { domain: D, 'connection-orig-match-pattern': 'sip*@tour.example' }), 202],
      ['duplicate', () => su.post('/connections', { domain: D, 'connection-orig-match-pattern': 'sip*@tour.example' }), 409],
      ['bad', () => su.post('/connections', { domain: D, 'connection-orig-match-pattern': 'sip*@x.example', 'connection-sip-transport-protocol': 'X' }), 400],
      ['list', () => su.get('/connections'), 200],
      ['count', () => su.get('/connections/count'), 200],
      ['domain list', () => su.get(`/domains/${D}/connections`), 200],
      ['get', () => su.get(`/domains/${D}/connections/${P}`), 200],
      ['get 404', () => su.get(`/domains/${D}/connections/${seg('sip*@none.example')}`), 404],
      ['put', () => su.put(`/domains/${D}/connections/${P}`, { description: 'tour' }), 202],
      ['delete', () => su.delete(`/domains/${D}/connections/${P}`), 202],
      ['domain create', () => su.post('/domains', { domain: 'tour.example', reseller: 'reseller-c', description: 'tour' }), 202],
      ['domain dup', () => su.post('/domains', { domain: 'tour.example', reseller: 'reseller-c' }), 409],
      ['domains', () => su.get('/domains'), 200],
      ['domains count', () => su.get('/domains/count'), 200],
      ['domain get', () => su.get('/domains/tour.example'), 200],
      ['domain put', () => su.put('/domains/tour.example', { description: 'tour 2' }), 202],
      ['domain delete', () => su.delete('/domains/tour.example'), 202],
      ['key create', () => su.post('/apikeys', { 'user-scope': 'Office Manager', domain: D, description: 'contract tour key' }), 200],
      ['keys', () => su.get('/apikeys'), 200],
      ['key own', () => su.get('/apikeys/~'), 200],
      ['key get', () => su.get(`/apikeys/${t.suKey.slice(0, 12)}`), 200],
      ['unauthenticated', () => su.get('/connections/count', { key: null }), 401],
      ['forbidden', async () => t.client(await t.makeKey({ scope: 'Office Manager', domain: D, reseller: 'reseller-c', readonly: true })).delete(`/domains/${D}/connections/${P}`), 403],
    ];
    const before = contractStats.checked;
    for (const [name, step, status] of steps) assert.equal((await step()).status, status, name);
    const keys = (await su.get('/apikeys')).body as Json[];
    const om = keys.find((k) => k.description === 'contract tour key')!;
    assert.equal((await su.delete(`/apikeys/${om['key-id']}`)).status, 202);
    assert.equal(contractStats.checked - before, steps.length + 2);
    for (const template of [
      'GET /version', 'POST /connections', 'GET /connections', 'GET /connections/count', 'GET /domains/{domain}/connections',
      'POST /domains', 'GET /domains', 'GET /domains/count', 'GET /domains/{domain}', 'PUT /domains/{domain}', 'DELETE /domains/{domain}',
      'POST /apikeys', 'GET /apikeys', 'GET /apikeys/~', 'GET /apikeys/{key_id}', 'DELETE /apikeys/{key_id}',
    ]) {
      assert.ok(contractStats.templates.has(template), `${template} validated (have: ${[...contractStats.templates].join(', ')})`);
    }
    assert.ok([...contractStats.templates].some((x) => /^GET \/domains\/\{domain\}\/connections\/\{connection-/.test(x)));
    assert.ok([...contractStats.templates].some((x) => /^PUT \/domains\/\{domain\}\/connections\/\{connection-/.test(x)));
    assert.ok([...contractStats.templates].some((x) => /^DELETE \/domains\/\{domain\}\/connections\/\{connection-/.test(x)));
  });
});
