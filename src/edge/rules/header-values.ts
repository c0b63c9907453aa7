/**
 * Writing header values safely. Identity values come from callers and from configuration; nothing here
 * lets one of them break out of its place in a header (no CR/LF, no unescaped `>` or `"`).
 */

/** RFC 3261 §25.1 `user` characters kept as they are; everything else is %-escaped. */
const USER_SAFE = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;
const HOST_SAFE = /[A-Za-z0-9\-.:\[\]]/;

export function escapeUser(user: string): string {
  const chars = [...user]; // code points, so a character outside the BMP is escaped as one UTF-8 sequence
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (USER_SAFE.test(c)) out += c;
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test((chars[i + 1] ?? '') + (chars[i + 2] ?? ''))) out += c;
    // Buffer, not encodeURIComponent: a lone surrogate becomes U+FFFD instead of throwing.
    else for (const b of Buffer.from(c, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A host keeps only host characters; anything else is dropped rather than escaped (hosts have no escapes). */
export function sanitizeHost(host: string): string {
  let out = '';
  for (const c of host) if (HOST_SAFE.test(c)) out += c;
  return out;
}

/** RFC 3261 quoted-string for a display name; control characters are removed. */
export function quoteDisplayName(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '');
  return `"${clean.replace(/[\\"]/g, '\\$&')}"`;
}

/** `"Name" <uri>` or `<uri>` when the name is empty. */
export function nameAddr(displayName: string, uri: string): string {
  return displayName === '' ? `<${uri}>` : `${quoteDisplayName(displayName)} <${uri}>`;
}

export function sipUri(user: string, host: string, scheme = 'sip'): string {
  const h = sanitizeHost(host);
  return user === '' ? `${scheme}:${h}` : `${scheme}:${escapeUser(user)}@${h}`;
}
