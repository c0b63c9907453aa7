/**
 * Wavix API keys. Wavix has one kind of key per account (its "restricted keys" limit a key to reads); trunkline
 * issues them in its own checked format so the shared authenticator can look them up by key-id: `wvx_` + 48
 * random characters + 8 hex characters of the CRC-32 of the random part (60 characters; key-id = the first
 * 12). A key is bound to one tenant (the Wavix account) with the Office Manager scope; `--readonly` gives a
 * read-only key. Created with `trunkline keys create --dialect wavix --domain D [--readonly]`.
 */
import { apiKeyChecksumValid, generateApiKey } from '../../model/index.js';
import type { KeyFormat } from '../shared/keys.js';

export const WAVIX_KEY_PREFIX = 'wvx_';

export const WAVIX_KEY_FORMAT: KeyFormat = {
  dialect: 'wavix',
  generate: () => generateApiKey(WAVIX_KEY_PREFIX),
  precheck: (token) => token.startsWith(WAVIX_KEY_PREFIX) && apiKeyChecksumValid(token),
};
