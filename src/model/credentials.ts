/**
 * Who is calling the API. Every dialect's credential (a NetSapiens or Wavix API key, an Enswitch login)
 * resolves to a Principal, and access rules are written once against it.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_SCOPES = ['Super User', 'Reseller', 'Office Manager', 'Basic User'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Vendor key prefixes: `nss_` Super User, `nsr_` Reseller, `nsd_` Office Manager, `nsu_` Basic User. */
export const SCOPE_PREFIX: Record<ApiScope, string> = {
  'Super User': 'nss_',
  Reseller: 'nsr_',
  'Office Manager': 'nsd_',
  'Basic User': 'nsu_',
};

export const ENSWITCH_ROLES = ['System owner', 'Reseller', 'Administrator', 'User'] as const;
export type EnswitchRole = (typeof ENSWITCH_ROLES)[number];

/** Enswitch roles on trunkline's scope ladder. */
export const ROLE_SCOPE: Record<EnswitchRole, ApiScope> = {
  'System owner': 'Super User',
  Reseller: 'Reseller',
  Administrator: 'Office Manager',
  User: 'Basic User',
};

export type CredentialDialect = 'netsapiens' | 'wavix' | 'enswitch';

export interface Principal {
  readonly scope: ApiScope;
  readonly domain: string; // '*' for none
  readonly reseller: string; // '*' for none
  readonly readonly: boolean;
  readonly dialect: CredentialDialect;
  readonly keyId: string;
  /** Enswitch: only the System owner role may create peers (seed 004); kept as the role itself. */
  readonly role?: EnswitchRole;
}

export interface ApiKeyRecord {
  keyId: string;
  keyHash: string;
  dialect: 'netsapiens' | 'wavix';
  scope: ApiScope;
  domain: string;
  reseller: string;
  user: string;
  description: string;
  readonly: boolean;
  canCreateKeys: boolean;
  ipAddress: string;
  allowedModels: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface LoginRecord {
  username: string;
  passwordHash: string;
  role: EnswitchRole;
  domain: string;
  reseller: string;
  createdAt: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  // Rejection sampling keeps every character uniformly likely (256 is not a multiple of 62).
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += KEY_ALPHABET[byte % 62];
    }
  }
  return out;
}

function crcHex(text: string): string {
  return (crc32(Buffer.from(text, 'utf8')) >>> 0).toString(16).padStart(8, '0');
}

/** A vendor-format key: 4-char scope prefix + 48 random characters + 8 hex of CRC-32 of the random part. */
export function generateApiKey(prefix: string): { key: string; keyId: string } {
  if (prefix.length !== 4) throw new Error('API key prefix must be 4 characters');
  const random = randomToken(48);
  const key = `${prefix}${random}${crcHex(random)}`;
  return { key, keyId: key.slice(0, 12) };
}

/** Cheap structural check before any store lookup: rejects typos and garbage without touching the database. */
export function apiKeyChecksumValid(key: string): boolean {
  if (key.length !== 60) return false;
  const random = key.slice(4, 52);
  return /^[A-Za-z0-9]{48}$/.test(random) && crcHex(random) === key.slice(52).toLowerCase();
}

/** Keys carry ~285 bits of entropy, so one SHA-256 is enough; a slow hash would only slow every request. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function apiKeyMatches(key: string, keyHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(keyHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Human-chosen passwords (Enswitch logins) get scrypt with a per-login salt. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [alg, saltB64, hashB64] = stored.split('$');
  if (alg !== 'scrypt' || saltB64 === undefined || hashB64 === undefined) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const actual = scryptSync(password, Buffer.from(saltB64, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

const SCOPE_RANK: Record<ApiScope, number> = { 'Super User': 3, Reseller: 2, 'Office Manager': 1, 'Basic User': 0 };

export function scopeAtLeast(scope: ApiScope, needed: ApiScope): boolean {
  return SCOPE_RANK[scope] >= SCOPE_RANK[needed];
}
