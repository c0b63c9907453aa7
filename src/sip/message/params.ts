/**
 * Parameters: the `;name=value` lists of URIs (RFC 3261 §19.1.1) and of header fields
 * (generic-param, §25.1).
 *
 * Names compare case-insensitively (§7.3.1, §19.1.4). Values are kept exactly as received
 * (a quoted value keeps its quotes) so re-serialising does not alter them; use
 * {@link ParamList.getUnquoted} for the text inside the quotes.
 */
import { SipParseError } from '../errors.js';
import { PARAM_VALUE, TOKEN, endOfQuoted, isLws, unquote } from './charset.js';

export type ParamValue = string | null;

export class ParamList implements Iterable<[string, ParamValue]> {
  private readonly items: Array<[string, ParamValue]>;

  constructor(items?: Iterable<[string, ParamValue]>) {
    this.items = [];
    if (items !== undefined) for (const [n, v] of items) this.items.push([n, v]);
  }

  private indexOf(name: string): number {
    const items = this.items;
    if (items.length === 0) return -1;
    let lower: string | undefined;
    for (let i = 0; i < items.length; i++) {
      const n = items[i]![0];
      if (n === name) return i;
      if (n.length === name.length && n.toLowerCase() === (lower ??= name.toLowerCase())) return i;
    }
    return -1;
  }

  /** `undefined`: absent; `null`: present without value (e.g. `;lr`); otherwise the raw value. */
  get(name: string): ParamValue | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.items[i]![1];
  }

  /** Like {@link get}, with a quoted-string value unquoted. */
  getUnquoted(name: string): ParamValue | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? unquote(v) : v;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** Replace the value in place (keeps the position), or append when absent. */
  set(name: string, value: ParamValue): this {
    const i = this.indexOf(name);
    if (i >= 0) this.items[i] = [this.items[i]![0], value];
    else this.items.push([name, value]);
    return this;
  }

  delete(name: string): boolean {
    const i = this.indexOf(name);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  get size(): number {
    return this.items.length;
  }

  clone(): ParamList {
    return new ParamList(this.items);
  }

  [Symbol.iterator](): Iterator<[string, ParamValue]> {
    return this.items[Symbol.iterator]();
  }

  /** `;a=b;c` — empty string when there are no parameters. */
  toString(): string {
    let out = '';
    for (const [n, v] of this.items) out += v === null ? `;${n}` : `;${n}=${v}`;
    return out;
  }
}

/**
 * Parse header parameters (`*( SEMI generic-param )`) starting at `pos` in `s`, where
 * SEMI and EQUAL allow surrounding LWS (§25.1). Stops at the end of `s`.
 *
 * @throws SipParseError when something other than parameters follows.
 */
export function parseHeaderParams(s: string, pos: number, header: string): ParamList {
  const params = new ParamList();
  let i = pos;
  const n = s.length;
  while (i < n && isLws(s.charCodeAt(i))) i++;
  while (i < n) {
    if (s.charCodeAt(i) !== 0x3b /* ; */) {
      throw new SipParseError('INVALID_HEADER_VALUE', `Invalid ${displayHeader(header)} Header`, {
        header,
        detail: `unexpected "${s.slice(i, i + 10)}"`,
      });
    }
    i++;
    while (i < n && isLws(s.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN[c] === 0) break;
      i++;
    }
    if (i === nameStart) {
      throw new SipParseError('INVALID_HEADER_VALUE', `Invalid ${displayHeader(header)} Header`, {
        header,
        detail: 'empty parameter name',
      });
    }
    const name = s.slice(nameStart, i);
    while (i < n && isLws(s.charCodeAt(i))) i++;
    let value: ParamValue = null;
    if (i < n && s.charCodeAt(i) === 0x3d /* = */) {
      i++;
      while (i < n && isLws(s.charCodeAt(i))) i++;
      const vStart = i;
      if (i < n && s.charCodeAt(i) === 0x22) {
        const end = endOfQuoted(s, i);
        if (end < 0) {
          throw new SipParseError('INVALID_HEADER_VALUE', `Invalid ${displayHeader(header)} Header`, {
            header,
            detail: 'unterminated quoted parameter value',
          });
        }
        i = end;
      } else {
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c < 128 && PARAM_VALUE[c] === 0) break;
          i++;
        }
      }
      if (i === vStart) {
        throw new SipParseError('INVALID_HEADER_VALUE', `Invalid ${displayHeader(header)} Header`, {
          header,
          detail: `empty value for parameter ${name}`,
        });
      }
      value = s.slice(vStart, i);
      while (i < n && isLws(s.charCodeAt(i))) i++;
    }
    params.set(name, value);
  }
  return params;
}

const DISPLAY: Record<string, string> = {
  via: 'Via',
  from: 'From',
  to: 'To',
  contact: 'Contact',
  route: 'Route',
  'record-route': 'Record-Route',
  'reply-to': 'Reply-To',
  cseq: 'CSeq',
  'call-id': 'Call-ID',
};

/** Header name for human-readable reason phrases ("Invalid To Header"). */
export function displayHeader(key: string): string {
  return DISPLAY[key] ?? key.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}
