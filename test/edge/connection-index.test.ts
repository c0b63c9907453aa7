import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressHost, ConnectionIndex, sourceAllowed } from '../../src/edge/connection-index.js';
import { buildNewConnection, type Connection, type SettingsPatch } from '../../src/model/index.js';

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
      for (const u of ['u0', 'u1', 'u2']) {
        assert.deepEqual(idx.byAuthUsername(u).map((ic) => ic.connection.id), rebuilt.byAuthUsername(u).map((ic) => ic.connection.id));
      }
    }
    state = new Map();
  });
});
