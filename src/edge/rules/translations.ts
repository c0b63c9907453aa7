/**
 * NetSapiens connection translations (`translationRequestUser/Host`, `translationDestinationUser/Host`,
 * `translationSourceUser/Host`), applied to the call trunkline sends to the connection: Request-URI,
 * To ("destination") and From ("source"). The grammar is `src/model/translation.ts` (`[*]` = the value
 * as it is, literal text around it, '' = unchanged); this file only decides which value each field acts on.
 *
 * One exception, so that privacy and "unknown" survive formatting: the source-user translation is not
 * applied to an empty or anonymous From user, which `1[*]` would otherwise turn into `1` or `1anonymous`.
 */
import { ValidationError } from '../../model/errors.js';
import { applyTranslation, compileTranslation, type CompiledTranslation, type TranslationPart } from '../../model/translation.js';
import { ANONYMOUS_USER, type CallIdentity } from './identity.js';

export interface ConnectionTranslations {
  readonly translationRequestUser: string;
  readonly translationRequestHost: string;
  readonly translationDestinationUser: string;
  readonly translationDestinationHost: string;
  readonly translationSourceUser: string;
  readonly translationSourceHost: string;
}

export interface SkippedRule {
  /** Canonical field whose value could not be used. */
  readonly field: string;
  readonly reason: string;
}

export interface StepResult {
  readonly identity: CallIdentity;
  /** Names of the settings that changed something, in the order they ran. */
  readonly applied: readonly string[];
  /** Settings whose value was invalid and was therefore ignored (validation should have refused it). */
  readonly skipped: readonly SkippedRule[];
}

const compiled = new Map<string, CompiledTranslation>();

/** Compile (cached) or report why not; never throws. */
export function tryCompileTranslation(template: string, part: TranslationPart, field: string): CompiledTranslation | SkippedRule {
  const key = `${part}\u0000${field}\u0000${template}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  try {
    const t = compileTranslation(template, part, field);
    if (compiled.size > 4096) compiled.clear();
    compiled.set(key, t);
    return t;
  } catch (err) {
    return { field, reason: err instanceof ValidationError ? err.reason : String(err) };
  }
}

/** A caller number a template may re-format: not empty and not the anonymous user. */
function formattable(user: string): boolean {
  return user.trim() !== '' && user.toLowerCase() !== ANONYMOUS_USER;
}

const TARGETS = [
  ['translationRequestUser', 'requestUser', 'user'],
  ['translationRequestHost', 'requestHost', 'host'],
  ['translationDestinationUser', 'toUser', 'user'],
  ['translationDestinationHost', 'toHost', 'host'],
  ['translationSourceUser', 'fromUser', 'user'],
  ['translationSourceHost', 'fromHost', 'host'],
] as const satisfies readonly (readonly [keyof ConnectionTranslations, keyof CallIdentity, TranslationPart])[];

export function applyConnectionTranslations(identity: CallIdentity, t: ConnectionTranslations): StepResult {
  const next: Record<string, unknown> = { ...identity };
  const applied: string[] = [];
  const skipped: SkippedRule[] = [];
  for (const [field, target, part] of TARGETS) {
    const template = t[field];
    if (template === '' || template === undefined) continue;
    if (field === 'translationSourceUser' && !formattable(identity.fromUser)) continue;
    const c = tryCompileTranslation(template, part, field);
    if (!('pieces' in c)) {
      skipped.push(c);
      continue;
    }
    const before = identity[target] as string;
    const after = applyTranslation(c, before);
    if (after !== before) {
      next[target] = after;
      applied.push(field);
    }
  }
  return { identity: next as unknown as CallIdentity, applied, skipped };
}
