/**
 * Which kinds of API key `trunkline keys create --dialect <name>` can issue. NetSapiens is the default; another
 * dialect (e.g. Wavix) adds an entry here with its key format and scope names, and `keys create/list/revoke`
 * need no other change.
 */
import { API_SCOPES, type ApiKeyRecord, type ApiScope } from '../model/index.js';
import { NS_KEY_FORMAT } from '../api/netsapiens/keys.js';
import { WAVIX_KEY_FORMAT } from '../api/wavix/keys.js';
import type { KeyFormat } from '../api/shared/keys.js';

export interface CliKeyDialect {
  readonly name: ApiKeyRecord['dialect'];
  readonly format: KeyFormat;
  /** Scope names accepted by `--scope`, for the usage text. */
  readonly scopeNames: readonly string[];
  /** `--scope` text → trunkline scope (undefined: not a scope of this dialect). */
  parseScope(text: string): ApiScope | undefined;
  /** The scope when `--scope` is omitted (undefined: `--scope` is required). */
  readonly defaultScope?: string;
  /** Create the `--domain` tenant when it does not exist (for dialects with no API to create one). */
  readonly createsTenant?: boolean;
}

export const KEY_DIALECTS: ReadonlyMap<string, CliKeyDialect> = new Map<string, CliKeyDialect>([
  [
    'netsapiens',
    {
      name: 'netsapiens',
      format: NS_KEY_FORMAT,
      scopeNames: API_SCOPES,
      parseScope: (text) => API_SCOPES.find((s) => s.toLowerCase() === text.trim().toLowerCase()),
    },
  ],
  [
    // A Wavix key belongs to one account (tenant): `keys create --dialect wavix --domain D [--readonly]`.
    'wavix',
    {
      name: 'wavix',
      format: WAVIX_KEY_FORMAT,
      scopeNames: ['account'],
      parseScope: (text) => (['account', 'office manager'].includes(text.trim().toLowerCase()) ? 'Office Manager' : undefined),
      defaultScope: 'account',
      createsTenant: true,
    },
  ],
]);

export const DEFAULT_KEY_DIALECT = 'netsapiens';
