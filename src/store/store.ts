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
  Connection,
  ConnectionLive,
  ConnectionWithLive,
  LoginRecord,
  NewConnection,
  Tenant,
} from '../model/index.js';

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
  listConnections(filter: ConnectionFilter): Promise<Connection[]>;
  countConnections(filter: ConnectionFilter): Promise<number>;
  /**
   * Read-modify-write in one transaction: `update` receives the current record and returns the new one
   * (it may throw a ValidationError, which aborts the write). Returns undefined when the record is absent.
   */
  updateConnection(id: number, update: (current: Connection) => NewConnection): Promise<Connection | undefined>;
  deleteConnection(id: number): Promise<boolean>;

  // Live figures (the edge writes, the API reads)
  getLive(ids: readonly number[]): Promise<Map<number, ConnectionLive>>;
  withLive(connections: readonly Connection[]): Promise<ConnectionWithLive[]>;
  saveLive(id: number, live: Partial<ConnectionLive>): Promise<void>;

  // Registrations (the edge's REGISTER bindings survive restarts because they live here)
  putRegistration(binding: RegistrationBinding): Promise<void>;
  removeRegistration(connectionId: number, contact: string): Promise<void>;
  listRegistrations(connectionId: number, now: Date): Promise<RegistrationBinding[]>;
  purgeExpiredRegistrations(now: Date): Promise<number>;

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
