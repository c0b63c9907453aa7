/**
 * End to end through the real command line and a spawned server (`node --import tsx src/cli/main.ts ...`):
 * `trunkline keys create --dialect wavix` and `trunkline users create --dialect enswitch` against the data
 * directory of a running `trunkline serve`, then real HTTP requests in both dialects and in NetSapiens.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { main, type CliIo } from '../../../src/cli/main.js';
import { API_KEY_RE, runCli, spawnTrunkline, type SpawnedTrunkline } from '../../support/trunkline.js';
import { EnswitchClient } from '../enswitch/support.js';
import { fetchSender } from '../../support/ns-client.js';
import { WavixClient, trunkBody } from './support.js';

let server: SpawnedTrunkline;

before(async () => {
  server = await spawnTrunkline();
});
after(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
});

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

/** The first-start NetSapiens key: printed just after the listening line, so under load it may come a little later. */
async function firstStartKey(s: SpawnedTrunkline): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const key = s.key ?? API_KEY_RE.exec(s.stdout())?.[1];
    if (key !== undefined) return key;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no first-start key in the server's output:\n${s.stdout()}`);
}

describe('CLI → running server, Wavix and Enswitch', () => {
  it('keys create --dialect wavix and users create --dialect enswitch give working credentials', async () => {
    const data = ['--data', server.dataDir];
    const [acme, acmeRo, other, ownerLogin, resellerLogin, badRole, noDomain, spare] = await Promise.all([
      runCli(['keys', 'create', ...data, '--dialect', 'wavix', '--domain', 'acme.example']),
      runCli(['keys', 'create', ...data, '--dialect', 'wavix', '--domain', 'ro.example', '--readonly']),
      runCli(['keys', 'create', ...data, '--dialect', 'wavix', '--domain', 'other.example']),
      runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'owner', '--password', 'owner-secret', '--role', 'System owner']),
      runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'res', '--password', 'res-secret', '--role', 'Reseller']),
      runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'x', '--password', 'x-secret', '--role', 'Janitor']),
      runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'y', '--password', 'y-secret', '--role', 'User']),
      runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'spare', '--password', 'spare-secret', '--role', 'System owner']),
    ]);
    for (const r of [acme, acmeRo, other, ownerLogin, resellerLogin, spare]) assert.equal(r.code, 0, r.stderr);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role must be one of/);
    assert.equal(noDomain.code, 2);
    assert.match(noDomain.stderr, /--domain is required for User logins/);

    const acmeKey = lastLine(acme.stdout);
    const roKey = lastLine(acmeRo.stdout);
    const otherKey = lastLine(other.stdout);
    for (const k of [acmeKey, roKey, otherKey]) assert.match(k, /^wvx_[A-Za-z0-9]{48}[0-9a-f]{8}$/, 'the key alone on the last line');
    assert.match(acmeRo.stdout, /read-only/);

    const duplicate = await runCli(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'owner', '--password', 'again-123', '--role', 'User', '--domain', 'acme.example']);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);

    const send = fetchSender(server.url);
    const wx = new WavixClient(send, acmeKey);
    const created = await wx.post('/trunks', trunkBody({ label: 'e2e trunk' }));
    assert.equal(created.status, 201, created.raw);
    const listed = await wx.get('/trunks', { appid: true });
    assert.deepEqual(
      listed.body.sip_trunks.map((s: { id: number }) => s.id),
      [created.body.id],
    );
    const otherList = await wx.withKey(otherKey).get('/trunks');
    assert.deepEqual(otherList.body.sip_trunks, [], "another account's key sees none of it");
    assert.equal((await wx.withKey(roKey).post('/trunks', trunkBody())).status, 403);
    assert.equal((await wx.withKey(roKey).get('/trunks')).status, 200);

    const en = new EnswitchClient(send, { username: 'owner', password: 'owner-secret' });
    const peer = await en.call('create', { name: 'e2e carrier', type: 'sip', destination: 'carrier.e2e.example' });
    assert.equal(peer.code, '200', peer.raw);
    assert.equal((await en.as({ username: 'res', password: 'res-secret' }).call('list')).code, '402');
    assert.equal((await en.as({ username: 'owner', password: 'nope' }).call('list')).code, '401');

    // Both records are in the store the NetSapiens API serves.
    const nsKey = await firstStartKey(server);
    const nsGet = async (path: string) => {
      const res = await fetch(`${server.url}/ns-api/v2${path}`, { headers: { authorization: `Bearer ${nsKey}` } });
      assert.equal(res.status, 200);
      return (await res.json()) as { description: string; domain: string }[];
    };
    assert.deepEqual((await nsGet('/domains/acme.example/connections')).map((c) => c.description), ['e2e trunk']);
    assert.ok((await nsGet(`/domains/${encodeURIComponent('*')}/connections`)).some((c) => c.domain === '*'));

    // users delete: the login no longer authenticates (it was never used, so no server cache holds it).
    const del = await runCli(['users', 'delete', ...data, 'spare']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await en.as({ username: 'spare', password: 'spare-secret' }).call('list')).code, '401');
  });
});

// Runs after the suite above, on the same data directory (tenant acme.example was created by its first Wavix key).
describe('CLI: the Wavix and Enswitch credential commands, usage and failures', () => {
  it('answers usage errors with exit 2, failures with exit 1, --help with exit 0 (in process, same store)', async () => {
    const data = ['--data', server.dataDir];
    const run = async (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), env: {} };
      const code = await main(argv, io);
      return { code, stdout, stderr };
    };
    const [noDomain, starDomain, usersHelp, createHelp, noDialect, wavixLogin, noUsername, noPassword, noRole, unknownTenant, unknownUser, adminLogin] = [
      await run(['keys', 'create', ...data, '--dialect', 'wavix']),
      await run(['keys', 'create', ...data, '--dialect', 'wavix', '--domain', '*']),
      await run(['users', '--help']),
      await run(['users', 'create', '--help']),
      await run(['users', 'create', ...data, '--username', 'u1', '--password', 'pw-123456', '--role', 'User']),
      await run(['users', 'create', ...data, '--dialect', 'wavix', '--username', 'u1', '--password', 'pw-123456', '--role', 'User']),
      await run(['users', 'create', ...data, '--dialect', 'enswitch', '--password', 'pw-123456', '--role', 'System owner']),
      await run(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'u1', '--role', 'System owner']),
      await run(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'u1', '--password', 'pw-123456']),
      await run(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'u1', '--password', 'pw-123456', '--role', 'Administrator', '--domain', 'nowhere.example']),
      await run(['users', 'delete', ...data, 'nobody-here']),
      await run(['users', 'create', ...data, '--dialect', 'enswitch', '--username', 'cli-admin', '--password', 'admin-secret', '--role', 'administrator', '--domain', 'acme.example']),
    ];
    for (const [r, message] of [
      [noDomain, /--domain is required/],
      [starDomain, /--domain is required/],
      [noDialect, /--dialect is required/],
      [wavixLogin, /--dialect must be one of enswitch/],
      [noUsername, /--username is required/],
      [noPassword, /--password is required/],
      [noRole, /--role is required/],
    ] as const) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    for (const r of [usersHelp, createHelp]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /trunkline users create \[--data DIR \| --db URL\] --dialect enswitch --username U --password P/);
    }
    assert.equal(unknownTenant.code, 1);
    assert.match(unknownTenant.stderr, /domain nowhere\.example does not exist/);
    assert.equal(unknownUser.code, 1);
    assert.match(unknownUser.stderr, /no login named nobody-here/);
    assert.equal(adminLogin.code, 0, adminLogin.stderr);
    assert.match(adminLogin.stdout, /role Administrator; domain acme\.example/);

    // An Administrator login authenticates but may not manage peers.
    const en = new EnswitchClient(fetchSender(server.url), { username: 'cli-admin', password: 'admin-secret' });
    const r = await en.call('list');
    assert.equal(r.code, '402');
  });
});
