/**
 * NetSapiens dial plans, dial rules, dial policies and permissions over a real SQLite store (fastify inject).
 * Every response goes through NsClient, which checks it against the vendor's OpenAPI schema for that path,
 * method and status (skipped, saying so, when ../shared/specs is absent).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialRuleId, permissionId } from '../../src/model/dialplan/index.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { contractStats, seg, type NsClient } from '../support/ns-client.js';
import { VENDOR_SPEC_SKIP } from '../support/ns-contract.js';

if (VENDOR_SPEC_SKIP !== false) console.log(`# ${VENDOR_SPEC_SKIP}`);

const D = 'plans.example';
const OTHER = 'other-plans.example';
const ACCEPTED = { code: 202, message: 'Accepted' };

const MATCH_DEFAULTS = {
  matchFromUri: '*',
  matchDayOfWeek: '*',
  matchStartDate: '*',
  matchEndDate: '*',
  matchStartTime: '*',
  matchEndTime: '*',
};
const ruleIdOf = (to: string, over: Partial<typeof MATCH_DEFAULTS> = {}) => dialRuleId({ matchToUri: to, ...MATCH_DEFAULTS, ...over });

describe('NetSapiens dial plans and dial policies', () => {
  let t: NsApp;
  let om: NsClient;
  let reseller: NsClient;
  let readonly: NsClient;

  before(async () => {
    t = await createNsApp();
    await t.domain(D, 'reseller-a');
    await t.domain(OTHER, 'reseller-b');
    om = t.client(await t.makeKey({ scope: 'Office Manager', domain: D }));
    reseller = t.client(await t.makeKey({ scope: 'Reseller', reseller: 'reseller-a' }));
    readonly = t.client(await t.makeKey({ scope: 'Super User', readonly: true }));
  });
  after(() => t.close());

  const plans = `/domains/${D}/dialplans`;
  const rules = (plan: string, domain = D) => `/domains/${seg(domain)}/dialplans/${seg(plan)}/dialrules`;

  it('creates a plan (202), refuses a duplicate (409) and an unknown domain (404), lists and counts', async () => {
    const r = await t.su.post(plans, { 'dial-rule-dial-plan': 'default', 'dial-rule-description': 'Default plan', synchronous: 'yes' });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, ACCEPTED);
    const dup = await t.su.post(plans, { 'dial-rule-dial-plan': 'default', 'dial-rule-description': 'again' });
    assert.equal(dup.status, 409);
    assert.match(dup.body.message, /default already exists in domain plans\.example/);
    const missing = await t.su.post('/domains/nowhere.example/dialplans', { 'dial-rule-dial-plan': 'x', 'dial-rule-description': '' });
    assert.equal(missing.status, 404);
    const global = await t.su.post('/dialplans', { domain: '*', 'dial-rule-dial-plan': 'carriers', 'dial-rule-description': 'system plan' });
    assert.equal(global.status, 202);
    assert.equal((await t.su.post('/dialplans', { domain: OTHER, 'dial-rule-dial-plan': 'b', 'dial-rule-description': 'B' })).status, 202);

    const all = await t.su.get('/dialplans');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.map((p: Record<string, unknown>) => [p.domain, p['dial-rule-dial-plan'], p['dial-rule-description']]),
      [
        ['*', 'carriers', 'system plan'],
        [OTHER, 'b', 'B'],
        [D, 'default', 'Default plan'],
      ],
    );
    assert.equal(typeof all.body[0].dialplan_id, 'number');
    const one = await t.su.get(`${plans}/default`);
    assert.equal(one.status, 200);
    assert.equal(one.body['dial-rule-dial-plan'], 'default');
    assert.deepEqual((await t.su.get(`/dialplans?domain=${D}&limit=1`)).body.length, 1);
    assert.equal((await t.su.get(`${plans}/nope`)).status, 404);
  });

  it('names the wire field in validation errors; unknown fields are refused', async () => {
    const noName = await t.su.post(plans, { 'dial-rule-description': 'x' });
    assert.equal(noName.status, 400);
    assert.match(noName.body.message, /^dial-rule-dial-plan is required/);
    const slash = await t.su.post(plans, { 'dial-rule-dial-plan': 'a/b', 'dial-rule-description': 'x' });
    assert.equal(slash.status, 400);
    assert.match(slash.body.message, /^dial-rule-dial-plan /);
    const unknown = await t.su.post(plans, { 'dial-rule-dial-plan': 'z', 'dial-rule-description': 'x', colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.message, 'colour is not a known field');
    const noDomain = await t.su.post('/dialplans', { 'dial-rule-dial-plan': 'z', 'dial-rule-description': 'x' });
    assert.equal(noDomain.status, 400);
    assert.match(noDomain.body.message, /^domain is required/);
  });

  it('dial rules: create with defaults, read as the vendor shapes them, count, update, delete', async () => {
    await t.su.post(plans, { 'dial-rule-dial-plan': 'routes', 'dial-rule-description': 'routes' });
    const created = await t.su.post(rules('routes'), {
      synchronous: 'yes',
      'dial-rule-matching-to-uri': 'sip:1555*@*',
      'dial-rule-application': 'to-connection',
      'dial-rule-parameter': 'sip:carrier-b@*',
      'dial-rule-translation-destination-user': '[*]',
      'dial-rule-description': 'US test numbers',
    });
    assert.equal(created.status, 202, created.raw);
    assert.deepEqual(created.body, ACCEPTED);
    // The vendor's own example: older application spelling (responder), business hours.
    const hours = await t.su.post(rules('routes'), {
      'dial-rule-matching-to-uri': 'sip:611@*',
      'dial-rule-matching-day-of-week': '[1-5]',
      'dial-rule-matching-start-time': '08:00',
      'dial-rule-matching-end-time': '17:00',
      'dial-rule-matching-start-date': '2026-01-01',
      enabled: 'no',
      'dial-rule-application': 'sip:start@to-connection',
      'dial-rule-translation-destination-user': '611',
      'dial-rule-translation-source-name': '611 - [*]',
    });
    assert.equal(hours.status, 202, hours.raw);
    const dup = await t.su.post(rules('routes'), { 'dial-rule-matching-to-uri': 'sip:1555*@*', 'dial-rule-translation-destination-user': 'x' });
    assert.equal(dup.status, 409);

    const list = await t.su.get(rules('routes'));
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 2);
    const [first, second] = list.body;
    assert.equal(first.domain, D);
    assert.equal(first['dial-rule-dial-plan'], 'routes');
    assert.equal(first.dialrule, ruleIdOf('sip:1555*@*'));
    assert.equal(first.enabled, 'yes');
    assert.equal(first['dial-rule-matching-from-uri'], '*');
    assert.equal(first['dial-rule-application'], 'to-connection');
    assert.equal(first['dial-rule-parameter'], 'sip:carrier-b@*');
    assert.equal(first['dial-rule-translation-destination-host'], '[*]');
    assert.equal(first['dial-rule-translation-destination-scheme'], '[*]');
    assert.equal(first['dial-rule-matching-start-date'], undefined, 'a `*` date is left out (the vendor types dates as format: date)');
    assert.equal(second.enabled, 'no');
    assert.equal(second['dial-rule-application'], 'to-connection');
    assert.equal(second['dial-rule-matching-start-date'], '2026-01-01');
    assert.equal(second['dial-rule-matching-day-of-week'], '[1-5]');

    const count = await t.su.get(`${rules('routes')}/count`);
    assert.deepEqual(count.body, { total: 2 });
    assert.equal((await t.su.get(`${rules('nope')}/count`)).status, 404);

    const id = ruleIdOf('sip:1555*@*');
    const one = await t.su.get(`${rules('routes')}/${seg(id)}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.dialrule, id);
    // The vendor's short id form (base64 of the to-uri alone) and the raw to-uri address the same rule.
    assert.equal((await t.su.get(`${rules('routes')}/${Buffer.from('sip:1555*@*').toString('base64')}`)).body.dialrule, id);
    assert.equal((await t.su.get(`${rules('routes')}/${seg('sip:1555*@*')}`)).body.dialrule, id);
    assert.equal((await t.su.get(`${rules('routes')}/${seg(ruleIdOf('sip:999@*'))}`)).status, 404);

    // PUT: partial; the vendor's older names (`enable`, `from_name`, `plan_description`) work; matching fields are fixed.
    const put = await t.su.put(`${rules('routes')}/${seg(id)}`, { dialrule: id, enable: 'no', from_name: 'Test [*]', plan_description: 'updated' });
    assert.equal(put.status, 202, put.raw);
    const after = (await t.su.get(`${rules('routes')}/${seg(id)}`)).body;
    assert.equal(after.enabled, 'no');
    assert.equal(after['dial-rule-translation-source-name'], 'Test [*]');
    assert.equal(after['dial-rule-description'], 'updated');
    assert.equal(after['dial-rule-parameter'], 'sip:carrier-b@*', 'fields left out keep their value');
    const move = await t.su.put(`${rules('routes')}/${seg(id)}`, { 'dial-rule-matching-to-uri': 'sip:1556*@*' });
    assert.equal(move.status, 400);
    assert.match(move.body.message, /^dial-rule-matching-to-uri cannot be changed/);
    const same = await t.su.put(`${rules('routes')}/${seg(id)}`, { 'dial-rule-matching-to-uri': 'sip:1555*@*', enabled: 'yes' });
    assert.equal(same.status, 202, 'sending the matching fields back unchanged is fine');

    const del = await t.su.delete(`${rules('routes')}/${seg(id)}`);
    assert.equal(del.status, 202);
    assert.equal((await t.su.delete(`${rules('routes')}/${seg(id)}`)).status, 404);
    assert.deepEqual((await t.su.get(`${rules('routes')}/count`)).body, { total: 1 });
  });

  it('dial rule validation errors name the wire field', async () => {
    await t.su.post(plans, { 'dial-rule-dial-plan': 'checks', 'dial-rule-description': '' });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ 'dial-rule-translation-destination-user': '1' }, /^dial-rule-matching-to-uri is required/],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*' }, /^dial-rule-translation-destination-user is required/],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1', 'dial-rule-matching-day-of-week': '9' }, /^dial-rule-matching-day-of-week /],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1', 'dial-rule-matching-start-time': '25:00' }, /^dial-rule-matching-start-time /],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1', 'dial-rule-application': 'teleport' }, /^dial-rule-application must be one of/],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1', enabled: 'maybe' }, /^enabled must be one of "yes", "no"/],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '[x]' }, /^dial-rule-translation-destination-user /],
      [{ 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1', nonsense: 1 }, /^nonsense is not a known field/],
    ];
    for (const [body, message] of cases) {
      const r = await t.su.post(rules('checks'), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.message, message);
    }
    const noPlan = await t.su.post(rules('missing'), { 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1' });
    assert.equal(noPlan.status, 404);
    assert.match(noPlan.body.message, /Dial plan missing not found/);
    assert.deepEqual((await t.su.get(`${rules('checks')}/count`)).body, { total: 0 }, 'refused requests write nothing');
  });

  it('plans: PUT updates the description; DELETE takes the rules along', async () => {
    await t.su.post(plans, { 'dial-rule-dial-plan': 'temp', 'dial-rule-description': 'old' });
    await t.su.post(rules('temp'), { 'dial-rule-matching-to-uri': 'sip:1@*', 'dial-rule-translation-destination-user': '1' });
    assert.equal((await t.su.put(`${plans}/temp`, { 'dial-rule-description': 'new' })).status, 202);
    assert.equal((await t.su.get(`${plans}/temp`)).body['dial-rule-description'], 'new');
    const rename = await t.su.put(`${plans}/temp`, { 'dial-rule-dial-plan': 'other' });
    assert.equal(rename.status, 400);
    assert.match(rename.body.message, /^dial-rule-dial-plan cannot be changed/);
    assert.equal((await t.su.put(`${plans}/nope`, { 'dial-rule-description': 'x' })).status, 404);
    assert.equal((await t.su.delete(`${plans}/temp`)).status, 202);
    assert.equal((await t.su.get(rules('temp'))).status, 404);
    assert.equal((await t.su.delete(`${plans}/temp`)).status, 404);
  });

  it('tenancy: `~`, `*` for Super User and Reseller only, other domains 403, read-only keys 403 on writes', async () => {
    const own = await om.post('/domains/~/dialplans', { 'dial-rule-dial-plan': 'om-plan', 'dial-rule-description': 'mine' });
    assert.equal(own.status, 202);
    assert.equal((await om.get(`${plans}/om-plan`)).status, 200);
    const omList = await om.get('/dialplans');
    assert.ok(omList.body.every((p: Record<string, unknown>) => p.domain === D), 'an Office Manager sees its own domain only');
    assert.equal((await om.post('/dialplans', { domain: '*', 'dial-rule-dial-plan': 'x', 'dial-rule-description': '' })).status, 403);
    assert.equal((await om.get(rules('carriers', '*'))).status, 403);
    assert.equal((await om.post(`/domains/${OTHER}/dialplans`, { 'dial-rule-dial-plan': 'x', 'dial-rule-description': '' })).status, 403);
    assert.equal((await om.get(`/domains/${OTHER}/dialplans`)).status, 403);

    const rList = await reseller.get('/dialplans');
    const domains = new Set(rList.body.map((p: Record<string, unknown>) => p.domain));
    assert.deepEqual([...domains].sort(), ['*', D].sort(), 'a Reseller sees its domains and the system-wide plans');
    assert.equal((await reseller.post(rules('carriers', '*'), { 'dial-rule-matching-to-uri': 'sip:*@*', 'dial-rule-translation-destination-user': '[*]' })).status, 202);
    assert.equal((await reseller.get(`/domains/${OTHER}/dialplans`)).status, 403);

    const ro = await readonly.post(plans, { 'dial-rule-dial-plan': 'ro', 'dial-rule-description': '' });
    assert.equal(ro.status, 403);
    assert.equal(ro.body.message, 'This API key is read-only');
    assert.equal((await readonly.delete(`${plans}/om-plan`)).status, 403);
    assert.equal((await readonly.get(`${plans}/om-plan`)).status, 200);
    assert.equal((await t.su.get(plans, { key: null })).status, 401);
  });

  it('dial policies: system-wide under /dialpolicy, per domain under /domains/{domain}/dialpolicy', async () => {
    const sys = await t.su.post('/dialpolicy', { synchronous: 'yes', dialpolicy: 'global', domain: '*', description: 'All carriers' });
    assert.equal(sys.status, 202);
    assert.deepEqual(sys.body, ACCEPTED);
    assert.equal((await t.su.post('/dialpolicy', { dialpolicy: 'global', domain: '*', description: 'again' })).status, 409);
    assert.equal((await t.su.post('/dialpolicy', { dialpolicy: 'x', domain: 'nowhere.example', description: '' })).status, 404);
    assert.equal((await t.su.post('/dialpolicy', { dialpolicy: 'no-premium', domain: D, description: 'No 1900' })).status, 202);
    const noName = await t.su.post('/dialpolicy', { domain: D, description: 'no name' });
    assert.equal(noName.status, 400, 'a policy without a name is refused, not a crash');
    assert.match(noName.body.message, /dialpolicy/);
    const noNameInDomain = await t.su.post(`/domains/${D}/dialpolicy`, { description: 'no name' });
    assert.equal(noNameInDomain.status, 400);
    const noDesc = await t.su.post('/dialpolicy', { dialpolicy: 'x', domain: D });
    assert.equal(noDesc.status, 400);
    assert.match(noDesc.body.message, /^description is required/);

    const got = await t.su.get('/dialpolicy/global');
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { dialpolicy: 'global', domain: '*', description: 'All carriers' });
    const inDomain = await t.su.get(`/domains/${D}/dialpolicy/no-premium`);
    assert.deepEqual(inDomain.body, { dialpolicy: 'no-premium', domain: D, description: 'No 1900' });
    assert.equal((await t.su.get('/dialpolicy/no-premium')).status, 404, 'paths without a domain address `*`');
    const list = await t.su.get('/dialpolicy');
    assert.deepEqual(list.body.map((p: Record<string, unknown>) => p.dialpolicy), ['global', 'no-premium']);
    assert.deepEqual((await om.get('/dialpolicy')).body.map((p: Record<string, unknown>) => p.dialpolicy), ['no-premium']);
    assert.equal((await om.get('/dialpolicy/global')).status, 403);

    assert.equal((await t.su.put('/dialpolicy/global', { dialpolicy: 'global', domain: '*', description: 'changed' })).status, 202);
    assert.equal((await t.su.get('/dialpolicy/global')).body.description, 'changed');
    assert.equal((await t.su.put('/dialpolicy/global', { dialpolicy: 'renamed' })).status, 400);
    assert.equal((await readonly.put('/dialpolicy/global', { description: 'x' })).status, 403);
    assert.equal((await t.su.delete('/dialpolicy/global')).status, 202);
    assert.equal((await t.su.get('/dialpolicy/global')).status, 404);
    assert.equal((await t.su.delete(`/domains/${D}/dialpolicy/nope`)).status, 404);
  });

  it('permissions: create, list, read by permission-id or match, update, delete; errors name the field', async () => {
    const base = `/domains/${D}/dialpolicy/no-premium/permission`;
    const allow = await t.su.post(base, { synchronous: 'yes', 'permission-match': '*', 'permission-mode': 'permit', 'permission-reason': 'default allow' });
    assert.equal(allow.status, 202);
    assert.equal((await om.post('/domains/~/dialpolicy/no-premium/permission', { 'permission-match': 'sip:1900*@*', 'permission-mode': 'deny', 'permission-reason': 'premium' })).status, 202);
    assert.equal((await t.su.post(base, { 'permission-match': '*', 'permission-mode': 'deny', 'permission-reason': 'x' })).status, 409);
    const badMode = await t.su.post(base, { 'permission-match': '1800*', 'permission-mode': 'maybe', 'permission-reason': 'x' });
    assert.equal(badMode.status, 400);
    assert.match(badMode.body.message, /^permission-mode must be one of "permit", "deny"/);
    const noReason = await t.su.post(base, { 'permission-match': '1800*', 'permission-mode': 'deny' });
    assert.equal(noReason.status, 400);
    assert.match(noReason.body.message, /^permission-reason is required/);
    const badMatch = await t.su.post(base, { 'permission-match': '', 'permission-mode': 'deny', 'permission-reason': 'x' });
    assert.equal(badMatch.status, 400);
    assert.match(badMatch.body.message, /^permission-match /);
    assert.equal((await t.su.post(`/domains/${D}/dialpolicy/nope/permission`, { 'permission-match': '1', 'permission-mode': 'deny', 'permission-reason': 'x' })).status, 404);

    const list = await t.su.get(base);
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((p: Record<string, unknown>) => [p['permission-match'], p['permission-mode'], p['permission-id'], p.dialpolicy, p.domain]),
      [
        ['*', 'permit', permissionId('*'), 'no-premium', D],
        ['sip:1900*@*', 'deny', permissionId('sip:1900*@*'), 'no-premium', D],
      ],
    );
    assert.match(list.body[0]['created-datetime'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const byId = await t.su.get(`${base}/${seg(permissionId('sip:1900*@*'))}`);
    assert.equal(byId.body['permission-reason'], 'premium');
    assert.equal((await t.su.get(`${base}/${seg('sip:1900*@*')}`)).body['permission-id'], permissionId('sip:1900*@*'));
    assert.equal((await t.su.get(`${base}/${seg(permissionId('nothing'))}`)).status, 404);

    assert.equal((await t.su.put(`${base}/${seg(permissionId('*'))}`, { 'permission-mode': 'deny', 'permission-reason': 'closed' })).status, 202);
    const changed = (await t.su.get(`${base}/${seg(permissionId('*'))}`)).body;
    assert.deepEqual([changed['permission-mode'], changed['permission-reason']], ['deny', 'closed']);
    const badPut = await t.su.put(`${base}/${seg(permissionId('*'))}`, { 'permission-mode': 'allow' });
    assert.equal(badPut.status, 400);
    assert.match(badPut.body.message, /^permission-mode /);
    const movePut = await t.su.put(`${base}/${seg(permissionId('*'))}`, { 'permission-match': '1*' });
    assert.equal(movePut.status, 400);
    assert.equal((await readonly.delete(`${base}/${seg(permissionId('*'))}`)).status, 403);
    assert.equal((await t.su.delete(`${base}/${seg(permissionId('*'))}`)).status, 202);
    assert.equal((await t.su.delete(`${base}/${seg(permissionId('*'))}`)).status, 404);

    // System-wide policy permissions, paths without a domain.
    await t.su.post('/dialpolicy', { dialpolicy: 'carriers', domain: '*', description: 'x' });
    assert.equal((await t.su.post('/dialpolicy/carriers/permission', { 'permission-match': '1900*', 'permission-mode': 'deny', 'permission-reason': 'x' })).status, 202);
    assert.equal((await t.su.get('/dialpolicy/carriers/permission')).body.length, 1);
    assert.equal((await t.su.get(`/dialpolicy/carriers/permission/${seg(permissionId('1900*'))}`)).body.domain, '*');
    assert.equal((await t.su.put(`/dialpolicy/carriers/permission/${seg(permissionId('1900*'))}`, { 'permission-mode': 'permit', 'permission-reason': 'y' })).status, 202);
    assert.equal((await t.su.delete(`/dialpolicy/carriers/permission/${seg(permissionId('1900*'))}`)).status, 202);
  });

  it('validated the answers of every vendor dial plan and dial policy operation against the vendor schema', { skip: VENDOR_SPEC_SKIP }, () => {
    for (const template of [
      'GET /dialplans',
      'POST /dialplans',
      'POST /domains/{domain}/dialplans',
      'PUT /domains/{domain}/dialplans/{dialplan}',
      'DELETE /domains/{domain}/dialplans/{dialplan}',
      'GET /domains/{domain}/dialplans/{dialplan}/dialrules',
      'POST /domains/{domain}/dialplans/{dialplan}/dialrules',
      'GET /domains/{domain}/dialplans/{dialplan}/dialrules/count',
      'GET /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}',
      'PUT /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}',
      'DELETE /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}',
      'GET /dialpolicy',
      'POST /dialpolicy',
      'GET /dialpolicy/{policy}',
      'PUT /dialpolicy/{policy}',
      'DELETE /dialpolicy/{policy}',
      'GET /domains/{domain}/dialpolicy/{policy}',
      'DELETE /domains/{domain}/dialpolicy/{policy}',
      'GET /dialpolicy/{policy}/permission',
      'POST /dialpolicy/{policy}/permission',
      'GET /domains/{domain}/dialpolicy/{policy}/permission',
      'POST /domains/{domain}/dialpolicy/{policy}/permission',
      'GET /dialpolicy/{policy}/permission/{id}',
      'PUT /dialpolicy/{policy}/permission/{id}',
      'DELETE /dialpolicy/{policy}/permission/{id}',
      'GET /domains/{domain}/dialpolicy/{policy}/permission/{id}',
      'PUT /domains/{domain}/dialpolicy/{policy}/permission/{id}',
      'DELETE /domains/{domain}/dialpolicy/{policy}/permission/{id}',
    ]) {
      assert.ok(contractStats.templates.has(template), `${template} was validated (have: ${[...contractStats.templates].filter((x) => /dial/.test(x)).join(', ')})`);
    }
  });
});
