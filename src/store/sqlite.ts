/**
 * The embedded backend: one SQLite file (`<data>/trunkline.db`) through better-sqlite3.
 *
 * - WAL journal with `synchronous=NORMAL`: a commit is in the WAL (handed to the OS with write()) before
 *   the call returns; only the fsync is deferred to checkpoints. A crash of the *process* (SIGKILL included)
 *   therefore never loses an acknowledged transaction; only an OS crash or power loss can drop the last
 *   ones. If the file system refuses WAL, `synchronous=FULL` is used instead to keep that guarantee.
 * - `busy_timeout` so a second process (e.g. `trunkline keys create` next to a running server) waits for
 *   the write lock instead of failing; foreign keys on (cascades, tenant references).
 * - Transactions start with `BEGIN IMMEDIATE`: they take the write lock up front, so a read-modify-write
 *   never fails half-way with SQLITE_BUSY on the lock upgrade, and migrations are exclusive between processes.
 * - Prepared statements are cached per SQL text (better-sqlite3 would otherwise prepare on every query).
 * - Stores opened on the same file in one process share one connection (and kysely's connection mutex):
 *   two connections in one thread would wait on each other's locks synchronously and deadlock.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Expression,
  type QueryCompiler,
  type SqlBool,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import type { Backend, ErrorClass, RawRow, RawRows } from './backend.js';
import { SQLITE_FLAVOR, runMigrations } from './migrations.js';
import { SqliteBulkWriter } from './sqlite-bulk-writer.js';
import type { Database } from './schema.js';

export const SQLITE_FILE_NAME = 'trunkline.db';
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const STATEMENT_CACHE_SIZE = 256;

type RawDb = BetterSqlite3.Database;

/** better-sqlite3's `prepare` with a bounded cache, handed to kysely as its database. */
class StatementCache implements SqliteDatabase {
  readonly #raw: RawDb;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(raw: RawDb) {
    this.#raw = raw;
  }

  prepare(text: string): BetterSqlite3.Statement & SqliteStatement {
    let stmt = this.#statements.get(text);
    if (stmt === undefined) {
      stmt = this.#raw.prepare(text);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(text, stmt);
    }
    return stmt as BetterSqlite3.Statement & SqliteStatement;
  }

  close(): void {
    this.#statements.clear();
    this.#raw.close();
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite runs DDL inside transactions; telling kysely so makes each migration atomic. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TrunklineSqliteDialect implements Dialect {
  readonly #database: SqliteDatabase;
  constructor(database: SqliteDatabase) {
    this.#database = database;
  }
  createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** Statements in raw (array-row) mode for the fast path, with their column names. */
class RawStatementCache {
  readonly #raw: RawDb;
  readonly #statements = new Map<string, { stmt: BetterSqlite3.Statement; columns: readonly string[] }>();

  constructor(raw: RawDb) {
    this.#raw = raw;
  }

  #entry(text: string): { stmt: BetterSqlite3.Statement; columns: readonly string[] } {
    let entry = this.#statements.get(text);
    if (entry === undefined) {
      const stmt = this.#raw.prepare(text);
      // raw() and columns() exist only for statements returning data (SELECT, or a write with RETURNING).
      if (stmt.reader) stmt.raw(true);
      entry = { stmt, columns: Object.freeze(stmt.reader ? stmt.columns().map((c) => c.name) : []) };
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(text, entry);
    }
    return entry;
  }

  all(text: string, parameters: readonly unknown[]): RawRows {
    const entry = this.#entry(text);
    return { columns: entry.columns, rows: entry.stmt.all(parameters as unknown[]) as unknown[][] };
  }

  /** The first row only (better-sqlite3 `get`: stops after one step), for lookups by a unique key. */
  first(text: string, parameters: readonly unknown[]): RawRow {
    const entry = this.#entry(text);
    return { columns: entry.columns, row: entry.stmt.get(parameters as unknown[]) as unknown[] | undefined };
  }

  /** One write statement; its RETURNING row (raw) or `[]`. */
  write(text: string, parameters: readonly unknown[]): unknown[] {
    const entry = this.#entry(text);
    if (!entry.stmt.reader) {
      entry.stmt.run(parameters as unknown[]);
      return [];
    }
    return (entry.stmt.get(parameters as unknown[]) as unknown[] | undefined) ?? [];
  }
}

interface QueuedWrite {
  readonly text: string;
  readonly parameters: readonly unknown[];
  resolve(row: unknown[]): void;
  reject(err: unknown): void;
}

/** Most writes one group commit takes; the rest go into the next transaction of the same flush. */
const GROUP_COMMIT_MAX = 256;

/**
 * Group commit for single-statement writes (`createConnection`): writes requested during one turn of the
 * event loop are committed together in one `BEGIN IMMEDIATE … COMMIT`, run synchronously in the check
 * phase right after the poll phase that received them. Each caller is answered only after the COMMIT
 * that contains its write has returned, so nothing is acknowledged before it is in the WAL: the crash
 * guarantees are those of one transaction per write. A commit costs a fixed amount of WAL I/O (the
 * table's last leaf, the counter and sequence rows, the index leaves it touches), shared by every write
 * in the batch.
 *
 * One write failing (a constraint: duplicate, missing tenant) does not affect the others: SQLite aborts
 * only the failing statement and keeps the transaction open (default ON CONFLICT ABORT), and that caller
 * gets its error. If SQLite rolled the whole transaction back instead (disk full, I/O error), or the
 * COMMIT fails, every write of the batch fails with that error; none of them was acknowledged.
 */
class GroupCommit {
  readonly #raw: RawDb;
  readonly #statements: RawStatementCache;
  readonly #viaKysely: (text: string, parameters: readonly unknown[]) => Promise<unknown[]>;
  #queue: QueuedWrite[] = [];
  #scheduled = false;

  constructor(raw: RawDb, statements: RawStatementCache, viaKysely: (text: string, parameters: readonly unknown[]) => Promise<unknown[]>) {
    this.#raw = raw;
    this.#statements = statements;
    this.#viaKysely = viaKysely;
  }

  enqueue(text: string, parameters: readonly unknown[]): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      this.#queue.push({ text, parameters, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit everything queued (also called before the connection closes). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) this.#commit(this.#queue.splice(0, GROUP_COMMIT_MAX));
  }

  #commit(batch: readonly QueuedWrite[]): void {
    const failAll = (err: unknown) => {
      for (const w of batch) w.reject(err);
    };
    if (!this.#raw.open) return failAll(new TypeError('The database connection is not open'));
    if (this.#raw.inTransaction) {
      // A kysely transaction is open on the connection (between two of its awaits): each write goes through
      // kysely, which runs it after that transaction, on its own.
      for (const w of batch) this.#viaKysely(w.text, w.parameters).then(w.resolve, w.reject);
      return;
    }
    if (batch.length === 1) {
      const w = batch[0] as QueuedWrite;
      let row: unknown[];
      try {
        row = this.#statements.write(w.text, w.parameters);
      } catch (err) {
        return w.reject(err);
      }
      return w.resolve(row);
    }
    try {
      this.#statements.write('begin immediate', []);
    } catch (err) {
      return failAll(err);
    }
    const outcomes: Array<{ row: unknown[] } | { err: unknown }> = [];
    for (const w of batch) {
      try {
        outcomes.push({ row: this.#statements.write(w.text, w.parameters) });
      } catch (err) {
        // Only this statement was undone, unless SQLite abandoned the transaction altogether.
        if (!this.#raw.inTransaction) return failAll(err);
        outcomes.push({ err });
      }
    }
    try {
      this.#statements.write('commit', []);
    } catch (err) {
      if (this.#raw.inTransaction) {
        try {
          this.#statements.write('rollback', []);
        } catch {
          // The commit error below is what the callers need to hear.
        }
      }
      return failAll(err);
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i] as { row: unknown[] } | { err: unknown };
      if ('err' in outcome) w.reject(outcome.err);
      else w.resolve(outcome.row);
    });
  }
}

interface SharedFile {
  readonly raw: RawDb;
  readonly statements: StatementCache;
  readonly rawStatements: RawStatementCache;
  readonly db: Kysely<Database>;
  readonly groupCommit: GroupCommit;
  readonly bulkWriter: SqliteBulkWriter;
  refs: number;
}

const openFiles = new Map<string, SharedFile>();

function openFile(file: string): SharedFile {
  const raw = new BetterSqlite3(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  let synchronous: 'NORMAL' | 'FULL' = 'FULL';
  try {
    raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const mode = String(raw.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
    synchronous = mode === 'wal' ? 'NORMAL' : 'FULL';
    raw.pragma(`synchronous = ${synchronous}`);
    raw.pragma('foreign_keys = ON');
  } catch (err) {
    raw.close();
    throw err;
  }
  const statements = new StatementCache(raw);
  const db = new Kysely<Database>({ dialect: new TrunklineSqliteDialect(statements) });
  const rawStatements = new RawStatementCache(raw);
  const groupCommit = new GroupCommit(raw, rawStatements, async (text, parameters) => {
    const row = (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...parameters]))).rows[0];
    return row === undefined ? [] : Object.values(row);
  });
  const bulkWriter = new SqliteBulkWriter({ file, busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, synchronous });
  return { raw, statements, rawStatements, db, groupCommit, bulkWriter, refs: 0 };
}

export function classifySqliteError(err: unknown): ErrorClass | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  // ON DELETE RESTRICT surfaces as a trigger failure with the foreign key message.
  if (code === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY/i.test(String((err as Error).message))) return 'foreign_key';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') return 'unavailable';
  return undefined;
}

export interface SqliteBackendOptions {
  /** Data directory; created if missing. The database is `<dataDir>/trunkline.db`. */
  dataDir: string;
}

export function openSqliteBackend(options: SqliteBackendOptions): Backend {
  mkdirSync(options.dataDir, { recursive: true });
  const file = resolve(join(options.dataDir, SQLITE_FILE_NAME));
  let shared = openFiles.get(file);
  if (shared === undefined) {
    shared = openFile(file);
    openFiles.set(file, shared);
  }
  shared.refs += 1;
  const { raw, statements, rawStatements, db, groupCommit, bulkWriter } = shared;
  let closed = false;

  return {
    kind: 'sqlite',
    db,
    flavor: SQLITE_FLAVOR,
    supportsForUpdate: false,
    encodeBool: (value) => (value ? 1 : 0),
    jsonHasObject(column: Expression<string>, key: string): Expression<SqlBool> {
      return sql<SqlBool>`json_type(${column}, ${`$.${key}`}) = 'object'`;
    },
    classifyError: classifySqliteError,
    async migrate() {
      // BEGIN IMMEDIATE around the migration (see TransactionalDdlSqliteAdapter) excludes other processes;
      // the shared connection's mutex excludes other stores in this one.
      await runMigrations(db, SQLITE_FLAVOR);
    },
    fastAll(text, parameters) {
      // Inside a kysely transaction the connection holds uncommitted writes: go through kysely, which
      // waits for the transaction to end, so readers only ever see committed state.
      if (closed || raw.inTransaction) return undefined;
      return statements.prepare(text).all(parameters as unknown[]);
    },
    fastRaw(text, parameters) {
      if (closed || raw.inTransaction) return undefined;
      return rawStatements.all(text, parameters);
    },
    fastFirst(text, parameters) {
      if (closed || raw.inTransaction) return undefined;
      return rawStatements.first(text, parameters);
    },
    groupWrite(text, parameters) {
      if (closed) return undefined;
      return groupCommit.enqueue(text, parameters);
    },
    bulkWrite(text, rows) {
      if (closed) return undefined;
      return bulkWriter.write(text, rows);
    },
    async close() {
      if (closed) return;
      closed = true;
      const entry = openFiles.get(file);
      if (entry === undefined || entry.db !== db) return;
      groupCommit.flush();
      entry.refs -= 1;
      if (entry.refs === 0) {
        openFiles.delete(file);
        await bulkWriter.close();
        await db.destroy();
        if (raw.open) raw.close(); // kysely only closes a database it has used

      }
    },
  };
}
