/**
 * What the edge says about itself in OPTIONS answers and 405s (RFC 3261 §11.2: Allow, Accept,
 * Accept-Encoding, Accept-Language, Supported). Carriers poll OPTIONS as a keep-alive, so the answer is
 * built without touching the store.
 */
import { createResponse, type SipRequest, type SipResponse } from '../sip/index.js';

/** Methods the edge answers with more than 405/501; in-dialog ones are relayed by the call engine. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'UPDATE', 'INFO', 'PRACK'] as const;
export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');
/** Methods that exist in SIP but that a trunk edge does not serve (§21.4.6 405 Method Not Allowed). */
export const REFUSED_METHODS: ReadonlySet<string> = new Set(['SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);
export const ACCEPT_HEADER = 'application/sdp';
/** RFC 4028 session timers are negotiated per connection; nothing else is claimed. */
export const SUPPORTED_HEADER = 'timer';

export function capabilityHeaders(): Array<[string, string]> {
  return [
    ['Allow', ALLOW_HEADER],
    ['Accept', ACCEPT_HEADER],
    ['Accept-Encoding', 'identity'],
    ['Accept-Language', 'en'],
    ['Supported', SUPPORTED_HEADER],
  ];
}

export function optionsResponse(req: SipRequest, server: string): SipResponse {
  return createResponse(req, 200, { headers: [...capabilityHeaders(), ['Server', server]] });
}

export function methodNotAllowed(req: SipRequest, server: string): SipResponse {
  return createResponse(req, 405, { headers: [['Allow', ALLOW_HEADER], ['Server', server]] });
}
