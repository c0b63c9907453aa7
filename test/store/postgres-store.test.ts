/**
 * The store contract against PostgreSQL, plus what only PostgreSQL has (schemas, multi-process start).
 *
 * Needs TRUNKLINE_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test). Without it, or when that
 * server cannot be reached, every test here is reported as skipped with the reason; none passes silently.
 * Each test gets its own schema (`tl_test_<run>_<n>`, via `?schema=`), all dropped at the end, so parallel
 * runs and CI jobs sharing one database never see each other's rows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import { openPostgresBackend } from '../../src/store/postgres.js';
import { SETTING_COLUMNS } from '../../src/store/schema.js';
import { migrations, POSTGRES_FLAVOR } from '../../src/store/migrations.js';
import { conn, storeContract } from './store-contract.js';

const URL_ENV = process.env.TRUNKLINE_TEST_PG_URL;
const RUN = randomBytes(4).toString('hex');
const schemas: string[] = [];

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

let skip: string | undefined;
if (URL_ENV === undefined || URL_ENV === '') {
  skip = 'TRUNKLINE_TEST_PG_URL not set: set it to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run these tests';
} else {
  const why = await reachable(URL_ENV);
  if (why !== undefined) skip = `TRUNKLINE_TEST_PG_URL is set but PostgreSQL is unreachable (${why})`;
}
if (skip !== undefined) console.log(`PostgreSQL store tests skipped: ${skip}`);

function withSchema(schema: string): string {
  const u = new URL(URL_ENV!);
  u.searchParams.set('schema', schema);
  return u.toString();
}

function newSchema(): string {
  const schema = `tl_test_${RUN}_${schemas.length + 1}`;
  schemas.push(schema);
  return schema;
}

after(async () => {
  if (skip !== undefined || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: URL_ENV });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
});

storeContract(
  'PostgreSQL',
  {
    async newLocation() {
      return { db: withSchema(newSchema()) };
    },
  },
  skip === undefined ? {} : { skip },
);

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));

function runChild(args: object): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('PostgreSQL backend specifics', () => {
  it('puts every table in the ?schema= schema and records migrations there', { skip }, async () => {
    const schema = newSchema();
    const store = await openStore({ db: withSchema(schema) });
    await store.close();
    const client = new pg.Client({ connectionString: URL_ENV });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [schema],
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        [
          'api_keys',
          'call_records',
          'connection_live',
          'connections',
          'connections_version',
          'dial_permissions',
          'dial_plans',
          'dial_policies',
          'dial_rules',
          'logins',
          'registrations',
          'tenants',
          'trunkline_migration',
          'trunkline_migration_lock',
        ],
      );
      const applied = await client.query<{ name: string }>(`select name from "${schema}".trunkline_migration`);
      assert.deepEqual(applied.rows.map((r) => r.name), Object.keys(migrations(POSTGRES_FLAVOR)).sort());
      const cols = await client.query<{ column_name: string }>(
        "select column_name from information_schema.columns where table_schema = $1 and table_name = 'connections'",
        [schema],
      );
      const names = new Set(cols.rows.map((r) => r.column_name));
      for (const column of SETTING_COLUMNS) assert.ok(names.has(column), `connections.${column}`);
    } finally {
      await client.end();
    }
  });

  it('the schema option overrides the URL and is validated', { skip }, async () => {
    const schema = newSchema();
    const backend = openPostgresBackend({ url: withSchema('ignored_schema'), schema });
    try {
      await backend.migrate();
      const r = await backend.db.selectFrom('tenants').select('name').execute();
      assert.deepEqual(r, []);
    } finally {
      await backend.close();
    }
    assert.throws(() => openPostgresBackend({ url: URL_ENV!, schema: 'Bad-Name' }), /schema/);
  });

  it('several processes starting at once against a new schema migrate exactly once', { skip }, async () => {
    const schema = newSchema();
    const db = withSchema(schema);
    const outs = await Promise.all([1, 2, 3, 4].map((i) => runChild({ db, action: 'create-tenant', name: `t${i}` })));
    for (const out of outs) assert.match(out, /ok/);
    const store = await openStore({ db });
    try {
      assert.deepEqual((await store.listTenants({})).map((t) => t.name), ['t1', 't2', 't3', 't4']);
      await store.createConnection(conn('t1', 'sip*@10.0.0.1'));
      assert.equal(await store.countConnections({ reseller: '' }), 1);
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: URL_ENV });
    await client.connect();
    try {
      const applied = await client.query(`select name from "${schema}".trunkline_migration`);
      assert.equal(applied.rowCount, Object.keys(migrations(POSTGRES_FLAVOR)).length, 'each migration recorded once');
    } finally {
      await client.end();
    }
  });

  it('an unreachable server fails with UNAVAILABLE, not a raw driver error', { skip }, async () => {
    const u = new URL(URL_ENV!);
    u.port = '1';
    u.hostname = '127.0.0.1';
    await assert.rejects(openStore({ db: u.toString() }), (err: unknown) => {
      assert.equal((err as { kind?: string }).kind, 'UNAVAILABLE');
      return true;
    });
  });
});
