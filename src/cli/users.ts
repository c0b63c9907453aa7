/**
 * `trunkline users`: logins for the dialects that authenticate with a username and password (Enswitch's
 * `auth_username`/`auth_password`). The password is stored as a salted scrypt hash, never in the clear.
 *
 *   trunkline users create [--data DIR | --db URL] --dialect enswitch --username U --password P
 *                          --role "System owner"|Reseller|Administrator|User [--domain D]
 *   trunkline users delete [--data DIR | --db URL] USERNAME
 *   trunkline users --help
 *
 * Roles map onto trunkline's scopes (`ROLE_SCOPE`): System owner = Super User, Reseller, Administrator = Office
 * Manager, User = Basic User. Administrator and User logins belong to a tenant (`--domain`, which must exist); a
 * Reseller login given `--domain` takes that tenant's reseller. Only System owner logins may manage peers.
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { ENSWITCH_ROLES, hashPassword, isTrunklineError, type EnswitchRole, type LoginRecord } from '../model/index.js';
import { openStore } from '../store/open-store.js';
import { DEFAULTS } from '../server/start.js';
import type { CliIo } from './main.js';

export const USERS_USAGE = `  trunkline users create [--data DIR | --db URL] --dialect enswitch --username U --password P
                  --role "System owner"|Reseller|Administrator|User [--domain D]
  trunkline users delete [--data DIR | --db URL] USERNAME
`;

export const USER_DIALECTS = ['enswitch'] as const;

const USERNAME = /^[A-Za-z0-9._@+-]{1,64}$/;
/** Shorter passwords are accepted (Enswitch sets no rule) but warned about. */
const RECOMMENDED_PASSWORD_LENGTH = 8;

class UsersUsageError extends Error {}

function parse(args: string[], positionals: number) {
  try {
    const parsed = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        db: { type: 'string' },
        dialect: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        domain: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: positionals > 0,
      strict: true,
    });
    if (parsed.positionals.length > positionals) throw new UsersUsageError(`unexpected argument: ${parsed.positionals[positionals] ?? ''}`);
    return parsed;
  } catch (err) {
    if (err instanceof UsersUsageError) throw err;
    throw new UsersUsageError((err as Error).message);
  }
}

/** Same rule as the other commands: --data or --db (not both), then TRUNKLINE_DB / TRUNKLINE_DATA, then ./data. */
function storeTarget(values: { data?: string | undefined; db?: string | undefined }, env: NodeJS.ProcessEnv): { data?: string; db?: string } {
  if (values.data !== undefined && values.db !== undefined) throw new UsersUsageError('give either --data or --db, not both');
  const db = values.db ?? (values.data === undefined ? env.TRUNKLINE_DB : undefined);
  if (db !== undefined && db !== '') return { db };
  return { data: values.data ?? (env.TRUNKLINE_DATA || DEFAULTS.data) };
}

export function parseRole(text: string): EnswitchRole | undefined {
  return ENSWITCH_ROLES.find((r) => r.toLowerCase() === text.trim().toLowerCase());
}

const ROLE_LIST = ENSWITCH_ROLES.map((r) => `"${r}"`).join(', ');

async function create(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, 0);
  if (values.help === true) {
    io.out(`Usage:\n${USERS_USAGE}`);
    return 0;
  }
  if (values.dialect === undefined) throw new UsersUsageError(`--dialect is required (${USER_DIALECTS.join(', ')})`);
  if (!(USER_DIALECTS as readonly string[]).includes(values.dialect)) {
    throw new UsersUsageError(`--dialect must be one of ${USER_DIALECTS.join(', ')} (API keys for the other dialects: trunkline keys create)`);
  }
  const username = values.username;
  if (username === undefined) throw new UsersUsageError('--username is required');
  if (!USERNAME.test(username)) throw new UsersUsageError('--username must be 1-64 letters, digits, ".", "_", "@", "+" or "-"');
  const password = values.password;
  if (password === undefined || password === '') throw new UsersUsageError('--password is required');
  if (password.length > 1024) throw new UsersUsageError('--password must be at most 1024 characters');
  if (values.role === undefined) throw new UsersUsageError(`--role is required (${ROLE_LIST})`);
  const role = parseRole(values.role);
  if (role === undefined) throw new UsersUsageError(`--role must be one of ${ROLE_LIST}`);
  const domainBound = role === 'Administrator' || role === 'User';
  if (domainBound && (values.domain === undefined || values.domain === '*' || values.domain === '')) {
    throw new UsersUsageError(`--domain is required for ${role} logins`);
  }
  if (password.length < RECOMMENDED_PASSWORD_LENGTH) {
    io.err(`trunkline: warning: the password is shorter than ${RECOMMENDED_PASSWORD_LENGTH} characters\n`);
  }

  const store = await openStore(storeTarget(values, io.env));
  try {
    const domain = values.domain === undefined || values.domain === '' ? '*' : values.domain;
    let reseller = '*';
    if (domain !== '*') {
      const tenant = await store.getTenant(domain);
      if (tenant === undefined) {
        io.err(`trunkline: domain ${domain} does not exist; create it first (POST /ns-api/v2/domains)\n`);
        return 1;
      }
      reseller = tenant.reseller === '' ? '*' : tenant.reseller;
    }
    const login: LoginRecord = {
      username,
      passwordHash: hashPassword(password),
      role,
      domain,
      reseller,
      createdAt: new Date().toISOString(),
    };
    try {
      await store.createLogin(login);
    } catch (err) {
      if (isTrunklineError(err) && err.kind === 'CONFLICT') {
        io.err(`trunkline: a login named ${username} already exists\n`);
        return 1;
      }
      throw err;
    }
    io.out(`Created Enswitch login ${username} (role ${role}; domain ${domain}, reseller ${reseller}).\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, 1);
  if (values.help === true) {
    io.out(`Usage:\n${USERS_USAGE}`);
    return 0;
  }
  const username = positionals[0];
  if (username === undefined) throw new UsersUsageError('users delete needs a USERNAME');
  const store = await openStore(storeTarget(values, io.env));
  try {
    if (!(await store.deleteLogin(username))) {
      io.err(`trunkline: no login named ${username}\n`);
      return 1;
    }
    io.out(`Deleted login ${username}. A running server stops accepting it within 5 seconds.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** `trunkline users ...`; usage errors are reported here (exit 2), other failures go up to `main`. */
export async function users(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'create':
        return await create(rest, io);
      case 'delete':
        return await remove(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(`Usage:\n${USERS_USAGE}`);
        return 0;
      case undefined:
        throw new UsersUsageError('users needs a subcommand: create or delete');
      default:
        throw new UsersUsageError(`unknown users subcommand: ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsersUsageError) {
      io.err(`trunkline: ${err.message}\n\nUsage:\n${USERS_USAGE}`);
      return 2;
    }
    throw err;
  }
}
