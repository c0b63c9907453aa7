/**
 * Dial plans, dial rules, dial policies and permissions in the store (migration 004).
 *
 * Plans and policies are rows keyed by (domain, name), tied to their tenant like connections (`tenant_name`,
 * NULL for `*`); rules and permissions hang off them by id (`ON DELETE CASCADE`). A rule's identity inside its
 * plan is its seven matching fields, stored as the vendor's `dialrule` id (`rule_id`, base64 of the fields) under
 * a unique constraint; its other fields are one column each. Lists come in insertion order (`id`), which is the
 * order `routeCall` uses to break ties.
 *
 * Errors: the caller (`KyselyStore`) maps driver errors with the messages given here (`DIAL_ERRORS`); a missing
 * parent found by a read inside the transaction is thrown as NOT_FOUND directly.
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import { SYSTEM_DOMAIN, TrunklineError, ValidationError } from '../model/index.js';
import {
  DIAL_RULE_FIELDS,
  DIAL_RULE_MATCHING_KEYS,
  dialRuleId,
  type DialPlan,
  type DialPolicy,
  type DialRule,
  type DialRuleKey,
  type DialRuleMatching,
  type Permission,
} from '../model/dialplan/index.js';
import { fromDbTime, snakeCase, type BoolEncoder, type Database } from './schema.js';
import type { DialPlanInfo, DialPlanSnapshot, DialPolicyInfo, DialTableFilter, Page } from './store.js';

/** What the functions here need from the store. */
export interface DialStoreContext {
  readonly db: Kysely<Database>;
  readonly bool: BoolEncoder;
  /** PostgreSQL locks the row read in a read-modify-write. */
  readonly forUpdate: boolean;
}

const MAX_PAGE = 10_000;
const nowIso = (): string => new Date().toISOString();

function page(p: Page | undefined): { start: number; limit: number } {
  const start = typeof p?.start === 'number' && Number.isFinite(p.start) ? Math.max(0, Math.floor(p.start)) : 0;
  const limit = typeof p?.limit === 'number' && Number.isFinite(p.limit) ? Math.min(MAX_PAGE, Math.max(0, Math.floor(p.limit))) : MAX_PAGE;
  return { start, limit };
}

/** Messages for the driver errors the caller maps (unique / foreign key violations). */
export const DIAL_ERRORS = {
  planExists: (domain: string, name: string) => new TrunklineError('CONFLICT', `Dial plan ${name} already exists in domain ${domain}`),
  policyExists: (domain: string, name: string) => new TrunklineError('CONFLICT', `Dial policy ${name} already exists in domain ${domain}`),
  ruleExists: (plan: string) =>
    new TrunklineError('CONFLICT', `Dial plan ${plan} already has a rule with these matching fields`, { field: 'matchToUri' }),
  permissionExists: (policy: string, match: string) =>
    new TrunklineError('CONFLICT', `Dial policy ${policy} already has a permission for ${match}`, { field: 'match' }),
  domainNotFound: (domain: string) => new TrunklineError('NOT_FOUND', `Domain ${domain} not found`),
  planNotFound: (domain: string, name: string) => new TrunklineError('NOT_FOUND', `Dial plan ${name} not found in domain ${domain}`),
  policyNotFound: (domain: string, name: string) => new TrunklineError('NOT_FOUND', `Dial policy ${name} not found in domain ${domain}`),
};

// ---------------------------------------------------------------------------------------------------------
// Codecs

function requireText(value: unknown, field: string, nonEmpty = false): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  if (nonEmpty && value === '') throw new ValidationError(field, 'is required');
  return value;
}

const tenantOf = (domain: string): string | null => (domain === SYSTEM_DOMAIN ? null : domain);

/** Rule fields stored as columns (all but the owner, which the plan row holds). */
const RULE_KEYS = (Object.keys(DIAL_RULE_FIELDS) as DialRuleKey[]).filter((k) => k !== 'domain' && k !== 'dialPlan');
const RULE_COLUMN: Readonly<Record<string, string>> = Object.fromEntries(RULE_KEYS.map((k) => [k, snakeCase(k)]));

function encodeRule(rule: DialRule, bool: BoolEncoder): Record<string, string | number | boolean> {
  if (rule === null || typeof rule !== 'object') throw new ValidationError('rule', 'must be an object');
  const row: Record<string, string | number | boolean> = {};
  for (const key of RULE_KEYS) {
    const value: unknown = rule[key];
    if (DIAL_RULE_FIELDS[key].kind === 'bool') {
      if (typeof value !== 'boolean') throw new ValidationError(key, 'must be a boolean');
      row[RULE_COLUMN[key]!] = bool(value);
    } else {
      row[RULE_COLUMN[key]!] = requireText(value, key, key === 'matchToUri');
    }
  }
  row.rule_id = ruleIdOf(rule);
  return row;
}

function ruleIdOf(matching: DialRuleMatching): string {
  for (const key of DIAL_RULE_MATCHING_KEYS) requireText(matching[key], key, key === 'matchToUri');
  return dialRuleId(matching);
}

function decodeRule(row: Record<string, unknown>, domain: string, plan: string): DialRule {
  const out: Record<string, unknown> = { domain, dialPlan: plan };
  for (const key of RULE_KEYS) {
    const v = row[RULE_COLUMN[key]!];
    out[key] = DIAL_RULE_FIELDS[key].kind === 'bool' ? v === true || v === 1 : v;
  }
  return out as unknown as DialRule;
}

function decodePlanInfo(row: { id: number; domain: string; name: string; description: string }): DialPlanInfo {
  return { id: Number(row.id), domain: row.domain, name: row.name, description: row.description };
}

function decodePolicyInfo(row: { domain: string; name: string; description: string }): DialPolicyInfo {
  return { domain: row.domain, name: row.name, description: row.description };
}

function decodePermission(row: Record<string, unknown>, domain: string, policy: string): Permission {
  return {
    dialPolicy: policy,
    domain,
    match: row.match as string,
    mode: row.mode as Permission['mode'],
    reason: row.reason as string,
    createdAt: fromDbTime(row.created_at as string | Date),
  };
}

function tableConditions(filter: DialTableFilter) {
  return (eb: ExpressionBuilder<Database, 'dial_plans' | 'dial_policies'>) => {
    const conds: Expression<SqlBool>[] = [];
    if (filter.domain !== undefined) conds.push(eb('domain', '=', filter.domain));
    if (filter.reseller !== undefined) {
      conds.push(eb('tenant_name', 'in', eb.selectFrom('tenants').select('tenants.name').where('tenants.reseller', '=', filter.reseller)));
    }
    return eb.and(conds);
  };
}

type Table = 'dial_plans' | 'dial_policies';

async function parentId(db: Kysely<Database> | Transaction<Database>, table: Table, domain: string, name: string): Promise<number | undefined> {
  const row = await db.selectFrom(table).select('id').where('domain', '=', domain).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : Number(row.id);
}

// ---------------------------------------------------------------------------------------------------------
// Plans and policies (the same shape of table)

export async function createTable(ctx: DialStoreContext, table: Table, input: { domain: string; name: string; description: string }): Promise<DialPlanInfo> {
  const domain = requireText(input?.domain, 'domain', true);
  const name = requireText(input.name, 'name', true);
  const description = requireText(input.description ?? '', 'description');
  const at = nowIso();
  const row = await ctx.db
    .insertInto(table)
    .values({ domain, name, tenant_name: tenantOf(domain), description, created_at: at, last_modified: at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), domain, name, description };
}

export async function listTable(ctx: DialStoreContext, table: Table, filter: DialTableFilter): Promise<DialPlanInfo[]> {
  const { start, limit } = page(filter);
  if (limit === 0) return [];
  const rows = await ctx.db
    .selectFrom(table)
    .select(['id', 'domain', 'name', 'description'])
    .where(tableConditions(filter))
    .orderBy('domain')
    .orderBy('name')
    .limit(limit)
    .offset(start)
    .execute();
  return rows.map(decodePlanInfo);
}

export async function countTable(ctx: DialStoreContext, table: Table, filter: DialTableFilter): Promise<number> {
  const row = await ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .where(tableConditions(filter))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateTable(
  ctx: DialStoreContext,
  table: Table,
  domain: string,
  name: string,
  patch: { description?: string },
): Promise<DialPlanInfo | undefined> {
  const set: { description?: string; last_modified: string } = { last_modified: nowIso() };
  if (patch?.description !== undefined) set.description = requireText(patch.description, 'description');
  const row = await ctx.db
    .updateTable(table)
    .set(set)
    .where('domain', '=', domain)
    .where('name', '=', name)
    .returning(['id', 'domain', 'name', 'description'])
    .executeTakeFirst();
  return row === undefined ? undefined : decodePlanInfo(row);
}

export async function deleteTable(ctx: DialStoreContext, table: Table, domain: string, name: string): Promise<boolean> {
  const result = await ctx.db.deleteFrom(table).where('domain', '=', domain).where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export const planInfoToPolicy = (info: DialPlanInfo): DialPolicyInfo => decodePolicyInfo(info);

// ---------------------------------------------------------------------------------------------------------
// Dial plans with rules

async function rulesOf(db: Kysely<Database>, planId: number, domain: string, plan: string, p?: Page): Promise<DialRule[]> {
  const { start, limit } = page(p);
  if (limit === 0) return [];
  const rows = await db.selectFrom('dial_rules').selectAll().where('plan_id', '=', planId).orderBy('id').limit(limit).offset(start).execute();
  return rows.map((r) => decodeRule(r as Record<string, unknown>, domain, plan));
}

export async function getDialPlan(ctx: DialStoreContext, domain: string, name: string): Promise<DialPlan | undefined> {
  const row = await ctx.db
    .selectFrom('dial_plans')
    .select(['id', 'domain', 'name', 'description'])
    .where('domain', '=', domain)
    .where('name', '=', name)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const info = decodePlanInfo(row);
  return { ...info, rules: await rulesOf(ctx.db, info.id, domain, name) };
}

export async function listDialRules(ctx: DialStoreContext, domain: string, plan: string, p?: Page): Promise<DialRule[] | undefined> {
  const id = await parentId(ctx.db, 'dial_plans', domain, plan);
  return id === undefined ? undefined : rulesOf(ctx.db, id, domain, plan, p);
}

export async function countDialRules(ctx: DialStoreContext, domain: string, plan: string): Promise<number | undefined> {
  const id = await parentId(ctx.db, 'dial_plans', domain, plan);
  if (id === undefined) return undefined;
  const row = await ctx.db
    .selectFrom('dial_rules')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('plan_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function createDialRule(ctx: DialStoreContext, rule: DialRule): Promise<DialRule> {
  const domain = requireText(rule?.domain, 'domain', true);
  const plan = requireText(rule.dialPlan, 'dialPlan', true);
  const row = encodeRule(rule, ctx.bool);
  const at = nowIso();
  return ctx.db.transaction().execute(async (trx) => {
    const planId = await parentId(trx, 'dial_plans', domain, plan);
    if (planId === undefined) throw DIAL_ERRORS.planNotFound(domain, plan);
    await trx
      .insertInto('dial_rules')
      .values({ ...row, plan_id: planId, created_at: at, last_modified: at } as never)
      .execute();
    return decodeRule(row, domain, plan);
  });
}

export async function getDialRule(ctx: DialStoreContext, domain: string, plan: string, matching: DialRuleMatching): Promise<DialRule | undefined> {
  const ruleId = ruleIdOf(matching);
  const row = await ctx.db
    .selectFrom('dial_rules')
    .innerJoin('dial_plans', 'dial_plans.id', 'dial_rules.plan_id')
    .selectAll('dial_rules')
    .where('dial_plans.domain', '=', domain)
    .where('dial_plans.name', '=', plan)
    .where('dial_rules.rule_id', '=', ruleId)
    .executeTakeFirst();
  return row === undefined ? undefined : decodeRule(row as Record<string, unknown>, domain, plan);
}

export async function updateDialRule(
  ctx: DialStoreContext,
  domain: string,
  plan: string,
  matching: DialRuleMatching,
  update: (current: DialRule) => DialRule,
): Promise<DialRule | undefined> {
  const ruleId = ruleIdOf(matching);
  return ctx.db.transaction().execute(async (trx) => {
    const planId = await parentId(trx, 'dial_plans', domain, plan);
    if (planId === undefined) return undefined;
    let select = trx.selectFrom('dial_rules').selectAll().where('plan_id', '=', planId).where('rule_id', '=', ruleId);
    if (ctx.forUpdate) select = select.forUpdate();
    const found = await select.executeTakeFirst();
    if (found === undefined) return undefined;
    const next = update(decodeRule(found as Record<string, unknown>, domain, plan));
    if (next?.domain !== domain || next.dialPlan !== plan) {
      throw new ValidationError('dialPlan', 'a rule cannot move to another plan; delete it and create it in the other plan');
    }
    const row = encodeRule(next, ctx.bool);
    await trx
      .updateTable('dial_rules')
      .set({ ...row, last_modified: nowIso() } as never)
      .where('id', '=', Number(found.id))
      .execute();
    return decodeRule(row, domain, plan);
  });
}

export async function deleteDialRule(ctx: DialStoreContext, domain: string, plan: string, matching: DialRuleMatching): Promise<boolean> {
  const ruleId = ruleIdOf(matching);
  const result = await ctx.db
    .deleteFrom('dial_rules')
    .where('rule_id', '=', ruleId)
    .where('plan_id', 'in', (eb) => eb.selectFrom('dial_plans').select('id').where('domain', '=', domain).where('name', '=', plan))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

// ---------------------------------------------------------------------------------------------------------
// Dial policies with permissions

async function permissionsOf(db: Kysely<Database>, policyId: number, domain: string, policy: string, p?: Page): Promise<Permission[]> {
  const { start, limit } = page(p);
  if (limit === 0) return [];
  const rows = await db.selectFrom('dial_permissions').selectAll().where('policy_id', '=', policyId).orderBy('id').limit(limit).offset(start).execute();
  return rows.map((r) => decodePermission(r as Record<string, unknown>, domain, policy));
}

export async function getDialPolicy(ctx: DialStoreContext, domain: string, name: string): Promise<DialPolicy | undefined> {
  const row = await ctx.db
    .selectFrom('dial_policies')
    .select(['id', 'domain', 'name', 'description'])
    .where('domain', '=', domain)
    .where('name', '=', name)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return { ...decodePolicyInfo(row), permissions: await permissionsOf(ctx.db, Number(row.id), domain, name) };
}

export async function listPermissions(ctx: DialStoreContext, domain: string, policy: string, p?: Page): Promise<Permission[] | undefined> {
  const id = await parentId(ctx.db, 'dial_policies', domain, policy);
  return id === undefined ? undefined : permissionsOf(ctx.db, id, domain, policy, p);
}

function checkMode(mode: unknown): Permission['mode'] {
  if (mode !== 'permit' && mode !== 'deny') throw new ValidationError('mode', 'must be "permit" or "deny"');
  return mode;
}

export async function createPermission(ctx: DialStoreContext, permission: Permission): Promise<Permission> {
  const domain = requireText(permission?.domain, 'domain', true);
  const policy = requireText(permission.dialPolicy, 'dialPolicy', true);
  const match = requireText(permission.match, 'match', true);
  const mode = checkMode(permission.mode);
  const reason = requireText(permission.reason ?? '', 'reason');
  const at = nowIso();
  return ctx.db.transaction().execute(async (trx) => {
    const policyId = await parentId(trx, 'dial_policies', domain, policy);
    if (policyId === undefined) throw DIAL_ERRORS.policyNotFound(domain, policy);
    await trx.insertInto('dial_permissions').values({ policy_id: policyId, match, mode, reason, created_at: at }).execute();
    return { dialPolicy: policy, domain, match, mode, reason, createdAt: at };
  });
}

export async function getPermission(ctx: DialStoreContext, domain: string, policy: string, match: string): Promise<Permission | undefined> {
  const row = await ctx.db
    .selectFrom('dial_permissions')
    .innerJoin('dial_policies', 'dial_policies.id', 'dial_permissions.policy_id')
    .selectAll('dial_permissions')
    .where('dial_policies.domain', '=', domain)
    .where('dial_policies.name', '=', policy)
    .where('dial_permissions.match', '=', match)
    .executeTakeFirst();
  return row === undefined ? undefined : decodePermission(row as Record<string, unknown>, domain, policy);
}

const policyIds = (domain: string, policy: string) => (eb: ExpressionBuilder<Database, 'dial_permissions'>) =>
  eb.selectFrom('dial_policies').select('id').where('domain', '=', domain).where('name', '=', policy);

export async function updatePermission(
  ctx: DialStoreContext,
  domain: string,
  policy: string,
  match: string,
  patch: { mode?: Permission['mode']; reason?: string },
): Promise<Permission | undefined> {
  const set: { mode?: string; reason?: string } = {};
  if (patch?.mode !== undefined) set.mode = checkMode(patch.mode);
  if (patch?.reason !== undefined) set.reason = requireText(patch.reason, 'reason');
  // An update that changes nothing still writes (and bumps the version), as a connection PUT does.
  const row = await ctx.db
    .updateTable('dial_permissions')
    .set(Object.keys(set).length === 0 ? { match } : set)
    .where('match', '=', match)
    .where('policy_id', 'in', policyIds(domain, policy))
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : decodePermission(row as Record<string, unknown>, domain, policy);
}

export async function deletePermission(ctx: DialStoreContext, domain: string, policy: string, match: string): Promise<boolean> {
  const result = await ctx.db
    .deleteFrom('dial_permissions')
    .where('match', '=', match)
    .where('policy_id', 'in', policyIds(domain, policy))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

// ---------------------------------------------------------------------------------------------------------
// Everything, for the edge

export async function loadDialPlans(ctx: DialStoreContext): Promise<DialPlanSnapshot> {
  const db = ctx.db;
  const [plans, rules, policies, permissions] = [
    await db.selectFrom('dial_plans').select(['id', 'domain', 'name', 'description']).orderBy('domain').orderBy('name').execute(),
    await db.selectFrom('dial_rules').selectAll().orderBy('plan_id').orderBy('id').execute(),
    await db.selectFrom('dial_policies').select(['id', 'domain', 'name', 'description']).orderBy('domain').orderBy('name').execute(),
    await db.selectFrom('dial_permissions').selectAll().orderBy('policy_id').orderBy('id').execute(),
  ];
  // Reads are not one snapshot: a rule whose plan was created after the plans were read is left out. The version
  // (read by the edge before this) has moved in that case, so the next poll loads again.
  const rulesByPlan = new Map<number, DialRule[]>();
  const planById = new Map(plans.map((p) => [Number(p.id), p]));
  for (const r of rules) {
    const plan = planById.get(Number(r.plan_id));
    if (plan === undefined) continue;
    const list = rulesByPlan.get(Number(r.plan_id)) ?? [];
    list.push(decodeRule(r as Record<string, unknown>, plan.domain, plan.name));
    rulesByPlan.set(Number(r.plan_id), list);
  }
  const permsByPolicy = new Map<number, Permission[]>();
  const policyById = new Map(policies.map((p) => [Number(p.id), p]));
  for (const r of permissions) {
    const policy = policyById.get(Number(r.policy_id));
    if (policy === undefined) continue;
    const list = permsByPolicy.get(Number(r.policy_id)) ?? [];
    list.push(decodePermission(r as Record<string, unknown>, policy.domain, policy.name));
    permsByPolicy.set(Number(r.policy_id), list);
  }
  return {
    plans: plans.map((p) => ({ ...decodePlanInfo(p), rules: rulesByPlan.get(Number(p.id)) ?? [] })),
    policies: policies.map((p) => ({ ...decodePolicyInfo(p), permissions: permsByPolicy.get(Number(p.id)) ?? [] })),
  };
}
