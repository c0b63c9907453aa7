/**
 * Bulk writes on a second SQLite connection, on a worker thread.
 *
 * Why: call records arrive at hundreds a second and nobody waits on them interactively, yet inserting them
 * (B-tree pages of the table and its indexes, the WAL append) is synchronous work in better-sqlite3. On the
 * main thread it stalled the event loop that answers SIP, for ~0.2 ms of every call. A worker has its own
 * connection to the same file: WAL lets the main thread keep reading while it writes, and a commit is
 * visible to the main connection's next read.
 *
 * Locking: each side waits for the other through `busy_timeout`. The worker's transactions are synchronous
 * and short; the main thread may hold the write lock across awaits (kysely transactions), during which the
 * worker simply waits on its own thread. Neither can wait on itself, so there is no deadlock.
 *
 * The worker is plain JavaScript evaluated from a string (it must load the same way under tsx in tests
 * and compiled in dist/), and requires better-sqlite3 from the path resolved here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('foreign_keys = ON');
const statements = new Map();
const writeAll = db.transaction((stmt, rows) => { for (const r of rows) stmt.run(r); });
parentPort.on('message', (m) => {
  if (m.close) { db.close(); parentPort.close(); return; }
  try {
    let stmt = statements.get(m.sql);
    if (stmt === undefined) { stmt = db.prepare(m.sql); statements.set(m.sql, stmt); }
    writeAll.immediate(stmt, m.rows);
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, message: String(err && err.message), code: err && err.code });
  }
});
`;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export interface BulkWriterOptions {
  readonly file: string;
  readonly busyTimeoutMs: number;
  /** The main connection's `synchronous` setting (NORMAL under WAL, else FULL): the same durability. */
  readonly synchronous: 'NORMAL' | 'FULL';
}

export class SqliteBulkWriter {
  readonly #options: BulkWriterOptions;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closing: Promise<void> | undefined;

  constructor(options: BulkWriterOptions) {
    this.#options = options;
  }

  /**
   * Run one single-row write statement for every parameter set, in one transaction on the worker.
   * Resolves when committed; rejects with an Error carrying the driver's `code` (so errors classify as on
   * the main connection), and nothing of the batch is written.
   */
  write(sql: string, rows: readonly (readonly unknown[])[]): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new Error('the bulk writer is closed'));
    if (rows.length === 0) return Promise.resolve();
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, sql, rows });
    });
  }

  /** Wait for writes in flight, then close the worker's connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const worker = this.#worker;
      if (worker === undefined) return;
      await Promise.allSettled([...this.#pending.values()].map((p) => new Promise<void>((r) => {
        const { resolve, reject } = p;
        p.resolve = () => { resolve(); r(); };
        p.reject = (e) => { reject(e); r(); };
      })));
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.ref(); // until it has closed its connection
      worker.postMessage({ close: true });
      await exited;
    })();
    return this.#closing;
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.#options.file, busyTimeoutMs: this.#options.busyTimeoutMs, synchronous: this.#options.synchronous },
    });
    // Idle, the worker must not keep the process alive; while writes are in flight it must.
    worker.unref();
    worker.on('message', (m: { id: number; message?: string; code?: string }) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.message === undefined) p.resolve();
      else p.reject(Object.assign(new Error(m.message), { code: m.code }));
    });
    const fail = (err: Error): void => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      if (this.#worker === worker) this.#worker = undefined; // the next write starts a new one
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite bulk writer exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}
