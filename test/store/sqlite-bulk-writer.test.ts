/** The SQLite bulk writer: a worker thread with its own connection to the store's file (src/store/sqlite-bulk-writer.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteBulkWriter } from '../../src/store/sqlite-bulk-writer.js';

describe('SQLite bulk writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-bulk-'));
  const file = join(dir, 'bulk.db');
  const main = new BetterSqlite3(file);
  main.pragma('journal_mode = WAL');
  main.exec('create table t (id integer primary key, v text not null)');
  after(() => {
    main.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a batch in one transaction, visible to the main connection once the promise resolves', async () => {
    const w = new SqliteBulkWriter({ file, busyTimeoutMs: 2000, synchronous: 'NORMAL' });
    await w.write('insert into t (id, v) values (?, ?)', [[1, 'a'], [2, 'b'], [3, 'c']]);
    assert.deepEqual(main.prepare('select id, v from t order by id').all(), [{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }]);
    await w.close();
  });

  it('a failing row rolls the whole batch back and rejects with the driver code', async () => {
    const w = new SqliteBulkWriter({ file, busyTimeoutMs: 2000, synchronous: 'NORMAL' });
    await assert.rejects(w.write('insert into t (id, v) values (?, ?)', [[10, 'x'], [1, 'duplicate'], [11, 'y']]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
      return true;
    });
    assert.equal((main.prepare('select count(*) as n from t where id in (10, 11)').get() as { n: number }).n, 0);
    await w.close();
  });

  it('waits for the main connection to release the write lock instead of failing', async () => {
    const w = new SqliteBulkWriter({ file, busyTimeoutMs: 5000, synchronous: 'NORMAL' });
    main.exec('begin immediate');
    main.prepare('insert into t (id, v) values (?, ?)').run(20, 'main');
    const pending = w.write('insert into t (id, v) values (?, ?)', [[21, 'worker']]);
    await new Promise((r) => setTimeout(r, 150));
    main.exec('commit');
    await pending;
    assert.deepEqual(main.prepare('select id from t where id >= 20 order by id').all(), [{ id: 20 }, { id: 21 }]);
    await w.close();
  });

  it('close() waits for writes in flight; later writes are refused', async () => {
    const w = new SqliteBulkWriter({ file, busyTimeoutMs: 2000, synchronous: 'NORMAL' });
    const rows = Array.from({ length: 2000 }, (_, i) => [1000 + i, `r${i}`]);
    const pending = w.write('insert into t (id, v) values (?, ?)', rows);
    await w.close();
    await pending;
    assert.equal((main.prepare('select count(*) as n from t where id >= 1000').get() as { n: number }).n, 2000);
    await assert.rejects(w.write('insert into t (id, v) values (?, ?)', [[5000, 'late']]), /closed/);
  });
});
