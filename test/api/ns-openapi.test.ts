/**
 * trunkline's own OpenAPI 3.1 document (GET /ns-api/openapi.json): generated from the schemas that validate
 * requests, it compiles as JSON Schema 2020-12, it is structurally sound (every $ref resolves, path parameters
 * match their templates), it documents exactly the routes fastify registered under /ns-api/v2, and it agrees
 * with what the API does.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { pino } from 'pino';
import { netsapiensDialect } from '../../src/api/netsapiens/dialect.js';
import * as schemas from '../../src/api/netsapiens/schemas.js';
import { buildApiServer } from '../../src/api/server.js';
import type { ApiDialect } from '../../src/api/shared/dialect.js';
import type { CallRecord } from '../../src/model/index.js';
import { permissionId } from '../../src/model/dialplan/index.js';
import { openStore } from '../../src/store/open-store.js';
import { createNsApp, type NsApp } from '../support/ns-app.js';
import { seg } from '../support/ns-client.js';
import { tempDir } from '../support/trunkline.js';

const DOC_ID = 'https://trunkline.invalid/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `/domains/{domain}/x/{id}` and `/domains/:domain/x/:id` → `/domains/{}/x/{}`. */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}').replace(/:[^/]+/g, '{}');

/** Every route the NetSapiens dialect registers, as fastify reports them to an onRoute hook. */
async function registeredRoutes(): Promise<Array<{ method: string; url: string }>> {
  const inner = netsapiensDialect();
  const routes: Array<{ method: string; url: string }> = [];
  const spy: ApiDialect = {
    ...inner,
    async register(app, ctx) {
      // Added before any route, in the dialect's root scope: child scopes (the authenticated one) inherit it.
      app.addHook('onRoute', (r) => {
        for (const method of ([] as string[]).concat(r.method)) routes.push({ method, url: r.url });
      });
      await inner.register(app, ctx);
    },
  };
  const dataDir = tempDir('trunkline-openapi-');
  const store = await openStore({ data: dataDir });
  const api = await buildApiServer({ store, logger: pino({ level: 'silent' }), version: 'test', dialects: [spy] });
  await api.app.ready();
  await api.app.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  return routes;
}

/** Every `$ref` in a JSON value, with where it was found. */
function refsIn(value: unknown, at = '#', out: Array<{ at: string; ref: string }> = []): Array<{ at: string; ref: string }> {
  if (Array.isArray(value)) value.forEach((v, i) => refsIn(v, `${at}/${i}`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else refsIn(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const CDR_ANSWERED: CallRecord = {
  id: '00000000-0000-4000-8000-000000000001',
  domain: 'oa.example',
  origConnectionId: 1,
  termConnectionId: 2,
  termDomain: '*',
  orig: { callId: 'orig-1', requestUri: 'sip:100@edge', fromUri: 'sip:+15550001@x', toUri: 'sip:100@edge', ip: '192.0.2.1' },
  term: { callId: 'term-1', requestUri: 'sip:+1100@carrier', fromUri: 'sip:a@trunkline', toUri: 'sip:+1100@carrier', ip: '198.51.100.2' },
  startedAt: '2026-01-01T00:00:01.000Z',
  ringingAt: '2026-01-01T00:00:01.500Z',
  answeredAt: '2026-01-01T00:00:02.000Z',
  endedAt: '2026-01-01T00:01:01.000Z',
  durationSeconds: 60,
  talkSeconds: 59,
  disposition: 'answered',
  status: 200,
  reason: 'BYE from caller',
  endedBy: 'caller',
};
const CDR_NEVER_LEFT: CallRecord = {
  ...CDR_ANSWERED,
  id: '00000000-0000-4000-8000-000000000002',
  origConnectionId: null,
  termConnectionId: null,
  termDomain: null,
  orig: { ...CDR_ANSWERED.orig, callId: 'orig-2', fromUri: 'sip:anonymous@x' },
  term: null,
  startedAt: '2026-01-01T00:02:00.000Z',
  ringingAt: null,
  answeredAt: null,
  endedAt: '2026-01-01T00:02:00.000Z',
  durationSeconds: 0,
  talkSeconds: 0,
  disposition: 'rejected',
  status: 403,
  reason: 'dial policy',
  endedBy: 'edge',
};

describe('trunkline OpenAPI document (NetSapiens dialect)', () => {
  let t: NsApp;
  let doc: any;
  let ajv: Ajv2020;
  before(async () => {
    t = await createNsApp();
    const r = await t.su.get('/ns-api/openapi.json', { key: null, noContract: true });
    assert.equal(r.status, 200);
    doc = r.body;
    ajv = new Ajv2020({ strict: false });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: DOC_ID, components: doc.components });
  });
  after(() => t.close());
  const v = (name: string) => ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`)!;
  /** Compile a schema found anywhere in the document, its local $refs pointing into the document. */
  const compileInDoc = (schema: unknown): ValidateFunction =>
    ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)) as object);
  const operations = () =>
    Object.entries<any>(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => m in item).map((m) => ({ path, method: m, op: item[m] as any, item })),
    );
  /** The request body schema the document gives for one operation, compiled. */
  const bodyOf = (method: string, path: string) => compileInDoc(doc.paths[path][method].requestBody.content['application/json'].schema);

  it('is OpenAPI 3.1 and needs no key', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, 'test');
    assert.equal(typeof doc.info.title, 'string');
    assert.deepEqual(doc.servers, [{ url: '/ns-api/v2' }]);
  });

  it('carries the very schemas the API validates with (and those generated from the model catalogs)', () => {
    const expected: Record<string, unknown> = {
      ConnectionCreate: schemas.connectionCreateSchema,
      ConnectionUpdate: schemas.connectionUpdateSchema,
      Connection: schemas.connectionSchema,
      DomainCreate: schemas.domainCreateSchema,
      ApiKeyCreate: schemas.apiKeyCreateSchema,
      DialPlanCreate: schemas.dialPlanCreateSchema,
      DialPlanUpdate: schemas.dialPlanUpdateSchema,
      DialPlan: schemas.dialPlanSchema,
      DialRuleCreate: schemas.dialRuleCreateSchema,
      DialRuleUpdate: schemas.dialRuleUpdateSchema,
      DialRule: schemas.dialRuleSchema,
      DialPolicyCreate: schemas.dialPolicyCreateSchema,
      DialPolicyUpdate: schemas.dialPolicyUpdateSchema,
      DialPolicy: schemas.dialPolicySchema,
      PermissionCreate: schemas.permissionCreateSchema,
      PermissionUpdate: schemas.permissionUpdateSchema,
      Permission: schemas.permissionSchema,
      Cdr: schemas.cdrSchema,
      CdrCount: schemas.cdrCountSchema,
    };
    for (const [name, schema] of Object.entries(expected)) assert.deepEqual(doc.components.schemas[name], schema, name);
    for (const name of Object.keys(doc.components.schemas)) assert.ok(v(name), `${name} compiles`);
  });

  it('is structurally sound: every $ref resolves, path parameters match their templates, every operation answers', () => {
    const refs = refsIn(doc);
    assert.ok(refs.length > 50, `${refs.length} $refs`);
    for (const { at, ref } of refs) assert.notEqual(resolvePointer(doc, ref), undefined, `${at}: $ref ${ref} does not resolve`);

    const tags = new Set((doc.tags ?? []).map((x: { name: string }) => x.name));
    const operationIds = new Set<string>();
    for (const { path, method, op, item } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.match(path, /^\//, where);
      assert.equal(typeof op.summary, 'string', `${where}: summary`);
      assert.ok(op.summary.length > 0, `${where}: summary`);
      for (const tag of op.tags ?? []) assert.ok(tags.has(tag), `${where}: tag ${tag} is declared`);
      if (op.operationId !== undefined) {
        assert.ok(!operationIds.has(op.operationId), `${where}: operationId ${op.operationId} is unique`);
        operationIds.add(op.operationId);
      }
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const seen = new Set<string>();
      for (const p of params) {
        assert.equal(typeof p.name, 'string', `${where}: parameter name`);
        assert.ok(['path', 'query', 'header', 'cookie'].includes(p.in), `${where}: ${p.name} in ${p.in}`);
        assert.ok(!seen.has(`${p.in}:${p.name}`), `${where}: ${p.in} parameter ${p.name} is listed once`);
        seen.add(`${p.in}:${p.name}`);
        assert.ok(p.schema !== undefined, `${where}: ${p.name} has a schema`);
        compileInDoc(p.schema);
        if (p.in === 'path') assert.equal(p.required, true, `${where}: path parameter ${p.name} is required`);
      }
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
      assert.deepEqual(declared, inTemplate, `${where}: path parameters`);
      if (op.requestBody !== undefined) {
        assert.ok(op.requestBody.content?.['application/json']?.schema, `${where}: request body schema`);
        compileInDoc(op.requestBody.content['application/json'].schema);
      }
      const responses = Object.entries<any>(op.responses ?? {});
      assert.ok(responses.length > 0, `${where}: responses`);
      assert.ok(responses.some(([status]) => /^2\d\d$/.test(status)), `${where}: a success response`);
      for (const [status, res] of responses) {
        assert.match(status, /^([1-5]\d\d|[1-5]XX|default)$/, `${where}: status ${status}`);
        assert.equal(typeof res.description, 'string', `${where} ${status}: description`);
        for (const media of Object.values<any>(res.content ?? {})) compileInDoc(media.schema);
      }
    }
    // No two templates that only differ in parameter names (OpenAPI: they would be the same path).
    const shapes = Object.keys(doc.paths).map(shape);
    assert.equal(new Set(shapes).size, shapes.length, 'paths are distinct');
  });

  it('documents every route fastify registered under /ns-api/v2, and no route that is not registered', async () => {
    const routes = await registeredRoutes();
    const v2 = routes.filter((r) => r.url.startsWith('/ns-api/v2/'));
    assert.ok(v2.length > 50, `${v2.length} routes seen by the onRoute hook`);
    // fastify adds a HEAD route for every GET; the document lists the GET.
    const gets = new Set(v2.filter((r) => r.method === 'GET').map((r) => r.url));
    for (const r of v2.filter((x) => x.method === 'HEAD')) assert.ok(gets.has(r.url), `HEAD ${r.url} mirrors a GET`);
    const registered = new Set(v2.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${shape(r.url.slice('/ns-api/v2'.length))}`));
    const documented = new Set(operations().map(({ method, path }) => `${method.toUpperCase()} ${shape(path)}`));
    const undocumented = [...registered].filter((x) => !documented.has(x));
    assert.deepEqual(undocumented, [], 'routes missing from the OpenAPI document');
    const unregistered = [...documented].filter((x) => !registered.has(x));
    assert.deepEqual(unregistered, [], 'documented operations that are not routes');
    // The spied server is the one the tests use: every route is on the shared test app too.
    for (const r of v2) assert.ok(t.api.app.hasRoute({ method: r.method as 'GET', url: r.url }), `${r.method} ${r.url} on the test app`);
    assert.equal(registered.size, 56, `${registered.size} operations`);
  });

  it('every documented operation answers on the server (no 404 "No such endpoint")', async () => {
    let n = 0;
    for (const { path, method } of operations()) {
      const url = `/ns-api/v2${path.replace(/\{[^}]+\}/g, 'doc-probe')}`;
      const r = await t.su.request(method.toUpperCase(), url, { noContract: true, ...(method === 'post' || method === 'put' ? { body: {} } : {}) });
      assert.doesNotMatch(String(r.body?.message ?? ''), /No such endpoint/, `${method} ${path}`);
      n++;
    }
    assert.equal(n, 56, `${n} operations documented`);
  });

  it('what the document accepts, the API accepts; what it refuses, the API refuses: connections', async () => {
    await t.domain('oa.example');
    const create = v('ConnectionCreate');
    const samples: Array<[Record<string, unknown>, boolean]> = [
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa1.example', 'limits-max-active-calls-total': '0' }, true],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa2.example', 'limits-max-active-calls-total': 0, 'connection-pcmu-only-enabled': 'yes' }, true],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa3.example', 'connection-sip-transport-protocol': 'tls' }, false],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa4.example', 'not-a-field': 'x' }, false],
      [{ domain: 'oa.example', 'connection-orig-match-pattern': 'sip*@oa5.example', 'minimum-call-duration-seconds': 'abc' }, false],
      [{ domain: 'oa.example' }, false],
    ];
    for (const [body, ok] of samples) {
      assert.equal(create(body), ok, JSON.stringify(body));
      const r = await t.su.post('/connections', body);
      assert.equal(r.status, ok ? 202 : 400, JSON.stringify(body));
    }
  });

  /** Send each sample; the document's request schema and the API must agree (202 or 400). */
  async function agree(method: 'post' | 'put', docPath: string, url: (i: number) => string, samples: Array<[Record<string, unknown>, boolean]>) {
    const validate = bodyOf(method, docPath);
    for (const [i, [body, ok]] of samples.entries()) {
      assert.equal(validate(body), ok, `document, ${method.toUpperCase()} ${docPath}: ${JSON.stringify(body)} ${JSON.stringify(validate.errors)}`);
      const r = await t.su.request(method.toUpperCase(), url(i), { body });
      assert.equal(r.status, ok ? 202 : 400, `API, ${method.toUpperCase()} ${url(i)}: ${JSON.stringify(body)} → ${r.raw}`);
    }
  }

  it('what the document accepts, the API accepts; what it refuses, the API refuses: dial plans and dial rules', async () => {
    await agree('post', '/dialplans', () => '/dialplans', [
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 'p1', 'dial-rule-description': 'One', synchronous: 'yes' }, true],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 2, 'dial-rule-description': 2, dialplan_id: 99 }, true],
      [{ 'dial-rule-dial-plan': 'p3', 'dial-rule-description': 'no domain' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 'p4' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': '', 'dial-rule-description': 'x' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': ' p5', 'dial-rule-description': 'x' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 'a/b', 'dial-rule-description': 'x' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 'p6', 'dial-rule-description': 'x', colour: 'red' }, false],
      [{ domain: 5, 'dial-rule-dial-plan': 'p7', 'dial-rule-description': 'x' }, false],
      [{ domain: 'oa.example', 'dial-rule-dial-plan': 'p8', 'dial-rule-description': 'bell\u0007' }, false],
    ]);
    await agree('post', '/domains/{domain}/dialplans', () => '/domains/oa.example/dialplans', [
      [{ 'dial-rule-dial-plan': 'p9', 'dial-rule-description': 'in the path' }, true],
      [{ 'dial-rule-dial-plan': 'p10', 'dial-rule-description': 'x', domain: 'oa.example' }, true],
      [{ 'dial-rule-description': 'no name' }, false],
    ]);
    await agree('put', '/domains/{domain}/dialplans/{dialplan}', () => '/domains/oa.example/dialplans/p1', [
      [{ 'dial-rule-description': 'changed' }, true],
      [{ 'dial-rule-description': 7, 'dial-rule-dial-plan': 'p1', domain: 'oa.example', dialplan_id: 1 }, true],
      [{ 'dial-rule-dial-plan': 1 }, false],
      [{ 'dial-rule-description': 'x'.repeat(1025) }, false],
      [{ unknown: 'x' }, false],
    ]);

    const rules = '/domains/oa.example/dialplans/p1/dialrules';
    const to = (i: number) => `sip:${1000 + i}*@*`;
    await agree('post', '/domains/{domain}/dialplans/{dialplan}/dialrules', () => rules, [
      [{ 'dial-rule-matching-to-uri': to(0), 'dial-rule-translation-destination-user': '[*]' }, true],
      [{ 'dail-rule-matching-to-uri': to(1), 'dial-rule-translation-destination-user': '1[*]', responder: 'sip:start@to-connection', enable: 'no', synchronous: 'yes', dialrule: 'x' }, true],
      [{ 'dial-rule-matching-to-uri': 6110, 'dial-rule-translation-destination-user': 6110, 'dial-rule-application': 'to-connection' }, true],
      [
        {
          'dial-rule-matching-to-uri': to(3),
          'dial-rule-matching-from-uri': 'sip:+1555*@*',
          'dial-rule-matching-day-of-week': '[1-5]',
          'dial-rule-matching-start-date': '2026-01-01',
          'dial-rule-matching-end-date': '2026-12-31',
          'dial-rule-matching-start-time': '08:00',
          'dial-rule-matching-end-time': '17:59',
          enabled: 'yes',
          'dial-rule-translation-destination-scheme': 'sip:',
          'dial-rule-translation-destination-user': '<OwnCidNmbr>',
          'dial-rule-translation-source-name': 'Office [*]',
          domain: 'oa.example',
          'dial-rule-dial-plan': 'p1',
          'dial-rule-description': 'office hours',
        },
        true,
      ],
      [{ 'dial-rule-translation-destination-user': '[*]' }, false],
      [{ 'dial-rule-matching-to-uri': to(4) }, false],
      [{ 'dial-rule-matching-to-uri': '', 'dial-rule-translation-destination-user': '[*]' }, false],
      [{ 'dial-rule-matching-to-uri': 'sip:1 2@*', 'dial-rule-translation-destination-user': '[*]' }, false],
      [{ 'dial-rule-matching-to-uri': to(5), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-application': 'to-nowhere' }, false],
      [{ 'dial-rule-matching-to-uri': to(6), 'dial-rule-translation-destination-user': '[*]', enabled: 'maybe' }, false],
      [{ 'dial-rule-matching-to-uri': to(7), 'dial-rule-translation-destination-user': '[*]', enable: 'maybe' }, false],
      [{ 'dial-rule-matching-to-uri': to(8), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-matching-start-time': '24:00' }, false],
      [{ 'dial-rule-matching-to-uri': to(9), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-matching-start-date': 20260101 }, false],
      [{ 'dial-rule-matching-to-uri': to(10), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-matching-day-of-week': '7' }, false],
      [{ 'dial-rule-matching-to-uri': to(11), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-translation-source-scheme': 'http:' }, false],
      [{ 'dial-rule-matching-to-uri': to(12), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-parameter': 'x'.repeat(257) }, false],
      [{ 'dial-rule-matching-to-uri': to(13), 'dial-rule-translation-destination-user': '[*]', 'dial-rule-colour': 'red' }, false],
      [{ 'dial-rule-matching-to-uri': to(14), 'dial-rule-translation-destination-user': '[*]', domain: 5 }, false],
    ]);
    const rule = `${rules}/${seg(to(0))}`;
    await agree('put', '/domains/{domain}/dialplans/{dialplan}/dialrules/{dialrule}', () => rule, [
      [{ 'dial-rule-description': 'changed', enabled: 'no', 'dial-rule-application': 'sip:start@to-user' }, true],
      [{ 'dial-rule-matching-to-uri': to(0), enable: 'yes', from_user: '[*]' }, true],
      [{ 'dial-rule-translation-destination-scheme': 'tel:' }, false],
      [{ enabled: true }, false],
      [{ 'dial-rule-matching-end-time': '9:00' }, false],
    ]);
  });

  it('what the document accepts, the API accepts; what it refuses, the API refuses: dial policies and permissions', async () => {
    await agree('post', '/dialpolicy', () => '/dialpolicy', [
      [{ domain: 'oa.example', dialpolicy: 'pol1', description: 'One', synchronous: 'yes' }, true],
      [{ domain: 'oa.example', dialpolicy: 2, description: 2 }, true],
      [{ dialpolicy: 'pol3', description: 'no domain' }, false],
      [{ domain: 'oa.example', dialpolicy: 'pol4' }, false],
      [{ domain: 'oa.example', dialpolicy: 'a/b', description: 'x' }, false],
      [{ domain: 'oa.example', dialpolicy: 'pol5', description: 'x', colour: 'red' }, false],
    ]);
    await agree('post', '/domains/{domain}/dialpolicy', () => '/domains/oa.example/dialpolicy', [
      [{ dialpolicy: 'pol6', description: 'in the path' }, true],
      [{ dialpolicy: 'pol7 ', description: 'x' }, false],
    ]);
    await agree('put', '/domains/{domain}/dialpolicy/{policy}', () => '/domains/oa.example/dialpolicy/pol1', [
      [{ description: 'changed', dialpolicy: 'pol1', domain: 'oa.example' }, true],
      [{ description: 'x'.repeat(1025) }, false],
      [{ dialpolicy: 1 }, false],
    ]);
    const perms = '/domains/oa.example/dialpolicy/pol1/permission';
    await agree('post', '/domains/{domain}/dialpolicy/{policy}/permission', () => perms, [
      [{ 'permission-match': '*', 'permission-mode': 'permit', 'permission-reason': 'default', synchronous: 'yes' }, true],
      [{ 'permission-match': 1900, 'permission-mode': 'deny', 'permission-reason': 3, 'permission-id': 'x', 'created-datetime': 'x' }, true],
      [{ 'permission-match': 'sip:1800*@*', 'permission-mode': 'maybe', 'permission-reason': 'x' }, false],
      [{ 'permission-match': 'sip:1800*@*', 'permission-mode': 'deny' }, false],
      [{ 'permission-match': '', 'permission-mode': 'deny', 'permission-reason': 'x' }, false],
      [{ 'permission-match': '<1800>', 'permission-mode': 'deny', 'permission-reason': 'x' }, false],
      [{ 'permission-match': '1800*', 'permission-mode': 'deny', 'permission-reason': 'x', dialpolicy: 3 }, false],
    ]);
    await agree('put', '/domains/{domain}/dialpolicy/{policy}/permission/{id}', () => `${perms}/${seg(permissionId('*'))}`, [
      [{ 'permission-mode': 'deny', 'permission-reason': 'closed' }, true],
      [{ 'permission-match': '*', 'permission-reason': 7 }, true],
      [{ 'permission-mode': 'allow' }, false],
      [{ 'permission-match': 5 }, false],
    ]);
  });

  it("responses match the document's own response schemas", async () => {
    const [c] = (await t.su.get(`/domains/oa.example/connections/${seg('sip*@oa1.example')}`)).body;
    assert.ok(v('Connection')(c), JSON.stringify(v('Connection').errors));
    assert.ok(v('Domain')((await t.su.get('/domains/oa.example')).body));
    assert.ok(v('ApiKey')((await t.su.get('/apikeys/~')).body));
    assert.ok(v('Count')((await t.su.get('/connections/count')).body));
    assert.ok(v('Version')((await t.su.get('/version')).body));
    assert.ok(v('Accepted')((await t.su.put(`/domains/oa.example/connections/${seg('sip*@oa1.example')}`, { description: 'x' })).body));
    assert.ok(v('Error')((await t.su.get('/connections', { key: null })).body));

    const check = (name: string, value: unknown) => assert.ok(v(name)(value), `${name}: ${JSON.stringify(v(name).errors)} ${JSON.stringify(value)}`);
    const plans = (await t.su.get('/dialplans')).body;
    assert.ok(plans.length >= 2);
    for (const p of plans) check('DialPlan', p);
    check('DialPlan', (await t.su.get('/domains/oa.example/dialplans/p1')).body);
    const rules = (await t.su.get('/domains/oa.example/dialplans/p1/dialrules')).body;
    assert.ok(rules.length >= 4);
    for (const r of rules) check('DialRule', r);
    assert.ok(rules.some((r: Record<string, unknown>) => 'dial-rule-matching-start-date' in r), 'a dated rule is among them');
    check('DialRule', (await t.su.get(`/domains/oa.example/dialplans/p1/dialrules/${seg(rules[0].dialrule)}`)).body);
    check('Count', (await t.su.get('/domains/oa.example/dialplans/p1/dialrules/count')).body);
    for (const p of (await t.su.get('/dialpolicy')).body) check('DialPolicy', p);
    check('DialPolicy', (await t.su.get('/domains/oa.example/dialpolicy/pol1')).body);
    const perms = (await t.su.get('/domains/oa.example/dialpolicy/pol1/permission')).body;
    assert.equal(perms.length, 2);
    for (const p of perms) check('Permission', p);
    check('Permission', (await t.su.get(`/domains/oa.example/dialpolicy/pol1/permission/${seg(permissionId('*'))}`)).body);
  });

  it('call records: answers match the Cdr schema, which names exactly the fields answered', async () => {
    await t.store.insertCallRecords([CDR_ANSWERED, CDR_NEVER_LEFT]);
    const documented = Object.keys(doc.components.schemas.Cdr.properties).sort();
    for (const url of ['/cdrs', '/domains/oa.example/cdrs', '/cdrs?datetime-start=2026-01-01 00:00:00&datetime-end=2026-01-02T00:00:00Z&type=Inbound']) {
      const r = await t.su.get(url, { noContract: true });
      assert.equal(r.status, 200, url);
      assert.equal(r.body.length, 2, url);
      for (const cdr of r.body) {
        assert.ok(v('Cdr')(cdr), `${url}: ${JSON.stringify(v('Cdr').errors)}`);
        assert.deepEqual(Object.keys(cdr).sort(), documented, `${url}: the answered fields are the documented ones`);
      }
    }
    const one = await t.su.get('/cdrs?orig_callid=orig-2', { noContract: true });
    assert.deepEqual(one.body.map((c: Record<string, unknown>) => c.id), [CDR_NEVER_LEFT.id]);
    for (const url of ['/cdrs/count', '/domains/oa.example/cdrs/count']) {
      const r = await t.su.get(url, { noContract: true });
      assert.ok(v('CdrCount')(r.body), `${url}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, { total: 2, minutes: 0, seconds: 59 });
    }
    const bad = await t.su.get('/cdrs?datetime-start=yesterday', { noContract: true });
    assert.equal(bad.status, 400);
    assert.ok(v('Error')(bad.body));
  });
});
