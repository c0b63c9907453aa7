/**
 * The vendor's derived identifiers.
 *
 * `dialrule`: "a base64 encoding of the concatenation with `||` of ... dial-rule-matching-to-uri,
 * -from-uri, -day-of-week, -start-date, -end-date, -start-time, -end-time" (vendor text). The vendor's own
 * path example, `c2lwOjYxMUAq`, is base64 of `sip:611@*` alone, so `parseDialRuleId` also accepts an id
 * that carries fewer fields (the rest take their defaults, `*`).
 *
 * `permission-id`: "the base64 encode of permission-match".
 */
import { ValidationError } from '../errors.js';
import { DIAL_RULE_MATCHING_KEYS, type DialRuleMatching } from './types.js';

const SEPARATOR = '||';

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function fromBase64(id: string, field: string): string {
  // Accept standard and URL-safe alphabets, with or without padding, since ids travel in URL paths.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(id)) throw new ValidationError(field, 'is not a base64 id');
  const text = Buffer.from(id.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  if (text.includes('\uFFFD') || text === '') throw new ValidationError(field, 'is not a base64 id');
  return text;
}

export function dialRuleId(rule: DialRuleMatching): string {
  return toBase64(DIAL_RULE_MATCHING_KEYS.map((k) => rule[k]).join(SEPARATOR));
}

/** The matching fields an id stands for; fields the id leaves out are `*`. */
export function parseDialRuleId(id: string, field = 'dialrule'): DialRuleMatching {
  const parts = fromBase64(id, field).split(SEPARATOR);
  if (parts.length > DIAL_RULE_MATCHING_KEYS.length) throw new ValidationError(field, 'carries too many fields');
  const out: Record<string, string> = {};
  DIAL_RULE_MATCHING_KEYS.forEach((k, i) => {
    out[k] = parts[i] ?? '*';
  });
  return out as unknown as DialRuleMatching;
}

/** True when `id` names the rule, in the full form or the short form the vendor's example uses. */
export function dialRuleIdMatches(id: string, rule: DialRuleMatching): boolean {
  try {
    const parsed = parseDialRuleId(id);
    return DIAL_RULE_MATCHING_KEYS.every((k) => parsed[k] === rule[k]);
  } catch {
    return false;
  }
}

export function permissionId(match: string): string {
  return toBase64(match);
}

export function parsePermissionId(id: string, field = 'permissionId'): string {
  return fromBase64(id, field);
}
