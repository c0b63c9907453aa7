/**
 * NetSapiens ns-api v2 dial plans and dial rules (docs/api-netsapiens.md, "Dial plans"):
 *
 *   GET    /dialplans?domain&start&limit                          plans the key may see (array)
 *   POST   /dialplans                                             {domain, dial-rule-dial-plan, dial-rule-description}
 *   GET    /domains/{domain}/dialplans                            (trunkline addition) one domain's plans
 *   POST   /domains/{domain}/dialplans                            {dial-rule-dial-plan, dial-rule-description}
 *   GET    /domains/{domain}/dialplans/{dialplan}                 (trunkline addition) one plan (object)
 *   PUT    /domains/{domain}/dialplans/{dialplan}                 {dial-rule-description}
 *   DELETE /domains/{domain}/dialplans/{dialplan}                 the plan and its rules
 *   GET    /domains/{domain}/dialplans/{dialplan}/dialrules       array
 *   POST   /domains/{domain}/dialplans/{dialplan}/dialrules       a rule
 *   GET    /domains/{domain}/dialplans/{dialplan}/dialrules/count {"total":N}
 *   GET    /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}   the rule (object, as the vendor types it)
 *   PUT    /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}   partial update (matching fields fixed)
 *   DELETE /domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}
 *
 * Writes answer 202 `{"code":202,"message":"Accepted"}`. Tenancy as for connections: `~` is the key's domain,
 * `*` (system-wide plans) is for Super User and Reseller keys only, read-only keys get 403 on writes. Bodies are
 * renamed to canonical keys by the model's wire tables (`src/model/dialplan/netsapiens-names.ts`) and validated by
 * the model; its errors are answered with the wire name of the field.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TrunklineError, ValidationError, type Principal } from '../../model/index.js';
import {
  DIAL_PLAN_WIRE_NAMES,
  DIAL_RULE_WIRE_NAMES,
  buildDialPlan,
  buildDialRule,
  dialPlanFromWire,
  dialRuleFromWire,
  dialRuleId,
  dialRuleToWire,
  mergeDialRule,
  parseDialRuleId,
  type DialRule,
  type DialRuleMatching,
  type WireConversion,
} from '../../model/dialplan/index.js';
import type { DialTableFilter, Page, Store } from '../../store/store.js';
import { assertWritable, resolveDomain, type AccessControl } from '../shared/access.js';
import { checkModel } from '../shared/auth.js';
import type { ApiContext } from '../shared/dialect.js';
import { authOf } from '../shared/hooks.js';
import { MAX_PAGE, parsePage, stringParam } from '../shared/paging.js';
import { accepted } from './connections.js';

type Query = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Shared with dialpolicy.ts

/** A request body as an object (an empty body counts as `{}` where nothing is required). */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new TrunklineError('VALIDATION', 'Request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Refuse wire names the table does not know (as the connection endpoints do), naming the first. */
export function refuseUnknown(conv: WireConversion): Record<string, unknown> {
  const first = conv.unknown[0];
  if (first !== undefined) throw new TrunklineError('VALIDATION', `${first} is not a known field`, { field: first });
  return conv.patch;
}

function wireError(names: Readonly<Record<string, string>>, err: unknown): unknown {
  if (err instanceof ValidationError) {
    const wire = names[err.field ?? ''] ?? err.field ?? '';
    return new TrunklineError('VALIDATION', `${wire} ${err.reason}`.trim(), { field: wire });
  }
  if (err instanceof TrunklineError && err.field !== undefined && names[err.field] !== undefined) {
    return new TrunklineError(err.kind, err.message, { field: names[err.field]! });
  }
  return err;
}

/** Run model or store code; a ValidationError naming a canonical key is answered with the wire name. */
export function withWireNames<T>(names: Readonly<Record<string, string>>, run: () => T): T {
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.catch((err: unknown) => {
        throw wireError(names, err);
      }) as T;
    }
    return result;
  } catch (err) {
    throw wireError(names, err);
  }
}

/** A body field that repeats the record's identity must agree with the path. */
export function sameAsPath(body: Record<string, unknown>, wire: string, expected: string, p?: Principal): void {
  const v = body[wire];
  if (v === undefined) return;
  const given = typeof v === 'string' && p !== undefined ? resolveDomain(p, v) : v;
  if (given !== expected) {
    throw new TrunklineError('VALIDATION', `${wire} cannot be changed (the path names ${expected})`, { field: wire });
  }
}

/** Page over the concatenation of several filters' results (a Reseller's own domains, then `*`). */
export async function pageAcross<T>(
  filters: readonly DialTableFilter[],
  page: Page,
  count: (f: DialTableFilter) => Promise<number>,
  list: (f: DialTableFilter) => Promise<T[]>,
): Promise<T[]> {
  let start = page.start ?? 0;
  let remaining = page.limit ?? MAX_PAGE;
  const out: T[] = [];
  for (const f of filters) {
    if (remaining <= 0) break;
    if (filters.length > 1) {
      const total = await count(f);
      if (start >= total) {
        start -= total;
        continue;
      }
    }
    const rows = await list({ ...f, start, limit: remaining });
    out.push(...rows);
    remaining -= rows.length;
    start = 0;
  }
  return out;
}

/** Tenancy of a listing: the store filters for what the key may see (as connection listings). */
export async function visibleFilters(access: AccessControl, p: Principal, query: Query): Promise<DialTableFilter[]> {
  const domain = stringParam(query, 'domain');
  const filters = await access.connectionFilters(p, domain === undefined ? {} : { domain });
  return filters.map((f) => ({
    ...(f.domain === undefined ? {} : { domain: f.domain }),
    ...(f.reseller === undefined ? {} : { reseller: f.reseller }),
  }));
}

/** A path/body string as the model expects it (numbers are accepted where a string goes). */
export function text(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

// ---------------------------------------------------------------------------------------------------------
// Wire shapes

export function dialPlanJson(p: { id: number; domain: string; name: string; description: string }): Record<string, unknown> {
  return { dialplan_id: p.id, domain: p.domain, 'dial-rule-dial-plan': p.name, 'dial-rule-description': p.description };
}

const DATE_FIELDS = ['dial-rule-matching-start-date', 'dial-rule-matching-end-date'];

/**
 * A rule as the vendor answers it. The vendor types the two date fields as `format: date` with default `*`; a
 * `*` date is therefore left out (a reader takes the schema default) rather than answered as an invalid date.
 */
export function dialRuleJson(rule: DialRule): Record<string, string> {
  const out = dialRuleToWire(rule, dialRuleId(rule));
  for (const f of DATE_FIELDS) if (out[f] === '*') delete out[f];
  return out;
}

/** A `{dialrule}` path segment: the vendor's base64 id (full or short form), else a raw `dial-rule-matching-to-uri`. */
function ruleCandidates(segment: string): DialRuleMatching[] {
  const out: DialRuleMatching[] = [];
  try {
    out.push(parseDialRuleId(segment));
  } catch {
    /* not base64: only the raw reading */
  }
  out.push(parseDialRuleIdRaw(segment));
  return out;
}

function parseDialRuleIdRaw(toUri: string): DialRuleMatching {
  return { matchToUri: toUri, matchFromUri: '*', matchDayOfWeek: '*', matchStartDate: '*', matchEndDate: '*', matchStartTime: '*', matchEndTime: '*' };
}

async function findRule(store: Store, domain: string, plan: string, segment: string): Promise<DialRule | undefined> {
  for (const m of ruleCandidates(segment)) {
    const found = await store.getDialRule(domain, plan, m);
    if (found !== undefined) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Routes

type PlanParams = { domain: string; dialplan: string };
type RuleParams = PlanParams & { dialrule: string };

export function registerDialPlanRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, access } = ctx;

  /** The key may act on `domain` (resolved from `~`), which must exist; read-only keys stop here on writes. */
  async function scope(request: FastifyRequest, rawDomain: string, write: boolean): Promise<{ p: Principal; domain: string }> {
    const auth = authOf(request);
    const p = auth.principal;
    if (write) assertWritable(p);
    checkModel(auth, 'dialplan');
    const domain = resolveDomain(p, rawDomain);
    await access.checkDomain(p, domain, { mustExist: true });
    return { p, domain };
  }

  const planNotFound = (domain: string, name: string) => new TrunklineError('NOT_FOUND', `Dial plan ${name} not found in domain ${domain}`);
  const ruleNotFound = (plan: string, id: string) => new TrunklineError('NOT_FOUND', `Dial rule ${id} not found in dial plan ${plan}`);

  async function createPlan(reply: FastifyReply, domain: string, patch: Record<string, unknown>): Promise<FastifyReply> {
    const plan = withWireNames(DIAL_PLAN_WIRE_NAMES, () =>
      buildDialPlan({ domain, name: text(patch.name), description: text(patch.description) }),
    );
    await store.createDialPlan({ domain, name: plan.name, description: plan.description });
    return accepted(reply);
  }

  async function list(request: FastifyRequest, reply: FastifyReply, domainFromPath?: string): Promise<FastifyReply> {
    const auth = authOf(request);
    checkModel(auth, 'dialplan');
    const query = request.query as Query;
    let filters: DialTableFilter[];
    if (domainFromPath !== undefined) {
      filters = [{ domain: (await scope(request, domainFromPath, false)).domain }];
    } else {
      filters = await visibleFilters(access, auth.principal, query);
    }
    const rows = await pageAcross(filters, parsePage(query), (f) => store.countDialPlans(f), (f) => store.listDialPlans(f));
    return reply.send(rows.map(dialPlanJson));
  }

  app.get('/v2/dialplans', (request, reply) => list(request, reply));

  app.post('/v2/dialplans', async (request, reply) => {
    const body = bodyObject(request.body);
    const patch = refuseUnknown(dialPlanFromWire(body));
    delete patch.id; // read-only (`dialplan_id`), as clients may post back what they read
    if (patch.domain === undefined) throw new TrunklineError('VALIDATION', 'domain is required', { field: 'domain' });
    if (typeof patch.domain !== 'string') throw new TrunklineError('VALIDATION', 'domain must be a string', { field: 'domain' });
    const { domain } = await scope(request, patch.domain, true);
    return createPlan(reply, domain, patch);
  });

  app.get<{ Params: { domain: string } }>('/v2/domains/:domain/dialplans', (request, reply) => list(request, reply, request.params.domain));

  app.post<{ Params: { domain: string } }>('/v2/domains/:domain/dialplans', async (request, reply) => {
    const { p, domain } = await scope(request, request.params.domain, true);
    const body = bodyObject(request.body);
    sameAsPath(body, 'domain', domain, p);
    const patch = refuseUnknown(dialPlanFromWire(body));
    delete patch.id;
    return createPlan(reply, domain, patch);
  });

  app.get<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, false);
    const plan = await store.getDialPlan(domain, request.params.dialplan);
    if (plan === undefined) throw planNotFound(domain, request.params.dialplan);
    return reply.send(dialPlanJson({ ...plan, id: plan.id ?? 0 }));
  });

  app.put<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan', async (request, reply) => {
    const { p, domain } = await scope(request, request.params.domain, true);
    const name = request.params.dialplan;
    const body = bodyObject(request.body);
    sameAsPath(body, 'domain', domain, p);
    sameAsPath(body, 'dial-rule-dial-plan', name);
    const patch = refuseUnknown(dialPlanFromWire(body));
    let description: string | undefined;
    if (patch.description !== undefined) {
      description = withWireNames(DIAL_PLAN_WIRE_NAMES, () => buildDialPlan({ domain, name, description: text(patch.description) })).description;
    }
    const updated = await store.updateDialPlan(domain, name, description === undefined ? {} : { description });
    if (updated === undefined) throw planNotFound(domain, name);
    return accepted(reply);
  });

  app.delete<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, true);
    if (!(await store.deleteDialPlan(domain, request.params.dialplan))) throw planNotFound(domain, request.params.dialplan);
    return accepted(reply);
  });

  // ---- dial rules ---------------------------------------------------------------------------------------

  app.get<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, false);
    const rules = await store.listDialRules(domain, request.params.dialplan, parsePage(request.query as Query));
    if (rules === undefined) throw planNotFound(domain, request.params.dialplan);
    return reply.send(rules.map(dialRuleJson));
  });

  app.get<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules/count', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, false);
    const total = await store.countDialRules(domain, request.params.dialplan);
    if (total === undefined) throw planNotFound(domain, request.params.dialplan);
    return reply.send({ total });
  });

  app.post<{ Params: PlanParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules', async (request, reply) => {
    const { p, domain } = await scope(request, request.params.domain, true);
    const plan = request.params.dialplan;
    const body = bodyObject(request.body);
    sameAsPath(body, 'domain', domain, p);
    sameAsPath(body, 'dial-rule-dial-plan', plan);
    if (body.enabled !== undefined && body.enabled !== 'yes' && body.enabled !== 'no') {
      throw new TrunklineError('VALIDATION', 'enabled must be one of "yes", "no"', { field: 'enabled' });
    }
    const patch = refuseUnknown(dialRuleFromWire(body));
    const rule = withWireNames(DIAL_RULE_WIRE_NAMES, () => buildDialRule({ ...patch, domain, dialPlan: plan }));
    await withWireNames(DIAL_RULE_WIRE_NAMES, () => store.createDialRule(rule));
    return accepted(reply);
  });

  app.get<{ Params: RuleParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules/:dialrule', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, false);
    const { dialplan, dialrule } = request.params;
    const rule = await findRule(store, domain, dialplan, dialrule);
    if (rule === undefined) {
      if ((await store.countDialRules(domain, dialplan)) === undefined) throw planNotFound(domain, dialplan);
      throw ruleNotFound(dialplan, dialrule);
    }
    return reply.send(dialRuleJson(rule));
  });

  app.put<{ Params: RuleParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules/:dialrule', async (request, reply) => {
    const { p, domain } = await scope(request, request.params.domain, true);
    const { dialplan, dialrule } = request.params;
    const body = bodyObject(request.body);
    sameAsPath(body, 'domain', domain, p);
    sameAsPath(body, 'dial-rule-dial-plan', dialplan);
    if (body.enabled !== undefined && body.enabled !== 'yes' && body.enabled !== 'no') {
      throw new TrunklineError('VALIDATION', 'enabled must be one of "yes", "no"', { field: 'enabled' });
    }
    if (body.enable !== undefined && body.enable !== 'yes' && body.enable !== 'no') {
      throw new TrunklineError('VALIDATION', 'enable must be one of "yes", "no"', { field: 'enable' });
    }
    const patch = refuseUnknown(dialRuleFromWire(body));
    const rule = await findRule(store, domain, dialplan, dialrule);
    if (rule === undefined) {
      if ((await store.countDialRules(domain, dialplan)) === undefined) throw planNotFound(domain, dialplan);
      throw ruleNotFound(dialplan, dialrule);
    }
    const updated = await withWireNames(DIAL_RULE_WIRE_NAMES, () =>
      store.updateDialRule(domain, dialplan, rule, (current) => mergeDialRule(current, patch)),
    );
    if (updated === undefined) throw ruleNotFound(dialplan, dialrule);
    return accepted(reply);
  });

  app.delete<{ Params: RuleParams }>('/v2/domains/:domain/dialplans/:dialplan/dialrules/:dialrule', async (request, reply) => {
    const { domain } = await scope(request, request.params.domain, true);
    const { dialplan, dialrule } = request.params;
    const rule = await findRule(store, domain, dialplan, dialrule);
    if (rule === undefined || !(await store.deleteDialRule(domain, dialplan, rule))) {
      if ((await store.countDialRules(domain, dialplan)) === undefined) throw planNotFound(domain, dialplan);
      throw ruleNotFound(dialplan, dialrule);
    }
    return accepted(reply);
  });
}
