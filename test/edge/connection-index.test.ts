import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addressHost, ConnectionIndex, literalHostOf, sourceAllowed } from '../../src/edge/connection-index.js';
import { buildNewConnection, matchesPattern, type Connection, type SettingsPatch } from '../../src/model/index.js';

let nextId = 1;
function conn(origMatchPattern: string, patch: SettingsPatch = {}): Connection {
  const c = buildNewConnection({ domain: 'd.example', origMatchPattern, createdBy: 'netsapiens' }, patch);
  const now = new Date().toISOString();
  return { ...c, id: nextId++, createdAt: now, lastModified: now };
}

describe('connection index', () => {
  it('picks the most specific matching orig pattern', () => {
    const idx = new ConnectionIndex();
    const broad = conn('sip*@carrier.example');
    const narrow = conn('sip:1555*@carrier.example');
    idx.replace([broad, narrow]);
    assert.equal(idx.identify({ from: { scheme: 'sip', user: '15550001', host: 'carrier.example' } })?.connection.id, narrow.id);
    assert.equal(idx.identify({ from: { scheme: 'sip', user: '4440001', host: 'carrier.example' } })?.connection.id, broad.id);
    assert.equal(idx.identify({ from: { scheme: 'sip', user: '1', host: 'elsewhere.example' } }), undefined);
  });

  it('matches against the header the connection names', () => {
    const idx = new ConnectionIndex();
    const byTo = conn('sip*@pbx.example', { origMatchHeader: 'to' });
    idx.replace([byTo]);
    assert.equal(idx.identify({ from: { scheme: 'sip', user: 'a', host: 'pbx.example' } }), undefined);
    assert.equal(idx.identify({ to: { scheme: 'sip', user: 'a', host: 'pbx.example' } })?.connection.id, byTo.id);
  });

  it('indexes digest usernames and source addresses', () => {
    const idx = new ConnectionIndex();
    const c = conn('sip*@10.1.1.1', { authUsername: 'trunk1', address: 'sip:10.1.1.1:5070', sourceIpCheck: true });
    idx.replace([c]);
    assert.equal(idx.byAuthUsername('trunk1')[0]?.connection.id, c.id);
    assert.equal(idx.byAuthUsername('nobody').length, 0);
    assert.equal(idx.fromSource('10.1.1.1')[0]?.connection.id, c.id);
    const ic = idx.get(c.id)!;
    assert.equal(sourceAllowed(ic, '10.1.1.1'), true);
    assert.equal(sourceAllowed(ic, '::ffff:10.1.1.1'), true);
    assert.equal(sourceAllowed(ic, '10.1.1.2'), false);
  });

  it('reads the host out of every address form', () => {
    assert.equal(addressHost('sip:2484445555@grid4lab.pri'), 'grid4lab.pri');
    assert.equal(addressHost('10.0.0.1:5060'), '10.0.0.1');
    assert.equal(addressHost('sip:[2001:db8::1]:5060;transport=tcp'), '2001:db8::1');
    assert.equal(addressHost('2001:db8::2'), '2001:db8::2');
    assert.equal(addressHost('dynamic'), undefined);
    assert.equal(addressHost(''), undefined);
  });
});

describe('connection index: incremental writes', () => {
  it('upsert and remove keep the same order and lookups a full rebuild gives (property over random writes)', () => {
    const patterns = ['sip*@a.example', 'sip:1*@a.example', 'sip:15*@a.example', 'sip:155*@a.example', '*', 'sip*@b.example', 'sip:2*@*'];
    let state = new Map<number, Connection>();
    const idx = new ConnectionIndex();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 400; step++) {
      const ids = [...state.keys()];
      if (ids.length > 0 && rand(3) === 0) {
        const id = ids[rand(ids.length)]!;
        state.delete(id);
        idx.remove(id);
      } else if (ids.length > 0 && rand(2) === 0) {
        const id = ids[rand(ids.length)]!;
        const changed = { ...conn(patterns[rand(patterns.length)]!, { authUsername: `u${rand(3)}` }), id };
        state.set(id, changed);
        idx.upsert(changed);
      } else {
        const c = conn(patterns[rand(patterns.length)]!, { authUsername: `u${rand(3)}` });
        state.set(c.id, c);
        idx.upsert(c);
      }
      const rebuilt = new ConnectionIndex();
      rebuilt.replace([...state.values()]);
      assert.deepEqual(idx.values().map((ic) => ic.connection.id), rebuilt.values().map((ic) => ic.connection.id), `order after step ${step}`);
      for (const host of ['a.example', 'b.example', 'c.example']) {
        for (const user of ['1555', '2']) {
          const subjects = { from: { scheme: 'sip', user, host } };
          assert.equal(idx.identify(subjects)?.connection.id, rebuilt.identify(subjects)?.connection.id, `identify ${user}@${host} after step ${step}`);
        }
      }
      for (const u of ['u0', 'u1', 'u2']) {
        assert.deepEqual(idx.byAuthUsername(u).map((ic) => ic.connection.id), rebuilt.byAuthUsername(u).map((ic) => ic.connection.id));
      }
    }
    state = new Map();
  });
});

describe('connection index: identification by host', () => {
  it('finds what a scan of every connection in index order finds (fast-check over patterns, headers and requests)', () => {
    const hosts = ['a.example', 'B.example', '10.0.0.1', '[2001:db8::1]'];
    const users = ['1555', '15', '2', 'pbx', ''];
    const headers = ['from', 'to', 'request', 'contact'] as const;
    let matched = 0;
    const pattern = fc.oneof(
      fc.tuple(fc.constantFrom('sip:', 'sip*', 'sips:', ''), fc.constantFrom(...users), fc.boolean(), fc.constantFrom(...hosts, '*', '*.example'), fc.constantFrom('', ':5070'))
        .map(([scheme, user, star, host, port]) => {
          const u = scheme === 'sip*' ? '' : `${user}${star || user === '' ? '*' : ''}`;
          return `${scheme}${u}@${host}${host.includes('*') ? '' : port}`;
        }),
      fc.constant('*'),
    );
    const subject = fc.record({
      scheme: fc.constantFrom('sip', 'sips'),
      user: fc.constantFrom('15550001', '2000', 'pbx', undefined),
      host: fc.constantFrom(...hosts.map((h) => h.toLowerCase()), 'c.example'),
      port: fc.constantFrom(undefined, 5060, 5070),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pattern, fc.constantFrom(...headers)), { minLength: 1, maxLength: 25 }),
        fc.record({ from: subject, to: subject, request: subject, contact: subject }, { requiredKeys: [] }),
        (specs, subjects) => {
          const all = specs.flatMap(([p, h]) => {
            try {
              return [conn(p, { origMatchHeader: h })];
            } catch {
              return []; // a pattern the model refuses is never stored
            }
          });
          const idx = new ConnectionIndex();
          idx.replace(all);
          const naive = idx.values().find((ic) => {
            const s = subjects[ic.connection.origMatchHeader];
            return s !== undefined && matchesPattern(ic.orig, s);
          });
          assert.equal(idx.identify(subjects)?.connection.id, naive?.connection.id);
          if (naive !== undefined) matched++;
        },
      ),
      { numRuns: 500 },
    );
    assert.ok(matched > 100, `only ${matched} of 500 runs had a match: the property would prove little`);
  });

  it('keys literal hosts without their port and in lower case; wildcard hosts have none', () => {
    assert.equal(literalHostOf('sip:1555*@Carrier.Example:5070'), 'carrier.example');
    assert.equal(literalHostOf('sip*@[2001:DB8::1]:5060'), '[2001:db8::1]');
    assert.equal(literalHostOf('sip:*@*.example'), undefined);
    assert.equal(literalHostOf('*'), undefined);
  });
});
