/**
 * Versioned schema migrations, applied by kysely's `Migrator` at open (see `runMigrations`).
 *
 * Rules:
 * - A migration, once released, never changes. Schema changes are a new entry (`002_...`), named so it sorts
 *   after the last one; kysely refuses to run out of order.
 * - Migrations are written once for both backends with kysely's schema builder; the few type differences
 *   (boolean, bigint, timestamp, identity, text collation) come from `SqlFlavor`.
 * - Each migration runs in one transaction on both backends (SQLite DDL is transactional too; the SQLite
 *   backend tells kysely so), so a failed or interrupted migration leaves the schema as it was.
 */
import { Migrator, sql, type ColumnDataType, type ColumnDefinitionBuilder, type Expression, type Kysely, type Migration } from 'kysely';
import { TrunklineError } from '../model/index.js';

/** What `addColumn` accepts as a type (kysely does not export its own alias). */
export type DataTypeExpression = ColumnDataType | Expression<unknown>;

export interface SqlFlavor {
  readonly kind: 'sqlite' | 'postgres';
  /** Text that compares and sorts byte-wise on both backends (PostgreSQL: COLLATE "C"). */
  readonly text: DataTypeExpression;
  readonly bool: DataTypeExpression;
  readonly bigint: DataTypeExpression;
  readonly timestamp: DataTypeExpression;
}

export const SQLITE_FLAVOR: SqlFlavor = {
  kind: 'sqlite',
  text: 'text',
  bool: 'integer',
  bigint: 'integer',
  timestamp: 'text', // ISO 8601 UTC, always `toISOString()` form so text order is time order
};

export const POSTGRES_FLAVOR: SqlFlavor = {
  kind: 'postgres',
  text: sql`text collate "C"`,
  bool: 'boolean',
  bigint: 'bigint',
  timestamp: 'timestamptz',
};

export const MIGRATION_TABLE = 'trunkline_migration';
export const MIGRATION_LOCK_TABLE = 'trunkline_migration_lock';

/**
 * Connection settings as they stood when migration 001 was written: [column, kind, default].
 * Frozen on purpose; do not derive it from CONNECTION_FIELDS (a later catalog change would silently alter
 * what 001 means for new databases while old ones never got the column).
 */
const SETTINGS_001: ReadonlyArray<readonly [string, 'string' | 'bool' | 'int' | 'json', string | boolean | number | null]> = [
  ['description', 'string', ''],
  ['term_match_pattern', 'string', ''],
  ['audio_relay', 'string', 'yes'],
  ['address', 'string', ''],
  ['dial_plan', 'string', ''],
  ['dial_policy', 'string', ''],
  ['max_calls_orig', 'int', null],
  ['max_calls_term', 'int', null],
  ['max_calls_total', 'int', null],
  ['linked_billing_user', 'string', ''],
  ['auth_username', 'string', ''],
  ['auth_password', 'string', ''],
  ['auth_realm', 'string', ''],
  ['orig_enabled', 'bool', true],
  ['term_enabled', 'bool', true],
  ['translation_request_host', 'string', ''],
  ['translation_destination_host', 'string', ''],
  ['translation_request_user', 'string', ''],
  ['translation_destination_user', 'string', ''],
  ['translation_source_user', 'string', ''],
  ['translation_source_host', 'string', ''],
  ['source_ip_check', 'bool', false],
  ['include_server_header', 'bool', false],
  ['relay_comfort_noise', 'string', 'system-default'],
  ['pcmu_only', 'bool', false],
  ['enforce_minimum_duration', 'bool', false],
  ['bind_to_alternate_interface', 'bool', false],
  ['block_video_in_sdp', 'bool', false],
  ['new_dialog_destination_from', 'string', 'default-ip'],
  ['response_destination_from', 'string', 'default-ip'],
  ['require_encrypted_audio', 'string', 'no'],
  ['transport', 'string', 'UDP'],
  ['orig_match_header', 'string', 'from'],
  ['session_timer', 'string', 'system-default'],
  ['prevent_rtp_port_change', 'bool', false],
  ['hide_post_dial_delay_with_ringback', 'bool', false],
  ['remote_ringback', 'string', 'allowed'],
  ['block_media_in180_ringing', 'bool', false],
  ['allow_mid_call_uri_updates', 'bool', false],
  ['record_all_calls', 'bool', false],
  ['redirect_all_calls', 'bool', false],
  ['custom_p_asserted_id_format', 'string', ''],
  ['require_sip_authentication', 'bool', false],
  ['utc_offset', 'string', ''],
  ['time_zone', 'string', ''],
  ['minimum_call_duration_seconds', 'int', 0],
  ['authenticate_as_client', 'bool', false],
  ['is_carrier_trunk', 'bool', false],
  ['call_routing', 'json', null],
];

function migration001(f: SqlFlavor): Migration {
  const boolDefault = (v: boolean) => (f.kind === 'sqlite' ? (v ? 1 : 0) : v);
  /** SQLite has no boolean type: keep the 0/1 INTEGER honest with a CHECK. */
  const boolCol = (name: string, def: boolean) => (c: ColumnDefinitionBuilder) => {
    let col = c.notNull().defaultTo(boolDefault(def));
    if (f.kind === 'sqlite') col = col.check(sql`${sql.ref(name)} in (0, 1)`);
    return col;
  };
  const counter = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('name', f.text, (c) => c.primaryKey())
        .addColumn('reseller', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('description', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tenants_reseller_idx').on('tenants').columns(['reseller', 'name']).execute();

      let conns = db.schema
        .createTable('connections')
        .addColumn('id', 'integer', (c) =>
          f.kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
        )
        .addColumn('domain', f.text, (c) => c.notNull())
        .addColumn('orig_match_pattern', f.text, (c) => c.notNull())
        // NO ACTION (not RESTRICT): same effect for an immediate constraint, and SQLite reports it as
        // SQLITE_CONSTRAINT_FOREIGNKEY rather than the RESTRICT trigger's SQLITE_CONSTRAINT_TRIGGER.
        .addColumn('tenant_name', f.text, (c) => c.references('tenants.name').onDelete('no action'));
      for (const [column, kind, def] of SETTINGS_001) {
        switch (kind) {
          case 'string':
            conns = conns.addColumn(column, f.text, (c) => c.notNull().defaultTo(def));
            break;
          case 'bool':
            conns = conns.addColumn(column, f.bool, boolCol(column, def as boolean));
            break;
          case 'int':
            conns = conns.addColumn(column, 'integer', (c) => (def === null ? c : c.notNull().defaultTo(def)));
            break;
          case 'json':
            conns = conns.addColumn(column, 'text', (c) => c.notNull().defaultTo('null'));
            break;
        }
      }
      await conns
        .addColumn('ext', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_by', f.text, (c) => c.notNull())
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .addColumn('last_modified', f.timestamp, (c) => c.notNull())
        .addUniqueConstraint('connections_identity_uq', ['domain', 'orig_match_pattern'])
        // System-wide connections (`*`) belong to no tenant; every other one to the tenant named like its domain.
        .addCheckConstraint(
          'connections_tenant_ck',
          sql`(domain = '*' and tenant_name is null) or (domain <> '*' and tenant_name = domain)`,
        )
        .execute();
      await db.schema.createIndex('connections_tenant_idx').on('connections').column('tenant_name').execute();
      await db.schema
        .createIndex('connections_term_match_idx')
        .on('connections')
        .columns(['term_match_pattern', 'domain', 'orig_match_pattern'])
        .execute();

      await db.schema
        .createTable('connection_live')
        .addColumn('connection_id', 'integer', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
        .addColumn('active_orig', f.bigint, counter)
        .addColumn('active_term', f.bigint, counter)
        .addColumn('orig_since_startup', f.bigint, counter)
        .addColumn('term_since_startup', f.bigint, counter)
        .addColumn('max_this_month', f.bigint, counter)
        .addColumn('max_last_month', f.bigint, counter)
        .addColumn('talk_time_this_month', f.bigint, counter)
        .addColumn('registered_at', f.timestamp)
        .addColumn('registration_expires_at', f.timestamp)
        .execute();

      await db.schema
        .createTable('registrations')
        .addColumn('connection_id', 'integer', (c) => c.notNull().references('connections.id').onDelete('cascade'))
        .addColumn('contact', f.text, (c) => c.notNull())
        .addColumn('source_address', f.text, (c) => c.notNull())
        .addColumn('source_port', 'integer', (c) => c.notNull())
        .addColumn('transport', f.text, (c) => c.notNull())
        .addColumn('registered_at', f.timestamp, (c) => c.notNull())
        .addColumn('expires_at', f.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('registrations_pk', ['connection_id', 'contact'])
        .execute();
      await db.schema.createIndex('registrations_expires_idx').on('registrations').column('expires_at').execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('key_id', f.text, (c) => c.primaryKey())
        .addColumn('key_hash', f.text, (c) => c.notNull())
        .addColumn('dialect', f.text, (c) => c.notNull())
        .addColumn('scope', f.text, (c) => c.notNull())
        .addColumn('domain', f.text, (c) => c.notNull().defaultTo('*'))
        .addColumn('reseller', f.text, (c) => c.notNull().defaultTo('*'))
        .addColumn('user', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('description', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('readonly', f.bool, boolCol('readonly', false))
        .addColumn('can_create_keys', f.bool, boolCol('can_create_keys', false))
        .addColumn('ip_address', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('allowed_models', f.text, (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .addColumn('last_used_at', f.timestamp)
        .execute();
      await db.schema.createIndex('api_keys_created_idx').on('api_keys').columns(['created_at', 'key_id']).execute();

      await db.schema
        .createTable('logins')
        .addColumn('username', f.text, (c) => c.primaryKey())
        .addColumn('password_hash', f.text, (c) => c.notNull())
        .addColumn('role', f.text, (c) => c.notNull())
        .addColumn('domain', f.text, (c) => c.notNull().defaultTo('*'))
        .addColumn('reseller', f.text, (c) => c.notNull().defaultTo('*'))
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * 002: a one-row counter that changes with every connection write, so a process (the SIP edge) can tell
 * cheaply, by one primary-key read, whether its in-memory copy of the connections is stale.
 *
 * The bump is done by row triggers on `connections`, not by the store code: it is then part of the same
 * statement and transaction as the write on both backends, whoever writes (another trunkline process, an
 * older or newer version of the store, an operator's SQL), and a write that fails or rolls back leaves the
 * counter as it was. Row-level (not statement-level) triggers, so a statement touching no row (a delete of
 * a missing id) does not bump it. `TRUNCATE` fires no row trigger; trunkline never truncates.
 */
function migration002(f: SqlFlavor): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('connections_version')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('version', f.bigint, (c) => c.notNull().defaultTo(0))
        .execute();
      await db.insertInto('connections_version').values({ id: 1, version: 0 }).execute();
      const bump = 'update connections_version set version = version + 1 where id = 1';
      if (f.kind === 'sqlite') {
        for (const event of ['insert', 'update', 'delete']) {
          await sql
            .raw(`create trigger connections_version_after_${event} after ${event} on connections begin ${bump}; end`)
            .execute(db);
        }
        return;
      }
      // PostgreSQL: the function pins its search_path to the schema it was created in, so a write made from a
      // session with another search_path (psql, another tool) still bumps this schema's counter.
      const schema = (await sql<{ s: string | null }>`select current_schema() as s`.execute(db)).rows[0]?.s;
      if (typeof schema !== 'string') throw new TrunklineError('INTERNAL', 'PostgreSQL has no current schema');
      await sql`create function connections_version_bump() returns trigger language plpgsql
        set search_path to ${sql.id(schema)}, pg_temp
        as $$ begin ${sql.raw(bump)}; return null; end $$`.execute(db);
      await sql`create trigger connections_version_bump after insert or update or delete on connections
        for each row execute function connections_version_bump()`.execute(db);
    },
  };
}

/**
 * 003: call records (CDRs). The canonical record is kept whole as JSON; the columns beside it are what listings
 * filter and sort on. No foreign keys: a record outlives the connections it names.
 */
function migration003(f: SqlFlavor): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('call_records')
        .addColumn('id', f.text, (c) => c.primaryKey())
        .addColumn('domain', f.text, (c) => c.notNull())
        .addColumn('orig_connection_id', 'integer')
        .addColumn('term_connection_id', 'integer')
        .addColumn('orig_call_id', f.text, (c) => c.notNull())
        .addColumn('term_call_id', f.text)
        .addColumn('started_at', f.timestamp, (c) => c.notNull())
        .addColumn('ended_at', f.timestamp, (c) => c.notNull())
        .addColumn('talk_seconds', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('call_records_domain_started_idx').on('call_records').columns(['domain', 'started_at']).execute();
      await db.schema.createIndex('call_records_started_idx').on('call_records').column('started_at').execute();
      await db.schema.createIndex('call_records_orig_call_idx').on('call_records').column('orig_call_id').execute();
      await db.schema.createIndex('call_records_term_call_idx').on('call_records').column('term_call_id').execute();
    },
  };
}

/**
 * 004: NetSapiens dial plans, dial rules, dial policies and permissions. Plans and policies belong to a tenant
 * (or to no tenant for system-wide `*` ones) and go with it (`ON DELETE CASCADE`: a domain can only be deleted once
 * its connections are gone, and nothing else refers to its tables); rules and permissions go with their plan or
 * policy. Every write bumps `connections_version` (the triggers of migration 002 extended to these tables), so
 * the SIP edge, which polls that counter, reloads its copy of the dial plans as it does its connections.
 */
function migration004(f: SqlFlavor): Migration {
  const boolDefault = (v: boolean) => (f.kind === 'sqlite' ? (v ? 1 : 0) : v);
  const identity = (c: ColumnDefinitionBuilder) =>
    f.kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity();
  const text = (def: string) => (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(def);
  return {
    async up(db: Kysely<any>): Promise<void> {
      for (const table of ['dial_plans', 'dial_policies']) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'integer', identity)
          .addColumn('domain', f.text, (c) => c.notNull())
          .addColumn('name', f.text, (c) => c.notNull())
          .addColumn('tenant_name', f.text, (c) => c.references('tenants.name').onDelete('cascade'))
          .addColumn('description', f.text, text(''))
          .addColumn('created_at', f.timestamp, (c) => c.notNull())
          .addColumn('last_modified', f.timestamp, (c) => c.notNull())
          .addUniqueConstraint(`${table}_identity_uq`, ['domain', 'name'])
          .addCheckConstraint(
            `${table}_tenant_ck`,
            sql`(domain = '*' and tenant_name is null) or (domain <> '*' and tenant_name = domain)`,
          )
          .execute();
        await db.schema.createIndex(`${table}_tenant_idx`).on(table).column('tenant_name').execute();
      }

      let rules = db.schema
        .createTable('dial_rules')
        .addColumn('id', 'integer', identity)
        .addColumn('plan_id', 'integer', (c) => c.notNull().references('dial_plans.id').onDelete('cascade'))
        .addColumn('rule_id', f.text, (c) => c.notNull());
      for (const column of ['match_to_uri', 'match_from_uri', 'match_day_of_week', 'match_start_date', 'match_end_date', 'match_start_time', 'match_end_time']) {
        rules = rules.addColumn(column, f.text, text(column === 'match_to_uri' ? '' : '*'));
      }
      rules = rules.addColumn('enabled', f.bool, (c) => {
        const col = c.notNull().defaultTo(boolDefault(true));
        return f.kind === 'sqlite' ? col.check(sql`enabled in (0, 1)`) : col;
      });
      for (const [column, def] of [
        ['application', 'to-user'],
        ['parameter', ''],
        ['destination_scheme', '[*]'],
        ['destination_user', ''],
        ['destination_host', '[*]'],
        ['source_name', '[*]'],
        ['source_scheme', '[*]'],
        ['source_user', '[*]'],
        ['source_host', '[*]'],
        ['description', ''],
      ] as const) {
        rules = rules.addColumn(column, f.text, text(def));
      }
      await rules
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .addColumn('last_modified', f.timestamp, (c) => c.notNull())
        .addUniqueConstraint('dial_rules_identity_uq', ['plan_id', 'rule_id'])
        .execute();

      await db.schema
        .createTable('dial_permissions')
        .addColumn('id', 'integer', identity)
        .addColumn('policy_id', 'integer', (c) => c.notNull().references('dial_policies.id').onDelete('cascade'))
        .addColumn('match', f.text, (c) => c.notNull())
        .addColumn('mode', f.text, (c) => c.notNull().check(sql`mode in ('permit', 'deny')`))
        .addColumn('reason', f.text, text(''))
        .addColumn('created_at', f.timestamp, (c) => c.notNull())
        .addUniqueConstraint('dial_permissions_identity_uq', ['policy_id', 'match'])
        .execute();

      const tables = ['dial_plans', 'dial_rules', 'dial_policies', 'dial_permissions'];
      if (f.kind === 'sqlite') {
        const bump = 'update connections_version set version = version + 1 where id = 1';
        for (const table of tables) {
          for (const event of ['insert', 'update', 'delete']) {
            await sql.raw(`create trigger ${table}_version_after_${event} after ${event} on ${table} begin ${bump}; end`).execute(db);
          }
        }
        return;
      }
      // PostgreSQL: the row-trigger function of migration 002 (its search_path pinned to this schema).
      for (const table of tables) {
        await sql`create trigger ${sql.id(`${table}_version_bump`)} after insert or update or delete on ${sql.id(table)}
          for each row execute function connections_version_bump()`.execute(db);
      }
    },
  };
}

/** All migrations, by name; names sort in application order. */
export function migrations(flavor: SqlFlavor): Record<string, Migration> {
  return {
    '001_initial': migration001(flavor),
    '002_connections_version': migration002(flavor),
    '003_call_records': migration003(flavor),
    '004_dial_plans': migration004(flavor),
  };
}

/**
 * Bring `db` to the latest schema. The caller provides mutual exclusion between processes (see the
 * backends); kysely's Migrator runs the pending migrations in one transaction and records them in
 * `trunkline_migration`.
 */
export async function runMigrations(db: Kysely<any>, flavor: SqlFlavor, migrationTableSchema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(flavor) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const why = error instanceof Error ? error.message : String(error);
    throw new TrunklineError('INTERNAL', `Schema migration ${failed ?? ''} failed: ${why}`.replace('  ', ' '), {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
