import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  DIAL_PLAN_FIELDS,
  DIAL_POLICY_FIELDS,
  DIAL_RULE_APPLICATIONS,
  DIAL_RULE_FIELDS,
  DIAL_RULE_RESPONDERS,
  DIAL_RULE_SCHEMES,
  DIAL_RULE_WIRE_NAMES,
  NETSAPIENS_DIAL_PLAN_NAMES,
  NETSAPIENS_DIAL_POLICY_NAMES,
  NETSAPIENS_DIAL_RULE_NAMES,
  NETSAPIENS_PERMISSION_NAMES,
  PERMISSION_FIELDS,
  PERMISSION_MODES,
  buildDialRule,
  dialPlanFromWire,
  dialPolicyFromWire,
  dialRuleFromWire,
  dialRuleId,
  dialRuleToWire,
  permissionFromWire,
} from '../../../src/model/dialplan/index.js';

const SPEC = new URL('../../../../shared/specs/netsapiens-v2-subset.json', import.meta.url);
const haveSpec = existsSync(SPEC);
const skip = haveSpec ? false : 'vendor spec ../shared/specs/netsapiens-v2-subset.json is absent';

interface Schema {
  properties: Record<string, { default?: unknown; enum?: string[]; $ref?: string; 'x-apidog-enum'?: { value: string; description: string }[] }>;
  required?: string[];
  enum?: string[];
  'x-apidog-enum'?: { value: string; description: string }[];
}
const schemas = (): Record<string, Schema> =>
  (JSON.parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components.schemas;

describe('NetSapiens names against the vendor spec', { skip }, () => {
  it('every DialRule property is mapped (dialrule is the derived id)', () => {
    const props = Object.keys(schemas().DialRule!.properties);
    const mapped = new Set([...Object.keys(NETSAPIENS_DIAL_RULE_NAMES), 'dialrule']);
    assert.deepEqual(props.filter((p) => !mapped.has(p)), []);
    assert.deepEqual([...mapped].filter((p) => !props.includes(p)), []);
  });

  it('DialRule defaults, required fields and scheme enums agree with the catalog', () => {
    const rule = schemas().DialRule!;
    for (const [wire, prop] of Object.entries(rule.properties)) {
      const key = (NETSAPIENS_DIAL_RULE_NAMES as Record<string, keyof typeof DIAL_RULE_FIELDS>)[wire];
      if (key === undefined) continue;
      if (prop.default !== undefined) assert.equal(DIAL_RULE_FIELDS[key].default, prop.default, wire);
      if (prop.enum !== undefined) assert.deepEqual([...prop.enum], [...DIAL_RULE_SCHEMES], wire);
      if ((rule.required ?? []).includes(wire)) assert.equal(DIAL_RULE_FIELDS[key].required, true, wire);
    }
    assert.equal(DIAL_RULE_FIELDS.enabled.default, true, 'YesNoStringYesDefault');
  });

  it('applications are the vendor enum, responders its descriptions', () => {
    const app = schemas().DialruleApplication!;
    assert.deepEqual([...DIAL_RULE_APPLICATIONS], app.enum);
    for (const { value, description } of app['x-apidog-enum'] ?? []) {
      const responders = DIAL_RULE_RESPONDERS[value as keyof typeof DIAL_RULE_RESPONDERS];
      // The vendor lists alternative spellings separated by a space (to-callqueue); names may hold spaces.
      assert.equal(responders.join(' '), description, value);
    }
  });

  it('Dialplan, Dialpolicy and Permission properties are mapped', () => {
    const s = schemas();
    assert.deepEqual(Object.keys(s.Dialplan!.properties).sort(), Object.keys(NETSAPIENS_DIAL_PLAN_NAMES).sort());
    assert.deepEqual(Object.keys(s.Dialpolicy!.properties).sort(), Object.keys(NETSAPIENS_DIAL_POLICY_NAMES).sort());
    const perm = Object.keys(s.Permission!.properties).filter((p) => p !== 'permission-id');
    assert.deepEqual(perm.sort(), Object.keys(NETSAPIENS_PERMISSION_NAMES).sort());
    assert.deepEqual(s.Permission!.properties['permission-mode']!.enum, [...PERMISSION_MODES]);
  });

  it('canonical catalogs cover every mapped key', () => {
    for (const key of Object.values(NETSAPIENS_DIAL_PLAN_NAMES)) if (key !== 'id') assert.ok(key in DIAL_PLAN_FIELDS, key);
    for (const key of Object.values(NETSAPIENS_DIAL_POLICY_NAMES)) assert.ok(key in DIAL_POLICY_FIELDS, key);
    for (const key of Object.values(NETSAPIENS_PERMISSION_NAMES)) if (key !== 'createdAt') assert.ok(key in PERMISSION_FIELDS, key);
  });
});

describe('wire conversion', () => {
  it("the vendor's create example converts to a valid rule", () => {
    const body = {
      synchronous: 'yes',
      'dial-rule-matching-to-uri': 'sip:611@*',
      'dial-rule-matching-from-uri': '*',
      enabled: 'yes',
      'dial-rule-translation-source-name': '611 - [*]',
      'dial-rule-translation-source-user': '[*]',
      'dial-rule-translation-source-host': '[*]',
      'dial-rule-application': 'to-callqueue',
      'dial-rule-translation-destination-user': '2500',
      'dial-rule-translation-destination-host': 'acme.example',
      'dial-rule-description': '611 - Customer Service Direct Dial',
    };
    const { patch, unknown } = dialRuleFromWire(body);
    assert.deepEqual(unknown, []);
    assert.equal(patch.enabled, true);
    const rule = buildDialRule({ ...patch, domain: 'acme.example', dialPlan: 'acme.example' });
    assert.equal(rule.application, 'to-callqueue');
    assert.equal(rule.sourceName, '611 - [*]');
  });

  it("the vendor's update example (older names) converts through the aliases", () => {
    const { patch, unknown } = dialRuleFromWire({ enable: 'no', from_name: '611 - [*]', from_user: '[*]', from_host: '<OwnDomain>', plan_description: '611 - (updated)' });
    assert.deepEqual(unknown, []);
    assert.deepEqual(patch, { enabled: false, sourceName: '611 - [*]', sourceUser: '[*]', sourceHost: '<OwnDomain>', description: '611 - (updated)' });
  });

  it('typo aliases are accepted, the spec name wins over an alias, and unknown names are reported', () => {
    const { patch, unknown } = dialRuleFromWire({
      'dail-rule-matching-to-uri': 'sip:1@*',
      'dial-rule-matching-to-uri': 'sip:2@*',
      responder: 'sip:start@to-user',
      dialrule: 'ignored',
      bogus: 1,
    });
    assert.equal(patch.matchToUri, 'sip:2@*');
    assert.equal(patch.application, 'sip:start@to-user');
    assert.deepEqual(unknown, ['bogus']);
    assert.equal(dialRuleFromWire({ 'dail-rule-matching-to-uri': 'sip:1@*' }).patch.matchToUri, 'sip:1@*');
  });

  it('a bad yes/no is passed on for the validator to name', () => {
    assert.equal(dialRuleFromWire({ enabled: 'maybe' }).patch.enabled, 'maybe');
  });

  it('dialRuleToWire writes every spec name, yes/no and the id', () => {
    const rule = buildDialRule({ domain: 'acme.example', dialPlan: 'acme.example', matchToUri: 'sip:611@*', destinationUser: '2500', enabled: false });
    const wire = dialRuleToWire(rule, dialRuleId(rule));
    assert.equal(wire.enabled, 'no');
    assert.equal(wire.dialrule, dialRuleId(rule));
    assert.equal(wire['dial-rule-translation-destination-user'], '2500');
    assert.deepEqual(Object.keys(wire).length, Object.keys(NETSAPIENS_DIAL_RULE_NAMES).length + 1);
    const back = dialRuleFromWire(wire);
    assert.deepEqual(buildDialRule(back.patch), rule, 'wire round trip');
    assert.equal(DIAL_RULE_WIRE_NAMES.matchToUri, 'dial-rule-matching-to-uri');
  });

  it('plans, policies and permissions rename both ways', () => {
    assert.deepEqual(dialPlanFromWire({ dialplan_id: 3, domain: 'a', 'dial-rule-dial-plan': 'a', 'dial-rule-description': 'd', synchronous: 'no' }).patch, {
      id: 3,
      domain: 'a',
      name: 'a',
      description: 'd',
    });
    assert.deepEqual(dialPolicyFromWire({ dialpolicy: 'US and Canada', domain: '*', description: 'd' }).patch, { name: 'US and Canada', domain: '*', description: 'd' });
    const perm = permissionFromWire({ dialpolicy: 'p', 'permission-match': '1900*', 'permission-mode': 'deny', 'permission-reason': 'r', 'permission-id': 'x', 'created-datetime': 'now' });
    assert.deepEqual(perm, { patch: { dialPolicy: 'p', match: '1900*', mode: 'deny', reason: 'r' }, unknown: [] });
  });
});
