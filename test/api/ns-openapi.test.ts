/**
 * trunkline's own OpenAPI 3.1 document (GET /ns-api/openapi.json): generated from the schemas that validate
 * requests, it compiles as JSON Schema 2020-12, it covers every route, and it agrees with what the API does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { apiKeyCreateSchema, connectionCreateSchema, connectionSchema, connectionUpdateSchema, domainCreateSchema } from '../../src/api/netsapiens/schemas.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg } from '../support/ns-client.js';

describe('trunkline OpenAPI document (NetSapiens dialect)', () => {
  let t: NsApp;
  let doc: any;
  let ajv: Ajv2020;
  before(async () => {
    t = await createNsApp();
    const r = await t.su.get('/ns-api/openapi.json', { key: null, noContract: true });
    assert.equal(r.status, 200);
    doc = r.body;
    ajv = new Ajv2020({ strict: false });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: 'https://trunkline.invalid/openapi.json', components: doc.components });
  });
  after(() => t.close());
  const v = (name: string) => ajv.getSchema(`https://trunkline.invalid/openapi.json#/components/schemas/${name}`)!;

  it('is OpenAPI 3.1 and needs no key', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, 'test');
    assert.deepEqual(doc.servers, [{ url: '/ns-api/v2' }]);
  });

  it('carries the very request schemas the API validates with', () => {
    assert.deepEqual(doc.components.schemas.ConnectionCreate, connectionCreateSchema);
    assert.deepEqual(doc.components.schemas.ConnectionUpdate, connectionUpdateSchema);
    assert.deepEqual(doc.components.schemas.Connection, connectionSchema);
    assert.deepEqual(doc.components.schemas.DomainCreate, domainCreateSchema);
    assert.deepEqual(doc.components.schemas.ApiKeyCreate, apiKeyCreateSchema);
    for (const name of Object.keys(doc.components.schemas)) assert.ok(v(name), `${name} compiles`);
  });

  it('every documented operation exists on the server', async () => {
    let n = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const m of ['get', 'post', 'put', 'delete'].filter((x) => x in item)) {
        const url = `/ns-api/v2${path.replace(/\{[^}]+\}/g, 'doc-probe')}`;
        const r = await t.su.request(m.toUpperCase(), url, { noContract: true, ...(m === 'post' || m === 'put' ? { body: {} } : {}) });
        assert.doesNotMatch(String(r.body?.message ?? ''), /No such endpoint/, `${m} ${path}`);
        n++;
      }
    }
    assert.ok(n >= 19, `${n} operations documented`);
  });

  it('what the document accepts, the API accepts; what it refuses, the API refuses', async () => {
    await t.domain('oa.example');
    const create = v('ConnectionCreate');
    const samples: Array<[Record<string, unknown>, boolean]> = [
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa1.example', 'limits-max-active-calls-total': '0' }, true],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa2.example', 'limits-max-active-calls-total': 0, 'connection-pcmu-only-enabled': 'yes' }, true],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa3.example', 'connection-sip-transport-protocol': 'tls' }, false],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa4.example', 'not-a-field': 'x' }, false],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa5.example', 'minimum-call-duration-seconds': 'abc' }, false],
      [{ domain: 'oa.example' }, false],
    ];
    for (const [body, ok] of samples) {
      assert.equal(create(body), ok, JSON.stringify(body));
      const r = await t.su.post('/connections', body);
      assert.equal(r.status, ok ? 202 : 400, JSON.stringify(body));
    }
  });

  it('responses match the document\'s own response schemas', async () => {
    const [c] = (await t.su.get(`/domains/oa.example/connections/${seg('sip*@oa1.example')}`)).body;
    assert.ok(v('Connection')(c), JSON.stringify(v('Connection').errors));
    assert.ok(v('Domain')((await t.su.get('/domains/oa.example')).body));
    assert.ok(v('ApiKey')((await t.su.get('/apikeys/~')).body));
    assert.ok(v('Count')((await t.su.get('/connections/count')).body));
    assert.ok(v('Version')((await t.su.get('/version')).body));
    assert.ok(v('Accepted')((await t.su.put(`/domains/oa.example/connections/${seg('sip*@oa1.example')}`, { description: 'x' })).body));
    assert.ok(v('Error')((await t.su.get('/connections', { key: null })).body));
  });
});
