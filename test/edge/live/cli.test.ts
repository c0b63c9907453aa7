/**
 * `trunkline serve --redis`: the flag (and TRUNKLINE_REDIS) reaches the edge, which registers in Redis under
 * the URL's prefix, says so on standard output, and leaves nothing behind after a graceful stop.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runCli, spawnTrunkline, tempDir } from '../../support/trunkline.js';
import { REDIS_URL, cleanPrefix, keysUnder, redisSkipReason, testPrefix } from './support.js';

const skip = await redisSkipReason();
if (skip !== false) console.log(`# skipping the serve --redis test: ${skip}`);

describe('trunkline serve --redis', { timeout: 60_000 }, () => {
  const prefix = testPrefix();
  after(async () => {
    if (skip === false) await cleanPrefix(prefix);
  });

  it('bad --redis values are usage errors', async () => {
    const dir = tempDir();
    try {
      const bad = await runCli(['serve', '--data', dir, '--redis', 'http://127.0.0.1:6379']);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /--redis: not a Redis URL/);
      const mode = await runCli(['serve', '--data', dir, '--redis', 'redis://127.0.0.1:6379', '--redis-fail', 'maybe']);
      assert.equal(mode.code, 2, mode.stderr);
      assert.match(mode.stderr, /--redis-fail must be open or closed/);
      const alone = await runCli(['serve', '--data', dir, '--redis-fail', 'closed']);
      assert.equal(alone.code, 2, alone.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TRUNKLINE_REDIS: the edge registers with a heartbeat under the prefix and removes itself on SIGTERM', { skip }, async () => {
    const url = new URL(REDIS_URL);
    url.searchParams.set('prefix', prefix);
    const p = await spawnTrunkline({ env: { TRUNKLINE_REDIS: url.toString() } });
    const redis = new Redis(REDIS_URL);
    try {
      const m = /live call state shared in Redis at (\S+) \(edge ([^)]+)\)/.exec(p.stdout());
      assert.ok(m, p.stdout());
      assert.doesNotMatch(m[1]!, /prefix/);
      const edgeId = m[2]!;
      const ttl = await redis.pttl(`${prefix}edge:${edgeId}:alive`);
      assert.ok(ttl > 0 && ttl <= 15_000, `heartbeat TTL ${ttl} ms`);
      assert.equal(await redis.sismember(`${prefix}edges`, edgeId), 1);
      assert.equal(await p.stop(), 0);
      assert.deepEqual((await keysUnder(prefix)).filter((k) => k.includes(edgeId) || k.endsWith('edges')), []);
    } finally {
      redis.disconnect();
      await p.kill();
      rmSync(p.dataDir, { recursive: true, force: true });
    }
  });
});
