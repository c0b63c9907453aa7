import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  apiKeyChecksumValid,
  apiKeyMatches,
  generateApiKey,
  hashApiKey,
  hashPassword,
  passwordMatches,
  SCOPE_PREFIX,
} from '../../src/model/index.js';

describe('API keys in the vendor format', () => {
  it('is 60 characters: prefix + 48 random + 8 hex CRC-32 of the random part; key-id is the first 12', () => {
    for (const prefix of Object.values(SCOPE_PREFIX)) {
      const { key, keyId } = generateApiKey(prefix);
      assert.equal(key.length, 60);
      assert.ok(key.startsWith(prefix));
      const random = key.slice(4, 52);
      assert.match(random, /^[A-Za-z0-9]{48}$/);
      assert.equal(key.slice(52), (crc32(Buffer.from(random)) >>> 0).toString(16).padStart(8, '0'));
      assert.equal(keyId, key.slice(0, 12));
      assert.ok(apiKeyChecksumValid(key));
    }
  });
  it('detects a corrupted key by checksum and matches only its own hash', () => {
    const { key } = generateApiKey('nss_');
    const flipped = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    assert.equal(apiKeyChecksumValid(flipped), false);
    assert.equal(apiKeyMatches(key, hashApiKey(key)), true);
    assert.equal(apiKeyMatches(flipped, hashApiKey(key)), false);
    assert.notEqual(hashApiKey(key), key);
  });
  it('hashes passwords with a per-login salt', () => {
    const a = hashPassword('secret');
    assert.notEqual(a, hashPassword('secret'));
    assert.equal(passwordMatches('secret', a), true);
    assert.equal(passwordMatches('Secret', a), false);
    assert.equal(passwordMatches('secret', 'garbage'), false);
  });
});
