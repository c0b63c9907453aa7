import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildNewConnection,
  CONNECTION_FIELDS,
  CONNECTION_SETTING_KEYS,
  mergeSettings,
  validateSettingsPatch,
  ValidationError,
} from '../../src/model/index.js';

const identity = { domain: 'example.com', origMatchPattern: 'sip*@carrier.example', createdBy: 'netsapiens' as const };

describe('connection validation', () => {
  it('fills every field with its catalog default and term pattern with the orig pattern', () => {
    const c = buildNewConnection(identity, {});
    for (const key of CONNECTION_SETTING_KEYS) {
      if (key === 'termMatchPattern') continue;
      assert.deepEqual(c[key], CONNECTION_FIELDS[key].default, key);
    }
    assert.equal(c.termMatchPattern, 'sip*@carrier.example');
    assert.equal(c.transport, 'UDP');
    assert.equal(c.origEnabled, true);
    assert.equal(c.sourceIpCheck, false);
    assert.equal(c.minimumCallDurationSeconds, 0);
    assert.equal(c.maxCallsTotal, null);
  });

  it('accepts integers as numeric strings and returns integers', () => {
    const v = validateSettingsPatch({ maxCallsTotal: '0', minimumCallDurationSeconds: ' 30 ' });
    assert.equal(v.maxCallsTotal, 0);
    assert.equal(v.minimumCallDurationSeconds, 30);
  });

  it('names the canonical field for each kind of bad value', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ transport: 'SCTP' }, 'transport'],
      [{ maxCallsOrig: 'ten' }, 'maxCallsOrig'],
      [{ maxCallsOrig: -1 }, 'maxCallsOrig'],
      [{ maxCallsOrig: 1.5 }, 'maxCallsOrig'],
      [{ origEnabled: 'yes' }, 'origEnabled'],
      [{ description: 'x'.repeat(2000) }, 'description'],
      [{ description: 'a\u0000b' }, 'description'],
      [{ termMatchPattern: 'http:*@h' }, 'termMatchPattern'],
      [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ utcOffset: 'seven' }, 'utcOffset'],
      [{ translationSourceUser: '[1-2]' }, 'translationSourceUser'],
      [{ origMatchHeader: 'via' }, 'origMatchHeader'],
    ];
    for (const [patch, field] of cases) {
      assert.throws(() => validateSettingsPatch(patch), (e: unknown) => e instanceof ValidationError && e.field === field, field);
    }
  });

  it('rejects a bad domain or orig pattern', () => {
    assert.throws(() => buildNewConnection({ ...identity, domain: '' }, {}), (e: unknown) => e instanceof ValidationError && e.field === 'domain');
    assert.throws(() => buildNewConnection({ ...identity, domain: 'a'.repeat(65) }, {}), ValidationError);
    assert.throws(() => buildNewConnection({ ...identity, origMatchPattern: 'ftp:*@x' }, {}),
      (e: unknown) => e instanceof ValidationError && e.field === 'origMatchPattern');
    assert.equal(buildNewConnection({ ...identity, domain: '*' }, {}).domain, '*');
  });

  it('merges a partial patch and keeps the other fields', () => {
    const c = buildNewConnection(identity, { description: 'one', maxCallsTotal: 10 });
    const m = mergeSettings(c, { description: 'two' });
    assert.equal(m.description, 'two');
    assert.equal(m.maxCallsTotal, 10);
    assert.equal(m.origMatchPattern, c.origMatchPattern);
  });

  it('stores call-routing as given', () => {
    assert.deepEqual(validateSettingsPatch({ callRouting: [[]] }).callRouting, [[]]);
  });
});
