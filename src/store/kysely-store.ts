/**
 * The Store, written once against kysely for both backends. Backend differences (types, locking, error
 * codes, the SQLite fast path) come from `Backend`; see `docs/store.md` for the schema and the reasons.
 */
import { sql, type CompiledQuery, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import {
  EMPTY_LIVE,
  SYSTEM_DOMAIN,
  TrunklineError,
  ValidationError,
  type ApiKeyRecord,
  type CallRecord,
  type CallRecordFilter,
  type Connection,
  type ConnectionLive,
  type ConnectionWithLive,
  type LoginRecord,
  type NewConnection,
  type Tenant,
} from '../model/index.js';
import type { Backend, ErrorClass, RawRow } from './backend.js';
import { countCallRecords, insertCallRecords, listCallRecords } from './call-records.js';
import * as dial from './dial-plans.js';
import type { DialPlan, DialPolicy, DialRule, DialRuleMatching, Permission } from '../model/dialplan/index.js';
import { PreparedQuery, param } from './prepared.js';
import {
  SETTING_COLUMNS,
  compileConnectionDecoder,
  decodeApiKey,
  decodeConnection,
  decodeLive,
  decodeLogin,
  decodeRegistration,
  decodeTenant,
  encodeApiKey,
  encodeConnection,
  encodeLive,
  LIVE_COLUMNS,
  toIso,
  type Database,
  type TenantRow,
} from './schema.js';
import type {
  ConnectionFilter,
  DialPlanInfo,
  DialPlanSnapshot,
  DialPolicyInfo,
  DialTableFilter,
  Page,
  RegistrationBinding,
  Store,
  TenantFilter,
} from './store.js';

/** Hard cap on one page, whatever the caller asks for. */
export const MAX_PAGE_SIZE = 10_000;
/** `IN (...)` lists are split so no statement nears a driver's parameter limit. */
const IN_CHUNK = 500;

type Row = Record<string, unknown>;
type ErrorMap = Partial<Record<'unique' | 'foreign_key', () => TrunklineError>>;

const EXTENSIONS = new Set(['wavix', 'enswitch']);

export function normalizePage(page: Page): { start: number; limit: number } {
  const start = typeof page.start === 'number' && Number.isFinite(page.start) ? Math.max(0, Math.floor(page.start)) : 0;
  const limit =
    typeof page.limit === 'number' && Number.isFinite(page.limit)
      ? Math.min(MAX_PAGE_SIZE, Math.max(0, Math.floor(page.limit)))
      : MAX_PAGE_SIZE;
  return { start, limit };
}

const nowIso = (): string => new Date().toISOString();

/** Live columns selected beside a connection row, as `live_<column>` (plus the live row's key, to tell "no row"). */
const LIVE_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['connection_id', 'live_connection_id'],
  ...Object.values(LIVE_COLUMNS).map((column) => [column, `live_${column}`] as const),
];
const LIVE_SELECT = LIVE_ALIASES.map(([column, alias]) => `connection_live.${column} as ${alias}`) as unknown as readonly [
  'connection_live.connection_id as live_connection_id',
];

/** The live figures carried by a joined row (`live_*` columns), or a copy of EMPTY_LIVE when it had no live row. */
function liveFromJoined(get: (alias: string) => unknown): ConnectionLive {
  if (get('live_connection_id') === null || get('live_connection_id') === undefined) return { ...EMPTY_LIVE };
  const row: Row = {};
  for (const [column, alias] of LIVE_ALIASES) row[column] = get(alias);
  return decodeLive(row);
}

function requireId(id: number, field = 'id'): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new ValidationError(field, 'must be an integer');
  return id;
}

export class KyselyStore implements Store {
  readonly #backend: Backend;
  readonly #db: Kysely<Database>;
  readonly #connectionByIdentity: PreparedQuery<'domain' | 'pattern'>;
  readonly #connectionById: PreparedQuery<'id'>;
  readonly #connectionWithLiveByIdentity: PreparedQuery<'domain' | 'pattern'>;
  readonly #liveById: PreparedQuery<'id'>;
  readonly #apiKeyById: PreparedQuery<'keyId'>;
  readonly #connectionsVersion: CompiledQuery;
  readonly #insertConnection: PreparedQuery<string>;
  readonly #insertColumns: readonly string[];
  readonly #arrayDecoders = new WeakMap<readonly string[], (row: unknown[]) => Connection>();
  readonly #liveIndexes = new WeakMap<readonly string[], (alias: string) => number>();

  constructor(backend: Backend) {
    this.#backend = backend;
    const db = backend.db;
    this.#db = db;
    this.#connectionByIdentity = new PreparedQuery(
      db
        .selectFrom('connections')
        .selectAll()
        .where('domain', '=', param('domain'))
        .where('orig_match_pattern', '=', param('pattern'))
        .compile(),
      ['domain', 'pattern'],
    );
    this.#connectionById = new PreparedQuery(
      db.selectFrom('connections').selectAll().where('id', '=', param<number>('id')).compile(),
      ['id'],
    );
    this.#connectionWithLiveByIdentity = new PreparedQuery(
      db
        .selectFrom('connections')
        .leftJoin('connection_live', 'connection_live.connection_id', 'connections.id')
        .selectAll('connections')
        .select(LIVE_SELECT)
        .where('connections.domain', '=', param('domain'))
        .where('connections.orig_match_pattern', '=', param('pattern'))
        .compile(),
      ['domain', 'pattern'],
    );
    this.#liveById = new PreparedQuery(
      db.selectFrom('connection_live').selectAll().where('connection_id', '=', param<number>('id')).compile(),
      ['id'],
    );
    this.#apiKeyById = new PreparedQuery(
      db.selectFrom('api_keys').selectAll().where('key_id', '=', param('keyId')).compile(),
      ['keyId'],
    );
    this.#connectionsVersion = db.selectFrom('connections_version').select('version').where('id', '=', 1).compile();
    this.#insertColumns = [
      'domain',
      'orig_match_pattern',
      'tenant_name',
      'created_by',
      'ext',
      ...SETTING_COLUMNS,
      'created_at',
      'last_modified',
    ];
    const values = Object.fromEntries(this.#insertColumns.map((c) => [c, param(c)]));
    this.#insertConnection = new PreparedQuery(
      db
        .insertInto('connections')
        .values(values as never)
        .returning('id')
        .compile(),
      this.#insertColumns,
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // Plumbing

  /** Run a compiled SELECT, through the backend's fast path when it has one. */
  async #select(query: CompiledQuery): Promise<Row[]> {
    const rows = this.#backend.fastAll?.(query.sql, query.parameters);
    if (rows !== undefined) return rows as Row[];
    return (await this.#db.executeQuery<Row>(query)).rows;
  }

  /** The array-row decoder for one statement's columns (generated once per statement). */
  #arrayDecoder(columns: readonly string[]): (row: unknown[]) => Connection {
    let decode = this.#arrayDecoders.get(columns);
    if (decode === undefined) {
      decode = compileConnectionDecoder(columns);
      this.#arrayDecoders.set(columns, decode);
    }
    return decode;
  }

  #liveColumnIndex(columns: readonly string[]): (alias: string) => number {
    let at = this.#liveIndexes.get(columns);
    if (at === undefined) {
      const index = Object.fromEntries(LIVE_ALIASES.map(([, alias]) => [alias, columns.indexOf(alias)]));
      at = (alias: string) => index[alias] ?? -1;
      this.#liveIndexes.set(columns, at);
    }
    return at;
  }

  /** Run a compiled SELECT over `connections` and decode every row. */
  async #selectConnections(query: CompiledQuery): Promise<Connection[]> {
    const fast = this.#backend.fastRaw?.(query.sql, query.parameters);
    if (fast !== undefined) return fast.rows.map(this.#arrayDecoder(fast.columns));
    return (await this.#db.executeQuery<Row>(query)).rows.map(decodeConnection);
  }

  /** Run a compiled SELECT of at most one `connections` row (a unique key) and decode it. */
  async #selectConnection(query: CompiledQuery): Promise<Connection | undefined> {
    const fast = this.#backend.fastFirst?.(query.sql, query.parameters);
    if (fast !== undefined) return fast.row === undefined ? undefined : this.#arrayDecoder(fast.columns)(fast.row);
    const row = (await this.#db.executeQuery<Row>(query)).rows[0];
    return row === undefined ? undefined : decodeConnection(row);
  }

  /** Turn an expected driver failure into the TrunklineError the interface promises. */
  #mapError(err: unknown, on: ErrorMap = {}): unknown {
    if (err instanceof TrunklineError) return err;
    const cls: ErrorClass | undefined = this.#backend.classifyError(err);
    const withCause = (e: TrunklineError): TrunklineError => {
      if (e.cause === undefined) Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true });
      return e;
    };
    switch (cls) {
      case 'unique':
        return withCause(on.unique?.() ?? new TrunklineError('CONFLICT'));
      case 'foreign_key':
        return withCause(on.foreign_key?.() ?? new TrunklineError('NOT_FOUND'));
      case 'busy':
        return new TrunklineError('UNAVAILABLE', 'The database is busy; retry the request', { cause: err });
      case 'unavailable':
        return new TrunklineError('UNAVAILABLE', 'The database is unavailable', { cause: err });
      default:
        return err;
    }
  }

  async #guard<T>(op: () => Promise<T>, on?: ErrorMap): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.#mapError(err, on);
    }
  }

  async migrate(): Promise<void> {
    await this.#guard(() => this.#backend.migrate());
  }

  async close(): Promise<void> {
    await this.#backend.close();
  }

  // -------------------------------------------------------------------------------------------------------
  // Tenants

  async createTenant(tenant: Omit<Tenant, 'createdAt'>): Promise<Tenant> {
    if (typeof tenant.name !== 'string' || tenant.name === '') throw new ValidationError('name', 'is required');
    if (tenant.name === SYSTEM_DOMAIN) {
      throw new ValidationError('name', `"${SYSTEM_DOMAIN}" is reserved for system-wide connections`);
    }
    const row: TenantRow = {
      name: tenant.name,
      reseller: tenant.reseller ?? '',
      description: tenant.description ?? '',
      attributes: JSON.stringify(tenant.attributes ?? {}),
      created_at: nowIso(),
    };
    await this.#guard(() => this.#db.insertInto('tenants').values(row as TenantRow & { created_at: string }).execute(), {
      unique: () => new TrunklineError('CONFLICT', `Domain ${tenant.name} already exists`),
    });
    return decodeTenant(row);
  }

  async getTenant(name: string): Promise<Tenant | undefined> {
    const row = await this.#guard(() =>
      this.#db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst(),
    );
    return row === undefined ? undefined : decodeTenant(row as TenantRow);
  }

  #tenantConditions(filter: TenantFilter) {
    return (eb: ExpressionBuilder<Database, 'tenants'>) => {
      const conds: Expression<SqlBool>[] = [];
      if (filter.reseller !== undefined) conds.push(eb('reseller', '=', filter.reseller));
      if (filter.names !== undefined) conds.push(eb('name', 'in', [...filter.names]));
      return eb.and(conds);
    };
  }

  async listTenants(filter: TenantFilter): Promise<Tenant[]> {
    if (filter.names !== undefined && filter.names.length === 0) return [];
    const { start, limit } = normalizePage(filter);
    if (limit === 0) return [];
    const rows = await this.#guard(() =>
      this.#db
        .selectFrom('tenants')
        .selectAll()
        .where(this.#tenantConditions(filter))
        .orderBy('name')
        .limit(limit)
        .offset(start)
        .execute(),
    );
    return rows.map((r) => decodeTenant(r as TenantRow));
  }

  async countTenants(filter: TenantFilter): Promise<number> {
    if (filter.names !== undefined && filter.names.length === 0) return 0;
    const row = await this.#guard(() =>
      this.#db
        .selectFrom('tenants')
        .select((eb) => eb.fn.countAll().as('n'))
        .where(this.#tenantConditions(filter))
        .executeTakeFirstOrThrow(),
    );
    return Number(row.n);
  }

  async updateTenant(name: string, patch: Partial<Omit<Tenant, 'name' | 'createdAt'>>): Promise<Tenant | undefined> {
    const set: { reseller?: string; description?: string; attributes?: string } = {};
    if (patch.reseller !== undefined) set.reseller = patch.reseller;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.attributes !== undefined) set.attributes = JSON.stringify(patch.attributes);
    if (Object.keys(set).length === 0) return this.getTenant(name);
    const row = await this.#guard(() =>
      this.#db.updateTable('tenants').set(set).where('name', '=', name).returningAll().executeTakeFirst(),
    );
    return row === undefined ? undefined : decodeTenant(row as TenantRow);
  }

  async deleteTenant(name: string): Promise<boolean> {
    // connections.tenant_name references tenants ON DELETE RESTRICT: the database itself refuses while
    // connections exist, atomically, even against a concurrent createConnection.
    const result = await this.#guard(() => this.#db.deleteFrom('tenants').where('name', '=', name).executeTakeFirst(), {
      foreign_key: () =>
        new TrunklineError('CONFLICT', `Domain ${name} still has connections; delete them before the domain`),
    });
    return result.numDeletedRows > 0n;
  }

  // -------------------------------------------------------------------------------------------------------
  // Connections

  async createConnection(conn: NewConnection): Promise<Connection> {
    const row: Row = encodeConnection(conn, this.#backend.encodeBool);
    const at = nowIso();
    row.created_at = at;
    row.last_modified = at;
    const insert = this.#insertConnection.bind(row);
    const rows = await this.#guard(
      async () => {
        const grouped = this.#backend.groupWrite?.(insert.sql, insert.parameters);
        if (grouped !== undefined) {
          const returned = await grouped;
          return returned.length === 0 ? [] : [{ id: returned[0] as number }];
        }
        return (await this.#db.executeQuery<{ id: number }>(insert)).rows;
      },
      {
        unique: () =>
          new TrunklineError('CONFLICT', `Connection ${conn.origMatchPattern} already exists in domain ${conn.domain}`),
        foreign_key: () => new TrunklineError('NOT_FOUND', `Domain ${conn.domain} not found`),
      },
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new TrunklineError('INTERNAL', 'Insert returned no id');
    row.id = id;
    return decodeConnection(row);
  }

  async getConnection(domain: string, origMatchPattern: string): Promise<Connection | undefined> {
    const query = this.#connectionByIdentity.bind({ domain, pattern: origMatchPattern });
    return this.#guard(() => this.#selectConnection(query));
  }

  async getConnectionWithLive(domain: string, origMatchPattern: string): Promise<ConnectionWithLive | undefined> {
    const query = this.#connectionWithLiveByIdentity.bind({ domain, pattern: origMatchPattern });
    let fast: RawRow | undefined;
    try {
      fast = this.#backend.fastFirst?.(query.sql, query.parameters);
    } catch (err) {
      throw this.#mapError(err);
    }
    if (fast !== undefined) {
      const row = fast.row;
      if (row === undefined) return undefined;
      const at = this.#liveColumnIndex(fast.columns);
      return { connection: this.#arrayDecoder(fast.columns)(row), live: liveFromJoined((alias) => row[at(alias)]) };
    }
    const row = (await this.#guard(() => this.#db.executeQuery<Row>(query))).rows[0];
    if (row === undefined) return undefined;
    return { connection: decodeConnection(row), live: liveFromJoined((alias) => row[alias]) };
  }

  async getConnectionById(id: number): Promise<Connection | undefined> {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
    return this.#guard(() => this.#selectConnection(this.#connectionById.bind({ id })));
  }

  #connectionConditions(filter: ConnectionFilter) {
    if (filter.hasExtension !== undefined && !EXTENSIONS.has(filter.hasExtension)) {
      throw new ValidationError('hasExtension', 'must be "wavix" or "enswitch"');
    }
    return (eb: ExpressionBuilder<Database, 'connections'>) => {
      const conds: Expression<SqlBool>[] = [];
      if (filter.domain !== undefined) conds.push(eb('connections.domain', '=', filter.domain));
      if (filter.reseller !== undefined) {
        conds.push(
          eb(
            'connections.tenant_name',
            'in',
            eb.selectFrom('tenants').select('tenants.name').where('tenants.reseller', '=', filter.reseller),
          ),
        );
      }
      if (filter.termMatchPattern !== undefined) {
        conds.push(eb('connections.term_match_pattern', '=', filter.termMatchPattern));
      }
      if (filter.hasExtension !== undefined) {
        conds.push(this.#backend.jsonHasObject(sql.ref<string>('connections.ext'), filter.hasExtension));
      }
      return eb.and(conds);
    };
  }

  async listConnections(filter: ConnectionFilter): Promise<Connection[]> {
    const { start, limit } = normalizePage(filter);
    if (limit === 0) return [];
    const query = this.#db
      .selectFrom('connections')
      .selectAll('connections')
      .where(this.#connectionConditions(filter))
      .orderBy('connections.domain')
      .orderBy('connections.orig_match_pattern')
      .limit(limit)
      .offset(start)
      .compile();
    return this.#guard(() => this.#selectConnections(query));
  }

  async countConnections(filter: ConnectionFilter): Promise<number> {
    const row = await this.#guard(() =>
      this.#db
        .selectFrom('connections')
        .select((eb) => eb.fn.countAll().as('n'))
        .where(this.#connectionConditions(filter))
        .executeTakeFirstOrThrow(),
    );
    return Number(row.n);
  }

  async updateConnection(id: number, update: (current: Connection) => NewConnection): Promise<Connection | undefined> {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
    let fromUpdate = false;
    let next: NewConnection | undefined;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        let select = trx.selectFrom('connections').selectAll().where('id', '=', id);
        if (this.#backend.supportsForUpdate) select = select.forUpdate();
        const found = await select.executeTakeFirst();
        if (found === undefined) return undefined;
        const current = decodeConnection(found as Row);
        try {
          next = update(current);
        } catch (err) {
          fromUpdate = true;
          throw err;
        }
        const row: Row = encodeConnection(next, this.#backend.encodeBool);
        row.created_by = current.createdBy; // a creation fact: which dialect created the record never changes
        row.last_modified = nowIso();
        await trx
          .updateTable('connections')
          .set(row as never)
          .where('id', '=', id)
          .execute();
        row.id = id;
        row.created_at = current.createdAt;
        return decodeConnection(row);
      });
    } catch (err) {
      if (fromUpdate) throw err;
      throw this.#mapError(err, {
        unique: () =>
          new TrunklineError(
            'CONFLICT',
            `Connection ${next?.origMatchPattern ?? ''} already exists in domain ${next?.domain ?? ''}`,
          ),
        foreign_key: () => new TrunklineError('NOT_FOUND', `Domain ${next?.domain ?? ''} not found`),
      });
    }
  }

  async deleteConnection(id: number): Promise<boolean> {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return false;
    const result = await this.#guard(() => this.#db.deleteFrom('connections').where('id', '=', id).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  async connectionsVersion(): Promise<string> {
    const rows = await this.#guard(() => this.#select(this.#connectionsVersion));
    const version = rows[0]?.version;
    // Number (SQLite) or string (PostgreSQL bigint): either way the decimal text of the counter.
    if (version === undefined || version === null) throw new TrunklineError('INTERNAL', 'connections_version row is missing');
    return String(version);
  }

  // -------------------------------------------------------------------------------------------------------
  // Live figures

  async getLive(ids: readonly number[]): Promise<Map<number, ConnectionLive>> {
    const out = new Map<number, ConnectionLive>();
    if (ids.length === 1) {
      // The single-record reads of every API: a statement compiled once.
      const id = ids[0];
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) return out;
      const rows = await this.#guard(() => this.#select(this.#liveById.bind({ id })));
      if (rows[0] !== undefined) out.set(id, decodeLive(rows[0]));
      return out;
    }
    const unique = [...new Set(ids.filter((id) => typeof id === 'number' && Number.isSafeInteger(id)))];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const query = this.#db.selectFrom('connection_live').selectAll().where('connection_id', 'in', chunk).compile();
      const rows = await this.#guard(() => this.#select(query));
      for (const row of rows) out.set(Number(row.connection_id), decodeLive(row));
    }
    return out;
  }

  async withLive(connections: readonly Connection[]): Promise<ConnectionWithLive[]> {
    const live = await this.getLive(connections.map((c) => c.id));
    return connections.map((connection) => ({ connection, live: live.get(connection.id) ?? { ...EMPTY_LIVE } }));
  }

  async saveLive(id: number, live: Partial<ConnectionLive>): Promise<void> {
    requireId(id);
    const changes = encodeLive(live);
    const insert = { ...encodeLive(EMPTY_LIVE), ...changes, connection_id: id };
    await this.#guard(
      () =>
        this.#db
          .insertInto('connection_live')
          .values(insert as never)
          .onConflict((oc) =>
            Object.keys(changes).length === 0
              ? oc.column('connection_id').doNothing()
              : oc.column('connection_id').doUpdateSet(changes as never),
          )
          .execute(),
      { foreign_key: () => new TrunklineError('NOT_FOUND', `Connection ${id} not found`) },
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // Registrations

  async putRegistration(binding: RegistrationBinding): Promise<void> {
    requireId(binding.connectionId, 'connectionId');
    if (typeof binding.contact !== 'string' || binding.contact === '') throw new ValidationError('contact', 'is required');
    if (!Number.isInteger(binding.sourcePort) || binding.sourcePort < 0 || binding.sourcePort > 65_535) {
      throw new ValidationError('sourcePort', 'must be a port number');
    }
    const row = {
      connection_id: binding.connectionId,
      contact: binding.contact,
      source_address: binding.sourceAddress,
      source_port: binding.sourcePort,
      transport: binding.transport,
      registered_at: toIso(binding.registeredAt, 'registeredAt'),
      expires_at: toIso(binding.expiresAt, 'expiresAt'),
    };
    await this.#guard(
      () =>
        this.#db
          .insertInto('registrations')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['connection_id', 'contact']).doUpdateSet({
              source_address: row.source_address,
              source_port: row.source_port,
              transport: row.transport,
              registered_at: row.registered_at,
              expires_at: row.expires_at,
            }),
          )
          .execute(),
      { foreign_key: () => new TrunklineError('NOT_FOUND', `Connection ${binding.connectionId} not found`) },
    );
  }

  async removeRegistration(connectionId: number, contact: string): Promise<void> {
    await this.#guard(() =>
      this.#db
        .deleteFrom('registrations')
        .where('connection_id', '=', connectionId)
        .where('contact', '=', contact)
        .execute(),
    );
  }

  async listRegistrations(connectionId: number, now: Date): Promise<RegistrationBinding[]> {
    const rows = await this.#guard(() =>
      this.#db
        .selectFrom('registrations')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('expires_at', '>', toIso(now, 'now'))
        .orderBy('contact')
        .execute(),
    );
    return rows.map((r) => decodeRegistration(r as Row));
  }

  async insertCallRecords(records: readonly CallRecord[]): Promise<void> {
    const bulk = this.#backend.bulkWrite?.bind(this.#backend);
    await this.#guard(() => insertCallRecords(this.#db, records, bulk), {
      unique: () => new TrunklineError('CONFLICT', 'A call record with this id already exists'),
    });
  }

  listCallRecords(filter: CallRecordFilter): Promise<CallRecord[]> {
    return this.#guard(() => listCallRecords(this.#db, filter));
  }

  countCallRecords(filter: CallRecordFilter): Promise<{ total: number; talkSeconds: number }> {
    return this.#guard(() => countCallRecords(this.#db, filter));
  }

  // -------------------------------------------------------------------------------------------------------
  // Dial plans and dial policies (src/store/dial-plans.ts)

  get #dial(): dial.DialStoreContext {
    return { db: this.#db, bool: this.#backend.encodeBool, forUpdate: this.#backend.supportsForUpdate };
  }

  createDialPlan(plan: { domain: string; name: string; description: string }): Promise<DialPlanInfo> {
    return this.#guard(() => dial.createTable(this.#dial, 'dial_plans', plan), {
      unique: () => dial.DIAL_ERRORS.planExists(plan.domain, plan.name),
      foreign_key: () => dial.DIAL_ERRORS.domainNotFound(plan.domain),
    });
  }

  getDialPlan(domain: string, name: string): Promise<DialPlan | undefined> {
    return this.#guard(() => dial.getDialPlan(this.#dial, domain, name));
  }

  listDialPlans(filter: DialTableFilter): Promise<DialPlanInfo[]> {
    return this.#guard(() => dial.listTable(this.#dial, 'dial_plans', filter));
  }

  countDialPlans(filter: DialTableFilter): Promise<number> {
    return this.#guard(() => dial.countTable(this.#dial, 'dial_plans', filter));
  }

  updateDialPlan(domain: string, name: string, patch: { description?: string }): Promise<DialPlanInfo | undefined> {
    return this.#guard(() => dial.updateTable(this.#dial, 'dial_plans', domain, name, patch));
  }

  deleteDialPlan(domain: string, name: string): Promise<boolean> {
    return this.#guard(() => dial.deleteTable(this.#dial, 'dial_plans', domain, name));
  }

  createDialRule(rule: DialRule): Promise<DialRule> {
    return this.#guard(() => dial.createDialRule(this.#dial, rule), {
      unique: () => dial.DIAL_ERRORS.ruleExists(rule.dialPlan),
      foreign_key: () => dial.DIAL_ERRORS.planNotFound(rule.domain, rule.dialPlan),
    });
  }

  getDialRule(domain: string, plan: string, matching: DialRuleMatching): Promise<DialRule | undefined> {
    return this.#guard(() => dial.getDialRule(this.#dial, domain, plan, matching));
  }

  listDialRules(domain: string, plan: string, page?: Page): Promise<DialRule[] | undefined> {
    return this.#guard(() => dial.listDialRules(this.#dial, domain, plan, page));
  }

  countDialRules(domain: string, plan: string): Promise<number | undefined> {
    return this.#guard(() => dial.countDialRules(this.#dial, domain, plan));
  }

  updateDialRule(domain: string, plan: string, matching: DialRuleMatching, update: (current: DialRule) => DialRule): Promise<DialRule | undefined> {
    return this.#guard(() => dial.updateDialRule(this.#dial, domain, plan, matching, update), {
      unique: () => dial.DIAL_ERRORS.ruleExists(plan),
    });
  }

  deleteDialRule(domain: string, plan: string, matching: DialRuleMatching): Promise<boolean> {
    return this.#guard(() => dial.deleteDialRule(this.#dial, domain, plan, matching));
  }

  async createDialPolicy(policy: { domain: string; name: string; description: string }): Promise<DialPolicyInfo> {
    const info = await this.#guard(() => dial.createTable(this.#dial, 'dial_policies', policy), {
      unique: () => dial.DIAL_ERRORS.policyExists(policy.domain, policy.name),
      foreign_key: () => dial.DIAL_ERRORS.domainNotFound(policy.domain),
    });
    return dial.planInfoToPolicy(info);
  }

  getDialPolicy(domain: string, name: string): Promise<DialPolicy | undefined> {
    return this.#guard(() => dial.getDialPolicy(this.#dial, domain, name));
  }

  async listDialPolicies(filter: DialTableFilter): Promise<DialPolicyInfo[]> {
    return (await this.#guard(() => dial.listTable(this.#dial, 'dial_policies', filter))).map(dial.planInfoToPolicy);
  }

  countDialPolicies(filter: DialTableFilter): Promise<number> {
    return this.#guard(() => dial.countTable(this.#dial, 'dial_policies', filter));
  }

  async updateDialPolicy(domain: string, name: string, patch: { description?: string }): Promise<DialPolicyInfo | undefined> {
    const info = await this.#guard(() => dial.updateTable(this.#dial, 'dial_policies', domain, name, patch));
    return info === undefined ? undefined : dial.planInfoToPolicy(info);
  }

  deleteDialPolicy(domain: string, name: string): Promise<boolean> {
    return this.#guard(() => dial.deleteTable(this.#dial, 'dial_policies', domain, name));
  }

  createPermission(permission: Permission): Promise<Permission> {
    return this.#guard(() => dial.createPermission(this.#dial, permission), {
      unique: () => dial.DIAL_ERRORS.permissionExists(permission.dialPolicy, permission.match),
      foreign_key: () => dial.DIAL_ERRORS.policyNotFound(permission.domain, permission.dialPolicy),
    });
  }

  getPermission(domain: string, policy: string, match: string): Promise<Permission | undefined> {
    return this.#guard(() => dial.getPermission(this.#dial, domain, policy, match));
  }

  listPermissions(domain: string, policy: string, page?: Page): Promise<Permission[] | undefined> {
    return this.#guard(() => dial.listPermissions(this.#dial, domain, policy, page));
  }

  updatePermission(
    domain: string,
    policy: string,
    match: string,
    patch: { mode?: Permission['mode']; reason?: string },
  ): Promise<Permission | undefined> {
    return this.#guard(() => dial.updatePermission(this.#dial, domain, policy, match, patch));
  }

  deletePermission(domain: string, policy: string, match: string): Promise<boolean> {
    return this.#guard(() => dial.deletePermission(this.#dial, domain, policy, match));
  }

  loadDialPlans(): Promise<DialPlanSnapshot> {
    return this.#guard(() => dial.loadDialPlans(this.#dial));
  }

  async purgeExpiredRegistrations(now: Date): Promise<number> {
    const result = await this.#guard(() =>
      this.#db.deleteFrom('registrations').where('expires_at', '<=', toIso(now, 'now')).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  // -------------------------------------------------------------------------------------------------------
  // Credentials

  async createApiKey(record: ApiKeyRecord): Promise<void> {
    const row = encodeApiKey(record, this.#backend.encodeBool);
    await this.#guard(() => this.#db.insertInto('api_keys').values(row).execute(), {
      unique: () => new TrunklineError('CONFLICT', `API key ${record.keyId} already exists`),
    });
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.#guard(() => this.#select(this.#apiKeyById.bind({ keyId })));
    return rows.length === 0 ? undefined : decodeApiKey(rows[0]!);
  }

  async listApiKeys(
    filter: Page & { dialect?: ApiKeyRecord['dialect']; domain?: string; reseller?: string },
  ): Promise<ApiKeyRecord[]> {
    const { start, limit } = normalizePage(filter);
    if (limit === 0) return [];
    const rows = await this.#guard(() =>
      this.#db
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => {
          const conds: Expression<SqlBool>[] = [];
          if (filter.dialect !== undefined) conds.push(eb('dialect', '=', filter.dialect));
          if (filter.domain !== undefined) conds.push(eb('domain', '=', filter.domain));
          if (filter.reseller !== undefined) conds.push(eb('reseller', '=', filter.reseller));
          return eb.and(conds);
        })
        .orderBy('created_at')
        .orderBy('key_id')
        .limit(limit)
        .offset(start)
        .execute(),
    );
    return rows.map((r) => decodeApiKey(r as Row));
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    const result = await this.#guard(() => this.#db.deleteFrom('api_keys').where('key_id', '=', keyId).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  async touchApiKey(keyId: string, at: string): Promise<void> {
    const when = toIso(at, 'lastUsedAt');
    await this.#guard(() => this.#db.updateTable('api_keys').set({ last_used_at: when }).where('key_id', '=', keyId).execute());
  }

  async countApiKeys(): Promise<number> {
    const row = await this.#guard(() =>
      this.#db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
    );
    return Number(row.n);
  }

  async createLogin(login: LoginRecord): Promise<void> {
    if (typeof login.username !== 'string' || login.username === '') throw new ValidationError('username', 'is required');
    const row = {
      username: login.username,
      password_hash: login.passwordHash,
      role: login.role,
      domain: login.domain,
      reseller: login.reseller,
      created_at: toIso(login.createdAt, 'createdAt'),
    };
    await this.#guard(() => this.#db.insertInto('logins').values(row).execute(), {
      unique: () => new TrunklineError('CONFLICT', `Login ${login.username} already exists`),
    });
  }

  async getLogin(username: string): Promise<LoginRecord | undefined> {
    const row = await this.#guard(() =>
      this.#db.selectFrom('logins').selectAll().where('username', '=', username).executeTakeFirst(),
    );
    return row === undefined ? undefined : decodeLogin(row as Row);
  }

  async deleteLogin(username: string): Promise<boolean> {
    const result = await this.#guard(() => this.#db.deleteFrom('logins').where('username', '=', username).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }
}
