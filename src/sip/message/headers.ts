/**
 * Header fields (RFC 3261 §7.3, §20).
 *
 * - Names are case-insensitive and have compact forms (§7.3.3: "v" is Via, "i" is Call-ID, ...);
 *   every field carries a canonical lower-case long `key` used for lookups.
 * - A field parsed from the wire keeps its exact original text in `raw` (name, spacing and
 *   folding included) so that a proxy re-emits untouched headers byte for byte.
 * - Several values of a list header may share one line separated by commas (§7.3.1); commas
 *   inside quoted strings and <...> do not separate (see {@link splitHeaderValues}).
 */
import { endOfQuoted } from './charset.js';

export interface HeaderField {
  /** Name as written on the wire or by the application ("v", "VIA", "Via"). */
  readonly name: string;
  /** Canonical lower-case long form ("via"). */
  readonly key: string;
  /** Value with line folding replaced by a single SP and outer whitespace trimmed. */
  readonly value: string;
  /** Exact original text of the field (without the final CRLF); absent for fields built in code. */
  readonly raw?: string;
}

/** Compact forms (RFC 3261 §7.3.3 and the extensions that define one). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474 (obsolete)
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
};

/**
 * Headers whose values may be combined with commas on one line (§7.3.1: those whose grammar
 * is a comma-separated list). Authorization-style headers and Date are NOT in this set:
 * their commas separate auth-params / date parts.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'allow',
  'allow-events',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'content-language',
  'alert-info',
  'call-info',
  'error-info',
  'in-reply-to',
  'warning',
  'p-asserted-identity',
  'p-preferred-identity',
  'history-info',
  'reason',
  'accept-contact',
  'reject-contact',
  'request-disposition',
  'security-client',
  'security-server',
  'security-verify',
]);

/** Lower-case long form of a header name ("V" → "via", "Call-Id" → "call-id"). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) return COMPACT_FORMS[lower] ?? lower;
  return lower;
}

/** Conventional spelling of a header name for fields generated in code ("call-id" → "Call-ID"). */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  const known = CANONICAL[key];
  if (known) return known;
  let out = '';
  let up = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    out += up ? ch.toUpperCase() : ch;
    up = ch === '-';
  }
  return out;
}

/**
 * Split a header value on the commas that separate list elements, ignoring commas inside
 * quoted strings and inside <...> (§7.3.1). Empty elements are dropped; elements are trimmed.
 * Linear time, no regular expressions.
 */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let angle = 0;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = endOfQuoted(value, i);
      if (end < 0) break; // unterminated: the rest is one element, its parser will reject it
      i = end - 1;
    } else if (c === 0x3c /* < */) angle++;
    else if (c === 0x3e /* > */) {
      if (angle > 0) angle--;
    } else if (c === 0x2c /* , */ && angle === 0) {
      const part = value.slice(start, i).trim();
      if (part.length > 0) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

/**
 * Ordered, case-insensitive collection of header fields.
 *
 * Structured views (parsed Via, From, CSeq ...) are memoised per header key and dropped
 * whenever a field with that key changes, so headers are only parsed when somebody asks.
 */
export class Headers implements Iterable<HeaderField> {
  private fields: HeaderField[];
  private memo: Map<string, unknown> | undefined;

  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }

  /** Build from [name, value] pairs (names in any case or compact form). */
  static from(pairs: Iterable<[string, string]>): Headers {
    const h = new Headers();
    for (const [n, v] of pairs) h.append(n, v);
    return h;
  }

  get size(): number {
    return this.fields.length;
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  /** All fields in wire order (a copy of the list, fields themselves are immutable). */
  list(): HeaderField[] {
    return this.fields.slice();
  }

  /** Fields with the given name (any case, compact or long form). */
  fieldsOf(name: string): HeaderField[] {
    const key = headerKey(name);
    const out: HeaderField[] = [];
    for (const f of this.fields) if (f.key === key) out.push(f);
    return out;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return true;
    return false;
  }

  /** Value of the first field with that name. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Values of every field with that name, one entry per header line (not comma-split). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /** Every list element of the header across all its lines, comma-split per §7.3.1. */
  getList(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === key) for (const v of splitHeaderValues(f.value)) out.push(v);
    return out;
  }

  /** Number of lines carrying that header. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === key) n++;
    return n;
  }

  /** Append a field at the end. */
  append(name: string, value: string): this {
    const key = headerKey(name);
    this.fields.push({ name: name.length === 1 ? canonicalHeaderName(key) : name, key, value });
    this.invalidate(key);
    return this;
  }

  /** Insert a field before every other field with the same name (e.g. a new top Via). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const field: HeaderField = { name: name.length === 1 ? canonicalHeaderName(key) : name, key, value };
    const idx = this.fields.findIndex((f) => f.key === key);
    if (idx < 0) this.fields.push(field);
    else this.fields.splice(idx, 0, field);
    this.invalidate(key);
    return this;
  }

  /** Replace every field of that name by one field at the position of the first. */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    const field: HeaderField = { name: name.length === 1 ? canonicalHeaderName(key) : name, key, value };
    if (idx < 0) {
      this.fields.push(field);
    } else {
      const next: HeaderField[] = [];
      let placed = false;
      for (const f of this.fields) {
        if (f.key !== key) next.push(f);
        else if (!placed) {
          next.push(field);
          placed = true;
        }
      }
      this.fields = next;
    }
    this.invalidate(key);
    return this;
  }

  /** Remove every field of that name; returns how many lines were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    const before = this.fields.length;
    this.fields = this.fields.filter((f) => f.key !== key);
    this.invalidate(key);
    return before - this.fields.length;
  }

  /**
   * Replace the first list element of a header (e.g. the top Via when adding `received`),
   * keeping the other elements of a comma-combined line and every other line untouched.
   */
  replaceFirstValue(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    if (idx < 0) return this.append(name, value);
    const f = this.fields[idx]!;
    const parts = splitHeaderValues(f.value);
    parts[0] = value;
    this.fields[idx] = { name: f.name, key, value: parts.join(', ') };
    this.invalidate(key);
    return this;
  }

  /** Remove the first list element of a header (a proxy removing its Via, §16.7 step 3). */
  removeFirstValue(name: string): string | undefined {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    if (idx < 0) return undefined;
    const f = this.fields[idx]!;
    const parts = splitHeaderValues(f.value);
    const first = parts.shift();
    if (parts.length === 0) this.fields.splice(idx, 1);
    else this.fields[idx] = { name: f.name, key, value: parts.join(', ') };
    this.invalidate(key);
    return first;
  }

  /** Append an existing field object unchanged (keeps its raw text). */
  appendField(field: HeaderField): this {
    this.fields.push(field);
    this.invalidate(field.key);
    return this;
  }

  /** Deep-enough copy: the field objects are immutable so they are shared. */
  clone(): Headers {
    return new Headers(this.fields.slice());
  }

  /**
   * Memoise a structured view of a header. `compute` may throw (typically SipParseError);
   * errors are not cached so the caller sees them every time.
   */
  memoize<T>(key: string, compute: () => T): T {
    const m = (this.memo ??= new Map());
    if (m.has(key)) return m.get(key) as T;
    const v = compute();
    m.set(key, v);
    return v;
  }

  /**
   * Forget every parsed view (they are parsed again from the field text if asked for). For messages kept
   * only to answer retransmissions: a parsed URI, its parameters and name-addrs cost more than the text.
   */
  releaseMemo(): void {
    this.memo = undefined;
  }

  /** A memoised value if it was already computed (never computes). */
  peekMemo<T>(key: string): T | undefined {
    return this.memo?.get(key) as T | undefined;
  }

  private invalidate(key: string): void {
    if (!this.memo) return;
    for (const k of this.memo.keys()) if (k === key || k.startsWith(key + '/')) this.memo.delete(k);
  }
}
