import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../src/model/errors.js';
import {
  compareSpecificity,
  compileDialPattern,
  matchDialPattern,
  parseDialSubject,
} from '../../../src/model/dialplan/index.js';

const p = (pattern: string) => compileDialPattern(pattern, 'matchToUri');
const m = (pattern: string, user: string, host = 'pbx.example', scheme = 'sip') => matchDialPattern(p(pattern), { scheme, user, host });

describe('dial patterns: the vendor examples', () => {
  it('sip:611@* matches 611 at any host and nothing else', () => {
    assert.equal(m('sip:611@*', '611'), true);
    assert.equal(m('sip:611@*', '611', 'other.example'), true);
    assert.equal(m('sip:611@*', '6110'), false);
    assert.equal(m('sip:611@*', '61'), false);
  });

  it('? is exactly one character: sip:1??????????@* is 1 + ten characters', () => {
    assert.equal(m('sip:1??????????@*', '15551234567'), true);
    assert.equal(m('sip:1??????????@*', '1555123456'), false, 'ten digits in all is too short');
    assert.equal(m('sip:1??????????@*', '155512345678'), false, 'twelve is too long');
    assert.equal(m('sip:1??????????@*', '25551234567'), false);
    assert.equal(m('sip:????@*', '1000'), true);
    assert.equal(m('sip:????@*', '100'), false);
  });

  it('* alone matches everything, including a subject without a host', () => {
    const all = p('*');
    assert.equal(all.matchesAll, true);
    assert.equal(matchDialPattern(all, { user: '', host: '' }), true);
    assert.equal(matchDialPattern(all, { scheme: 'tel', user: '+15551234567', host: '' }), true);
  });

  it('* inside a pattern spans any run, including none', () => {
    assert.equal(m('sip:1555*@*', '1555'), true);
    assert.equal(m('sip:1555*@*', '15551234567'), true);
    assert.equal(m('sip:1555*@*', '1556'), false);
    assert.equal(m('sip:*@*', ''), true);
  });
});

describe('dial patterns: classes and literals', () => {
  it('[...] classes with ranges and lists pin one character', () => {
    assert.equal(m('sip:[2-9]11@*', '911'), true);
    assert.equal(m('sip:[2-9]11@*', '411'), true);
    assert.equal(m('sip:[2-9]11@*', '111'), false);
    assert.equal(m('sip:[135]00@*', '300'), true);
    assert.equal(m('sip:[135]00@*', '200'), false);
    assert.equal(m('sip:1[2-9]??[2-9]??????@*', '12125551234'), true, 'NANP written with classes');
    assert.equal(m('sip:1[2-9]??[2-9]??????@*', '12121551234'), false, 'exchange may not start with 1');
    assert.equal(m('sip:[*#]7?@*', '*72'), true, '* and # can be listed in a class');
  });

  it('NXX letters are literal, not wildcards', () => {
    assert.equal(m('sip:1NXXNXXXXXX@*', '12125551234'), false);
    assert.equal(m('sip:1NXXNXXXXXX@*', '1NXXNXXXXXX'), true);
  });

  it('an IPv6 host in brackets is a literal host, not a class', () => {
    const c = p('sip:611@[2001:db8::1]');
    assert.equal(matchDialPattern(c, { user: '611', host: '[2001:db8::1]' }), true);
    assert.equal(matchDialPattern(c, { user: '611', host: '2' }), false);
  });

  it('regex metacharacters are literal', () => {
    assert.equal(m('sip:1.2+3@*', '1.2+3'), true);
    assert.equal(m('sip:1.2+3@*', '1x2223'), false);
    assert.equal(m('Prompt_900001.Case_1', 'Prompt_900001.Case_1'), true, 'stored tables use bare users like this');
    assert.equal(m('Prompt_900001.Case_1', 'Prompt_900001xCase_1'), false);
  });

  it('comparison is case-insensitive (hosts are)', () => {
    assert.equal(m('sip:611@PBX.example', '611', 'pbx.EXAMPLE'), true);
    assert.equal(m('SIP:611@*', '611'), true);
  });
});

describe('dial patterns: shape decides what is compared', () => {
  it('a bare user compares with the user alone', () => {
    assert.equal(m('611', '611', 'anything'), true);
    assert.equal(m('6??', '611', ''), true);
  });
  it('user@host without a scheme compares with user@host', () => {
    assert.equal(m('611@pbx.example', '611', 'pbx.example', 'sips'), true);
    assert.equal(m('611@pbx.example', '611', 'other.example'), false);
  });
  it('a scheme in the pattern must match the subject scheme', () => {
    assert.equal(m('sip:611@*', '611', 'h', 'sip'), true);
    assert.equal(m('sip:611@*', '611', 'h', 'sips'), false);
    assert.equal(m('sips:611@*', '611', 'h', 'sips'), true);
  });
  it('a pattern with a host matches a host-less subject only through *', () => {
    assert.equal(matchDialPattern(p('sip:1900*@*'), parseDialSubject('19005551234')), true);
    assert.equal(matchDialPattern(p('sip:1900*@carrier.example'), parseDialSubject('19005551234')), false);
  });
  it('parseDialSubject splits scheme, user and host and drops URI parameters', () => {
    assert.deepEqual(parseDialSubject('sip:1555@host.example;user=phone'), { scheme: 'sip', user: '1555', host: 'host.example' });
    assert.deepEqual(parseDialSubject('tel:+15551234567'), { scheme: 'tel', user: '+15551234567', host: '' });
    assert.deepEqual(parseDialSubject('1555@h'), { scheme: 'sip', user: '1555', host: 'h' });
  });
});

describe('dial patterns: validation names the field', () => {
  for (const bad of ['', 'sip:[1-5@*', 'sip:1]@*', 'sip:[]@*', 'sip:[^1]@*', 'sip:[9-1]@*', 'sip:@*', 'sip:611@', 'a b', 'sip:<611>@*', 'x'.repeat(257), 'sip:[1%]@*']) {
    it(`refuses ${JSON.stringify(bad.slice(0, 20))}`, () => {
      assert.throws(
        () => compileDialPattern(bad, 'matchFromUri'),
        (e: unknown) => e instanceof ValidationError && e.field === 'matchFromUri' && e.kind === 'VALIDATION',
      );
    });
  }

  it('never throws anything but ValidationError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          const c = compileDialPattern(s, 'f');
          // A compiled pattern must be usable on any subject without throwing.
          assert.equal(typeof matchDialPattern(c, { user: s, host: s }), 'boolean');
        } catch (e) {
          assert.ok(e instanceof ValidationError, String(e));
        }
      }),
    );
  });

  it('a literal pattern always matches itself (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z_.+-]{1,12}$/), fc.stringMatching(/^[a-z0-9.-]{1,12}$/), (user, host) => {
        assert.equal(matchDialPattern(p(`sip:${user}@${host}`), { user, host }), true);
        assert.equal(matchDialPattern(p(`sip:${user}@*`), { user, host }), true);
      }),
    );
  });
});

describe('dial patterns: specificity', () => {
  const order = (...patterns: string[]) => patterns.map(p).sort(compareSpecificity).map((c) => c.source);
  it('more literal user characters first', () => {
    assert.deepEqual(order('sip:*@*', 'sip:9*@*', 'sip:911@*'), ['sip:911@*', 'sip:9*@*', 'sip:*@*']);
  });
  it('then more pinned positions, then fewer stars', () => {
    assert.deepEqual(order('sip:*@*', 'sip:????@*'), ['sip:????@*', 'sip:*@*']);
    assert.deepEqual(order('sip:1*?@*', 'sip:1?@*'), ['sip:1?@*', 'sip:1*?@*']);
  });
  it('the user part decides before the host: 911 beats a host-specific catch-all', () => {
    assert.deepEqual(order('sip:*@carrier.example.com', 'sip:911@*'), ['sip:911@*', 'sip:*@carrier.example.com']);
  });
  it('the host breaks ties between equal users', () => {
    assert.deepEqual(order('sip:611@*', 'sip:611@pbx.example'), ['sip:611@pbx.example', 'sip:611@*']);
  });
});
