/**
 * Validation of canonical connection values. Dialects convert their wire types (NetSapiens "yes"/"no",
 * Enswitch 0/1, Wavix booleans) and hand canonical keys here; a ValidationError names the canonical key and
 * the dialect renames it to its own field before answering.
 */
import {
  CONNECTION_FIELDS,
  type ConnectionSettingKey,
  type ConnectionSettings,
  type FieldSpec,
} from './connection-fields.js';
import type { NewConnection } from './connection.js';
import { ValidationError } from './errors.js';
import { compileMatchPattern } from './match-pattern.js';
import { compileTranslation } from './translation.js';

export type SettingsPatch = Partial<Record<ConnectionSettingKey, unknown>>;

const DOMAIN_NAME = /^(?:\*|[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?)$/;
const UTC_OFFSET = /^[+-]?(?:\d|1[0-4])(?:[.:](?:00|30|45|5|75))?$/;

/** Integers arrive as numbers or numeric strings ("0"), per the vendor's own examples. */
export function coerceInteger(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number.parseInt(value, 10);
  throw new ValidationError(field, 'must be an integer');
}

function coerceField(key: ConnectionSettingKey, spec: FieldSpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'string': {
      if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
      if (typeof value !== 'string') throw new ValidationError(key, 'must be a string');
      if (value.length > spec.maxLength) throw new ValidationError(key, `must be at most ${spec.maxLength} characters`);
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) throw new ValidationError(key, 'must not contain control characters');
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw new ValidationError(key, 'must be a boolean');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw new ValidationError(key, `must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}`);
      }
      return value;
    case 'int': {
      if (value === null && spec.default === null) return null;
      const n = coerceInteger(value, key);
      if (n < spec.min || n > spec.max) throw new ValidationError(key, `must be between ${spec.min} and ${spec.max}`);
      return n;
    }
    case 'json': {
      const text = JSON.stringify(value ?? null);
      if (text.length > 16_384) throw new ValidationError(key, 'must be at most 16384 characters of JSON');
      return value ?? null;
    }
  }
}

/** Checks that span fields or need a grammar. */
function checkGrammar(key: ConnectionSettingKey, value: unknown): void {
  if (typeof value !== 'string' || value === '') return;
  switch (key) {
    case 'termMatchPattern':
      compileMatchPattern(value, key);
      return;
    case 'translationRequestUser':
    case 'translationDestinationUser':
    case 'translationSourceUser':
      compileTranslation(value, 'user', key);
      return;
    case 'translationRequestHost':
    case 'translationDestinationHost':
    case 'translationSourceHost':
      compileTranslation(value, 'host', key);
      return;
    case 'utcOffset':
      if (!UTC_OFFSET.test(value)) throw new ValidationError(key, 'must be an hour offset such as "-7" or "+5:30"');
      return;
    case 'timeZone':
      if (!isKnownTimeZone(value)) throw new ValidationError(key, `"${value}" is not a known IANA time zone`);
      return;
    default:
      return;
  }
}

function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validate and normalise a partial set of settings. Unknown keys are a programming error, not user input. */
export function validateSettingsPatch(patch: SettingsPatch): Partial<ConnectionSettings> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(patch)) {
    if (raw === undefined) continue;
    const spec = CONNECTION_FIELDS[key as ConnectionSettingKey];
    if (spec === undefined) throw new ValidationError(key, 'is not a connection field');
    const value = coerceField(key as ConnectionSettingKey, spec, raw);
    checkGrammar(key as ConnectionSettingKey, value);
    out[key] = value;
  }
  return out as Partial<ConnectionSettings>;
}

export function validateDomainName(domain: unknown, field = 'domain'): string {
  if (typeof domain !== 'string' || domain.length === 0) throw new ValidationError(field, 'is required');
  if (domain.length > 64) throw new ValidationError(field, 'must be at most 64 characters');
  if (!DOMAIN_NAME.test(domain)) throw new ValidationError(field, 'may contain letters, digits, ".", "-" and "_" only');
  return domain;
}

export function defaultSettings(): ConnectionSettings {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONNECTION_FIELDS)) out[key] = spec.default;
  return out as unknown as ConnectionSettings;
}

/** Build a complete, valid new connection from identity + a patch; defaults fill the rest. */
export function buildNewConnection(
  identity: Pick<NewConnection, 'domain' | 'origMatchPattern' | 'createdBy'> & { ext?: NewConnection['ext'] },
  patch: SettingsPatch,
): NewConnection {
  const domain = validateDomainName(identity.domain);
  compileMatchPattern(identity.origMatchPattern, 'origMatchPattern');
  const settings = { ...defaultSettings(), ...validateSettingsPatch(patch) };
  if (settings.termMatchPattern === '') settings.termMatchPattern = identity.origMatchPattern;
  return {
    ...settings,
    domain,
    origMatchPattern: identity.origMatchPattern,
    createdBy: identity.createdBy,
    ext: identity.ext ?? {},
  };
}

/** Merge a validated patch into existing settings (NetSapiens PUT is a partial update). */
export function mergeSettings<T extends ConnectionSettings>(existing: T, patch: SettingsPatch): T {
  const merged = { ...existing, ...validateSettingsPatch(patch) };
  if (merged.termMatchPattern === '') merged.termMatchPattern = (existing as T & { origMatchPattern?: string }).origMatchPattern ?? '';
  return merged;
}
