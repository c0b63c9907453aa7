/**
 * docs/errors.md lists the error catalog; this keeps the table and `ERROR_KINDS` (src/model/errors.ts) in step
 * (as fastify checks its documented error codes against its code): same kinds, same order, same statuses and
 * messages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_KINDS } from '../../src/model/index.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

function catalogRows(markdown: string): Array<{ kind: string; http: number; sip: number; message: string }> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Catalog'));
  assert.ok(section, 'docs/errors.md has a "## Catalog" section');
  const lines = section.split('\n').filter((l) => l.trim().startsWith('|'));
  const [header, separator, ...rows] = lines;
  assert.deepEqual(
    header?.split('|').slice(1, -1).map((c) => c.trim()),
    ['kind', 'HTTP status', 'SIP status', 'message'],
  );
  assert.match(separator ?? '', /^\|(\s*-+\s*\|)+$/);
  return rows.map((row) => {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, row);
    const [kind, http, sip, message] = cells as [string, string, string, string];
    assert.match(kind, /^`[A-Z_]+`$/, row);
    assert.match(http, /^\d{3}$/, row);
    assert.match(sip, /^\d{3}$/, row);
    return { kind: kind.slice(1, -1), http: Number(http), sip: Number(sip), message };
  });
}

describe('docs/errors.md', () => {
  it('lists exactly the kinds of ERROR_KINDS, in order, with the same statuses and messages', () => {
    const rows = catalogRows(doc);
    assert.deepEqual(
      rows,
      Object.entries(ERROR_KINDS).map(([kind, e]) => ({ kind, http: e.http, sip: e.sip, message: e.message })),
    );
  });

  it('documents no kind twice', () => {
    const kinds = catalogRows(doc).map((r) => r.kind);
    assert.equal(new Set(kinds).size, kinds.length);
  });
});
