/**
 * The engine's life around the calls: live figures reset at start (nothing stuck after a crash), kept per
 * connection with debounced writes and a month roll-over, and close() ending every call with BYE on both legs.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import pino from 'pino';
import { LiveCounters } from '../../../src/edge/calls/index.js';
import { buildNewConnection, type ConnectionLive } from '../../../src/model/index.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { sippSkipReason, summarizeSipp } from '../../support/sipp.js';
import { tempDir } from '../../support/trunkline.js';
import { scenario, startCallLab, waitFor } from './support.js';

const skip = sippSkipReason();
const silent = pino({ level: 'silent' });

/** Only what LiveCounters uses. */
function memoryStore(initial: Map<number, ConnectionLive> = new Map()): Store & { writes: Array<[number, Partial<ConnectionLive>]> } {
  const writes: Array<[number, Partial<ConnectionLive>]> = [];
  return {
    writes,
    getLive: async (ids: readonly number[]) => new Map([...initial].filter(([id]) => ids.includes(id))),
    saveLive: async (id: number, live: Partial<ConnectionLive>) => {
      writes.push([id, live]);
    },
  } as unknown as Store & { writes: Array<[number, Partial<ConnectionLive>]> };
}

const stored = (over: Partial<ConnectionLive>): ConnectionLive => ({
  activeOrig: 0,
  activeTerm: 0,
  origSinceStartup: 0,
  termSinceStartup: 0,
  maxThisMonth: 0,
  maxLastMonth: 0,
  talkTimeThisMonth: 0,
  registeredAt: null,
  registrationExpiresAt: null,
  ...over,
});

describe('live call figures', () => {
  it('start-up zeroes stuck active counts, keeps the month figures, and debounces writes', async () => {
    const store = memoryStore(new Map([[1, stored({ activeOrig: 4, activeTerm: 2, origSinceStartup: 9, maxThisMonth: 6, talkTimeThisMonth: 120 })]]));
    const live = new LiveCounters(store, silent, [1, 2], { flushMs: 40 });
    await live.ready;
    assert.deepEqual(store.writes, [[1, { activeOrig: 0, activeTerm: 0, origSinceStartup: 0, termSinceStartup: 0, maxThisMonth: 6, maxLastMonth: 0, talkTimeThisMonth: 120 }]]);
    store.writes.length = 0;
    live.start(1, 'orig');
    live.start(1, 'term');
    live.end(1, 'term', 2500);
    assert.equal(store.writes.length, 0, 'debounced');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(store.writes.length, 1, 'one write for three changes');
    assert.deepEqual(store.writes[0]?.[1], { activeOrig: 1, activeTerm: 0, origSinceStartup: 1, termSinceStartup: 1, maxThisMonth: 6, maxLastMonth: 0, talkTimeThisMonth: 122 });
    live.end(1, 'orig', 600);
    await live.close();
    assert.equal(store.writes.length, 2, 'close() flushes at once');
    assert.equal(store.writes[1]?.[1].activeOrig, 0);
    assert.equal(store.writes[1]?.[1].talkTimeThisMonth, 123, 'sub-second remainders add up');
  });

  it('a new month moves maxThisMonth to maxLastMonth and restarts talk time', async () => {
    let now = new Date('2026-01-31T23:59:59Z');
    const store = memoryStore();
    const live = new LiveCounters(store, silent, [7], { flushMs: 10_000, now: () => now });
    await live.ready;
    live.start(7, 'term');
    live.start(7, 'term');
    live.end(7, 'term', 5000);
    now = new Date('2026-02-01T00:00:01Z');
    live.end(7, 'term', 1000);
    assert.deepEqual(live.figures(7), { activeOrig: 0, activeTerm: 0, origSinceStartup: 0, termSinceStartup: 2, maxThisMonth: 1, maxLastMonth: 2, talkTimeThisMonth: 1 });
    await live.close();
  });
});

describe('call engine start and shutdown (SIPp)', { skip, timeout: 60_000 }, () => {
  it('counts left by a killed process are zeroed at start; close() BYEs both legs and flushes 0', async () => {
    const data = tempDir('trunkline-calls-life-');
    try {
      const seed = await openStore({ data });
      await seed.createTenant({ name: 'calls.example', reseller: 'r', description: '', attributes: {} });
      const stuck = await seed.createConnection(buildNewConnection({ domain: 'calls.example', origMatchPattern: 'sip:stuck@192.0.2.1', createdBy: 'netsapiens' }, {}));
      await seed.saveLive(stuck.id, { activeOrig: 3, activeTerm: 5, origSinceStartup: 40, maxThisMonth: 8 });
      await seed.close();

      const lab = await startCallLab({}, data);
      let stopped = false;
      try {
        await waitFor('stuck counts reset', async () => (await lab.store.getLive([stuck.id])).get(stuck.id)?.activeTerm === 0);
        const reset = (await lab.store.getLive([stuck.id])).get(stuck.id)!;
        assert.equal(reset.activeOrig, 0);
        assert.equal(reset.origSinceStartup, 0);
        assert.equal(reset.maxThisMonth, 8, 'the month peak survives a restart');

        const caller = await lab.connection('sip:pbx9@127.0.0.1', {});
        const callee = await lab.callee({ scenario: 'uas' });
        const dest = await lab.connection('sip:carrier2001@198.51.100.1', { termMatchPattern: 'sip:2001*@*', address: `127.0.0.1:${callee.port}` });
        const uac = await lab.startCaller('pbx9', '20015550100', { scenario: scenario('uac-wait-bye.xml') });
        await waitFor('the call to be up', () => lab.engine.list().some((c) => c.state === 'confirmed'));
        await lab.stop();
        stopped = true;
        const r = await uac.done;
        assert.equal(r.exitCode, 0, summarizeSipp(r));
        const u = await callee.run.done;
        assert.equal(u.exitCode, 0, summarizeSipp(u));

        const after = await openStore({ data });
        try {
          const l = await after.getLive([caller.id, dest.id]);
          assert.equal(l.get(caller.id)?.activeOrig, 0);
          assert.equal(l.get(dest.id)?.activeTerm, 0);
          assert.equal(l.get(dest.id)?.termSinceStartup, 1);
        } finally {
          await after.close();
        }
      } finally {
        if (!stopped) await lab.stop();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
