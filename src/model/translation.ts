/**
 * Number and host translations: the grammar of `connection-translation-*` fields.
 *
 * A translation is a template applied to one part of a URI (user or host) on its way through a connection:
 *   ''          no translation: the value passes unchanged (the vendor default)
 *   '[*]'       the original value, unchanged (what operators usually write)
 *   '1[*]'      prefix: 5551234 -> 15551234
 *   '[*]#'      suffix
 *   'gw.example' a literal replacement
 * `[*]` is the only bracketed token; any other bracket is a validation error, so that a template written for
 * another platform's richer syntax fails loudly instead of producing odd numbers on live calls.
 */
import { ValidationError } from './errors.js';

export type TranslationPart = 'user' | 'host';

export interface CompiledTranslation {
  readonly source: string;
  /** Literal pieces around each `[*]`; a template with no token is one piece (a replacement). */
  readonly pieces: readonly string[];
}

const USER_CHARS = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%#]*$/;
const HOST_CHARS = /^[A-Za-z0-9\-.:\[\]]*$/;
const MAX_TEMPLATE = 128;

export function compileTranslation(template: string, part: TranslationPart, field: string): CompiledTranslation {
  if (typeof template !== 'string') throw new ValidationError(field, 'must be a string');
  if (template.length > MAX_TEMPLATE) throw new ValidationError(field, `must be at most ${MAX_TEMPLATE} characters`);
  const pieces = template.split('[*]');
  const allowed = part === 'user' ? USER_CHARS : HOST_CHARS;
  for (const piece of pieces) {
    if (piece.includes('[') || piece.includes(']')) {
      if (part === 'host' && /^\[[0-9A-Fa-f:.]+\]$/.test(piece)) continue; // an IPv6 reference is a literal host
      throw new ValidationError(field, 'only the token [*] may appear in brackets');
    }
    if (!allowed.test(piece)) throw new ValidationError(field, `contains characters not allowed in a URI ${part}`);
  }
  return { source: template, pieces };
}

/** Apply a compiled translation; an empty template leaves the value as it was. */
export function applyTranslation(t: CompiledTranslation, value: string): string {
  if (t.source === '') return value;
  return t.pieces.join(value);
}
