/**
 * NetSapiens ns-api v2 call records (CDRs), read-only:
 *
 *   GET /cdrs?datetime-start&datetime-end&start&limit&orig_callid&term_callid     records the key may see
 *   GET /cdrs/count                                                                {"total","minutes","seconds"}
 *   GET /domains/{domain}/cdrs?datetime-start&datetime-end&start&limit              one tenant's records
 *   GET /domains/{domain}/cdrs/count
 *
 * Tenancy as for connections: Super User sees all, a Reseller its reseller's domains, others their own domain.
 * `datetime-start`/`datetime-end` accept ISO 8601 or the vendor's `YYYY-MM-DD HH:MM:SS` (UTC), with the
 * vendor's optional `[Zone/Name]` suffix ignored; the vendor's `type` filter (Inbound, Outbound...) has no
 * meaning for trunk-to-trunk calls and is accepted and ignored. Records come newest first.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TrunklineError, type CallRecord, type CallRecordFilter, type Tenant } from '../../model/index.js';
import type { Principal } from '../../model/credentials.js';
import { resolveDomain } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { parsePage, stringParam } from '../shared/paging.js';
import { nsDateTime } from './fields.js';

type Query = Record<string, unknown>;

/** "2023-11-27T13:00:00Z[US/Pacific]", "2023-11-27 13:00:00", "2023-11-27" → ISO 8601 (UTC). */
export function parseNsDateTime(text: string, field: string): string {
  const bare = text.replace(/\[[^\]]*\]$/, '').trim();
  const normalised = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(bare) ? `${bare.replace(' ', 'T')}Z` : bare;
  const ms = Date.parse(normalised);
  if (!/^\d{4}-\d{2}-\d{2}/.test(bare) || !Number.isFinite(ms)) {
    throw new TrunklineError('VALIDATION', `${field} must be a date and time such as 2025-05-19 02:41:11 or 2025-05-19T02:41:11Z`, { field });
  }
  return new Date(ms).toISOString();
}

function uriParts(uri: string): { user: string; host: string } {
  const m = /^(?:sips?|tel):(?:([^@;]*)@)?([^;>?]*)/i.exec(uri);
  return { user: m?.[1] ?? '', host: m?.[2] ?? '' };
}

/** A record in the vendor's CdrD shape; fields trunkline has no value for carry the type's empty value. */
export function cdrJson(r: CallRecord, reseller: string): Record<string, unknown> {
  const from = uriParts(r.orig.fromUri);
  const to = uriParts(r.orig.toUri);
  const req = uriParts(r.orig.requestUri);
  return {
    id: r.id,
    domain: r.domain,
    reseller,
    'call-orig-call-id': r.orig.callId,
    'call-term-call-id': r.term?.callId ?? '',
    'call-start-datetime': nsDateTime(r.startedAt) ?? '',
    'call-ringing-datetime': nsDateTime(r.ringingAt) ?? null,
    'call-answer-datetime': nsDateTime(r.answeredAt) ?? '',
    'call-disconnect-datetime': nsDateTime(r.endedAt) ?? '',
    'call-record-creation-datetime': nsDateTime(r.endedAt) ?? null,
    'call-total-duration-seconds': r.durationSeconds,
    'call-talking-duration-seconds': r.talkSeconds,
    'call-disconnect-reason-text': `${r.status} ${r.reason}`.trim(),
    'call-direction': 1,
    'call-orig-domain': r.domain,
    'call-orig-ip-address': r.orig.ip,
    'call-orig-from-uri': r.orig.fromUri,
    'call-orig-from-user': from.user,
    'call-orig-from-host': from.host,
    'call-orig-from-name': '',
    'call-orig-caller-id': Number.parseInt(from.user.replace(/^\+/, ''), 10) || 0,
    'call-orig-to-uri': r.orig.toUri,
    'call-orig-to-user': to.user,
    'call-orig-to-host': to.host,
    'call-orig-request-uri': r.orig.requestUri,
    'call-orig-request-user': req.user,
    'call-orig-request-host': req.host,
    'call-orig-pre-routing-uri': r.orig.requestUri,
    'call-orig-match-uri': r.orig.fromUri,
    'call-term-domain': r.termDomain ?? '',
    'call-term-ip-address': r.term?.ip ?? '',
    'call-term-to-uri': r.term?.toUri ?? '',
    'call-term-pre-reouting-uri': r.term?.requestUri ?? '',
    'call-term-match-uri': r.term?.requestUri ?? '',
    'call-term-caller-id': r.term === null ? '' : uriParts(r.term.fromUri).user,
    'call-routing-match-uri': r.term?.requestUri ?? '',
    'call-leg-ordinal-index': 0,
    'hide-from-results': 0,
    // trunkline's own figures, named so no vendor field is overloaded.
    'trunkline-disposition': r.disposition,
    'trunkline-status': r.status,
    'trunkline-ended-by': r.endedBy,
    'trunkline-orig-connection-id': r.origConnectionId,
    'trunkline-term-connection-id': r.termConnectionId,
    'trunkline-term-request-uri': r.term?.requestUri ?? '',
    'trunkline-term-from-uri': r.term?.fromUri ?? '',
  };
}

export function registerCdrRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access } = ctx;
  const resellers = new Map<string, string>();
  const resellerOf = async (domain: string): Promise<string> => {
    let r = resellers.get(domain);
    if (r === undefined) {
      const t: Tenant | undefined = await access.tenant(domain);
      r = t?.reseller ?? '';
      resellers.set(domain, r);
    }
    return r;
  };

  /** What the key may see, as a store filter (undefined: nothing at all). */
  async function scopeFilter(p: Principal, domainFromPath: string | undefined): Promise<CallRecordFilter | undefined> {
    if (domainFromPath !== undefined) {
      const domain = resolveDomain(p, domainFromPath);
      await access.checkDomain(p, domain, { mustExist: true });
      return { domain };
    }
    switch (p.scope) {
      case 'Super User':
        return {};
      case 'Reseller': {
        if (p.reseller === '*') return {};
        const tenants = await store.listTenants({ reseller: p.reseller, limit: 10_000 });
        return tenants.length === 0 ? undefined : { domains: tenants.map((t) => t.name) };
      }
      default:
        return { domain: p.domain };
    }
  }

  async function filterOf(request: FastifyRequest, domainFromPath?: string): Promise<CallRecordFilter | undefined> {
    const auth = authOf(request);
    checkModel(auth, 'cdr');
    const query = request.query as Query;
    const scope = await scopeFilter(auth.principal, domainFromPath);
    if (scope === undefined) return undefined;
    const start = stringParam(query, 'datetime-start');
    const end = stringParam(query, 'datetime-end');
    const callId = stringParam(query, 'orig_callid') ?? stringParam(query, 'term_callid');
    return {
      ...scope,
      ...(start === undefined ? {} : { from: parseNsDateTime(start, 'datetime-start') }),
      ...(end === undefined ? {} : { to: parseNsDateTime(end, 'datetime-end') }),
      ...(callId === undefined ? {} : { callId }),
      ...parsePage(query),
    };
  }

  const list = async (request: FastifyRequest, domain?: string) => {
    const filter = await filterOf(request, domain);
    if (filter === undefined) return [];
    const rows = await store.listCallRecords(filter);
    return Promise.all(rows.map(async (r) => cdrJson(r, await resellerOf(r.domain))));
  };
  const count = async (request: FastifyRequest, domain?: string) => {
    const filter = await filterOf(request, domain);
    if (filter === undefined) return { total: 0, minutes: 0, seconds: 0 };
    const c = await store.countCallRecords(filter);
    return { total: c.total, minutes: Math.floor(c.talkSeconds / 60), seconds: c.talkSeconds };
  };

  app.get('/v2/cdrs', async (request, reply) => reply.send(await list(request)));
  app.get('/v2/cdrs/count', async (request, reply) => reply.send(await count(request)));
  app.get<{ Params: { domain: string } }>('/v2/domains/:domain/cdrs', async (request, reply) =>
    reply.send(await list(request, request.params.domain)),
  );
  app.get<{ Params: { domain: string } }>('/v2/domains/:domain/cdrs/count', async (request, reply) =>
    reply.send(await count(request, request.params.domain)),
  );
}
