/**
 * `trunkline keys create|list|revoke` against a running server's data dir: the new key is alone on the last line
 * of stdout and works against the API; list never shows secrets; revoke makes the key answer 401.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NsClient, fetchSender } from '../support/ns-client.js';
import { API_KEY_RE, runCli, spawnTrunkline, tempDir, type SpawnedTrunkline } from '../support/trunkline.js';

const KEY_LINE = /^ns[sdru]_[A-Za-z0-9]{48}[0-9a-f]{8}$/;

function lastLine(stdout: string): string {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines[lines.length - 1] ?? '';
}

describe('trunkline keys (CLI)', () => {
  const dataDir = tempDir('trunkline-cli-');
  let server: SpawnedTrunkline;
  let su: NsClient;
  const made: Record<string, string> = {};

  before(async () => {
    server = await spawnTrunkline({ dataDir });
    assert.ok(server.key);
    su = new NsClient(fetchSender(server.url), server.key);
    assert.equal((await su.post('/domains', { domain: 'cli.example', reseller: 'cli-r' })).status, 202);
    assert.equal((await su.post('/domains', { domain: 'other.example', reseller: 'other-r' })).status, 202);
    for (const d of ['cli.example', 'other.example']) {
      assert.equal((await su.post('/connections', { domain: d, 'connection-orig-match-pattern': `sip*@trunk.${d}` })).status, 202);
    }
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keys create prints the key alone on the last line, and it works against the API', async () => {
    const r = await runCli(['keys', 'create', '--data', dataDir, '--scope', 'Office Manager', '--domain', 'cli.example', '--description', 'office manager from the CLI']);
    assert.equal(r.code, 0, r.stderr);
    const key = lastLine(r.stdout);
    assert.match(key, KEY_LINE);
    assert.equal(key.slice(0, 4), 'nsd_');
    made.om = key;
    const om = new NsClient(fetchSender(server.url), key);
    const list = await om.get('/connections');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((c: any) => c.domain), ['cli.example']);
    assert.equal((await om.post('/connections', { domain: '~', 'connection-orig-match-pattern': 'sip*@om-cli.example' })).status, 202);
    const own = (await om.get('/apikeys/~')).body;
    assert.equal(own['user-scope'], 'Office Manager');
    assert.equal(own.reseller, 'cli-r');
    assert.equal(own.description, 'office manager from the CLI');
  });

  it('every scope, --readonly and --reseller', async () => {
    const cases: Array<[string[], string]> = [
      [['--scope', 'Super User'], 'nss_'],
      [['--scope', 'Reseller', '--reseller', 'cli-r', '--readonly'], 'nsr_'],
      [['--scope', 'Basic User', '--domain', 'cli.example'], 'nsu_'],
    ];
    for (const [args, prefix] of cases) {
      const r = await runCli(['keys', 'create', '--data', dataDir, ...args]);
      assert.equal(r.code, 0, r.stderr);
      const key = lastLine(r.stdout);
      assert.match(key, KEY_LINE);
      assert.equal(key.slice(0, 4), prefix);
      made[prefix] = key;
    }
    const ro = new NsClient(fetchSender(server.url), made.nsr_);
    assert.deepEqual((await ro.get('/connections')).body.map((c: any) => c.domain).sort(), ['cli.example', 'cli.example']);
    const w = await ro.post('/connections', { domain: 'cli.example', 'connection-orig-match-pattern': 'sip*@ro.example' });
    assert.equal(w.status, 403);
    assert.equal(w.body.message, 'This API key is read-only');
    assert.equal((await new NsClient(fetchSender(server.url), made.nss_).get('/connections/count')).body.total, 3);
  });

  it('keys list shows key-id, scope, domain, readonly and created, never the secret', async () => {
    const r = await runCli(['keys', 'list', '--data', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trim().split('\n');
    assert.match(header!, /^KEY-ID\s+DIALECT\s+SCOPE\s+DOMAIN\s+RESELLER\s+READONLY\s+CREATED/);
    for (const key of [server.key!, ...Object.values(made)]) {
      const row = rows.find((l) => l.startsWith(key.slice(0, 12)));
      assert.ok(row, `${key.slice(0, 12)} listed`);
      assert.equal(r.stdout.includes(key), false, 'no secret in the listing');
      assert.equal(r.stdout.includes(key.slice(12, 40)), false);
    }
    assert.match(rows.find((l) => l.startsWith(made.om!.slice(0, 12)))!, /Office Manager\s+cli\.example\s+cli-r\s+no\s+\d{4}-\d\d-\d\dT/);
    assert.match(rows.find((l) => l.startsWith(made.nsr_!.slice(0, 12)))!, /Reseller\s+\*\s+cli-r\s+yes/);
    const json = await runCli(['keys', 'list', '--data', dataDir, '--json']);
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.equal(parsed.length, rows.length);
    assert.ok(parsed.every((k) => !('keyHash' in k) && typeof k.keyId === 'string'));
  });

  it('keys revoke: the key then answers 401', async () => {
    const c = new NsClient(fetchSender(server.url), made.nsu_);
    assert.equal((await c.get('/connections')).status, 200); // the server caches it now
    const r = await runCli(['keys', 'revoke', '--data', dataDir, made.nsu_!.slice(0, 12)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Revoked API key nsu_/);
    // Another process revoked it: the server's positive cache (5 s) expires, then 401.
    const deadline = Date.now() + 8000;
    let status = 200;
    while (Date.now() < deadline && status !== 401) {
      status = (await c.get('/connections')).status;
      if (status !== 401) await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(status, 401);
    const again = await runCli(['keys', 'revoke', '--data', dataDir, made.nsu_!.slice(0, 12)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no API key with key-id/);
    const list = await runCli(['keys', 'list', '--data', dataDir]);
    assert.equal(list.stdout.includes(made.nsu_!.slice(0, 12)), false);
  });

  it('keys create for an unknown domain fails with exit 1', async () => {
    const r = await runCli(['keys', 'create', '--data', dataDir, '--scope', 'Basic User', '--domain', 'nope.example']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.example does not exist/);
    assert.equal(API_KEY_RE.test(r.stdout), false);
  });

  it('TRUNKLINE_DATA is the fallback for --data', async () => {
    const r = await runCli(['keys', 'list'], { TRUNKLINE_DATA: dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(server.key!.slice(0, 12)));
  });
});
