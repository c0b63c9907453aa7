/**
 * Enswitch JSON API `peers/*` (issue #5), each GET or POST, under `/api/json`:
 *
 *   peers/create   name, type, ... [validation=1]   200 {"id":N} | 201 validated, nothing stored
 *   peers/get      id                               200 the peer
 *   peers/list                                      200 [peers...] (by id)
 *   peers/update   id, any peer parameter           204 (partial: parameters not given stay as they are)
 *   peers/delete   id                               204
 *
 * Every call carries `auth_username`/`auth_password` (401 otherwise) and needs the System owner role (402
 * otherwise): peers are system-wide, and seed 004 requires "the system role privilege". Peers live in the
 * system domain `*` and are the records there that carry `ext.enswitch`; anything else is 404.
 *
 * Identity: a SIP peer (`sip`, `pjsip`) gets the orig match pattern `sip*@<first destination host[:port]>`, so
 * the edge attributes that carrier's calls to it. When another system-wide record already holds that pattern
 * (a second peer to the same carrier), the peer gets `sip:peer-<random>@<host>` instead: it routes calls to the
 * carrier like the first, and inbound calls from that host stay attributed to the first. A type the SIP edge
 * cannot carry gets `sip:peer-<random>@<type>.enswitch.invalid`, which no SIP request matches.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  EMPTY_LIVE,
  SYSTEM_DOMAIN,
  TrunklineError,
  buildNewConnection,
  compileMatchPattern,
  mergeSettings,
  type Connection,
  type NewConnection,
  type Principal,
} from '../../model/index.js';
import type { Store } from '../../store/store.js';
import type { ApiContext } from '../shared/dialect.js';
import type { LoginAuthenticator } from '../shared/logins.js';
import {
  destinationHostPort,
  done,
  idParam,
  isRoutableType,
  ok,
  parsePeerParams,
  refuseUnknown,
  serializePeer,
  validated,
  validationFlag,
  type ParsedPeer,
} from './codec.js';
import { AUTH_PASSWORD, AUTH_USERNAME, ID, UNROUTABLE_HOST_SUFFIX } from './fields.js';
import { collectParams, textParam, type Params } from './params.js';

/** Seed 004: "Requires authentication and the system role privilege." */
export const PEER_ROLE = 'System owner';

const METHODS = ['GET', 'POST'] as const;

/** Authenticate the call's login and check its role. */
export async function authenticateCall(logins: LoginAuthenticator, params: Params): Promise<Principal> {
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = textParam(params, AUTH_USERNAME);
    password = textParam(params, AUTH_PASSWORD);
  } catch {
    throw new TrunklineError('UNAUTHENTICATED', 'The authentication details provided are invalid.');
  }
  const p = await logins.authenticate(username, password);
  if (p.role !== PEER_ROLE) throw new TrunklineError('FORBIDDEN', 'Your role does not allow this.');
  return p;
}

function notFound(id: number): TrunklineError {
  return new TrunklineError('NOT_FOUND', `Peer ${id} not found`, { field: ID });
}

function isPeer(c: Connection | undefined): c is Connection {
  return c !== undefined && c.domain === SYSTEM_DOMAIN && c.ext.enswitch !== undefined;
}

const token = (): string => randomBytes(6).toString('hex');

function fallbackPattern(host: string): string {
  return `sip:peer-${token()}@${host}`;
}

function unroutablePattern(type: string): string {
  return `sip:peer-${token()}@${type}.${UNROUTABLE_HOST_SUFFIX}`;
}

/** Does `pattern` already suit a peer of this type and destination host (so an update keeps it)? */
function patternFits(pattern: string, type: string, host: string | undefined): boolean {
  if (!isRoutableType(type)) return /^sip:peer-[0-9a-f]+@/.test(pattern) && pattern.endsWith(`@${type}.${UNROUTABLE_HOST_SUFFIX}`);
  if (host === undefined) return false;
  return pattern === `sip*@${host}` || (/^sip:peer-[0-9a-f]+@/.test(pattern) && pattern.endsWith(`@${host}`));
}

/** The orig match pattern for a peer (see the header comment); `selfId` is the peer itself on update. */
async function choosePattern(store: Store, parsed: ParsedPeer, selfId?: number): Promise<string> {
  const type = parsed.wire.type as string;
  if (!isRoutableType(type)) return unroutablePattern(type);
  const first = (parsed.wire.destination as string[])[0];
  if (first === undefined) throw new TrunklineError('VALIDATION', `destination is required when type is ${type}`, { field: 'destination' });
  const host = destinationHostPort(first, 'destination');
  const preferred = `sip*@${host}`;
  const holder = await store.getConnection(SYSTEM_DOMAIN, preferred);
  return holder === undefined || holder.id === selfId ? preferred : fallbackPattern(host);
}

function firstHost(parsed: ParsedPeer): string | undefined {
  const first = (parsed.wire.destination as string[])[0];
  return first === undefined ? undefined : destinationHostPort(first, 'destination');
}

export function registerPeerRoutes(app: FastifyInstance, ctx: ApiContext, logins: LoginAuthenticator): void {
  const { store } = ctx;

  async function begin(request: FastifyRequest): Promise<Params> {
    const params = collectParams(request.url, request.body);
    await authenticateCall(logins, params);
    return params;
  }

  const send = (reply: FastifyReply, body: unknown) => reply.code(200).type('application/json; charset=utf-8').send(body);

  async function create(request: FastifyRequest, reply: FastifyReply) {
    const params = await begin(request);
    const parsed = parsePeerParams(params, 'create');
    let pattern = await choosePattern(store, parsed);
    const build = (origMatchPattern: string): NewConnection =>
      buildNewConnection({ domain: SYSTEM_DOMAIN, origMatchPattern, createdBy: 'enswitch', ext: parsed.ext }, parsed.patch);
    let conn = build(pattern); // validates everything before anything is stored
    if (parsed.validateOnly) return send(reply, validated());
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await store.createConnection(conn);
        return send(reply, ok({ id: created.id }));
      } catch (err) {
        // Another call took the pattern between our check and the insert: fall back as the check would have.
        if (!(err instanceof TrunklineError && err.kind === 'CONFLICT') || attempt >= 3) throw err;
        const host = firstHost(parsed);
        pattern = host === undefined || !isRoutableType(parsed.wire.type as string) ? unroutablePattern(parsed.wire.type as string) : fallbackPattern(host);
        conn = build(pattern);
      }
    }
  }

  async function get(request: FastifyRequest, reply: FastifyReply) {
    const params = await begin(request);
    refuseUnknown(params, (name) => name === ID);
    validationFlag(params); // accepted (0 or 1) and ignored: a read has nothing to validate
    const id = idParam(params);
    const conn = await store.getConnectionById(id);
    if (!isPeer(conn)) throw notFound(id);
    const live = await store.getLive([id]);
    return send(reply, ok(serializePeer(conn, live.get(id) ?? EMPTY_LIVE)));
  }

  async function list(request: FastifyRequest, reply: FastifyReply) {
    const params = await begin(request);
    refuseUnknown(params, () => false);
    validationFlag(params); // accepted (0 or 1) and ignored
    const filter = { domain: SYSTEM_DOMAIN, hasExtension: 'enswitch' as const };
    const peers: Connection[] = [];
    const limit = 10_000;
    for (let start = 0; ; start += limit) {
      const rows = await store.listConnections({ ...filter, start, limit });
      peers.push(...rows);
      if (rows.length < limit) break;
    }
    peers.sort((a, b) => a.id - b.id);
    const withLive = await store.withLive(peers);
    return send(reply, ok(withLive.map((r) => serializePeer(r.connection, r.live))));
  }

  async function update(request: FastifyRequest, reply: FastifyReply) {
    const params = await begin(request);
    const id = idParam(params);
    const existing = await store.getConnectionById(id);
    if (!isPeer(existing)) throw notFound(id);
    const first = parsePeerParams(params, 'update', existing);
    const newPattern = patternFits(existing.origMatchPattern, first.wire.type as string, firstHost(first))
      ? existing.origMatchPattern
      : await choosePattern(store, first, id);
    const next = (current: Connection): NewConnection => {
      if (!isPeer(current)) throw notFound(id);
      const parsed = parsePeerParams(params, 'update', current);
      const merged = mergeSettings(current, parsed.patch);
      const { id: _id, createdAt: _c, lastModified: _m, ...rest } = merged;
      compileMatchPattern(newPattern, 'origMatchPattern');
      // A term pattern left at its default (the orig pattern) follows the orig pattern.
      const termMatchPattern = current.termMatchPattern === current.origMatchPattern ? newPattern : rest.termMatchPattern;
      return { ...rest, termMatchPattern, origMatchPattern: newPattern, ext: { ...current.ext, enswitch: parsed.ext.enswitch } };
    };
    next(existing); // every check, on the record as it is now, before anything is written
    if (first.validateOnly) return send(reply, validated());
    try {
      const updated = await store.updateConnection(id, next);
      if (updated === undefined) throw notFound(id);
    } catch (err) {
      if (err instanceof TrunklineError && err.kind === 'CONFLICT') {
        throw new TrunklineError('CONFLICT', `Another peer took destination ${firstHost(first) ?? ''} at the same time; retry`, { field: 'destination' });
      }
      throw err;
    }
    return send(reply, done());
  }

  async function remove(request: FastifyRequest, reply: FastifyReply) {
    const params = await begin(request);
    refuseUnknown(params, (name) => name === ID);
    const validateOnly = validationFlag(params);
    const id = idParam(params);
    const conn = await store.getConnectionById(id);
    if (!isPeer(conn)) throw notFound(id);
    if (validateOnly) return send(reply, validated());
    if (!(await store.deleteConnection(id))) throw notFound(id);
    return send(reply, done());
  }

  app.route({ method: [...METHODS], url: '/peers/create', handler: create });
  app.route({ method: [...METHODS], url: '/peers/get', handler: get });
  app.route({ method: [...METHODS], url: '/peers/list', handler: list });
  app.route({ method: [...METHODS], url: '/peers/update', handler: update });
  app.route({ method: [...METHODS], url: '/peers/delete', handler: remove });
}
