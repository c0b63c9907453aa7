/**
 * The `trunkline` command (see docs/cli.md):
 *
 *   trunkline serve [--data DIR] [--db URL] [--http-host H] [--http-port P] [--sip-host H] [--sip-port S]
 *                   [--tls-cert F --tls-key F] [--redis URL [--redis-prefix P] [--redis-fail open|closed]] [--log-level L]
 *   trunkline keys create [--data DIR | --db URL] --scope SCOPE [--domain D] [--reseller R] [--readonly]
 *                   [--can-create-keys] [--description T] [--dialect netsapiens]
 *   trunkline keys list   [--data DIR | --db URL] [--json]
 *   trunkline keys revoke [--data DIR | --db URL] KEY_ID
 *   trunkline users create [--data DIR | --db URL] --dialect enswitch --username U --password P --role R [--domain D]
 *   trunkline users delete [--data DIR | --db URL] USERNAME
 *
 * Exit status: 0 success, 1 failure, 2 usage error. `keys create` prints the new key alone on the last line of
 * standard output. Environment fallbacks: TRUNKLINE_DATA, TRUNKLINE_DB, TRUNKLINE_LOG_LEVEL, TRUNKLINE_REDIS,
 * TRUNKLINE_REDIS_FAIL.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { isTrunklineError, validateDomainName, type ApiKeyRecord } from '../model/index.js';
import { createStoredApiKey } from '../api/shared/keys.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { DigestAlgorithm } from '../sip/index.js';
import { DEFAULTS, handleSignals, startServer, trunklineVersion, type RedisConfig } from '../server/start.js';
import { parseRedisUrl } from '../edge/live/redis-live-state.js';
import { DEFAULT_KEY_DIALECT, KEY_DIALECTS } from './key-dialects.js';
import { USERS_USAGE, users } from './users.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

class UsageError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const USAGE = `Usage:
  trunkline serve [--data DIR] [--db URL] [--http-host H] [--http-port P]
                  [--sip-host H] [--sip-port S] [--tls-cert FILE --tls-key FILE] [--tls-port P]
                  [--sip-digest MD5,SHA-256] [--redis URL [--redis-prefix P] [--redis-fail open|closed]]
                  [--log-level LEVEL]
  trunkline keys create [--data DIR | --db URL] --scope "Super User"|Reseller|"Office Manager"|"Basic User"
                  [--domain D] [--reseller R] [--readonly] [--can-create-keys] [--description TEXT]
                  [--dialect netsapiens]
  trunkline keys create [--data DIR | --db URL] --dialect wavix --domain D [--readonly] [--description TEXT]
  trunkline keys list   [--data DIR | --db URL] [--json]
  trunkline keys revoke [--data DIR | --db URL] KEY_ID
${USERS_USAGE}  trunkline --version | --help

Defaults: --data ./data, --http-host 127.0.0.1, --http-port 8080, --sip-host 127.0.0.1, --sip-port 5060,
          --tls-port 5061 (TLS only with --tls-cert/--tls-key), --sip-digest MD5,SHA-256 (offered in this order).
          --redis none (each edge counts its own calls), --redis-prefix trunkline:, --redis-fail open.
Environment: TRUNKLINE_DATA, TRUNKLINE_DB, TRUNKLINE_LOG_LEVEL, TRUNKLINE_REDIS, TRUNKLINE_REDIS_FAIL.
Exit status: 0 success, 1 failure, 2 usage error.
`;

const STORE_OPTIONS = {
  data: { type: 'string' },
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument: ${parsed.positionals[positionals] ?? ''}`);
  }
  return parsed;
}

function port(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${name} must be a port number (0-65535), got "${text}"`);
  return Number(text);
}

function storeTarget(values: { data?: string | undefined; db?: string | undefined }, env: NodeJS.ProcessEnv): { data?: string; db?: string } {
  if (values.data !== undefined && values.db !== undefined) throw new UsageError('give either --data or --db, not both');
  const db = values.db ?? (values.data === undefined ? env.TRUNKLINE_DB : undefined);
  if (db !== undefined && db !== '') return { db };
  const envData = env.TRUNKLINE_DATA === undefined || env.TRUNKLINE_DATA === '' ? undefined : env.TRUNKLINE_DATA;
  return { data: values.data ?? envData ?? DEFAULTS.data };
}

async function withStore<T>(target: { data?: string; db?: string }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(target);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

// ---- serve ------------------------------------------------------------------------------------------------

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...STORE_OPTIONS,
    'http-host': { type: 'string' },
    'http-port': { type: 'string' },
    'sip-host': { type: 'string' },
    'sip-port': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-port': { type: 'string' },
    'sip-digest': { type: 'string' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string' },
    'redis-fail': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const logLevel = values['log-level'] ?? io.env.TRUNKLINE_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const target = storeTarget(values, io.env);
  const digest = values['sip-digest'] === undefined ? undefined : digestAlgorithms(values['sip-digest']);
  const redis = redisConfig(values, io.env);
  const server = await startServer({
    ...target,
    httpHost: values['http-host'] ?? DEFAULTS.httpHost,
    httpPort: port(values['http-port'], '--http-port', DEFAULTS.httpPort),
    sipHost: values['sip-host'] ?? DEFAULTS.sipHost,
    sipPort: port(values['sip-port'], '--sip-port', DEFAULTS.sipPort),
    ...(values['tls-cert'] === undefined ? {} : { tlsCert: values['tls-cert'] }),
    ...(values['tls-key'] === undefined ? {} : { tlsKey: values['tls-key'] }),
    ...(values['tls-port'] === undefined ? {} : { tlsPort: port(values['tls-port'], '--tls-port', DEFAULTS.tlsPort) }),
    ...(digest === undefined ? {} : { digestAlgorithms: digest }),
    ...(redis === undefined ? {} : { redis }),
    logLevel: logLevel as LevelWithSilent,
    out: { write: io.out },
  });
  return new Promise<number>((resolve) => {
    handleSignals(server, (code) => {
      // Safety net: should a handle outlive the shutdown, do not hang.
      setTimeout(() => process.exit(code), 3000).unref();
      resolve(code);
    });
  });
}

function redisConfig(
  values: { redis?: string | undefined; 'redis-prefix'?: string | undefined; 'redis-fail'?: string | undefined },
  env: NodeJS.ProcessEnv,
): RedisConfig | undefined {
  const url = values.redis ?? (env.TRUNKLINE_REDIS === '' ? undefined : env.TRUNKLINE_REDIS);
  const fail = values['redis-fail'] ?? (env.TRUNKLINE_REDIS_FAIL === '' ? undefined : env.TRUNKLINE_REDIS_FAIL);
  if (url === undefined || url === '') {
    if (values['redis-prefix'] !== undefined || values['redis-fail'] !== undefined) throw new UsageError('--redis-prefix and --redis-fail need --redis');
    return undefined;
  }
  try {
    parseRedisUrl(url);
  } catch (err) {
    throw new UsageError(`--redis: ${(err as Error).message}`);
  }
  if (fail !== undefined && fail !== 'open' && fail !== 'closed') throw new UsageError('--redis-fail must be open or closed');
  if (values['redis-prefix'] === '') throw new UsageError('--redis-prefix must not be empty');
  return {
    url,
    ...(values['redis-prefix'] === undefined ? {} : { prefix: values['redis-prefix'] }),
    ...(fail === undefined ? {} : { failMode: fail }),
  };
}

const SIP_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

function digestAlgorithms(list: string): DigestAlgorithm[] {
  const out: DigestAlgorithm[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim().toUpperCase();
    const found = SIP_DIGEST_ALGORITHMS.find((a) => a === name);
    if (found === undefined) throw new UsageError(`--sip-digest takes a comma-separated list of ${SIP_DIGEST_ALGORITHMS.join(', ')}`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

// ---- keys -------------------------------------------------------------------------------------------------

async function keysCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...STORE_OPTIONS,
    scope: { type: 'string' },
    domain: { type: 'string' },
    reseller: { type: 'string' },
    readonly: { type: 'boolean' },
    'can-create-keys': { type: 'boolean' },
    description: { type: 'string' },
    dialect: { type: 'string' },
  });
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const dialectName = values.dialect ?? DEFAULT_KEY_DIALECT;
  const dialect = KEY_DIALECTS.get(dialectName);
  if (dialect === undefined) throw new UsageError(`--dialect must be one of ${[...KEY_DIALECTS.keys()].join(', ')}`);
  const scopeText = values.scope ?? dialect.defaultScope;
  if (scopeText === undefined) throw new UsageError(`--scope is required (${dialect.scopeNames.map((s) => `"${s}"`).join(', ')})`);
  const scope = dialect.parseScope(scopeText);
  if (scope === undefined) throw new UsageError(`--scope must be one of ${dialect.scopeNames.map((s) => `"${s}"`).join(', ')}`);
  const description = values.description ?? `${scope} key created with trunkline keys create`;
  if (description.length < 12) throw new UsageError('--description must be at least 12 characters (a NetSapiens rule)');
  if (values['can-create-keys'] === true && dialectName !== DEFAULT_KEY_DIALECT) {
    throw new UsageError(`--can-create-keys is a NetSapiens key right; ${dialect.name} keys cannot create keys`);
  }
  const domainBound = scope === 'Office Manager' || scope === 'Basic User';
  if (domainBound && (values.domain === undefined || values.domain === '*')) {
    throw new UsageError(dialectName === DEFAULT_KEY_DIALECT ? `--domain is required for ${scope} keys` : `--domain is required for ${dialect.name} keys (the tenant the key belongs to)`);
  }
  if (scope === 'Reseller' && (values.reseller === undefined || values.reseller === '*')) throw new UsageError('--reseller is required for Reseller keys');

  return withStore(storeTarget(values, io.env), async (store) => {
    let reseller = values.reseller ?? '*';
    const domain = values.domain ?? '*';
    if (domainBound) {
      let tenant = await store.getTenant(domain);
      if (tenant === undefined && dialect.createsTenant === true) {
        // A dialect without an API for tenants (Wavix accounts) creates the tenant with its first key.
        tenant = await store.createTenant({ name: validateDomainName(domain, '--domain'), reseller: values.reseller ?? '', description: `${dialect.name} account`, attributes: {} });
        io.out(`Created tenant ${domain} (${dialect.name} account).\n`);
      }
      if (tenant === undefined) {
        io.err(`trunkline: domain ${domain} does not exist; create it first (POST /ns-api/v2/domains)\n`);
        return 1;
      }
      if (values.reseller !== undefined && values.reseller !== tenant.reseller) {
        io.err(`trunkline: domain ${domain} belongs to reseller ${tenant.reseller}, not ${values.reseller}\n`);
        return 1;
      }
      reseller = tenant.reseller;
    }
    const { key, record } = await createStoredApiKey(store, dialect.format, {
      scope,
      domain,
      reseller,
      description,
      readonly: values.readonly === true,
      canCreateKeys: values['can-create-keys'] === true,
    });
    io.out(
      `Created ${record.readonly ? 'read-only ' : ''}${scope} API key ${record.keyId} (${dialect.name}; domain ${record.domain}, reseller ${record.reseller}).\n` +
        'The key is shown only this once:\n' +
        `${key}\n`,
    );
    return 0;
  });
}

function keyRow(r: ApiKeyRecord): string[] {
  return [r.keyId, r.dialect, r.scope, r.domain, r.reseller, r.readonly ? 'yes' : 'no', r.createdAt, r.description];
}

async function keysList(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...STORE_OPTIONS, json: { type: 'boolean' } });
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  return withStore(storeTarget(values, io.env), async (store) => {
    const records = await store.listApiKeys({ limit: 10_000 });
    if (values.json === true) {
      io.out(
        `${JSON.stringify(
          records.map((r) => ({
            keyId: r.keyId,
            dialect: r.dialect,
            scope: r.scope,
            domain: r.domain,
            reseller: r.reseller,
            readonly: r.readonly,
            canCreateKeys: r.canCreateKeys,
            description: r.description,
            createdAt: r.createdAt,
            lastUsedAt: r.lastUsedAt,
          })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    const header = ['KEY-ID', 'DIALECT', 'SCOPE', 'DOMAIN', 'RESELLER', 'READONLY', 'CREATED', 'DESCRIPTION'];
    const rows = [header, ...records.map(keyRow)];
    const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const row of rows) {
      io.out(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`);
    }
    return 0;
  });
}

async function keysRevoke(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, STORE_OPTIONS, 1);
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const keyId = positionals[0];
  if (keyId === undefined) throw new UsageError('keys revoke needs a KEY_ID (see trunkline keys list)');
  // A whole key is accepted too; only its key-id is used.
  const id = keyId.length > 12 ? keyId.slice(0, 12) : keyId;
  return withStore(storeTarget(values, io.env), async (store) => {
    if (!(await store.deleteApiKey(id))) {
      io.err(`trunkline: no API key with key-id ${id}\n`);
      return 1;
    }
    io.out(`Revoked API key ${id}. A running server stops accepting it within 5 seconds.\n`);
    return 0;
  });
}

async function keys(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return keysCreate(rest, io);
    case 'list':
      return keysList(rest, io);
    case 'revoke':
      return keysRevoke(rest, io);
    case '--help':
    case '-h':
    case 'help':
      io.out(USAGE);
      return 0;
    case undefined:
      throw new UsageError('keys needs a subcommand: create, list or revoke');
    default:
      throw new UsageError(`unknown keys subcommand: ${sub}`);
  }
}

// ---- entry ------------------------------------------------------------------------------------------------

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io);
      case 'keys':
        return await keys(rest, io);
      case 'users':
        return await users(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      case 'version':
      case '--version':
      case '-v':
        io.out(`trunkline ${trunklineVersion()}\n`);
        return 0;
      case undefined:
        io.err(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`trunkline: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    const message = isTrunklineError(err) || err instanceof Error ? err.message : String(err);
    io.err(`trunkline: ${message}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`trunkline: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
