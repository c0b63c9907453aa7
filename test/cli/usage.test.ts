/** CLI usage handling: exit 2 with a clear message for usage errors, 0 for help/version (in-process main()). */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { main, type CliIo } from '../../src/cli/main.js';
import { runCli, tempDir } from '../support/trunkline.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), env: {} };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('trunkline CLI usage', () => {
  const dir = tempDir('trunkline-usage-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('usage errors exit 2 and say what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage:/],
      [['frobnicate'], /unknown command: frobnicate/],
      [['keys'], /keys needs a subcommand/],
      [['keys', 'rotate'], /unknown keys subcommand: rotate/],
      [['keys', 'create', '--data', dir], /--scope is required/],
      [['keys', 'create', '--data', dir, '--scope', 'Emperor'], /--scope must be one of/],
      [['keys', 'create', '--data', dir, '--scope', 'Office Manager'], /--domain is required for Office Manager keys/],
      [['keys', 'create', '--data', dir, '--scope', 'Reseller'], /--reseller is required for Reseller keys/],
      [['keys', 'create', '--data', dir, '--scope', 'Super User', '--description', 'short'], /at least 12 characters/],
      [['keys', 'create', '--data', dir, '--scope', 'Super User', '--dialect', 'klingon'], /--dialect must be one of/],
      [['keys', 'create', '--data', dir, '--db', 'postgres://x/y', '--scope', 'Super User'], /either --data or --db/],
      [['keys', 'list', '--data', dir, '--colour'], /Unknown option '--colour'/],
      [['keys', 'revoke', '--data', dir], /needs a KEY_ID/],
      [['keys', 'revoke', '--data', dir, 'a', 'b'], /unexpected argument: b/],
      [['serve', '--http-port', 'eighty'], /--http-port must be a port number/],
      [['serve', '--sip-port', '70000'], /--sip-port must be a port number/],
      [['serve', '--tls-cert', 'cert.pem'], /--tls-cert and --tls-key go together/],
      [['serve', '--log-level', 'chatty'], /--log-level must be one of/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message, argv.join(' '));
      assert.equal(r.out, '', argv.join(' '));
    }
  });

  it('--help and --version exit 0', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /trunkline serve \[--data DIR\] \[--db URL\] \[--http-host H\] \[--http-port P\]/);
    assert.match(help.out, /trunkline keys create/);
    const v = await run(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.out, /^trunkline \d+\.\d+\.\d+/);
    assert.equal((await run(['keys', 'list', '--help'])).code, 0);
  });

  it('a failure (not a usage error) exits 1', async () => {
    const r = await run(['keys', 'list', '--db', 'mysql://nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /postgres/);
  });

  it('the real process reports the same exit codes', async () => {
    const usage = await runCli(['keys', 'create', '--data', dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--scope is required/);
    const ok = await runCli(['keys', 'create', '--data', dir, '--scope', 'Super User']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout.trim().split('\n').pop()!, /^nss_[A-Za-z0-9]{48}[0-9a-f]{8}$/);
  });
});
