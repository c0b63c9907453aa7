/**
 * What differs between SQLite and PostgreSQL, and nothing else. `KyselyStore` writes every query once
 * against kysely; a Backend supplies the connection, the few dialect facts the queries need, error
 * classification, migration locking and an optional fast path for hot reads.
 */
import type { Expression, Kysely, SqlBool } from 'kysely';
import type { SqlFlavor } from './migrations.js';
import type { BoolEncoder, Database } from './schema.js';

/** Driver errors the store expects and maps to TrunklineError kinds. */
export type ErrorClass = 'unique' | 'foreign_key' | 'busy' | 'unavailable';

export interface RawRows {
  /** Same array for every call of the same statement (callers may cache per columns). */
  readonly columns: readonly string[];
  readonly rows: unknown[][];
}

export interface RawRow {
  /** As in `RawRows`. */
  readonly columns: readonly string[];
  /** The first row, or undefined when there is none. */
  readonly row: unknown[] | undefined;
}

export interface Backend {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  readonly flavor: SqlFlavor;
  /** PostgreSQL locks the row read in a read-modify-write; SQLite's `BEGIN IMMEDIATE` already holds the write lock. */
  readonly supportsForUpdate: boolean;
  readonly encodeBool: BoolEncoder;
  /** SQL true when the JSON text in `column` has an object under `key`. */
  jsonHasObject(column: Expression<string>, key: string): Expression<SqlBool>;
  classifyError(err: unknown): ErrorClass | undefined;
  /** Apply pending migrations with whatever cross-process exclusion this backend needs. */
  migrate(): Promise<void>;
  /**
   * Run a compiled, read-only statement outside kysely when that is safe and faster (SQLite: a cached
   * prepared statement, when no transaction is open on the connection). `undefined` = use kysely.
   */
  fastAll?(sql: string, parameters: readonly unknown[]): unknown[] | undefined;
  /** As `fastAll`, rows as arrays in `columns` order (cheaper to build and to decode for wide rows). */
  fastRaw?(sql: string, parameters: readonly unknown[]): RawRows | undefined;
  /** As `fastRaw`, the first row only: for lookups by a unique key. */
  fastFirst?(sql: string, parameters: readonly unknown[]): RawRow | undefined;
  /**
   * Run one compiled single-statement write through the backend's group commit (SQLite: writes requested in
   * the same event-loop turn share one transaction; see `GroupCommit` in sqlite.ts). Resolves, once the write
   * is committed, with the first row of its `RETURNING` clause as an array (`[]` when it returns none);
   * rejects with the driver's error. `undefined` = not supported, use kysely.
   */
  groupWrite?(sql: string, parameters: readonly unknown[]): Promise<unknown[]> | undefined;
  /**
   * Run one compiled single-row write for many parameter sets in one transaction, off the event loop
   * (SQLite: a worker thread with its own connection, see sqlite-bulk-writer.ts). For writes nobody waits on
   * interactively (call records). Resolves when committed; `undefined` = not supported, use kysely.
   */
  bulkWrite?(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> | undefined;
  close(): Promise<void>;
}
