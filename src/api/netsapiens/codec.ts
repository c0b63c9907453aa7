/**
 * NetSapiens wire ↔ canonical conversion for connections, and the dialect's error shape.
 *
 * Input: the body is first checked against the generated request schema (shape, types, enums, unknown fields:
 * the message names the wire field), then converted ("yes"/"no" → booleans, "0" → 0) into a canonical patch
 * that the model validates (match patterns, translations, time zones). A model ValidationError names the
 * canonical key; `wireError` renames it to the NetSapiens field before answering.
 */
import {
  TrunklineError,
  type Connection,
  type ConnectionLive,
  type SettingsPatch,
} from '../../model/index.js';
import { wireErrorMessage, type ParsedConnectionBody, type WireError } from '../shared/dialect.js';
import { compileBodyValidator, type BodyValidator } from '../shared/schema.js';
import {
  NS_CONNECTION_FIELDS,
  NS_DOMAIN,
  NS_FIELD_BY_WIRE,
  NS_LAST_MODIFIED,
  NS_LIVE_INT_FIELDS,
  NS_ORIG_PATTERN,
  NS_REGISTERED_AT,
  NS_REGISTRATION_EXPIRES,
  NS_WIRE_BY_KEY,
  nsDateTime,
  type NsConnectionField,
} from './fields.js';
import { connectionCreateSchema, connectionUpdateSchema } from './schemas.js';

const validateCreate: BodyValidator = compileBodyValidator(connectionCreateSchema);
const validateUpdate: BodyValidator = compileBodyValidator(connectionUpdateSchema);

/** One wire value → its canonical value (the schema has already checked the type). */
function toCanonical(f: NsConnectionField, value: unknown): unknown {
  switch (f.spec.kind) {
    case 'bool':
      return value === 'yes';
    case 'int':
      if (value === null || (typeof value === 'string' && value.trim() === '')) return null;
      return typeof value === 'string' ? Number.parseInt(value.trim(), 10) : value;
    default:
      return value;
  }
}

export function parseConnectionBody(body: unknown, mode: 'create' | 'update'): ParsedConnectionBody {
  if (mode === 'create') validateCreate(body);
  else validateUpdate(body);
  const patch: SettingsPatch = {};
  const identity: { domain?: string; origMatchPattern?: string } = {};
  for (const [wire, value] of Object.entries(body)) {
    if (wire === NS_DOMAIN) {
      identity.domain = value as string;
      continue;
    }
    if (wire === NS_ORIG_PATTERN) {
      identity.origMatchPattern = value as string;
      continue;
    }
    const f = NS_FIELD_BY_WIRE.get(wire);
    if (f === undefined) continue; // read-only fields: ignored on input
    const canonical = toCanonical(f, value);
    if (f.spec.kind === 'int' && canonical === null && f.spec.default !== null) {
      throw new TrunklineError('VALIDATION', `${f.wire} must be an integer`, { field: f.wire });
    }
    patch[f.key] = canonical;
  }
  return { identity, patch };
}

/** Serialise one connection with its live figures (live fields are real zeros until the edge reports). */
export function serializeConnection(c: Connection, live: ConnectionLive): Record<string, unknown> {
  const out: Record<string, unknown> = {
    [NS_DOMAIN]: c.domain,
    [NS_ORIG_PATTERN]: c.origMatchPattern,
  };
  for (const f of NS_CONNECTION_FIELDS) {
    const v = c[f.key];
    switch (f.spec.kind) {
      case 'bool':
        out[f.wire] = v ? 'yes' : 'no';
        break;
      case 'int':
        // A null limit means "no limit"; the vendor types the field as integer, so it is left out.
        if (v !== null && v !== undefined) out[f.wire] = v;
        break;
      case 'json':
        out[f.wire] = v === undefined ? null : v;
        break;
      default:
        out[f.wire] = v;
    }
  }
  for (const [wire, key] of NS_LIVE_INT_FIELDS) out[wire] = live[key] ?? 0;
  const registered = nsDateTime(live.registeredAt);
  if (registered !== undefined) out[NS_REGISTERED_AT] = registered;
  const expires = nsDateTime(live.registrationExpiresAt);
  if (expires !== undefined) out[NS_REGISTRATION_EXPIRES] = expires;
  const modified = nsDateTime(c.lastModified);
  if (modified !== undefined) out[NS_LAST_MODIFIED] = modified;
  return out;
}

/** Rename a canonical field to its wire name in a validation error from the model. */
export function wireField(field: string): string {
  return NS_WIRE_BY_KEY.get(field) ?? field;
}

/** The NetSapiens error shape: `{"code":<status>,"message":"..."}`. */
export function formatError(err: TrunklineError): WireError {
  const status = err.httpStatus;
  return { status, body: { code: status, message: wireErrorMessage(err, wireField) } };
}

/**
 * The hot-path serialiser: the same output as `JSON.stringify(serializeConnection(c, live))`, generated once from
 * the field table as straight-line code (as fast-json-stringify does for fastify response schemas), so a GET
 * builds no intermediate object. Field names are constants from `fields.ts`, never request data.
 */
export type ConnectionJson = (c: Connection, live: ConnectionLive) => string;

function compileConnectionJson(): ConnectionJson {
  const q = (s: string) => JSON.stringify(JSON.stringify(s)); // a JS string literal holding the JSON key
  const lines: string[] = [
    "const S = JSON.stringify;",
    "const dt = nsDateTime;",
    `let o = '{' + ${q(NS_DOMAIN)} + ':' + S(c.domain) + ',' + ${q(NS_ORIG_PATTERN)} + ':' + S(c.origMatchPattern);`,
  ];
  for (const f of NS_CONNECTION_FIELDS) {
    const v = `c[${JSON.stringify(f.key)}]`;
    const k = `',' + ${q(f.wire)} + ':'`;
    switch (f.spec.kind) {
      case 'bool':
        lines.push(`o += ${k} + (${v} ? '"yes"' : '"no"');`);
        break;
      case 'int':
        lines.push(`if (typeof ${v} === 'number') o += ${k} + ${v};`);
        break;
      case 'json':
        lines.push(`o += ${k} + (${v} === undefined ? 'null' : S(${v}));`);
        break;
      default:
        lines.push(`o += ${k} + S(${v});`);
    }
  }
  for (const [wire, key] of NS_LIVE_INT_FIELDS) {
    lines.push(`o += ',' + ${q(wire)} + ':' + (live[${JSON.stringify(key)}] ?? 0);`);
  }
  for (const [wire, expr] of [
    [NS_REGISTERED_AT, 'live.registeredAt'],
    [NS_REGISTRATION_EXPIRES, 'live.registrationExpiresAt'],
    [NS_LAST_MODIFIED, 'c.lastModified'],
  ] as const) {
    lines.push(`{ const t = dt(${expr}); if (t !== undefined) o += ',' + ${q(wire)} + ':' + S(t); }`);
  }
  lines.push("return o + '}';");
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('nsDateTime', `return function connectionJson(c, live) {\n${lines.join('\n')}\n};`) as (
    dt: typeof nsDateTime,
  ) => ConnectionJson;
  return factory(nsDateTime);
}

export const connectionJson: ConnectionJson = compileConnectionJson();
