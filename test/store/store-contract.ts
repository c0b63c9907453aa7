/**
 * The store contract: one suite, registered once per backend (`sqlite-store.test.ts`,
 * `postgres-store.test.ts`). Every test opens its own empty database (a new SQLite file or a new
 * PostgreSQL schema) through `openStore`, exactly as the server does.
 *
 * Not a `.test.ts` file on purpose: `npm test` runs it through the backend files only.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  CONNECTION_FIELDS,
  CONNECTION_SETTING_KEYS,
  EMPTY_LIVE,
  TrunklineError,
  buildNewConnection,
  type ApiKeyRecord,
  type Connection,
  type ConnectionSettings,
  type ErrorKind,
  type CallRecord,
  type LoginRecord,
  type NewConnection,
} from '../../src/model/index.js';
import { buildDialRule, buildPermission, dialRuleId, type DialRule } from '../../src/model/dialplan/index.js';
import { openStore, type OpenStoreOptions } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export interface StoreHarness {
  /** `openStore` options for a new, empty database that no other test uses. */
  newLocation(): Promise<OpenStoreOptions>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export async function expectKind(promise: Promise<unknown>, kind: ErrorKind, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TrunklineError, `expected a TrunklineError, got ${String(err)}`);
    assert.equal(err.kind, kind, `expected ${kind}, got ${err.kind}: ${err.message}`);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

export function conn(
  domain: string,
  origMatchPattern: string,
  patch: Record<string, unknown> = {},
  ext: NewConnection['ext'] = {},
): NewConnection {
  return buildNewConnection({ domain, origMatchPattern, createdBy: 'netsapiens', ext }, patch);
}

/** A value for every catalog field that differs from its default, so a swapped or dropped column shows. */
export function everyFieldNonDefault(): ConnectionSettings {
  const out: Record<string, unknown> = {};
  for (const key of CONNECTION_SETTING_KEYS) {
    const spec = CONNECTION_FIELDS[key];
    switch (spec.kind) {
      case 'string':
        out[key] = `${key} ü'"\\ %_`.slice(0, Math.max(spec.maxLength, 1));
        break;
      case 'bool':
        out[key] = !spec.default;
        break;
      case 'enum':
        out[key] = spec.values.find((v) => v !== spec.default);
        break;
      case 'int':
        out[key] = Math.min(spec.max, 7 + key.length);
        break;
      case 'json':
        out[key] = { routes: [[1, 'a', null, true], [], [[{ deep: [0.5, -3] }]]], label: 'é', empty: {} };
        break;
    }
  }
  return out as unknown as ConnectionSettings;
}

const WAVIX_EXT: NonNullable<NewConnection['ext']['wavix']> = {
  callerid: null,
  multipleNumbers: true,
  allowedIps: [
    { id: 1, ip: '10.0.0.1' },
    { id: 2, ip: '10.0.0.2' },
  ],
  hostRequest: { host: 'pbx.example', status: 'pending' },
  didinfoEnabled: false,
  callRestrict: true,
  callLimit: null,
  costLimit: false,
  maxCallCost: '0.0150',
  channelsRestrict: true,
  maxChannels: 20,
  rewriteEnabled: false,
  rewritePrefix: '',
  rewriteCond: '',
  machineDetectionEnabled: false,
  transcriptionEnabled: true,
  transcriptionThreshold: 30,
  passthrough: false,
};

const ENSWITCH_EXT: NonNullable<NewConnection['ext']['enswitch']> = {
  name: 'carrier-a',
  type: 'sip',
  calledPrefix: '',
  calledStripHash: false,
  callerid: '',
  calleridUnknown: '',
  calleridWithheld: '',
  channelGroup: 0,
  charge: true,
  codecs: ['ulaw', 'alaw'],
  context: 'default',
  costs: false,
  currency: 'USD',
  customer: 12,
  dialplanCalled: '',
  dialplanCaller: '',
  dtmfmode: 'rfc2833',
  failPercent: 0,
  planCustomer: 0,
  proxy: '',
  sendAssertedIdentity: true,
  sendPrivacy: false,
  sendRpid: false,
  urlCosts: '',
};

function apiKey(keyId: string, patch: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId,
    keyHash: `hash-${keyId}`,
    dialect: 'netsapiens',
    scope: 'Office Manager',
    domain: 'acme',
    reseller: 'r1',
    user: '',
    description: `key ${keyId}`,
    readonly: false,
    canCreateKeys: false,
    ipAddress: '',
    allowedModels: '',
    createdAt: '2025-01-01T00:00:00.000Z',
    lastUsedAt: null,
    ...patch,
  };
}

export function storeContract(label: string, harness: StoreHarness, options: { skip?: string } = {}): void {
  const skip = options.skip;
  const opened: Store[] = [];

  async function open(location?: OpenStoreOptions): Promise<{ store: Store; location: OpenStoreOptions }> {
    const where = location ?? (await harness.newLocation());
    const store = await openStore(where);
    opened.push(store);
    return { store, location: where };
  }
  async function fresh(): Promise<Store> {
    return (await open()).store;
  }
  /** A store with tenants acme (reseller r1), beta (r1), gamma (r2). */
  async function seeded(): Promise<Store> {
    const store = await fresh();
    await store.createTenant({ name: 'acme', reseller: 'r1', description: 'Acme', attributes: {} });
    await store.createTenant({ name: 'beta', reseller: 'r1', description: 'Beta', attributes: {} });
    await store.createTenant({ name: 'gamma', reseller: 'r2', description: 'Gamma', attributes: {} });
    return store;
  }

  describe(`store contract: ${label}`, () => {
    afterEach(async () => {
      const stores = opened.splice(0);
      for (const s of stores) await s.close();
    });

    describe('call records', () => {
      const record = (n: number, over: Partial<CallRecord> = {}): CallRecord => ({
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        domain: 'acme',
        origConnectionId: 1,
        termConnectionId: 2,
        termDomain: '*',
        orig: { callId: `orig-${n}`, requestUri: 'sip:100@edge', fromUri: 'sip:a@x', toUri: 'sip:100@edge', ip: '192.0.2.1' },
        term: { callId: `term-${n}`, requestUri: 'sip:+1100@carrier', fromUri: 'sip:a@trunkline', toUri: 'sip:+1100@carrier', ip: '198.51.100.2' },
        startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        ringingAt: null,
        answeredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n + 1)).toISOString(),
        endedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, n)).toISOString(),
        durationSeconds: 60,
        talkSeconds: 59,
        disposition: 'answered',
        status: 200,
        reason: 'BYE from caller',
        endedBy: 'caller',
        ...over,
      });

      it('are stored whole, listed newest first with paging, filtered and counted', { skip }, async () => {
        const store = await fresh();
        await store.insertCallRecords([record(1), record(2), record(3, { domain: 'beta', origConnectionId: 7, termConnectionId: null, term: null })]);
        const all = await store.listCallRecords({});
        assert.deepEqual(all.map((r) => r.id.slice(-1)), ['3', '2', '1']);
        assert.deepEqual(all[1], record(2));
        assert.equal((await store.listCallRecords({ domain: 'acme' })).length, 2);
        assert.equal((await store.listCallRecords({ domains: ['beta'] })).length, 1);
        assert.equal((await store.listCallRecords({ domains: [] })).length, 0);
        assert.deepEqual((await store.listCallRecords({ start: 1, limit: 1 })).map((r) => r.id), [record(2).id]);
        assert.deepEqual((await store.listCallRecords({ connectionId: 7 })).map((r) => r.id), [record(3).id]);
        assert.deepEqual((await store.listCallRecords({ callId: 'term-1' })).map((r) => r.id), [record(1).id]);
        const from = new Date(Date.UTC(2026, 0, 1, 0, 0, 2)).toISOString();
        assert.deepEqual((await store.listCallRecords({ from })).map((r) => r.id.slice(-1)), ['3', '2']);
        assert.deepEqual((await store.listCallRecords({ to: from })).map((r) => r.id.slice(-1)), ['1']);
        assert.deepEqual(await store.countCallRecords({ domain: 'acme' }), { total: 2, talkSeconds: 118 });
        assert.deepEqual(await store.countCallRecords({ domain: 'nobody' }), { total: 0, talkSeconds: 0 });
      });

      it('a batch is all or nothing', { skip }, async () => {
        const store = await fresh();
        await store.insertCallRecords([record(1)]);
        await expectKind(store.insertCallRecords([record(2), record(1)]), 'CONFLICT');
        assert.deepEqual((await store.listCallRecords({})).map((r) => r.id), [record(1).id]);
        const many = Array.from({ length: 1000 }, (_, i) => record(100 + i));
        await store.insertCallRecords(many);
        assert.equal((await store.countCallRecords({})).total, 1001);
      });
    });

    describe('migrations', () => {
      it('are idempotent: reopening and re-running keep the schema and the data', { skip }, async () => {
        const { store, location } = await open();
        await store.createTenant({ name: 'acme', reseller: 'r1', description: 'x', attributes: { k: 1 } });
        await store.close();
        const again = (await open(location)).store;
        await again.migrate();
        await again.migrate();
        assert.deepEqual((await again.getTenant('acme'))?.attributes, { k: 1 });
        assert.equal(await again.countTenants({}), 1);
      });

      it('survive concurrent opens of a new database', { skip }, async () => {
        const location = await harness.newLocation();
        const stores = await Promise.all([1, 2, 3, 4, 5].map(() => open(location).then((o) => o.store)));
        await Promise.all(
          stores.map((s, i) => s.createTenant({ name: `t${i}`, reseller: '', description: '', attributes: {} })),
        );
        for (const s of stores) assert.equal(await s.countTenants({}), 5);
      });
    });

    describe('tenants', () => {
      it('create, get, update, delete round-trip', { skip }, async () => {
        const store = await fresh();
        const created = await store.createTenant({
          name: 'acme',
          reseller: 'r1',
          description: 'Acme Inc',
          attributes: { moh: 'yes', nested: { list: [1, 2, { x: null }] } },
        });
        assert.match(created.createdAt, ISO);
        assert.deepEqual(await store.getTenant('acme'), created);
        assert.equal(await store.getTenant('nope'), undefined);

        const updated = await store.updateTenant('acme', { description: 'Acme LLC', attributes: { moh: 'no' } });
        assert.deepEqual(updated, { ...created, description: 'Acme LLC', attributes: { moh: 'no' } });
        assert.deepEqual(await store.getTenant('acme'), updated);
        assert.deepEqual(await store.updateTenant('acme', {}), updated);
        assert.deepEqual(await store.updateTenant('acme', { reseller: 'r9' }), { ...updated, reseller: 'r9' });
        assert.equal(await store.updateTenant('nope', { description: 'x' }), undefined);

        assert.equal(await store.deleteTenant('acme'), true);
        assert.equal(await store.deleteTenant('acme'), false);
        assert.equal(await store.getTenant('acme'), undefined);
      });

      it('refuses a duplicate name (CONFLICT) and the reserved "*"', { skip }, async () => {
        const store = await fresh();
        await store.createTenant({ name: 'acme', reseller: '', description: '', attributes: {} });
        await expectKind(
          store.createTenant({ name: 'acme', reseller: 'other', description: '', attributes: {} }),
          'CONFLICT',
          /acme/,
        );
        await expectKind(store.createTenant({ name: '*', reseller: '', description: '', attributes: {} }), 'VALIDATION');
        assert.equal((await store.getTenant('acme'))?.reseller, '');
      });

      it('lists by name with reseller / names filters, counts and pages', { skip }, async () => {
        const store = await fresh();
        for (const [name, reseller] of [
          ['delta', 'r2'],
          ['alpha', 'r1'],
          ['Zulu', 'r1'],
          ['charlie', 'r1'],
          ['bravo', 'r2'],
        ] as const) {
          await store.createTenant({ name, reseller, description: '', attributes: {} });
        }
        const names = async (f: Parameters<Store['listTenants']>[0]) => (await store.listTenants(f)).map((t) => t.name);
        // Byte order on both backends: upper case sorts before lower case.
        assert.deepEqual(await names({}), ['Zulu', 'alpha', 'bravo', 'charlie', 'delta']);
        assert.deepEqual(await names({ reseller: 'r1' }), ['Zulu', 'alpha', 'charlie']);
        assert.deepEqual(await names({ names: ['delta', 'alpha', 'missing'] }), ['alpha', 'delta']);
        assert.deepEqual(await names({ names: [] }), []);
        assert.deepEqual(await names({ reseller: 'r2', names: ['delta', 'alpha'] }), ['delta']);
        assert.deepEqual(await names({ start: 1, limit: 2 }), ['alpha', 'bravo']);
        assert.deepEqual(await names({ start: 4, limit: 10 }), ['delta']);
        assert.deepEqual(await names({ start: 5 }), []);
        assert.deepEqual(await names({ limit: 0 }), []);
        assert.deepEqual(await names({ start: -3, limit: 1 }), ['Zulu']);
        assert.equal(await store.countTenants({}), 5);
        assert.equal(await store.countTenants({ reseller: 'r2' }), 2);
        assert.equal(await store.countTenants({ names: ['alpha', 'Zulu', 'x'] }), 2);
        assert.equal(await store.countTenants({ names: [] }), 0);
        assert.equal(await store.countTenants({ start: 3, limit: 1 }), 5, 'count ignores paging');
      });

      it('deleteTenant refuses (CONFLICT) while the tenant has connections', { skip }, async () => {
        const store = await seeded();
        const c = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        await expectKind(store.deleteTenant('acme'), 'CONFLICT', /acme/);
        assert.ok(await store.getTenant('acme'));
        assert.ok(await store.getConnectionById(c.id));
        assert.equal(await store.deleteConnection(c.id), true);
        assert.equal(await store.deleteTenant('acme'), true);
      });
    });

    describe('connections', () => {
      it('round-trips every settings field with its type', { skip }, async () => {
        const store = await seeded();
        const settings = everyFieldNonDefault();
        const input: NewConnection = {
          ...settings,
          domain: 'acme',
          origMatchPattern: 'sip*@carrier.example',
          createdBy: 'wavix',
          ext: { wavix: WAVIX_EXT },
        };
        const created = await store.createConnection(input);
        assert.ok(Number.isInteger(created.id) && created.id > 0);
        assert.match(created.createdAt, ISO);
        assert.equal(created.lastModified, created.createdAt);
        const { id, createdAt, lastModified, ...rest } = created;
        assert.deepEqual(rest, input);
        for (const key of CONNECTION_SETTING_KEYS) {
          const spec = CONNECTION_FIELDS[key];
          const v = created[key];
          if (spec.kind === 'bool') assert.equal(typeof v, 'boolean', key);
          if (spec.kind === 'int') assert.equal(typeof v, 'number', key);
          if (spec.kind === 'string' || spec.kind === 'enum') assert.equal(typeof v, 'string', key);
        }
        assert.deepEqual(await store.getConnection('acme', 'sip*@carrier.example'), created);
        assert.deepEqual(await store.getConnectionById(id), created);
        assert.deepEqual(await store.listConnections({}), [created]);
      });

      it('round-trips defaults: null and zero integers, default booleans, null and empty JSON', { skip }, async () => {
        const store = await seeded();
        const defaults = await store.createConnection(conn('acme', 'sip:1555*@10.0.0.1'));
        const got = await store.getConnectionById(defaults.id);
        assert.equal(got?.maxCallsOrig, null);
        assert.equal(got?.maxCallsTerm, null);
        assert.equal(got?.maxCallsTotal, null);
        assert.equal(got?.minimumCallDurationSeconds, 0);
        assert.equal(got?.origEnabled, true);
        assert.equal(got?.pcmuOnly, false);
        assert.equal(got?.callRouting, null);
        assert.deepEqual(got?.ext, {});
        assert.deepEqual(got, defaults);

        const zeros = await store.createConnection(
          conn('acme', 'sip:2*@10.0.0.1', { maxCallsOrig: 0, maxCallsTerm: 2_147_483_647, callRouting: [] }),
        );
        const z = await store.getConnectionById(zeros.id);
        assert.equal(z?.maxCallsOrig, 0);
        assert.equal(z?.maxCallsTerm, 2_147_483_647);
        assert.deepEqual(z?.callRouting, []);
        const strings = await store.createConnection(conn('acme', 'sip:3*@10.0.0.1', { callRouting: 'a string' }));
        assert.equal((await store.getConnectionById(strings.id))?.callRouting, 'a string');
        const nums = await store.createConnection(conn('acme', 'sip:4*@10.0.0.1', { callRouting: 42.5 }));
        assert.equal((await store.getConnectionById(nums.id))?.callRouting, 42.5);
      });

      it('round-trips both extensions', { skip }, async () => {
        const store = await seeded();
        const both = await store.createConnection(
          conn('acme', 'sip*@pbx.example', {}, { wavix: WAVIX_EXT, enswitch: ENSWITCH_EXT }),
        );
        assert.deepEqual((await store.getConnectionById(both.id))?.ext, { wavix: WAVIX_EXT, enswitch: ENSWITCH_EXT });
      });

      it('system-wide (*) connections need no tenant; other domains must exist (NOT_FOUND)', { skip }, async () => {
        const store = await fresh();
        const sys = await store.createConnection(conn('*', 'sip*@carrier.example'));
        assert.equal(sys.domain, '*');
        assert.deepEqual(await store.getConnection('*', 'sip*@carrier.example'), sys);
        await expectKind(store.createConnection(conn('nowhere', 'sip*@10.0.0.1')), 'NOT_FOUND', /Domain nowhere not found/);
        assert.equal(await store.countConnections({}), 1);
      });

      it('refuses a duplicate (domain, orig pattern) with CONFLICT; the same pattern elsewhere is fine', { skip }, async () => {
        const store = await seeded();
        const first = await store.createConnection(conn('acme', 'sip*@10.0.0.1', { description: 'first' }));
        await expectKind(store.createConnection(conn('acme', 'sip*@10.0.0.1', { description: 'second' })), 'CONFLICT');
        const other = await store.createConnection(conn('beta', 'sip*@10.0.0.1'));
        assert.notEqual(other.id, first.id);
        assert.equal((await store.getConnection('acme', 'sip*@10.0.0.1'))?.description, 'first');
        assert.equal(await store.countConnections({}), 2);
      });

      it('concurrent creates of one identity: exactly one wins, the rest get CONFLICT', { skip }, async () => {
        const store = await seeded();
        const results = await Promise.allSettled(
          [1, 2, 3, 4, 5, 6].map((n) => store.createConnection(conn('acme', 'sip*@10.9.9.9', { description: `n${n}` }))),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1);
        for (const r of lost) assert.equal((r.reason as TrunklineError).kind, 'CONFLICT');
        assert.equal(await store.countConnections({ domain: 'acme' }), 1);
      });

      it('finds nothing without throwing', { skip }, async () => {
        const store = await seeded();
        assert.equal(await store.getConnection('acme', 'sip*@nowhere'), undefined);
        assert.equal(await store.getConnectionById(424242), undefined);
        assert.equal(await store.deleteConnection(424242), false);
        assert.equal(await store.updateConnection(424242, () => assert.fail('update must not be called')), undefined);
      });

      it('ids are never reused after a delete', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip:1@10.0.0.1'));
        const b = await store.createConnection(conn('acme', 'sip:2@10.0.0.1'));
        assert.equal(await store.deleteConnection(b.id), true);
        const c = await store.createConnection(conn('acme', 'sip:3@10.0.0.1'));
        assert.ok(c.id > b.id && b.id > a.id);
      });

      it('lists by domain then orig pattern, with filters, counts and pages', { skip }, async () => {
        const store = await seeded();
        const made: Connection[] = [];
        made.push(await store.createConnection(conn('gamma', 'sip*@g.example', { termMatchPattern: 'sip*@shared.example' })));
        made.push(await store.createConnection(conn('acme', 'sip:b*@a.example', {}, { wavix: WAVIX_EXT })));
        made.push(await store.createConnection(conn('acme', 'sip:B*@a.example', { termMatchPattern: 'sip*@shared.example' })));
        made.push(await store.createConnection(conn('beta', 'sip*@b.example', {}, { enswitch: ENSWITCH_EXT })));
        made.push(await store.createConnection(conn('*', 'sip*@carrier.example', {}, { wavix: WAVIX_EXT })));
        made.push(await store.createConnection(conn('acme', 'sip:a*@a.example', { termMatchPattern: 'sip*@shared.example' })));
        const key = (c: Connection) => `${c.domain}|${c.origMatchPattern}`;
        const list = async (f: Parameters<Store['listConnections']>[0]) => (await store.listConnections(f)).map(key);

        assert.deepEqual(await list({}), [
          '*|sip*@carrier.example',
          'acme|sip:B*@a.example',
          'acme|sip:a*@a.example',
          'acme|sip:b*@a.example',
          'beta|sip*@b.example',
          'gamma|sip*@g.example',
        ]);
        assert.deepEqual(await list({ domain: 'acme' }), ['acme|sip:B*@a.example', 'acme|sip:a*@a.example', 'acme|sip:b*@a.example']);
        assert.deepEqual(await list({ domain: 'nope' }), []);
        assert.deepEqual(await list({ reseller: 'r1' }), [
          'acme|sip:B*@a.example',
          'acme|sip:a*@a.example',
          'acme|sip:b*@a.example',
          'beta|sip*@b.example',
        ]);
        assert.deepEqual(await list({ reseller: 'r2' }), ['gamma|sip*@g.example']);
        assert.deepEqual(await list({ reseller: 'r1', domain: 'beta' }), ['beta|sip*@b.example']);
        assert.deepEqual(await list({ termMatchPattern: 'sip*@shared.example' }), [
          'acme|sip:B*@a.example',
          'acme|sip:a*@a.example',
          'gamma|sip*@g.example',
        ]);
        assert.deepEqual(await list({ termMatchPattern: 'sip*@shared.example', reseller: 'r2' }), ['gamma|sip*@g.example']);
        assert.deepEqual(await list({ hasExtension: 'wavix' }), ['*|sip*@carrier.example', 'acme|sip:b*@a.example']);
        assert.deepEqual(await list({ hasExtension: 'enswitch' }), ['beta|sip*@b.example']);
        assert.deepEqual(await list({ hasExtension: 'wavix', domain: 'acme' }), ['acme|sip:b*@a.example']);
        assert.deepEqual(await list({ start: 2, limit: 2 }), ['acme|sip:a*@a.example', 'acme|sip:b*@a.example']);
        assert.deepEqual(await list({ start: 5, limit: 100_000 }), ['gamma|sip*@g.example']);
        assert.deepEqual(await list({ limit: 0 }), []);

        assert.equal(await store.countConnections({}), 6);
        assert.equal(await store.countConnections({ reseller: 'r1' }), 4);
        assert.equal(await store.countConnections({ domain: 'acme', hasExtension: 'wavix' }), 1);
        assert.equal(await store.countConnections({ termMatchPattern: 'sip*@shared.example' }), 3);
        assert.equal(await store.countConnections({ start: 1, limit: 1 }), 6, 'count ignores paging');

        const full = await store.listConnections({ domain: 'gamma' });
        assert.deepEqual(full, [made[0]]);
        await expectKind(store.listConnections({ hasExtension: 'other' as 'wavix' }), 'VALIDATION');
      });

      it('updateConnection writes the result in one transaction and bumps lastModified', { skip }, async () => {
        const store = await seeded();
        const created = await store.createConnection(conn('acme', 'sip*@10.0.0.1', { maxCallsOrig: 5 }, { wavix: WAVIX_EXT }));
        await new Promise((r) => setTimeout(r, 5));
        let seen: Connection | undefined;
        const updated = await store.updateConnection(created.id, (current) => {
          seen = current;
          return {
            ...current,
            description: 'changed',
            maxCallsOrig: null,
            pcmuOnly: true,
            callRouting: [[1]],
            createdBy: 'enswitch', // ignored: a creation fact
            ext: { ...current.ext, enswitch: ENSWITCH_EXT },
          };
        });
        assert.deepEqual(seen, created);
        assert.ok(updated);
        assert.equal(updated.id, created.id);
        assert.equal(updated.createdAt, created.createdAt);
        assert.equal(updated.createdBy, 'netsapiens');
        assert.ok(updated.lastModified > created.lastModified, `${updated.lastModified} > ${created.lastModified}`);
        assert.equal(updated.description, 'changed');
        assert.equal(updated.maxCallsOrig, null);
        assert.equal(updated.pcmuOnly, true);
        assert.deepEqual(updated.callRouting, [[1]]);
        assert.deepEqual(updated.ext, { wavix: WAVIX_EXT, enswitch: ENSWITCH_EXT });
        assert.deepEqual(await store.getConnectionById(created.id), updated);
        assert.deepEqual(await store.getConnection('acme', 'sip*@10.0.0.1'), updated);
      });

      it('updateConnection writes nothing when update throws, and rethrows that very error', { skip }, async () => {
        const store = await seeded();
        const created = await store.createConnection(conn('acme', 'sip*@10.0.0.1', { description: 'before' }));
        const boom = new TrunklineError('VALIDATION', 'maxCallsOrig: nope', { field: 'maxCallsOrig' });
        let concurrentRead: Promise<Connection | undefined> | undefined;
        await assert.rejects(
          store.updateConnection(created.id, () => {
            // A reader racing the transaction must never see what is about to be rolled back.
            concurrentRead = store.getConnectionById(created.id);
            throw boom;
          }),
          (err) => err === boom,
        );
        assert.deepEqual(await concurrentRead, created);
        assert.deepEqual(await store.getConnectionById(created.id), created);

        const plain = new Error('not a TrunklineError');
        await assert.rejects(store.updateConnection(created.id, () => { throw plain; }), (err) => err === plain);
        // A result the store cannot encode (wrong type) is refused before anything is written.
        await expectKind(
          store.updateConnection(created.id, (c) => ({ ...c, description: 'after', pcmuOnly: 'yes' as unknown as boolean })),
          'VALIDATION',
        );
        assert.deepEqual(await store.getConnectionById(created.id), created);
      });

      it('concurrent creates each get their own outcome: failures do not take the others down', { skip }, async () => {
        const store = await seeded();
        const existing = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        const v0 = await store.connectionsVersion();
        const attempts = [
          ...Array.from({ length: 30 }, (_, i) => conn(i % 2 === 0 ? 'acme' : 'beta', `sip*@10.1.0.${i}`)),
          conn('acme', 'sip*@10.0.0.1'), // duplicate of a stored connection
          conn('acme', 'sip*@10.1.0.0'), // duplicate of one in the same burst
          conn('nowhere', 'sip*@10.1.0.99'), // missing tenant
          conn('*', 'sip*@carrier.example'),
        ];
        const results = await Promise.allSettled(attempts.map((c) => store.createConnection(c)));
        const ok = results.filter((r): r is PromiseFulfilledResult<Connection> => r.status === 'fulfilled').map((r) => r.value);
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as TrunklineError);
        assert.equal(ok.length, 31, 'the 30 new ones and the system-wide one');
        assert.deepEqual(failed.map((e) => e.kind).sort(), ['CONFLICT', 'CONFLICT', 'NOT_FOUND']);
        assert.equal(new Set(ok.map((c) => c.id)).size, 31);
        for (const c of ok) assert.deepEqual(await store.getConnectionById(c.id), c);
        assert.equal(await store.countConnections({}), 32);
        assert.deepEqual(await store.getConnectionById(existing.id), existing);
        assert.notEqual(await store.connectionsVersion(), v0);
      });

      it('a create or joined read racing a transaction that rolls back is neither lost nor dirty', { skip }, async () => {
        const store = await seeded();
        const created = await store.createConnection(conn('acme', 'sip*@10.0.0.1', { description: 'before' }));
        let racingCreate: Promise<Connection> | undefined;
        let moreCreates: Promise<Connection[]> | undefined;
        let racingRead: ReturnType<Store['getConnectionWithLive']> | undefined;
        const boom = new Error('roll back');
        await assert.rejects(
          store.updateConnection(created.id, () => {
            // Issued while the update's transaction is open: the creates must not join (and die with) it.
            racingCreate = store.createConnection(conn('acme', 'sip*@10.0.0.2'));
            moreCreates = Promise.all([3, 4, 5].map((i) => store.createConnection(conn('acme', `sip*@10.0.0.${i}`))));
            racingRead = store.getConnectionWithLive('acme', 'sip*@10.0.0.1');
            throw boom;
          }),
          (err) => err === boom,
        );
        const other = await racingCreate;
        assert.ok(other !== undefined);
        assert.deepEqual(await racingRead, { connection: created, live: EMPTY_LIVE });
        assert.deepEqual(await store.getConnectionById(other.id), other);
        assert.equal((await moreCreates)?.length, 3);
        assert.equal(await store.countConnections({ domain: 'acme' }), 5);
      });

      it('updateConnection may move the identity; collisions are CONFLICT, unknown domains NOT_FOUND', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip:a*@10.0.0.1'));
        const b = await store.createConnection(conn('acme', 'sip:b*@10.0.0.1'));
        await expectKind(store.updateConnection(b.id, (c) => ({ ...c, origMatchPattern: 'sip:a*@10.0.0.1' })), 'CONFLICT');
        await expectKind(store.updateConnection(b.id, (c) => ({ ...c, domain: 'nowhere' })), 'NOT_FOUND', /nowhere/);
        assert.deepEqual(await store.getConnectionById(b.id), b);
        const moved = await store.updateConnection(b.id, (c) => ({ ...c, domain: 'beta' }));
        assert.equal(moved?.domain, 'beta');
        assert.equal(await store.getConnection('acme', 'sip:b*@10.0.0.1'), undefined);
        assert.deepEqual(await store.getConnection('beta', 'sip:b*@10.0.0.1'), moved);
        const toSystem = await store.updateConnection(a.id, (c) => ({ ...c, domain: '*' }));
        assert.equal(toSystem?.domain, '*');
        assert.equal(await store.deleteTenant('acme'), true, 'acme has no connections left');
      });

      it('concurrent read-modify-writes lose no update', { skip }, async () => {
        const store = await seeded();
        const created = await store.createConnection(conn('acme', 'sip*@10.0.0.1', { minimumCallDurationSeconds: 0 }));
        await Promise.all(
          Array.from({ length: 12 }, () =>
            store.updateConnection(created.id, (c) => ({ ...c, minimumCallDurationSeconds: c.minimumCallDurationSeconds + 1 })),
          ),
        );
        assert.equal((await store.getConnectionById(created.id))?.minimumCallDurationSeconds, 12);
      });

      it('deleteConnection removes the record and cascades to live figures and registrations', { skip }, async () => {
        const store = await seeded();
        const c = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        const keep = await store.createConnection(conn('acme', 'sip*@10.0.0.2'));
        await store.saveLive(c.id, { activeOrig: 2 });
        await store.saveLive(keep.id, { activeOrig: 1 });
        const later = new Date(Date.now() + 3_600_000).toISOString();
        await store.putRegistration({
          connectionId: c.id,
          contact: 'sip:pbx@10.0.0.1',
          sourceAddress: '10.0.0.1',
          sourcePort: 5060,
          transport: 'UDP',
          registeredAt: new Date().toISOString(),
          expiresAt: later,
        });
        assert.equal(await store.deleteConnection(c.id), true);
        assert.equal(await store.getConnectionById(c.id), undefined);
        assert.equal(await store.getConnection('acme', 'sip*@10.0.0.1'), undefined);
        const live = await store.getLive([c.id, keep.id]);
        assert.equal(live.has(c.id), false);
        assert.equal(live.get(keep.id)?.activeOrig, 1);
        assert.deepEqual(await store.listRegistrations(c.id, new Date()), []);
        assert.equal(await store.purgeExpiredRegistrations(new Date(Date.now() + 7_200_000)), 0, 'the binding went with the connection');
      });
    });

    describe('connectionsVersion', () => {
      it('changes after every connection create, update and delete, never after a read or a rejected write', { skip }, async () => {
        const store = await seeded();
        const v0 = await store.connectionsVersion();
        assert.equal(typeof v0, 'string');
        assert.equal(await store.connectionsVersion(), v0, 'stable while nothing is written');
        const seen = new Set([v0]);
        const changed = async (what: string): Promise<string> => {
          const v = await store.connectionsVersion();
          assert.ok(!seen.has(v), `${what} must change the version (got ${v} again)`);
          seen.add(v);
          return v;
        };
        const unchanged = async (what: string, expected: string): Promise<void> => {
          assert.equal(await store.connectionsVersion(), expected, `${what} must not change the version`);
        };

        const a = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        let v = await changed('create');
        await store.getConnection('acme', 'sip*@10.0.0.1');
        await store.getConnectionById(a.id);
        await store.listConnections({});
        await store.countConnections({ domain: 'acme' });
        await store.withLive([a]);
        await unchanged('reads', v);

        await expectKind(store.createConnection(conn('acme', 'sip*@10.0.0.1')), 'CONFLICT');
        await unchanged('a duplicate create', v);
        await expectKind(store.createConnection(conn('nowhere', 'sip*@10.0.0.1')), 'NOT_FOUND');
        await unchanged('a create in a missing domain', v);
        await assert.rejects(
          store.updateConnection(a.id, () => {
            throw new Error('refused by the caller');
          }),
          /refused by the caller/,
        );
        await unchanged('an update whose callback throws', v);
        const b = await store.createConnection(conn('acme', 'sip*@10.0.0.2'));
        v = await changed('a second create');
        await expectKind(store.updateConnection(b.id, (c) => ({ ...c, origMatchPattern: a.origMatchPattern })), 'CONFLICT');
        await unchanged('an update to a taken identity', v);
        await expectKind(store.updateConnection(b.id, (c) => ({ ...c, domain: 'nowhere' })), 'NOT_FOUND');
        await unchanged('an update to a missing domain', v);
        assert.equal(await store.updateConnection(999_999, (c) => c), undefined);
        assert.equal(await store.deleteConnection(999_999), false);
        await unchanged('an update or delete of a missing id', v);

        await store.saveLive(a.id, { activeOrig: 3 });
        await store.putRegistration({
          connectionId: a.id,
          contact: 'sip:pbx@10.0.0.1',
          sourceAddress: '10.0.0.1',
          sourcePort: 5060,
          transport: 'UDP',
          registeredAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        });
        await store.removeRegistration(a.id, 'sip:pbx@10.0.0.1');
        await store.updateTenant('acme', { description: 'changed' });
        await unchanged('live figures, registrations and tenant writes', v);

        await store.updateConnection(a.id, (c) => ({ ...c, description: 'changed' }));
        v = await changed('an update');
        await store.updateConnection(a.id, (c) => c);
        v = await changed('an update that keeps every setting (lastModified moves)');
        assert.equal(await store.deleteConnection(a.id), true);
        v = await changed('a delete');
        assert.equal(await store.deleteConnection(b.id), true);
        await changed('another delete');
      });

      it('is shared by every store open on the same database, and survives a reopen', { skip }, async () => {
        const { store, location } = await open();
        await store.createTenant({ name: 'acme', reseller: '', description: '', attributes: {} });
        const other = (await open(location)).store;
        const before = await other.connectionsVersion();
        assert.equal(await store.connectionsVersion(), before);
        await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        const after = await other.connectionsVersion();
        assert.notEqual(after, before, 'a write through one store shows in another');
        assert.equal(await store.connectionsVersion(), after);
        await store.close();
        await other.close();
        const again = (await open(location)).store;
        assert.equal(await again.connectionsVersion(), after, 'the version is stored, not per process');
        await again.createConnection(conn('acme', 'sip*@10.0.0.2'));
        assert.notEqual(await again.connectionsVersion(), after);
      });
    });

    describe('live figures', () => {
      it('saveLive upserts the given fields only; getLive and withLive read them', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        const b = await store.createConnection(conn('acme', 'sip*@10.0.0.2'));
        assert.equal((await store.getLive([a.id, b.id])).size, 0);
        assert.deepEqual(await store.withLive([a, b]), [
          { connection: a, live: EMPTY_LIVE },
          { connection: b, live: EMPTY_LIVE },
        ]);

        await store.saveLive(a.id, { activeOrig: 3, activeTerm: 1 });
        await store.saveLive(a.id, { talkTimeThisMonth: 5_000_000_000, registeredAt: '2025-03-01T10:00:00.000Z' });
        await store.saveLive(a.id, {});
        const expected = {
          ...EMPTY_LIVE,
          activeOrig: 3,
          activeTerm: 1,
          talkTimeThisMonth: 5_000_000_000,
          registeredAt: '2025-03-01T10:00:00.000Z',
        };
        const live = await store.getLive([a.id, a.id, b.id, 999_999]);
        assert.deepEqual([...live.keys()], [a.id]);
        assert.deepEqual(live.get(a.id), expected);

        await store.saveLive(a.id, {
          registeredAt: null,
          registrationExpiresAt: '2025-03-01T11:00:00.000Z',
          maxThisMonth: 9,
          maxLastMonth: 8,
          origSinceStartup: 100,
          termSinceStartup: 200,
        });
        const after = { ...expected, registeredAt: null, registrationExpiresAt: '2025-03-01T11:00:00.000Z', maxThisMonth: 9, maxLastMonth: 8, origSinceStartup: 100, termSinceStartup: 200 };
        assert.deepEqual((await store.getLive([a.id])).get(a.id), after);
        await store.saveLive(b.id, {});
        assert.deepEqual((await store.getLive([b.id])).get(b.id), EMPTY_LIVE);
        assert.deepEqual(await store.withLive([b, a]), [
          { connection: b, live: EMPTY_LIVE },
          { connection: a, live: after },
        ]);
        assert.deepEqual(await store.withLive([]), []);
      });

      it('saveLive for a missing connection is NOT_FOUND; bad counters are VALIDATION', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        await expectKind(store.saveLive(987_654, { activeOrig: 1 }), 'NOT_FOUND');
        await expectKind(store.saveLive(a.id, { activeOrig: -1 }), 'VALIDATION');
        await expectKind(store.saveLive(a.id, { activeOrig: 1.5 }), 'VALIDATION');
        assert.equal((await store.getLive([a.id])).size, 0);
      });

      it('getConnectionWithLive reads a connection and its live figures together', { skip }, async () => {
        const store = await seeded();
        const settings = everyFieldNonDefault();
        const a = await store.createConnection({
          ...settings,
          domain: 'acme',
          origMatchPattern: 'sip*@10.0.0.1',
          createdBy: 'wavix',
          ext: { wavix: WAVIX_EXT },
        });
        const b = await store.createConnection(conn('*', 'sip*@carrier.example'));
        const none = await store.getConnectionWithLive('acme', 'sip*@10.0.0.1');
        assert.deepEqual(none, { connection: a, live: EMPTY_LIVE });
        assert.notEqual(none?.live, EMPTY_LIVE, 'a copy, never the frozen constant');
        await store.saveLive(a.id, {
          activeOrig: 2,
          talkTimeThisMonth: 5_000_000_000,
          registeredAt: '2025-03-01T10:00:00.000Z',
          registrationExpiresAt: null,
        });
        const [viaGetLive] = await store.withLive([a]);
        assert.deepEqual(await store.getConnectionWithLive('acme', 'sip*@10.0.0.1'), viaGetLive);
        assert.equal(viaGetLive?.live.talkTimeThisMonth, 5_000_000_000);
        assert.deepEqual(await store.getConnectionWithLive('*', 'sip*@carrier.example'), { connection: b, live: EMPTY_LIVE });
        assert.equal(await store.getConnectionWithLive('acme', 'sip*@10.0.0.9'), undefined);
        assert.equal(await store.getConnectionWithLive('beta', 'sip*@10.0.0.1'), undefined);
      });

      it('getLive of one id: present, absent, not an integer', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        assert.equal((await store.getLive([a.id])).size, 0);
        await store.saveLive(a.id, { activeTerm: 2 });
        assert.deepEqual([...(await store.getLive([a.id])).entries()], [[a.id, { ...EMPTY_LIVE, activeTerm: 2 }]]);
        assert.equal((await store.getLive([a.id + 1])).size, 0);
        assert.equal((await store.getLive([1.5])).size, 0);
        assert.equal((await store.getLive([])).size, 0);
      });

      it('getLive handles more ids than one statement takes', { skip }, async () => {
        const store = await seeded();
        const a = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        await store.saveLive(a.id, { activeTerm: 4 });
        const ids = Array.from({ length: 1_500 }, (_, i) => i + 100_000);
        ids.push(a.id);
        const live = await store.getLive(ids);
        assert.equal(live.size, 1);
        assert.equal(live.get(a.id)?.activeTerm, 4);
      });
    });

    describe('registrations', () => {
      it('put upserts per (connection, contact); list hides expired; remove and purge delete', { skip }, async () => {
        const store = await seeded();
        const c = await store.createConnection(conn('acme', 'sip*@10.0.0.1'));
        const other = await store.createConnection(conn('acme', 'sip*@10.0.0.2'));
        const now = new Date('2025-06-01T12:00:00.000Z');
        const at = (s: number) => new Date(now.getTime() + s * 1000).toISOString();
        const bind = (connectionId: number, contact: string, expiresIn: number, port = 5060) => ({
          connectionId,
          contact,
          sourceAddress: '203.0.113.7',
          sourcePort: port,
          transport: 'UDP',
          registeredAt: at(-60),
          expiresAt: at(expiresIn),
        });
        await store.putRegistration(bind(c.id, 'sip:b@203.0.113.7:5060', 300));
        await store.putRegistration(bind(c.id, 'sip:a@203.0.113.7:5060', 300));
        await store.putRegistration(bind(c.id, 'sip:old@203.0.113.7:5060', -1));
        await store.putRegistration(bind(other.id, 'sip:x@198.51.100.1', 60));
        // Re-REGISTER from a new NAT port refreshes the binding instead of duplicating it.
        await store.putRegistration({ ...bind(c.id, 'sip:a@203.0.113.7:5060', 600, 40000), transport: 'TCP' });

        assert.deepEqual(await store.listRegistrations(c.id, now), [
          { ...bind(c.id, 'sip:a@203.0.113.7:5060', 600, 40000), transport: 'TCP' },
          bind(c.id, 'sip:b@203.0.113.7:5060', 300),
        ]);
        assert.deepEqual(await store.listRegistrations(c.id, new Date(now.getTime() + 400_000)), [
          { ...bind(c.id, 'sip:a@203.0.113.7:5060', 600, 40000), transport: 'TCP' },
        ]);

        await store.removeRegistration(c.id, 'sip:b@203.0.113.7:5060');
        await store.removeRegistration(c.id, 'sip:never@203.0.113.7');
        assert.deepEqual(
          (await store.listRegistrations(c.id, now)).map((r) => r.contact),
          ['sip:a@203.0.113.7:5060'],
        );

        assert.equal(await store.purgeExpiredRegistrations(now), 1, 'only sip:old had expired');
        assert.equal(await store.purgeExpiredRegistrations(now), 0);
        assert.equal(await store.purgeExpiredRegistrations(new Date(now.getTime() + 90_000)), 1, 'the 60 s binding');
        assert.deepEqual(await store.listRegistrations(other.id, now), []);
        assert.equal((await store.listRegistrations(c.id, now)).length, 1);
      });

      it('put for a missing connection is NOT_FOUND', { skip }, async () => {
        const store = await seeded();
        await expectKind(
          store.putRegistration({
            connectionId: 555_555,
            contact: 'sip:a@h',
            sourceAddress: '192.0.2.1',
            sourcePort: 5060,
            transport: 'UDP',
            registeredAt: '2025-01-01T00:00:00.000Z',
            expiresAt: '2025-01-01T01:00:00.000Z',
          }),
          'NOT_FOUND',
        );
      });
    });

    describe('credentials', () => {
      it('api keys: create, get, list (ordered, filtered, paged), touch, count, delete', { skip }, async () => {
        const store = await fresh();
        const k1 = apiKey('nss_AAAAAAAA', { scope: 'Super User', domain: '*', reseller: '*', createdAt: '2025-01-02T00:00:00.000Z', canCreateKeys: true });
        const k2 = apiKey('nsd_BBBBBBBB', { createdAt: '2025-01-01T00:00:00.000Z', readonly: true, ipAddress: '10.0.0.0/8' });
        const k3 = apiKey('nsd_AAAAAAAA', { createdAt: '2025-01-01T00:00:00.000Z', dialect: 'wavix', domain: 'beta', reseller: 'r2', user: '100', allowedModels: 'trunks' });
        for (const k of [k1, k2, k3]) await store.createApiKey(k);
        await expectKind(store.createApiKey({ ...k2, description: 'again' }), 'CONFLICT', /nsd_BBBBBBBB/);

        assert.deepEqual(await store.getApiKey('nsd_BBBBBBBB'), k2);
        assert.deepEqual(await store.getApiKey('nss_AAAAAAAA'), k1);
        assert.equal(await store.getApiKey('missing'), undefined);

        const ids = async (f: Parameters<Store['listApiKeys']>[0]) => (await store.listApiKeys(f)).map((k) => k.keyId);
        assert.deepEqual(await ids({}), ['nsd_AAAAAAAA', 'nsd_BBBBBBBB', 'nss_AAAAAAAA']);
        assert.deepEqual(await ids({ dialect: 'wavix' }), ['nsd_AAAAAAAA']);
        assert.deepEqual(await ids({ domain: 'acme' }), ['nsd_BBBBBBBB']);
        assert.deepEqual(await ids({ reseller: 'r1', dialect: 'netsapiens' }), ['nsd_BBBBBBBB']);
        assert.deepEqual(await ids({ start: 1, limit: 1 }), ['nsd_BBBBBBBB']);
        assert.deepEqual(await store.listApiKeys({ domain: 'beta' }), [k3]);
        assert.equal(await store.countApiKeys(), 3);

        await store.touchApiKey('nsd_BBBBBBBB', '2025-05-05T05:05:05.555Z');
        await store.touchApiKey('missing', '2025-05-05T05:05:05.555Z');
        assert.deepEqual(await store.getApiKey('nsd_BBBBBBBB'), { ...k2, lastUsedAt: '2025-05-05T05:05:05.555Z' });

        assert.equal(await store.deleteApiKey('nsd_BBBBBBBB'), true);
        assert.equal(await store.deleteApiKey('nsd_BBBBBBBB'), false);
        assert.equal(await store.getApiKey('nsd_BBBBBBBB'), undefined);
        assert.equal(await store.countApiKeys(), 2);
      });

      it('logins: create, get, duplicate, delete', { skip }, async () => {
        const store = await fresh();
        const login: LoginRecord = {
          username: 'admin',
          passwordHash: 'scrypt$c2FsdA==$aGFzaA==',
          role: 'System owner',
          domain: '*',
          reseller: '*',
          createdAt: '2025-02-03T04:05:06.789Z',
        };
        await store.createLogin(login);
        await store.createLogin({ ...login, username: 'Admin', role: 'User', domain: 'acme' });
        await expectKind(store.createLogin({ ...login, role: 'User' }), 'CONFLICT', /admin/);
        assert.deepEqual(await store.getLogin('admin'), login);
        assert.equal((await store.getLogin('Admin'))?.role, 'User');
        assert.equal(await store.getLogin('nobody'), undefined);
        assert.equal(await store.deleteLogin('admin'), true);
        assert.equal(await store.deleteLogin('admin'), false);
        assert.equal(await store.getLogin('admin'), undefined);
        assert.ok(await store.getLogin('Admin'));
      });
    });
    describe('dial plans', () => {
      const rule = (plan: string, to: string, patch: Record<string, unknown> = {}, domain = 'acme'): DialRule =>
        buildDialRule({ domain, dialPlan: plan, matchToUri: to, destinationUser: '[*]', ...patch });
      /** Every rule field away from its default, so a swapped or dropped column shows. */
      const everyRuleField = (plan: string): DialRule =>
        rule(plan, 'sip:1555??????@*', {
          matchFromUri: 'sip:2125550100@pbx.example',
          matchDayOfWeek: '[1-5]',
          matchStartDate: '2026-01-01',
          matchEndDate: '2026-12-31',
          matchStartTime: '08:00',
          matchEndTime: '17:59',
          enabled: false,
          application: 'to-connection',
          parameter: 'X-Header: ü\'"\\ %_',
          destinationScheme: 'sip:',
          destinationUser: '1[*]',
          destinationHost: 'carrier.example',
          sourceName: 'Sales [*]',
          sourceScheme: '<Null>',
          sourceUser: '<OwnCidNmbr>',
          sourceHost: '<OwnDomain>',
          description: 'every field',
        });

      it('plans: create, get, list, count, update, delete; `*` needs no tenant; 404 and 409 as for connections', { skip }, async () => {
        const store = await seeded();
        const created = await store.createDialPlan({ domain: 'acme', name: 'default', description: 'Acme plan' });
        assert.equal(typeof created.id, 'number');
        assert.deepEqual({ ...created, id: 0 }, { id: 0, domain: 'acme', name: 'default', description: 'Acme plan' });
        await store.createDialPlan({ domain: '*', name: 'carriers', description: 'system' });
        await store.createDialPlan({ domain: 'beta', name: 'default', description: 'Beta plan' });
        await store.createDialPlan({ domain: 'gamma', name: 'Default', description: '' });
        await expectKind(store.createDialPlan({ domain: 'acme', name: 'default', description: 'again' }), 'CONFLICT', /default.*acme/);
        await expectKind(store.createDialPlan({ domain: 'nowhere', name: 'x', description: '' }), 'NOT_FOUND', /nowhere/);
        assert.deepEqual(await store.getDialPlan('acme', 'default'), { ...created, rules: [] });
        assert.equal(await store.getDialPlan('acme', 'Default'), undefined, 'names are case-sensitive');
        assert.equal(await store.getDialPlan('beta', 'carriers'), undefined);

        const names = (list: { domain: string; name: string }[]) => list.map((p) => `${p.domain}/${p.name}`);
        assert.deepEqual(names(await store.listDialPlans({})), ['*/carriers', 'acme/default', 'beta/default', 'gamma/Default']);
        assert.deepEqual(names(await store.listDialPlans({ domain: 'acme' })), ['acme/default']);
        assert.deepEqual(names(await store.listDialPlans({ reseller: 'r1' })), ['acme/default', 'beta/default']);
        assert.deepEqual(names(await store.listDialPlans({ start: 1, limit: 2 })), ['acme/default', 'beta/default']);
        assert.equal(await store.countDialPlans({}), 4);
        assert.equal(await store.countDialPlans({ reseller: 'r2' }), 1);

        const updated = await store.updateDialPlan('acme', 'default', { description: 'changed' });
        assert.equal(updated?.description, 'changed');
        assert.equal(updated?.id, created.id);
        assert.equal(await store.updateDialPlan('acme', 'missing', { description: 'x' }), undefined);
        assert.equal(await store.deleteDialPlan('acme', 'default'), true);
        assert.equal(await store.deleteDialPlan('acme', 'default'), false);
        assert.equal(await store.getDialPlan('acme', 'default'), undefined);
        await expectKind(store.createDialPlan({ domain: 'acme', name: '', description: '' }), 'VALIDATION');
      });

      it('rules: every field round-trips, kept in insertion order, addressed by their matching fields', { skip }, async () => {
        const store = await seeded();
        await store.createDialPlan({ domain: 'acme', name: 'p', description: '' });
        const full = everyRuleField('p');
        assert.deepEqual(await store.createDialRule(full), full);
        const catchAll = rule('p', 'sip:*@*', { application: 'to-connection' });
        const n911 = rule('p', 'sip:911@*');
        await store.createDialRule(catchAll);
        await store.createDialRule(n911);
        assert.deepEqual(await store.getDialRule('acme', 'p', full), full);
        assert.deepEqual(await store.listDialRules('acme', 'p'), [full, catchAll, n911]);
        assert.deepEqual(await store.listDialRules('acme', 'p', { start: 1, limit: 1 }), [catchAll]);
        assert.deepEqual((await store.getDialPlan('acme', 'p'))?.rules, [full, catchAll, n911]);
        assert.equal(await store.countDialRules('acme', 'p'), 3);
        assert.equal(await store.listDialRules('acme', 'missing'), undefined);
        assert.equal(await store.countDialRules('acme', 'missing'), undefined);
        assert.equal(await store.getDialRule('acme', 'p', rule('p', 'sip:912@*')), undefined);

        // The same matching fields are one rule; any difference in them makes another.
        await expectKind(store.createDialRule({ ...n911, description: 'other' }), 'CONFLICT', /matching fields/);
        await store.createDialRule({ ...n911, matchDayOfWeek: '0' });
        await expectKind(store.createDialRule(rule('missing', 'sip:1@*')), 'NOT_FOUND', /missing/);
        await expectKind(store.createDialRule(rule('p', 'sip:1@*', {}, 'beta')), 'NOT_FOUND', /beta/);
        await expectKind(store.createDialRule({ ...rule('p', 'sip:2@*'), enabled: 'yes' as unknown as boolean }), 'VALIDATION');
        assert.equal(await store.countDialRules('acme', 'p'), 4);
      });

      it('rules: update is read-modify-write (a throwing callback writes nothing); delete; a plan delete takes its rules', { skip }, async () => {
        const store = await seeded();
        await store.createDialPlan({ domain: 'acme', name: 'p', description: '' });
        const r = await store.createDialRule(rule('p', 'sip:1555*@*'));
        const other = await store.createDialRule(rule('p', 'sip:1666*@*'));
        const updated = await store.updateDialRule('acme', 'p', r, (c) => ({ ...c, application: 'to-connection', parameter: 'sip*@carrier' }));
        assert.equal(updated?.application, 'to-connection');
        assert.deepEqual(await store.getDialRule('acme', 'p', r), updated);
        await assert.rejects(store.updateDialRule('acme', 'p', r, () => { throw new Error('refused'); }), /refused/);
        assert.deepEqual(await store.getDialRule('acme', 'p', r), updated);
        await expectKind(store.updateDialRule('acme', 'p', r, (c) => ({ ...c, matchToUri: other.matchToUri })), 'CONFLICT');
        await expectKind(store.updateDialRule('acme', 'p', r, (c) => ({ ...c, dialPlan: 'q' })), 'VALIDATION');
        assert.equal(await store.updateDialRule('acme', 'p', rule('p', 'sip:9@*'), (c) => c), undefined);
        assert.equal(await store.updateDialRule('acme', 'nope', r, (c) => c), undefined);
        assert.equal(await store.deleteDialRule('acme', 'p', r), true);
        assert.equal(await store.deleteDialRule('acme', 'p', r), false);
        assert.equal(await store.deleteDialRule('beta', 'p', other), false);
        assert.deepEqual(await store.listDialRules('acme', 'p'), [other]);
        assert.equal(await store.deleteDialPlan('acme', 'p'), true);
        await store.createDialPlan({ domain: 'acme', name: 'p', description: '' });
        assert.deepEqual(await store.listDialRules('acme', 'p'), [], 'the old rules went with the old plan');
      });

      it('policies and permissions: create, get, list, update, delete, 404 and 409', { skip }, async () => {
        const store = await seeded();
        assert.deepEqual(await store.createDialPolicy({ domain: 'acme', name: 'no-premium', description: 'x' }), {
          domain: 'acme',
          name: 'no-premium',
          description: 'x',
        });
        await store.createDialPolicy({ domain: '*', name: 'global', description: '' });
        await expectKind(store.createDialPolicy({ domain: 'acme', name: 'no-premium', description: '' }), 'CONFLICT');
        await expectKind(store.createDialPolicy({ domain: 'nowhere', name: 'p', description: '' }), 'NOT_FOUND');
        assert.deepEqual((await store.listDialPolicies({})).map((p) => `${p.domain}/${p.name}`), ['*/global', 'acme/no-premium']);
        assert.equal(await store.countDialPolicies({ domain: 'acme' }), 1);
        assert.equal((await store.updateDialPolicy('acme', 'no-premium', { description: 'y' }))?.description, 'y');
        assert.equal(await store.updateDialPolicy('acme', 'nope', { description: 'y' }), undefined);

        const allow = buildPermission({ dialPolicy: 'no-premium', domain: 'acme', match: '*', mode: 'permit', reason: 'default' });
        const deny = buildPermission({ dialPolicy: 'no-premium', domain: 'acme', match: 'sip:1900*@*', mode: 'deny', reason: 'premium' });
        const a = await store.createPermission(allow);
        assert.match(a.createdAt ?? '', ISO);
        assert.deepEqual({ ...a, createdAt: null }, allow);
        await store.createPermission(deny);
        await expectKind(store.createPermission(deny), 'CONFLICT', /1900/);
        await expectKind(store.createPermission({ ...deny, dialPolicy: 'nope' }), 'NOT_FOUND', /nope/);
        await expectKind(store.createPermission({ ...deny, match: 'x', mode: 'maybe' as 'deny' }), 'VALIDATION');
        const listed = await store.listPermissions('acme', 'no-premium');
        assert.deepEqual(listed?.map((p) => [p.match, p.mode]), [['*', 'permit'], ['sip:1900*@*', 'deny']]);
        assert.equal(await store.listPermissions('acme', 'nope'), undefined);
        assert.deepEqual((await store.getDialPolicy('acme', 'no-premium'))?.permissions, listed);
        assert.deepEqual(await store.getPermission('acme', 'no-premium', '*'), listed?.[0]);
        const changed = await store.updatePermission('acme', 'no-premium', '*', { mode: 'deny', reason: 'closed' });
        assert.deepEqual([changed?.mode, changed?.reason, changed?.createdAt], ['deny', 'closed', a.createdAt]);
        assert.equal(await store.updatePermission('acme', 'no-premium', 'nope', { mode: 'deny' }), undefined);
        assert.equal(await store.updatePermission('*', 'no-premium', '*', { mode: 'deny' }), undefined);
        assert.equal(await store.deletePermission('acme', 'no-premium', '*'), true);
        assert.equal(await store.deletePermission('acme', 'no-premium', '*'), false);
        assert.equal(await store.deleteDialPolicy('acme', 'no-premium'), true);
        assert.equal(await store.getPermission('acme', 'no-premium', 'sip:1900*@*'), undefined);
        assert.equal(await store.deleteDialPolicy('acme', 'no-premium'), false);
      });

      it('loadDialPlans returns everything at once; a deleted domain takes its plans and policies along', { skip }, async () => {
        const store = await seeded();
        assert.deepEqual(await store.loadDialPlans(), { plans: [], policies: [] });
        await store.createDialPlan({ domain: 'acme', name: 'p', description: '' });
        await store.createDialPlan({ domain: '*', name: 'p', description: 'sys' });
        const r1 = await store.createDialRule(rule('p', 'sip:1@*'));
        const r2 = await store.createDialRule(rule('p', 'sip:2@*', {}, '*'));
        const r3 = await store.createDialRule(rule('p', 'sip:3@*'));
        await store.createDialPolicy({ domain: 'acme', name: 'pol', description: '' });
        await store.createPermission(buildPermission({ dialPolicy: 'pol', domain: 'acme', match: '*', mode: 'permit', reason: '' }));
        const snap = await store.loadDialPlans();
        assert.deepEqual(snap.plans.map((p) => [p.domain, p.name, p.rules.map(dialRuleId)]), [
          ['*', 'p', [dialRuleId(r2)]],
          ['acme', 'p', [dialRuleId(r1), dialRuleId(r3)]],
        ]);
        assert.deepEqual(snap.plans[1], await store.getDialPlan('acme', 'p'));
        assert.deepEqual(snap.policies, [await store.getDialPolicy('acme', 'pol')]);

        assert.equal(await store.deleteTenant('acme'), true);
        const after = await store.loadDialPlans();
        assert.deepEqual(after.plans.map((p) => p.domain), ['*']);
        assert.deepEqual(after.policies, []);
      });

      it('every dial plan, rule, policy and permission write changes connectionsVersion; reads and refused writes do not', { skip }, async () => {
        const store = await seeded();
        let v = await store.connectionsVersion();
        const changed = async (what: string) => {
          const next = await store.connectionsVersion();
          assert.notEqual(next, v, `${what} must change the version`);
          v = next;
        };
        const unchanged = async (what: string) => assert.equal(await store.connectionsVersion(), v, `${what} must not change the version`);
        await store.createDialPlan({ domain: 'acme', name: 'p', description: '' });
        await changed('plan create');
        const r = await store.createDialRule(rule('p', 'sip:1@*'));
        await changed('rule create');
        await store.updateDialRule('acme', 'p', r, (c) => ({ ...c, description: 'x' }));
        await changed('rule update');
        await store.updateDialPlan('acme', 'p', { description: 'x' });
        await changed('plan update');
        await store.getDialPlan('acme', 'p');
        await store.listDialPlans({});
        await store.loadDialPlans();
        await expectKind(store.createDialRule(r), 'CONFLICT');
        await expectKind(store.createDialPlan({ domain: 'acme', name: 'p', description: '' }), 'CONFLICT');
        await unchanged('reads and refused writes');
        await store.createDialPolicy({ domain: 'acme', name: 'pol', description: '' });
        await changed('policy create');
        await store.createPermission(buildPermission({ dialPolicy: 'pol', domain: 'acme', match: '*', mode: 'permit', reason: '' }));
        await changed('permission create');
        await store.updatePermission('acme', 'pol', '*', { reason: 'r' });
        await changed('permission update');
        await store.deletePermission('acme', 'pol', '*');
        await changed('permission delete');
        await store.deleteDialRule('acme', 'p', r);
        await changed('rule delete');
        await store.deleteDialPlan('acme', 'p');
        await changed('plan delete');
        await store.deleteDialPolicy('acme', 'pol');
        await changed('policy delete');
      });
    });
  });
}
