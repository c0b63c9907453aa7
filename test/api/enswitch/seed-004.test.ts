/**
 * The Enswitch dialect against the text of seed 004 itself (`../shared/seeds/004_*.txt`, the vendor's
 * `peers/create` page; read from there, never copied into the repository). The parameter table is parsed and
 * every row checked through the API: each parameter is known, its default is what `peers/get` answers when it
 * is not given, its type (String/Integer) is the JSON type answered, the values its description enumerates are
 * accepted (and nothing else), 0/1 flags take 0 and 1 only, and "Yes if type=..." requirements are enforced.
 *
 * When the seed is absent the suite is skipped with a message; `peers.test.ts` checks the same parameters
 * from trunkline's own table.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PEER_FIELDS } from '../../../src/api/enswitch/fields.js';
import { injectSender } from '../../support/ns-client.js';
import { createNsApp, type NsApp } from '../../support/ns-app.js';
import { REPO_ROOT } from '../../support/trunkline.js';
import { EnswitchClient, makeLogin } from './support.js';

const SEEDS_DIR = join(REPO_ROOT, '..', 'shared', 'seeds');
const SEED_FILE = existsSync(SEEDS_DIR) ? readdirSync(SEEDS_DIR).find((f) => f.startsWith('004_')) : undefined;
const SEED_SKIP: string | false =
  SEED_FILE === undefined ? `seed 004 not found in ${SEEDS_DIR}: checks against the vendor's peers/create page skipped` : false;

interface SeedRow {
  name: string;
  type: 'String' | 'Integer';
  description: string;
  required: string;
  default: string;
}

function seedRows(): SeedRow[] {
  const text = readFileSync(join(SEEDS_DIR, SEED_FILE!), 'utf8');
  const start = text.indexOf('Input parameters');
  const end = text.indexOf('Responses', start);
  assert.ok(start !== -1 && end !== -1, 'the seed has an input parameter table');
  const rows: SeedRow[] = [];
  for (const line of text.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 7 || cells[1] === 'Name' || /^-+$/.test(cells[1] ?? '')) continue;
    const [, name, type, description, required, def] = cells as [string, string, string, string, string, string];
    assert.ok(type === 'String' || type === 'Integer', `type of ${name}: ${type}`);
    rows.push({ name, type, description, required, default: def });
  }
  return rows;
}

/** The seed's "Default value" cell → what peers/get answers ("Default currency." etc. are the empty string). */
function seedDefault(row: SeedRow): string | number {
  const d = row.default;
  if (d === 'Empty string.' || /^Default [a-z ]+\.$/.test(d)) return '';
  const quoted = /^"(.*)"$/.exec(d);
  if (quoted) return quoted[1]!;
  if (/^-?\d+$/.test(d)) return Number(d);
  throw new Error(`unexpected default for ${row.name}: ${d}`);
}

/** Values a description enumerates (`"context", "dahdi", ... or "zap"`), or undefined. */
function enumerated(row: SeedRow): string[] | undefined {
  const values = [...row.description.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  return values.length >= 2 ? values : undefined;
}

const isFlag = (row: SeedRow) => row.type === 'Integer' && /^1 (?:to|if) /.test(row.description);

/** Parameters every call may carry that are not peer parameters. */
const CONTROL = ['auth_username', 'auth_password', 'validation'];

/** The least a peer of `type` needs. */
function minimal(type: string): Record<string, unknown> {
  const p: Record<string, unknown> = { name: `seed ${type}`, type };
  if (type === 'sip' || type === 'pjsip' || type === 'iax') p.destination = `${type}.seed.example`;
  if (type === 'context') p.context = 'from-seed';
  if (type === 'dahdi' || type === 'zap') p.channel_group = 3;
  return p;
}

let t: NsApp;
let owner: EnswitchClient;

before(async () => {
  t = await createNsApp();
  owner = new EnswitchClient(injectSender(t.api.app), await makeLogin(t.store, 'seed-owner', 'seed-owner-pw', 'System owner'));
});
after(async () => {
  await t.close();
});

async function created(params: Record<string, unknown>): Promise<Record<string, string | number>> {
  const r = await owner.call('create', params);
  assert.equal(r.code, '200', `${JSON.stringify(params)}: ${r.raw}`);
  const got = await owner.call('get', { id: r.data.id });
  assert.equal(got.code, '200');
  return got.data;
}

describe('Enswitch peers/* against the text of seed 004', { skip: SEED_SKIP }, () => {
  it('the seed table and trunkline know the same parameters', () => {
    const rows = seedRows();
    assert.ok(rows.length >= 30, `parsed ${rows.length} rows`);
    const seedNames = rows.map((r) => r.name).filter((n) => !CONTROL.includes(n));
    assert.deepEqual(seedNames.sort(), PEER_FIELDS.map((f) => f.wire).sort());
    for (const c of CONTROL) assert.ok(rows.some((r) => r.name === c), `the seed lists ${c}`);
  });

  it("a peer created with only what it needs answers every other parameter at the seed's default, typed as the seed says", async () => {
    const peer = await created(minimal('sip'));
    for (const row of seedRows()) {
      if (CONTROL.includes(row.name) || ['name', 'type', 'destination'].includes(row.name)) continue;
      assert.deepEqual(peer[row.name], seedDefault(row), `default of ${row.name} (seed: ${row.default})`);
    }
    for (const row of seedRows()) {
      if (CONTROL.includes(row.name)) continue;
      assert.equal(typeof peer[row.name], row.type === 'Integer' ? 'number' : 'string', `${row.name} is a${row.type === 'Integer' ? 'n Integer' : ' String'}`);
    }
  });

  it('every value a description enumerates is accepted (any case), and nothing else', async () => {
    let checked = 0;
    for (const row of seedRows()) {
      const values = enumerated(row);
      if (values === undefined) continue;
      for (const value of values) {
        const params = row.name === 'type' ? minimal(value) : { ...minimal('sip'), [row.name]: value.toUpperCase() };
        const peer = await created(params);
        assert.equal(peer[row.name], value, `${row.name}=${value}`);
        checked++;
      }
      const bad = await owner.call('create', { ...minimal('sip'), [row.name]: 'not-a-listed-value' });
      assert.equal(bad.code, '400');
      assert.equal(bad.key, row.name);
    }
    assert.ok(checked >= 10, 'type (6 values) and dtmfmode (4 values)');
  });

  it('0/1 flags take 0 and 1 and nothing else', async () => {
    const flags = seedRows().filter((r) => isFlag(r) && !CONTROL.includes(r.name));
    assert.ok(flags.length >= 6, flags.map((f) => f.name).join(','));
    for (const row of flags) {
      const d = seedDefault(row) as number;
      const peer = await created({ ...minimal('sip'), [row.name]: 1 - d });
      assert.equal(peer[row.name], 1 - d, row.name);
      for (const bad of [2, -1, 'yes']) {
        const r = await owner.call('create', { ...minimal('sip'), [row.name]: bad });
        assert.equal(r.code, '400', `${row.name}=${bad}`);
        assert.equal(r.key, row.name);
      }
    }
  });

  it('"Yes" and "Yes if type=..." requirements are enforced', async () => {
    const n = await t.store.countConnections({});
    let checked = 0;
    for (const row of seedRows()) {
      if (CONTROL.includes(row.name)) continue;
      if (row.required === 'Yes') {
        const params = minimal('sip');
        delete params[row.name];
        const r = await owner.call('create', params);
        assert.equal(r.code, '400', `${row.name} is required`);
        assert.equal(r.key, row.name);
        checked++;
      }
      for (const m of row.required.matchAll(/type=(\w+)/g)) {
        const params = minimal(m[1]!);
        delete params[row.name];
        const r = await owner.call('create', params);
        assert.equal(r.code, '400', `${row.name} is required when type=${m[1]}: ${r.raw}`);
        assert.equal(r.key, row.name);
        checked++;
      }
    }
    assert.ok(checked >= 7, 'name, type, channel_group (dahdi, zap), context, destination (iax, sip)');
    assert.equal(await t.store.countConnections({}), n);
  });

  it("the seed's example call is answered as the seed shows", async () => {
    const text = readFileSync(join(SEEDS_DIR, SEED_FILE!), 'utf8');
    const m = /http:\/\/enswitch\.example\.com(\/api\/json\/peers\/create\/\?[^\s{]+)/.exec(text);
    assert.ok(m, 'the seed has an example URL');
    await makeLogin(t.store, 'user', 'password', 'System owner');
    const res = await t.api.app.inject({ method: 'GET', url: m[1]! });
    assert.equal(res.statusCode, 200);
    const body = JSON.parse(res.body) as { responses: unknown; data: { id: number } };
    assert.deepEqual(body.responses, [{ code: '200', key: '', message: 'OK' }]);
    assert.deepEqual(Object.keys(body.data), ['id']);
  });
});
