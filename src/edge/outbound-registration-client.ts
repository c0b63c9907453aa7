/**
 * One REGISTER exchange with a carrier's registrar, as a UAC (RFC 3261 §10.2): the request, the digest answer to
 * a 401/407 (with the SIP library's `DigestClient`, §22.2), a retry after 423 Interval Too Brief (§10.2.8), and
 * the expiry the registrar granted (§10.2.4). Knows nothing of timers or connections: `outbound-registration.ts`
 * decides when to call it.
 */
import {
  createRequest,
  DigestClient,
  generateCallId,
  generateTag,
  parseChallenge,
  parseUri,
  SipResponse,
  uriEquals,
  type NameAddr,
  type SipRequest,
  type TransactionLayer,
  type Uri,
} from '../sip/index.js';
import type { RegistrationTarget } from './outbound-registration-target.js';

/**
 * What stays the same across the REGISTERs of one registration. §10.2: "All registrations from a UAC SHOULD use
 * the same Call-ID header field value for registrations sent to a particular registrar" and "A UA MUST increment
 * the CSeq value by one for each REGISTER request with the same Call-ID."
 */
export class RegistrationSession {
  readonly callId = generateCallId();
  readonly fromTag = generateTag();
  /** CSeq of the last REGISTER sent (the next one is one more). */
  cseq = 0;
  /** Seconds asked for; raised by a 423's Min-Expires (§10.2.8) and kept for the refreshes. */
  expires: number;
  /** Keeps nonce counts per nonce across the exchanges (§22.2, RFC 7616 §3.4). */
  readonly digest: DigestClient;

  constructor(
    readonly target: RegistrationTarget,
    expires: number,
  ) {
    this.expires = expires;
    this.digest = new DigestClient({ username: target.username, password: target.password });
  }
}

export type RegisterOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly reason: string;
      /** Seconds the registrar granted our contact (0 for an unREGISTER). */
      readonly granted: number;
    }
  | {
      readonly ok: false;
      /** The registrar's final status, or 408 for no answer (Timer F) and 503 for a transport error (§8.1.3.1). */
      readonly status: number;
      readonly reason: string;
      /** Seconds from a Retry-After header (§20.33), if any. */
      readonly retryAfter?: number;
    };

export interface RegisterInput {
  readonly layer: TransactionLayer;
  readonly session: RegistrationSession;
  /** Our Contact (name-addr), where the carrier's calls for this registration come. */
  readonly contact: string;
  readonly userAgent: string;
  /** True to remove our binding (Expires: 0, §10.2.2). */
  readonly unregister?: boolean;
}

/** At most this many 423s are followed in one exchange (each must raise the interval). */
const MAX_INTERVAL_RETRIES = 2;

function buildRegister(input: RegisterInput, expires: number): SipRequest {
  const { session } = input;
  const t = session.target;
  session.cseq += 1;
  return createRequest({
    method: 'REGISTER',
    uri: t.requestUri,
    from: `<${t.aor}>`,
    to: `<${t.aor}>`,
    fromTag: session.fromTag,
    callId: session.callId,
    cseq: session.cseq,
    contact: input.contact,
    // §10.2.1.1: the client suggests the interval in Expires (or an expires Contact parameter); §10.2.2: "A UA
    // requests the immediate removal of a binding by specifying an expiration interval of "0" for that contact
    // address". Only our own contact is removed: never "Contact: *", which would remove the bindings of other
    // edges registering the same address of record.
    headers: [
      ['Expires', String(expires)],
      ['User-Agent', input.userAgent],
    ],
  });
}

async function send(layer: TransactionLayer, req: SipRequest, t: RegistrationTarget): Promise<SipResponse | { status: number; reason: string }> {
  let tx;
  try {
    tx = layer.sendRequest(req, { destination: t.destination, transport: t.transport });
  } catch (err) {
    return { status: 503, reason: `No Route To Registrar (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = await tx.result;
  if (r.type === 'response') return r.response;
  // §8.1.3.1: a timeout is treated as 408, a transport error as 503.
  return r.type === 'timeout' ? { status: 408, reason: 'Request Timeout' } : { status: 503, reason: `Transport Error (${r.error.message})` };
}

/**
 * Only challenges for the connection's realm are answered when one is configured: the credentials are meant for
 * that registrar, not for whoever asks for them on the way.
 */
function challengesFor(res: SipResponse, realm: string): SipResponse | undefined {
  const name = res.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
  const all = res.headers.getAll(name);
  const usable = all.filter((v) => {
    try {
      const c = parseChallenge(v);
      return c !== undefined && (realm === '' || c.realm === realm);
    } catch {
      return false;
    }
  });
  if (usable.length === 0) return undefined;
  if (usable.length === all.length) return res;
  const filtered = res.clone();
  filtered.headers.remove(name);
  for (const v of usable) filtered.headers.append(res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate', v);
  return filtered;
}

function isStale(res: SipResponse): boolean {
  const name = res.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
  return res.headers.getAll(name).some((v) => {
    try {
      return parseChallenge(v)?.stale === true;
    } catch {
      return false;
    }
  });
}

function seconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d{1,10})/.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/**
 * §10.2.4: "The UA compares each contact address to see if it created the contact address, using comparison
 * rules in Section 19.1.4. If so, it updates the expiration time interval according to the expires parameter or,
 * if absent, the Expires field value." A registrar that rewrites our contact (NAT fix-ups) is understood when it
 * returns a single contact; with none usable the Expires header, else what was asked, is taken.
 */
export function grantedExpiry(res: SipResponse, ourContact: string, asked: number): number {
  let contacts: NameAddr[] = [];
  try {
    contacts = res.contacts;
  } catch {
    contacts = [];
  }
  let ours: Uri | undefined;
  try {
    const inner = /<([^>]*)>/.exec(ourContact)?.[1] ?? ourContact;
    ours = parseUri(inner);
  } catch {
    ours = undefined;
  }
  const mine = contacts.find((c) => ours !== undefined && uriEquals(c.uri, ours)) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const param = mine?.params.get('expires');
  const fromParam = typeof param === 'string' ? seconds(param) : undefined;
  return fromParam ?? seconds(res.header('expires')) ?? asked;
}

/**
 * Send one REGISTER (or unREGISTER) and see it through: a challenge is answered with the connection's
 * credentials once (and once more when the registrar says the nonce was stale, RFC 7616 §3.3), a 423 is retried
 * with its Min-Expires. Resolves with the final outcome; never rejects.
 */
export async function register(input: RegisterInput): Promise<RegisterOutcome> {
  const { session, layer } = input;
  const t = session.target;
  let expires = input.unregister === true ? 0 : session.expires;
  let req = buildRegister(input, expires);
  let answered = 0;
  let intervalRetries = 0;
  for (;;) {
    const res = await send(layer, req, t);
    if (!(res instanceof SipResponse)) return { ok: false, ...res };
    const { status } = res;
    if (status >= 200 && status < 300) {
      return { ok: true, status, reason: res.reason, granted: expires === 0 ? 0 : grantedExpiry(res, input.contact, expires) };
    }
    if ((status === 401 || status === 407) && (answered === 0 || (answered === 1 && isStale(res)))) {
      const challenge = challengesFor(res, t.realm);
      if (challenge === undefined) {
        return { ok: false, status, reason: t.realm === '' ? 'No Usable Digest Challenge' : `No Challenge For Realm ${t.realm}` };
      }
      const retry = session.digest.authorize(req, challenge);
      if (retry === undefined) return { ok: false, status, reason: 'No Usable Digest Challenge' };
      answered++;
      // §22.2: the resubmitted request "MUST increment the CSeq header field value as it would normally when sending
      // an updated request" (DigestClient does); the session's count follows it.
      session.cseq = retry.cseq.seq;
      req = retry;
      continue;
    }
    if (status === 423 && expires > 0 && intervalRetries < MAX_INTERVAL_RETRIES) {
      // §10.2.8: "If a UA receives a 423 (Interval Too Brief) response, it MAY retry the registration after making
      // the expiration interval of all contact addresses in the REGISTER request equal to or greater than the
      // expiration interval within the Min-Expires header field of the 423 (Interval Too Brief) response."
      const min = seconds(res.header('min-expires'));
      if (min !== undefined && min > expires) {
        intervalRetries++;
        answered = 0; // the new request carries no credentials and will be challenged afresh
        expires = min;
        session.expires = min;
        req = buildRegister(input, expires);
        continue;
      }
    }
    const retryAfter = seconds(res.header('retry-after'));
    const reason = status === 401 || status === 407 ? `Credentials Refused (${status} ${res.reason})` : res.reason;
    return { ok: false, status, reason, ...(retryAfter === undefined ? {} : { retryAfter }) };
  }
}
