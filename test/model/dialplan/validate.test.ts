import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrunklineError, ValidationError } from '../../../src/model/errors.js';
import {
  DIAL_RULE_FIELDS,
  applicationFromWire,
  buildDialPlan,
  buildDialRule,
  buildPermission,
  dialRuleId,
  dialRuleIdMatches,
  mergeDialRule,
  parseDialRuleId,
  parsePermissionId,
  permissionId,
  validateDialPlan,
  validateDialPolicy,
  type DialRule,
} from '../../../src/model/dialplan/index.js';

const base = { domain: 'acme.example', dialPlan: 'acme.example', matchToUri: 'sip:611@*', destinationUser: '2500' };
const fieldIs = (field: string) => (e: unknown) => e instanceof ValidationError && e.field === field;

describe('building a dial rule', () => {
  it('fills the vendor defaults', () => {
    const r = buildDialRule(base);
    assert.deepEqual(r, {
      ...base,
      matchFromUri: '*',
      matchDayOfWeek: '*',
      matchStartDate: '*',
      matchEndDate: '*',
      matchStartTime: '*',
      matchEndTime: '*',
      enabled: true,
      application: 'to-user',
      parameter: '',
      destinationScheme: '[*]',
      destinationHost: '[*]',
      sourceName: '[*]',
      sourceScheme: '[*]',
      sourceUser: '[*]',
      sourceHost: '[*]',
      description: '',
    });
  });

  it('requires the vendor-required fields, naming each', () => {
    for (const k of ['domain', 'dialPlan', 'matchToUri', 'destinationUser'] as const) {
      const patch: Record<string, unknown> = { ...base };
      delete patch[k];
      assert.throws(() => buildDialRule(patch), fieldIs(k), k);
    }
    assert.equal(buildDialRule({ ...base, destinationUser: '' }).destinationUser, '', "'' is a valid template (unchanged)");
  });

  it('names the canonical field for every kind of bad value', () => {
    const cases: [string, unknown][] = [
      ['enabled', 'yes'],
      ['application', 'to-nowhere'],
      ['destinationScheme', 'sips:'],
      ['matchToUri', 'sip:[1-@*'],
      ['matchFromUri', 'a b'],
      ['matchDayOfWeek', 'Mon'],
      ['matchStartDate', '2023-02-30'],
      ['matchEndTime', '24:00'],
      ['destinationUser', '[1-3]'],
      ['destinationHost', 'bad host'],
      ['sourceUser', '<OwnPhone>'],
      ['sourceName', 'a"b'],
      ['description', 'x'.repeat(1025)],
      ['parameter', 'line\nbreak'],
      ['domain', 'bad domain'],
      ['dialPlan', 'a/b'],
      ['nonsense', 'x'],
    ];
    for (const [field, value] of cases) {
      assert.throws(() => buildDialRule({ ...base, [field]: value }), fieldIs(field), `${field}=${JSON.stringify(value)}`);
    }
  });

  it('accepts the application as enum name or as the responder it stands for', () => {
    assert.equal(buildDialRule({ ...base, application: 'to-connection' }).application, 'to-connection');
    assert.equal(buildDialRule({ ...base, application: 'sip:start@to-connection' }).application, 'to-connection');
    assert.equal(buildDialRule({ ...base, application: 'sip:start@call-queueing' }).application, 'to-callqueue');
    assert.equal(applicationFromWire('Hangup'), 'hangup');
    assert.equal(applicationFromWire('TO-USER'), undefined, 'case-sensitive, like the vendor enum');
  });

  it('accepts the vendor examples', () => {
    const r = buildDialRule({
      ...base,
      matchToUri: 'sip:1??????????@*',
      matchFromUri: 'sip:????@*',
      matchDayOfWeek: '[1-5]',
      matchStartDate: '2023-09-15',
      matchEndDate: '2023-09-16',
      matchStartTime: '02:00',
      matchEndTime: '23:59',
      destinationHost: '<OwnDomain>',
      sourceName: 'sales_[*]',
      sourceUser: '<OwnCidNmbr>',
      sourceHost: '<OwnDomain>',
      destinationScheme: '<Null>',
      sourceScheme: 'sip:',
    });
    assert.equal(r.sourceName, 'sales_[*]');
    assert.equal(r.destinationScheme, '<Null>');
  });

  it('every catalog field has a default of its kind', () => {
    for (const [key, spec] of Object.entries(DIAL_RULE_FIELDS)) {
      if (spec.kind === 'enum') assert.ok(spec.values.includes(spec.default), key);
      if (spec.kind === 'bool') assert.equal(typeof spec.default, 'boolean', key);
      if (spec.kind === 'string') assert.ok(spec.default.length <= spec.maxLength, key);
    }
  });
});

describe('updating a dial rule', () => {
  const existing = buildDialRule(base);
  it('changes what the vendor lets change', () => {
    const r = mergeDialRule(existing, { enabled: false, destinationUser: '2600', description: 'moved' });
    assert.equal(r.enabled, false);
    assert.equal(r.destinationUser, '2600');
    assert.equal(r.matchToUri, 'sip:611@*');
  });
  it('refuses changes to matching fields, but not the same value sent back', () => {
    assert.throws(() => mergeDialRule(existing, { matchToUri: 'sip:612@*' }), fieldIs('matchToUri'));
    assert.throws(() => mergeDialRule(existing, { matchDayOfWeek: '1' }), fieldIs('matchDayOfWeek'));
    assert.equal(mergeDialRule(existing, { matchToUri: 'sip:611@*', description: 'x' }).description, 'x');
  });
});

describe('dial plans', () => {
  it('builds an empty plan and validates rules against it', () => {
    const plan = buildDialPlan({ domain: 'acme.example', name: 'acme.example', description: 'Acme' });
    assert.deepEqual(plan, { id: null, domain: 'acme.example', name: 'acme.example', description: 'Acme', rules: [] });
    const rules: DialRule[] = [buildDialRule(base), buildDialRule({ ...base, matchToUri: 'sip:612@*' })];
    assert.equal(validateDialPlan({ ...plan, rules }).rules.length, 2);
  });
  it('names spaces are allowed (vendor tables are called "Cloud PBX Features"), slashes and blanks are not', () => {
    assert.equal(buildDialPlan({ domain: '*', name: 'Cloud PBX Features', description: '' }).name, 'Cloud PBX Features');
    assert.throws(() => buildDialPlan({ domain: 'a', name: ' ', description: '' }), fieldIs('name'));
    assert.throws(() => buildDialPlan({ domain: 'a', name: 'x/y', description: '' }), fieldIs('name'));
    assert.throws(() => buildDialPlan({ domain: 'a', name: 'x' }), fieldIs('description'));
  });
  it('refuses rules of another plan or domain, and two rules with the same matching fields (409)', () => {
    const plan = buildDialPlan({ domain: 'acme.example', name: 'acme.example', description: '' });
    assert.throws(() => validateDialPlan({ ...plan, rules: [buildDialRule({ ...base, dialPlan: 'other' })] }), fieldIs('dialPlan'));
    assert.throws(() => validateDialPlan({ ...plan, rules: [buildDialRule({ ...base, domain: 'other.example' })] }), fieldIs('domain'));
    assert.throws(
      () => validateDialPlan({ ...plan, rules: [buildDialRule(base), buildDialRule({ ...base, description: 'again' })] }),
      (e: unknown) => e instanceof TrunklineError && e.kind === 'CONFLICT' && e.httpStatus === 409,
    );
  });
});

describe('dial policies and permissions', () => {
  it('builds a permission and names bad fields', () => {
    const p = buildPermission({ dialPolicy: 'US and Canada', match: 'sip:1900*@*', mode: 'deny', reason: 'premium' });
    assert.deepEqual(p, { dialPolicy: 'US and Canada', domain: '', match: 'sip:1900*@*', mode: 'deny', reason: 'premium', createdAt: null });
    assert.throws(() => buildPermission({ dialPolicy: 'x', match: 'sip:1900*@*', mode: 'allow', reason: '' }), fieldIs('mode'));
    assert.throws(() => buildPermission({ dialPolicy: 'x', match: '[', mode: 'deny', reason: '' }), fieldIs('match'));
    assert.throws(() => buildPermission({ dialPolicy: 'x', match: '1*', mode: 'deny' }), fieldIs('reason'));
  });
  it('refuses two permissions with the same match (their id would collide)', () => {
    const a = buildPermission({ dialPolicy: 'p', match: '1900*', mode: 'deny', reason: '' });
    assert.throws(
      () => validateDialPolicy({ name: 'p', domain: 'acme.example', description: '', permissions: [a, { ...a, mode: 'permit' }] }),
      (e: unknown) => e instanceof TrunklineError && e.kind === 'CONFLICT',
    );
    assert.equal(validateDialPolicy({ name: 'p', domain: 'acme.example', description: '', permissions: [a] }).permissions.length, 1);
  });
});

describe('vendor ids', () => {
  it('dialrule is base64 of the seven matching fields joined with ||', () => {
    const r = buildDialRule({ ...base, matchDayOfWeek: '[1-5]' });
    const id = dialRuleId(r);
    assert.equal(Buffer.from(id, 'base64').toString(), 'sip:611@*||*||[1-5]||*||*||*||*');
    assert.deepEqual(parseDialRuleId(id).matchDayOfWeek, '[1-5]');
    assert.equal(dialRuleIdMatches(id, r), true);
  });
  it("the vendor's short example id (to-uri only) names the rule with default matching fields", () => {
    assert.equal(parseDialRuleId('c2lwOjYxMUAq').matchToUri, 'sip:611@*');
    assert.equal(dialRuleIdMatches('c2lwOjYxMUAq', buildDialRule(base)), true);
    assert.equal(dialRuleIdMatches('c2lwOjYxMUAq', buildDialRule({ ...base, matchDayOfWeek: '1' })), false);
  });
  it('bad ids are ValidationErrors, and id matching never throws', () => {
    assert.throws(() => parseDialRuleId('***'), fieldIs('dialrule'));
    assert.throws(() => parseDialRuleId(Buffer.from('a||b||c||d||e||f||g||h').toString('base64')), fieldIs('dialrule'));
    assert.equal(dialRuleIdMatches('%%%', buildDialRule(base)), false);
  });
  it('permission-id is base64 of the match, URL-safe alphabet accepted', () => {
    assert.equal(permissionId('sip:1900*@*'), Buffer.from('sip:1900*@*').toString('base64'));
    assert.equal(parsePermissionId(permissionId('1??>?')), '1??>?');
    assert.equal(parsePermissionId(Buffer.from('1??>?').toString('base64url')), '1??>?');
  });
});
