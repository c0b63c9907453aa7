import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPermission, explainPolicy, policyPermits, type DialPolicy, type PermissionMode } from '../../../src/model/dialplan/index.js';

const policy = (...entries: [string, PermissionMode][]): DialPolicy => ({
  name: 'US and Canada',
  domain: 'acme.example',
  description: '',
  permissions: entries.map(([match, mode]) => buildPermission({ dialPolicy: 'US and Canada', match, mode, reason: `${mode} ${match}` })),
});

describe('dial policies', () => {
  it('"allow all but X": a general permit with specific denies', () => {
    const p = policy(['*', 'permit'], ['sip:1900*@*', 'deny'], ['sip:011*@*', 'deny']);
    assert.equal(policyPermits(p, '15551234567'), true);
    assert.equal(policyPermits(p, '19005551234'), false);
    assert.equal(policyPermits(p, 'sip:011442071234567@carrier.example'), false);
    assert.equal(policyPermits(p, '911'), true);
  });

  it('"deny all but X": a general deny with specific permits, and exceptions to the exceptions', () => {
    const p = policy(['*', 'deny'], ['sip:1??????????@*', 'permit'], ['sip:1900???????@*', 'deny'], ['911', 'permit']);
    assert.equal(policyPermits(p, '15551234567'), true);
    assert.equal(policyPermits(p, '1555123456'), false, 'ten digits is not 1 + ten');
    assert.equal(policyPermits(p, '19005551234'), false, 'the 1900 deny is more specific than the 1?????????? permit');
    assert.equal(policyPermits(p, '911'), true);
    assert.equal(policyPermits(p, '011447700900123'), false);
  });

  it('the order of permissions does not matter', () => {
    const a = policy(['sip:1900*@*', 'deny'], ['*', 'permit']);
    const b = policy(['*', 'permit'], ['sip:1900*@*', 'deny']);
    for (const d of ['19005551234', '15551234567']) assert.equal(policyPermits(a, d), policyPermits(b, d), d);
  });

  it('nothing matching means denied; an empty policy denies everything', () => {
    const p = policy(['sip:1??????????@*', 'permit']);
    const d = explainPolicy(p, '4471234');
    assert.deepEqual(d, { permitted: false, permission: undefined });
    assert.equal(policyPermits(policy(), '15551234567'), false);
  });

  it('equally specific permissions that disagree: deny wins', () => {
    const p = policy(['sip:1555*@*', 'permit'], ['sip:1*555@*', 'deny']);
    assert.equal(policyPermits(p, '1555555'), false);
    assert.equal(policyPermits(p, '1555000'), true, 'only the permit matches');
  });

  it('explainPolicy names the deciding permission', () => {
    const p = policy(['*', 'permit'], ['sip:1900*@*', 'deny']);
    const d = explainPolicy(p, '19005551234');
    assert.equal(d.permitted, false);
    assert.equal(d.permission?.match, 'sip:1900*@*');
    assert.equal(d.permission?.reason, 'deny sip:1900*@*');
  });

  it('host-specific permissions apply to URIs with that host', () => {
    const p = policy(['*', 'deny'], ['sip:*@internal.example', 'permit']);
    assert.equal(policyPermits(p, 'sip:4000@internal.example'), true);
    assert.equal(policyPermits(p, 'sip:4000@other.example'), false);
    assert.equal(policyPermits(p, '4000'), false, 'a bare number has no host');
  });

  it('a * permit allows any destination and a * deny refuses any (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (dest) => {
        assert.equal(policyPermits(policy(['*', 'permit']), dest), true);
        assert.equal(policyPermits(policy(['*', 'deny']), dest), false);
      }),
    );
  });
});
