/** Unit tests for the store's backend-independent helpers (no database needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kysely, SqliteDialect } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import { CONNECTION_SETTING_KEYS } from '../../src/model/index.js';
import { MAX_PAGE_SIZE, normalizePage } from '../../src/store/kysely-store.js';
import { classifyPostgresError, isPostgresUrl, parsePostgresUrl } from '../../src/store/postgres.js';
import { PreparedQuery, param } from '../../src/store/prepared.js';
import {
  SETTING_COLUMNS,
  compileConnectionDecoder,
  decodeConnection,
  encodeConnection,
  encodeConnectionGeneric,
  snakeCase,
  toIso,
} from '../../src/store/schema.js';
import { classifySqliteError } from '../../src/store/sqlite.js';
import { conn, everyFieldNonDefault } from './store-contract.js';

describe('store internals', () => {
  it('normalizePage: defaults to the 10,000 cap, clamps, floors, ignores garbage', () => {
    assert.equal(MAX_PAGE_SIZE, 10_000);
    assert.deepEqual(normalizePage({}), { start: 0, limit: 10_000 });
    assert.deepEqual(normalizePage({ start: 20, limit: 5 }), { start: 20, limit: 5 });
    assert.deepEqual(normalizePage({ limit: 50_000 }), { start: 0, limit: 10_000 });
    assert.deepEqual(normalizePage({ start: -4, limit: -1 }), { start: 0, limit: 0 });
    assert.deepEqual(normalizePage({ start: 2.9, limit: 3.7 }), { start: 2, limit: 3 });
    assert.deepEqual(normalizePage({ start: Number.NaN, limit: Number.POSITIVE_INFINITY }), { start: 0, limit: 10_000 });
  });

  it('recognises and parses PostgreSQL URLs, keeping ?schema= and ?options= away from pg', () => {
    assert.equal(isPostgresUrl('postgres://u@h/db'), true);
    assert.equal(isPostgresUrl('postgresql://u@h/db'), true);
    assert.equal(isPostgresUrl('POSTGRES://u@h/db'), true);
    assert.equal(isPostgresUrl('./data'), false);
    assert.equal(isPostgresUrl(undefined), false);
    assert.deepEqual(parsePostgresUrl('postgres://u:p@h:5433/db?schema=tl_a&sslmode=disable'), {
      connectionString: 'postgres://u:p@h:5433/db?sslmode=disable',
      schema: 'tl_a',
    });
    assert.deepEqual(parsePostgresUrl('postgres://h/db?options=-c%20statement_timeout%3D5000'), {
      connectionString: 'postgres://h/db',
      options: '-c statement_timeout=5000',
    });
    assert.throws(() => parsePostgresUrl('postgres://[bad'), /db/);
  });

  it('classifies driver errors', () => {
    assert.equal(classifySqliteError({ code: 'SQLITE_CONSTRAINT_UNIQUE' }), 'unique');
    assert.equal(classifySqliteError({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }), 'unique');
    assert.equal(classifySqliteError({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }), 'foreign_key');
    assert.equal(classifySqliteError(Object.assign(new Error('FOREIGN KEY constraint failed'), { code: 'SQLITE_CONSTRAINT_TRIGGER' })), 'foreign_key');
    assert.equal(classifySqliteError({ code: 'SQLITE_BUSY_SNAPSHOT' }), 'busy');
    assert.equal(classifySqliteError({ code: 'SQLITE_CONSTRAINT_CHECK' }), undefined);
    assert.equal(classifySqliteError(new Error('x')), undefined);
    assert.equal(classifyPostgresError({ code: '23505' }), 'unique');
    assert.equal(classifyPostgresError({ code: '23503' }), 'foreign_key');
    assert.equal(classifyPostgresError({ code: '40P01' }), 'busy');
    assert.equal(classifyPostgresError({ code: 'ECONNREFUSED' }), 'unavailable');
    assert.equal(classifyPostgresError({ code: '57P01' }), 'unavailable');
    assert.equal(classifyPostgresError({ code: '42P01' }), undefined);
    assert.equal(classifyPostgresError(null), undefined);
  });

  it('snake_case columns are unique and cover the catalog', () => {
    assert.equal(snakeCase('blockMediaIn180Ringing'), 'block_media_in180_ringing');
    assert.equal(snakeCase('customPAssertedIdFormat'), 'custom_p_asserted_id_format');
    assert.equal(new Set(SETTING_COLUMNS).size, CONNECTION_SETTING_KEYS.length);
  });

  it('toIso normalises timestamps and rejects garbage', () => {
    assert.equal(toIso('2025-01-01T01:00:00+01:00', 'x'), '2025-01-01T00:00:00.000Z');
    assert.equal(toIso(new Date(0), 'x'), '1970-01-01T00:00:00.000Z');
    assert.throws(() => toIso('yesterday', 'when'), /when/);
  });

  it('object and array row decoders agree with the encoder', () => {
    const input = { ...conn('acme', 'sip*@h.example'), ...everyFieldNonDefault() };
    const row: Record<string, unknown> = {
      ...encodeConnection(input, (b) => (b ? 1 : 0)),
      id: 7,
      created_at: '2025-01-01T00:00:00.000Z',
      last_modified: new Date('2025-01-02T00:00:00.000Z'),
    };
    const expected = { ...input, id: 7, createdAt: '2025-01-01T00:00:00.000Z', lastModified: '2025-01-02T00:00:00.000Z' };
    assert.deepEqual(decodeConnection(row), expected);
    const columns = Object.keys(row).reverse();
    assert.deepEqual(compileConnectionDecoder(columns)(columns.map((c) => row[c])), expected);
    const pgRow = { ...encodeConnection(input, (b) => b), id: '7', created_at: row.created_at, last_modified: row.last_modified };
    assert.deepEqual(decodeConnection(pgRow), expected);
    assert.throws(() => compileConnectionDecoder(['id']), /lack column/);
    assert.throws(() => encodeConnection({ ...input, pcmuOnly: 'yes' as unknown as boolean }, (b) => b), /pcmuOnly/);
    assert.throws(() => encodeConnection({ ...input, maxCallsOrig: 1.5 }, (b) => b), /maxCallsOrig/);
    assert.throws(() => encodeConnection({ ...input, minimumCallDurationSeconds: null as unknown as number }, (b) => b), /minimumCallDurationSeconds/);
  });

  it('the compiled connection encoder matches the generic one, values and errors', () => {
    const bool = (b: boolean) => (b ? 1 : 0);
    const base = conn('acme', 'sip*@h.example');
    const inputs = [base, { ...base, ...everyFieldNonDefault() }, conn('*', 'sip*@carrier.example', { maxCallsOrig: 0 })];
    for (const input of inputs) {
      const compiled = encodeConnection(input, bool);
      assert.deepEqual(compiled, encodeConnectionGeneric(input, bool));
      assert.deepEqual(Object.keys(compiled), Object.keys(encodeConnectionGeneric(input, bool)), 'same columns, same order');
    }
    const errorOf = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        return `${(err as Error).constructor.name}: ${(err as Error).message}`;
      }
      return 'no error';
    };
    const bad: Record<string, unknown>[] = [
      { domain: '' },
      { domain: 7 },
      { origMatchPattern: '' },
      { pcmuOnly: 'yes' },
      { maxCallsOrig: 1.5 },
      { maxCallsOrig: '3' },
      { minimumCallDurationSeconds: null },
      { description: 5 },
      { transport: undefined },
      { description: 5, pcmuOnly: 'yes' },
      { origMatchPattern: '', pcmuOnly: 'yes' },
    ];
    for (const patch of bad) {
      const input = { ...base, ...patch } as never;
      const expected = errorOf(() => encodeConnectionGeneric(input, bool));
      assert.notEqual(expected, 'no error', JSON.stringify(patch));
      assert.equal(errorOf(() => encodeConnection(input, bool)), expected, JSON.stringify(patch));
    }
  });

  it('PreparedQuery substitutes named placeholders and keeps constants', () => {
    const db = new Kysely<{ t: { a: string; b: number; c: string } }>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
    });
    const q = new PreparedQuery(
      db.selectFrom('t').selectAll().where('a', '=', param('a')).where('c', '=', 'const').where('b', '>', param<number>('b')).compile(),
      ['a', 'b'],
    );
    assert.equal(q.sql, 'select * from "t" where "a" = ? and "c" = ? and "b" > ?');
    assert.deepEqual(q.bind({ a: 'x', b: 3 }).parameters, ['x', 'const', 3]);
    assert.throws(() => new PreparedQuery(db.selectFrom('t').selectAll().compile(), ['a']), /unused/);
    void db.destroy();
  });
});
