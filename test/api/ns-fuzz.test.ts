/**
 * Bad input never crashes the NetSapiens dialect: every operation in trunkline's own OpenAPI document (so a
 * new route is covered as soon as it is documented, which ns-openapi.test.ts enforces) gets bodies that are
 * empty, of the wrong JSON type, missing each required field, with each property of the wrong type, and
 * arbitrary JSON (fast-check). NsClient fails the test on any 5xx or leaked stack trace, and checks that
 * errors keep the dialect's `{code, message}` shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildOpenApiDocument } from '../../src/api/netsapiens/openapi.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';

type Json = Record<string, any>;
const DOMAIN = 'fuzz.example';

/** Resolve `#/components/schemas/X` once (the document's own references). */
function deref(doc: Json, schema: Json | undefined): Json | undefined {
  if (schema === undefined) return undefined;
  if (typeof schema.$ref === 'string') return deref(doc, doc.components.schemas[schema.$ref.split('/').pop()!]);
  return schema;
}

/** A value of some other JSON type than the property's schema allows. */
function wrongTypeFor(schema: Json | undefined): unknown {
  const types = ([] as string[]).concat(schema?.type ?? []);
  if (!types.includes('object')) return { nested: true };
  if (!types.includes('integer') && !types.includes('number')) return 12345;
  return 'not-a-number';
}

describe('NetSapiens dialect: no operation crashes on bad input', { timeout: 120_000 }, () => {
  let t: NsApp;
  const doc = buildOpenApiDocument('test') as Json;
  const operations: Array<{ method: string; path: string; body: Json | undefined }> = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of ['post', 'put', 'delete', 'get']) {
      const op = (item as Json)[method];
      if (op === undefined) continue;
      operations.push({ method: method.toUpperCase(), path, body: deref(doc, op.requestBody?.content?.['application/json']?.schema) });
    }
  }
  // Deletes last: a DELETE /domains/{domain} would otherwise turn every later write into a plain 404.
  operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  const concrete = (path: string) =>
    path.replace(/\{domain\}/g, DOMAIN).replace(/\{[^}]+\}/g, (m) => (m.includes('pattern') ? encodeURIComponent('sip*@fuzz.example') : 'fuzz'));

  before(async () => {
    t = await createNsApp();
    await t.domain(DOMAIN);
  });
  after(async () => {
    await t?.close();
  });

  it('covers the documented operations', () => {
    assert.ok(operations.length >= 50, `only ${operations.length} operations found in the document`);
    assert.ok(operations.filter((o) => o.body !== undefined).length >= 15, 'request bodies found in the document');
  });

  it('wrong JSON types, empty bodies and each required field missing: 4xx, never 5xx', async () => {
    let sent = 0;
    for (const op of operations) {
      const url = concrete(op.path);
      if (op.method === 'GET' || op.method === 'DELETE') {
        const r = await t.su.request(op.method, `${url}?start=-x&limit=abc&datetime-start=yesterday`, { noContract: true });
        assert.ok(r.status < 500);
        sent++;
        continue;
      }
      for (const raw of ['', 'null', '[]', '"text"', '42', '{', '{"a":']) {
        const r = await t.su.request(op.method, url, { rawBody: raw, noContract: true });
        assert.ok(r.status >= 400 && r.status < 500, `${op.method} ${url} with body ${JSON.stringify(raw)}: ${r.status}`);
        sent++;
      }
      const props = (op.body?.properties ?? {}) as Json;
      const required: string[] = op.body?.required ?? [];
      const full: Json = {};
      for (const name of required) full[name] = 'x';
      for (const name of required) {
        const body = { ...full };
        delete body[name];
        if (url.includes("dialpolicy")) console.log("MISSING", op.method, url, JSON.stringify(body));
        await t.su.request(op.method, url, { body, noContract: true });
        sent++;
      }
      for (const [name, schema] of Object.entries(props)) {
        await t.su.request(op.method, url, { body: { ...full, [name]: wrongTypeFor(deref(doc, schema as Json)) }, noContract: true });
        sent++;
      }
    }
    assert.ok(sent > 300, `sent ${sent}`);
  });

  it('arbitrary JSON bodies on every write operation (fast-check): 4xx or success, never 5xx', async () => {
    if ((await t.su.get(`/domains/${DOMAIN}`, { noContract: true })).status === 404) await t.domain(DOMAIN); // the previous test deleted it
    const writes = operations.filter((o) => o.method === 'POST' || o.method === 'PUT');
    const names = [...new Set(writes.flatMap((o) => Object.keys((o.body?.properties ?? {}) as Json)))];
    const body = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), body, async (op, b) => {
        const r = await t.su.request(op.method, concrete(op.path), { body: b, noContract: true });
        assert.ok(r.status < 500);
      }),
      { numRuns: 300 },
    );
  });
});
