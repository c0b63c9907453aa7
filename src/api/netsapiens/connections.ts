/**
 * NetSapiens ns-api v2 connection endpoints (issue #3):
 *
 *   POST   /connections                                202 | 400 | 403 | 404 unknown domain | 409 duplicate
 *   GET    /connections?domain&reseller&termination-match&start&limit
 *   GET    /connections/count                          {"total":N}
 *   GET    /domains/{domain}/connections?start&limit
 *   GET    /domains/{domain}/connections/{pattern}     an ARRAY with the one connection
 *   PUT    /domains/{domain}/connections/{pattern}     partial update, 202
 *   DELETE /domains/{domain}/connections/{pattern}     202
 *
 * `{pattern}` is the percent-encoded orig match pattern or its base64 (standard or URL-safe); the raw form is
 * tried first. `~` as domain is the key's own domain; `*` is the system-wide domain.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  TrunklineError,
  buildNewConnection,
  mergeSettings,
  type Connection,
  type ConnectionWithLive,
} from '../../model/index.js';
import type { ConnectionFilter, Page, Store } from '../../store/store.js';
import { assertWritable, resolveDomain } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext, ApiDialect } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { MAX_PAGE, parsePage, stringParam } from '../shared/paging.js';
import { connectionJson } from './codec.js';
import { NS_DOMAIN, NS_ORIG_PATTERN } from './fields.js';

type Params = { domain: string; pattern: string };
type Query = Record<string, unknown>;

export const ACCEPTED = Object.freeze({ code: 202, message: 'Accepted' });

export function accepted(reply: FastifyReply): FastifyReply {
  return reply.code(202).send(ACCEPTED);
}

const BASE64ISH = /^[A-Za-z0-9+/_-]{4,}={0,2}$/;

/** The base64 (standard or URL-safe) reading of a path segment, when it is one and decodes to clean text. */
export function decodeBase64Pattern(segment: string): string | undefined {
  if (!BASE64ISH.test(segment)) return undefined;
  const std = segment.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return undefined;
  const text = Buffer.from(std, 'base64').toString('utf8');
  if (text === '' || /[\u0000-\u001f\u007f\ufffd]/.test(text)) return undefined;
  if (Buffer.from(text, 'utf8').toString('base64').replace(/=+$/, '') !== std) return undefined;
  return text;
}

/** Find a connection by the raw pattern first, then by its base64 reading. */
export async function findConnection(store: Store, domain: string, segment: string): Promise<Connection | undefined> {
  const direct = await store.getConnection(domain, segment);
  if (direct !== undefined) return direct;
  const decoded = decodeBase64Pattern(segment);
  if (decoded === undefined || decoded === segment) return undefined;
  return store.getConnection(domain, decoded);
}

/** `findConnection` with the live figures, in one store read per candidate pattern. */
export async function findConnectionWithLive(store: Store, domain: string, segment: string): Promise<ConnectionWithLive | undefined> {
  const direct = await store.getConnectionWithLive(domain, segment);
  if (direct !== undefined) return direct;
  const decoded = decodeBase64Pattern(segment);
  if (decoded === undefined || decoded === segment) return undefined;
  return store.getConnectionWithLive(domain, decoded);
}

function notFound(domain: string, pattern: string): TrunklineError {
  return new TrunklineError('NOT_FOUND', `Connection ${pattern} not found in domain ${domain}`);
}

/** Page over the concatenation of several filters' results (a Reseller's own domains, then `*`). */
export async function listAcross(store: Store, filters: readonly ConnectionFilter[], page: Page): Promise<Connection[]> {
  if (filters.length === 0) return [];
  if (filters.length === 1) return store.listConnections({ ...filters[0], ...page });
  let start = page.start ?? 0;
  let remaining = page.limit ?? MAX_PAGE;
  const out: Connection[] = [];
  for (const f of filters) {
    if (remaining <= 0) break;
    const total = await store.countConnections(f);
    if (start >= total) {
      start -= total;
      continue;
    }
    const rows = await store.listConnections({ ...f, start, limit: remaining });
    out.push(...rows);
    remaining -= rows.length;
    start = 0;
  }
  return out;
}

export async function countAcross(store: Store, filters: readonly ConnectionFilter[]): Promise<number> {
  let total = 0;
  for (const f of filters) total += await store.countConnections(f);
  return total;
}

export function registerConnectionRoutes(app: FastifyInstance, ctx: ApiContext, dialect: ApiDialect): void {
  const { store, access } = ctx;
  const JSON_TYPE = 'application/json; charset=utf-8';
  const sendRows = (reply: FastifyReply, rows: readonly ConnectionWithLive[]) =>
    reply.type(JSON_TYPE).send(`[${rows.map((r) => connectionJson(r.connection, r.live)).join(',')}]`);

  async function listQuery(request: FastifyRequest, domainFromPath?: string) {
    const auth = authOf(request);
    checkModel(auth, 'connection');
    const query = request.query as Query;
    const domain = domainFromPath ?? stringParam(query, 'domain');
    const reseller = stringParam(query, 'reseller');
    const term = stringParam(query, 'termination-match');
    const filters = await access.connectionFilters(auth.principal, {
      ...(domain === undefined ? {} : { domain }),
      ...(reseller === undefined ? {} : { reseller }),
      ...(term === undefined ? {} : { termMatchPattern: term }),
    }, { domainMustExist: domainFromPath !== undefined });
    return { filters, page: parsePage(query) };
  }

  app.post('/v2/connections', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'connection');
    const { identity, patch } = dialect.parseConnectionBody(request.body, 'create');
    const domain = resolveDomain(p, identity?.domain ?? '');
    const conn = buildNewConnection(
      { domain, origMatchPattern: identity?.origMatchPattern ?? '', createdBy: 'netsapiens' },
      patch,
    );
    await access.checkDomain(p, domain, { mustExist: true });
    try {
      await store.createConnection(conn);
    } catch (err) {
      if (err instanceof TrunklineError && err.kind === 'CONFLICT') {
        throw new TrunklineError('CONFLICT', `Connection ${conn.origMatchPattern} already exists in domain ${domain}`);
      }
      if (err instanceof TrunklineError && err.kind === 'NOT_FOUND') {
        throw new TrunklineError('NOT_FOUND', `Domain ${domain} not found`);
      }
      throw err;
    }
    return accepted(reply);
  });

  app.get('/v2/connections', async (request, reply) => {
    const { filters, page } = await listQuery(request);
    const rows = await listAcross(store, filters, page);
    return sendRows(reply, await store.withLive(rows));
  });

  app.get('/v2/connections/count', async (request, reply) => {
    const { filters } = await listQuery(request);
    return reply.send({ total: await countAcross(store, filters) });
  });

  app.get<{ Params: { domain: string } }>('/v2/domains/:domain/connections', async (request, reply) => {
    const { filters, page } = await listQuery(request, request.params.domain);
    const rows = await listAcross(store, filters, page);
    return sendRows(reply, await store.withLive(rows));
  });

  app.get<{ Params: Params }>('/v2/domains/:domain/connections/:pattern', async (request, reply) => {
    const auth = authOf(request);
    checkModel(auth, 'connection');
    const domain = resolveDomain(auth.principal, request.params.domain);
    await access.checkDomain(auth.principal, domain);
    const found = await findConnectionWithLive(store, domain, request.params.pattern);
    if (found === undefined) throw notFound(domain, request.params.pattern);
    return reply.type(JSON_TYPE).send(`[${connectionJson(found.connection, found.live)}]`);
  });

  app.put<{ Params: Params }>('/v2/domains/:domain/connections/:pattern', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'connection');
    const { identity, patch } = dialect.parseConnectionBody(request.body, 'update');
    const domain = resolveDomain(p, request.params.domain);
    await access.checkDomain(p, domain);
    const conn = await findConnection(store, domain, request.params.pattern);
    if (conn === undefined) throw notFound(domain, request.params.pattern);
    if (identity?.domain !== undefined && resolveDomain(p, identity.domain) !== conn.domain) {
      throw new TrunklineError('VALIDATION', `${NS_DOMAIN} cannot be changed; delete the connection and create it in the other domain`, { field: NS_DOMAIN });
    }
    if (identity?.origMatchPattern !== undefined && identity.origMatchPattern !== conn.origMatchPattern) {
      throw new TrunklineError('VALIDATION', `${NS_ORIG_PATTERN} cannot be changed; delete the connection and create it again`, { field: NS_ORIG_PATTERN });
    }
    const updated = await store.updateConnection(conn.id, (current) => mergeSettings(current, patch));
    if (updated === undefined) throw notFound(domain, request.params.pattern);
    return accepted(reply);
  });

  app.delete<{ Params: Params }>('/v2/domains/:domain/connections/:pattern', async (request, reply) => {
    const auth = authOf(request);
    const p = auth.principal;
    assertWritable(p);
    checkModel(auth, 'connection');
    const domain = resolveDomain(p, request.params.domain);
    await access.checkDomain(p, domain);
    const conn = await findConnection(store, domain, request.params.pattern);
    if (conn === undefined || !(await store.deleteConnection(conn.id))) throw notFound(domain, request.params.pattern);
    return accepted(reply);
  });
}
