/**
 * The Redis live state on its own, against a real Redis: admission across edges, release, cluster-wide
 * figures, dead edges' counts removed, a restart reusing an id, re-publishing after a lost heartbeat, and
 * what a call gets while Redis is unreachable (fail-open, fail-closed). The in-memory state is checked to
 * take the same decisions.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { LiveCounters } from '../../../src/edge/calls/live-counters.js';
import { MemoryLiveState, RedisLiveState, parseRedisUrl, type CallSlot } from '../../../src/edge/live/index.js';
import type { ConnectionLive } from '../../../src/model/index.js';
import type { Store } from '../../../src/store/store.js';
import { REDIS_URL, cleanPrefix, keysUnder, redisSkipReason, silent, sleep, testPrefix } from './support.js';

const skip = await redisSkipReason();
if (skip !== false) console.log(`# skipping the Redis live-state tests: ${skip}`);

const slot = (origId: number, termId: number, limits: Partial<Omit<CallSlot, 'origId' | 'termId'>> = {}): CallSlot => ({
  origId,
  termId,
  origMax: null,
  origTotalMax: null,
  termMax: null,
  termTotalMax: null,
  ...limits,
});

const prefixes: string[] = [];
const states: RedisLiveState[] = [];
function edge(prefix: string, extra: Partial<ConstructorParameters<typeof RedisLiveState>[0]> = {}): RedisLiveState {
  const s = new RedisLiveState({ url: REDIS_URL, prefix, heartbeatMs: 100, ttlMs: 400, logger: silent, ...extra });
  states.push(s);
  return s;
}
function newPrefix(): string {
  const p = testPrefix();
  prefixes.push(p);
  return p;
}

/** A store that keeps only what LiveCounters writes. */
function memoryStore(): Store & { live: Map<number, Partial<ConnectionLive>> } {
  const live = new Map<number, Partial<ConnectionLive>>();
  return {
    live,
    getLive: async () => new Map(),
    saveLive: async (id: number, l: Partial<ConnectionLive>) => {
      live.set(id, { ...live.get(id), ...l });
    },
  } as unknown as Store & { live: Map<number, Partial<ConnectionLive>> };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

after(async () => {
  for (const s of states) await s.close().catch(() => undefined);
  if (skip === false) for (const p of prefixes) await cleanPrefix(p);
});

describe('parseRedisUrl', () => {
  it('takes the prefix parameter off the URL and refuses other schemes', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/2?prefix=edge-a:'), { url: 'redis://127.0.0.1:6379/2', prefix: 'edge-a:' });
    assert.deepEqual(parseRedisUrl('rediss://u:p@redis.example:6380'), { url: 'rediss://u:p@redis.example:6380', prefix: undefined });
    assert.throws(() => parseRedisUrl('http://127.0.0.1:6379'), /redis:\/\//);
    assert.throws(() => parseRedisUrl('not a url'), /not a Redis URL/);
  });
});

describe('MemoryLiveState', () => {
  it('checks the limits in the usual order and counts only admitted calls', async () => {
    const m = new MemoryLiveState();
    assert.deepEqual(await m.acquire(slot(1, 2, { termTotalMax: 1 })), { ok: true });
    assert.deepEqual(await m.acquire(slot(3, 2, { termTotalMax: 1 })), { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTotal', max: 1 });
    assert.deepEqual(await m.acquire(slot(1, 4, { origMax: 1, origTotalMax: 1 })), { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsOrig', max: 1 });
    assert.deepEqual(await m.acquire(slot(1, 4, { origTotalMax: 1 })), { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsTotal', max: 1 });
    assert.deepEqual(await m.acquire(slot(5, 2, { termMax: 1 })), { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTerm', max: 1 });
    assert.equal(m.active(2, 'term'), 1);
    await m.release(2, 'term');
    await m.release(1, 'orig');
    assert.deepEqual(m.snapshot(), []);
    assert.deepEqual(await m.acquire(slot(3, 2, { termTotalMax: 1, origMax: -1 })), { ok: true }, 'negative = no limit');
  });
});

describe('RedisLiveState (real Redis)', { skip, timeout: 30_000 }, () => {
  it('two edges: maxCallsTotal 1 admits one call across both; release frees the slot', async () => {
    const p = newPrefix();
    const a = edge(p);
    const b = edge(p);
    await Promise.all([a.start(), b.start()]);
    assert.ok(a.available && b.available);
    assert.notEqual(a.edgeId, b.edgeId);

    assert.deepEqual(await a.acquire(slot(10, 20, { termTotalMax: 1 })), { ok: true });
    assert.deepEqual(await b.acquire(slot(11, 20, { termTotalMax: 1 })), { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTotal', max: 1 });
    assert.deepEqual(await b.acquire(slot(20, 12, { origTotalMax: 1 })), { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsTotal', max: 1 }, 'the term call counts in the total');
    assert.deepEqual(await b.acquire(slot(10, 21, { origMax: 1 })), { ok: false, reason: 'limit', side: 'origin', field: 'maxCallsOrig', max: 1 });
    assert.deepEqual(await b.acquire(slot(10, 21, { origMax: 2 })), { ok: true });

    const f = await b.figures([10, 20, 21], new Date());
    assert.deepEqual(f.get(10), { activeOrig: 2, activeTerm: 0, origSinceStartup: 2, termSinceStartup: 0, maxThisMonth: 2, maxLastMonth: 0, talkTimeThisMonth: 0 });
    assert.equal(f.get(20)?.activeTerm, 1);
    assert.equal(f.get(21)?.activeTerm, 1);

    await a.release(10, 'orig', 0);
    await a.release(20, 'term', 2500);
    assert.deepEqual(await b.acquire(slot(11, 20, { termTotalMax: 1 })), { ok: true });
    const g = await a.figures([10, 20], new Date());
    assert.equal(g.get(10)?.activeOrig, 1);
    assert.equal(g.get(20)?.activeTerm, 1);
    assert.equal(g.get(20)?.termSinceStartup, 2);
    assert.equal(g.get(20)?.talkTimeThisMonth, 2);
    assert.equal(g.get(20)?.maxThisMonth, 1);
  });

  it('concurrent admissions from two edges never exceed the limit', async () => {
    const p = newPrefix();
    const a = edge(p);
    const b = edge(p);
    await Promise.all([a.start(), b.start()]);
    const tries = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).acquire(slot(100 + i, 30, { termMax: 5 })));
    const results = await Promise.all(tries);
    assert.equal(results.filter((r) => r.ok).length, 5);
    assert.equal((await a.figures([30], new Date())).get(30)?.activeTerm, 5);
  });

  it('an edge whose heartbeat stops has its counts removed by another within the TTL', async () => {
    const p = newPrefix();
    const a = edge(p);
    const b = edge(p);
    await Promise.all([a.start(), b.start()]);
    const changed: number[][] = [];
    b.onChanged((ids) => changed.push([...ids]));
    assert.ok((await a.acquire(slot(40, 41))).ok);
    assert.ok((await b.acquire(slot(42, 41))).ok);
    assert.equal((await b.figures([41], new Date())).get(41)?.activeTerm, 2);

    const killedAt = Date.now();
    a.abandon(); // as SIGKILL: no goodbye to Redis
    await waitFor('the dead edge counts to go', async () => (await b.figures([41], new Date())).get(41)?.activeTerm === 1, 2000);
    const took = Date.now() - killedAt;
    assert.ok(took <= 400 + 100 + 150, `removed after ${took} ms (TTL 400 ms, heartbeat 100 ms)`);
    assert.equal((await b.figures([40], new Date())).get(40)?.activeOrig, 0);
    assert.deepEqual(changed.flat().sort(), [40, 41], 'the other edge is told which connections changed');
    assert.ok(!(await keysUnder(p)).some((k) => k.includes(a.edgeId)), 'nothing of the dead edge is left');
  });

  it('an edge that restarts with the same id removes what its previous life left', async () => {
    const p = newPrefix();
    const first = edge(p, { edgeId: 'edge-reused', ttlMs: 60_000, heartbeatMs: 10_000 });
    await first.start();
    assert.ok((await first.acquire(slot(50, 51))).ok);
    first.abandon();
    const again = edge(p, { edgeId: 'edge-reused', ttlMs: 60_000, heartbeatMs: 10_000 });
    await again.start();
    const f = await again.figures([50, 51], new Date());
    assert.equal(f.get(50)?.activeOrig, 0);
    assert.equal(f.get(51)?.activeTerm, 0);
  });

  it('an edge reaped while paused re-publishes its calls at its next heartbeat', async () => {
    const p = newPrefix();
    const a = edge(p, { heartbeatMs: 60_000, ttlMs: 120_000 });
    const b = edge(p);
    await Promise.all([a.start(), b.start()]);
    assert.ok((await a.acquire(slot(60, 61))).ok);
    await a.redis.del(`${p}edge:${a.edgeId}:alive`); // as if it had been silent longer than the TTL
    await b.tick();
    assert.equal((await b.figures([61], new Date())).get(61)?.activeTerm, 0, 'reaped');
    await a.tick();
    assert.equal((await b.figures([61], new Date())).get(61)?.activeTerm, 1, 're-published from its own copy');
    await a.release(61, 'term', 0);
    await a.release(60, 'orig', 0);
    const f = await b.figures([60, 61], new Date());
    assert.equal(f.get(60)?.activeOrig, 0);
    assert.equal(f.get(61)?.activeTerm, 0);
  });

  it('close() removes the edge and its counts; since-startup restarts when the cluster does', async () => {
    const p = newPrefix();
    const a = edge(p);
    await a.start();
    assert.ok((await a.acquire(slot(70, 71))).ok);
    await a.close();
    assert.deepEqual((await keysUnder(p)).filter((k) => k.includes('active') || k.includes('edge:')), []);
    const b = edge(p);
    await b.start();
    const f = (await b.figures([70, 71], new Date())).get(71);
    assert.equal(f?.termSinceStartup, 0, 'first edge of a new cluster: since-startup starts at 0');
    assert.equal(f?.maxThisMonth, 1, 'the month peak stays');
  });

  it('seeds the month figures from the store once', async () => {
    const p = newPrefix();
    const a = edge(p);
    await a.start();
    const now = new Date();
    await a.seed(new Map([[80, { maxThisMonth: 7, maxLastMonth: 9, talkTimeThisMonth: 100 }]]), now);
    await a.seed(new Map([[80, { maxThisMonth: 7, maxLastMonth: 9, talkTimeThisMonth: 100 }]]), now);
    assert.ok((await a.acquire(slot(81, 80))).ok);
    await a.release(80, 'term', 1500);
    const f = (await a.figures([80], now)).get(80);
    assert.deepEqual(f, { activeOrig: 0, activeTerm: 0, origSinceStartup: 0, termSinceStartup: 1, maxThisMonth: 7, maxLastMonth: 9, talkTimeThisMonth: 101 });
  });

  it('LiveCounters on a shared state write cluster-wide sums to the store, whichever edge writes', async () => {
    const p = newPrefix();
    const store = memoryStore();
    const sa = edge(p);
    const sb = edge(p);
    const la = new LiveCounters(store, silent, [1, 2, 3], { flushMs: 20, state: sa, syncMs: 100 });
    const lb = new LiveCounters(store, silent, [1, 2, 3], { flushMs: 20, state: sb, syncMs: 100 });
    await Promise.all([la.ready, lb.ready]);
    assert.deepEqual(await la.admit(slot(1, 2)), { ok: true });
    assert.deepEqual(await lb.admit(slot(3, 2)), { ok: true });
    await lb.flush();
    assert.equal(store.live.get(2)?.activeTerm, 2, 'B wrote the sum of both edges');
    assert.equal(store.live.get(2)?.termSinceStartup, 2);
    assert.equal(store.live.get(2)?.maxThisMonth, 2);
    assert.equal(lb.active(2, 'term'), 1, 'each edge still knows its own calls');

    lb.end(3, 'orig', 0);
    lb.end(2, 'term', 0);
    await lb.flush();
    await waitFor('the store to show one call', () => store.live.get(2)?.activeTerm === 1 && store.live.get(3)?.activeOrig === 0);

    // A stale write that lost a race (here: forged) is corrected by the periodic sync.
    await store.saveLive(2, { activeTerm: 5 });
    await waitFor('the sync to correct a stale figure', () => store.live.get(2)?.activeTerm === 1, 2000);

    // A dies with its call up: B removes its counts within the TTL and writes the connections it touched.
    sa.abandon();
    await waitFor('the dead edge figures to go', () => store.live.get(2)?.activeTerm === 0 && store.live.get(1)?.activeOrig === 0, 2000);
    await la.close().catch(() => undefined);
    await lb.close();
  });

  it('Redis unreachable: fail-open admits on per-edge limits without waiting; fail-closed refuses', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const url = `redis://127.0.0.1:${port}`;
    const open = edge(newPrefix(), { url, connectWaitMs: 200 });
    const closed = edge(newPrefix(), { url, connectWaitMs: 200, failMode: 'closed' });
    await Promise.all([open.start(), closed.start()]);
    assert.equal(open.available, false);
    const t0 = Date.now();
    assert.deepEqual(await open.acquire(slot(1, 2, { termTotalMax: 1 })), { ok: true });
    assert.deepEqual(await open.acquire(slot(3, 2, { termTotalMax: 1 })), { ok: false, reason: 'limit', side: 'destination', field: 'maxCallsTotal', max: 1 });
    assert.deepEqual(await closed.acquire(slot(1, 2)), { ok: false, reason: 'unavailable' });
    await open.release(2, 'term', 0);
    assert.ok(Date.now() - t0 < 200, `answered in ${Date.now() - t0} ms`);
    await assert.rejects(open.figures([2], new Date()), /unavailable/);
  });

  it('Redis back after an outage: the edge re-registers and re-publishes what it admitted meanwhile', async () => {
    const p = newPrefix();
    const a = edge(p, { commandTimeoutMs: 300 });
    const b = edge(p);
    await Promise.all([a.start(), b.start()]);
    // Cut A's connection; ioredis reconnects by itself.
    const id = await a.redis.client('ID');
    const during = a.acquire(slot(90, 91));
    await b.redis.client('KILL', 'ID', String(id));
    assert.ok((await during).ok);
    assert.ok((await a.acquire(slot(92, 91))).ok, 'admitted (through Redis or on local limits)');
    await waitFor('A to be back', () => a.available, 3000);
    await a.tick();
    await waitFor('both of A\'s calls counted in Redis', async () => (await b.figures([91], new Date())).get(91)?.activeTerm === 2, 3000);
  });
});
