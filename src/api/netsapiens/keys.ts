/**
 * NetSapiens API key format: 4-character scope prefix (`nss_` Super User, `nsr_` Reseller, `nsd_` Office
 * Manager, `nsu_` Basic User) + 48 random characters + 8 hex characters of the CRC-32 of the random part;
 * 60 characters; key-id = the first 12.
 */
import { SCOPE_PREFIX, apiKeyChecksumValid, generateApiKey } from '../../model/index.js';
import type { KeyFormat } from '../shared/keys.js';

export const NS_KEY_FORMAT: KeyFormat = {
  dialect: 'netsapiens',
  generate: (scope) => generateApiKey(SCOPE_PREFIX[scope]),
  precheck: (token) => apiKeyChecksumValid(token) && Object.values(SCOPE_PREFIX).includes(token.slice(0, 4)),
};
