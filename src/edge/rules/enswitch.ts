/**
 * Enswitch peer rules (seed 004, `peers/*`) on calls sent to the peer.
 *
 * Called number (`called_strip_hash`, `called_prefix`), applied to the Request-URI user and the To user:
 *   1. strip trailing `#` (also written `%23`) when `called_strip_hash` is on;
 *   2. prepend `called_prefix`.
 * Stripping first means a prefix is never eaten: `5551234#` with prefix `9` becomes `95551234`.
 *
 * Caller ID (`callerid`, `callerid_withheld`, `callerid_unknown`). Values are Asterisk caller-ID strings:
 * `"Name" <number>`, `Name <number>`, `<number>`, a bare number (digits, `+`, `*`, `#`) or a bare name.
 *   1. `callerid` (force) replaces the parts it names: a number replaces the From user, a name the
 *      display name. '' = keep the caller's.
 *   2. If the caller withheld their identity (`callerWithheld`), every part still the caller's is replaced
 *      from `callerid_withheld`: its number, or the RFC 3323 anonymous From (`anonymous@anonymous.invalid`)
 *      when it has none; its name, or '' when it has none. So the vendor default `Anonymous` gives
 *      `"Anonymous" <sip:anonymous@anonymous.invalid>`, and '' ("none") gives the anonymous From with no
 *      name. A withheld caller's own number or name is never passed on.
 *      A number these rules put in the From never stays at `anonymous.invalid` (`hostForNumber`).
 *   3. Otherwise, if the caller's number is unknown (`callerUnknown`) and still the caller's,
 *      `callerid_unknown` supplies it (a name-only value gives the anonymous From with that name, and the
 *      name is only used when the caller sent none); '' ("none") leaves the From as it is.
 */
import {
  ANONYMOUS_HOST,
  ANONYMOUS_USER,
  callerUnknown,
  callerWithheld,
  type CallIdentity,
} from './identity.js';
import type { StepResult } from './translations.js';

export interface EnswitchCalledSettings {
  readonly calledPrefix: string;
  readonly calledStripHash: boolean;
}

export interface EnswitchCallerSettings {
  readonly callerid: string;
  readonly calleridWithheld: string;
  readonly calleridUnknown: string;
}

export interface ParsedCallerId {
  readonly name: string | undefined;
  readonly number: string | undefined;
}

const NUMBER_LIKE = /^\+?[0-9*#]+$/;

/** Parse an Asterisk-style caller-ID string. '' gives neither part. */
export function parseCallerId(value: string): ParsedCallerId {
  const v = value.trim();
  if (v === '') return { name: undefined, number: undefined };
  const angle = /^(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>\s*$/.exec(v);
  if (angle) {
    const quoted = angle[1];
    const name = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (angle[2] ?? '').trim();
    const number = (angle[3] ?? '').trim();
    return { name: name === '' ? undefined : name, number: number === '' ? undefined : number };
  }
  if (NUMBER_LIKE.test(v)) return { name: undefined, number: v };
  const unquoted = /^"((?:[^"\\]|\\.)*)"$/.exec(v);
  return { name: unquoted ? (unquoted[1] as string).replace(/\\(.)/g, '$1') : v, number: undefined };
}

function stripTrailingHash(user: string): string {
  return user.replace(/(?:#|%23)+$/i, '');
}

export function applyEnswitchCalled(identity: CallIdentity, s: EnswitchCalledSettings): StepResult {
  const applied: string[] = [];
  let { requestUser, toUser } = identity;
  if (s.calledStripHash) {
    const r = stripTrailingHash(requestUser);
    const t = stripTrailingHash(toUser);
    if (r !== requestUser || t !== toUser) applied.push('calledStripHash');
    requestUser = r;
    toUser = t;
  }
  if (s.calledPrefix !== '') {
    requestUser = s.calledPrefix + requestUser;
    toUser = s.calledPrefix + toUser;
    applied.push('calledPrefix');
  }
  return { identity: { ...identity, requestUser, toUser }, applied, skipped: [] };
}

/**
 * The host of a From that presents a configured number. The caller's own host, unless the caller hid it behind
 * the RFC 3323 anonymous host: a number at `anonymous.invalid` still reads as withheld (RFC 3323 §4.1.1.3, and
 * `callerWithheld` here), so the number would never be shown. It is then presented at the destination's host
 * (To, as this connection writes it), as a number in the callee's own numbering.
 */
function hostForNumber(identity: CallIdentity, host: string): string {
  if (host.toLowerCase() !== ANONYMOUS_HOST) return host;
  return identity.toHost !== '' ? identity.toHost : identity.requestHost !== '' ? identity.requestHost : host;
}

/** The caller as the peer may assert it (for PAI/RPID): after `callerid`, before any privacy substitution. */
export interface AssertedCaller {
  readonly user: string;
  readonly host: string;
  readonly displayName: string;
}

export interface CallerStepResult extends StepResult {
  readonly asserted: AssertedCaller;
  readonly withheld: boolean;
}

/**
 * `caller` lets the orchestrator judge privacy and unknown-ness on the identity as the caller sent it,
 * before connection translations reformatted it; by default they are judged on `identity`.
 */
export function applyEnswitchCaller(
  identity: CallIdentity,
  s: EnswitchCallerSettings,
  caller: { readonly withheld: boolean; readonly unknown: boolean } = { withheld: callerWithheld(identity), unknown: callerUnknown(identity) },
): CallerStepResult {
  const applied: string[] = [];
  const forced = parseCallerId(s.callerid);
  let { fromUser, fromHost, displayName } = identity;
  const numberIsCallers = forced.number === undefined;
  const nameIsCallers = forced.name === undefined;
  if (!numberIsCallers || !nameIsCallers) {
    if (forced.number !== undefined) {
      fromUser = forced.number;
      fromHost = hostForNumber(identity, fromHost);
    }
    displayName = forced.name ?? displayName;
    applied.push('callerid');
  }
  const asserted: AssertedCaller = { user: fromUser, host: fromHost, displayName };
  const { withheld } = caller;

  if (withheld && (numberIsCallers || nameIsCallers)) {
    const w = parseCallerId(s.calleridWithheld);
    if (numberIsCallers) {
      if (w.number !== undefined) {
        fromUser = w.number;
        fromHost = hostForNumber(identity, fromHost);
      } else {
        fromUser = ANONYMOUS_USER;
        fromHost = ANONYMOUS_HOST;
      }
    }
    if (nameIsCallers) displayName = w.name ?? '';
    applied.push('calleridWithheld');
  } else if (!withheld && numberIsCallers && caller.unknown) {
    const u = parseCallerId(s.calleridUnknown);
    if (u.number !== undefined || u.name !== undefined) {
      if (u.number !== undefined) {
        fromUser = u.number;
        fromHost = hostForNumber(identity, fromHost);
      } else {
        fromUser = ANONYMOUS_USER;
        fromHost = ANONYMOUS_HOST;
      }
      if (u.name !== undefined && nameIsCallers && identity.displayName === '') displayName = u.name;
      applied.push('calleridUnknown');
    }
  }
  return { identity: { ...identity, fromUser, fromHost, displayName }, applied, skipped: [], asserted, withheld };
}
