/**
 * Table shapes (for kysely's typed queries) and the row <-> model codecs shared by both backends.
 *
 * Connection settings are stored one column per field. The column list is *derived* from
 * `CONNECTION_FIELDS` at runtime (camelCase key -> snake_case column, field kind -> encoding), so the
 * query code never lists the fifty settings by hand. The DDL that creates those columns is a frozen
 * snapshot inside the migration that introduced them (`migrations.ts`): adding a field to the catalog
 * needs a new migration, and the store contract test (full round-trip of every field) fails until it exists.
 */
import type { ColumnType, Generated } from 'kysely';
import {
  CONNECTION_FIELDS,
  CONNECTION_SETTING_KEYS,
  type ApiKeyRecord,
  type Connection,
  type ConnectionLive,
  type ConnectionSettingKey,
  type FieldSpec,
  type LoginRecord,
  type NewConnection,
  type Tenant,
  ValidationError,
} from '../model/index.js';
import type { RegistrationBinding } from './store.js';

/** `maxCallsOrig` -> `max_calls_orig`, `blockMediaIn180Ringing` -> `block_media_in180_ringing`. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S;

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** SQLite hands back ISO text, PostgreSQL (timestamptz) a Date. */
type Timestamp = ColumnType<string | Date, string, string>;
type NullableTimestamp = ColumnType<string | Date | null, string | null, string | null>;
/** SQLite stores 0/1 (INTEGER), PostgreSQL a real boolean. */
type Bool = ColumnType<boolean | number, boolean | number, boolean | number>;
/** PostgreSQL bigint arrives as a string; SQLite INTEGER as a number. */
type BigCounter = ColumnType<number | string, number, number>;

export type SettingColumn = SnakeCase<ConnectionSettingKey>;
type SettingValue = string | number | boolean | null;

export type ConnectionsTable = {
  id: Generated<number>;
  domain: string;
  orig_match_pattern: string;
  /** `domain` for tenant connections, NULL for system-wide (`*`) ones: the foreign key to `tenants`. */
  tenant_name: string | null;
  ext: string;
  created_by: string;
  created_at: Timestamp;
  last_modified: Timestamp;
} & { [C in SettingColumn]: ColumnType<SettingValue, SettingValue, SettingValue> };

export interface TenantsTable {
  name: string;
  reseller: string;
  description: string;
  attributes: string;
  created_at: Timestamp;
}

export interface ConnectionLiveTable {
  connection_id: number;
  active_orig: BigCounter;
  active_term: BigCounter;
  orig_since_startup: BigCounter;
  term_since_startup: BigCounter;
  max_this_month: BigCounter;
  max_last_month: BigCounter;
  talk_time_this_month: BigCounter;
  registered_at: NullableTimestamp;
  registration_expires_at: NullableTimestamp;
}

export interface RegistrationsTable {
  connection_id: number;
  contact: string;
  source_address: string;
  source_port: number;
  transport: string;
  registered_at: Timestamp;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  key_id: string;
  key_hash: string;
  dialect: string;
  scope: string;
  domain: string;
  reseller: string;
  user: string;
  description: string;
  readonly: Bool;
  can_create_keys: Bool;
  ip_address: string;
  allowed_models: string;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
}

export interface LoginsTable {
  username: string;
  password_hash: string;
  role: string;
  domain: string;
  reseller: string;
  created_at: Timestamp;
}

/** One row (`id` = 1): bumped by triggers on every connection insert, update and delete (migration 002). */
export interface ConnectionsVersionTable {
  id: number;
  version: BigCounter;
}

export interface CallRecordsTable {
  id: string;
  domain: string;
  orig_connection_id: number | null;
  term_connection_id: number | null;
  orig_call_id: string;
  term_call_id: string | null;
  started_at: string;
  ended_at: string;
  talk_seconds: number;
  record: string;
}

/** NetSapiens dial plans (migration 004): one row per (domain, name); `*` = system-wide (no tenant). */
export interface DialPlansTable {
  id: Generated<number>;
  domain: string;
  name: string;
  /** `domain` for a tenant's plan, NULL for a system-wide (`*`) one: the foreign key to `tenants` (cascade). */
  tenant_name: string | null;
  description: string;
  created_at: Timestamp;
  last_modified: Timestamp;
}

/** Dial rules of a plan, in insertion order (`id`); `rule_id` is the vendor's `dialrule` id of the matching fields. */
export interface DialRulesTable {
  id: Generated<number>;
  plan_id: number;
  rule_id: string;
  match_to_uri: string;
  match_from_uri: string;
  match_day_of_week: string;
  match_start_date: string;
  match_end_date: string;
  match_start_time: string;
  match_end_time: string;
  enabled: Bool;
  application: string;
  parameter: string;
  destination_scheme: string;
  destination_user: string;
  destination_host: string;
  source_name: string;
  source_scheme: string;
  source_user: string;
  source_host: string;
  description: string;
  created_at: Timestamp;
  last_modified: Timestamp;
}

/** Dial policies (migration 004): one row per (domain, name), like dial plans. */
export interface DialPoliciesTable {
  id: Generated<number>;
  domain: string;
  name: string;
  tenant_name: string | null;
  description: string;
  created_at: Timestamp;
  last_modified: Timestamp;
}

/** Permissions of a policy: one per (policy, match), listed in insertion order (`id`). */
export interface DialPermissionsTable {
  id: Generated<number>;
  policy_id: number;
  match: string;
  mode: string;
  reason: string;
  created_at: Timestamp;
}

export interface Database {
  call_records: CallRecordsTable;
  dial_plans: DialPlansTable;
  dial_rules: DialRulesTable;
  dial_policies: DialPoliciesTable;
  dial_permissions: DialPermissionsTable;
  tenants: TenantsTable;
  connections: ConnectionsTable;
  connection_live: ConnectionLiveTable;
  registrations: RegistrationsTable;
  api_keys: ApiKeysTable;
  logins: LoginsTable;
  connections_version: ConnectionsVersionTable;
}

// ---------------------------------------------------------------------------------------------------------
// Codecs

/** How a backend writes a boolean (SQLite cannot bind JS booleans). */
export type BoolEncoder = (value: boolean) => boolean | number;

interface SettingCodec {
  readonly key: ConnectionSettingKey;
  readonly column: string;
  readonly spec: FieldSpec;
}

/** One entry per `CONNECTION_FIELDS` key, in catalog order. */
export const SETTING_CODECS: readonly SettingCodec[] = CONNECTION_SETTING_KEYS.map((key) => ({
  key,
  column: snakeCase(key),
  spec: CONNECTION_FIELDS[key],
}));

export const SETTING_COLUMNS: readonly string[] = SETTING_CODECS.map((c) => c.column);

/** Normalise a timestamp to `toISOString()` form so text comparison (SQLite) orders it correctly. */
export function toIso(value: string | Date, field: string): string {
  const d = value instanceof Date ? value : new Date(value);
  const t = d.getTime();
  if (Number.isNaN(t)) throw new ValidationError(field, 'must be an ISO 8601 timestamp');
  return d.toISOString();
}

export function fromDbTime(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}

export function fromDbTimeOrNull(value: string | Date | null): string | null {
  return value === null ? null : fromDbTime(value);
}

const fromDbBool = (value: unknown): boolean => value === true || value === 1;

function encodeSetting(codec: SettingCodec, value: unknown, bool: BoolEncoder): SettingValue {
  const { key, spec } = codec;
  switch (spec.kind) {
    case 'string':
    case 'enum':
      if (typeof value !== 'string') throw new ValidationError(key, 'must be a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new ValidationError(key, 'must be a boolean');
      return bool(value);
    case 'int':
      if (value === null && spec.default === null) return null;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValidationError(key, 'must be an integer');
      return value;
    case 'json':
      return JSON.stringify(value ?? null);
  }
}

/** The loop `encodeConnection` is generated from; kept as the reference the tests compare it with. */
export function encodeConnectionGeneric(conn: NewConnection, bool: BoolEncoder): Record<string, SettingValue> {
  const row: Record<string, SettingValue> = {
    domain: conn.domain,
    orig_match_pattern: conn.origMatchPattern,
    tenant_name: conn.domain === '*' ? null : conn.domain,
    created_by: conn.createdBy,
    ext: JSON.stringify(conn.ext ?? {}),
  };
  if (typeof conn.domain !== 'string' || conn.domain === '') throw new ValidationError('domain', 'is required');
  if (typeof conn.origMatchPattern !== 'string' || conn.origMatchPattern === '') {
    throw new ValidationError('origMatchPattern', 'is required');
  }
  const source = conn as unknown as Record<string, unknown>;
  for (const codec of SETTING_CODECS) row[codec.column] = encodeSetting(codec, source[codec.key], bool);
  return row;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Value helpers the compiled decoders call (kept out of the generated source). */
const DECODE_HELPERS = {
  bool: fromDbBool,
  int: (v: unknown): number | null => (v === null || v === undefined ? null : Number(v)),
  json: (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : null),
  time: (v: string | Date): string => fromDbTime(v),
};

/**
 * Build the row -> Connection function once, as straight-line code over the catalog.
 *
 * A generic loop (`out[key] = ...` fifty times) grows the object one property at a time through keyed
 * stores and costs ~8 µs a row on the reference machine; a single object literal with a fixed shape costs
 * well under 1 µs, which matters for the SIP edge's lookups and for 10,000-row lists. The generated source
 * contains only identifiers from CONNECTION_FIELDS and column positions, each checked against IDENTIFIER
 * here, never data.
 *
 * `columns` given: rows are arrays in that column order (better-sqlite3 raw mode); otherwise rows are objects.
 */
export function compileConnectionDecoder(columns?: readonly string[]): (row: any) => Connection {
  const at = (column: string): string => {
    if (!IDENTIFIER.test(column)) throw new Error(`unsafe column name ${column}`);
    if (columns === undefined) return `r.${column}`;
    const index = columns.indexOf(column);
    if (index === -1) throw new Error(`connection rows lack column ${column}`);
    return `r[${index}]`;
  };
  const fields: string[] = [`id: Number(${at('id')})`, `domain: ${at('domain')}`, `origMatchPattern: ${at('orig_match_pattern')}`];
  for (const { key, column, spec } of SETTING_CODECS) {
    if (!IDENTIFIER.test(key)) throw new Error(`unsafe field name ${key}`);
    const v = at(column);
    switch (spec.kind) {
      case 'bool':
        fields.push(`${key}: h.bool(${v})`);
        break;
      case 'int':
        fields.push(`${key}: h.int(${v})`);
        break;
      case 'json':
        fields.push(`${key}: h.json(${v})`);
        break;
      default:
        fields.push(`${key}: ${v}`);
    }
  }
  fields.push(
    `createdBy: ${at('created_by')}`,
    `createdAt: h.time(${at('created_at')})`,
    `lastModified: h.time(${at('last_modified')})`,
    `ext: JSON.parse(${at('ext')})`,
  );
  const source = `"use strict"; return function decodeConnectionRow(r) { return { ${fields.join(', ')} }; };`;
  return new Function('h', source)(DECODE_HELPERS) as (row: any) => Connection;
}

/** Value checks the compiled encoder calls; same messages as `encodeSetting`. */
const ENCODE_HELPERS = {
  str(key: string, value: unknown): string {
    if (typeof value !== 'string') throw new ValidationError(key, 'must be a string');
    return value;
  },
  bool(key: string, value: unknown, bool: BoolEncoder): boolean | number {
    if (typeof value !== 'boolean') throw new ValidationError(key, 'must be a boolean');
    return bool(value);
  },
  int(key: string, value: unknown, nullable: boolean): number | null {
    if (value === null && nullable) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValidationError(key, 'must be an integer');
    return value;
  },
  json: (value: unknown): string => JSON.stringify(value ?? null),
  required(field: string, value: unknown): void {
    if (typeof value !== 'string' || value === '') throw new ValidationError(field, 'is required');
  },
};

/**
 * `encodeConnectionGeneric` as straight-line code building one object literal: a fixed-shape row instead of a
 * 60-key dictionary, which makes the encode, the parameter binding and the decode of a write several times
 * cheaper. Same checks, same order, same errors. Generated from identifiers checked against IDENTIFIER only.
 */
function compileConnectionEncoder(): (conn: NewConnection, bool: BoolEncoder) => Record<string, SettingValue> {
  const fields: string[] = [
    'domain: c.domain',
    'orig_match_pattern: c.origMatchPattern',
    "tenant_name: c.domain === '*' ? null : c.domain",
    'created_by: c.createdBy',
    'ext: ext',
  ];
  for (const { key, column, spec } of SETTING_CODECS) {
    if (!IDENTIFIER.test(key) || !IDENTIFIER.test(column)) throw new Error(`unsafe field name ${key}`);
    const v = `c.${key}`;
    const k = JSON.stringify(key);
    switch (spec.kind) {
      case 'string':
      case 'enum':
        fields.push(`${column}: h.str(${k}, ${v})`);
        break;
      case 'bool':
        fields.push(`${column}: h.bool(${k}, ${v}, bool)`);
        break;
      case 'int':
        fields.push(`${column}: h.int(${k}, ${v}, ${spec.default === null ? 'true' : 'false'})`);
        break;
      case 'json':
        fields.push(`${column}: h.json(${v})`);
        break;
    }
  }
  const source = [
    '"use strict";',
    'return function encodeConnectionRow(c, bool) {',
    '  const ext = JSON.stringify(c.ext ?? {});',
    "  h.required('domain', c.domain);",
    "  h.required('origMatchPattern', c.origMatchPattern);",
    `  return { ${fields.join(', ')} };`,
    '};',
  ].join('\n');
  return new Function('h', source)(ENCODE_HELPERS) as (conn: NewConnection, bool: BoolEncoder) => Record<string, SettingValue>;
}

/** The settings, identity and ext columns of a connection row (no id, no timestamps). */
export const encodeConnection: (conn: NewConnection, bool: BoolEncoder) => Record<string, SettingValue> = compileConnectionEncoder();

/** Decode an object row (kysely's result shape, both backends). */
export const decodeConnection: (row: Record<string, unknown>) => Connection = compileConnectionDecoder();

export function decodeTenant(row: TenantRow): Tenant {
  return {
    name: row.name,
    reseller: row.reseller,
    description: row.description,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: fromDbTime(row.created_at),
  };
}

export interface TenantRow {
  name: string;
  reseller: string;
  description: string;
  attributes: string;
  created_at: string | Date;
}

export const LIVE_COLUMNS = {
  activeOrig: 'active_orig',
  activeTerm: 'active_term',
  origSinceStartup: 'orig_since_startup',
  termSinceStartup: 'term_since_startup',
  maxThisMonth: 'max_this_month',
  maxLastMonth: 'max_last_month',
  talkTimeThisMonth: 'talk_time_this_month',
  registeredAt: 'registered_at',
  registrationExpiresAt: 'registration_expires_at',
} as const satisfies Record<keyof ConnectionLive, keyof ConnectionLiveTable>;

export function decodeLive(row: Record<string, unknown>): ConnectionLive {
  return {
    activeOrig: Number(row.active_orig),
    activeTerm: Number(row.active_term),
    origSinceStartup: Number(row.orig_since_startup),
    termSinceStartup: Number(row.term_since_startup),
    maxThisMonth: Number(row.max_this_month),
    maxLastMonth: Number(row.max_last_month),
    talkTimeThisMonth: Number(row.talk_time_this_month),
    registeredAt: fromDbTimeOrNull(row.registered_at as string | Date | null),
    registrationExpiresAt: fromDbTimeOrNull(row.registration_expires_at as string | Date | null),
  };
}

/** Encode the given live fields; counters must be non-negative safe integers, times ISO or null. */
export function encodeLive(live: Partial<ConnectionLive>): Partial<Record<keyof ConnectionLiveTable, number | string | null>> {
  const out: Partial<Record<keyof ConnectionLiveTable, number | string | null>> = {};
  for (const [key, column] of Object.entries(LIVE_COLUMNS) as [keyof ConnectionLive, keyof ConnectionLiveTable][]) {
    const v = live[key];
    if (v === undefined) continue;
    if (key === 'registeredAt' || key === 'registrationExpiresAt') {
      out[column] = v === null ? null : toIso(v as string, key);
    } else {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ValidationError(key, 'must be a non-negative integer');
      }
      out[column] = v;
    }
  }
  return out;
}

export function decodeRegistration(row: Record<string, unknown>): RegistrationBinding {
  return {
    connectionId: Number(row.connection_id),
    contact: row.contact as string,
    sourceAddress: row.source_address as string,
    sourcePort: Number(row.source_port),
    transport: row.transport as string,
    registeredAt: fromDbTime(row.registered_at as string | Date),
    expiresAt: fromDbTime(row.expires_at as string | Date),
  };
}

export function encodeApiKey(r: ApiKeyRecord, bool: BoolEncoder): ApiKeysTableInsert {
  if (typeof r.keyId !== 'string' || r.keyId === '') throw new ValidationError('keyId', 'is required');
  return {
    key_id: r.keyId,
    key_hash: r.keyHash,
    dialect: r.dialect,
    scope: r.scope,
    domain: r.domain,
    reseller: r.reseller,
    user: r.user,
    description: r.description,
    readonly: bool(r.readonly === true),
    can_create_keys: bool(r.canCreateKeys === true),
    ip_address: r.ipAddress,
    allowed_models: r.allowedModels,
    created_at: toIso(r.createdAt, 'createdAt'),
    last_used_at: r.lastUsedAt === null || r.lastUsedAt === undefined ? null : toIso(r.lastUsedAt, 'lastUsedAt'),
  };
}

export interface ApiKeysTableInsert {
  key_id: string;
  key_hash: string;
  dialect: string;
  scope: string;
  domain: string;
  reseller: string;
  user: string;
  description: string;
  readonly: boolean | number;
  can_create_keys: boolean | number;
  ip_address: string;
  allowed_models: string;
  created_at: string;
  last_used_at: string | null;
}

export function decodeApiKey(row: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: row.key_id as string,
    keyHash: row.key_hash as string,
    dialect: row.dialect as ApiKeyRecord['dialect'],
    scope: row.scope as ApiKeyRecord['scope'],
    domain: row.domain as string,
    reseller: row.reseller as string,
    user: row.user as string,
    description: row.description as string,
    readonly: fromDbBool(row.readonly),
    canCreateKeys: fromDbBool(row.can_create_keys),
    ipAddress: row.ip_address as string,
    allowedModels: row.allowed_models as string,
    createdAt: fromDbTime(row.created_at as string | Date),
    lastUsedAt: fromDbTimeOrNull(row.last_used_at as string | Date | null),
  };
}

export function decodeLogin(row: Record<string, unknown>): LoginRecord {
  return {
    username: row.username as string,
    passwordHash: row.password_hash as string,
    role: row.role as LoginRecord['role'],
    domain: row.domain as string,
    reseller: row.reseller as string,
    createdAt: fromDbTime(row.created_at as string | Date),
  };
}
