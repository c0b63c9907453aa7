/**
 * The Enswitch JSON API `peers/*` dialect against a real SQLite store (fastify inject). `EnswitchClient` checks
 * every envelope and the HTTP status rule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { injectSender } from '../../support/ns-client.js';
import { createNsApp, type NsApp } from '../../support/ns-app.js';
import { ENSWITCH_CODECS } from '../../../src/model/codecs.js';
import { PEER_FIELDS } from '../../../src/api/enswitch/fields.js';
import { WavixClient, trunkBody, wavixKey } from '../wavix/support.js';
import { EnswitchClient, SEED_DEFAULTS, makeLogin, type Sender } from './support.js';

let t: NsApp;
let send: Sender;
let owner: EnswitchClient;
const logins: Record<string, { username: string; password: string }> = {};

before(async () => {
  t = await createNsApp();
  await t.domain('customer.example', 'reseller-a');
  send = injectSender(t.api.app);
  // Seed 004's own example credentials.
  logins.owner = await makeLogin(t.store, 'user', 'password', 'System owner');
  logins.reseller = await makeLogin(t.store, 'reseller', 'reseller-pw', 'Reseller', 'customer.example');
  logins.admin = await makeLogin(t.store, 'admin', 'admin-pw', 'Administrator', 'customer.example');
  logins.user = await makeLogin(t.store, 'plain', 'plain-pw', 'User', 'customer.example');
  owner = new EnswitchClient(send, logins.owner);
});
after(async () => {
  await t.close();
});

const peers = () => t.store.countConnections({ domain: '*', hasExtension: 'enswitch' });

async function createPeer(params: Record<string, unknown>, client = owner): Promise<number> {
  const r = await client.call('create', params);
  assert.equal(r.code, '200', r.raw);
  assert.equal(typeof r.data.id, 'number');
  return r.data.id as number;
}

async function getPeer(id: number): Promise<Record<string, string | number>> {
  const r = await owner.call('get', { id });
  assert.equal(r.code, '200', r.raw);
  return r.data;
}

describe('Enswitch peers/create', () => {
  it("answers seed 004's example request exactly as the seed shows", async () => {
    const res = await t.api.app.inject({
      method: 'GET',
      url: '/api/json/peers/create/?auth_username=user;auth_password=password;name=example;type=sip;destination=sip.example.com',
    });
    assert.equal(res.statusCode, 200);
    const body = JSON.parse(res.body);
    assert.deepEqual(body.responses, [{ code: '200', key: '', message: 'OK' }]);
    assert.deepEqual(Object.keys(body.data), ['id']);
    assert.equal(typeof body.data.id, 'number');

    const peer = await getPeer(body.data.id);
    assert.equal(peer.id, body.data.id);
    assert.equal(peer.name, 'example');
    assert.equal(peer.type, 'sip');
    assert.equal(peer.routable, 1);
    assert.equal(peer.destination, 'sip.example.com');
    for (const [k, v] of Object.entries(SEED_DEFAULTS)) {
      if (k === 'destination') continue;
      assert.deepEqual(peer[k], v, `default of ${k}`);
    }
  });

  it('is one canonical record in the system domain with the canonical fields set', async () => {
    const id = await createPeer({
      name: 'carrier-b',
      type: 'sip',
      destination: 'sip:gw1.carrier-b.example:5070,gw2.carrier-b.example',
      description: 'Carrier B',
      username: 'trunk-b',
      password: 'secret-b',
      outmaximum: 30,
      codecs: 'ulaw,alaw',
      called_prefix: '9',
      dtmfmode: 'rfc4733',
      customer: -1,
    });
    const c = await t.store.getConnectionById(id);
    assert.ok(c);
    assert.equal(c.domain, '*');
    assert.equal(c.createdBy, 'enswitch');
    assert.equal(c.origMatchPattern, 'sip*@gw1.carrier-b.example:5070');
    assert.equal(c.address, 'sip:gw1.carrier-b.example:5070');
    assert.equal(c.description, 'Carrier B');
    assert.equal(c.authUsername, 'trunk-b');
    assert.equal(c.authPassword, 'secret-b');
    assert.equal(c.authenticateAsClient, true);
    assert.equal(c.maxCallsTerm, 30);
    assert.equal(c.origEnabled, true);
    assert.equal(c.termEnabled, true);
    assert.deepEqual(c.ext.enswitch?.codecs, ['ulaw', 'alaw']);
    assert.deepEqual(c.ext.enswitch?.extraDestinations, ['gw2.carrier-b.example']);
    assert.equal(c.ext.enswitch?.name, 'carrier-b');
    assert.equal(c.ext.enswitch?.customer, -1);
    assert.equal(c.ext.wavix, undefined);
    const peer = await getPeer(id);
    assert.equal(peer.destination, 'sip:gw1.carrier-b.example:5070,gw2.carrier-b.example');
    assert.equal(peer.outmaximum, 30);
    assert.equal(peer.codecs, 'ulaw,alaw');
    assert.equal(peer.dtmfmode, 'rfc4733');
  });

  it('takes parameters by GET or POST, separated by ; or &, in the query, a form body or a JSON body', async () => {
    const variants = [
      { method: 'GET', via: 'query', sep: ';' },
      { method: 'GET', via: 'query', sep: '&' },
      { method: 'POST', via: 'query', sep: ';' },
      { method: 'POST', via: 'form', sep: ';' },
      { method: 'POST', via: 'form', sep: '&' },
      { method: 'POST', via: 'json' },
    ] as const;
    for (const [i, v] of variants.entries()) {
      const r = await owner.call('create', { name: `variant ${i}`, type: 'pjsip', destination: `v${i}.example.net`, outmaximum: '5' }, v);
      assert.equal(r.code, '200', `${JSON.stringify(v)}: ${r.raw}`);
      const peer = await getPeer(r.data.id);
      assert.equal(peer.name, `variant ${i}`, 'spaces and + decode');
      assert.equal(peer.outmaximum, 5);
    }
    // A form body with credentials in the query string and the rest in the body.
    const mixed = await owner.call('create', {}, { method: 'POST', rawBody: 'name=mixed;type=sip&destination=mixed.example.net' });
    assert.equal(mixed.code, '200', mixed.raw);
  });

  it('validation=1 answers 201 after validating and stores nothing', async () => {
    const n = await peers();
    const ok = await owner.call('create', { name: 'dry run', type: 'sip', destination: 'dry.example.com', validation: 1 });
    assert.equal(ok.code, '201');
    assert.equal(ok.data, null);
    const bad = await owner.call('create', { name: 'dry run', type: 'sip', validation: 1 });
    assert.equal(bad.code, '400');
    assert.equal(bad.key, 'destination');
    assert.equal(await peers(), n);
  });

  it('stores the types the SIP edge cannot carry but reports them not routable', async () => {
    const dahdi = await createPeer({ name: 'pri', type: 'dahdi', channel_group: 2 });
    const ctx = await createPeer({ name: 'ivr', type: 'context', context: 'from-peer' });
    const iax = await createPeer({ name: 'old iax', type: 'iax', destination: 'iax.example.com' });
    const zap = await createPeer({ name: 'zap', type: 'zap', channel_group: 0 });
    for (const [id, type] of [
      [dahdi, 'dahdi'],
      [ctx, 'context'],
      [iax, 'iax'],
      [zap, 'zap'],
    ] as const) {
      const peer = await getPeer(id);
      assert.equal(peer.type, type);
      assert.equal(peer.routable, 0, `${type} is not routable`);
      const c = await t.store.getConnectionById(id);
      assert.equal(c?.termEnabled, false);
      assert.equal(c?.origEnabled, false);
      assert.match(c!.origMatchPattern, new RegExp(`^sip:peer-[0-9a-f]+@${type}\\.enswitch\\.invalid$`));
    }
    assert.equal((await getPeer(dahdi)).channel_group, 2);
    assert.equal((await getPeer(ctx)).context, 'from-peer');
    assert.equal((await getPeer(iax)).destination, 'iax.example.com');
    const list = (await owner.call('list')).data as { id: number; type: string; routable: number }[];
    for (const [id, type] of [
      [dahdi, 'dahdi'],
      [ctx, 'context'],
      [iax, 'iax'],
      [zap, 'zap'],
    ] as const) {
      const listed = list.find((p) => p.id === id);
      assert.ok(listed, `${type} peer is listed`);
      assert.equal(listed.type, type);
      assert.equal(listed.routable, 0, `${type} is listed as not routable`);
    }
    // NetSapiens sees them too, with origination and termination off (the edge does not use them).
    const nsView = await t.su.get(`/domains/${encodeURIComponent('*')}/connections?limit=1000`);
    for (const id of [dahdi, ctx, iax, zap]) {
      const c = await t.store.getConnectionById(id);
      const row = (nsView.body as Record<string, string>[]).find((r) => r['connection-orig-match-pattern'] === c!.origMatchPattern);
      assert.ok(row, `peer ${id} in the NetSapiens view`);
      assert.equal(row['connection-orig-enabled'], 'no');
      assert.equal(row['connection-term-enabled'], 'no');
    }
  });

  it('a second peer to the same carrier host is stored too (the first keeps the host pattern)', async () => {
    const a = await createPeer({ name: 'same-a', type: 'sip', destination: 'shared.example.org' });
    const b = await createPeer({ name: 'same-b', type: 'sip', destination: 'shared.example.org', called_prefix: '44' });
    const ca = await t.store.getConnectionById(a);
    const cb = await t.store.getConnectionById(b);
    assert.equal(ca?.origMatchPattern, 'sip*@shared.example.org');
    assert.match(cb!.origMatchPattern, /^sip:peer-[0-9a-f]+@shared\.example\.org$/);
    assert.equal(cb?.address, 'shared.example.org');
  });
});

describe('Enswitch peers/get, peers/list, peers/update, peers/delete', () => {
  it('peers/list returns every peer, by id, with the same data as peers/get', async () => {
    const id = await createPeer({ name: 'listed', type: 'sip', destination: 'listed.example.com' });
    const r = await owner.call('list');
    assert.equal(r.code, '200');
    const list = r.data as { id: number }[];
    assert.ok(Array.isArray(list));
    assert.equal(list.length, await peers());
    assert.deepEqual(
      list.map((p) => p.id),
      [...list.map((p) => p.id)].sort((x, y) => x - y),
    );
    assert.deepEqual(list.find((p) => p.id === id), await getPeer(id));
  });

  it('peers/update changes only the given parameters and answers 204', async () => {
    const id = await createPeer({ name: 'to update', type: 'sip', destination: 'before.example.com', description: 'kept', codecs: 'g722' });
    const r = await owner.call('update', { id, outmaximum: 10, username: 'auth-user', send_rpid: 1, destination: 'after.example.com:5080' }, { method: 'POST' });
    assert.equal(r.code, '204', r.raw);
    assert.equal(r.data, null);
    const peer = await getPeer(id);
    assert.equal(peer.outmaximum, 10);
    assert.equal(peer.username, 'auth-user');
    assert.equal(peer.send_rpid, 1);
    assert.equal(peer.destination, 'after.example.com:5080');
    assert.equal(peer.description, 'kept');
    assert.equal(peer.codecs, 'g722');
    assert.equal(peer.name, 'to update');
    const c = await t.store.getConnectionById(id);
    assert.equal(c?.maxCallsTerm, 10);
    assert.equal(c?.authenticateAsClient, true);
    assert.equal(c?.origMatchPattern, 'sip*@after.example.com:5080', 'the identity follows the destination');
    assert.equal(c?.termMatchPattern, 'sip*@after.example.com:5080');

    assert.equal((await owner.call('update', { id, outmaximum: -1 })).code, '204');
    assert.equal((await t.store.getConnectionById(id))?.maxCallsTerm, null);

    // Changing to a type the edge cannot carry, and back.
    assert.equal((await owner.call('update', { id, type: 'dahdi' })).key, 'channel_group');
    assert.equal((await owner.call('update', { id, type: 'dahdi', channel_group: 3 })).code, '204');
    assert.equal((await getPeer(id)).routable, 0);
    assert.equal((await owner.call('update', { id, type: 'sip' })).code, '204');
    const back = await getPeer(id);
    assert.equal(back.routable, 1);
    assert.equal((await t.store.getConnectionById(id))?.origMatchPattern, 'sip*@after.example.com:5080');
  });

  it('peers/update with validation=1 answers 201 and changes nothing', async () => {
    const id = await createPeer({ name: 'validate update', type: 'sip', destination: 'v.example.com' });
    const before = await t.store.getConnectionById(id);
    const r = await owner.call('update', { id, name: 'changed', validation: 1 });
    assert.equal(r.code, '201');
    assert.deepEqual(await t.store.getConnectionById(id), before);
  });

  it('peers/delete answers 204; the peer is then 404 everywhere', async () => {
    const id = await createPeer({ name: 'doomed', type: 'sip', destination: 'doomed.example.com' });
    const r = await owner.call('delete', { id });
    assert.equal(r.code, '204');
    assert.equal(await t.store.getConnectionById(id), undefined);
    for (const action of ['get', 'update', 'delete']) {
      const again = await owner.call(action, { id, ...(action === 'update' ? { name: 'x' } : {}) });
      assert.equal(again.code, '404', action);
      assert.equal(again.key, 'id');
    }
  });

  it('records that are not peers are 404 (a NetSapiens connection, a Wavix trunk, a missing id)', async () => {
    const ns = await t.su.post('/connections', { domain: '*', 'connection-orig-match-pattern': 'sip*@ns-carrier.example' });
    assert.equal(ns.status, 202);
    const nsId = (await t.store.getConnection('*', 'sip*@ns-carrier.example'))!.id;
    const wx = new WavixClient(send, await wavixKey(t.store, 'customer.example'));
    const trunk = await wx.post('/trunks', trunkBody({ label: 'not a peer' }));
    assert.equal(trunk.status, 201, trunk.raw);
    const trunkBefore = await t.store.getConnectionById(trunk.body.id);
    for (const id of [nsId, trunk.body.id as number, 999_999]) {
      assert.equal((await owner.call('get', { id })).code, '404');
      assert.equal((await owner.call('update', { id, name: 'x' })).code, '404');
      assert.equal((await owner.call('delete', { id })).code, '404');
    }
    assert.ok(await t.store.getConnectionById(nsId), 'the NetSapiens record is untouched');
    assert.deepEqual(await t.store.getConnectionById(trunk.body.id), trunkBefore, 'the Wavix trunk is untouched');
    const list = (await owner.call('list')).data as { id: number }[];
    assert.ok(!list.some((p) => p.id === nsId || p.id === trunk.body.id));
  });
});

describe('Enswitch authentication and roles', () => {
  const everyCall: [string, Record<string, unknown>][] = [
    ['create', { name: 'x', type: 'sip', destination: 'x.example.com' }],
    ['get', { id: 1 }],
    ['list', {}],
    ['update', { id: 1, name: 'y' }],
    ['delete', { id: 1 }],
  ];

  it('answers 401 for missing, wrong or unknown credentials on every endpoint', async () => {
    const id = await createPeer({ name: 'auth target', type: 'sip', destination: 'auth.example.com' });
    const before = await t.store.getConnectionById(id);
    const n = await t.store.countConnections({});
    const bad = [null, { username: 'user', password: 'wrong' }, { username: 'nobody', password: 'password' }, { username: '', password: '' }];
    for (const auth of bad) {
      for (const [action, params] of everyCall) {
        for (const method of ['GET', 'POST'] as const) {
          const r = await owner.call(action, { ...params, ...('id' in params ? { id } : {}) }, { auth, method });
          assert.equal(r.code, '401', `${action} ${method} ${JSON.stringify(auth)}`);
          assert.equal(r.message, 'The authentication details provided are invalid.');
        }
      }
    }
    // Only auth_username, or only auth_password.
    assert.equal((await owner.call('list', { auth_username: 'user' }, { auth: null })).code, '401');
    assert.equal((await owner.call('list', { auth_password: 'password' }, { auth: null })).code, '401');
    assert.equal(await t.store.countConnections({}), n);
    assert.deepEqual(await t.store.getConnectionById(id), before, 'the peer is unchanged');
  });

  it('answers 402 "Your role does not allow this." to every role but System owner, on every endpoint', async () => {
    const id = await createPeer({ name: 'role target', type: 'sip', destination: 'role.example.com' });
    const before = await t.store.getConnectionById(id);
    const n = await peers();
    for (const role of ['reseller', 'admin', 'user']) {
      const client = owner.as(logins[role]);
      for (const [action, params] of everyCall) {
        const r = await client.call(action, { ...params, ...('id' in params ? { id } : {}) });
        assert.equal(r.code, '402', `${role} ${action}`);
        assert.equal(r.message, 'Your role does not allow this.');
      }
    }
    assert.equal(await peers(), n);
    assert.deepEqual(await t.store.getConnectionById(id), before);
  });

  it('checks credentials before parameters (a bad call from a stranger is 401, not 400)', async () => {
    const r = await owner.call('create', { type: 'nonsense' }, { auth: null });
    assert.equal(r.code, '401');
  });
});

describe('Enswitch bad input: 400 naming the parameter in key, never a 500, never a half-written record', () => {
  const base = { name: 'bad input', type: 'sip', destination: 'bad.example.com' };
  const createCases: [string, Record<string, unknown>, string][] = [
    ['missing name', { type: 'sip', destination: 'x.example.com' }, 'name'],
    ['empty name', { ...base, name: '' }, 'name'],
    ['missing type', { name: 'x', destination: 'x.example.com' }, 'type'],
    ['bad type', { ...base, type: 'h323' }, 'type'],
    ['sip without destination', { name: 'x', type: 'sip' }, 'destination'],
    ['pjsip without destination', { name: 'x', type: 'pjsip' }, 'destination'],
    ['iax without destination', { name: 'x', type: 'iax' }, 'destination'],
    ['context without context', { name: 'x', type: 'context' }, 'context'],
    ['dahdi without channel_group', { name: 'x', type: 'dahdi' }, 'channel_group'],
    ['zap without channel_group', { name: 'x', type: 'zap' }, 'channel_group'],
    ['bad dtmfmode', { ...base, dtmfmode: 'sip-info' }, 'dtmfmode'],
    ['outmaximum not a number', { ...base, outmaximum: 'lots' }, 'outmaximum'],
    ['outmaximum below -1', { ...base, outmaximum: -2 }, 'outmaximum'],
    ['outmaximum fractional', { ...base, outmaximum: '1.5' }, 'outmaximum'],
    ['outmaximum empty', { ...base, outmaximum: '' }, 'outmaximum'],
    ['called_strip_hash 2', { ...base, called_strip_hash: 2 }, 'called_strip_hash'],
    ['charge as yes', { ...base, charge: 'yes' }, 'charge'],
    ['fail_percent 101', { ...base, fail_percent: 101 }, 'fail_percent'],
    ['channel_group 64', { ...base, channel_group: 64 }, 'channel_group'],
    ['customer -2', { ...base, customer: -2 }, 'customer'],
    ['unknown codec', { ...base, codecs: 'ulaw,mp3' }, 'codecs'],
    ['empty codec list', { ...base, codecs: ',' }, 'codecs'],
    ['destination that is no host', { ...base, destination: 'not a host!' }, 'destination'],
    ['too many destinations', { ...base, destination: Array.from({ length: 11 }, (_, i) => `d${i}.example.com`).join(',') }, 'destination'],
    ['proxy that is no host', { ...base, proxy: 'proxy..example' }, 'proxy'],
    ['url_costs not http', { ...base, url_costs: 'ftp://costs.example.com/' }, 'url_costs'],
    ['currency lower case', { ...base, currency: 'usd' }, 'currency'],
    ['called_prefix with letters', { ...base, called_prefix: '9x' }, 'called_prefix'],
    ['context with spaces', { name: 'x', type: 'context', context: 'from peer' }, 'context'],
    ['oversized description', { ...base, description: 'd'.repeat(1025) }, 'description'],
    ['oversized name', { ...base, name: 'n'.repeat(129) }, 'name'],
    ['oversized password', { ...base, password: 'p'.repeat(129) }, 'password'],
    ['oversized username', { ...base, username: 'u'.repeat(129) }, 'username'],
    ['oversized callerid', { ...base, callerid: 'c'.repeat(129) }, 'callerid'],
    ['oversized destination', { ...base, destination: `${'h'.repeat(60)}.example.com,`.repeat(20) }, 'destination'],
    ['outmaximum beyond int range', { ...base, outmaximum: '99999999999' }, 'outmaximum'],
    ['control character', { ...base, description: 'a\u0007b' }, 'description'],
    ['unknown parameter', { ...base, colour: 'blue' }, 'colour'],
    ['id on create', { ...base, id: 4 }, 'id'],
    ['bad validation flag', { ...base, validation: 2 }, 'validation'],
  ];

  it('peers/create: each bad parameter is named in key; nothing is stored', async () => {
    const n = await t.store.countConnections({});
    for (const [what, params, key] of createCases) {
      const r = await owner.call('create', params);
      assert.equal(r.code, '400', `${what}: ${r.raw}`);
      assert.equal(r.key, key, what);
      assert.ok(r.message.includes(key), `${what}: message "${r.message}" names ${key}`);
    }
    assert.equal(await t.store.countConnections({}), n);
  });

  it('peers/update: the same bad parameters are refused and the peer is left as it was', async () => {
    const id = await createPeer(base);
    const before = await t.store.getConnectionById(id);
    for (const [what, params, key] of createCases) {
      if (['missing name', 'missing type', 'sip without destination', 'pjsip without destination', 'iax without destination', 'id on create'].includes(what)) continue;
      const r = await owner.call('update', { ...params, id });
      assert.equal(r.code, '400', `${what}: ${r.raw}`);
      assert.equal(r.key, key, what);
    }
    assert.equal((await owner.call('update', { id, destination: '' })).key, 'destination', 'a sip peer cannot lose its destination');
    assert.deepEqual(await t.store.getConnectionById(id), before);
  });

  it('get, update and delete need a valid id; list takes no parameters', async () => {
    for (const action of ['get', 'update', 'delete']) {
      for (const id of [undefined, '', 'abc', '0', '-3', '1.5']) {
        const r = await owner.call(action, id === undefined ? {} : { id });
        assert.equal(r.code, '400', `${action} id=${String(id)}`);
        assert.equal(r.key, 'id');
      }
    }
    const r = await owner.call('list', { start: 0 });
    assert.equal(r.code, '400');
    assert.equal(r.key, 'start');
  });

  it('malformed requests: bad percent-encoding, bad JSON, a non-object JSON body, an unknown function, an oversized body', async () => {
    const n = await t.store.countConnections({});
    const pct = await t.api.app.inject({ method: 'GET', url: '/api/json/peers/create/?auth_username=user;auth_password=password;name=%E0%A4%A;type=sip' });
    const env = JSON.parse(pct.body);
    assert.equal(pct.statusCode, 200);
    assert.equal(env.responses[0].code, '400');
    assert.equal(env.responses[0].key, 'name');

    const badJson = await owner.call('create', {}, { method: 'POST', rawBody: '{"name":', contentType: 'application/json' });
    assert.equal(badJson.code, '400');
    const array = await owner.call('create', {}, { method: 'POST', rawBody: '["name"]', contentType: 'application/json' });
    assert.equal(array.code, '400');
    const unknown = await owner.call('peers/rename', {});
    assert.equal(unknown.code, '404');
    const big = await owner.call('create', {}, { method: 'POST', rawBody: `name=${'x'.repeat(300_000)}` });
    assert.equal(big.code, '413');
    assert.equal(big.status, 413);
    assert.equal(await t.store.countConnections({}), n);
  });
});

// ---- every parameter, every endpoint -----------------------------------------------------------------------

interface Allowed {
  /** Values accepted, each with what peers/get answers for it (default: the value itself). */
  good: [unknown, unknown?][];
  /** Values refused with 400 naming the parameter. */
  bad: unknown[];
  /** Other parameters the values need (e.g. a type for context). */
  with?: Record<string, unknown>;
}

const FLAG: Allowed = { good: [[0], [1], ['1', 1], [' 0 ', 0]], bad: [2, -1, 'yes', 'true', '', '0.5'] };
const ALL_CODECS = Object.keys(ENSWITCH_CODECS);

/** Seed 004's parameters: the values each allows and a sample of what it refuses. */
const ALLOWED: Record<string, Allowed> = {
  name: { good: [['x'], ['n'.repeat(128)], ['Carrier Ü 2']], bad: ['', '   ', 'n'.repeat(129), 'a\nb'] },
  type: { good: [['sip'], ['pjsip'], ['SIP', 'sip'], [' PjSip ', 'pjsip'], ['iax']], bad: ['h323', 'sip2', '', 'dahdi,sip'] },
  called_prefix: { good: [[''], ['9'], ['*#+0'], ['1'.repeat(32)]], bad: ['9x', '1'.repeat(33), '9 1'] },
  called_strip_hash: FLAG,
  callerid: { good: [[''], ['"Sales" <+14155550100>'], ['c'.repeat(128)]], bad: ['c'.repeat(129), 'a\u0001b'] },
  callerid_unknown: { good: [[''], ['Unknown caller'], ['u'.repeat(128)]], bad: ['u'.repeat(129), 'a\u001bb'] },
  callerid_withheld: { good: [[''], ['Private'], ['w'.repeat(128)]], bad: ['w'.repeat(129), 'a\u007fb'] },
  channel_group: { good: [[0], [63], ['5', 5]], bad: [-1, 64, 'x', 1.5, ''] },
  charge: FLAG,
  codecs: {
    good: [['ulaw'], [' ULAW, alaw ,ulaw,', 'ulaw,alaw'], [ALL_CODECS.join(',')], [ALL_CODECS.map((c) => c.toUpperCase()).join(','), ALL_CODECS.join(',')]],
    bad: ['mp3', 'ulaw,mp3', ',', '', 'x'.repeat(513)],
  },
  context: { good: [[''], ['from-peer_1.x+'], ['c'.repeat(80)]], bad: ['from peer', 'c'.repeat(81), 'ctx;drop'] },
  costs: FLAG,
  currency: { good: [[''], ['USD'], ['EUR']], bad: ['usd', 'US', 'USDX', '123'] },
  customer: { good: [[-1], [0], [2_147_483_647], ['42', 42]], bad: [-2, 2_147_483_648, 'all', 1.5] },
  description: { good: [[''], ['d'.repeat(1024)]], bad: ['d'.repeat(1025), 'a\u0007b'] },
  destination: {
    good: [
      ['gw.example.com'],
      ['gw.example.com:5070'],
      ['[2001:db8::1]:5060'],
      ['user@gw.example.com'],
      ['sip:trunk@gw.example.com:5080;transport=udp'],
      ['iax2:gw.example.com'],
      [' 10.0.0.1 , 10.0.0.2 ', '10.0.0.1,10.0.0.2'],
    ],
    bad: ['not a host!', '', Array.from({ length: 11 }, (_, i) => `d${i}.example.com`).join(','), `${'h'.repeat(1100)}.example.com`],
  },
  dialplan_called: { good: [[''], ['p'.repeat(64)]], bad: ['p'.repeat(65)] },
  dialplan_caller: { good: [[''], ['p'.repeat(64)]], bad: ['p'.repeat(65)] },
  dtmfmode: { good: [['inband'], ['info'], ['rfc2833'], ['rfc4733'], ['RFC4733', 'rfc4733']], bad: ['sip-info', 'auto', ''] },
  fail_percent: { good: [[0], [100], ['50', 50]], bad: [-1, 101, 'half'] },
  outmaximum: { good: [[-1], [0], [2_147_483_647], ['30', 30]], bad: [-2, 2_147_483_648, 'lots', '', '1.5'] },
  password: { good: [[''], ['p'.repeat(128)]], bad: ['p'.repeat(129), 'a\nb'] },
  plan_customer: { good: [[-1], [0], [7]], bad: [-2, 'x'] },
  proxy: { good: [[''], ['proxy.example.com'], ['sip:proxy.example.com:5080'], ['192.0.2.9']], bad: ['proxy..example', 'p'.repeat(257), 'not a host!'] },
  send_asserted_identity: FLAG,
  send_privacy: FLAG,
  send_rpid: FLAG,
  url_costs: { good: [[''], ['https://costs.example.com/rate?peer=1'], ['http://c.example']], bad: ['ftp://costs.example.com/', 'not a url', `https://${'u'.repeat(1020)}.example`] },
  username: { good: [[''], ['u'.repeat(128)], ['a\tb']], bad: ['u'.repeat(129), 'a\nb'] },
};

describe('Enswitch: every seed-004 parameter, its allowed values and what it refuses', () => {
  const base = { name: 'allowed values', type: 'sip', destination: 'allowed.example.com' };

  it('the table covers every peer parameter', () => {
    assert.deepEqual(Object.keys(ALLOWED).sort(), PEER_FIELDS.map((f) => f.wire).sort());
  });

  it('peers/create accepts each allowed value and peers/get answers it (integers as numbers)', async () => {
    for (const [name, a] of Object.entries(ALLOWED)) {
      for (const [value, answered] of a.good) {
        const params = { ...base, ...a.with, [name]: value };
        const r = await owner.call('create', params, { method: 'POST', via: 'json' });
        assert.equal(r.code, '200', `${name}=${JSON.stringify(value).slice(0, 60)}: ${r.raw}`);
        const peer = await getPeer(r.data.id);
        const expected = answered ?? value;
        assert.deepEqual(peer[name], expected, `${name}=${JSON.stringify(value).slice(0, 60)} is answered as ${JSON.stringify(expected).slice(0, 60)}`);
        assert.equal(typeof peer[name], name in SEED_DEFAULTS ? typeof SEED_DEFAULTS[name] : 'string', `${name} keeps its type`);
      }
    }
  });

  it('peers/create and peers/update refuse each other value with 400 naming the parameter; nothing is written', async () => {
    const id = await createPeer({ ...base, name: 'refusals' });
    const before = await t.store.getConnectionById(id);
    const n = await t.store.countConnections({});
    for (const [name, a] of Object.entries(ALLOWED)) {
      for (const value of a.bad) {
        for (const [action, params] of [
          ['create', { ...base, ...a.with, [name]: value }],
          ['update', { id, [name]: value }],
        ] as const) {
          const r = await owner.call(action, params, { method: 'POST', via: 'json' });
          const what = `${action} ${name}=${JSON.stringify(value).slice(0, 60)}`;
          assert.equal(r.code, '400', `${what}: ${r.raw.slice(0, 300)}`);
          assert.equal(r.key, name, what);
        }
      }
    }
    assert.equal(await t.store.countConnections({}), n);
    assert.deepEqual(await t.store.getConnectionById(id), before);
  });

  it('codecs: every codec of the edge catalog is accepted, names are case-insensitive, duplicates dropped', async () => {
    const id = await createPeer({ ...base, name: 'codecs', codecs: ALL_CODECS.join(',') });
    assert.deepEqual((await t.store.getConnectionById(id))?.ext.enswitch?.codecs, ALL_CODECS);
    assert.equal((await owner.call('update', { id, codecs: 'G729,g729,Opus' })).code, '204');
    assert.equal((await getPeer(id)).codecs, 'g729,opus');
    const bad = await owner.call('update', { id, codecs: 'g729,amr' });
    assert.equal(bad.key, 'codecs');
    assert.match(bad.message, /"amr" is not a known codec/);
  });

  it('JSON bodies: wrong JSON types are 400 naming the parameter', async () => {
    const n = await t.store.countConnections({});
    for (const [name, value] of [
      ['name', true],
      ['name', null],
      ['name', { first: 'x' }],
      ['type', ['sip']],
      ['codecs', ['ulaw', 'alaw']],
      ['outmaximum', true],
      ['outmaximum', 1.5],
      ['charge', false],
      ['destination', { host: 'gw.example.com' }],
      ['url_costs', ['https://costs.example.com/']],
    ] as const) {
      const r = await owner.call('create', { ...base, [name]: value }, { method: 'POST', via: 'json' });
      assert.equal(r.code, '400', `${name}=${JSON.stringify(value)}: ${r.raw}`);
      assert.equal(r.key, name);
    }
    assert.equal(await t.store.countConnections({}), n);
  });
});

describe('Enswitch: validation=1 on every function that writes', () => {
  it('peers/delete with validation=1 answers 201 and deletes nothing; a missing peer is still 404', async () => {
    const id = await createPeer({ name: 'validate delete', type: 'sip', destination: 'vd.example.com' });
    const r = await owner.call('delete', { id, validation: 1 });
    assert.equal(r.code, '201');
    assert.equal(r.message, 'Input passed validation.');
    assert.ok(await t.store.getConnectionById(id));
    assert.equal((await owner.call('delete', { id: 999_998, validation: 1 })).code, '404');
    assert.equal((await owner.call('delete', { id, validation: 0 })).code, '204');
  });

  it('peers/get and peers/list accept validation=0/1 (nothing to validate) and refuse other values', async () => {
    const id = await createPeer({ name: 'validate read', type: 'sip', destination: 'vr.example.com' });
    assert.equal((await owner.call('get', { id, validation: 1 })).code, '200');
    assert.equal((await owner.call('list', { validation: 0 })).code, '200');
    for (const action of ['get', 'list']) {
      const r = await owner.call(action, { id, validation: 'abc' });
      assert.equal(r.code, '400', action);
      assert.equal(r.key, action === 'list' ? 'id' : 'validation', action);
      const v = await owner.call(action, { ...(action === 'get' ? { id } : {}), validation: 2 });
      assert.equal(v.key, 'validation', action);
    }
  });
});

describe('Enswitch: every function × every kind of bad input', () => {
  type Kind = 'missing required' | 'wrong type' | 'bad enum' | 'oversized' | 'bad credentials' | 'wrong role';
  type As = 'owner' | 'reseller' | 'admin' | 'user' | 'none' | 'wrong password' | 'unknown user';
  interface Case {
    params: Record<string, unknown>;
    as?: As;
    code: '400' | '401' | '402';
    key?: string;
  }
  const NA = (why: string) => `n/a: ${why}`;

  it('each is answered in the Enswitch envelope with its code, and nothing is written', async () => {
    const id = await createPeer({ name: 'matrix target', type: 'sip', destination: 'matrix.example.com' });
    const auth: Record<As, { username: string; password: string } | null> = {
      owner: logins.owner!,
      reseller: logins.reseller!,
      admin: logins.admin!,
      user: logins.user!,
      none: null,
      'wrong password': { username: logins.owner!.username, password: 'not-the-password' },
      'unknown user': { username: 'ghost', password: 'password' },
    };
    const good = { name: 'matrix new', type: 'sip', destination: 'matrix-new.example.com' };
    const creds = (params: Record<string, unknown>): Case[] => [
      { params, as: 'none', code: '401' },
      { params, as: 'wrong password', code: '401' },
      { params, as: 'unknown user', code: '401' },
    ];
    const roles = (params: Record<string, unknown>): Case[] => [
      { params, as: 'reseller', code: '402' },
      { params, as: 'admin', code: '402' },
      { params, as: 'user', code: '402' },
    ];
    const matrix: Record<string, Record<Kind, Case[] | string>> = {
      create: {
        'missing required': [
          { params: { type: 'sip', destination: 'x.example.com' }, code: '400', key: 'name' },
          { params: { name: 'x', destination: 'x.example.com' }, code: '400', key: 'type' },
          { params: { name: 'x', type: 'iax' }, code: '400', key: 'destination' },
          { params: { name: 'x', type: 'zap' }, code: '400', key: 'channel_group' },
        ],
        'wrong type': [{ params: { ...good, outmaximum: 'lots' }, code: '400', key: 'outmaximum' }, { params: { ...good, channel_group: '1.5' }, code: '400', key: 'channel_group' }],
        'bad enum': [{ params: { ...good, type: 'h323' }, code: '400', key: 'type' }, { params: { ...good, dtmfmode: 'auto' }, code: '400', key: 'dtmfmode' }, { params: { ...good, send_rpid: 2 }, code: '400', key: 'send_rpid' }],
        oversized: [{ params: { ...good, name: 'n'.repeat(129) }, code: '400', key: 'name' }, { params: { ...good, outmaximum: '2147483648' }, code: '400', key: 'outmaximum' }],
        'bad credentials': creds(good),
        'wrong role': roles(good),
      },
      get: {
        'missing required': [{ params: {}, code: '400', key: 'id' }],
        'wrong type': [{ params: { id: 'abc' }, code: '400', key: 'id' }, { params: { id: '1.5' }, code: '400', key: 'id' }],
        'bad enum': [{ params: { id, validation: 2 }, code: '400', key: 'validation' }],
        oversized: [{ params: { id: '99999999999999999999' }, code: '400', key: 'id' }],
        'bad credentials': creds({ id }),
        'wrong role': roles({ id }),
      },
      list: {
        'missing required': NA('peers/list takes no parameter'),
        'wrong type': [{ params: { validation: 'yes' }, code: '400', key: 'validation' }],
        'bad enum': [{ params: { validation: 3 }, code: '400', key: 'validation' }],
        oversized: NA('peers/list takes no parameter (any other is refused: see the next case)'),
        'bad credentials': creds({}),
        'wrong role': roles({}),
      },
      update: {
        'missing required': [{ params: { name: 'x' }, code: '400', key: 'id' }, { params: { id, destination: '' }, code: '400', key: 'destination' }],
        'wrong type': [{ params: { id, fail_percent: 'half' }, code: '400', key: 'fail_percent' }, { params: { id: 'abc', name: 'x' }, code: '400', key: 'id' }],
        'bad enum': [{ params: { id, type: 'h323' }, code: '400', key: 'type' }, { params: { id, dtmfmode: 'auto' }, code: '400', key: 'dtmfmode' }],
        oversized: [{ params: { id, description: 'd'.repeat(1025) }, code: '400', key: 'description' }, { params: { id, destination: `${'h'.repeat(1100)}.example.com` }, code: '400', key: 'destination' }],
        'bad credentials': creds({ id, name: 'renamed' }),
        'wrong role': roles({ id, name: 'renamed' }),
      },
      delete: {
        'missing required': [{ params: {}, code: '400', key: 'id' }],
        'wrong type': [{ params: { id: 'abc' }, code: '400', key: 'id' }, { params: { id: '' }, code: '400', key: 'id' }],
        'bad enum': [{ params: { id, validation: 2 }, code: '400', key: 'validation' }],
        oversized: [{ params: { id: '99999999999999999999' }, code: '400', key: 'id' }],
        'bad credentials': creds({ id }),
        'wrong role': roles({ id }),
      },
    };

    const before = await t.store.getConnectionById(id);
    const n = await t.store.countConnections({});
    let ran = 0;
    for (const [action, kinds] of Object.entries(matrix)) {
      assert.deepEqual(Object.keys(kinds).sort(), ['bad credentials', 'bad enum', 'missing required', 'oversized', 'wrong role', 'wrong type']);
      for (const [kind, cases] of Object.entries(kinds)) {
        if (typeof cases === 'string') continue;
        for (const c of cases) {
          for (const method of ['GET', 'POST'] as const) {
            const r = await owner.call(action, c.params, { auth: auth[c.as ?? 'owner'], method });
            const what = `${action} / ${kind} (${method}, as ${c.as ?? 'owner'}): ${JSON.stringify(c.params).slice(0, 80)}`;
            assert.equal(r.code, c.code, `${what}: ${r.raw.slice(0, 300)}`);
            if (c.key !== undefined) assert.equal(r.key, c.key, what);
            if (c.code === '401') assert.equal(r.message, 'The authentication details provided are invalid.');
            if (c.code === '402') assert.equal(r.message, 'Your role does not allow this.');
            ran++;
          }
        }
      }
    }
    assert.ok(ran >= 100);
    assert.equal(await t.store.countConnections({}), n, 'no record created or deleted');
    assert.deepEqual(await t.store.getConnectionById(id), before, 'the target peer is unchanged');
  });
});
