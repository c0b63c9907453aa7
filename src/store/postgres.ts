/**
 * The scale-out backend: PostgreSQL through a `pg.Pool`.
 *
 * - `?schema=NAME` in the URL (or the `schema` option) puts every table in that schema: it is created if
 *   missing and set as each pooled connection's `search_path`. Tests use one throw-away schema per run.
 * - Migrations run on one pooled connection holding a session advisory lock (per schema) for the whole
 *   open-time migration, so any number of processes may start at once; kysely's Migrator adds its own
 *   lock and runs the pending migrations in one transaction.
 * - Text columns use COLLATE "C": equality and ORDER BY are byte-wise, exactly as on SQLite, so both
 *   backends list in the same order.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type Expression, type SqlBool } from 'kysely';
import { TrunklineError, ValidationError } from '../model/index.js';
import type { Backend, ErrorClass } from './backend.js';
import { POSTGRES_FLAVOR, runMigrations } from './migrations.js';
import type { Database } from './schema.js';

export interface PostgresBackendOptions {
  /** `postgres://` or `postgresql://` URL; may carry `?schema=NAME`. */
  url: string;
  /** Schema for trunkline's tables; overrides `?schema=`. Lower-case letters, digits and `_`. */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(?:ql)?:\/\//i.test(url);
}

/** Split trunkline's own URL parameters (`schema`) from what `pg` understands. */
export function parsePostgresUrl(url: string): { connectionString: string; schema?: string; options?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError('db', 'is not a valid postgres:// URL');
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  const options = parsed.searchParams.get('options') ?? undefined;
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  return {
    connectionString: parsed.toString(),
    ...(schema === undefined || schema === '' ? {} : { schema }),
    ...(options === undefined ? {} : { options }),
  };
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH']);

export function classifyPostgresError(err: unknown): ErrorClass | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === '23505') return 'unique';
  if (code === '23503') return 'foreign_key';
  if (code === '40001' || code === '40P01' || code === '55P03') return 'busy';
  if (code.startsWith('08') || code.startsWith('57P') || code === '53300' || UNAVAILABLE_NODE_CODES.has(code)) {
    return 'unavailable';
  }
  return undefined;
}

export function openPostgresBackend(options: PostgresBackendOptions): Backend {
  const parsed = parsePostgresUrl(options.url);
  const schema = options.schema ?? parsed.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ValidationError('schema', 'may contain lower-case letters, digits and "_" only, starting with a letter or "_"');
  }
  const startupOptions = [parsed.options, schema === undefined ? undefined : `-c search_path=${schema}`]
    .filter((o): o is string => o !== undefined && o !== '')
    .join(' ');
  const pool = new pg.Pool({
    connectionString: parsed.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(startupOptions === '' ? {} : { options: startupOptions }),
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener Node would exit.
  // The next query checks out a fresh client and reports the failure to its caller.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;

  return {
    kind: 'postgres',
    db,
    flavor: POSTGRES_FLAVOR,
    supportsForUpdate: true,
    encodeBool: (value) => value,
    jsonHasObject(column: Expression<string>, key: string): Expression<SqlBool> {
      return sql<SqlBool>`jsonb_typeof(cast(${column} as jsonb) -> cast(${key} as text)) = 'object'`;
    },
    classifyError: classifyPostgresError,
    async migrate() {
      const lockKey = `trunkline.migrate:${schema ?? ''}`;
      await db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(hashtext(${lockKey}))`.execute(conn);
        try {
          if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
          const current =
            schema ?? (await sql<{ s: string | null }>`select current_schema() as s`.execute(conn)).rows[0]?.s ?? undefined;
          if (current === undefined || current === null) {
            throw new TrunklineError('INTERNAL', 'PostgreSQL has no current schema: set one with ?schema= in the URL');
          }
          await runMigrations(conn, POSTGRES_FLAVOR, current);
        } finally {
          // Ending the session would release it too; never let a failed unlock hide the real outcome.
          await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(conn).catch(() => undefined);
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
