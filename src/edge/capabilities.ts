/**
 * What the edge says about itself in OPTIONS answers and 405s (RFC 3261 §11.2: Allow, Accept,
 * Accept-Encoding, Accept-Language, Supported). Carriers poll OPTIONS as a keep-alive, so the answer is
 * built without touching the store.
 */
import { createResponse, statelessTag, type SipRequest, type SipResponse } from '../sip/index.js';

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

export function optionsResponse(req: SipRequest, server: string, toTag?: string): SipResponse {
  return createResponse(req, 200, { headers: [...capabilityHeaders(), ['Server', server]], ...(toTag === undefined ? {} : { toTag }) });
}

/**
 * Out-of-dialog OPTIONS answered without a transaction (§8.2.7 stateless UAS): keep-alives are the most
 * frequent request a trunk edge sees, and a transaction would only hold memory for 32 s (Timer J) to absorb
 * a retransmission that can just as well be answered again, with the same To tag.
 */
export function statelessOptionsResponse(req: SipRequest, server: string): SipResponse | undefined {
  if (req.method !== 'OPTIONS') return undefined;
  let fromTag: string | undefined;
  try {
    if (req.to.tag !== undefined) return undefined; // in a dialog: the call engine's business
    fromTag = req.from.tag;
  } catch {
    return undefined; // let the transactional path produce the proper error
  }
  return optionsResponse(req, server, requestTag(req, fromTag));
}

/** §8.2.7: the To tag of a stateless response, the same for every retransmission of the request. */
export function requestTag(req: SipRequest, fromTag: string | undefined): string {
  return statelessTag([req.topVia.branch ?? '', req.callId, fromTag ?? '', req.header('cseq') ?? '']);
}

export function methodNotAllowed(req: SipRequest, server: string): SipResponse {
  return createResponse(req, 405, { headers: [['Allow', ALLOW_HEADER], ['Server', server]] });
}
