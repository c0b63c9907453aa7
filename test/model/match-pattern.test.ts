import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileMatchPattern, matchesPattern, ValidationError } from '../../src/model/index.js';

describe('match patterns', () => {
  it('sip*@host matches any sip user at that host and nothing else', () => {
    const p = compileMatchPattern('sip*@grid4lab.pri');
    assert.equal(matchesPattern(p, { scheme: 'sip', user: '2484445555', host: 'grid4lab.pri' }), true);
    assert.equal(matchesPattern(p, { scheme: 'sip', user: undefined, host: 'grid4lab.pri' }), false, 'the @ is literal: a user-less URI does not match');
    assert.equal(matchesPattern(p, { scheme: 'sip', user: '1', host: 'other.pri' }), false);
    assert.equal(matchesPattern(p, { scheme: 'sips', user: '1', host: 'grid4lab.pri' }), true);
  });

  it('sip:*@ip matches any port unless a port is written', () => {
    const any = compileMatchPattern('sip:*@10.0.0.1');
    assert.equal(matchesPattern(any, { scheme: 'sip', user: 'a', host: '10.0.0.1', port: 5070 }), true);
    const fixed = compileMatchPattern('sip:*@10.0.0.1:5070');
    assert.equal(matchesPattern(fixed, { scheme: 'sip', user: 'a', host: '10.0.0.1', port: 5070 }), true);
    assert.equal(matchesPattern(fixed, { scheme: 'sip', user: 'a', host: '10.0.0.1', port: 5080 }), false);
  });

  it('user prefixes and scheme-less patterns', () => {
    const p = compileMatchPattern('sip:1555*@host.example');
    assert.equal(matchesPattern(p, { scheme: 'sip', user: '15551234', host: 'host.example' }), true);
    assert.equal(matchesPattern(p, { scheme: 'sip', user: '1666', host: 'host.example' }), false);
    const bare = compileMatchPattern('1555@host.example');
    assert.equal(bare.schemeless, true);
    assert.equal(matchesPattern(bare, { scheme: 'sip', user: '1555', host: 'HOST.example' }), true);
  });

  it('more literal text is more specific', () => {
    assert.ok(compileMatchPattern('sip:1555*@h.example').specificity > compileMatchPattern('sip*@h.example').specificity);
  });

  for (const bad of ['', 'http:*@host', 'tel:*@x', 'sip:*@', 'sip:*@bad host', 'sip:*@exa_mple..com', '@host', 'sip:a@b@', 'sip:<x>@h']) {
    it(`rejects ${JSON.stringify(bad)} with a ValidationError naming the field`, () => {
      assert.throws(
        () => compileMatchPattern(bad, 'origMatchPattern'),
        (err: unknown) => err instanceof ValidationError && err.field === 'origMatchPattern',
      );
    });
  }

  it('never throws anything but ValidationError, and compiled regexes are anchored', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          const p = compileMatchPattern(s);
          assert.ok(p.regex.source.startsWith('^') && p.regex.source.endsWith('$'));
        } catch (err) {
          assert.ok(err instanceof ValidationError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
