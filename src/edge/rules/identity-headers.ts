/**
 * Identity headers a connection asks for on the INVITE trunkline sends it, and the `Server` header on the
 * responses trunkline sends it.
 *
 * P-Asserted-Identity (RFC 3325):
 *   - NetSapiens `customPAssertedIdFormat` (the vendor: input "sample" gives "PAId=sample"). trunkline's
 *     template syntax, built on the translation grammar of `src/model/translation.ts`:
 *       ''                      no PAI from this setting
 *       `[*]`, `+1[*]`          a user template: `[*]` = the asserted caller number; PAI is
 *                               `<sip:<formatted>@<caller host>>`
 *       `18005551234`, `sample` a literal user: the same number for every call, `<sip:18005551234@<caller host>>`
 *       `[*]@pbx.example`,      a user@host template (`[*]` in the host = the caller's host), written as
 *       `sip:[*]@pbx.example`   `<sip:...>`; `sips:` is kept
 *       `tel:+1[*]`             a tel URI: `<tel:+15551234567>`
 *     Surrounding `<...>` are accepted and ignored. Anything the translation grammar refuses is refused
 *     (`compilePaiFormat` throws ValidationError naming the field, for the API to call on write).
 *   - Enswitch `send_asserted_identity`: `<sip:<asserted number>@<caller host>>`. When both are set the
 *     NetSapiens format wins; `send_asserted_identity` = 0 (and no format) removes any PAI.
 *   "Asserted caller" = the caller after connection translations and a forced `callerid`, before privacy
 *   substitution: the header states who is really calling, and `Privacy: id` asks the next hop to keep it.
 *   A template that uses `[*]` yields no PAI when that number is unknown or anonymous.
 *
 * Privacy (RFC 3323/3325): `Privacy: id` is set when the caller withheld their identity and either
 * Enswitch `send_privacy` is on, or a PAI / Remote-Party-ID carrying the real number goes out (RFC 3325 §7:
 * a privacy request must travel with the identity it protects; this overrides `send_privacy` = 0).
 * Otherwise `send_privacy` = 0 removes any Privacy header.
 *
 * Remote-Party-ID (draft-ietf-sip-privacy-04), Enswitch `send_rpid`:
 *   `"Name" <sip:<asserted number>@<caller host>>;party=calling;screen=yes;privacy=off|full`
 * (`full` when the caller withheld their identity). `send_rpid` = 0 removes it.
 *
 * Server: `includeServerHeader` sets `Server: <product>` on responses to the connection; off removes it.
 */
import { ValidationError } from '../../model/errors.js';
import { applyTranslation, compileTranslation, type CompiledTranslation } from '../../model/translation.js';
import type { AssertedCaller } from './enswitch.js';
import { nameAddr, sipUri, escapeUser } from './header-values.js';
import { ANONYMOUS_USER } from './identity.js';

export type HeaderOp =
  | { readonly action: 'set'; readonly name: string; readonly value: string }
  | { readonly action: 'remove'; readonly name: string };

export type PaiFormat =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly user: CompiledTranslation }
  | { readonly kind: 'uri'; readonly scheme: 'sip' | 'sips'; readonly user: CompiledTranslation; readonly host: CompiledTranslation }
  | { readonly kind: 'tel'; readonly number: CompiledTranslation };

/** Parse `customPAssertedIdFormat`; throws ValidationError naming `field`. */
export function compilePaiFormat(value: string, field = 'customPAssertedIdFormat'): PaiFormat {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  let v = value.trim();
  if (v === '') return { kind: 'none' };
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1).trim();
  const scheme = /^(sips?|tel):/i.exec(v);
  const rest = scheme ? v.slice((scheme[0] as string).length) : v;
  if (scheme && (scheme[1] as string).toLowerCase() === 'tel') {
    if (rest === '') throw new ValidationError(field, 'a tel: format needs a number');
    return { kind: 'tel', number: compileTranslation(rest, 'user', field) };
  }
  const at = rest.lastIndexOf('@');
  if (at === -1) {
    if (scheme) throw new ValidationError(field, 'a sip: format needs user@host, e.g. sip:[*]@pbx.example');
    return { kind: 'user', user: compileTranslation(rest, 'user', field) };
  }
  const user = rest.slice(0, at);
  const host = rest.slice(at + 1);
  if (user === '' || host === '') throw new ValidationError(field, 'needs both a user and a host around "@"');
  return {
    kind: 'uri',
    scheme: scheme && (scheme[1] as string).toLowerCase() === 'sips' ? 'sips' : 'sip',
    user: compileTranslation(user, 'user', field),
    host: compileTranslation(host, 'host', field),
  };
}

function usesCallerNumber(t: CompiledTranslation): boolean {
  return t.pieces.length > 1;
}

/** A number the far end can be told: known and not a privacy placeholder. */
export function assertable(user: string): boolean {
  const u = user.trim().toLowerCase();
  return u !== '' && u !== ANONYMOUS_USER && u !== 'unknown' && u !== 'unavailable' && u !== 'restricted';
}

/** The PAI URI for a compiled format, or undefined when it needs an unknown caller number. */
export function paiUri(format: PaiFormat, caller: AssertedCaller): string | undefined {
  const known = assertable(caller.user);
  switch (format.kind) {
    case 'none':
      return undefined;
    case 'user':
      if (usesCallerNumber(format.user) && !known) return undefined;
      return sipUri(applyTranslation(format.user, caller.user), caller.host);
    case 'uri':
      if (usesCallerNumber(format.user) && !known) return undefined;
      return sipUri(applyTranslation(format.user, caller.user), applyTranslation(format.host, caller.host), format.scheme);
    case 'tel':
      if (usesCallerNumber(format.number) && !known) return undefined;
      return `tel:${escapeUser(applyTranslation(format.number, caller.user))}`;
  }
}

export interface IdentityHeaderSettings {
  /** NetSapiens `customPAssertedIdFormat`, compiled; `{kind:'none'}` when unset. */
  readonly paiFormat: PaiFormat;
  /** Enswitch flags; undefined when the connection has no Enswitch extension (no opinion, no removals). */
  readonly sendAssertedIdentity?: boolean | undefined;
  readonly sendPrivacy?: boolean | undefined;
  readonly sendRpid?: boolean | undefined;
}

/** Request headers for the INVITE to the connection. */
export function identityHeaders(caller: AssertedCaller, withheld: boolean, s: IdentityHeaderSettings): HeaderOp[] {
  const ops: HeaderOp[] = [];
  let identitySent = false;

  let pai: string | undefined;
  if (s.paiFormat.kind !== 'none') pai = paiUri(s.paiFormat, caller);
  else if (s.sendAssertedIdentity === true && assertable(caller.user)) pai = sipUri(caller.user, caller.host);
  if (pai !== undefined) {
    ops.push({ action: 'set', name: 'P-Asserted-Identity', value: nameAddr(caller.displayName, pai) });
    identitySent = true;
  } else if (s.paiFormat.kind === 'none' && s.sendAssertedIdentity === false) {
    ops.push({ action: 'remove', name: 'P-Asserted-Identity' });
  }

  if (s.sendRpid === true && assertable(caller.user)) {
    const uri = sipUri(caller.user, caller.host);
    const value = `${nameAddr(caller.displayName, uri)};party=calling;screen=yes;privacy=${withheld ? 'full' : 'off'}`;
    ops.push({ action: 'set', name: 'Remote-Party-ID', value });
    identitySent = true;
  } else if (s.sendRpid !== undefined) {
    ops.push({ action: 'remove', name: 'Remote-Party-ID' });
  }

  if (withheld && (s.sendPrivacy === true || identitySent)) {
    ops.push({ action: 'set', name: 'Privacy', value: 'id' });
  } else if (s.sendPrivacy === false || (s.sendPrivacy === true && !withheld)) {
    ops.push({ action: 'remove', name: 'Privacy' });
  }
  return ops;
}

/** Response headers for the connection: `Server` on or off. */
export function serverHeader(includeServerHeader: boolean, product: string): HeaderOp {
  const clean = product.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'trunkline';
  return includeServerHeader ? { action: 'set', name: 'Server', value: clean } : { action: 'remove', name: 'Server' };
}
