/**
 * The behaviours every HTTP dialect shares, run once per dialect (kysely-style: one suite, a driver per dialect)
 * against one real SQLite store behind one server (fastify inject):
 *
 *   - create → get → list → update → delete round-trips through the dialect's own wire format;
 *   - bad credentials get that dialect's 401 shape; a malformed body gets its 400 shape; nothing is written;
 *   - a record created in one dialect is the same store record and is visible in NetSapiens with the canonical
 *     fields, and a NetSapiens change shows in the creating dialect (where the mapping allows: a NetSapiens-only
 *     record is not a Wavix trunk or an Enswitch peer, see docs/model.md).
 *
 * The dialect clients check their vendor contracts on every response (NetSapiens and Wavix OpenAPI schemas,
 * skipped with a message when ../shared/specs is absent; the Enswitch envelope always).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultDialects } from '../../src/api/server.js';
import { TrunklineError, ValidationError, type Connection } from '../../src/model/index.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { NsClient, injectSender, seg } from '../support/ns-client.js';
import { EnswitchClient, makeLogin } from './enswitch/support.js';
import { WavixClient, trunkBody, wavixKey } from './wavix/support.js';

const DOMAIN = 'contract.example';

let t: NsApp;
let ns: NsClient;
let wx: WavixClient;
let en: EnswitchClient;

before(async () => {
  t = await createNsApp();
  await t.domain(DOMAIN);
  const send = injectSender(t.api.app);
  ns = t.su;
  wx = new WavixClient(send, await wavixKey(t.store, DOMAIN));
  en = new EnswitchClient(send, await makeLogin(t.store, 'contract-owner', 'contract-pw', 'System owner'));
});
after(async () => {
  await t.close();
});

/** What each dialect must provide for the shared tests. `label` is the canonical `description`. */
interface DialectDriver {
  readonly name: 'netsapiens' | 'wavix' | 'enswitch';
  /** Create through the wire; returns the store id. */
  create(label: string): Promise<number>;
  /** Read one through the wire; returns the label as this dialect shows it. */
  get(id: number): Promise<string>;
  /** Assert the wire answers "not found" in this dialect's shape. */
  expectNotFound(id: number): Promise<void>;
  /** Ids this dialect's list shows. */
  list(): Promise<number[]>;
  update(id: number, label: string): Promise<void>;
  delete(id: number): Promise<void>;
  /** Assert bad credentials get this dialect's 401 shape. */
  badCredentials(): Promise<void>;
  /** Assert a malformed body gets this dialect's 400 shape. */
  malformedBody(): Promise<void>;
  /** The domain its records live in. */
  readonly domain: string;
}

let nsSerial = 0;
const byId = async (id: number): Promise<Connection> => {
  const c = await t.store.getConnectionById(id);
  assert.ok(c, `record ${id} exists`);
  return c;
};
const nsPath = (c: Connection) => `/domains/${seg(c.domain)}/connections/${seg(c.origMatchPattern)}`;

const netsapiens: DialectDriver = {
  name: 'netsapiens',
  domain: DOMAIN,
  async create(label) {
    const pattern = `sip*@contract-${++nsSerial}.example`;
    const r = await ns.post('/connections', { domain: DOMAIN, 'connection-orig-match-pattern': pattern, description: label });
    assert.equal(r.status, 202, r.raw);
    assert.deepEqual(r.body, { code: 202, message: 'Accepted' });
    return (await t.store.getConnection(DOMAIN, pattern))!.id;
  },
  async get(id) {
    const r = await ns.get(nsPath(await byId(id)));
    assert.equal(r.status, 200, r.raw);
    assert.ok(Array.isArray(r.body));
    return r.body[0].description;
  },
  async expectNotFound(id) {
    const r = await ns.get(`/domains/${DOMAIN}/connections/${seg(`sip*@gone-${id}.example`)}`);
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message']);
  },
  async list() {
    const r = await ns.get(`/domains/${DOMAIN}/connections?limit=1000`);
    assert.equal(r.status, 200);
    const ids: number[] = [];
    for (const row of r.body as Record<string, string>[]) {
      ids.push((await t.store.getConnection(row.domain!, row['connection-orig-match-pattern']!))!.id);
    }
    return ids;
  },
  async update(id, label) {
    const r = await ns.put(nsPath(await byId(id)), { description: label });
    assert.equal(r.status, 202, r.raw);
  },
  async delete(id) {
    const r = await ns.delete(nsPath(await byId(id)));
    assert.equal(r.status, 202, r.raw);
  },
  async badCredentials() {
    for (const key of [null, 'nss_wrong', `nss_${'A'.repeat(56)}`]) {
      const r = await ns.get('/connections', { key });
      assert.equal(r.status, 401);
      assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message']);
      assert.equal(r.body.code, 401);
    }
  },
  async malformedBody() {
    const r = await ns.request('POST', '/connections', { rawBody: '{"domain":' });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message']);
    assert.equal(r.body.code, 400);
  },
};

const wavix: DialectDriver = {
  name: 'wavix',
  domain: DOMAIN,
  async create(label) {
    const r = await wx.post('/trunks', trunkBody({ label }));
    assert.equal(r.status, 201, r.raw);
    assert.equal(r.body.label, label);
    return r.body.id;
  },
  async get(id) {
    const r = await wx.get(`/trunks/${id}`);
    assert.equal(r.status, 200, r.raw);
    return r.body.label;
  },
  async expectNotFound(id) {
    const r = await wx.get(`/trunks/${id}`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { success: false, message: 'Record not found' });
  },
  async list() {
    const r = await wx.get('/trunks?per_page=100');
    assert.equal(r.status, 200);
    return (r.body.sip_trunks as { id: number }[]).map((s) => s.id);
  },
  async update(id, label) {
    const r = await wx.put(`/trunks/${id}`, trunkBody({ label }));
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.body.label, label);
  },
  async delete(id) {
    const r = await wx.delete(`/trunks/${id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { success: true });
  },
  async badCredentials() {
    for (const key of [null, 'wvx_wrong', `wvx_${'A'.repeat(56)}`]) {
      for (const appid of [false, true]) {
        const r = await wx.get('/trunks', { key, appid });
        assert.equal(r.status, 401);
        assert.deepEqual(Object.keys(r.body).sort(), ['error', 'message', 'success']);
        assert.equal(r.body.success, false);
        assert.equal(r.body.error, true);
      }
    }
  },
  async malformedBody() {
    const r = await wx.request('POST', '/trunks', { rawBody: '{"label":' });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body).sort(), ['message', 'success']);
    assert.equal(r.body.success, false);
  },
};

let enSerial = 0;
const enswitch: DialectDriver = {
  name: 'enswitch',
  domain: '*',
  async create(label) {
    const r = await en.call('create', { name: `peer-${++enSerial}`, type: 'sip', destination: `peer-${enSerial}.example.net`, description: label });
    assert.equal(r.code, '200', r.raw);
    return r.data.id;
  },
  async get(id) {
    const r = await en.call('get', { id });
    assert.equal(r.code, '200', r.raw);
    return r.data.description;
  },
  async expectNotFound(id) {
    const r = await en.call('get', { id });
    assert.equal(r.code, '404');
    assert.equal(r.key, 'id');
  },
  async list() {
    const r = await en.call('list', {}, { method: 'POST' });
    assert.equal(r.code, '200');
    return (r.data as { id: number }[]).map((p) => p.id);
  },
  async update(id, label) {
    const r = await en.call('update', { id, description: label });
    assert.equal(r.code, '204', r.raw);
  },
  async delete(id) {
    const r = await en.call('delete', { id });
    assert.equal(r.code, '204', r.raw);
  },
  async badCredentials() {
    for (const auth of [null, { username: 'contract-owner', password: 'wrong' }, { username: 'ghost', password: 'contract-pw' }]) {
      const r = await en.call('list', {}, { auth });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { responses: [{ code: '401', key: '', message: 'The authentication details provided are invalid.' }], data: null });
    }
  },
  async malformedBody() {
    const r = await en.call('create', {}, { method: 'POST', rawBody: '{"name":', contentType: 'application/json' });
    assert.equal(r.status, 200);
    assert.equal(r.code, '400');
    assert.equal(r.data, null);
  },
};

const DIALECTS: readonly DialectDriver[] = [netsapiens, wavix, enswitch];

for (const d of DIALECTS) {
  describe(`dialect contract: ${d.name}`, () => {
    it('create → get → list → update → delete round-trips through the wire format', async () => {
      const id = await d.create(`created via ${d.name}`);
      assert.equal(await d.get(id), `created via ${d.name}`);
      assert.ok((await d.list()).includes(id), 'listed');
      const stored = await byId(id);
      assert.equal(stored.description, `created via ${d.name}`, 'the canonical description');
      assert.equal(stored.domain, d.domain);
      assert.equal(stored.createdBy, d.name);

      await d.update(id, `updated via ${d.name}`);
      assert.equal(await d.get(id), `updated via ${d.name}`);
      assert.equal((await byId(id)).description, `updated via ${d.name}`);

      await d.delete(id);
      assert.equal(await t.store.getConnectionById(id), undefined);
      assert.ok(!(await d.list()).includes(id), 'no longer listed');
      await d.expectNotFound(id);
    });

    it("bad credentials get the dialect's 401 shape and write nothing", async () => {
      const n = await t.store.countConnections({});
      await d.badCredentials();
      assert.equal(await t.store.countConnections({}), n);
    });

    it("a malformed body gets the dialect's 400 shape and writes nothing", async () => {
      const n = await t.store.countConnections({});
      await d.malformedBody();
      assert.equal(await t.store.countConnections({}), n);
    });

    if (d.name !== 'netsapiens') {
      it('a record it creates is visible in NetSapiens with the canonical fields, and NetSapiens changes show back', async () => {
        const id = await d.create(`shared by ${d.name}`);
        const c = await byId(id);
        const r = await ns.get(nsPath(c));
        assert.equal(r.status, 200, r.raw);
        const view = r.body[0];
        assert.equal(view.domain, d.domain);
        assert.equal(view['connection-orig-match-pattern'], c.origMatchPattern);
        assert.equal(view.description, `shared by ${d.name}`);
        assert.equal(view['connection-sip-registration-username'], c.authUsername);
        assert.equal(view['connection-address'], c.address);
        if (d.name === 'wavix') {
          assert.match(c.authUsername, /^\d+$/);
          assert.equal(view['connection-require-sip-authentication-enabled'], 'yes');
          assert.equal(view['connection-record-all-calls-enabled'], 'yes');
          assert.equal(view['connection-require-encrypted-audio-enabled'], 'yes');
        } else {
          assert.match(view['connection-address'], /^peer-\d+\.example\.net$/);
          assert.equal(view['connection-orig-enabled'], 'yes');
        }
        const all = await ns.get(`/connections?domain=${seg(d.domain)}&limit=1000`);
        assert.ok((all.body as { description: string }[]).some((row) => row.description === `shared by ${d.name}`));

        // A NetSapiens write to the same record shows in the creating dialect.
        const put = await ns.put(nsPath(c), { description: `renamed in netsapiens (${d.name})` });
        assert.equal(put.status, 202, put.raw);
        assert.equal(await d.get(id), `renamed in netsapiens (${d.name})`);
        await d.delete(id);
      });

      it('a NetSapiens-only record is not part of its view (the mapping has no trunk/peer for it)', async () => {
        const pattern = `sip*@ns-only-${d.name}.example`;
        const r = await ns.post('/connections', { domain: d.domain, 'connection-orig-match-pattern': pattern, description: 'ns only' });
        assert.equal(r.status, 202, r.raw);
        const id = (await t.store.getConnection(d.domain, pattern))!.id;
        assert.ok(!(await d.list()).includes(id));
        await d.expectNotFound(id);
        assert.equal((await ns.delete(`/domains/${seg(d.domain)}/connections/${seg(pattern)}`)).status, 202);
      });
    }
  });
}

describe('dialect contract: one store', () => {
  it('records of all three dialects are rows of the same store, each visible in NetSapiens', async () => {
    const ids = [];
    for (const d of DIALECTS) ids.push(await d.create(`together via ${d.name}`));
    const rows = [
      ...((await ns.get(`/connections?domain=${DOMAIN}&limit=1000`)).body as { description: string }[]),
      ...((await ns.get(`/connections?domain=${seg('*')}&limit=1000`)).body as { description: string }[]),
    ];
    for (const d of DIALECTS) assert.ok(rows.some((r) => r.description === `together via ${d.name}`), d.name);
    assert.equal(new Set(ids).size, 3, 'one id sequence');
    for (const [i, d] of DIALECTS.entries()) await d.delete(ids[i]!);
  });
});

describe('dialect contract: the ApiDialect objects', () => {
  const wireName: Record<string, string> = {
    netsapiens: 'connection-sip-registration-password',
    wavix: 'password',
    enswitch: 'password',
  };
  it('the server serves the three dialects under distinct prefixes', () => {
    const dialects = defaultDialects();
    assert.deepEqual(
      dialects.map((d) => [d.name, d.prefix]),
      [
        ['netsapiens', '/ns-api'],
        ['wavix', '/v1'],
        ['enswitch', '/api/json'],
      ],
    );
  });

  for (const d of defaultDialects()) {
    it(`${d.name}: formatError renames canonical fields and keeps the error kinds apart`, () => {
      const bad = d.formatError(new ValidationError('authPassword', 'must be at most 128 characters'));
      const text = JSON.stringify(bad.body);
      assert.ok(text.includes(`${wireName[d.name]} must be at most 128 characters`), text);
      assert.ok(!text.includes('authPassword'), 'no canonical name leaks');
      const unauth = d.formatError(new TrunklineError('UNAUTHENTICATED'));
      const internal = d.formatError(new TrunklineError('INTERNAL', 'secret detail'));
      assert.ok(!JSON.stringify(internal.body).includes('secret detail'), 'internal details never leave');
      if (d.name === 'enswitch') {
        assert.equal(bad.status, 200);
        assert.equal((bad.body as { responses: { code: string; key: string }[] }).responses[0]!.key, 'password');
        assert.equal((unauth.body as { responses: { code: string }[] }).responses[0]!.code, '401');
        assert.equal(internal.status, 500);
      } else {
        assert.equal(bad.status, 400);
        assert.equal(unauth.status, 401);
        assert.equal(internal.status, 500);
      }
    });
  }
});

describe('dialect contract: one record, three views (where the mapping allows)', () => {
  const nsRow = async (c: Connection): Promise<Record<string, string>> => {
    const r = await ns.get(nsPath(c));
    assert.equal(r.status, 200, r.raw);
    return r.body[0] as Record<string, string>;
  };

  it('created in Wavix: NetSapiens shows the canonical fields; Enswitch never sees it (peers are system-wide)', async () => {
    const r = await wx.post('/trunks', trunkBody({ label: 'wavix → all', channels_restrict: true, max_channels: 5, call_recording_enabled: true, encrypted_media: true }));
    assert.equal(r.status, 201, r.raw);
    const c = await byId(r.body.id);
    const row = await nsRow(c);
    assert.equal(row.domain, DOMAIN, 'the Wavix account is the NetSapiens domain');
    assert.equal(row.description, 'wavix → all');
    assert.equal(row['connection-orig-match-pattern'], `sip:${r.body.name}@*`);
    assert.equal(row['connection-sip-registration-username'], r.body.name);
    assert.equal(row['connection-sip-registration-password'], '4r=h;EaCB85QNtr2');
    assert.equal(row['connection-require-sip-authentication-enabled'], 'yes');
    assert.equal(String(row['limits-max-active-calls-orig']), '5');
    assert.equal(row['connection-record-all-calls-enabled'], 'yes');
    assert.equal(row['connection-require-encrypted-audio-enabled'], 'yes');
    // Tenancy does not allow an Enswitch view: a Wavix account's trunk is not a system-wide peer.
    const peer = await en.call('get', { id: r.body.id });
    assert.equal(peer.code, '404');
    assert.ok(!((await en.call('list')).data as { id: number }[]).some((p) => p.id === r.body.id));
    await wavix.delete(r.body.id);
  });

  it('created in Enswitch: NetSapiens shows it in the system domain; Wavix never sees it', async () => {
    const made = await en.call('create', {
      name: 'enswitch → all',
      type: 'sip',
      destination: 'gw1.cross.example:5070,gw2.cross.example',
      description: 'enswitch carrier',
      username: 'cross-user',
      password: 'cross-pass',
      outmaximum: 12,
    });
    assert.equal(made.code, '200', made.raw);
    const id = made.data.id as number;
    const c = await byId(id);
    const row = await nsRow(c);
    assert.equal(row.domain, '*');
    assert.equal(row.description, 'enswitch carrier');
    assert.equal(row['connection-orig-match-pattern'], 'sip*@gw1.cross.example:5070');
    assert.equal(row['connection-address'], 'gw1.cross.example:5070', 'the first destination');
    assert.equal(row['connection-sip-registration-username'], 'cross-user');
    assert.equal(row['connection-sip-registration-password'], 'cross-pass');
    assert.equal(row['connection-sip-authenticate-as-client-enabled'], 'yes');
    assert.equal(String(row['limits-max-active-calls-term']), '12');
    assert.equal(row['connection-orig-enabled'], 'yes');
    assert.equal(row['connection-term-enabled'], 'yes');
    assert.equal((await wx.get(`/trunks/${id}`)).status, 404, 'not a trunk of the Wavix account');

    // A type the SIP edge cannot carry: stored, listed by NetSapiens too, with origination and termination off.
    const pri = await en.call('create', { name: 'pri', type: 'dahdi', channel_group: 4 });
    assert.equal(pri.code, '200', pri.raw);
    const priRow = await nsRow(await byId(pri.data.id));
    assert.equal(priRow['connection-orig-enabled'], 'no');
    assert.equal(priRow['connection-term-enabled'], 'no');
    assert.match(priRow['connection-orig-match-pattern']!, /@dahdi\.enswitch\.invalid$/);
    const listed = ((await en.call('list')).data as { id: number; routable: number }[]).find((p) => p.id === pri.data.id);
    assert.equal(listed?.routable, 0);

    // NetSapiens changes to mapped fields show in the Enswitch view; ext-only parameters are kept.
    const put = await ns.put(nsPath(c), {
      description: 'renamed by netsapiens',
      'connection-address': 'gw9.cross.example',
      'connection-sip-registration-username': 'ns-user',
      'limits-max-active-calls-term': 3,
    });
    assert.equal(put.status, 202, put.raw);
    const peer = (await en.call('get', { id })).data as Record<string, string | number>;
    assert.equal(peer.description, 'renamed by netsapiens');
    assert.equal(peer.destination, 'gw9.cross.example,gw2.cross.example');
    assert.equal(peer.username, 'ns-user');
    assert.equal(peer.outmaximum, 3);
    assert.equal(peer.name, 'enswitch → all');
    const off = await ns.put(nsPath(await byId(id)), { 'connection-term-enabled': 'no' });
    assert.equal(off.status, 202, off.raw);
    assert.equal(((await en.call('get', { id })).data as { routable: number }).routable, 0, 'termination off in NetSapiens: not routable');
    await enswitch.delete(id);
    await enswitch.delete(pri.data.id);
  });

  it('updated in NetSapiens: the Wavix view shows every mapped change; a Wavix PUT then keeps what Wavix cannot express', async () => {
    const r = await wx.post('/trunks', trunkBody({ label: 'before ns', call_recording_enabled: false, encrypted_media: false }));
    assert.equal(r.status, 201, r.raw);
    const id = r.body.id as number;
    const put = await ns.put(nsPath(await byId(id)), {
      description: 'after ns',
      'limits-max-active-calls-orig': 9,
      'connection-record-all-calls-enabled': 'yes',
      'connection-require-encrypted-audio-enabled': 'yes',
      'connection-sip-transport-protocol': 'TCP',
      'limits-max-active-calls-term': 4,
    });
    assert.equal(put.status, 202, put.raw);
    const got = (await wx.get(`/trunks/${id}`)).body;
    assert.equal(got.label, 'after ns');
    assert.equal(got.channels_restrict, true);
    assert.equal(got.max_channels, 9);
    assert.equal(got.call_recording_enabled, true);
    assert.equal(got.encrypted_media, true);
    assert.equal(got.name, r.body.name, 'the login never changes');
    const summary = (await wx.get('/trunks?per_page=100')).body.sip_trunks.find((s: { id: number }) => s.id === id);
    assert.equal(summary.label, 'after ns');

    // "optional" has no Wavix value: it reads as false.
    assert.equal((await ns.put(nsPath(await byId(id)), { 'connection-require-encrypted-audio-enabled': 'optional' })).status, 202);
    assert.equal((await wx.get(`/trunks/${id}`)).body.encrypted_media, false);

    // A Wavix PUT replaces what Wavix knows and leaves the rest (transport, the termination limit).
    assert.equal((await wx.put(`/trunks/${id}`, trunkBody({ label: 'wavix again' }))).status, 200);
    const c = await byId(id);
    assert.equal(c.description, 'wavix again');
    assert.equal(c.maxCallsOrig, null, 'channels_restrict false in the PUT');
    assert.equal(c.requireEncryptedAudio, 'yes', 'encrypted_media true in the PUT');
    assert.equal(c.transport, 'TCP');
    assert.equal(c.maxCallsTerm, 4);
    await wavix.delete(id);
  });
});
