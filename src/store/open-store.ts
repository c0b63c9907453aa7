/**
 * Open the configured store: `db` = a `postgres://` / `postgresql://` URL selects PostgreSQL; anything else
 * uses the embedded SQLite file `<data>/trunkline.db` (data directory `./data` by default, created when
 * missing). Pending schema migrations are applied before the store is returned.
 */
import { ValidationError } from '../model/index.js';
import type { Backend } from './backend.js';
import { KyselyStore } from './kysely-store.js';
import { isPostgresUrl, openPostgresBackend } from './postgres.js';
import { openSqliteBackend } from './sqlite.js';
import type { Store } from './store.js';

export const DEFAULT_DATA_DIR = './data';

export interface OpenStoreOptions {
  /** Data directory for the SQLite backend (default `./data`). */
  data?: string;
  /** A `postgres://` or `postgresql://` URL (optionally with `?schema=NAME`) selects PostgreSQL. */
  db?: string;
}

export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  let backend: Backend;
  if (options.db !== undefined && options.db !== '') {
    if (!isPostgresUrl(options.db)) {
      throw new ValidationError('db', 'must be a postgres:// or postgresql:// URL (omit it to use SQLite under --data)');
    }
    backend = openPostgresBackend({ url: options.db });
  } else {
    backend = openSqliteBackend({ dataDir: options.data ?? DEFAULT_DATA_DIR });
  }
  const store = new KyselyStore(backend);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
