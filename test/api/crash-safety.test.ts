/**
 * Crash safety: a real `trunkline serve` process under a concurrent write load is killed with SIGKILL, then
 * restarted on the same data dir. Every POST /connections that was answered 202 must be there, complete; a
 * request that was in flight at the kill is either absent or complete — never half-written.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { NsClient, fetchSender, seg } from '../support/ns-client.js';
import { spawnTrunkline, tempDir, type SpawnedTrunkline } from '../support/trunkline.js';

const D = 'crash.example';

function bodyFor(i: number) {
  return {
    domain: D,
    'connection-orig-match-pattern': `sip*@crash-${i}.example`,
    description: `crash trunk ${i}`,
    'connection-address': `198.51.100.${(i % 250) + 1}`,
    'limits-max-active-calls-total': i,
    'connection-sip-transport-protocol': i % 2 === 0 ? 'TCP' : 'TLS',
    'connection-source-ip-checking-enabled': 'yes',
    'connection-term-match-pattern': `sip*@term-${i}.example`,
  };
}

function assertComplete(c: Record<string, unknown>, i: number): void {
  const b = bodyFor(i);
  for (const [k, v] of Object.entries(b)) assert.deepEqual(c[k], v, `connection ${i}: ${k}`);
}

describe('crash safety', () => {
  const dataDir = tempDir('trunkline-crash-');
  let server: SpawnedTrunkline | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every write acknowledged with 202 survives SIGKILL mid-load, and nothing is half-written', async () => {
    server = await spawnTrunkline({ dataDir });
    const key = server.key;
    assert.ok(key, `first-start key printed:\n${server.stdout()}`);
    const client = new NsClient(fetchSender(server.url), key);
    assert.equal((await client.post('/domains', { domain: D, reseller: 'crash-r' })).status, 202);

    const acked = new Set<number>();
    const attempted = new Set<number>();
    let next = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const i = next++;
        attempted.add(i);
        try {
          const r: Response = await fetch(`${server!.url}/ns-api/v2/connections`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(bodyFor(i)),
          });
          const text = await r.text();
          if (r.status === 202) acked.add(i);
          else assert.fail(`unexpected ${r.status} ${text}`);
        } catch (err) {
          if (!stop) throw err;
          return; // the server died under us: this request's fate is unknown
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    // Let the load run until a good number of writes are acknowledged, then kill without warning.
    const deadline = Date.now() + 20_000;
    while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    const killedWith = await server.kill();
    assert.equal(killedWith, 'SIGKILL');
    await Promise.allSettled(workers);
    assert.ok(acked.size >= 300, `acknowledged ${acked.size} writes before the kill`);

    server = await spawnTrunkline({ dataDir });
    assert.equal(server.key, undefined, 'no new first-start key on a store that has keys');
    const after = new NsClient(fetchSender(server.url), key);
    for (const i of acked) {
      const r = await after.get(`/domains/${D}/connections/${seg(`sip*@crash-${i}.example`)}`);
      assert.equal(r.status, 200, `acknowledged connection ${i} lost`);
      assertComplete(r.body[0], i);
    }
    const all = (await after.get(`/domains/${D}/connections`)).body as Array<Record<string, unknown>>;
    for (const c of all) {
      const i = Number(/crash-(\d+)\./.exec(String(c['connection-orig-match-pattern']))?.[1]);
      assert.ok(attempted.has(i), `unexpected connection ${String(c['connection-orig-match-pattern'])}`);
      assertComplete(c, i);
    }
    assert.ok(all.length >= acked.size && all.length <= attempted.size, `${all.length} stored, ${acked.size} acked, ${attempted.size} attempted`);
    assert.deepEqual((await after.get(`/connections/count?domain=${D}`)).body, { total: all.length });
    // The restarted server takes writes again.
    assert.equal((await after.post('/connections', bodyFor(1_000_000))).status, 202);
  });
});
