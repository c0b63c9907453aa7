/**
 * The real server process: the first start on an empty data dir prints a Super User key once (with a ready curl
 * command) and that key works; logs are structured JSON on stderr; SIGTERM lets an in-flight request finish,
 * closes the store and exits 0.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { NsClient, fetchSender } from '../support/ns-client.js';
import { API_KEY_RE, spawnTrunkline, tempDir, type SpawnedTrunkline } from '../support/trunkline.js';

describe('trunkline serve (process)', () => {
  const dataDir = tempDir('trunkline-proc-');
  let server: SpawnedTrunkline | undefined;
  let superKey: string | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a working Super User key once, on the first start only', async () => {
    server = await spawnTrunkline({ dataDir });
    const out = server.stdout();
    const key = server.key;
    assert.ok(key, `a key on stdout:\n${out}`);
    assert.equal(key.slice(0, 4), 'nss_');
    superKey = key;
    const lines = out.split('\n');
    assert.ok(lines.some((l) => l.trim() === key), 'the key alone on a line');
    assert.ok(
      lines.some((l) => l.trim() === `curl -H "Authorization: Bearer ${key}" ${server!.url}/ns-api/v2/connections`),
      `a ready curl command:\n${out}`,
    );
    // The printed curl works.
    const r = await fetch(`${server.url}/ns-api/v2/connections`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), []);
    // Logs are JSON lines on stderr, never the key.
    const logLines = server.stderr().split('\n').filter((l) => l.trim() !== '');
    for (const l of logLines) assert.doesNotThrow(() => JSON.parse(l), l);
    assert.equal(server.stderr().includes(key), false);

    assert.equal(await server.stop(), 0);
    server = await spawnTrunkline({ dataDir, extraArgs: ['--log-level', 'info'] });
    assert.equal(API_KEY_RE.exec(server.stdout()), null, 'no key on the second start');
    const c = new NsClient(fetchSender(server.url), key);
    assert.equal((await c.get('/connections/count')).status, 200, 'the first key still works');
  });

  it('SIGTERM finishes the in-flight request, then exits 0', async () => {
    assert.ok(server);
    assert.ok(superKey);
    const url = new URL(server.url);
    const body = JSON.stringify({ domain: 'sigterm.example', reseller: 'r' });
    // Send the headers and half the body, signal, then finish the body.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/ns-api/v2/domains', headers: { authorization: `Bearer ${superKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server!.process.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const res = await answer;
    const signalledAt = Date.now();
    assert.equal(res.status, 202, res.text);
    const code = await new Promise<number | null>((resolve) => {
      if (server!.process.exitCode !== null) resolve(server!.process.exitCode);
      else server!.process.once('exit', (c) => resolve(c));
    });
    assert.equal(code, 0);
    assert.ok(Date.now() - signalledAt < 2500, `exited ${Date.now() - signalledAt} ms after the answer`);
    assert.match(server.stderr(), /signal received: shutting down gracefully/);
    assert.match(server.stderr(), /"msg":"stopped"/);
    // The write made during shutdown is in the store.
    server = await spawnTrunkline({ dataDir });
    const c = new NsClient(fetchSender(server.url), superKey);
    assert.equal((await c.get('/domains/sigterm.example')).status, 200);
  });
});
