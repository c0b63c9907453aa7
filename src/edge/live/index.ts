/** Live call state: in memory (one process) or in Redis (several edge processes). See live-state.ts. */
export * from './live-state.js';
export { MemoryLiveState } from './memory-live-state.js';
export { DEFAULT_REDIS_PREFIX, parseRedisUrl, randomEdgeId, RedisLiveState, type RedisFailMode, type RedisLiveStateOptions } from './redis-live-state.js';
