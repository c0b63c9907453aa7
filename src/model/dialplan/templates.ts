/**
 * Dial rule translation templates (`dial-rule-translation-*`): the connection translation grammar of
 * `../translation.ts` (`[*]` = the value being translated, literal text around it, '' = unchanged) plus the
 * vendor's tokens `<OwnDomain>`, `<OwnCidNmbr>`, `<OwnCidName>`, which stand for values of the caller's
 * context (the owning domain, the caller's configured caller-ID number and name).
 *
 * The template is split on the tokens and every piece in between is compiled by `compileTranslation`, so
 * the `[*]` grammar and its character rules live in one place. The display-name template
 * (`dial-rule-translation-source-name`) allows what a quoted display name can hold (spaces, punctuation),
 * which the URI-part grammar refuses; it keeps the same `[*]` meaning and the same "no other brackets" rule.
 */
import { ValidationError } from '../errors.js';
import { applyTranslation, compileTranslation, type CompiledTranslation } from '../translation.js';
import { DIAL_RULE_TOKENS, type DialRuleToken } from './types.js';

export type TemplatePart = 'user' | 'host' | 'name';

export interface TokenValues {
  /** `<OwnDomain>`. */
  ownDomain?: string | undefined;
  /** `<OwnCidNmbr>`. */
  ownCidNumber?: string | undefined;
  /** `<OwnCidName>`. */
  ownCidName?: string | undefined;
}

type Segment = { kind: 'text'; translation: CompiledTranslation } | { kind: 'token'; token: DialRuleToken };

export interface CompiledTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
}

const TOKEN_SPLIT = new RegExp(`(${DIAL_RULE_TOKENS.map((t) => t.replace(/[<>]/g, '\\$&')).join('|')})`);
const MAX_NAME = 128;

function compileName(piece: string, field: string): CompiledTranslation {
  if (piece.length > MAX_NAME) throw new ValidationError(field, `must be at most ${MAX_NAME} characters`);
  const pieces = piece.split('[*]');
  for (const p of pieces) {
    if (p.includes('[') || p.includes(']')) throw new ValidationError(field, 'only the token [*] may appear in brackets');
    if (/[\u0000-\u001f\u007f"<>\\]/.test(p)) {
      throw new ValidationError(field, 'must not contain control characters, quotes, backslashes or <>');
    }
  }
  return { source: piece, pieces };
}

/** Compile a template; throws ValidationError naming `field`. */
export function compileDialTemplate(template: string, part: TemplatePart, field: string): CompiledTemplate {
  if (typeof template !== 'string') throw new ValidationError(field, 'must be a string');
  const segments: Segment[] = [];
  for (const piece of template.split(TOKEN_SPLIT)) {
    if (piece === '') continue;
    if ((DIAL_RULE_TOKENS as readonly string[]).includes(piece)) {
      segments.push({ kind: 'token', token: piece as DialRuleToken });
      continue;
    }
    if (/<[^>]*>/.test(piece)) {
      throw new ValidationError(field, `unknown token in "${piece}"; known tokens are ${DIAL_RULE_TOKENS.join(', ')}`);
    }
    const translation = part === 'name' ? compileName(piece, field) : compileTranslation(piece, part, field);
    segments.push({ kind: 'text', translation });
  }
  return { source: template, segments };
}

function tokenValue(token: DialRuleToken, values: TokenValues, original: string): string {
  // A token whose value the caller does not know stands for the value being translated, so a missing
  // context never blanks a URI part.
  switch (token) {
    case '<OwnDomain>':
      return values.ownDomain || original;
    case '<OwnCidNmbr>':
      return values.ownCidNumber || original;
    case '<OwnCidName>':
      return values.ownCidName || original;
  }
}

/** Apply a compiled template: '' leaves `original` unchanged, as for connection translations. */
export function applyDialTemplate(t: CompiledTemplate, original: string, values: TokenValues): string {
  if (t.source === '') return original;
  return t.segments
    .map((s) => (s.kind === 'token' ? tokenValue(s.token, values, original) : applyTranslation(s.translation, original)))
    .join('');
}
