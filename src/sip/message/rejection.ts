/**
 * What to do with a message that is not acceptable: answer it (400 and friends) or drop it.
 *
 * RFC 3261 never answers a response or an ACK (§17.1.1.3, §17.2.1), and a response can only
 * be routed back when the top Via is readable (§18.2.2). Everything else that fails gets a
 * response whose reason phrase names the problem (RFC 4475 §3.1.2: "respond with a 400 Bad
 * Request", with the reason explaining why).
 */
import type { SipParseError } from '../errors.js';
import { responseHeadersFrom, createResponse } from './builders.js';
import { SipResponse, type SipMessage, type SipRequest } from './message.js';
import { tryParseMessage, type ParseOptions } from './parser.js';
import { validateRequest, validateResponse, type ValidationFailure, type ValidationOptions } from './validation.js';
import { recoverVia } from './via.js';

export type Rejection =
  | { action: 'respond'; status: number; reason: string; response: SipResponse }
  | { action: 'drop'; reason: string };

/** Status code for a parse error once we know we can answer. */
function statusForParseError(err: SipParseError): number {
  return err.code === 'MESSAGE_TOO_LARGE' ? 513 : 400;
}

/**
 * Decide about a message the parser rejected. A request whose top Via can still be read is
 * answered (400, or 513 Message Too Large); a response, an ACK or a message without a usable
 * Via is dropped.
 */
export function rejectionForParseError(err: SipParseError): Rejection {
  const p = err.partial;
  if (!p || p.kind !== 'request') return { action: 'drop', reason: p?.kind === 'response' ? `invalid response: ${err.reason}` : err.reason };
  if (p.method === 'ACK') return { action: 'drop', reason: `invalid ACK: ${err.reason}` };
  const topVia = p.headers.get('via');
  if (topVia === undefined || recoverVia(topVia) === undefined) return { action: 'drop', reason: `${err.reason} (no usable Via)` };
  const status = statusForParseError(err);
  const response = new SipResponse({ status, reason: err.reason, headers: responseHeadersFrom(p.headers, status) });
  return { action: 'respond', status, reason: err.reason, response };
}

/** Decide about a parsed request that failed {@link validateRequest}. */
export function rejectionForRequest(req: SipRequest, failure: ValidationFailure): Rejection {
  if (failure.drop || req.method === 'ACK') return { action: 'drop', reason: failure.reason };
  const topVia = req.headers.get('via');
  if (topVia === undefined || recoverVia(topVia) === undefined) return { action: 'drop', reason: `${failure.reason} (no usable Via)` };
  return { action: 'respond', status: failure.status, reason: failure.reason, response: createResponse(req, failure.status, failure.reason) };
}

export type CheckResult =
  | { ok: true; message: SipMessage; consumed: number }
  | { ok: false; problem: { code: string; reason: string }; rejection: Rejection };

/**
 * Parse and validate in one go: the single entry point for "a datagram arrived, what now?".
 * Never throws.
 */
export function checkMessage(data: Uint8Array | string, options: { parse?: ParseOptions; validation?: ValidationOptions } = {}): CheckResult {
  const r = tryParseMessage(data, options.parse);
  if (!r.ok) return { ok: false, problem: { code: r.error.code, reason: r.error.reason }, rejection: rejectionForParseError(r.error) };
  const m = r.message;
  try {
    if (m.kind === 'request') {
      const failure = validateRequest(m, options.validation);
      if (failure) return { ok: false, problem: { code: failure.code, reason: failure.reason }, rejection: rejectionForRequest(m, failure) };
    } else {
      const failure = validateResponse(m);
      if (failure) return { ok: false, problem: { code: failure.code, reason: failure.reason }, rejection: { action: 'drop', reason: failure.reason } };
    }
  } catch (e) {
    // Validation only calls parsing code, which throws SipParseError; be defensive anyway.
    const reason = e instanceof Error ? e.message : 'invalid message';
    return { ok: false, problem: { code: 'INTERNAL', reason }, rejection: { action: 'drop', reason } };
  }
  return { ok: true, message: m, consumed: r.consumed };
}
