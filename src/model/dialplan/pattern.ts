/**
 * The matching grammar of `dial-rule-matching-to-uri`, `dial-rule-matching-from-uri` and
 * `permission-match`.
 *
 * The vendor's examples are `sip:611@*`, `sip:1??????????@*`, `sip:????@*` and `*`, and stored tables also
 * hold bare users (`Prompt_900001.Case_1`). The grammar trunkline implements:
 *   `*`       any run of characters, including none
 *   `?`       exactly one character (the vendor's "11 digits" is `1??????????`)
 *   `[...]`   one character from a class: digits/letters and ranges, e.g. `[2-9]`, `[135]`, `[0-9#*]`
 *             (the same bracket form the vendor uses for day-of-week classes); a bracket holding `:` is an
 *             IPv6 host literal (`[2001:db8::1]`), not a class
 *   other     literal, compared case-insensitively (hosts are case-insensitive; users are digits in practice)
 * NXX-style letters (`N` = 2-9, `X` = 0-9) are NOT wildcards: the vendor documents no such syntax and stored
 * patterns use letters literally, so `[2-9]` and `?` are the way to write them.
 *
 * What a pattern is compared with depends on its shape, so that `611` and `sip:611@*` both work:
 *   `sip:user@host` / `sips:...`   the URI with its scheme   (`sip:611@pbx.example`)
 *   `user@host`                    user@host                  (`611@pbx.example`)
 *   `user` (no `@`)                the user part alone        (`611`)
 * A lone `*` matches everything, with or without a host.
 */
import { ValidationError } from '../errors.js';

export interface DialPatternSubject {
  /** `sip` unless the caller knows better. */
  scheme?: string | undefined;
  user: string;
  /** Empty when the subject has no host (a bare dialled number). */
  host: string;
}

/** How specific one side (user or host) of a pattern is; see `compareSpecificity`. */
export interface PartSpecificity {
  /** Literal characters. */
  readonly literals: number;
  /** `?` and `[...]` positions: each pins one character without naming it. */
  readonly singles: number;
  /** `*` wildcards. */
  readonly stars: number;
}

export interface CompiledDialPattern {
  readonly source: string;
  /** True for the lone `*`. */
  readonly matchesAll: boolean;
  readonly hasScheme: boolean;
  readonly hasHost: boolean;
  readonly regex: RegExp;
  readonly user: PartSpecificity;
  readonly host: PartSpecificity;
}

const MAX_PATTERN = 256;
const CLASS_CHARS = /^[0-9A-Za-z#*+]$/;

type Token =
  | { kind: 'literal'; text: string }
  | { kind: 'star' }
  | { kind: 'one' }
  | { kind: 'class'; regex: string };

function fail(field: string, why: string): never {
  throw new ValidationError(field, `${why}; a dial pattern looks like sip:1??????????@*, sip:[2-9]11@* or *`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Parse the inside of `[...]` into a regex class body. */
function compileClass(body: string, field: string): string {
  if (body.length === 0) fail(field, 'has an empty [] class');
  if (body.startsWith('^') || body.startsWith('!')) fail(field, 'negated classes ([^...]) are not supported');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (!CLASS_CHARS.test(c)) fail(field, `"${c}" cannot appear in a [] class`);
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const end = body[i + 2] as string;
      if (!CLASS_CHARS.test(end)) fail(field, `"${end}" cannot end a range`);
      if (end < c) fail(field, `range ${c}-${end} runs backwards`);
      out += `${escapeRegex(c)}-${escapeRegex(end)}`;
      i += 2;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function tokenize(text: string, field: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = () => {
    if (literal !== '') tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '*') {
      flush();
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      flush();
      tokens.push({ kind: 'one' });
    } else if (c === '[') {
      const close = text.indexOf(']', i + 1);
      if (close === -1) fail(field, 'has an unbalanced "["');
      const body = text.slice(i + 1, close);
      if (body.includes(':')) {
        literal += text.slice(i, close + 1); // an IPv6 reference in a host
      } else {
        flush();
        tokens.push({ kind: 'class', regex: `[${compileClass(body, field)}]` });
      }
      i = close;
    } else if (c === ']') {
      fail(field, 'has an unbalanced "]"');
    } else {
      literal += c;
    }
  }
  flush();
  return tokens;
}

function specificityOf(tokens: readonly Token[]): PartSpecificity {
  let literals = 0;
  let singles = 0;
  let stars = 0;
  for (const t of tokens) {
    if (t.kind === 'literal') literals += t.text.length;
    else if (t.kind === 'star') stars += 1;
    else singles += 1;
  }
  return { literals, singles, stars };
}

function regexOf(tokens: readonly Token[]): string {
  return tokens
    .map((t) => {
      switch (t.kind) {
        case 'literal':
          return escapeRegex(t.text);
        case 'star':
          return '.*';
        case 'one':
          return '.';
        case 'class':
          return t.regex;
      }
    })
    .join('');
}

/** `@` that separates user and host: the last one outside a bracket. */
function hostSeparator(text: string): number {
  let depth = 0;
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === '@' && depth === 0) at = i;
  }
  return at;
}

/** Compile a pattern; throws ValidationError naming `field` when it is not in the grammar. */
export function compileDialPattern(pattern: string, field: string): CompiledDialPattern {
  if (typeof pattern !== 'string' || pattern.length === 0) fail(field, 'must not be empty');
  if (pattern.length > MAX_PATTERN) fail(field, `must be at most ${MAX_PATTERN} characters`);
  if (/[\s\u0000-\u001f\u007f<>"]/.test(pattern)) fail(field, 'contains spaces, control characters or <>"');
  const none: PartSpecificity = { literals: 0, singles: 0, stars: 1 };
  if (pattern === '*') {
    return { source: pattern, matchesAll: true, hasScheme: false, hasHost: false, regex: /^.*$/s, user: none, host: none };
  }
  const schemeMatch = /^(sips?):/i.exec(pattern);
  const hasScheme = schemeMatch !== null;
  const rest = hasScheme ? pattern.slice((schemeMatch[0] as string).length) : pattern;
  const at = hostSeparator(rest);
  const hasHost = at !== -1;
  const userText = hasHost ? rest.slice(0, at) : rest;
  const hostText = hasHost ? rest.slice(at + 1) : '';
  if (userText === '') fail(field, 'has an empty user part');
  if (hasHost && hostText === '') fail(field, 'has an empty host after "@"');
  const userTokens = tokenize(userText, field);
  const hostTokens = hasHost ? tokenize(hostText, field) : [];
  const scheme = hasScheme ? `${escapeRegex((schemeMatch[1] as string).toLowerCase())}:` : '';
  const body = `${scheme}${regexOf(userTokens)}${hasHost ? `@${regexOf(hostTokens)}` : ''}`;
  return {
    source: pattern,
    matchesAll: false,
    hasScheme,
    hasHost,
    regex: new RegExp(`^${body}$`, 'is'),
    user: specificityOf(userTokens),
    host: hasHost ? specificityOf(hostTokens) : none,
  };
}

export function matchDialPattern(compiled: CompiledDialPattern, subject: DialPatternSubject): boolean {
  if (compiled.matchesAll) return true;
  const scheme = (subject.scheme ?? 'sip').toLowerCase();
  const text = `${compiled.hasScheme ? `${scheme}:` : ''}${subject.user}${compiled.hasHost ? `@${subject.host}` : ''}`;
  return compiled.regex.test(text);
}

function comparePart(a: PartSpecificity, b: PartSpecificity): number {
  if (a.literals !== b.literals) return b.literals - a.literals;
  if (a.singles !== b.singles) return b.singles - a.singles;
  return a.stars - b.stars;
}

/**
 * Negative when `a` is more specific than `b`. The user part decides first (the dialled digits are what a
 * plan is about: `sip:911@*` must beat `sip:*@carrier.example` for 911 at that carrier), then the host.
 * Within a part: more literal characters, then more `?`/`[...]` positions, then fewer `*`.
 */
export function compareSpecificity(a: CompiledDialPattern, b: CompiledDialPattern): number {
  return comparePart(a.user, b.user) || comparePart(a.host, b.host) || Number(b.hasScheme) - Number(a.hasScheme);
}

/** Split `[scheme:]user[@host]` as written by a caller of `policyPermits` or a test. */
export function parseDialSubject(text: string): DialPatternSubject {
  const m = /^(sips?|tel):/i.exec(text);
  const scheme = m ? (m[1] as string).toLowerCase() : 'sip';
  const rest = m ? text.slice((m[0] as string).length) : text;
  const at = rest.lastIndexOf('@');
  if (at === -1) return { scheme, user: rest, host: '' };
  // URI parameters (`;user=phone`) and headers (`?x=y`) follow the host; they are not part of it.
  return { scheme, user: rest.slice(0, at), host: rest.slice(at + 1).split(/[;?]/)[0] ?? '' };
}
