/**
 * Call records in the store: one row per call, the canonical record kept whole as JSON (it is written once and
 * read back as is), with the columns that listings filter and sort on beside it. No foreign keys to
 * connections: a record outlives the connection it names.
 */
import { sql, type Kysely } from 'kysely';
import type { CallRecord, CallRecordFilter } from '../model/index.js';
import { ValidationError } from '../model/index.js';
import type { Database } from './schema.js';
import { PreparedQuery, param } from './prepared.js';
import { toIso } from './schema.js';

/** Rows per INSERT statement (SQLite's bound-variable limit; 10 columns a row). */
const INSERT_CHUNK = 400;
const MAX_LIMIT = 10_000;

function rowOf(r: CallRecord) {
  if (typeof r.id !== 'string' || r.id === '') throw new ValidationError('id', 'is required');
  return {
    id: r.id,
    domain: r.domain,
    orig_connection_id: r.origConnectionId,
    term_connection_id: r.termConnectionId,
    orig_call_id: r.orig.callId,
    term_call_id: r.term?.callId ?? null,
    started_at: toIso(r.startedAt, 'startedAt'),
    ended_at: toIso(r.endedAt, 'endedAt'),
    talk_seconds: Math.max(0, Math.floor(r.talkSeconds)),
    record: JSON.stringify(r),
  };
}

type Column = keyof ReturnType<typeof rowOf>;
/** Every column `rowOf` fills, checked both ways by the type: a column added there cannot be left out here. */
const COLUMN_SET: { readonly [K in Column]: true } = {
  id: true,
  domain: true,
  orig_connection_id: true,
  term_connection_id: true,
  orig_call_id: true,
  term_call_id: true,
  started_at: true,
  ended_at: true,
  talk_seconds: true,
  record: true,
};
const COLUMNS = Object.keys(COLUMN_SET) as Column[];
const oneRowInserts = new WeakMap<Kysely<Database>, PreparedQuery<Column>>();

/** The single-row INSERT, compiled once per database, for a backend's bulk writer. */
function oneRowInsert(db: Kysely<Database>): PreparedQuery<Column> {
  let q = oneRowInserts.get(db);
  if (q === undefined) {
    const values = Object.fromEntries(COLUMNS.map((c) => [c, param(c)])) as unknown as ReturnType<typeof rowOf>;
    q = new PreparedQuery(db.insertInto('call_records').values(values).compile(), COLUMNS);
    oneRowInserts.set(db, q);
  }
  return q;
}

/** Write a batch in one transaction: through the backend's bulk writer when it has one, else through kysely. */
export async function insertCallRecords(
  db: Kysely<Database>,
  records: readonly CallRecord[],
  bulkWrite?: (sql: string, rows: readonly (readonly unknown[])[]) => Promise<void> | undefined,
): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map(rowOf); // validate everything before writing anything
  if (bulkWrite !== undefined) {
    const q = oneRowInsert(db);
    const pending = bulkWrite(q.sql, rows.map((r) => q.bind(r).parameters));
    if (pending !== undefined) return pending;
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx.insertInto('call_records').values(rows.slice(i, i + INSERT_CHUNK)).execute();
    }
  });
}

function filtered(db: Kysely<Database>, f: CallRecordFilter) {
  let q = db.selectFrom('call_records');
  if (f.domain !== undefined) q = q.where('domain', '=', f.domain);
  if (f.domains !== undefined) q = f.domains.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('domain', 'in', [...f.domains]);
  if (f.from !== undefined) q = q.where('started_at', '>=', toIso(f.from, 'from'));
  if (f.to !== undefined) q = q.where('started_at', '<', toIso(f.to, 'to'));
  if (f.connectionId !== undefined) {
    const id = f.connectionId;
    q = q.where((eb) => eb.or([eb('orig_connection_id', '=', id), eb('term_connection_id', '=', id)]));
  }
  if (f.callId !== undefined) {
    const callId = f.callId;
    q = q.where((eb) => eb.or([eb('orig_call_id', '=', callId), eb('term_call_id', '=', callId)]));
  }
  return q;
}

export async function listCallRecords(db: Kysely<Database>, f: CallRecordFilter): Promise<CallRecord[]> {
  const rows = await filtered(db, f)
    .select('record')
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(Math.min(Math.max(f.limit ?? 100, 1), MAX_LIMIT))
    .offset(Math.max(f.start ?? 0, 0))
    .execute();
  return rows.map((r) => JSON.parse(r.record) as CallRecord);
}

export async function countCallRecords(db: Kysely<Database>, f: CallRecordFilter): Promise<{ total: number; talkSeconds: number }> {
  const row = await filtered(db, f)
    .select((eb) => [eb.fn.countAll().as('total'), eb.fn.sum<number | string | null>('talk_seconds').as('talk')])
    .executeTakeFirst();
  return { total: Number(row?.total ?? 0), talkSeconds: Number(row?.talk ?? 0) };
}
