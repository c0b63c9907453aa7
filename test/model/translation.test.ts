import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTranslation, compileTranslation, ValidationError } from '../../src/model/index.js';

describe('translations', () => {
  const apply = (t: string, v: string, part: 'user' | 'host' = 'user') => applyTranslation(compileTranslation(t, part, 'f'), v);
  it('empty and [*] keep the value', () => {
    assert.equal(apply('', '5551234'), '5551234');
    assert.equal(apply('[*]', '5551234'), '5551234');
  });
  it('prefix, suffix and replacement', () => {
    assert.equal(apply('1[*]', '5551234'), '15551234');
    assert.equal(apply('[*]#', '5551234'), '5551234#');
    assert.equal(apply('gw.example', 'old.host', 'host'), 'gw.example');
    assert.equal(apply('[2001:db8::1]', 'old', 'host'), '[2001:db8::1]');
  });
  it('rejects other bracket syntax and bad characters, naming the field', () => {
    for (const bad of ['[1-3]', '[*', 'a b', 'x<y>']) {
      assert.throws(() => compileTranslation(bad, 'user', 'translationRequestUser'),
        (e: unknown) => e instanceof ValidationError && e.field === 'translationRequestUser');
    }
    assert.throws(() => compileTranslation('host_name!', 'host', 'h'), ValidationError);
  });
});
