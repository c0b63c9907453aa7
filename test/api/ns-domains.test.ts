/** NetSapiens domain endpoints (domains are trunkline tenants). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg } from '../support/ns-client.js';

describe('NetSapiens domains', () => {
  let t: NsApp;
  before(async () => {
    t = await createNsApp();
  });
  after(() => t.close());

  it('POST answers 202, GET returns the object with the attributes written', async () => {
    const body = {
      synchronous: 'no',
      domain: 'tenant.example',
      reseller: 'r1',
      description: 'A tenant',
      'time-zone': 'US/Pacific',
      language: 'en_US',
      'single-sign-on-enabled': 'yes',
      'area-code': '858',
      'caller-id-name': 'Example Inc',
      'caller-id-number': 8585551234,
      'dial-policy': 'US and Canada',
      'music-on-hold-enabled': 'yes',
      'limits-max-active-calls-total': '20',
      'domain-type': 'Standard',
      'email-send-smtp-password': null,
      'active-calls-total-current': 5,
    };
    const r = await t.su.post('/domains', body);
    assert.equal(r.status, 202, r.raw);
    assert.deepEqual(r.body, { code: 202, message: 'Accepted' });
    const g = await t.su.get('/domains/tenant.example');
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, {
      domain: 'tenant.example',
      reseller: 'r1',
      description: 'A tenant',
      'time-zone': 'US/Pacific',
      'language-token': 'en_US',
      'single-sign-on-enabled': 'yes',
      'area-code': 858,
      'caller-id-name': 'Example Inc',
      'caller-id-number': 8585551234,
      'dial-policy': 'US and Canada',
      'music-on-hold-enabled': 'yes',
      'limits-max-active-calls-total': 20,
      'domain-type': 'Standard',
      'email-send-smtp-password': null,
    });
    const tenant = await t.store.getTenant('tenant.example');
    assert.equal(tenant?.reseller, 'r1');
  });

  it('409 for a duplicate, 400 for bad fields, reserved names and a missing reseller', async () => {
    assert.equal((await t.su.post('/domains', { domain: 'dup.example', reseller: 'r1' })).status, 202);
    const dup = await t.su.post('/domains', { domain: 'dup.example', reseller: 'r1' });
    assert.equal(dup.status, 409);
    assert.match(dup.body.message, /already exists/);
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ domain: 'x.example', reseller: 'r1', colour: 'red' }, 'colour is not a known field'],
      [{ domain: 'x.example', reseller: 'r1', 'area-code': 12 }, 'area-code must be between 100 and 999'],
      [{ domain: 'x.example', reseller: 'r1', 'domain-type': 'Castle' }, 'domain-type must be one of "Standard", "Residential", "Hospitality"'],
      [{ domain: 'x.example', reseller: 'r1', 'voicemail-enabled': 'sure' }, 'voicemail-enabled must be one of "yes", "no"'],
      [{ domain: 'x.example', reseller: 'r1', 'time-zone': 'Nowhere/Land' }, /^time-zone "Nowhere\/Land" is not a known time zone/],
      [{ domain: 'bad domain', reseller: 'r1' }, /^domain may contain/],
      [{ domain: '*', reseller: 'r1' }, 'domain "*" is reserved'],
      [{ domain: 'x.example' }, 'reseller is required'],
      [{ reseller: 'r1' }, 'domain is required'],
    ];
    for (const [body, message] of cases) {
      const r = await t.su.post('/domains', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      if (typeof message === 'string') assert.equal(r.body.message, message);
      else assert.match(r.body.message, message);
    }
    assert.equal(await t.store.getTenant('x.example'), undefined);
  });

  it('lists with start/limit and counts', async () => {
    for (const n of ['l1', 'l2', 'l3']) assert.equal((await t.su.post('/domains', { domain: `${n}.example`, reseller: 'r-list' })).status, 202);
    const all = (await t.su.get('/domains')).body.map((d: any) => d.domain);
    const total = (await t.su.get('/domains/count')).body.total;
    assert.equal(all.length, total);
    assert.equal(total, await t.store.countTenants({}));
    const page = (await t.su.get('/domains?start=1&limit=2')).body.map((d: any) => d.domain);
    assert.deepEqual(page, all.slice(1, 3));
  });

  it('PUT is a partial update (202) and keeps other attributes', async () => {
    const r = await t.su.put('/domains/tenant.example', { description: 'Renamed', 'music-on-hold-enabled': 'no' });
    assert.equal(r.status, 202);
    const g = (await t.su.get('/domains/tenant.example')).body;
    assert.equal(g.description, 'Renamed');
    assert.equal(g['music-on-hold-enabled'], 'no');
    assert.equal(g['time-zone'], 'US/Pacific');
    assert.equal(g['area-code'], 858);
    assert.equal(g.reseller, 'r1');
    assert.equal((await t.su.put('/domains/tenant.example', { reseller: 'r2' })).status, 202, 'Super User may move a domain');
    assert.equal((await t.su.get('/domains/tenant.example')).body.reseller, 'r2');
    assert.equal((await t.su.put('/domains/tenant.example', { domain: 'other.example' })).status, 400);
    assert.equal((await t.su.put('/domains/missing.example', { description: 'x' })).status, 404);
    assert.equal((await t.su.get('/domains/missing.example')).status, 404);
  });

  it('DELETE answers 202; refused with 409 while the domain has connections', async () => {
    assert.equal((await t.su.post('/domains', { domain: 'busy.example', reseller: 'r1' })).status, 202);
    assert.equal((await t.su.post('/connections', { domain: 'busy.example', 'connection-orig-match-pattern': 'sip*@busy-trunk.example' })).status, 202);
    const refused = await t.su.delete('/domains/busy.example');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.message, 'Domain busy.example still has connections; delete them first');
    assert.ok(await t.store.getTenant('busy.example'));
    assert.equal((await t.su.delete(`/domains/busy.example/connections/${seg('sip*@busy-trunk.example')}`)).status, 202);
    const ok = await t.su.delete('/domains/busy.example');
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.body, { code: 202, message: 'Accepted' });
    assert.equal(await t.store.getTenant('busy.example'), undefined);
    assert.equal((await t.su.delete('/domains/busy.example')).status, 404);
    // A connection cannot be created in the deleted domain.
    assert.equal((await t.su.post('/connections', { domain: 'busy.example', 'connection-orig-match-pattern': 'sip*@x.example' })).status, 404);
  });
});
