/**
 * Wavix `/v1/trunks` (issue #5):
 *
 *   GET    /v1/trunks?page&per_page   {"sip_trunks":[SIPTrunkSummary...],"pagination":{...}}
 *   POST   /v1/trunks                 201 SIPTrunkResponse
 *   GET    /v1/trunks/{id}            200 SIPTrunkResponse
 *   PUT    /v1/trunks/{id}            200 SIPTrunkResponse; a full replacement (omitted fields revert to defaults)
 *   DELETE /v1/trunks/{id}            200 {"success":true}
 *
 * A Wavix key belongs to one account (tenant) and sees only that account's trunks, i.e. records of its tenant
 * that carry `ext.wavix`; anything else is "not found". Identity: a trunk's orig match pattern is
 * `sip:<name>@*` (the generated numeric login, which never changes), so a PUT never renames a record.
 */
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  EMPTY_LIVE,
  TrunklineError,
  buildNewConnection,
  mergeSettings,
  type Connection,
  type NewConnection,
  type Principal,
} from '../../model/index.js';
import type { Store } from '../../store/store.js';
import { assertWritable } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { stringParam } from '../shared/paging.js';
import { parseTrunkBody, serializeSummary, serializeTrunk } from './codec.js';
import { LOGIN_DIGITS, WAVIX_LIMITS } from './fields.js';

type IdParams = { id: string };

const INT32_MAX = 2_147_483_647;

function notFound(): TrunklineError {
  return new TrunklineError('NOT_FOUND', 'Record not found');
}

/** The account (tenant) a Wavix key acts for. */
export function accountOf(p: Principal): string {
  if (p.domain === '*' || p.domain === '') {
    throw new TrunklineError('FORBIDDEN', 'The service is not provisioned for your account: this API key is not bound to an account');
  }
  return p.domain;
}

/** A path id that can name a trunk, or undefined (answered 404, as Wavix does for an unknown id). */
export function trunkId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= INT32_MAX ? n : undefined;
}

/** True when `c` is a Wavix trunk of `account`. */
function ownTrunk(c: Connection | undefined, account: string): c is Connection {
  return c !== undefined && c.domain === account && c.ext.wavix !== undefined;
}

function pageParam(query: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const text = stringParam(query, name);
  if (text === undefined) return fallback;
  if (!/^\s*\d{1,9}\s*$/.test(text)) throw new TrunklineError('VALIDATION', `${name} must be a positive integer`, { field: name });
  const n = Number.parseInt(text, 10);
  if (n < 1 || n > max) throw new TrunklineError('VALIDATION', `${name} must be between 1 and ${max}`, { field: name });
  return n;
}

/** Every SIP login name (digest username) in use anywhere in the store. */
async function loginsInUse(store: Store): Promise<Set<string>> {
  const used = new Set<string>();
  const limit = 10_000;
  for (let start = 0; ; start += limit) {
    const rows = await store.listConnections({ start, limit });
    for (const c of rows) if (c.authUsername !== '') used.add(c.authUsername);
    if (rows.length < limit) return used;
  }
}

/**
 * A fresh numeric SIP login, unique among every connection's digest username (Wavix names are logins, and
 * the edge finds a registering trunk by its username). Two concurrent creates that drew the same number are
 * still kept apart: the second insert of `sip:<name>@*` in the same account conflicts and is retried, and
 * across accounts a collision needs the same random draw within one create's lifetime.
 */
export async function generateLogin(store: Store, exclude: ReadonlySet<string> = new Set()): Promise<string> {
  const used = await loginsInUse(store);
  for (const digits of LOGIN_DIGITS) {
    const name = String(randomInt(10 ** (digits - 1), 10 ** digits));
    if (!used.has(name) && !exclude.has(name)) return name;
  }
  throw new TrunklineError('UNAVAILABLE', 'Could not allocate a SIP login name; retry the request');
}

export function registerTrunkRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access } = ctx;

  function caller(request: FastifyRequest, write: boolean): { p: Principal; account: string } {
    const auth = authOf(request);
    const p = auth.principal;
    if (write) assertWritable(p);
    checkModel(auth, 'connection');
    return { p, account: accountOf(p) };
  }

  async function findOwn(request: FastifyRequest<{ Params: IdParams }>, account: string): Promise<Connection> {
    const id = trunkId(request.params.id);
    if (id === undefined) throw notFound();
    const conn = await store.getConnectionById(id);
    if (!ownTrunk(conn, account)) throw notFound();
    return conn;
  }

  app.get('/trunks', async (request, reply) => {
    const { account } = caller(request, false);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const page = pageParam(query, 'page', 1, 1_000_000);
    const perPage = pageParam(query, 'per_page', WAVIX_LIMITS.perPageDefault, WAVIX_LIMITS.perPageMax);
    const filter = { domain: account, hasExtension: 'wavix' as const };
    const total = await store.countConnections(filter);
    const rows = (page - 1) * perPage >= total ? [] : await store.listConnections({ ...filter, start: (page - 1) * perPage, limit: perPage });
    const withLive = await store.withLive(rows);
    return reply.send({
      sip_trunks: withLive.map((r) => serializeSummary(r.connection, r.live)),
      pagination: { current_page: page, per_page: perPage, total, total_pages: Math.ceil(total / perPage) },
    });
  });

  app.post('/trunks', async (request, reply) => {
    const { p, account } = caller(request, true);
    const parsed = parseTrunkBody(request.body);
    await access.checkDomain(p, account, { mustExist: true });
    const tried = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const name = await generateLogin(store, tried);
      tried.add(name);
      const conn = buildNewConnection(
        { domain: account, origMatchPattern: `sip:${name}@*`, createdBy: 'wavix', ext: parsed.ext },
        { ...parsed.patch, authUsername: name },
      );
      try {
        const created = await store.createConnection(conn);
        return reply.code(201).send(serializeTrunk(created, EMPTY_LIVE));
      } catch (err) {
        if (err instanceof TrunklineError && err.kind === 'CONFLICT' && attempt < 3) continue;
        if (err instanceof TrunklineError && err.kind === 'NOT_FOUND') {
          throw new TrunklineError('NOT_FOUND', 'The service is not provisioned for your account.');
        }
        throw err;
      }
    }
  });

  app.get<{ Params: IdParams }>('/trunks/:id', async (request, reply) => {
    const { account } = caller(request, false);
    const conn = await findOwn(request, account);
    const live = await store.getLive([conn.id]);
    return reply.send(serializeTrunk(conn, live.get(conn.id) ?? EMPTY_LIVE));
  });

  app.put<{ Params: IdParams }>('/trunks/:id', async (request, reply) => {
    const { account } = caller(request, true);
    const existing = await findOwn(request, account);
    // Parse before writing (and again against the locked row, so allowed-IP ids follow the current record).
    parseTrunkBody(request.body, existing.ext.wavix);
    const updated = await store.updateConnection(existing.id, (current): NewConnection => {
      if (!ownTrunk(current, account)) throw notFound();
      const parsed = parseTrunkBody(request.body, current.ext.wavix);
      const merged = mergeSettings(current, parsed.patch);
      const { id: _id, createdAt: _c, lastModified: _m, ...rest } = merged;
      return { ...rest, ext: { ...current.ext, wavix: parsed.ext.wavix } };
    });
    if (updated === undefined) throw notFound();
    const live = await store.getLive([updated.id]);
    return reply.send(serializeTrunk(updated, live.get(updated.id) ?? EMPTY_LIVE));
  });

  app.delete<{ Params: IdParams }>('/trunks/:id', async (request, reply) => {
    const { account } = caller(request, true);
    const conn = await findOwn(request, account);
    if (!(await store.deleteConnection(conn.id))) throw notFound();
    return reply.send({ success: true });
  });
}
