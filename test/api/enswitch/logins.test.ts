/**
 * The shared login authenticator behind Enswitch's auth_username/auth_password: hashed storage, async scrypt,
 * a short positive cache keyed by username and password, no negative cache.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LoginAuthenticator, passwordMatchesAsync } from '../../../src/api/shared/logins.js';
import { hashPassword, passwordMatches, TrunklineError } from '../../../src/model/index.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { tempDir } from '../../support/trunkline.js';
import { makeLogin } from './support.js';

let store: Store;
let dir: string;

before(async () => {
  dir = tempDir('trunkline-logins-');
  store = await openStore({ data: dir });
  await store.createTenant({ name: 'cust.example', reseller: 'res-1', description: '', attributes: {} });
  await makeLogin(store, 'owner', 'correct horse', 'System owner');
  await makeLogin(store, 'admin', 'admin-pw', 'Administrator', 'cust.example');
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const unauthenticated = (err: unknown) => err instanceof TrunklineError && err.kind === 'UNAUTHENTICATED';

describe('LoginAuthenticator', () => {
  it('agrees with the model on the stored hash format', async () => {
    const stored = hashPassword('s3cret');
    assert.equal(passwordMatches('s3cret', stored), true);
    assert.equal(await passwordMatchesAsync('s3cret', stored), true);
    assert.equal(await passwordMatchesAsync('s3cres', stored), false);
    assert.equal(await passwordMatchesAsync('s3cret', 'md5$abc$def'), false);
    assert.equal(await passwordMatchesAsync('s3cret', 'scrypt$$'), false);
  });

  it('resolves a login to a Principal with its role, scope and tenant', async () => {
    const auth = new LoginAuthenticator(store);
    const owner = await auth.authenticate('owner', 'correct horse');
    assert.deepEqual(
      { scope: owner.scope, role: owner.role, domain: owner.domain, dialect: owner.dialect, readonly: owner.readonly },
      { scope: 'Super User', role: 'System owner', domain: '*', dialect: 'enswitch', readonly: false },
    );
    const admin = await auth.authenticate('admin', 'admin-pw');
    assert.equal(admin.scope, 'Office Manager');
    assert.equal(admin.domain, 'cust.example');
    assert.equal(admin.reseller, 'res-1');
  });

  it('refuses missing, unknown and wrong credentials alike', async () => {
    const auth = new LoginAuthenticator(store);
    for (const [u, p] of [
      [undefined, 'x'],
      ['owner', undefined],
      ['', ''],
      ['owner', 'wrong'],
      ['nobody', 'correct horse'],
      ['owner', 'x'.repeat(2000)],
    ] as const) {
      await assert.rejects(auth.authenticate(u, p), unauthenticated, `${String(u)}/${String(p).slice(0, 10)}`);
    }
  });

  it('caches successes for the configured time only, and never failures', async () => {
    let now = 1_000_000;
    const auth = new LoginAuthenticator(store, { ttlMs: 5000, now: () => now });
    await makeLogin(store, 'cached', 'pw-1', 'System owner');
    await auth.authenticate('cached', 'pw-1');
    await store.deleteLogin('cached');
    // Within the lifetime the cached success stands; a different password is still checked (and fails).
    assert.equal((await auth.authenticate('cached', 'pw-1')).keyId, 'cached');
    await assert.rejects(auth.authenticate('cached', 'pw-2'), unauthenticated);
    now += 5001;
    await assert.rejects(auth.authenticate('cached', 'pw-1'), unauthenticated);
    // invalidate() drops an entry at once.
    await makeLogin(store, 'again', 'pw-3', 'User', 'cust.example');
    await auth.authenticate('again', 'pw-3');
    await store.deleteLogin('again');
    auth.invalidate('again');
    await assert.rejects(auth.authenticate('again', 'pw-3'), unauthenticated);
  });
});
