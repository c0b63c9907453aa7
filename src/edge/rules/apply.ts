/**
 * All number and header rules of one connection, for one leg of a call, in a fixed order.
 *
 * Legs are named from trunkline's side, as `maxCallsOrig`/`maxCallsTerm` are:
 *   `term`  trunkline sends the call to the connection (termination through it: a carrier, an Enswitch peer,
 *           a customer PBX receiving its DIDs)
 *   `orig`  the connection sends the call to trunkline (origination from it)
 *
 * term leg, in order:
 *   1. NetSapiens translations: Request-URI, To, From user/host        (`translation*`)
 *   2. Enswitch called number: strip trailing `#`, then prefix          (`calledStripHash`, `calledPrefix`)
 *   3. Enswitch caller ID: force, then withheld / unknown substitution  (`callerid`, `calleridWithheld`, `calleridUnknown`)
 *   4. identity headers on the INVITE: PAI, Remote-Party-ID, Privacy     (`customPAssertedIdFormat`, `sendAssertedIdentity`, `sendRpid`, `sendPrivacy`)
 *   5. `Server` on responses to the connection                          (`includeServerHeader`)
 *   6. `failPercent`: reject with 503 before sending                    (Enswitch)
 * orig leg, in order:
 *   1. Wavix rewrite of the dialled number                              (`rewriteEnabled`, `rewriteCond`, `rewritePrefix`)
 *   2. `Server` on responses to the connection                          (`includeServerHeader`)
 *
 * Translations run first because they are how this connection writes its URIs; the Enswitch rules then
 * produce final values (a withheld caller's `anonymous` is not re-formatted by `1[*]`). Records created by
 * one vendor's API carry defaults for the others' settings, so on a real record usually only one vendor's
 * rules do anything.
 *
 * Output: the new identity, headers to set/remove on the request and on responses, an optional reject,
 * what ran, and settings that were skipped because their value was invalid. Never throws.
 */
import type { ConnectionSettings } from '../../model/connection-fields.js';
import type { EnswitchPeerExtension } from '../../model/extensions/enswitch-peer.js';
import type { WavixTrunkExtension } from '../../model/extensions/wavix-trunk.js';
import { ValidationError } from '../../model/errors.js';
import { applyEnswitchCalled, applyEnswitchCaller, type AssertedCaller } from './enswitch.js';
import { FAIL_PERCENT_SIP_STATUS, shouldFail } from './fail.js';
import { callerUnknown, callerWithheld, type CallIdentity } from './identity.js';
import { compilePaiFormat, identityHeaders, serverHeader, type HeaderOp, type PaiFormat } from './identity-headers.js';
import { applyConnectionTranslations, type SkippedRule } from './translations.js';
import { applyWavixRewrite } from './wavix.js';

export type Leg = 'term' | 'orig';

export type EnswitchRuleSettings = Pick<
  EnswitchPeerExtension,
  | 'calledPrefix'
  | 'calledStripHash'
  | 'callerid'
  | 'calleridUnknown'
  | 'calleridWithheld'
  | 'sendAssertedIdentity'
  | 'sendPrivacy'
  | 'sendRpid'
  | 'failPercent'
>;

export type WavixRuleSettings = Pick<WavixTrunkExtension, 'rewriteEnabled' | 'rewriteCond' | 'rewritePrefix'>;

/** What the rules read from a connection; a `Connection` fits as it is. */
export type LegRuleSettings = Pick<
  ConnectionSettings,
  | 'translationRequestUser'
  | 'translationRequestHost'
  | 'translationDestinationUser'
  | 'translationDestinationHost'
  | 'translationSourceUser'
  | 'translationSourceHost'
  | 'customPAssertedIdFormat'
  | 'includeServerHeader'
> & {
  readonly ext?: { readonly enswitch?: EnswitchRuleSettings | undefined; readonly wavix?: WavixRuleSettings | undefined } | undefined;
};

export interface LegRuleOptions {
  /** Random source for `failPercent`; default Math.random. Pass `seededRandom(seed)` for determinism. */
  readonly random?: (() => number) | undefined;
  /** `Server` header value when `includeServerHeader` is on; default `trunkline`. */
  readonly serverProduct?: string | undefined;
}

export interface LegReject {
  readonly sipStatus: number;
  readonly reason: string;
}

export interface LegOutcome {
  readonly identity: CallIdentity;
  /** For the request trunkline sends on this leg (term: the INVITE to the connection). */
  readonly requestHeaders: readonly HeaderOp[];
  /** For every response trunkline sends to the connection on this leg. */
  readonly responseHeaders: readonly HeaderOp[];
  /** Set when the call must not be sent (term leg `failPercent`). */
  readonly reject: LegReject | null;
  readonly applied: readonly string[];
  readonly skipped: readonly SkippedRule[];
}

function runTerm(identity: CallIdentity, s: LegRuleSettings, o: LegRuleOptions): LegOutcome {
  const applied: string[] = [];
  const skipped: SkippedRule[] = [];
  const en = s.ext?.enswitch;

  const t = applyConnectionTranslations(identity, s);
  applied.push(...t.applied);
  skipped.push(...t.skipped);
  let current = t.identity;

  if (en !== undefined) {
    const called = applyEnswitchCalled(current, en);
    applied.push(...called.applied);
    current = called.identity;
  }

  // Privacy and unknown-ness are the caller's: judged on the identity as received, not as translated.
  const withheld = callerWithheld(identity);
  let asserted: AssertedCaller = { user: current.fromUser, host: current.fromHost, displayName: current.displayName };
  if (en !== undefined) {
    const caller = applyEnswitchCaller(current, en, { withheld, unknown: callerUnknown(identity) });
    applied.push(...caller.applied);
    current = caller.identity;
    asserted = caller.asserted;
  }

  let paiFormat: PaiFormat = { kind: 'none' };
  try {
    paiFormat = compilePaiFormat(s.customPAssertedIdFormat);
  } catch (err) {
    skipped.push({ field: 'customPAssertedIdFormat', reason: err instanceof ValidationError ? err.reason : String(err) });
  }
  const requestHeaders = identityHeaders(asserted, withheld, {
    paiFormat,
    sendAssertedIdentity: en?.sendAssertedIdentity,
    sendPrivacy: en?.sendPrivacy,
    sendRpid: en?.sendRpid,
  });
  for (const h of requestHeaders) if (h.action === 'set') applied.push(h.name);

  let reject: LegReject | null = null;
  if (en !== undefined && en.failPercent > 0 && shouldFail(en.failPercent, o.random ?? Math.random)) {
    reject = { sipStatus: FAIL_PERCENT_SIP_STATUS, reason: `failPercent ${en.failPercent}%` };
    applied.push('failPercent');
  }
  return {
    identity: current,
    requestHeaders,
    responseHeaders: [serverHeader(s.includeServerHeader, o.serverProduct ?? 'trunkline')],
    reject,
    applied,
    skipped,
  };
}

function runOrig(identity: CallIdentity, s: LegRuleSettings, o: LegRuleOptions): LegOutcome {
  const applied: string[] = [];
  let current = identity;
  const wx = s.ext?.wavix;
  if (wx !== undefined) {
    const r = applyWavixRewrite(current, wx);
    applied.push(...r.applied);
    current = r.identity;
  }
  return {
    identity: current,
    requestHeaders: [],
    responseHeaders: [serverHeader(s.includeServerHeader, o.serverProduct ?? 'trunkline')],
    reject: null,
    applied,
    skipped: [],
  };
}

/** Apply a connection's rules to one leg. Never throws. */
export function applyLegRules(leg: Leg, identity: CallIdentity, settings: LegRuleSettings, options: LegRuleOptions = {}): LegOutcome {
  try {
    return leg === 'term' ? runTerm(identity, settings, options) : runOrig(identity, settings, options);
  } catch (err) {
    // Defensive: every rule above is total over well-typed input; a bug must still not drop a call.
    return {
      identity,
      requestHeaders: [],
      responseHeaders: [],
      reject: null,
      applied: [],
      skipped: [{ field: '*', reason: `internal error: ${String(err)}` }],
    };
  }
}
