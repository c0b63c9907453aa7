import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../src/model/errors.js';
import { defaultSettings } from '../../../src/model/validate-connection.js';
import type { Connection } from '../../../src/model/connection.js';
import type { EnswitchPeerExtension } from '../../../src/model/extensions/enswitch-peer.js';
import { WAVIX_TRUNK_DEFAULTS, type WavixTrunkExtension } from '../../../src/model/extensions/wavix-trunk.js';
import {
  ANONYMOUS_HOST,
  PRIVACY_VALUES,
  applyConnectionTranslations,
  applyEnswitchCalled,
  applyEnswitchCaller,
  applyLegRules,
  applyWavixRewrite,
  callerUnknown,
  callerWithheld,
  compilePaiFormat,
  escapeUser,
  identityHeaders,
  nameAddr,
  parseCallerId,
  parsePrivacyHeader,
  rewriteDialledNumber,
  seededRandom,
  serverHeader,
  shouldFail,
  type CallIdentity,
  type HeaderOp,
  type LegRuleSettings,
} from '../../../src/edge/rules/index.js';

const caller: CallIdentity = {
  requestUser: '5551234',
  requestHost: 'edge.trunkline.example',
  toUser: '5551234',
  toHost: 'edge.trunkline.example',
  fromUser: '2125550100',
  fromHost: 'acme.example',
  displayName: 'Alice Example',
  privacy: [],
};
const withheldCaller: CallIdentity = { ...caller, privacy: ['id'] };

const ENSWITCH_DEFAULTS: EnswitchPeerExtension = {
  name: 'carrier',
  type: 'sip',
  calledPrefix: '',
  calledStripHash: false,
  callerid: '',
  calleridUnknown: 'Anonymous',
  calleridWithheld: 'Anonymous',
  channelGroup: 1,
  charge: true,
  codecs: ['alaw', 'g722', 'g726', 'g729', 'gsm', 'ilbc', 'lpc10', 'slin', 'speex', 'ulaw'],
  context: '',
  costs: false,
  currency: 'USD',
  customer: 0,
  dialplanCalled: '',
  dialplanCaller: '',
  dtmfmode: 'rfc2833',
  failPercent: 0,
  planCustomer: -1,
  proxy: '',
  sendAssertedIdentity: false,
  sendPrivacy: false,
  sendRpid: false,
  urlCosts: '',
};

const WAVIX_DEFAULTS: WavixTrunkExtension = { ...WAVIX_TRUNK_DEFAULTS, allowedIps: [], transcriptionThreshold: null };

function connection(patch: Partial<Connection> = {}): Connection {
  return {
    ...defaultSettings(),
    id: 1,
    domain: 'acme.example',
    origMatchPattern: 'sip*@carrier.example',
    createdBy: 'netsapiens',
    createdAt: '2024-01-01T00:00:00Z',
    lastModified: '2024-01-01T00:00:00Z',
    ext: {},
    ...patch,
  };
}
const header = (ops: readonly HeaderOp[], name: string) => ops.find((h) => h.name === name);

describe('privacy and unknown callers', () => {
  it('parses Privacy header values and ignores unknown ones', () => {
    assert.deepEqual(parsePrivacyHeader('id; critical'), ['id', 'critical']);
    assert.deepEqual(parsePrivacyHeader('ID;user,bogus'), ['id', 'user']);
    assert.deepEqual(parsePrivacyHeader(undefined), []);
  });
  it('withheld: Privacy id or user (unless none), or an anonymous From', () => {
    assert.equal(callerWithheld(caller), false);
    assert.equal(callerWithheld({ ...caller, privacy: ['id'] }), true);
    assert.equal(callerWithheld({ ...caller, privacy: ['user'] }), true);
    assert.equal(callerWithheld({ ...caller, privacy: ['id', 'none'] }), false);
    assert.equal(callerWithheld({ ...caller, privacy: ['header'] }), false);
    assert.equal(callerWithheld({ ...caller, fromUser: 'Anonymous' }), true);
    assert.equal(callerWithheld({ ...caller, fromHost: ANONYMOUS_HOST }), true);
  });
  it('unknown: empty or a placeholder number', () => {
    for (const u of ['', ' ', 'unknown', 'Unavailable', 'restricted']) assert.equal(callerUnknown({ ...caller, fromUser: u }), true, u);
    assert.equal(callerUnknown(caller), false);
  });
});

describe('NetSapiens connection translations', () => {
  const none = { translationRequestUser: '', translationRequestHost: '', translationDestinationUser: '', translationDestinationHost: '', translationSourceUser: '', translationSourceHost: '' };

  it('off (empty templates): the identity is unchanged and nothing applied', () => {
    const r = applyConnectionTranslations(caller, none);
    assert.deepEqual(r.identity, caller);
    assert.deepEqual(r.applied, []);
  });

  it('each field acts on its part: request = R-URI, destination = To, source = From', () => {
    const r = applyConnectionTranslations(caller, {
      translationRequestUser: '1[*]',
      translationRequestHost: 'sip.carrier.example',
      translationDestinationUser: '+1[*]',
      translationDestinationHost: 'carrier.example',
      translationSourceUser: '+1[*]',
      translationSourceHost: 'acme-trunk.example',
    });
    assert.deepEqual(r.identity, {
      ...caller,
      requestUser: '15551234',
      requestHost: 'sip.carrier.example',
      toUser: '+15551234',
      toHost: 'carrier.example',
      fromUser: '+12125550100',
      fromHost: 'acme-trunk.example',
    });
    assert.deepEqual(r.applied, ['translationRequestUser', 'translationRequestHost', 'translationDestinationUser', 'translationDestinationHost', 'translationSourceUser', 'translationSourceHost']);
  });

  it('[*] alone changes nothing and is not reported as applied', () => {
    const r = applyConnectionTranslations(caller, { ...none, translationRequestUser: '[*]' });
    assert.deepEqual(r.applied, []);
  });

  it('an anonymous or empty From user is not re-formatted by the source-user template', () => {
    const r = applyConnectionTranslations({ ...caller, fromUser: 'anonymous' }, { ...none, translationSourceUser: '1[*]' });
    assert.equal(r.identity.fromUser, 'anonymous');
    assert.equal(applyConnectionTranslations({ ...caller, fromUser: '' }, { ...none, translationSourceUser: '1[*]' }).identity.fromUser, '');
  });

  it('an invalid template is skipped and reported, never thrown', () => {
    const r = applyConnectionTranslations(caller, { ...none, translationRequestUser: '[1-3]', translationDestinationUser: '9[*]' });
    assert.deepEqual(r.skipped.map((s) => s.field), ['translationRequestUser']);
    assert.equal(r.identity.requestUser, '5551234');
    assert.equal(r.identity.toUser, '95551234', 'other fields still apply');
  });
});

describe('Enswitch called number', () => {
  it('off: unchanged', () => {
    const r = applyEnswitchCalled({ ...caller, requestUser: '5551234#' }, { calledPrefix: '', calledStripHash: false });
    assert.equal(r.identity.requestUser, '5551234#');
    assert.deepEqual(r.applied, []);
  });
  it('called_strip_hash strips trailing # (and %23), only at the end', () => {
    const r = applyEnswitchCalled({ ...caller, requestUser: '*72#5551234##', toUser: '5551234%23' }, { calledPrefix: '', calledStripHash: true });
    assert.equal(r.identity.requestUser, '*72#5551234');
    assert.equal(r.identity.toUser, '5551234');
    assert.deepEqual(r.applied, ['calledStripHash']);
  });
  it('called_prefix prepends to the R-URI and To users, after stripping', () => {
    const r = applyEnswitchCalled({ ...caller, requestUser: '5551234#', toUser: '5551234#' }, { calledPrefix: '9', calledStripHash: true });
    assert.equal(r.identity.requestUser, '95551234');
    assert.equal(r.identity.toUser, '95551234');
    assert.deepEqual(r.applied, ['calledStripHash', 'calledPrefix']);
  });
});

describe('Enswitch caller ID', () => {
  const s = { callerid: '', calleridWithheld: 'Anonymous', calleridUnknown: 'Anonymous' };

  it('parses Asterisk caller-ID strings', () => {
    assert.deepEqual(parseCallerId('"Acme Sales" <18005550100>'), { name: 'Acme Sales', number: '18005550100' });
    assert.deepEqual(parseCallerId('Acme <+18005550100>'), { name: 'Acme', number: '+18005550100' });
    assert.deepEqual(parseCallerId('<100>'), { name: undefined, number: '100' });
    assert.deepEqual(parseCallerId('18005550100'), { name: undefined, number: '18005550100' });
    assert.deepEqual(parseCallerId('Anonymous'), { name: 'Anonymous', number: undefined });
    assert.deepEqual(parseCallerId('"Say \\"hi\\""'), { name: 'Say "hi"', number: undefined });
    assert.deepEqual(parseCallerId(''), { name: undefined, number: undefined });
  });

  it('all defaults on a normal call: unchanged', () => {
    const r = applyEnswitchCaller(caller, s);
    assert.deepEqual(r.identity, caller);
    assert.deepEqual(r.applied, []);
    assert.equal(r.withheld, false);
  });

  it('callerid forces the parts it names', () => {
    const both = applyEnswitchCaller(caller, { ...s, callerid: '"Acme" <18005550100>' });
    assert.equal(both.identity.fromUser, '18005550100');
    assert.equal(both.identity.displayName, 'Acme');
    assert.deepEqual(both.asserted, { user: '18005550100', host: 'acme.example', displayName: 'Acme' });
    const numberOnly = applyEnswitchCaller(caller, { ...s, callerid: '18005550100' });
    assert.equal(numberOnly.identity.displayName, 'Alice Example');
    assert.deepEqual(numberOnly.applied, ['callerid']);
  });

  it('withheld with the default "Anonymous": the RFC 3323 anonymous From; the asserted caller keeps the real number', () => {
    const r = applyEnswitchCaller(withheldCaller, s);
    assert.equal(r.identity.fromUser, 'anonymous');
    assert.equal(r.identity.fromHost, 'anonymous.invalid');
    assert.equal(r.identity.displayName, 'Anonymous');
    assert.deepEqual(r.asserted, { user: '2125550100', host: 'acme.example', displayName: 'Alice Example' });
    assert.deepEqual(r.applied, ['calleridWithheld']);
  });

  it('withheld with a number, with "none" (empty), and with a forced number', () => {
    const num = applyEnswitchCaller(withheldCaller, { ...s, calleridWithheld: '0000000000' });
    assert.deepEqual([num.identity.fromUser, num.identity.fromHost, num.identity.displayName], ['0000000000', 'acme.example', '']);
    const none = applyEnswitchCaller(withheldCaller, { ...s, calleridWithheld: '' });
    assert.deepEqual([none.identity.fromUser, none.identity.fromHost, none.identity.displayName], ['anonymous', 'anonymous.invalid', '']);
    const forced = applyEnswitchCaller(withheldCaller, { ...s, callerid: '"Acme" <18005550100>' });
    assert.equal(forced.identity.fromUser, '18005550100', 'force wins: the number is the operator’s, not the caller’s');
    assert.deepEqual(forced.applied, ['callerid']);
    const nameOnly = applyEnswitchCaller(withheldCaller, { ...s, callerid: 'Acme' });
    assert.equal(nameOnly.identity.fromUser, 'anonymous', 'a forced name does not expose the withheld number');
    assert.equal(nameOnly.identity.displayName, 'Acme');
  });

  it('an anonymous From counts as withheld', () => {
    const r = applyEnswitchCaller({ ...caller, fromUser: 'anonymous', fromHost: 'anonymous.invalid', displayName: 'Anonymous' }, { ...s, calleridWithheld: '"Private" <0000>' });
    assert.equal(r.withheld, true);
    assert.equal(r.identity.fromUser, '0000');
    assert.equal(r.identity.displayName, 'Private');
  });

  it('unknown number: callerid_unknown supplies it; "none" leaves the From alone', () => {
    const unknown = { ...caller, fromUser: '', displayName: '' };
    const num = applyEnswitchCaller(unknown, { ...s, calleridUnknown: '"Unknown" <0000000000>' });
    assert.deepEqual([num.identity.fromUser, num.identity.displayName], ['0000000000', 'Unknown']);
    const def = applyEnswitchCaller(unknown, s);
    assert.deepEqual([def.identity.fromUser, def.identity.fromHost, def.identity.displayName], ['anonymous', 'anonymous.invalid', 'Anonymous']);
    const none = applyEnswitchCaller(unknown, { ...s, calleridUnknown: '' });
    assert.deepEqual(none.identity, unknown);
    const named = applyEnswitchCaller({ ...unknown, displayName: 'Bob' }, s);
    assert.equal(named.identity.displayName, 'Bob', "the caller's own name is kept");
  });
});

describe('Wavix rewrite', () => {
  const on = { rewriteEnabled: true, rewriteCond: '0', rewritePrefix: '44' };
  it('off: unchanged even with cond and prefix set', () => {
    assert.equal(rewriteDialledNumber('07700900123', { ...on, rewriteEnabled: false }), '07700900123');
  });
  it('cond then prefix: replace the leading digits', () => {
    assert.equal(rewriteDialledNumber('07700900123', on), '447700900123');
  });
  it('a number not starting with cond is left alone, prefix included', () => {
    assert.equal(rewriteDialledNumber('447700900123', on), '447700900123');
  });
  it('empty cond: pure prefixing; empty prefix: pure stripping', () => {
    assert.equal(rewriteDialledNumber('5551234', { rewriteEnabled: true, rewriteCond: '', rewritePrefix: '1' }), '15551234');
    assert.equal(rewriteDialledNumber('0114420712345', { rewriteEnabled: true, rewriteCond: '011', rewritePrefix: '' }), '4420712345');
    assert.equal(rewriteDialledNumber('5551234', { rewriteEnabled: true, rewriteCond: '', rewritePrefix: '' }), '5551234');
  });
  it('applies to the R-URI and To users', () => {
    const r = applyWavixRewrite({ ...caller, requestUser: '07700900123', toUser: '07700900123' }, on);
    assert.equal(r.identity.requestUser, '447700900123');
    assert.equal(r.identity.toUser, '447700900123');
    assert.equal(r.identity.fromUser, caller.fromUser);
    assert.deepEqual(r.applied, ['rewrite']);
  });
});

describe('P-Asserted-Identity format (customPAssertedIdFormat)', () => {
  const asserted = { user: '2125550100', host: 'acme.example', displayName: '' };
  const pai = (format: string, who = asserted) => header(identityHeaders(who, false, { paiFormat: compilePaiFormat(format) }), 'P-Asserted-Identity');

  it("'' sends no PAI (and removes none)", () => {
    assert.deepEqual(identityHeaders(asserted, false, { paiFormat: compilePaiFormat('') }), []);
  });
  it('user templates: [*] is the caller number; the host is the caller host', () => {
    assert.deepEqual(pai('[*]'), { action: 'set', name: 'P-Asserted-Identity', value: '<sip:2125550100@acme.example>' });
    assert.deepEqual(pai('+1[*]'), { action: 'set', name: 'P-Asserted-Identity', value: '<sip:+12125550100@acme.example>' });
  });
  it('a literal number or the vendor example "sample" is the same for every call', () => {
    assert.deepEqual(pai('18005550100'), { action: 'set', name: 'P-Asserted-Identity', value: '<sip:18005550100@acme.example>' });
    assert.deepEqual(pai('sample'), { action: 'set', name: 'P-Asserted-Identity', value: '<sip:sample@acme.example>' });
  });
  it('user@host, sip:, sips:, tel: and <...> forms', () => {
    const v = (f: string) => {
      const h = pai(f);
      return h?.action === 'set' ? h.value : undefined;
    };
    assert.equal(v('[*]@pbx.example'), '<sip:2125550100@pbx.example>');
    assert.equal(v('sip:+1[*]@pbx.example'), '<sip:+12125550100@pbx.example>');
    assert.equal(v('sips:[*]@[*]'), '<sips:2125550100@acme.example>');
    assert.equal(v('tel:+1[*]'), '<tel:+12125550100>');
    assert.equal(v('<sip:[*]@pbx.example>'), '<sip:2125550100@pbx.example>');
  });
  it('a display name is quoted', () => {
    const h = pai('[*]', { ...asserted, displayName: 'Alice "Al" Example' });
    assert.equal(h?.action === 'set' && h.value, '"Alice \\"Al\\" Example" <sip:2125550100@acme.example>');
  });
  it('[*] with no assertable number sends nothing; a literal still goes', () => {
    assert.equal(pai('[*]', { ...asserted, user: 'anonymous' }), undefined);
    assert.equal(pai('+1[*]', { ...asserted, user: '' }), undefined);
    assert.equal(pai('18005550100', { ...asserted, user: '' })?.action, 'set');
  });
  it('compilePaiFormat refuses what the translation grammar refuses, naming the field', () => {
    for (const bad of ['[1-3]', 'sip:pbx.example', 'a b', '@host', 'user@', 'tel:', 'sip:[*]@bad host']) {
      assert.throws(() => compilePaiFormat(bad), (e: unknown) => e instanceof ValidationError && e.field === 'customPAssertedIdFormat', bad);
    }
  });
});

describe('identity headers: Enswitch send_* and privacy', () => {
  const asserted = { user: '2125550100', host: 'acme.example', displayName: 'Alice' };
  const none = compilePaiFormat('');

  it('send_asserted_identity on/off', () => {
    assert.deepEqual(header(identityHeaders(asserted, false, { paiFormat: none, sendAssertedIdentity: true }), 'P-Asserted-Identity'), {
      action: 'set',
      name: 'P-Asserted-Identity',
      value: '"Alice" <sip:2125550100@acme.example>',
    });
    assert.deepEqual(header(identityHeaders(asserted, false, { paiFormat: none, sendAssertedIdentity: false }), 'P-Asserted-Identity'), {
      action: 'remove',
      name: 'P-Asserted-Identity',
    });
  });

  it('customPAssertedIdFormat wins over send_asserted_identity', () => {
    const ops = identityHeaders(asserted, false, { paiFormat: compilePaiFormat('18005550100'), sendAssertedIdentity: true });
    assert.equal(ops.filter((h) => h.name === 'P-Asserted-Identity').length, 1);
    assert.deepEqual(header(ops, 'P-Asserted-Identity'), { action: 'set', name: 'P-Asserted-Identity', value: '"Alice" <sip:18005550100@acme.example>' });
  });

  it('send_rpid: draft-ietf-sip-privacy-04 format, privacy=off or full', () => {
    const off = header(identityHeaders(asserted, false, { paiFormat: none, sendRpid: true }), 'Remote-Party-ID');
    assert.deepEqual(off, { action: 'set', name: 'Remote-Party-ID', value: '"Alice" <sip:2125550100@acme.example>;party=calling;screen=yes;privacy=off' });
    const full = header(identityHeaders(asserted, true, { paiFormat: none, sendRpid: true }), 'Remote-Party-ID');
    assert.ok(full?.action === 'set' && full.value.endsWith(';privacy=full'));
    assert.deepEqual(header(identityHeaders(asserted, false, { paiFormat: none, sendRpid: false }), 'Remote-Party-ID'), { action: 'remove', name: 'Remote-Party-ID' });
  });

  it('send_privacy: Privacy: id when withheld; removed otherwise', () => {
    assert.deepEqual(header(identityHeaders(asserted, true, { paiFormat: none, sendPrivacy: true }), 'Privacy'), { action: 'set', name: 'Privacy', value: 'id' });
    assert.deepEqual(header(identityHeaders(asserted, false, { paiFormat: none, sendPrivacy: true }), 'Privacy'), { action: 'remove', name: 'Privacy' });
    assert.deepEqual(header(identityHeaders(asserted, true, { paiFormat: none, sendPrivacy: false }), 'Privacy'), { action: 'remove', name: 'Privacy' });
  });

  it('a PAI carrying a withheld caller always travels with Privacy: id (RFC 3325 §7)', () => {
    const ops = identityHeaders(asserted, true, { paiFormat: compilePaiFormat('[*]'), sendPrivacy: false });
    assert.deepEqual(header(ops, 'Privacy'), { action: 'set', name: 'Privacy', value: 'id' });
    const noEnswitch = identityHeaders(asserted, true, { paiFormat: compilePaiFormat('[*]') });
    assert.deepEqual(header(noEnswitch, 'Privacy'), { action: 'set', name: 'Privacy', value: 'id' });
  });

  it('header values cannot be broken out of', () => {
    const evil = { user: '123>\r\nX-Evil: 1', host: 'acme.example\r\nX: y', displayName: 'A"\r\nB' };
    const ops = identityHeaders(evil, false, { paiFormat: none, sendAssertedIdentity: true, sendRpid: true });
    for (const h of ops) if (h.action === 'set') assert.ok(!/[\r\n]/.test(h.value), h.value);
    assert.equal(escapeUser('a b>#'), 'a%20b%3E%23');
    assert.equal(escapeUser('100%25'), '100%25', 'existing escapes kept');
    assert.equal(nameAddr('', 'sip:a@b'), '<sip:a@b>');
  });

  it('Server header on or off', () => {
    assert.deepEqual(serverHeader(true, 'trunkline/0.1.0'), { action: 'set', name: 'Server', value: 'trunkline/0.1.0' });
    assert.deepEqual(serverHeader(false, 'trunkline/0.1.0'), { action: 'remove', name: 'Server' });
    assert.deepEqual(serverHeader(true, '\r\n'), { action: 'set', name: 'Server', value: 'trunkline' });
  });
});

describe('fail_percent', () => {
  it('0 never fails and 100 always fails, without drawing', () => {
    let draws = 0;
    const rnd = () => {
      draws++;
      return 0;
    };
    assert.equal(shouldFail(0, rnd), false);
    assert.equal(shouldFail(-5, rnd), false);
    assert.equal(shouldFail(Number.NaN, rnd), false);
    assert.equal(shouldFail(100, rnd), true);
    assert.equal(shouldFail(150, rnd), true);
    assert.equal(draws, 0);
  });
  it('in between: a draw below percent/100 fails; the boundary does not', () => {
    assert.equal(shouldFail(30, () => 0.29), true);
    assert.equal(shouldFail(30, () => 0.3), false);
    assert.equal(shouldFail(30, () => 0.99), false);
    assert.equal(shouldFail(30, () => -1), true, 'clamped to 0');
    assert.equal(shouldFail(30, () => Number.NaN), false);
    assert.equal(shouldFail(30, () => {
      throw new Error('broken rng');
    }), false);
  });
  it('seeded: the same seed gives the same decisions, and the rate is about right', () => {
    const run = (seed: number) => {
      const rnd = seededRandom(seed);
      return Array.from({ length: 10_000 }, () => shouldFail(25, rnd));
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
    const rate = run(7).filter(Boolean).length / 10_000;
    assert.ok(rate > 0.23 && rate < 0.27, String(rate));
  });
  it('seededRandom stays in [0, 1) (property)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = r();
          assert.ok(x >= 0 && x < 1);
        }
      }),
    );
  });
});

describe('applyLegRules', () => {
  it('a default NetSapiens connection: term leg changes nothing; Server is removed from responses', () => {
    const out = applyLegRules('term', caller, connection());
    assert.deepEqual(out.identity, caller);
    assert.deepEqual(out.requestHeaders, []);
    assert.deepEqual(out.responseHeaders, [{ action: 'remove', name: 'Server' }]);
    assert.equal(out.reject, null);
    assert.deepEqual(out.applied, []);
    assert.deepEqual(out.skipped, []);
  });

  it('NetSapiens translations and PAI format on the term leg', () => {
    const c = connection({ translationRequestUser: '1[*]', translationSourceUser: '+1[*]', customPAssertedIdFormat: '[*]', includeServerHeader: true });
    const out = applyLegRules('term', caller, c, { serverProduct: 'trunkline/0.1.0' });
    assert.equal(out.identity.requestUser, '15551234');
    assert.equal(out.identity.fromUser, '+12125550100');
    assert.deepEqual(out.requestHeaders, [{ action: 'set', name: 'P-Asserted-Identity', value: '"Alice Example" <sip:+12125550100@acme.example>' }]);
    assert.deepEqual(out.responseHeaders, [{ action: 'set', name: 'Server', value: 'trunkline/0.1.0' }]);
    assert.deepEqual(out.applied, ['translationRequestUser', 'translationSourceUser', 'P-Asserted-Identity']);
  });

  it('NetSapiens-only connection, withheld caller, PAI set: Privacy: id goes with it', () => {
    const out = applyLegRules('term', withheldCaller, connection({ customPAssertedIdFormat: '[*]' }));
    assert.deepEqual(header(out.requestHeaders, 'Privacy'), { action: 'set', name: 'Privacy', value: 'id' });
    assert.deepEqual(out.identity, withheldCaller, 'no Enswitch caller rules: the From is the edge’s business');
  });

  it('an Enswitch peer: translations, then called rules, then caller rules, then headers', () => {
    const c = connection({
      createdBy: 'enswitch',
      translationSourceUser: '1[*]',
      ext: { enswitch: { ...ENSWITCH_DEFAULTS, calledPrefix: '9', calledStripHash: true, sendAssertedIdentity: true, sendPrivacy: true, sendRpid: true } },
    });
    const out = applyLegRules('term', { ...withheldCaller, requestUser: '5551234#', toUser: '5551234#' }, c);
    assert.equal(out.identity.requestUser, '95551234');
    assert.equal(out.identity.toUser, '95551234');
    assert.equal(out.identity.fromUser, 'anonymous', 'the withheld substitution is final, not re-translated');
    assert.equal(out.identity.fromHost, 'anonymous.invalid');
    assert.deepEqual(out.requestHeaders, [
      { action: 'set', name: 'P-Asserted-Identity', value: '"Alice Example" <sip:12125550100@acme.example>' },
      { action: 'set', name: 'Remote-Party-ID', value: '"Alice Example" <sip:12125550100@acme.example>;party=calling;screen=yes;privacy=full' },
      { action: 'set', name: 'Privacy', value: 'id' },
    ]);
    assert.deepEqual(out.applied, ['translationSourceUser', 'calledStripHash', 'calledPrefix', 'calleridWithheld', 'P-Asserted-Identity', 'Remote-Party-ID', 'Privacy']);
  });

  it('privacy and unknown callers are judged before translations reformat the From', () => {
    const c = connection({ translationSourceHost: 'trunk.acme.example', ext: { enswitch: { ...ENSWITCH_DEFAULTS, calleridUnknown: '0000' } } });
    const anon = applyLegRules('term', { ...caller, fromUser: 'x', fromHost: 'anonymous.invalid' }, c);
    assert.equal(anon.identity.fromUser, 'anonymous', 'withheld although the translated host no longer says so');
    const unknown = applyLegRules('term', { ...caller, fromUser: '' }, connection({ translationSourceUser: '1[*]', ext: { enswitch: { ...ENSWITCH_DEFAULTS, calleridUnknown: '0000' } } }));
    assert.equal(unknown.identity.fromUser, '0000');
  });

  it('an Enswitch peer with all send_* off removes the identity headers', () => {
    const out = applyLegRules('term', caller, connection({ ext: { enswitch: ENSWITCH_DEFAULTS } }));
    assert.deepEqual(out.requestHeaders, [
      { action: 'remove', name: 'P-Asserted-Identity' },
      { action: 'remove', name: 'Remote-Party-ID' },
      { action: 'remove', name: 'Privacy' },
    ]);
    assert.deepEqual(out.identity, caller);
  });

  it('fail_percent rejects with 503, deterministically when seeded', () => {
    const c = connection({ ext: { enswitch: { ...ENSWITCH_DEFAULTS, failPercent: 50 } } });
    const decisions = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => applyLegRules('term', caller, c, { random }).reject);
    };
    const a = decisions(1);
    assert.deepEqual(a, decisions(1));
    assert.ok(a.some((r) => r === null) && a.some((r) => r !== null));
    assert.deepEqual(a.find((r) => r !== null), { sipStatus: 503, reason: 'failPercent 50%' });
    const always = applyLegRules('term', caller, connection({ ext: { enswitch: { ...ENSWITCH_DEFAULTS, failPercent: 100 } } }));
    assert.equal(always.reject?.sipStatus, 503);
    assert.ok(always.applied.includes('failPercent'));
  });

  it('a Wavix trunk: rewrite on the orig leg only', () => {
    const c = connection({ createdBy: 'wavix', ext: { wavix: { ...WAVIX_DEFAULTS, rewriteEnabled: true, rewriteCond: '0', rewritePrefix: '44' } } });
    const dialled = { ...caller, requestUser: '07700900123', toUser: '07700900123' };
    const orig = applyLegRules('orig', dialled, c);
    assert.equal(orig.identity.requestUser, '447700900123');
    assert.deepEqual(orig.applied, ['rewrite']);
    assert.deepEqual(orig.requestHeaders, []);
    const term = applyLegRules('term', dialled, c);
    assert.equal(term.identity.requestUser, '07700900123', 'calls to the trunk are not rewritten');
  });

  it('the orig leg ignores term-only settings', () => {
    const c = connection({ translationRequestUser: '1[*]', customPAssertedIdFormat: '[*]', ext: { enswitch: { ...ENSWITCH_DEFAULTS, failPercent: 100, calledPrefix: '9' } } });
    const out = applyLegRules('orig', caller, c);
    assert.deepEqual(out.identity, caller);
    assert.equal(out.reject, null);
    assert.deepEqual(out.requestHeaders, []);
  });

  it('invalid stored values are skipped and reported, the rest still applies', () => {
    const c = connection({ translationRequestUser: '[bad]', customPAssertedIdFormat: 'sip:nohost', translationDestinationUser: '1[*]' });
    const out = applyLegRules('term', caller, c);
    assert.deepEqual(out.skipped.map((s) => s.field), ['translationRequestUser', 'customPAssertedIdFormat']);
    assert.equal(out.identity.toUser, '15551234');
  });

  it('never throws, whatever the identity and settings (property)', () => {
    const str = fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('', 'anonymous', 'Anonymous', 'anonymous.invalid', 'unknown', '2125550100', '"A" <1>'));
    const identity = fc.record({
      requestUser: str,
      requestHost: str,
      toUser: str,
      toHost: str,
      fromUser: str,
      fromHost: str,
      displayName: str,
      privacy: fc.subarray([...PRIVACY_VALUES]),
    });
    const tmpl = fc.oneof(str, fc.constantFrom('', '[*]', '1[*]', '+[*]', 'gw.example', 'sip:[*]@h', 'tel:[*]', '[x'));
    const settings: fc.Arbitrary<LegRuleSettings> = fc.record({
      translationRequestUser: tmpl,
      translationRequestHost: tmpl,
      translationDestinationUser: tmpl,
      translationDestinationHost: tmpl,
      translationSourceUser: tmpl,
      translationSourceHost: tmpl,
      customPAssertedIdFormat: tmpl,
      includeServerHeader: fc.boolean(),
      ext: fc.record(
        {
          enswitch: fc.record({
            calledPrefix: str,
            calledStripHash: fc.boolean(),
            callerid: str,
            calleridUnknown: str,
            calleridWithheld: str,
            sendAssertedIdentity: fc.boolean(),
            sendPrivacy: fc.boolean(),
            sendRpid: fc.boolean(),
            failPercent: fc.integer({ min: -10, max: 110 }),
          }),
          wavix: fc.record({ rewriteEnabled: fc.boolean(), rewriteCond: str, rewritePrefix: str }),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.constantFrom('term' as const, 'orig' as const), identity, settings, fc.integer(), (leg, id, s, seed) => {
        const out = applyLegRules(leg, id, s, { random: seededRandom(seed) });
        assert.deepEqual(out.skipped.filter((k) => k.field === '*'), [], 'no internal error');
        for (const h of [...out.requestHeaders, ...out.responseHeaders]) {
          if (h.action === 'set') assert.ok(!/[\r\n\u0000]/.test(h.value), `header ${h.name} is single-line`);
        }
        if (callerWithheld(id) && out.requestHeaders.some((h) => h.action === 'set' && h.name !== 'Privacy')) {
          assert.deepEqual(header(out.requestHeaders, 'Privacy'), { action: 'set', name: 'Privacy', value: 'id' }, 'identity of a withheld caller travels with Privacy: id');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
