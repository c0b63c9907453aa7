/**
 * Live call state shared by several edge processes through Redis (`trunkline serve --redis URL`).
 *
 * Keys (prefix `trunkline:` by default; `?prefix=` in the URL or the `prefix` option changes it):
 *
 *   <p>active:<connId>        hash  `<edgeId>:o` / `<edgeId>:t` = calls up on this connection through that edge
 *   <p>edges                  set   edge ids that may have counts
 *   <p>edge:<edgeId>:alive    string with a TTL (`ttlMs`), refreshed every `heartbeatMs`
 *   <p>edge:<edgeId>:conns    set   connections that edge has counted on (to remove its counts when it dies)
 *   <p>since                  hash  `<connId>:o` / `<connId>:t` = calls since the cluster started
 *   <p>month:<YYYY-MM>        hash  `<connId>:peak` (cluster-wide orig+term peak), `<connId>:talk` (ms),
 *                                   `<connId>:seeded`; expires 70 days after its last write
 *
 * Counts are per edge, so no edge ever overwrites another's. Admission is one Lua script: it sums the
 * origin's and the destination's fields over every edge, checks the four limits in the edge's usual order,
 * and when the call fits increments both (and the since-startup and month figures) before anything else runs
 * on the server. Every edge refreshes its heartbeat key and, in the same script, removes the counts of every
 * edge whose heartbeat expired (a SIGKILLed or partitioned edge), so nothing stays stuck for longer than the
 * TTL plus one heartbeat.
 *
 * Each edge also keeps its own calls in memory (a MemoryLiveState). That copy is the truth about this edge:
 * after Redis was unreachable, after a command failed or timed out, or after this edge's heartbeat was found
 * expired (a long pause), the edge re-publishes its fields from it (only while no command is in flight, so
 * the copy and the server agree on what has run). While Redis is unreachable the edge fails open by default:
 * calls are admitted against this edge's own counts (per-edge limits, as without Redis) and an error is
 * logged; `failMode: 'closed'` refuses them with 503 instead. Commands never wait for a reconnection
 * (offline queue off) and time out after `commandTimeoutMs`; ioredis reconnects by itself.
 *
 * The scripts build key names from the prefix, so this needs a standalone Redis (or Sentinel/KeyDB), not
 * Redis Cluster.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  monthKey,
  previousMonthKey,
  type Admission,
  type CallDirection,
  type CallSlot,
  type LimitField,
  type LiveFigures,
  type LiveState,
  type MonthSeed,
} from './live-state.js';
import { MemoryLiveState } from './memory-live-state.js';

export type RedisFailMode = 'open' | 'closed';

export interface RedisLiveStateOptions {
  /** `redis://[user:pass@]host:port[/db][?prefix=trunkline:]` (or `rediss://` for TLS). */
  readonly url: string;
  /** Key prefix (default: the URL's `prefix` parameter, else `trunkline:`). */
  readonly prefix?: string | undefined;
  /** This process's id (default: `<hostname>-<pid>-<random>`). Must be unique per running process. */
  readonly edgeId?: string | undefined;
  /** Heartbeat refresh and dead-edge sweep period (default 5 s). */
  readonly heartbeatMs?: number | undefined;
  /** Heartbeat TTL: an edge silent this long is dead and its counts are removed (default 15 s). */
  readonly ttlMs?: number | undefined;
  /** Redis unreachable: 'open' admits against this edge's own counts (default), 'closed' refuses with 503. */
  readonly failMode?: RedisFailMode | undefined;
  /** A command not answered within this fails (default 1000 ms). */
  readonly commandTimeoutMs?: number | undefined;
  /** How long start() waits for Redis before going on without it (default 3000 ms). */
  readonly connectWaitMs?: number | undefined;
  readonly logger: Logger;
}

export const DEFAULT_REDIS_PREFIX = 'trunkline:';
const MONTH_TTL_SECONDS = 70 * 24 * 3600;

/** Split the `prefix` parameter off a Redis URL (ioredis would take unknown parameters as options). */
export function parseRedisUrl(url: string): { url: string; prefix: string | undefined } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a Redis URL: ${url}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a Redis URL (redis:// or rediss://): ${url}`);
  const prefix = u.searchParams.get('prefix') ?? undefined;
  u.searchParams.delete('prefix');
  return { url: u.toString(), prefix: prefix === '' ? undefined : prefix };
}

export function randomEdgeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

// ---- Lua -------------------------------------------------------------------------------------------------

const PRELUDE = `
local function sums(key)
  local o, t = 0, 0
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local f = all[i]
    local v = tonumber(all[i + 1]) or 0
    local kind = string.sub(f, -2)
    if kind == ':o' then o = o + v elseif kind == ':t' then t = t + v end
  end
  return o, t
end
local function reap(p, me)
  local edges = p .. 'edges'
  local reaped = {}
  for _, e in ipairs(redis.call('SMEMBERS', edges)) do
    if e ~= me and redis.call('EXISTS', p .. 'edge:' .. e .. ':alive') == 0 then
      local conns = p .. 'edge:' .. e .. ':conns'
      for _, id in ipairs(redis.call('SMEMBERS', conns)) do
        if redis.call('HDEL', p .. 'active:' .. id, e .. ':o', e .. ':t') > 0 then table.insert(reaped, id) end
      end
      redis.call('DEL', conns)
      redis.call('SREM', edges, e)
    end
  end
  return reaped
end
local function republish(p, edge, args, from)
  local conns = p .. 'edge:' .. edge .. ':conns'
  local listed = {}
  for i = from, #args, 3 do
    local id = args[i]
    local o = tonumber(args[i + 1])
    local t = tonumber(args[i + 2])
    listed[id] = true
    local k = p .. 'active:' .. id
    if o > 0 then redis.call('HSET', k, edge .. ':o', o) else redis.call('HDEL', k, edge .. ':o') end
    if t > 0 then redis.call('HSET', k, edge .. ':t', t) else redis.call('HDEL', k, edge .. ':t') end
    redis.call('SADD', conns, id)
  end
  for _, id in ipairs(redis.call('SMEMBERS', conns)) do
    if not listed[id] then
      redis.call('HDEL', p .. 'active:' .. id, edge .. ':o', edge .. ':t')
      redis.call('SREM', conns, id)
    end
  end
end
`;

/** ARGV: prefix, edge, ttlMs, first (1 = process start), then [connId, orig, term]... Returns [othersAlive, reaped...]. */
const REGISTER = `${PRELUDE}
local p, edge, ttl, first = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local reaped = reap(p, edge)
local others = 0
for _, e in ipairs(redis.call('SMEMBERS', p .. 'edges')) do
  if e ~= edge and redis.call('EXISTS', p .. 'edge:' .. e .. ':alive') == 1 then others = others + 1 end
end
if others == 0 and first == '1' then redis.call('DEL', p .. 'since') end
redis.call('SET', p .. 'edge:' .. edge .. ':alive', '1', 'PX', ttl)
redis.call('SADD', p .. 'edges', edge)
republish(p, edge, ARGV, 5)
table.insert(reaped, 1, others)
return reaped
`;

/** ARGV: prefix, edge, ttlMs, snapshot (1 = triples follow and should be published), [connId, orig, term]... Returns [lost, published, reaped...]. */
const TICK = `${PRELUDE}
local p, edge, ttl, snap = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local alive = p .. 'edge:' .. edge .. ':alive'
local lost = 0
if not redis.call('SET', alive, '1', 'PX', ttl, 'XX') then
  lost = 1
  redis.call('SET', alive, '1', 'PX', ttl)
end
redis.call('SADD', p .. 'edges', edge)
local published = 0
if snap == '1' then
  republish(p, edge, ARGV, 5)
  published = 1
end
local reaped = reap(p, edge)
table.insert(reaped, 1, published)
table.insert(reaped, 1, lost)
return reaped
`;

/**
 * ARGV: prefix, edge, origId, termId, origMax, origTotalMax, termMax, termTotalMax (-1 = none), month.
 * Returns {0} when admitted, else {n, max} with n = 1 origin orig, 2 origin total, 3 destination term,
 * 4 destination total (the order of firstBreach in live-state.ts).
 */
const ACQUIRE = `${PRELUDE}
local p, edge, origId, termId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local origMax, origTotalMax, termMax, termTotalMax = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local ka, kb = p .. 'active:' .. origId, p .. 'active:' .. termId
local oo, ot = sums(ka)
local to, tt = sums(kb)
if origMax >= 0 and oo >= origMax then return {1, origMax} end
if origTotalMax >= 0 and oo + ot >= origTotalMax then return {2, origTotalMax} end
if termMax >= 0 and tt >= termMax then return {3, termMax} end
if termTotalMax >= 0 and to + tt >= termTotalMax then return {4, termTotalMax} end
redis.call('HINCRBY', ka, edge .. ':o', 1)
redis.call('HINCRBY', kb, edge .. ':t', 1)
redis.call('SADD', p .. 'edge:' .. edge .. ':conns', origId, termId)
redis.call('HINCRBY', p .. 'since', origId .. ':o', 1)
redis.call('HINCRBY', p .. 'since', termId .. ':t', 1)
local mk = p .. 'month:' .. ARGV[9]
local function peak(id, total)
  local cur = tonumber(redis.call('HGET', mk, id .. ':peak') or '0') or 0
  if total > cur then redis.call('HSET', mk, id .. ':peak', total) end
end
if origId == termId then
  peak(origId, oo + ot + 2)
else
  peak(origId, oo + ot + 1)
  peak(termId, to + tt + 1)
end
redis.call('EXPIRE', mk, ${MONTH_TTL_SECONDS})
return {0}
`;

/** ARGV: prefix, edge, connId, 'o'|'t', talkMs, month. */
const RELEASE = `
local p, edge, id, dir, talk = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local k = p .. 'active:' .. id
local f = edge .. ':' .. dir
local v = tonumber(redis.call('HGET', k, f) or '0') or 0
if v <= 1 then redis.call('HDEL', k, f) else redis.call('HINCRBY', k, f, -1) end
if talk > 0 then
  local mk = p .. 'month:' .. ARGV[6]
  redis.call('HINCRBY', mk, id .. ':talk', talk)
  redis.call('EXPIRE', mk, ${MONTH_TTL_SECONDS})
end
return 1
`;

/** ARGV: prefix, month, previous month, connIds... Returns 7 numbers per id (lastPeak -1 when unknown). */
const FIGURES = `${PRELUDE}
local p = ARGV[1]
local mk, pk = p .. 'month:' .. ARGV[2], p .. 'month:' .. ARGV[3]
local out = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local o, t = sums(p .. 'active:' .. id)
  local s = redis.call('HMGET', p .. 'since', id .. ':o', id .. ':t')
  local m = redis.call('HMGET', mk, id .. ':peak', id .. ':talk')
  local last = redis.call('HGET', pk, id .. ':peak')
  table.insert(out, o)
  table.insert(out, t)
  table.insert(out, tonumber(s[1] or '0') or 0)
  table.insert(out, tonumber(s[2] or '0') or 0)
  table.insert(out, tonumber(m[1] or '0') or 0)
  table.insert(out, tonumber(m[2] or '0') or 0)
  table.insert(out, tonumber(last or '-1') or -1)
end
return out
`;

/** ARGV: prefix, month, previous month, then [connId, maxThisMonth, maxLastMonth, talkSeconds]... */
const SEED = `
local p = ARGV[1]
local mk, pk = p .. 'month:' .. ARGV[2], p .. 'month:' .. ARGV[3]
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  local maxThis, maxLast, talk = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  if redis.call('HSETNX', mk, id .. ':seeded', '1') == 1 then
    local cur = tonumber(redis.call('HGET', mk, id .. ':peak') or '0') or 0
    if maxThis > cur then redis.call('HSET', mk, id .. ':peak', maxThis) end
    if talk > 0 then redis.call('HINCRBY', mk, id .. ':talk', talk * 1000) end
    if maxLast > 0 then redis.call('HSETNX', pk, id .. ':peak', maxLast) end
  end
end
redis.call('EXPIRE', mk, ${MONTH_TTL_SECONDS})
if redis.call('EXISTS', pk) == 1 then redis.call('EXPIRE', pk, ${MONTH_TTL_SECONDS}) end
return 1
`;

const SCRIPTS = {
  tlRegister: REGISTER,
  tlTick: TICK,
  tlAcquire: ACQUIRE,
  tlRelease: RELEASE,
  tlFigures: FIGURES,
  tlSeed: SEED,
} as const;
type ScriptName = keyof typeof SCRIPTS;

const BREACHES: ReadonlyArray<{ side: 'origin' | 'destination'; field: LimitField } | undefined> = [
  undefined,
  { side: 'origin', field: 'maxCallsOrig' },
  { side: 'origin', field: 'maxCallsTotal' },
  { side: 'destination', field: 'maxCallsTerm' },
  { side: 'destination', field: 'maxCallsTotal' },
];

const limitArg = (n: number | null): number => (n === null || n < 0 ? -1 : n);

// ---- the state -------------------------------------------------------------------------------------------

export class RedisLiveState implements LiveState {
  readonly edgeId: string;
  readonly shared = true;
  readonly prefix: string;
  readonly failMode: RedisFailMode;
  readonly redis: Redis;
  readonly #local: MemoryLiveState;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  readonly #connectWaitMs: number;
  readonly #listeners = new Set<(ids: readonly number[]) => void>();
  #timer: NodeJS.Timeout | undefined;
  #registered = false;
  #everRegistered = false;
  #registering: Promise<void> | undefined;
  #inflight = 0;
  #needsResync = false;
  #down = false;
  #degradedCount = 0;
  #lastDegradedLog = 0;
  #lastErrorLog = 0;
  #closed = false;
  #started: Promise<void> | undefined;

  constructor(options: RedisLiveStateOptions) {
    const parsed = parseRedisUrl(options.url);
    this.prefix = options.prefix ?? parsed.prefix ?? DEFAULT_REDIS_PREFIX;
    this.edgeId = options.edgeId ?? randomEdgeId();
    this.failMode = options.failMode ?? 'open';
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#ttlMs = options.ttlMs ?? 15_000;
    if (this.#ttlMs <= this.#heartbeatMs) throw new Error('the Redis heartbeat TTL must be longer than the heartbeat period');
    this.#connectWaitMs = options.connectWaitMs ?? 3_000;
    this.#log = options.logger.child({ component: 'live-state', edgeId: this.edgeId });
    this.#local = new MemoryLiveState(this.edgeId);
    this.redis = new Redis(parsed.url, {
      // Never queue a command while disconnected: a call must get its answer now, not after a reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      connectTimeout: options.connectWaitMs ?? 3_000,
      connectionName: `trunkline-edge-${this.edgeId}`,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { lua, numberOfKeys: 0 });
    this.redis.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.#lastErrorLog > 10_000) {
        this.#lastErrorLog = now;
        this.#log.warn({ err: err.message }, 'Redis connection error');
      }
    });
    this.redis.on('close', () => {
      if (this.#closed) return;
      this.#registered = false;
      this.#markDown('connection closed');
    });
    this.redis.on('ready', () => {
      if (this.#closed) return;
      void this.#register();
    });
  }

  /** Calls up through this edge (its own memory copy). */
  localActive(id: number, direction: CallDirection): number {
    return this.#local.active(id, direction);
  }

  /** True while Redis is reachable and this edge is registered in it. */
  get available(): boolean {
    return this.#registered && this.redis.status === 'ready';
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      this.#log.info({ prefix: this.prefix, failMode: this.failMode, heartbeatMs: this.#heartbeatMs, ttlMs: this.#ttlMs }, 'live call state in Redis');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#connectWaitMs);
        timer.unref();
        const check = setInterval(() => {
          if (this.#registered) done();
        }, 20);
        function done() {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      });
      if (!this.#registered) this.#markDown('not reachable at start');
      this.#timer = setInterval(() => void this.#tick(), this.#heartbeatMs);
      this.#timer.unref();
    })();
    return this.#started;
  }

  #markDown(why: string): void {
    if (this.#down) return;
    this.#down = true;
    this.#needsResync = true;
    this.#log.error(
      { why },
      this.failMode === 'open'
        ? 'Redis live state UNAVAILABLE: failing open, calls are limited per edge only until it is back'
        : 'Redis live state UNAVAILABLE: failing closed, new calls get 503 until it is back',
    );
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#log.warn({ degradedCalls: this.#degradedCount }, 'Redis live state available again');
    this.#degradedCount = 0;
  }

  #run(name: ScriptName, args: ReadonlyArray<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<ScriptName, (...a: Array<string | number>) => Promise<unknown>>)[name];
    this.#inflight++;
    return fn.call(this.redis, ...args).finally(() => {
      this.#inflight--;
    });
  }

  #snapshotArgs(): Array<string | number> {
    return this.#local.snapshot().flatMap(([id, o, t]) => [id, o, t]);
  }

  #register(): Promise<void> {
    this.#registering ??= (async () => {
      try {
        const first = !this.#everRegistered;
        const clean = this.#inflight === 0;
        const r = (await this.#run('tlRegister', [this.prefix, this.edgeId, this.#ttlMs, first ? 1 : 0, ...this.#snapshotArgs()])) as Array<string | number>;
        this.#registered = true;
        this.#everRegistered = true;
        this.#needsResync = !clean;
        this.#markUp();
        const [others, ...reaped] = r;
        this.#log.info({ otherEdges: Number(others), reaped: reaped.length, first }, 'registered in Redis live state');
        this.#emit(reaped);
      } catch (err) {
        this.#log.warn({ err }, 'could not register in Redis live state');
        this.#markDown('register failed');
      } finally {
        this.#registering = undefined;
      }
    })();
    return this.#registering;
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    if (this.redis.status !== 'ready') return;
    if (!this.#registered) return void (await this.#register());
    const snap = this.#needsResync && this.#inflight === 0;
    try {
      const r = (await this.#run('tlTick', [this.prefix, this.edgeId, this.#ttlMs, snap ? 1 : 0, ...(snap ? this.#snapshotArgs() : [])])) as Array<string | number>;
      const [lost, published, ...reaped] = r;
      if (Number(published) === 1) this.#needsResync = false;
      this.#markUp();
      this.#emit(reaped);
      if (Number(lost) === 1) {
        this.#log.warn('this edge\'s heartbeat had expired (paused too long?): re-publishing its calls');
        if (Number(published) !== 1) {
          this.#needsResync = true;
          if (this.#inflight === 0) await this.#tick();
        }
      }
    } catch (err) {
      this.#needsResync = true;
      this.#log.warn({ err }, 'Redis heartbeat failed');
    }
  }

  #emit(ids: ReadonlyArray<string | number>): void {
    const list = [...new Set(ids.map(Number).filter((n) => Number.isInteger(n)))];
    if (list.length === 0) return;
    this.#log.info({ connections: list.length }, 'removed the call counts of edges whose heartbeat expired');
    for (const l of this.#listeners) {
      try {
        l(list);
      } catch (err) {
        this.#log.warn({ err }, 'live state listener failed');
      }
    }
  }

  #degraded(slot: CallSlot, err: unknown): Admission {
    this.#needsResync = true;
    this.#degradedCount++;
    const now = Date.now();
    if (now - this.#lastDegradedLog > 5_000) {
      this.#lastDegradedLog = now;
      this.#log.error(
        { err: err instanceof Error ? err.message : err, failMode: this.failMode, degradedCalls: this.#degradedCount },
        this.failMode === 'open' ? 'Redis live state unavailable: call admitted on per-edge limits' : 'Redis live state unavailable: call refused',
      );
    }
    if (this.failMode === 'closed') return { ok: false, reason: 'unavailable' };
    return this.#local.tryAcquire(slot);
  }

  async acquire(slot: CallSlot): Promise<Admission> {
    if (!this.available) return this.#degraded(slot, 'not connected');
    let r: unknown;
    try {
      r = await this.#run('tlAcquire', [
        this.prefix,
        this.edgeId,
        slot.origId,
        slot.termId,
        limitArg(slot.origMax),
        limitArg(slot.origTotalMax),
        limitArg(slot.termMax),
        limitArg(slot.termTotalMax),
        monthKey(new Date()),
      ]);
    } catch (err) {
      // A timeout may still have counted the call in Redis: the resync settles it from the local copy.
      return this.#degraded(slot, err);
    }
    const [code, max] = (r as number[]).map(Number);
    if (code === 0) {
      this.#local.add(slot);
      return { ok: true };
    }
    const b = BREACHES[code ?? 0];
    if (b === undefined) {
      this.#log.error({ reply: r }, 'unexpected reply from the admission script');
      return this.#degraded(slot, 'unexpected reply');
    }
    return { ok: false, reason: 'limit', side: b.side, field: b.field, max: max ?? 0 };
  }

  async release(connectionId: number, direction: CallDirection, talkMs: number): Promise<void> {
    this.#local.remove(connectionId, direction);
    if (!this.available) {
      this.#needsResync = true;
      return;
    }
    try {
      await this.#run('tlRelease', [this.prefix, this.edgeId, connectionId, direction === 'orig' ? 'o' : 't', Math.max(0, Math.round(talkMs)), monthKey(new Date())]);
    } catch (err) {
      this.#needsResync = true;
      this.#log.warn({ err, connectionId }, 'could not release a call slot in Redis (resync follows)');
    }
  }

  async figures(ids: readonly number[], now: Date): Promise<Map<number, LiveFigures>> {
    const out = new Map<number, LiveFigures>();
    if (ids.length === 0) return out;
    if (!this.available) throw new Error('Redis live state unavailable');
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const r = ((await this.#run('tlFigures', [this.prefix, monthKey(now), previousMonthKey(now), ...chunk])) as unknown[]).map(Number);
      chunk.forEach((id, j) => {
        const [o = 0, t = 0, so = 0, st = 0, peak = 0, talkMs = 0, last = -1] = r.slice(j * 7, j * 7 + 7);
        out.set(id, {
          activeOrig: o,
          activeTerm: t,
          origSinceStartup: so,
          termSinceStartup: st,
          maxThisMonth: Math.max(peak, o + t),
          maxLastMonth: Math.max(0, last),
          talkTimeThisMonth: Math.floor(talkMs / 1000),
        });
      });
    }
    return out;
  }

  async seed(seeds: ReadonlyMap<number, MonthSeed>, now: Date): Promise<void> {
    const args: Array<string | number> = [];
    for (const [id, s] of seeds) {
      if (s.maxThisMonth <= 0 && s.maxLastMonth <= 0 && s.talkTimeThisMonth <= 0) continue;
      args.push(id, s.maxThisMonth, s.maxLastMonth, s.talkTimeThisMonth);
    }
    if (args.length === 0 || !this.available) return;
    for (let i = 0; i < args.length; i += 2000) {
      await this.#run('tlSeed', [this.prefix, monthKey(now), previousMonthKey(now), ...args.slice(i, i + 2000)]);
    }
  }

  onChanged(listener: (ids: readonly number[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Run one heartbeat and sweep now (tests). */
  tick(): Promise<void> {
    return this.#tick();
  }

  /** Stop everything without a word to Redis, as a SIGKILL would (tests). */
  abandon(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.redis.disconnect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.redis.status === 'ready') {
      try {
        // Remove this edge's counts (whatever is left: calls the engine could not end) and its registration.
        const p = this.prefix;
        await this.redis
          .multi()
          .eval(`${PRELUDE}\nrepublish(ARGV[1], ARGV[2], ARGV, 3)\nreturn 1`, 0, p, this.edgeId)
          .del(`${p}edge:${this.edgeId}:alive`, `${p}edge:${this.edgeId}:conns`)
          .srem(`${p}edges`, this.edgeId)
          .exec();
      } catch (err) {
        this.#log.warn({ err }, 'could not remove this edge from the Redis live state (its heartbeat expiry will)');
      }
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }
}
