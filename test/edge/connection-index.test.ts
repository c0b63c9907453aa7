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
