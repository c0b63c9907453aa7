/**
 * Persistence behind one interface. Two backends implement it: SQLite (embedded default, one file under
 * `--data`) and PostgreSQL (`--db postgres://...`, for scale-out). Every API dialect and the SIP edge use
 * only this interface; the same test suite (`test/store/store-contract.test.ts`) runs against both.
 *
 * Rules every backend keeps:
 * - Each method is atomic: it either happens completely or not at all (one transaction per call).
 * - A method that finds nothing returns `undefined`/`false`; it never throws for "not found".
 * - Conflicts (duplicate identity) throw TrunklineError('CONFLICT'); a write that references a missing
 *   tenant throws TrunklineError('NOT_FOUND').
 * - Live figures are kept apart from settings so an API write never races a call-count update.
 */
import type {
  ApiKeyRecord,
  CallRecord,
  CallRecordFilter,
  Connection,
  ConnectionLive,
  ConnectionWithLive,
  LoginRecord,
  NewConnection,
  Tenant,
} from '../model/index.js';
import type { DialPlan, DialPolicy, DialRule, DialRuleMatching, Permission } from '../model/dialplan/index.js';

export interface Page {
  /** Zero-based offset (NetSapiens `start`). */
  start?: number;
  /** Page size; backends cap it at 10,000. */
  limit?: number;
}

export interface TenantFilter extends Page {
  reseller?: string;
  /** Restrict to these tenant names (scoped keys). */
  names?: readonly string[];
}

export interface ConnectionFilter extends Page {
  domain?: string;
  reseller?: string;
  /** Only connections whose term match pattern equals this (NetSapiens `termination-match`). */
  termMatchPattern?: string;
  /** Only records created through this dialect's extension (e.g. Wavix lists only trunks with ext.wavix). */
  hasExtension?: 'wavix' | 'enswitch';
}

/** Dial plan and dial policy listings: one domain, or the domains of a reseller (as `ConnectionFilter`). */
export interface DialTableFilter extends Page {
  domain?: string;
  reseller?: string;
}

/** A dial plan without its rules (listings); `id` is the store's (the vendor's `dialplan_id`). */
export type DialPlanInfo = Omit<DialPlan, 'rules' | 'id'> & { id: number };
/** A dial policy without its permissions (listings). */
export type DialPolicyInfo = Omit<DialPolicy, 'permissions'>;

/** Every dial plan (with its rules, in store order) and every dial policy (with its permissions): the edge's copy. */
export interface DialPlanSnapshot {
  plans: DialPlan[];
  policies: DialPolicy[];
}

export interface RegistrationBinding {
  connectionId: number;
  contact: string;
  /** Where the REGISTER came from, to send calls back through NATs. */
  sourceAddress: string;
  sourcePort: number;
  transport: string;
  registeredAt: string;
  expiresAt: string;
}

export interface Store {
  /** Apply pending schema migrations (versioned, idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // Tenants (NetSapiens domains, Wavix accounts, Enswitch customers)
  createTenant(tenant: Omit<Tenant, 'createdAt'>): Promise<Tenant>;
  getTenant(name: string): Promise<Tenant | undefined>;
  listTenants(filter: TenantFilter): Promise<Tenant[]>;
  countTenants(filter: TenantFilter): Promise<number>;
  updateTenant(name: string, patch: Partial<Omit<Tenant, 'name' | 'createdAt'>>): Promise<Tenant | undefined>;
  /** Refuses (CONFLICT) while the tenant still has connections; see docs/api-netsapiens.md. */
  deleteTenant(name: string): Promise<boolean>;

  // Connections
  createConnection(conn: NewConnection): Promise<Connection>;
  getConnection(domain: string, origMatchPattern: string): Promise<Connection | undefined>;
  getConnectionById(id: number): Promise<Connection | undefined>;
  /**
   * `getConnection` and its live figures (a copy of `EMPTY_LIVE` when the edge has reported none) in one
   * read: the API's single-record GET.
   */
  getConnectionWithLive(domain: string, origMatchPattern: string): Promise<ConnectionWithLive | undefined>;
  listConnections(filter: ConnectionFilter): Promise<Connection[]>;
  countConnections(filter: ConnectionFilter): Promise<number>;
  /**
   * Read-modify-write in one transaction: `update` receives the current record and returns the new one
   * (it may throw a ValidationError, which aborts the write). Returns undefined when the record is absent.
   */
  updateConnection(id: number, update: (current: Connection) => NewConnection): Promise<Connection | undefined>;
  deleteConnection(id: number): Promise<boolean>;
  /**
   * An opaque value that changes whenever a connection is created, updated or deleted, by any process using
   * this database (it lives in the database, bumped in the same transaction as the write). Compare values
   * for equality only. Reads, rejected or rolled-back writes, live figures and registrations leave it as it
   * is. One primary-key read: cheap enough to poll every second (the SIP edge does, to reload its index).
   */
  connectionsVersion(): Promise<string>;

  // Live figures (the edge writes, the API reads)
  getLive(ids: readonly number[]): Promise<Map<number, ConnectionLive>>;
  withLive(connections: readonly Connection[]): Promise<ConnectionWithLive[]>;
  saveLive(id: number, live: Partial<ConnectionLive>): Promise<void>;

  // Registrations (the edge's REGISTER bindings survive restarts because they live here)
  putRegistration(binding: RegistrationBinding): Promise<void>;
  removeRegistration(connectionId: number, contact: string): Promise<void>;
  listRegistrations(connectionId: number, now: Date): Promise<RegistrationBinding[]>;
  purgeExpiredRegistrations(now: Date): Promise<number>;

  // Call records (the edge writes them when calls end; the API lists them)
  /** All or nothing: one transaction for the batch. */
  insertCallRecords(records: readonly CallRecord[]): Promise<void>;
  /** Newest first; `limit` defaults to 100, at most 10,000. */
  listCallRecords(filter: CallRecordFilter): Promise<CallRecord[]>;
  countCallRecords(filter: CallRecordFilter): Promise<{ total: number; talkSeconds: number }>;

  // Dial plans, dial rules, dial policies, permissions (NetSapiens; domain `*` = system-wide).
  // Creates need the parent (the domain's tenant, except `*`; the plan or policy): NOT_FOUND otherwise.
  // Duplicates (plan or policy name in a domain, a rule's matching fields in a plan, a permission's match in a
  // policy) are CONFLICT. Every write changes `connectionsVersion()`. The store checks types, not grammar:
  // callers validate with src/model/dialplan first.
  createDialPlan(plan: { domain: string; name: string; description: string }): Promise<DialPlanInfo>;
  /** The plan with its rules in store (insertion) order. */
  getDialPlan(domain: string, name: string): Promise<DialPlan | undefined>;
  /** Ordered by domain, then name. */
  listDialPlans(filter: DialTableFilter): Promise<DialPlanInfo[]>;
  countDialPlans(filter: DialTableFilter): Promise<number>;
  updateDialPlan(domain: string, name: string, patch: { description?: string }): Promise<DialPlanInfo | undefined>;
  /** Deletes its rules too. */
  deleteDialPlan(domain: string, name: string): Promise<boolean>;

  /** `rule.domain`/`rule.dialPlan` name the plan. */
  createDialRule(rule: DialRule): Promise<DialRule>;
  /** A rule is addressed by its matching fields (the vendor's `dialrule` id is their base64). */
  getDialRule(domain: string, plan: string, matching: DialRuleMatching): Promise<DialRule | undefined>;
  /** Rules in store order; undefined when the plan does not exist. */
  listDialRules(domain: string, plan: string, page?: Page): Promise<DialRule[] | undefined>;
  countDialRules(domain: string, plan: string): Promise<number | undefined>;
  /**
   * Read-modify-write in one transaction, as `updateConnection`: `update` may throw (nothing is written); the
   * result may not move the rule to another plan. Undefined when the rule is absent.
   */
  updateDialRule(domain: string, plan: string, matching: DialRuleMatching, update: (current: DialRule) => DialRule): Promise<DialRule | undefined>;
  deleteDialRule(domain: string, plan: string, matching: DialRuleMatching): Promise<boolean>;

  createDialPolicy(policy: { domain: string; name: string; description: string }): Promise<DialPolicyInfo>;
  /** The policy with its permissions in store (insertion) order. */
  getDialPolicy(domain: string, name: string): Promise<DialPolicy | undefined>;
  listDialPolicies(filter: DialTableFilter): Promise<DialPolicyInfo[]>;
  countDialPolicies(filter: DialTableFilter): Promise<number>;
  updateDialPolicy(domain: string, name: string, patch: { description?: string }): Promise<DialPolicyInfo | undefined>;
  /** Deletes its permissions too. */
  deleteDialPolicy(domain: string, name: string): Promise<boolean>;

  /** `permission.domain`/`permission.dialPolicy` name the policy; `createdAt` is set by the store. */
  createPermission(permission: Permission): Promise<Permission>;
  getPermission(domain: string, policy: string, match: string): Promise<Permission | undefined>;
  /** Undefined when the policy does not exist. */
  listPermissions(domain: string, policy: string, page?: Page): Promise<Permission[] | undefined>;
  updatePermission(
    domain: string,
    policy: string,
    match: string,
    patch: { mode?: Permission['mode']; reason?: string },
  ): Promise<Permission | undefined>;
  deletePermission(domain: string, policy: string, match: string): Promise<boolean>;

  /** Everything at once, for the SIP edge's in-memory copy (four reads, no paging). */
  loadDialPlans(): Promise<DialPlanSnapshot>;

  // Credentials
  createApiKey(record: ApiKeyRecord): Promise<void>;
  getApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(filter: Page & { dialect?: ApiKeyRecord['dialect']; domain?: string; reseller?: string }): Promise<ApiKeyRecord[]>;
  deleteApiKey(keyId: string): Promise<boolean>;
  touchApiKey(keyId: string, at: string): Promise<void>;
  countApiKeys(): Promise<number>;

  createLogin(login: LoginRecord): Promise<void>;
  getLogin(username: string): Promise<LoginRecord | undefined>;
  deleteLogin(username: string): Promise<boolean>;
}
