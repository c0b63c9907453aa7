/**
 * `routeOutgoing` (src/edge/calls/routing.ts): dial policy, then dial plan, then term match patterns; and the
 * DialPlanBook keeping its copy in step with a real store.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildNewConnection, type Connection, type SettingsPatch } from '../../../src/model/index.js';
import { buildDialRule, buildPermission, type DialPlan, type DialPolicy } from '../../../src/model/dialplan/index.js';
import { ConnectionIndex } from '../../../src/edge/connection-index.js';
import { DialPlanBook, routeOutgoing, type RouteDecision } from '../../../src/edge/calls/routing.js';
import type { CallIdentity } from '../../../src/edge/rules/index.js';
import { openStore } from '../../../src/store/open-store.js';
import { tempDir } from '../../support/trunkline.js';
import { waitFor } from './support.js';

const D = 'acme.example';
const silent = pino({ level: 'silent' });
let nextId = 1;

function connection(origMatchPattern: string, patch: SettingsPatch, domain = D): Connection {
  return { ...buildNewConnection({ domain, origMatchPattern, createdBy: 'netsapiens' }, patch), id: nextId++, createdAt: '', lastModified: '' };
}

function identity(dialled: string, over: Partial<CallIdentity> = {}): CallIdentity {
  return { requestUser: dialled, requestHost: 'edge.example', toUser: dialled, toHost: 'edge.example', fromUser: '2125550100', fromHost: 'pbx.example', displayName: 'Alice', privacy: [], ...over };
}

function plan(name: string, rules: Record<string, unknown>[], domain = D): DialPlan {
  return { id: 1, domain, name, description: '', rules: rules.map((r) => buildDialRule({ domain, dialPlan: name, destinationUser: '[*]', ...r })) };
}

function policy(name: string, permissions: [string, 'permit' | 'deny'][], domain = D): DialPolicy {
  return {
    domain,
    name,
    description: '',
    permissions: permissions.map(([match, mode]) => ({ ...buildPermission({ dialPolicy: name, domain, match, mode, reason: `${mode} ${match}` }), createdAt: null })),
  };
}

/** An index of the given connections and a book holding the given plans and policies. */
function lab(connections: Connection[], plans: DialPlan[] = [], policies: DialPolicy[] = []) {
  const index = new ConnectionIndex();
  index.replace(connections);
  const book = new DialPlanBook({ loadDialPlans: async () => ({ plans, policies }), connectionsVersion: async () => '1' }, silent);
  book.replace({ plans, policies }, '1');
  const route = (origin: Connection, dialled: string, now = new Date('2026-03-04T15:00:00Z'), over: Partial<CallIdentity> = {}): RouteDecision =>
    routeOutgoing({ index, dialPlans: book, origin: index.get(origin.id)!, identity: identity(dialled, over), subject: { scheme: 'sip', user: dialled, host: 'edge.example' }, now });
  return { index, book, route };
}

const destOf = (r: RouteDecision) => (r.ok ? r.dest.connection.id : `${r.status} ${r.reason}`);

describe('routeOutgoing', () => {
  it('without a dial plan: term match patterns, most specific first, never the origin', () => {
    const origin = connection('sip:pbx@pbx.example', { termMatchPattern: 'sip:*@*' });
    const a = connection('sip*@carrier-a.example', { termMatchPattern: 'sip:1555*@*' });
    const b = connection('sip*@carrier-b.example', { termMatchPattern: 'sip:1*@*' });
    const { route } = lab([origin, a, b]);
    assert.equal(destOf(route(origin, '15551234567')), a.id);
    assert.equal(destOf(route(origin, '16661234567')), b.id);
    assert.equal(destOf(route(origin, '46701234567')), '404 No Route');
    const r = route(origin, '15551234567');
    assert.ok(r.ok && r.route === undefined && r.identity.requestUser === '15551234567');
  });

  it('a dial plan sends 1555* to the connection its rewritten destination names, and rewrites the number and caller', () => {
    const origin = connection('sip:pbx@pbx.example', { dialPlan: 'outbound' });
    const a = connection('sip*@carrier-a.example', { termMatchPattern: 'sip:1555*@*' });
    const b = connection('sip*@carrier-b.example', {});
    const { route } = lab(
      [origin, a, b],
      [plan('outbound', [{ matchToUri: 'sip:1555*@*', application: 'to-connection', destinationUser: '+[*]', destinationHost: 'carrier-b.example', sourceUser: '1[*]', sourceName: 'Acme [*]' }])],
    );
    const r = route(origin, '15551234567');
    assert.equal(destOf(r), b.id, 'the plan wins over the term pattern of carrier A');
    assert.ok(r.ok);
    assert.equal(r.identity.requestUser, '+15551234567');
    assert.equal(r.identity.toUser, '+15551234567');
    assert.equal(r.identity.fromUser, '12125550100');
    assert.equal(r.identity.fromHost, 'pbx.example');
    assert.equal(r.identity.displayName, 'Acme Alice');
    assert.equal(r.route?.application, 'to-connection');
    assert.equal(destOf(route(origin, '16661234567')), '404 No Matching Dial Rule', 'a plan that matches nothing refuses the call');
  });

  it("evaluates time conditions in the origin's time zone; the most specific rule wins", () => {
    const origin = connection('sip:pbx@pbx.example', { dialPlan: 'hours', timeZone: 'America/New_York' });
    const day = connection('sip*@day.example', {});
    const night = connection('sip*@night.example', {});
    const { route } = lab(
      [origin, day, night],
      [
        plan('hours', [
          { matchToUri: 'sip:*@*', application: 'to-connection', destinationHost: 'night.example' },
          { matchToUri: 'sip:*@*', matchDayOfWeek: '[1-5]', matchStartTime: '09:00', matchEndTime: '16:59', application: 'to-connection', destinationHost: 'day.example' },
        ]),
      ],
    );
    // Wednesday 2026-03-04: 15:00 UTC is 10:00 in New York (EST), 23:00 UTC is 18:00.
    assert.equal(destOf(route(origin, '100', new Date('2026-03-04T15:00:00Z'))), day.id);
    assert.equal(destOf(route(origin, '100', new Date('2026-03-04T23:00:00Z'))), night.id);
    // 13:30 UTC is 08:30 in New York (UTC-5): before opening, although 09:30 would be open in UTC-4.
    assert.equal(destOf(route(origin, '100', new Date('2026-03-04T13:30:00Z'))), night.id);
    // Saturday.
    assert.equal(destOf(route(origin, '100', new Date('2026-03-07T15:00:00Z'))), night.id);
  });

  it('looks the plan up in the origin domain, then `*`; a plan that does not exist leaves term routing', () => {
    const origin = connection('sip:pbx@pbx.example', { dialPlan: 'carriers' });
    const other = connection('sip:pbx2@pbx.example', { dialPlan: 'nope' });
    const sys = connection('sip*@sys.example', { termMatchPattern: 'sip:*@sys.example' }, '*');
    const term = connection('sip*@term.example', { termMatchPattern: 'sip:1*@*' });
    const { route } = lab([origin, other, sys, term], [plan('carriers', [{ matchToUri: '*', application: 'to-connection', destinationHost: 'sys.example' }], '*')]);
    assert.equal(destOf(route(origin, '1555')), sys.id);
    assert.equal(destOf(route(other, '1555')), term.id);
  });

  it('applications: hangup refuses (403); user, voicemail, queue applications cannot be routed (404)', () => {
    const origin = connection('sip:pbx@pbx.example', { dialPlan: 'apps' });
    const { route } = lab(
      [origin, connection('sip*@c.example', { termMatchPattern: 'sip:*@*' })],
      [plan('apps', [{ matchToUri: 'sip:911@*', application: 'hangup' }, { matchToUri: 'sip:*@*', application: 'to-user' }])],
    );
    assert.equal(destOf(route(origin, '911')), '403 Rejected By Dial Plan');
    const r = route(origin, '100');
    assert.equal(destOf(r), '404 No Route');
    assert.ok(!r.ok && /to-user/.test(r.headers[0]![1]));
  });

  it('a dial policy must permit the destination: 403 naming the policy, also for a policy that does not exist', () => {
    const origin = connection('sip:pbx@pbx.example', { dialPolicy: 'no-premium' });
    const lost = connection('sip:pbx2@pbx.example', { dialPolicy: 'missing' });
    const dest = connection('sip*@c.example', { termMatchPattern: 'sip:*@*' });
    const { route } = lab([origin, lost, dest], [], [policy('no-premium', [['*', 'permit'], ['sip:1900*@*', 'deny']])]);
    assert.equal(destOf(route(origin, '15551234567')), dest.id);
    const denied = route(origin, '19005551234');
    assert.equal(destOf(denied), '403 Forbidden By Dial Policy no-premium');
    assert.ok(!denied.ok && /no-premium denies 19005551234 \(sip:1900\*@\* denied: deny sip:1900\*@\*\)/.test(denied.headers[0]![1]));
    assert.equal(destOf(route(lost, '15551234567')), '403 Dial Policy missing Not Found');
  });

  it('a policy with no matching permission denies; the policy is checked before the plan', () => {
    const origin = connection('sip:pbx@pbx.example', { dialPolicy: 'us-only', dialPlan: 'outbound' });
    const dest = connection('sip*@c.example', {});
    const { route } = lab(
      [origin, dest],
      [plan('outbound', [{ matchToUri: '*', application: 'to-connection', destinationUser: '1[*]', destinationHost: 'c.example' }])],
      [policy('us-only', [['1*', 'permit']])],
    );
    assert.equal(destOf(route(origin, '15551234567')), dest.id);
    assert.equal(destOf(route(origin, '445551234567')), '403 Forbidden By Dial Policy us-only', 'judged on the number dialled, not the rewritten one');
  });

  it('answers 503 while the dial plans are not loaded, for connections that use them only', () => {
    const withPlan = connection('sip:pbx@pbx.example', { dialPlan: 'x' });
    const without = connection('sip:pbx2@pbx.example', {});
    const dest = connection('sip*@c.example', { termMatchPattern: 'sip:*@*' });
    const index = new ConnectionIndex();
    index.replace([withPlan, without, dest]);
    const book = new DialPlanBook({ loadDialPlans: async () => ({ plans: [], policies: [] }), connectionsVersion: async () => '1' }, silent);
    const go = (c: Connection) =>
      routeOutgoing({ index, dialPlans: book, origin: index.get(c.id)!, identity: identity('1'), subject: { scheme: 'sip', user: '1', host: 'edge.example' } });
    assert.equal(destOf(go(withPlan)), '503 Dial Plans Not Loaded');
    assert.equal(destOf(go(without)), dest.id);
  });
});

describe('DialPlanBook', () => {
  it('loads from the store and follows its writes through the version poll', async () => {
    const dir = tempDir('trunkline-book-');
    const store = await openStore({ data: dir });
    const book = new DialPlanBook(store, silent, { pollMs: 20 });
    try {
      await store.createTenant({ name: D, reseller: '', description: '', attributes: {} });
      await store.createDialPlan({ domain: D, name: 'p', description: '' });
      book.start();
      await waitFor('the first load', () => book.loaded);
      assert.deepEqual(book.plan(D, 'p')?.rules, []);
      await store.createDialRule(buildDialRule({ domain: D, dialPlan: 'p', matchToUri: 'sip:1555*@*', destinationUser: '[*]' }));
      await waitFor('the rule to reach the book', () => book.plan(D, 'p')?.rules.length === 1);
      await store.createDialPolicy({ domain: '*', name: 'pol', description: '' });
      await waitFor('the policy to reach the book', () => book.policy(D, 'pol') !== undefined);
      assert.equal(book.policy(D, 'pol')?.domain, '*', 'a system-wide policy serves every domain');
      assert.equal(book.version, await store.connectionsVersion());
    } finally {
      await book.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
