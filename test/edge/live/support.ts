/**
 * Redis for the live-state tests: the server at TRUNKLINE_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * Tests skip, saying why, when it cannot be reached. Every run uses its own key prefix and removes its keys.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';

export const REDIS_URL = process.env.TRUNKLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const silent = pino({ level: 'silent' });

/** False when Redis answers PING, else why the tests skip. */
export async function redisSkipReason(url = REDIS_URL): Promise<string | false> {
  const r = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return false;
  } catch (err) {
    return `Redis not reachable at ${url} (${(err as Error).message}); set TRUNKLINE_TEST_REDIS_URL or start redis-server`;
  } finally {
    r.disconnect();
  }
}

/** A key prefix no other run uses. */
export function testPrefix(): string {
  return `trunkline-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Delete every key under `prefix`; returns how many. */
export async function cleanPrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) n += await r.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    r.disconnect();
  }
}

export async function keysUnder(prefix: string, url = REDIS_URL): Promise<string[]> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    return await r.keys(`${prefix}*`);
  } finally {
    r.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
