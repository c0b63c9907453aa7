/** Digest authentication: RFC 2617 / RFC 7616 vectors, server verification, replay and staleness. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DigestClient,
  DigestServer,
  buildAuthorization,
  computeDigestResponse,
  computeHA1,
  digestHash,
  parseChallenge,
  parseCredentials,
  safeEqualHex,
  type DigestCredentials,
} from '../../src/sip/auth/digest.js';
import { NonceStore } from '../../src/sip/auth/nonce-store.js';
import { createRequest } from '../../src/sip/message/builders.js';
import type { SipRequest } from '../../src/sip/message/message.js';
import { parseRequest } from '../../src/sip/message/parser.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';

describe('digest computations (published vectors)', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ha1 = computeHA1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const r = computeDigestResponse({ algorithm: 'MD5', ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' });
    assert.equal(r, '6629fae49393a05397450978507c4ef1');
  });

  const v7616 = { nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', realm: 'http-auth@example.org' };
  it('RFC 7616 §3.9.1 MD5', () => {
    const ha1 = computeHA1('MD5', 'Mufasa', v7616.realm, 'Circle of Life');
    assert.equal(computeDigestResponse({ algorithm: 'MD5', ha1, nonce: v7616.nonce, method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: v7616.cnonce }), '8ca523f5e9506fed4657c9700eebdbec');
  });
  it('RFC 7616 §3.9.1 SHA-256', () => {
    const ha1 = computeHA1('SHA-256', 'Mufasa', v7616.realm, 'Circle of Life');
    assert.equal(
      computeDigestResponse({ algorithm: 'SHA-256', ha1, nonce: v7616.nonce, method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: v7616.cnonce }),
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('client side reproduces the RFC 7616 Authorization from the challenge', () => {
    const ch = parseChallenge(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    )!;
    assert.equal(ch.algorithm, 'SHA-256');
    assert.deepEqual(ch.qop, ['auth', 'auth-int']);
    const header = buildAuthorization(ch, { username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: v7616.cnonce, nc: 1 });
    const c = parseCredentials(header);
    assert.equal(c.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(c.nc, '00000001');
    assert.equal(c.qop, 'auth');
    assert.equal(c.opaque, 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
    assert.match(header, /qop=auth, nc=00000001/, 'qop and nc are unquoted');
  });

  it('-sess algorithms and helpers', () => {
    const base = digestHash('MD5', 'u:r:p');
    assert.equal(computeHA1('MD5-sess', 'u', 'r', 'p', 'n', 'c'), digestHash('MD5', `${base}:n:c`));
    assert.ok(safeEqualHex('ABCDEF', 'abcdef'));
    assert.ok(!safeEqualHex('abc', 'abcd'));
    assert.equal(parseChallenge('Basic realm="x"'), undefined);
    assert.throws(() => parseCredentials('Digest username="a", realm="unterminated'));
  });
});

function register(): SipRequest {
  const r = createRequest({ method: 'REGISTER', uri: 'sip:example.com', from: '<sip:alice@example.com>', to: '<sip:alice@example.com>', callId: 'reg-1', cseq: 1 });
  r.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1');
  // Parse back as a wire message, like the server would see it.
  return parseRequest(serializeMessage(r));
}

/** Authorization answer for a specific challenge value of `res`. */
function answer(req: SipRequest, challengeValue: string, password: string, nc = 1, header = 'Authorization'): SipRequest {
  const retry = req.clone();
  retry.headers.set(header, buildAuthorization(parseChallenge(challengeValue)!, { username: 'alice', password, method: req.method, uri: req.uriText, nc }));
  return retry;
}

describe('DigestServer', () => {
  it('challenges with SHA-256 then MD5, qop="auth" and opaque; a DigestClient answer verifies', () => {
    const server = new DigestServer({ realm: 'example.com' });
    const req = register();
    const challenge = server.challenge(req);
    assert.equal(challenge.status, 401);
    const values = challenge.headers.getAll('www-authenticate');
    assert.equal(values.length, 2);
    assert.match(values[0]!, /algorithm=SHA-256/);
    assert.match(values[1]!, /algorithm=MD5/);
    assert.match(values[0]!, /qop="auth"/);
    assert.match(values[0]!, /opaque="/);

    const client = new DigestClient({ username: 'alice', password: 's3cret' });
    const retry = client.authorize(req, challenge)!;
    assert.deepEqual(retry.cseq, { seq: 2, method: 'REGISTER' });
    assert.equal(retry.headers.has('via'), false, 'the transaction layer adds a fresh Via');
    assert.match(retry.headers.get('authorization')!, /algorithm=SHA-256/);
    retry.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg2');
    const result = server.verify(parseRequest(serializeMessage(retry)), { password: 's3cret' });
    assert.ok(result.ok, JSON.stringify(result));
    if (result.ok) assert.equal(result.username, 'alice');
  });

  it('accepts MD5 and a precomputed HA1', () => {
    const server = new DigestServer({ realm: 'example.com' });
    const req = register();
    const md5 = server.challengeValues()[1]!;
    const retry = answer(req, md5, 'pw');
    assert.ok(server.verify(retry, { ha1: computeHA1('MD5', 'alice', 'example.com', 'pw') }).ok);
  });

  it('rejects a wrong password', () => {
    const server = new DigestServer({ realm: 'example.com' });
    const req = register();
    const r = server.verify(answer(req, server.challengeValues()[0]!, 'wrong'), { password: 'right' });
    assert.deepEqual([r.ok, !r.ok && r.reason, !r.ok && r.stale], [false, 'response', false]);
  });

  it('rejects a replayed nonce-count and accepts a strictly greater one', () => {
    const server = new DigestServer({ realm: 'example.com' });
    const req = register();
    const ch = server.challengeValues()[0]!;
    assert.ok(server.verify(answer(req, ch, 'pw', 1), { password: 'pw' }).ok);
    const replay = server.verify(answer(req, ch, 'pw', 1), { password: 'pw' });
    assert.ok(!replay.ok && replay.reason === 'replay');
    assert.ok(server.verify(answer(req, ch, 'pw', 2), { password: 'pw' }).ok);
    const back = server.verify(answer(req, ch, 'pw', 2), { password: 'pw' });
    assert.ok(!back.ok && back.reason === 'replay');
    // A wrong password does not consume a nonce-count.
    assert.ok(!server.verify(answer(req, ch, 'bad', 3), { password: 'pw' }).ok);
    assert.ok(server.verify(answer(req, ch, 'pw', 3), { password: 'pw' }).ok);
  });

  it('an expired nonce with the right password is stale; with a wrong one it is not', async () => {
    let now = 1_000_000;
    const server = new DigestServer({ realm: 'example.com', lifetimeMs: 1000, now: () => now });
    const req = register();
    const ch = server.challengeValues()[0]!;
    now += 5000;
    const good = server.verify(answer(req, ch, 'pw'), { password: 'pw' });
    assert.ok(!good.ok && good.reason === 'nonce' && good.stale === true);
    const bad = server.verify(answer(req, ch, 'nope'), { password: 'pw' });
    assert.ok(!bad.ok && bad.stale === false);
    const res = await server.authenticate(answer(req, ch, 'pw'), () => ({ password: 'pw' }));
    assert.equal(res.ok, false);
    assert.match(res.challenge!.headers.get('www-authenticate')!, /stale=true/);
  });

  it('rejects forged nonces, other realms, other URIs, missing qop and unknown users', async () => {
    const server = new DigestServer({ realm: 'example.com', opaque: 'o1' });
    const other = new DigestServer({ realm: 'example.com', opaque: 'o1' }); // different secret
    const req = register();
    const forged = server.verify(answer(req, other.challengeValues()[0]!, 'pw'), { password: 'pw' });
    assert.ok(!forged.ok && forged.reason === 'nonce' && !forged.stale);

    const ch = parseChallenge(server.challengeValues()[0]!)!;
    const mk = (patch: Partial<DigestCredentials>, uri = req.uriText): SipRequest => {
      const r = req.clone();
      const base = parseCredentials(buildAuthorization(ch, { username: 'alice', password: 'pw', method: 'REGISTER', uri }));
      const c = { ...base, ...patch };
      let v = `Digest username="${c.username}", realm="${c.realm}", nonce="${c.nonce}", uri="${c.uri}", response="${c.response}", algorithm=${c.algorithm}`;
      if (c.qop) v += `, qop=${c.qop}, nc=${c.nc}, cnonce="${c.cnonce}"`;
      r.headers.set('Authorization', v);
      return r;
    };
    const realm = server.verify(mk({ realm: 'evil.com' }), { password: 'pw' });
    assert.ok(!realm.ok && realm.reason === 'missing', 'credentials for another realm are not ours');
    const uri = server.verify(mk({}, 'sip:other.example.com'), { password: 'pw' });
    assert.ok(!uri.ok && uri.reason === 'uri');
    const noQop = server.verify(mk({ qop: undefined as unknown as string }), { password: 'pw' });
    assert.ok(!noQop.ok && noQop.reason === 'qop');
    const res = await server.authenticate(mk({}), () => undefined);
    assert.ok(!res.ok && res.reason === 'unknown-user' && res.challenge?.status === 401);
    const missing = await server.authenticate(req, () => ({ password: 'pw' }));
    assert.ok(!missing.ok && missing.reason === 'missing');
  });

  it('proxy authentication uses 407 / Proxy-Authenticate / Proxy-Authorization', () => {
    const server = new DigestServer({ realm: 'proxy.example.com' });
    const req = register();
    const challenge = server.challenge(req, { proxy: true });
    assert.equal(challenge.status, 407);
    const retry = new DigestClient({ username: 'alice', password: 'pw' }).authorize(req, challenge)!;
    assert.ok(retry.headers.has('proxy-authorization'));
    assert.ok(server.verify(retry, { password: 'pw' }, { proxy: true }).ok);
  });
});

describe('NonceStore', () => {
  it('bounded tracking: evicted live nonces are reported untracked (stale), never replayable', () => {
    let now = 10_000;
    const store = new NonceStore({ maxTracked: 2, now: () => now });
    const n1 = store.issue('r');
    now += 1;
    const n2 = store.issue('r');
    now += 1;
    const n3 = store.issue('r');
    const t = (n: string) => {
      const c = store.check(n, 'r');
      assert.equal(c.status, 'valid');
      return c.status === 'valid' ? c.issuedAt : 0;
    };
    assert.equal(store.useCount(n1, t(n1), 1), 'ok');
    assert.equal(store.useCount(n2, t(n2), 1), 'ok');
    assert.equal(store.useCount(n3, t(n3), 1), 'ok'); // evicts n1
    assert.equal(store.trackedCount, 2);
    assert.equal(store.useCount(n1, t(n1), 1), 'untracked');
    assert.equal(store.useCount(n1, t(n1), 5), 'untracked');
    assert.equal(store.check(n1, 'other-realm').status, 'invalid');
    assert.equal(store.check(n1.slice(0, -2) + 'AA', 'r').status, 'invalid');
  });
});
