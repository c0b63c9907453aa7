/**
 * `trunkline serve` as an operator starts it: the SIP edge over TLS (--tls-cert/--tls-key/--tls-port) and on
 * IPv6 (--sip-host ::1), checked by a real child process answering OPTIONS on each listener.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, spawnTrunkline } from '../support/trunkline.js';

const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

function options(transport: string, host: string, localPort: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return [
    `OPTIONS sip:ping@${h} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${h}:${localPort};branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    `From: <sip:probe@${h}>;tag=p1`,
    `To: <sip:ping@${h}>`,
    `Call-ID: ${Math.random().toString(36).slice(2)}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('SIP listeners of trunkline serve', { timeout: 60_000 }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trunkline-edge-tls-'));
    if (!haveOpenssl) return;
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('TLS: --tls-cert/--tls-key/--tls-port answer OPTIONS over TLS (certificate verified by the client)', { skip: haveOpenssl ? false : 'openssl is not installed: cannot make a test certificate' }, async () => {
    const tlsPort = await freePort();
    const t = await spawnTrunkline({ extraArgs: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--tls-port', String(tlsPort)] });
    try {
      assert.match(t.stdout(), new RegExp(`SIP edge listening on 127\\.0\\.0\\.1:\\d+ \\(UDP, TCP\\) and 127\\.0\\.0\\.1:${tlsPort} \\(TLS\\)`));
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: readFileSync(join(dir, 'cert.pem')), servername: 'localhost' }, () => {
          socket.write(options('TLS', '127.0.0.1', socket.localPort ?? 5061));
        });
        let got = '';
        socket.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('\r\n\r\n')) {
            socket.end();
            resolve(got);
          }
        });
        socket.on('error', reject);
        setTimeout(() => reject(new Error(`no answer over TLS; got ${JSON.stringify(got)}`)), 5000).unref();
      });
      assert.match(answer, /^SIP\/2\.0 200 OK/);
      assert.match(answer, /Allow: INVITE/);
    } finally {
      await t.stop();
    }
  });

  it('IPv6: --sip-host ::1 answers OPTIONS over UDP', async (t) => {
    const probe = createSocket('udp6');
    try {
      await new Promise<void>((r, j) => {
        probe.once('error', j);
        probe.bind(0, '::1', () => r());
      });
    } catch {
      probe.close();
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    const sipPort = await freePort('::1');
    const tl = await spawnTrunkline({ extraArgs: ['--sip-host', '::1', '--sip-port', String(sipPort)] });
    try {
      assert.match(tl.stdout(), new RegExp(`SIP edge listening on \\[::1\\]:${sipPort}`));
      const answer = await new Promise<string>((resolve, reject) => {
        probe.on('message', (m) => resolve(m.toString('latin1')));
        probe.send(options('UDP', '::1', probe.address().port), sipPort, '::1');
        setTimeout(() => reject(new Error('no answer over IPv6')), 5000).unref();
      });
      assert.match(answer, /^SIP\/2\.0 200 OK/);
    } finally {
      probe.close();
      await tl.stop();
    }
  });
});
