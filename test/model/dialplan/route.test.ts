import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../src/model/errors.js';
import {
  buildDialRule,
  orderDialRules,
  routeCall,
  type DialPlan,
  type DialRule,
  type RouteCallInput,
} from '../../../src/model/dialplan/index.js';

const rule = (patch: Record<string, unknown>): DialRule =>
  buildDialRule({ domain: 'acme.example', dialPlan: 'acme.example', destinationUser: '[*]', ...patch });
const planOf = (rules: DialRule[], domain = 'acme.example'): DialPlan => ({ id: 7, domain, name: domain, description: 'Acme', rules });

// Monday 2024-03-11 12:00 in New York (EDT, UTC-4).
const NOON_MONDAY_NY = new Date('2024-03-11T16:00:00Z');
const call = (plan: DialPlan, toUser: string, extra: Partial<RouteCallInput> = {}) =>
  routeCall({
    dialPlan: plan,
    toUser,
    toHost: 'acme.example',
    fromUser: '1001',
    fromHost: 'acme.example',
    now: NOON_MONDAY_NY,
    timeZone: 'America/New_York',
    ...extra,
  });

describe('routeCall: which rule wins', () => {
  const catchAll = rule({ matchToUri: 'sip:*@*', application: 'to-connection', destinationHost: 'carrier-a', description: 'catch-all' });
  const emergency = rule({ matchToUri: 'sip:911@*', application: 'to-connection', destinationHost: 'e911', description: '911' });
  const longDistance = rule({ matchToUri: 'sip:1??????????@*', application: 'to-connection', destinationUser: '+[*]', destinationHost: 'carrier-b', description: 'LD' });
  const plan = planOf([catchAll, emergency, longDistance]);

  it('the most specific destination pattern wins whatever the insertion order', () => {
    assert.equal(call(plan, '911')?.rule.description, '911');
    assert.equal(call(plan, '15551234567')?.rule.description, 'LD');
    assert.equal(call(plan, '5551234')?.rule.description, 'catch-all');
    const reversed = planOf([longDistance, emergency, catchAll]);
    assert.equal(call(reversed, '911')?.rule.description, '911');
  });

  it('returns application, responder, parameter and the translated destination', () => {
    const r = call(plan, '15551234567');
    assert.ok(r);
    assert.equal(r.application, 'to-connection');
    assert.equal(r.responder, 'sip:start@to-connection');
    assert.equal(r.parameter, '');
    assert.equal(r.toUser, '+15551234567');
    assert.equal(r.toHost, 'carrier-b');
    assert.equal(r.toScheme, 'sip');
    assert.equal(r.fromUser, '1001');
    assert.equal(r.fromHost, 'acme.example');
  });

  it('undefined when no rule matches', () => {
    assert.equal(call(planOf([emergency]), '411'), undefined);
    assert.equal(call(planOf([]), '911'), undefined);
  });

  it('disabled rules never match; the next one does', () => {
    const off = rule({ matchToUri: 'sip:911@*', enabled: false, description: 'off' });
    assert.equal(call(planOf([off, catchAll]), '911')?.rule.description, 'catch-all');
    assert.equal(call(planOf([off]), '911'), undefined);
  });

  it('a from-uri pattern narrows a rule to some callers, and beats the same rule for every caller', () => {
    const vip = rule({ matchToUri: 'sip:*@*', matchFromUri: 'sip:2???@*', application: 'to-connection', destinationHost: 'premium', description: 'vip' });
    const p = planOf([catchAll, vip]);
    assert.equal(call(p, '5551234', { fromUser: '2001' })?.rule.description, 'vip');
    assert.equal(call(p, '5551234', { fromUser: '1001' })?.rule.description, 'catch-all');
  });

  it("ruleOrder 'as-given' makes the array order decide", () => {
    assert.equal(call(plan, '911', { ruleOrder: 'as-given' })?.rule.description, 'catch-all');
  });

  it('orderDialRules lists the evaluation order (time-constrained before unconstrained, then array order)', () => {
    const hours = rule({ matchToUri: 'sip:*@*', matchDayOfWeek: '[1-5]', description: 'hours' });
    const dup = rule({ matchToUri: 'sip:*@*', matchFromUri: '*', matchStartDate: '2024-01-01', matchStartTime: '08:00', description: 'two constraints' });
    const ordered = orderDialRules([catchAll, hours, emergency, dup]).map((r) => r.description);
    assert.deepEqual(ordered, ['911', 'two constraints', 'hours', 'catch-all']);
  });
});

describe('routeCall: time conditions in the connection time zone', () => {
  const open = rule({ matchToUri: 'sip:*@*', matchDayOfWeek: '[1-5]', matchStartTime: '09:00', matchEndTime: '17:00', application: 'to-user', destinationUser: '1000', description: 'open' });
  const closed = rule({ matchToUri: 'sip:*@*', application: 'to-voicemail', destinationUser: '1000', description: 'closed' });
  const plan = planOf([closed, open]);
  const when = (iso: string, timeZone = 'America/New_York') => call(plan, '2000', { now: new Date(iso), timeZone })?.rule.description;

  it('business hours on a weekday, after-hours and weekends go elsewhere', () => {
    assert.equal(when('2024-03-11T13:00:00Z'), 'open', 'Mon 09:00 EDT');
    assert.equal(when('2024-03-11T12:59:00Z'), 'closed', 'Mon 08:59 EDT');
    assert.equal(when('2024-03-11T21:00:00Z'), 'open', 'Mon 17:00 EDT: end minute included');
    assert.equal(when('2024-03-11T21:01:00Z'), 'closed');
    assert.equal(when('2024-03-16T16:00:00Z'), 'closed', 'Saturday noon');
  });

  it('day of week is local: Friday evening in Los Angeles is Saturday in UTC', () => {
    const friday = rule({ matchToUri: 'sip:*@*', matchDayOfWeek: '5', description: 'friday' });
    const p = planOf([closed, friday]);
    const at = new Date('2024-03-16T02:00:00Z'); // Fri 2024-03-15 19:00 PDT, Sat 02:00 UTC
    assert.equal(call(p, '2000', { now: at, timeZone: 'America/Los_Angeles' })?.rule.description, 'friday');
    assert.equal(call(p, '2000', { now: at, timeZone: 'UTC' })?.rule.description, 'closed');
    assert.equal(call(p, '2000', { now: at, timeZone: '', utcOffset: '-7' })?.rule.description, 'friday', 'fixed utcOffset');
  });

  it('midnight boundaries: a rule ending 23:59 and a rule starting 00:00', () => {
    const late = rule({ matchToUri: 'sip:*@*', matchStartTime: '18:00', matchEndTime: '23:59', description: 'late' });
    const early = rule({ matchToUri: 'sip:*@*', matchStartTime: '00:00', matchEndTime: '05:59', description: 'early' });
    const p = planOf([closed, late, early]);
    const nyc = (iso: string) => call(p, '2000', { now: new Date(iso) })?.rule.description;
    assert.equal(nyc('2024-03-12T03:59:59Z'), 'late', '23:59:59 EDT');
    assert.equal(nyc('2024-03-12T04:00:00Z'), 'early', '00:00:00 EDT');
    assert.equal(nyc('2024-03-12T09:59:00Z'), 'early', '05:59');
    assert.equal(nyc('2024-03-12T10:00:00Z'), 'closed', '06:00');
  });

  it('date ranges: a holiday rule applies on its dates only, in local time', () => {
    const holiday = rule({ matchToUri: 'sip:*@*', matchStartDate: '2024-12-25', matchEndDate: '2024-12-25', application: 'hangup', description: 'holiday' });
    const p = planOf([closed, open, holiday]);
    const nyc = (iso: string) => call(p, '2000', { now: new Date(iso) })?.rule.description;
    assert.equal(nyc('2024-12-25T05:00:00Z'), 'holiday', '00:00 EST on the 25th');
    assert.equal(nyc('2024-12-25T04:59:00Z'), 'closed', '23:59 EST on the 24th (already the 25th in UTC)');
    assert.equal(nyc('2024-12-26T04:59:00Z'), 'holiday', '23:59 EST on the 25th');
    assert.equal(nyc('2024-12-26T15:00:00Z'), 'open', 'Thursday the 26th, business hours');
  });

  it('DST spring-forward day for US/Pacific: the skipped 02:xx hour never matches, 03:00 PDT does', () => {
    const gap = rule({ matchToUri: 'sip:*@*', matchStartTime: '02:00', matchEndTime: '02:59', description: 'gap' });
    const three = rule({ matchToUri: 'sip:*@*', matchStartTime: '03:00', matchEndTime: '03:59', description: 'three' });
    const p = planOf([closed, gap, three]);
    const pac = (iso: string) => call(p, '2000', { now: new Date(iso), timeZone: 'US/Pacific' })?.rule.description;
    assert.equal(pac('2024-03-10T09:59:00Z'), 'closed', '01:59 PST');
    assert.equal(pac('2024-03-10T10:00:00Z'), 'three', 'one minute later it is 03:00 PDT');
    assert.equal(pac('2024-03-11T10:00:00Z'), 'three', 'next day 03:00 PDT is 10:00 UTC');
    assert.equal(pac('2024-03-11T09:30:00Z'), 'gap', 'next day 02:30 PDT exists');
    // Across the whole transition day, no instant lands in the gap rule.
    for (let m = 0; m < 24 * 60; m += 15) {
      const iso = new Date(Date.UTC(2024, 2, 10, 8, 0) + m * 60_000).toISOString();
      assert.notEqual(pac(iso), 'gap', iso);
    }
  });

  it('DST fall-back day for US/Pacific: the repeated 01:xx hour matches both times', () => {
    const one = rule({ matchToUri: 'sip:*@*', matchStartTime: '01:00', matchEndTime: '01:59', description: 'one' });
    const p = planOf([closed, one]);
    const pac = (iso: string) => call(p, '2000', { now: new Date(iso), timeZone: 'US/Pacific' })?.rule.description;
    assert.equal(pac('2024-11-03T08:30:00Z'), 'one', '01:30 PDT');
    assert.equal(pac('2024-11-03T09:30:00Z'), 'one', '01:30 PST');
    assert.equal(pac('2024-11-03T10:00:00Z'), 'closed', '02:00 PST');
  });

  it('an unknown time zone is a ValidationError, not a silent UTC', () => {
    assert.throws(() => call(plan, '2000', { timeZone: 'Nowhere/Special' }), (e: unknown) => e instanceof ValidationError && e.field === 'timeZone');
  });
});

describe('routeCall: translations', () => {
  it('templates with [*], prefixes, literals and the vendor tokens', () => {
    const r = rule({
      matchToUri: 'sip:611@*',
      application: 'to-callqueue',
      destinationUser: '2500',
      destinationHost: '<OwnDomain>',
      sourceName: '611 - [*]',
      sourceUser: '<OwnCidNmbr>',
      sourceHost: '<OwnDomain>',
      parameter: 'prio=1',
    });
    const res = call(planOf([r]), '611', { fromName: 'Alice', tokens: { ownCidNumber: '18005550100' } });
    assert.ok(res);
    assert.equal(res.application, 'to-callqueue');
    assert.equal(res.responder, 'sip:start@call-queuing');
    assert.equal(res.parameter, 'prio=1');
    assert.equal(res.toUser, '2500');
    assert.equal(res.toHost, 'acme.example', '<OwnDomain> defaults to the plan domain');
    assert.equal(res.fromName, '611 - Alice');
    assert.equal(res.fromUser, '18005550100');
    assert.equal(res.fromHost, 'acme.example');
  });

  it('a token without a value stands for the value being translated; a system plan has no own domain', () => {
    const r = rule({ matchToUri: '*', destinationHost: '<OwnDomain>', sourceUser: '<OwnCidNmbr>' });
    const sys = { ...planOf([]), domain: '*', rules: [{ ...r, domain: '*', dialPlan: '*' }] } as DialPlan;
    const res = call(sys, '5551234', { toHost: 'in.example' });
    assert.equal(res?.toHost, 'in.example');
    assert.equal(res?.fromUser, '1001');
  });

  it('schemes: [*] keeps, sip: forces, <Null> drops', () => {
    const keep = call(planOf([rule({ matchToUri: '*' })]), '1', { toScheme: 'SIPS', fromScheme: 'sips' });
    assert.equal(keep?.toScheme, 'sips');
    assert.equal(keep?.fromScheme, 'sips');
    const force = call(planOf([rule({ matchToUri: '*', destinationScheme: 'sip:', sourceScheme: '<Null>' })]), '1', { toScheme: 'sips' });
    assert.equal(force?.toScheme, 'sip');
    assert.equal(force?.fromScheme, null);
  });

  it('empty and [*] destination users both keep the dialled number', () => {
    assert.equal(call(planOf([rule({ matchToUri: '*', destinationUser: '' })]), '5551234')?.toUser, '5551234');
    assert.equal(call(planOf([rule({ matchToUri: '*', destinationUser: '9[*]' })]), '5551234')?.toUser, '95551234');
  });
});

describe('routeCall: properties', () => {
  const rules = [
    rule({ matchToUri: 'sip:*@*', description: 'all' }),
    rule({ matchToUri: 'sip:911@*', description: '911' }),
    rule({ matchToUri: 'sip:1??????????@*', description: 'LD' }),
    rule({ matchToUri: 'sip:[2-9]11@*', description: 'N11' }),
    rule({ matchToUri: 'sip:*@*', matchDayOfWeek: '[06]', description: 'weekend' }),
  ];
  const plan = planOf(rules);

  it('the winner is always a matching rule, and no more specific rule also matches (any number, any instant)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,12}$/), fc.integer({ min: 0, max: 4_102_444_800_000 }), (user, ms) => {
        const res = call(plan, user, { now: new Date(ms) });
        assert.ok(res, 'the catch-all always matches');
        const asGiven = call(plan, user, { now: new Date(ms), ruleOrder: 'as-given' });
        assert.equal(asGiven?.rule.description, 'all', 'array order: the first rule matches everything');
        const order = orderDialRules(rules);
        const winnerIndex = order.indexOf(res.rule);
        for (const earlier of order.slice(0, winnerIndex)) {
          const alone = call(planOf([earlier]), user, { now: new Date(ms) });
          assert.equal(alone, undefined, `${earlier.description} is more specific and would also match ${user}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rule order in the array does not change the outcome under the default order (property)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(rules, { minLength: rules.length }), fc.stringMatching(/^[0-9]{1,11}$/), (shuffled, user) => {
        assert.equal(call(planOf(shuffled), user)?.rule.description, call(plan, user)?.rule.description);
      }),
      { numRuns: 200 },
    );
  });
});
