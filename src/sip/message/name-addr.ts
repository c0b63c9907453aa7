/**
 * name-addr / addr-spec with header parameters: the value of From, To, Contact, Route,
 * Record-Route, Reply-To, Refer-To, P-Asserted-Identity... (RFC 3261 §20.10, §25.1).
 *
 *   ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * §20.10: without <>, a URI cannot carry parameters or headers; any ";" after it starts the
 * header parameters and a URI containing "," "?" or ";" MUST be enclosed in <> — RFC 4475
 * §3.1.2.13 ("regbadct") is rejected for that reason.
 */
import { SipParseError } from '../errors.js';
import { TOKEN, endOfQuoted, isLws, isWs, quote, unquote } from './charset.js';
import { splitHeaderValues } from './headers.js';
import { ParamList, displayHeader, parseHeaderParams } from './params.js';
import { SipUri, parseUri, type Uri } from './uri.js';

export class NameAddr {
  /** Display name as text (quotes and quoted-pairs resolved), if any. */
  displayName: string | undefined;
  uri: Uri;
  /** Header parameters (tag, expires, q, ...). */
  params: ParamList;
  /** Whether the URI was written in <> (kept so re-serialising preserves the form). */
  angleBrackets: boolean;
  /** Whether the display name was a quoted-string on the wire. */
  quotedDisplayName: boolean;

  constructor(init: {
    uri: Uri;
    displayName?: string;
    params?: ParamList;
    angleBrackets?: boolean;
    quotedDisplayName?: boolean;
  }) {
    this.uri = init.uri;
    this.displayName = init.displayName;
    this.params = init.params ?? new ParamList();
    this.angleBrackets = init.angleBrackets ?? true;
    this.quotedDisplayName = init.quotedDisplayName ?? true;
  }

  /** `tag` parameter of From/To (§19.3). */
  get tag(): string | undefined {
    const t = this.params.get('tag');
    return typeof t === 'string' ? t : undefined;
  }

  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete('tag');
    else this.params.set('tag', value);
  }

  clone(): NameAddr {
    return new NameAddr({
      uri: this.uri.clone(),
      ...(this.displayName !== undefined ? { displayName: this.displayName } : {}),
      params: this.params.clone(),
      angleBrackets: this.angleBrackets,
      quotedDisplayName: this.quotedDisplayName,
    });
  }

  toString(): string {
    let out = '';
    const needsAngle =
      this.angleBrackets ||
      this.displayName !== undefined ||
      (this.uri instanceof SipUri && (this.uri.params.size > 0 || this.uri.headers.length > 0)) ||
      /[,;?]/.test(this.uri.toString());
    if (this.displayName !== undefined && this.displayName.length > 0) {
      out += this.quotedDisplayName || !isTokenList(this.displayName) ? quote(this.displayName) : this.displayName;
      out += ' ';
    }
    out += needsAngle ? `<${this.uri.toString()}>` : this.uri.toString();
    return out + this.params.toString();
  }
}

/** Contact: * (REGISTER removing all bindings, §10.2.2). */
export const WILDCARD = '*';

function isTokenList(s: string): boolean {
  const words = s.split(' ');
  for (const w of words) {
    if (w.length === 0) return false;
    for (let i = 0; i < w.length; i++) {
      const c = w.charCodeAt(i);
      if (c >= 128 || TOKEN[c] === 0) return false;
    }
  }
  return true;
}

/**
 * Parse one name-addr / addr-spec with its parameters.
 *
 * @param header lower-case header key, only used for error messages ("Invalid To Header").
 * @throws SipParseError (code INVALID_NAME_ADDR)
 */
export function parseNameAddr(value: string, header = 'to'): NameAddr {
  const fail = (detail: string): SipParseError =>
    new SipParseError('INVALID_NAME_ADDR', `Invalid ${displayHeader(header)} Header`, { header, detail });
  const s = value;
  const n = s.length;
  let i = 0;
  while (i < n && isLws(s.charCodeAt(i))) i++;
  if (i === n) throw fail('empty value');

  let displayName: string | undefined;
  let quoted = false;
  let uriText: string;
  let angle = false;

  if (s.charCodeAt(i) === 0x22 /* " */) {
    const end = endOfQuoted(s, i);
    if (end < 0) throw fail('unterminated quoted display name');
    displayName = unquote(s.slice(i, end));
    quoted = true;
    i = end;
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3c) throw fail('expected < after display name');
  }

  // Find a "<" that starts a name-addr: everything before it must be display-name tokens.
  let lt = -1;
  if (s.charCodeAt(i) === 0x3c) lt = i;
  else {
    for (let j = i; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x3c) {
        lt = j;
        break;
      }
      if (c === 0x22 || c === 0x3b /* ; */ || c === 0x3e) break;
      // A ":" before any "<" means we are reading a URI (addr-spec form), not a display name.
      if (c === 0x3a) break;
    }
  }

  if (lt >= 0) {
    if (!quoted) {
      const dn = s.slice(i, lt).trim();
      if (dn.length > 0) {
        // display-name = *(token LWS): tokens separated by whitespace, nothing else.
        for (let k = 0; k < dn.length; k++) {
          const c = dn.charCodeAt(k);
          if (isLws(c)) continue;
          if (c >= 128 || TOKEN[c] === 0) throw fail('invalid character in display name');
        }
        displayName = dn;
      }
    }
    const gt = s.indexOf('>', lt + 1);
    if (gt < 0) throw fail('missing >');
    uriText = s.slice(lt + 1, gt);
    if (uriText.length === 0) throw fail('empty URI');
    // addr-spec inside <> has no surrounding whitespace (RFC 4475 §3.1.2.14 "badaspec").
    if (isLws(uriText.charCodeAt(0)) || isLws(uriText.charCodeAt(uriText.length - 1))) {
      throw fail('whitespace inside <>');
    }
    angle = true;
    i = gt + 1;
  } else {
    if (quoted) throw fail('expected <');
    const start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3b /* ; */ || isWs(c) || c === 0x0d || c === 0x0a) break;
      i++;
    }
    uriText = s.slice(start, i);
    if (uriText.indexOf('?') >= 0 || uriText.indexOf(',') >= 0) {
      throw fail('URI with headers or commas must be enclosed in <>');
    }
  }

  let uri: Uri;
  try {
    uri = parseUri(uriText);
  } catch (e) {
    throw fail(e instanceof Error ? e.message : 'invalid URI');
  }
  let params: ParamList;
  try {
    params = parseHeaderParams(s, i, header);
  } catch (e) {
    throw fail(e instanceof Error ? e.message : 'invalid parameters');
  }
  return new NameAddr({
    uri,
    ...(displayName !== undefined ? { displayName } : {}),
    params,
    angleBrackets: angle,
    quotedDisplayName: quoted,
  });
}

/** Parse a comma-separated list of name-addrs (Contact, Route, Record-Route...). */
export function parseNameAddrList(value: string, header = 'contact'): NameAddr[] {
  const parts = splitHeaderValues(value);
  if (parts.length === 0) {
    throw new SipParseError('INVALID_NAME_ADDR', `Invalid ${displayHeader(header)} Header`, { header, detail: 'empty value' });
  }
  return parts.map((p) => parseNameAddr(p, header));
}
