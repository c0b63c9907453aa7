/**
 * Connection match patterns: the grammar behind `connection-orig-match-pattern` and
 * `connection-term-match-pattern`.
 *
 * A pattern is a SIP URI with `*` wildcards, in the forms operators write on NetSapiens:
 *   `sip*@carrier.example`   `*` spans the ":user" part, so any sip: URI at that host matches
 *   `sip:*@10.0.0.1`         any user at that host
 *   `sip:1555*@host:5070`    users starting with 1555, at that host and port
 *   `*@host`                 any scheme and user at host
 *   `1555*@host`             scheme-less: matched against `user@host` only
 *
 * A pattern that can never match a SIP URI (wrong scheme, empty or malformed host, forbidden characters)
 * is rejected at validation time so a typo never becomes a silently dead trunk.
 */
import { ValidationError } from './errors.js';

export interface CompiledMatchPattern {
  readonly source: string;
  /** True when the pattern carries no scheme and is compared with `user@host`. */
  readonly schemeless: boolean;
  /** Literal characters: more literal text = more specific, used to choose between overlapping patterns. */
  readonly specificity: number;
  readonly regex: RegExp;
}

/** The parts of a SIP URI a pattern is compared with. */
export interface MatchSubject {
  scheme: string; // 'sip' | 'sips'
  user: string | undefined;
  host: string;
  port?: number | undefined;
}

const MAX_PATTERN_LENGTH = 256;
// RFC 3261 §25.1 unreserved / user-unreserved / escaped characters, plus ':' '@' '*' '.' for the pattern shape.
const ALLOWED = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%:@\[\]]+$/;
const HOST_LITERAL = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function fail(field: string, why: string): never {
  throw new ValidationError(field, `${why}; a match pattern looks like sip*@host or sip:user*@host`);
}

/** Parse and validate a pattern; throws ValidationError naming `field` when it can never match. */
export function compileMatchPattern(pattern: string, field = 'origMatchPattern'): CompiledMatchPattern {
  if (typeof pattern !== 'string' || pattern.length === 0) fail(field, 'must not be empty');
  if (pattern.length > MAX_PATTERN_LENGTH) fail(field, `must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (!ALLOWED.test(pattern)) fail(field, 'contains characters that cannot appear in a SIP URI');

  const firstWild = pattern.indexOf('*');
  const literalHead = firstWild === -1 ? pattern : pattern.slice(0, firstWild);
  const colon = literalHead.indexOf(':');
  const at = literalHead.indexOf('@');
  let schemeless = false;
  if (colon !== -1 && (at === -1 || colon < at)) {
    const scheme = literalHead.slice(0, colon).toLowerCase();
    if (scheme !== 'sip' && scheme !== 'sips') fail(field, `scheme "${scheme}" can never match a SIP URI`);
  } else if (firstWild !== 0) {
    // No literal scheme: either the wildcard covers it ("sip*@h", "s*") or the pattern is scheme-less ("1555@h").
    const lower = literalHead.toLowerCase();
    const coversScheme = firstWild !== -1 && ('sips:'.startsWith(lower) || 'sip:'.startsWith(lower));
    schemeless = !coversScheme;
  }

  const lastAt = pattern.lastIndexOf('@');
  if (lastAt !== -1) {
    const host = pattern.slice(lastAt + 1);
    if (host.length === 0) fail(field, 'has an empty host after "@"');
    if (!host.includes('*') && !HOST_LITERAL.test(host)) fail(field, `host "${host}" is not a valid host name or address`);
    const user = pattern.slice(0, lastAt);
    if (user.length === 0) fail(field, 'has an empty user part before "@"');
  } else if (schemeless && !pattern.includes('*')) {
    if (!HOST_LITERAL.test(pattern)) fail(field, 'is neither a URI nor a host');
  }
  if (/\[(?!\*\])/.test(pattern) && !/\[[0-9A-Fa-f:.]+\]/.test(pattern)) fail(field, 'has an unbalanced "["');

  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return {
    source: pattern,
    schemeless,
    specificity: pattern.replace(/\*/g, '').length,
    regex: new RegExp(`^${body}$`, 'i'),
  };
}

/** The text a compiled pattern is compared with, e.g. `sip:1555@10.0.0.1:5070`. */
export function matchSubjectText(subject: MatchSubject, schemeless: boolean): string {
  const userPart = subject.user === undefined || subject.user === '' ? '' : `${subject.user}@`;
  const hostPart = subject.port === undefined ? subject.host : `${subject.host}:${subject.port}`;
  return schemeless ? `${userPart}${hostPart}` : `${subject.scheme}:${userPart}${hostPart}`;
}

export function matchesPattern(compiled: CompiledMatchPattern, subject: MatchSubject): boolean {
  if (compiled.regex.test(matchSubjectText(subject, compiled.schemeless))) return true;
  // An operator writing `sip:*@host` means any port on that host unless a port is written.
  if (subject.port !== undefined) {
    return compiled.regex.test(matchSubjectText({ ...subject, port: undefined }, compiled.schemeless));
  }
  return false;
}
