/**
 * NetSapiens connection endpoints over a real SQLite store (fastify inject). Every response is also checked
 * against the vendor's OpenAPI schema by NsClient.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTION_FIELDS, CONNECTION_SETTING_KEYS } from '../../src/model/index.js';
import { NS_CONNECTION_FIELDS, NS_READ_ONLY_FIELDS } from '../../src/api/netsapiens/fields.js';
import { connectionJson, serializeConnection } from '../../src/api/netsapiens/codec.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg } from '../support/ns-client.js';

const D = 'conn.example';
const ACCEPTED = { code: 202, message: 'Accepted' };

describe('NetSapiens connections', () => {
  let t: NsApp;
  before(async () => {
    t = await createNsApp();
    await t.domain(D, 'reseller-a');
    await t.domain('other.example', 'reseller-b');
  });
  after(() => t.close());

  const create = (body: Record<string, unknown>) => t.su.post('/connections', { domain: D, ...body });
  const getOne = (pattern: string, domain = D) => t.su.get(`/domains/${seg(domain)}/connections/${seg(pattern)}`);

  it('maps every canonical setting to exactly one wire name', () => {
    const keys = NS_CONNECTION_FIELDS.map((f) => f.key).sort();
    assert.deepEqual(keys, [...CONNECTION_SETTING_KEYS].sort());
    const wires = NS_CONNECTION_FIELDS.map((f) => f.wire);
    assert.equal(new Set(wires).size, wires.length);
  });

  it('POST answers 202 Accepted and GET returns an array with the connection', async () => {
    const r = await create({ 'connection-orig-match-pattern': 'sip*@carrier-a.example', description: 'first trunk' });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, ACCEPTED);
    const g = await getOne('sip*@carrier-a.example');
    assert.equal(g.status, 200);
    assert.ok(Array.isArray(g.body));
    assert.equal(g.body.length, 1);
    assert.equal(g.body[0].domain, D);
    assert.equal(g.body[0]['connection-orig-match-pattern'], 'sip*@carrier-a.example');
    assert.equal(g.body[0].description, 'first trunk');
  });

  it('fills every field with its default after a minimal create, term pattern defaulting to the orig pattern', async () => {
    assert.equal((await create({ 'connection-orig-match-pattern': 'sip:*@10.1.1.1' })).status, 202);
    const [c] = (await getOne('sip:*@10.1.1.1')).body;
    assert.equal(c['connection-term-match-pattern'], 'sip:*@10.1.1.1');
    for (const f of NS_CONNECTION_FIELDS) {
      if (f.key === 'termMatchPattern') continue;
      const spec = CONNECTION_FIELDS[f.key];
      const expected =
        spec.kind === 'bool' ? (spec.default ? 'yes' : 'no') : spec.kind === 'int' && spec.default === null ? undefined : spec.default;
      assert.deepEqual(c[f.wire], expected, f.wire);
    }
    // Vendor-documented defaults, spelled out.
    assert.equal(c['connection-sip-transport-protocol'], 'UDP');
    assert.equal(c['connection-orig-enabled'], 'yes');
    assert.equal(c['connection-term-enabled'], 'yes');
    assert.equal(c['connection-audio-relay-enabled'], 'yes');
    assert.equal(c['connection-check-orig-matching-sip-header'], 'from');
    assert.equal(c['connection-remote-ringback-handling'], 'allowed');
    assert.equal(c['connection-relay-comfort-noise-enabled'], 'system-default');
    assert.equal(c['connection-sip-session-timer-enabled'], 'system-default');
    assert.equal(c['connection-sip-get-new-dialog-destination-from'], 'default-ip');
    assert.equal(c['connection-require-encrypted-audio-enabled'], 'no');
    assert.equal(c['minimum-call-duration-seconds'], 0);
    assert.equal(c['call-routing'], null);
    // Live figures are real zeros until the edge reports; no registration yet.
    for (const wire of ['active-calls-max-last-month', 'active-calls-max-this-month', 'active-calls-orig-current', 'active-calls-orig-since-startup', 'active-calls-term-current', 'active-calls-term-since-startup']) {
      assert.equal(c[wire], 0, wire);
    }
    assert.equal(c['connection-sip-registration-datetime'], undefined);
    assert.match(c['last-modified-datetime'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('accepts integers as numbers or numeric strings ("0") and returns integers; yes/no map to flags', async () => {
    const r = await create({
      'connection-orig-match-pattern': 'sip*@ints.example',
      'limits-max-active-calls-total': '0',
      'limits-max-active-calls-orig': 25,
      'minimum-call-duration-seconds': ' 30 ',
      'connection-source-ip-checking-enabled': 'yes',
      'connection-orig-enabled': 'no',
    });
    assert.equal(r.status, 202, r.raw);
    const [c] = (await getOne('sip*@ints.example')).body;
    assert.equal(c['limits-max-active-calls-total'], 0);
    assert.equal(c['limits-max-active-calls-orig'], 25);
    assert.equal(c['minimum-call-duration-seconds'], 30);
    assert.equal(c['connection-source-ip-checking-enabled'], 'yes');
    assert.equal(c['connection-orig-enabled'], 'no');
    const stored = await t.store.getConnection(D, 'sip*@ints.example');
    assert.equal(stored?.maxCallsTotal, 0);
    assert.equal(stored?.sourceIpCheck, true);
    assert.equal(stored?.origEnabled, false);
  });

  it('rejects bad values with 400 naming the wire field', async () => {
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ 'connection-sip-transport-protocol': 'SCTP' }, 'connection-sip-transport-protocol must be one of "UDP", "TCP", "TLS"'],
      [{ 'connection-source-ip-checking-enabled': 'true' }, 'connection-source-ip-checking-enabled must be one of "yes", "no"'],
      [{ 'connection-orig-enabled': true }, 'connection-orig-enabled must be one of "yes", "no"'],
      [{ 'limits-max-active-calls-total': 'ten' }, 'limits-max-active-calls-total must be an integer'],
      [{ 'limits-max-active-calls-total': 1.5 }, 'limits-max-active-calls-total must be an integer'],
      [{ 'limits-max-active-calls-total': -1 }, /^limits-max-active-calls-total must be between 0 and/],
      [{ 'limits-max-active-calls-total': '-1' }, /^limits-max-active-calls-total must be between 0 and/],
      [{ 'minimum-call-duration-seconds': '' }, 'minimum-call-duration-seconds must be an integer'],
      [{ 'connection-audio-relay-enabled': 'maybe' }, 'connection-audio-relay-enabled must be one of "yes", "optional", "no"'],
      [{ 'connection-term-match-pattern': 'http:x@host' }, /^connection-term-match-pattern scheme "http"/],
      [{ 'connection-translation-request-user': '[x]' }, /^connection-translation-request-user only the token \[\*\]/],
      [{ 'time-zone': 'Mars/Olympus' }, /^time-zone "Mars\/Olympus" is not a known IANA time zone/],
      [{ 'utc-offset': 'abc' }, /^utc-offset must be an hour offset/],
      [{ description: 'x'.repeat(1025) }, 'description must be at most 1024 characters'],
      [{ 'connection-address': { host: 'x' } }, 'connection-address must be a string'],
    ];
    for (const [body, message] of cases) {
      const r = await create({ 'connection-orig-match-pattern': 'sip*@bad-values.example', ...body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, 400);
      if (typeof message === 'string') assert.equal(r.body.message, message);
      else assert.match(r.body.message, message);
    }
    assert.equal((await getOne('sip*@bad-values.example')).status, 404, 'nothing half-written');
  });

  it('rejects an invalid orig match pattern naming connection-orig-match-pattern', async () => {
    for (const pattern of ['http:*@host', 'sip:*@', 'sip:a b@host', '']) {
      const r = await create({ 'connection-orig-match-pattern': pattern });
      assert.equal(r.status, 400, pattern);
      assert.match(r.body.message, /^connection-orig-match-pattern /, pattern);
    }
  });

  it('requires domain and connection-orig-match-pattern', async () => {
    let r = await t.su.post('/connections', { domain: D });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'connection-orig-match-pattern is required');
    r = await t.su.post('/connections', { 'connection-orig-match-pattern': 'sip*@x.example' });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'domain is required');
    r = await t.su.post('/connections', ['not', 'an', 'object']);
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'Request body must be a JSON object');
  });

  it('refuses unknown fields with 400 naming the field, but ignores read-only fields', async () => {
    let r = await create({ 'connection-orig-match-pattern': 'sip*@unknown.example', 'connection-colour': 'blue' });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'connection-colour is not a known field');
    const readOnly = Object.fromEntries(NS_READ_ONLY_FIELDS.map((f) => [f, f.includes('datetime') ? '2025-05-19 02:41:11' : 99]));
    r = await create({ 'connection-orig-match-pattern': 'sip*@readonly.example', ...readOnly });
    assert.equal(r.status, 202, r.raw);
    const [c] = (await getOne('sip*@readonly.example')).body;
    assert.equal(c['active-calls-orig-current'], 0);
    assert.equal(c['connection-sip-registration-expires-datetime'], undefined);
    assert.notEqual(c['last-modified-datetime'], '2025-05-19 02:41:11');
  });

  it('accepts the vendor\'s misspelled names as input aliases and answers with the spec names', async () => {
    const r = await create({
      'connection-orig-match-pattern': 'sip*@aliases.example',
      'connection-hide-post-dial-delay-with-pingback-enabled': 'yes',
      'connection-block-media-in-sip-180-ringling': 'yes',
      'minimum-call-duration-second': '5',
    });
    assert.equal(r.status, 202, r.raw);
    const [c] = (await getOne('sip*@aliases.example')).body;
    assert.equal(c['connection-hide-post-dial-delay-with-ringback-enabled'], 'yes');
    assert.equal(c['connection-block-media-in-sip-180-ringing'], 'yes');
    assert.equal(c['minimum-call-duration-seconds'], 5);
    assert.equal('connection-block-media-in-sip-180-ringling' in c, false);
    assert.equal('connection-hide-post-dial-delay-with-pingback-enabled' in c, false);
  });

  it('answers 409 for a duplicate and 404 for an unknown domain', async () => {
    const body = { 'connection-orig-match-pattern': 'sip*@dup.example' };
    assert.equal((await create(body)).status, 202);
    const dup = await create(body);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 409);
    assert.match(dup.body.message, /already exists/);
    const nd = await t.su.post('/connections', { domain: 'no-such.example', ...body });
    assert.equal(nd.status, 404);
    assert.match(nd.body.message, /no-such\.example/);
  });

  it('finds a connection by its percent-encoded pattern and by its base64 forms', async () => {
    const pattern = 'sip:+1555*@gw.example:5070';
    assert.equal((await create({ 'connection-orig-match-pattern': pattern })).status, 202);
    const b64 = Buffer.from(pattern).toString('base64');
    const b64url = Buffer.from(pattern).toString('base64url');
    for (const form of [seg(pattern), seg(b64), b64url, b64url.replace(/=+$/, '')]) {
      const r = await t.su.get(`/domains/${D}/connections/${form}`);
      assert.equal(r.status, 200, form);
      assert.equal(r.body[0]['connection-orig-match-pattern'], pattern);
    }
    // base64 works for PUT and DELETE too
    assert.equal((await t.su.put(`/domains/${D}/connections/${b64url}`, { description: 'via base64' })).status, 202);
    assert.equal((await getOne(pattern)).body[0].description, 'via base64');
    assert.equal((await t.su.delete(`/domains/${D}/connections/${seg(b64)}`)).status, 202);
    assert.equal((await getOne(pattern)).status, 404);
  });

  it('PUT is a partial merge: fields left out keep their values', async () => {
    const pattern = 'sip*@merge.example';
    assert.equal(
      (
        await create({
          'connection-orig-match-pattern': pattern,
          description: 'before',
          'connection-address': '198.51.100.7',
          'limits-max-active-calls-total': 10,
          'connection-sip-transport-protocol': 'TCP',
        })
      ).status,
      202,
    );
    const before = (await getOne(pattern)).body[0];
    const r = await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { description: 'after', 'connection-pcmu-only-enabled': 'yes' });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, ACCEPTED);
    const now = (await getOne(pattern)).body[0];
    assert.equal(now.description, 'after');
    assert.equal(now['connection-pcmu-only-enabled'], 'yes');
    for (const [k, v] of Object.entries(before)) {
      if (k === 'description' || k === 'connection-pcmu-only-enabled' || k === 'last-modified-datetime') continue;
      assert.deepEqual(now[k], v, k);
    }
    // Clearing a limit: "" or null means no limit.
    assert.equal((await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { 'limits-max-active-calls-total': '' })).status, 202);
    assert.equal((await getOne(pattern)).body[0]['limits-max-active-calls-total'], undefined);
    // A bad value changes nothing.
    const bad = await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { description: 'x', 'connection-sip-transport-protocol': 'FTP' });
    assert.equal(bad.status, 400);
    assert.equal((await getOne(pattern)).body[0].description, 'after');
    // Identity cannot change.
    const rename = await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { 'connection-orig-match-pattern': 'sip*@renamed.example' });
    assert.equal(rename.status, 400);
    assert.match(rename.body.message, /^connection-orig-match-pattern cannot be changed/);
    const same = await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { 'connection-orig-match-pattern': pattern, domain: D });
    assert.equal(same.status, 202);
    // Unknown fields are refused on PUT too.
    const unknown = await t.su.put(`/domains/${D}/connections/${seg(pattern)}`, { colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.message, 'colour is not a known field');
  });

  it('PUT and DELETE of a missing connection answer 404', async () => {
    assert.equal((await t.su.put(`/domains/${D}/connections/${seg('sip*@missing.example')}`, { description: 'x' })).status, 404);
    assert.equal((await t.su.delete(`/domains/${D}/connections/${seg('sip*@missing.example')}`)).status, 404);
    assert.equal((await getOne('sip*@missing.example')).status, 404);
  });

  it('DELETE answers 202 and the connection is gone', async () => {
    const pattern = 'sip*@delete-me.example';
    assert.equal((await create({ 'connection-orig-match-pattern': pattern })).status, 202);
    const r = await t.su.delete(`/domains/${D}/connections/${seg(pattern)}`);
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, ACCEPTED);
    assert.equal((await getOne(pattern)).status, 404);
    assert.equal(await t.store.getConnection(D, pattern), undefined);
  });

  it('lists with domain, reseller, termination-match, start and limit filters; counts', async () => {
    const L = 'list.example';
    await t.domain(L, 'reseller-list');
    for (let i = 0; i < 5; i++) {
      const r = await t.su.post('/connections', {
        domain: L,
        'connection-orig-match-pattern': `sip*@list-${i}.example`,
        ...(i < 2 ? { 'connection-term-match-pattern': 'sip*@shared-term.example' } : {}),
      });
      assert.equal(r.status, 202);
    }
    let r = await t.su.get(`/connections?domain=${L}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.map((c: any) => c['connection-orig-match-pattern']).sort(), [0, 1, 2, 3, 4].map((i) => `sip*@list-${i}.example`));
    r = await t.su.get(`/connections?reseller=reseller-list`);
    assert.equal(r.body.length, 5);
    assert.ok(r.body.every((c: any) => c.domain === L));
    r = await t.su.get(`/connections?termination-match=${seg('sip*@shared-term.example')}`);
    assert.deepEqual(r.body.map((c: any) => c['connection-orig-match-pattern']).sort(), ['sip*@list-0.example', 'sip*@list-1.example']);
    const all = (await t.su.get(`/domains/${L}/connections`)).body.map((c: any) => c['connection-orig-match-pattern']);
    assert.equal(all.length, 5);
    const page = (await t.su.get(`/domains/${L}/connections?start=1&limit=2`)).body.map((c: any) => c['connection-orig-match-pattern']);
    assert.deepEqual(page, all.slice(1, 3));
    const page2 = (await t.su.get(`/connections?domain=${L}&start=4&limit=10`)).body;
    assert.equal(page2.length, 1);
    assert.deepEqual((await t.su.get(`/connections/count?domain=${L}`)).body, { total: 5 });
    assert.deepEqual((await t.su.get(`/connections/count?termination-match=${seg('sip*@shared-term.example')}`)).body, { total: 2 });
    const total = (await t.su.get('/connections/count')).body.total;
    assert.equal(total, (await t.su.get('/connections')).body.length);
    assert.equal(total, await t.store.countConnections({}));
    for (const bad of ['start=-1', 'limit=0', 'limit=abc', 'limit=10001']) {
      const b = await t.su.get(`/connections?${bad}`);
      assert.equal(b.status, 400, bad);
      assert.match(b.body.message, /^(start|limit) must be/);
    }
  });

  it('"~" is the key\'s own domain', async () => {
    const omKey = await t.makeKey({ scope: 'Office Manager', domain: D, reseller: 'reseller-a' });
    const om = t.client(omKey);
    const r = await om.post('/connections', { domain: '~', 'connection-orig-match-pattern': 'sip*@tilde.example' });
    assert.equal(r.status, 202, r.raw);
    assert.ok(await t.store.getConnection(D, 'sip*@tilde.example'));
    const g = await om.get(`/domains/~/connections/${seg('sip*@tilde.example')}`);
    assert.equal(g.status, 200);
    assert.equal(g.body[0].domain, D);
    assert.ok((await om.get('/domains/~/connections')).body.some((c: any) => c['connection-orig-match-pattern'] === 'sip*@tilde.example'));
    assert.equal((await om.put(`/domains/~/connections/${seg('sip*@tilde.example')}`, { description: 't' })).status, 202);
    assert.equal((await om.delete(`/domains/~/connections/${seg('sip*@tilde.example')}`)).status, 202);
    // A Super User key has no domain: "~" cannot resolve.
    const su = await t.su.get('/domains/~/connections');
    assert.equal(su.status, 400);
    assert.match(su.body.message, /own domain/);
  });

  it('system-wide (*) connections for Super User', async () => {
    const r = await t.su.post('/connections', { domain: '*', 'connection-orig-match-pattern': 'sip*@carrier-wide.example' });
    assert.equal(r.status, 202, r.raw);
    const g = await t.su.get(`/domains/*/connections/${seg('sip*@carrier-wide.example')}`);
    assert.equal(g.status, 200);
    assert.equal(g.body[0].domain, '*');
    assert.equal((await t.su.delete(`/domains/*/connections/${seg('sip*@carrier-wide.example')}`)).status, 202);
  });

  it('accepts the vendor\'s own example body (with its invalid "yes" destination corrected)', async () => {
    await t.domain('portal', 'reseller-a');
    const example = {
      'connection-orig-match-pattern': 'sip*@apidog', 'connection-term-match-pattern': 'sip*@apidog', domain: 'portal',
      'connection-pcmu-only-enabled': 'yes', 'dial-policy': 'Permit All', 'connection-sip-get-new-dialog-destination-from': 'contact-header',
      'connection-prevent-rtp-port-change-enabled': 'yes', 'connection-remote-ringback-handling': 'no-ringback', 'limits-max-active-calls-orig': '0',
      'connection-allow-mid-call-uri-updates-enabled': 'yes', 'connection-record-all-calls-enabled': 'yes', 'connection-sip-transport-protocol': 'TCP',
      'connection-custom-p-asserted-id-format': 'hello', 'connection-sip-session-timer-enabled': 'yes', 'connection-check-orig-matching-sip-header': 'contact',
      'connection-audio-relay-enabled': 'no', description: 'sample description from apidog', 'dial-plan': 'portal', 'connection-sip-registration-realm': 'portal',
      'connection-term-enabled': 'yes', 'connection-linked-billing-user': 'domain', 'connection-enforce-minimum-duration-enabled': 'yes',
      'connection-hide-post-dial-delay-with-ringback-enabled': 'yes', 'connection-sip-registration-username': 'authusername',
      'connection-translation-source-user': '[*]', 'connection-require-encrypted-audio-enabled': 'optional', 'connection-include-server-header-enabled': 'yes',
      'connection-bind-to-alternate-interface-enabled': 'yes', 'limits-max-active-calls-total': '0', 'connection-sip-get-response-destination-from': 'contact-header',
      'connection-translation-request-user': '[*]', 'connection-relay-comfort-noise-enabled': 'yes', 'connection-address': '123.1.2.3',
      'connection-block-media-in-sip-180-ringing': 'yes', 'connection-block-video-in-sdp-enabled': 'yes', 'connection-translation-destination-host': 'apidogname1',
      'limits-max-active-calls-term': '0', 'connection-sip-registration-password': 'authkey', 'connection-translation-request-host': 'apidogname1',
      'connection-source-ip-checking-enabled': 'yes', 'connection-orig-enabled': 'yes', 'connection-translation-destination-user': '[*]',
      'connection-require-sip-authentication-enabled': 'yes', 'connection-translation-source-host': 'apidogname1', 'utc-offset': '-7', 'time-zone': 'US/Pacific',
      'minimum-call-duration-second': '1', 'connection-sip-registration-expires-datetime': '2025-05-19 02:41:11',
      'connection-sip-authenticate-as-client-enabled': 'no', 'connection-is-carrier-trunk': 'yes',
    };
    const r = await t.su.post('/connections', example);
    assert.equal(r.status, 202, r.raw);
    const [c] = (await t.su.get(`/domains/portal/connections/${seg('sip*@apidog')}`)).body;
    for (const [k, v] of Object.entries(example)) {
      if (k === 'connection-sip-registration-expires-datetime' || k === 'minimum-call-duration-second') continue;
      const expected = /^limits-|^minimum-/.test(k) ? Number(v) : v;
      assert.deepEqual(c[k], expected, k);
    }
    assert.equal(c['minimum-call-duration-seconds'], 1);
    // As published, the example's "yes" for a destination is refused, naming the field.
    const asPublished = await t.su.post('/connections', { ...example, 'connection-orig-match-pattern': 'sip*@apidog2', 'connection-sip-get-new-dialog-destination-from': 'yes' });
    assert.equal(asPublished.status, 400);
    assert.equal(asPublished.body.message, 'connection-sip-get-new-dialog-destination-from must be one of "default-ip", "contact-header", "via-header"');
  });

  it('the generated hot-path serialiser answers exactly what the object serialiser does', async () => {
    const conn = await t.store.getConnection('portal', 'sip*@apidog');
    assert.ok(conn);
    const live = { activeOrig: 3, activeTerm: 1, origSinceStartup: 10, termSinceStartup: 4, maxThisMonth: 7, maxLastMonth: 9, talkTimeThisMonth: 60, registeredAt: '2025-05-19T02:41:11.000Z', registrationExpiresAt: '2025-05-19T03:41:11.000Z' };
    assert.deepEqual(JSON.parse(connectionJson(conn, live)), serializeConnection(conn, live));
    assert.equal(connectionJson(conn, live), JSON.stringify(serializeConnection(conn, live)));
    const parsed = JSON.parse(connectionJson(conn, live));
    assert.equal(parsed['active-calls-orig-current'], 3);
    assert.equal(parsed['connection-sip-registration-datetime'], '2025-05-19 02:41:11');
  });

  it('live figures from the store appear in GET', async () => {
    const conn = await t.store.getConnection('portal', 'sip*@apidog');
    assert.ok(conn);
    await t.store.saveLive(conn.id, { activeOrig: 2, maxThisMonth: 5, registeredAt: '2026-01-02T03:04:05.000Z' });
    const [c] = (await t.su.get(`/domains/portal/connections/${seg('sip*@apidog')}`)).body;
    assert.equal(c['active-calls-orig-current'], 2);
    assert.equal(c['active-calls-max-this-month'], 5);
    assert.equal(c['connection-sip-registration-datetime'], '2026-01-02 03:04:05');
    const list = (await t.su.get('/domains/portal/connections')).body;
    assert.equal(list.find((x: any) => x['connection-orig-match-pattern'] === 'sip*@apidog')['active-calls-orig-current'], 2);
  });
});
