/**
 * The Enswitch JSON API `peers/*` dialect against a real SQLite store (fastify inject). `EnswitchClient` checks
 * every envelope and the HTTP status rule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { injectSender } from '../../support/ns-client.js';
import { createNsApp, type NsApp } from '../../support/ns-app.js';
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
    const list = (await owner.call('list')).data as { id: number; routable: number }[];
    assert.equal(list.find((p) => p.id === iax)?.routable, 0);
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
    for (const id of [nsId, 999_999]) {
      assert.equal((await owner.call('get', { id })).code, '404');
      assert.equal((await owner.call('update', { id, name: 'x' })).code, '404');
      assert.equal((await owner.call('delete', { id })).code, '404');
    }
    assert.ok(await t.store.getConnectionById(nsId), 'the NetSapiens record is untouched');
    const list = (await owner.call('list')).data as { id: number }[];
    assert.ok(!list.some((p) => p.id === nsId));
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
    const n = await t.store.countConnections({});
    const bad = [null, { username: 'user', password: 'wrong' }, { username: 'nobody', password: 'password' }, { username: '', password: '' }];
    for (const auth of bad) {
      for (const [action, params] of everyCall) {
        for (const method of ['GET', 'POST'] as const) {
          const r = await owner.call(action, params, { auth, method });
          assert.equal(r.code, '401', `${action} ${method} ${JSON.stringify(auth)}`);
          assert.equal(r.message, 'The authentication details provided are invalid.');
        }
      }
    }
    // Only auth_username, or only auth_password.
    assert.equal((await owner.call('list', { auth_username: 'user' }, { auth: null })).code, '401');
    assert.equal((await owner.call('list', { auth_password: 'password' }, { auth: null })).code, '401');
    assert.equal(await t.store.countConnections({}), n);
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
